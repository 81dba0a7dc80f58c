"""Hypothesis strategies for hostile but plausible arguments of softent's public API.

Each strategy mostly draws what a user would pass (so the kernels really run) and, often,
what a careless or hostile user would: every dtype (float16 / bfloat16 through torch,
big-endian, complex, object, str, bool), non-contiguous, Fortran, strided and
negative-stride views, read-only arrays, torch views with the negative bit set, 0-d / 1-d /
3-d / empty shapes, NaN / ±Inf / huge / tiny / subnormal values, sizes that overflow int64
or memory, strings and other wrong types where numbers go. Arrays are drawn from a seeded
NumPy generator (one drawn seed), not element by element: cheaper, and as reproducible.

Sizes stay small (N ≤ 64 rows, D ≤ 8, ≤ 48 bins) so that thousands of calls run in
minutes; sizes that would not fit in memory are absurd (≥ 10**12), never merely large,
so that a call either refuses them up front or finishes fast.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import softent.discrete as sd
import torch
from hypothesis import strategies as st

NAN, INF = math.nan, math.inf
#: values that break naive arithmetic: NaN, ±Inf, overflow-prone, subnormal, signed zero
SPECIAL_FLOATS = (NAN, INF, -INF, 1e308, -1e308, 3.4e38, 1e20, 5e-324, 1e-310, 1e-45, 0.0, -0.0)
#: sizes and counts a careless caller passes: zero, negative, overflowing, not integers
HOSTILE_SIZES = (
    0,
    -1,
    -(2**63),
    10**12,
    2**62,
    2**63,
    2**64,
    10**30,
    1.5,
    "3",
    None,
    NAN,
    True,
    np.int32(3),
    np.uint64(2**63),
    np.float64(4.0),
)
HOSTILE_SCALARS = (None, "x", "", b"2", [2], {"a": 1}, 1 + 1j, object(), NAN, INF, -INF)

seeds = st.integers(0, 2**32 - 1)


def _hostile(*extra: Any) -> st.SearchStrategy:
    return st.sampled_from(list(extra) + list(HOSTILE_SCALARS))


@st.composite
def mostly(draw: Any, valid: st.SearchStrategy, hostile: st.SearchStrategy, p: float = 0.9):
    """``valid`` with probability about ``p``, else ``hostile``: each argument is hostile
    only sometimes, so that most calls get far enough to run a kernel."""
    # sampled_from draws its index uniformly; st.integers would favour its bounds
    return draw(valid) if draw(st.sampled_from(range(20))) < p * 20 else draw(hostile)


# ----------------------------------------------------------------------------- scalars


def bases() -> st.SearchStrategy:
    valid = st.sampled_from([math.e, 2, 2.0, 10, np.float64(2.0), np.float32(10.0)])
    return mostly(valid, _hostile(1, 1.0, 0.5, 0, -2, "2", 1e-300, 1e300, True, np.array(2.0)))


def thread_counts() -> st.SearchStrategy:
    valid = st.sampled_from([None, 1, 2, 3])
    return mostly(valid, _hostile(0, -1, 10**6, 2**31, 2**63, 10**30, 1.5, "2", True, np.int64(2)))


def sizes(lo: int, hi: int) -> st.SearchStrategy:
    """An integer argument in [lo, hi], or a hostile one."""
    return mostly(st.integers(lo, hi), st.sampled_from(HOSTILE_SIZES))


def optional_sizes(lo: int, hi: int) -> st.SearchStrategy:
    return st.one_of(st.none(), sizes(lo, hi))


def probabilities() -> st.SearchStrategy:
    return mostly(
        st.floats(0.5, 0.999), _hostile(0.0, 1.0, -0.1, 1.5, 0.95, "0.9", np.float32(0.9))
    )


def temperatures() -> st.SearchStrategy:
    return mostly(
        st.one_of(st.just("auto"), st.floats(0.02, 5.0)),
        _hostile(0, 0.0, -1.0, 1e-300, 1e-160, 1e300, "hot", "AUTO", torch.tensor(0.5)),
    )


def metrics() -> st.SearchStrategy:
    return mostly(
        st.sampled_from(["cosine", "euclidean", "sqeuclidean", "dot"]),
        _hostile("Cosine", "manhattan", 3),
    )


def weightings() -> st.SearchStrategy:
    return mostly(st.sampled_from(["weighted", "uniform"]), _hostile("Weighted", 0))


def nonfinites() -> st.SearchStrategy:
    return mostly(st.sampled_from(["raise", "drop"]), _hostile("ignore", "omit"))


def estimators() -> st.SearchStrategy:
    return mostly(st.sampled_from(list(sd.ESTIMATORS)), _hostile("Plugin", "mle", 3))


def alphas() -> st.SearchStrategy:
    return mostly(
        st.one_of(st.none(), st.sampled_from(list(sd.estimators.ALPHAS)), st.floats(0.0, 2.0)),
        _hostile(-1.0, 1e300, "half", np.array([0.5, 0.5])),
    )


def bools() -> st.SearchStrategy:
    return mostly(st.booleans(), _hostile(0, 1, "True", np.bool_(True)))


def seeds_arg() -> st.SearchStrategy:
    return mostly(st.integers(0, 2**31), _hostile(-1, 2**64, 1.5, "0", np.random.default_rng(0)))


# ----------------------------------------------------------------------------- arrays

FLOAT_DTYPES = ("float64", "float32", "float16", ">f8", ">f4", "longdouble")
INT_DTYPES = ("int64", "int32", "int16", "int8", "uint8", "uint16", "uint32", "uint64", ">i8")
ODD_DTYPES = ("bool", "complex128", "object", "<U3", "S2", "datetime64[s]")
LAYOUTS = (
    "c",
    "c",
    "c",
    "fortran",
    "strided",
    "negative",
    "readonly",
    "list",
    "torch",
    "torch_strided",
    "torch_neg",
)
TORCH_FLOATS = (torch.float64, torch.float32, torch.float16, torch.bfloat16)


def _cast(a: np.ndarray, dtype: str) -> np.ndarray:
    """``a.astype(dtype)`` without the RuntimeWarnings of casting NaN / huge to integers."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if dtype == "object":
            return a.astype(object)
        if dtype.startswith(("<U", "S")):
            return a.round(1).astype(dtype)
        if dtype.startswith("datetime"):
            return np.nan_to_num(a).astype(np.int64).astype(dtype)
        return a.astype(dtype)


def _torch_leaf(t: torch.Tensor, grad: bool) -> torch.Tensor:
    """``t`` (a view of any layout) as a leaf, requiring grad when floating and asked."""
    t = t.detach()
    if grad and t.is_floating_point():
        t.requires_grad_(True)
    return t


def lay_out(a: np.ndarray, layout: str, torch_dtype: Any = None, grad: bool = False) -> Any:
    """``a`` (C-contiguous) in one memory layout or container, same values."""
    a = np.asarray(a)  # NumPy ufuncs return scalars for 0-d input
    if layout == "fortran":
        return np.asfortranarray(a)
    if layout == "strided" and a.ndim >= 1:
        big = np.repeat(a, 2, axis=0)  # every other row of a twice-as-long array: a's values
        return big[::2]
    if layout == "negative" and a.ndim >= 1:
        return np.ascontiguousarray(a[::-1])[::-1]
    if layout == "readonly":
        b = a.copy()
        b.flags.writeable = False
        return b
    if layout == "list":
        return a.tolist()
    if layout.startswith("torch") and a.dtype.kind in "fiub" and a.dtype != np.float16:
        native = a.astype(a.dtype.newbyteorder("="))
        if a.dtype.kind == "f":
            native = native.astype(np.float64)
        t = torch.from_numpy(np.ascontiguousarray(native))
        if torch_dtype is not None and t.is_floating_point():
            t = t.to(torch_dtype)
        if layout == "torch_strided" and t.ndim >= 1:
            t = t.repeat_interleave(2, dim=0)[::2]
        elif layout == "torch_neg" and t.dtype in (torch.float32, torch.float64):
            t = torch.complex(torch.zeros_like(t), -t).conj().imag  # t, with the negative bit
        return _torch_leaf(t, grad)
    return a


@st.composite
def float_arrays(
    draw: Any,
    ndim: int = 2,
    max_rows: int = 64,
    max_cols: int = 8,
    min_rows: int = 0,
    positive: bool = False,
    torch_only: bool = False,
) -> Any:
    """A float array [N, D] (or [N], per ``ndim``), often hostile (module docstring)."""
    rng = np.random.default_rng(draw(seeds))
    # clean: the right rank, a float dtype, finite values, >= 2 rows; else anything hostile
    clean = draw(st.sampled_from(range(10))) < 8
    dims = ndim if clean else draw(st.sampled_from([ndim] * 3 + [0, 1, 2, 3]))
    rows = draw(st.sampled_from([0, 1, 2, 3, 5, 17, 64])) if draw(st.booleans()) else None
    rows = draw(st.integers(min_rows, max_rows)) if rows is None else min(rows, max_rows)
    rows = max(rows, 2) if clean else rows
    shape = [rows, draw(st.integers(1, max_cols)), 2, 2][:dims]
    if dims >= 2 and not clean and draw(st.sampled_from(range(5))) == 4:
        shape[1] = 0  # D = 0
    scale = draw(st.sampled_from([1.0, 1.0, 1.0, 1e-3, 1e3, 1e-30, 1e30, 1e-170, 1e-23]))
    offset = draw(st.sampled_from([0.0, 0.0, 0.0, 1.0, 1e4, -1e8]))
    a = np.asarray(rng.normal(0.0, 1.0, shape) * scale + offset)
    if positive:
        a = np.abs(a)
    specials = SPECIAL_FLOATS[3:] if clean else SPECIAL_FLOATS  # finite ones when clean
    for _ in range(draw(st.sampled_from(range(4))) if draw(st.booleans()) and a.size else 0):
        a.reshape(-1)[draw(st.integers(0, a.size - 1))] = draw(st.sampled_from(specials))
    if torch_only:
        layout = draw(st.sampled_from(["torch", "torch", "torch_strided", "torch_neg"]))
        dtype = "float64"
    elif clean:
        layout = draw(st.sampled_from(LAYOUTS[:-4] + LAYOUTS[-3:]))  # no nested lists
        dtype = draw(st.sampled_from(FLOAT_DTYPES))
    else:
        layout = draw(st.sampled_from(LAYOUTS))
        dtype = draw(st.sampled_from(FLOAT_DTYPES + INT_DTYPES[:3] + ODD_DTYPES))
    a = _cast(a, dtype)
    tdt = draw(st.sampled_from(TORCH_FLOATS)) if layout.startswith("torch") else None
    return lay_out(a, layout, tdt, grad=draw(st.booleans()))


@st.composite
def label_arrays(draw: Any, n: int, max_labels: int = 6) -> Any:
    """Labels for ``n`` rows: integer codes (with -1 = masked), strings, or hostile kinds."""
    rng = np.random.default_rng(draw(seeds))
    k = draw(st.integers(1, max_labels))
    codes = rng.integers(0, k, n)
    kind = draw(
        st.sampled_from(
            ["int"] * 48
            + ["masked", "all_masked", "str", "object_str", "list", "torch", "bigendian"]
            + ["uint8", "huge", "mixed", "bool", "float", "nan", "bytes", "2d", "short"]
            + ["long", "none_in", "negative"]
        )
    )
    if kind == "masked":
        codes[rng.random(n) < 0.3] = -1
    elif kind == "all_masked":
        codes[:] = -1
    elif kind == "str":
        return np.array([f"c{c}" for c in codes])
    elif kind == "object_str":
        return np.array([f"c{c}" for c in codes], dtype=object)
    elif kind == "list":
        return codes.tolist()
    elif kind == "torch":
        return torch.from_numpy(codes)
    elif kind == "bigendian":
        return codes.astype(">i4")
    elif kind == "uint8":
        return codes.astype(np.uint8)
    elif kind == "huge":
        return (codes.astype(np.uint64) * np.uint64(2**63)).astype(np.uint64)
    elif kind == "mixed":
        return np.array([c if c % 2 else f"c{c}" for c in codes.tolist()], dtype=object)
    elif kind == "bool":
        return codes % 2 == 0
    elif kind == "float":
        return codes.astype(np.float64) + 0.5 * (rng.random(n) < 0.2)
    elif kind == "nan":
        f = codes.astype(np.float64)
        f[: max(1, n // 4)] = np.nan
        return f
    elif kind == "bytes":
        return np.array([b"x%d" % c for c in codes])
    elif kind == "2d":
        return np.stack([codes, codes], axis=1)
    elif kind == "short":
        return codes[: max(0, n - 1)]
    elif kind == "long":
        return np.concatenate([codes, codes[:1] if n else [0]])
    elif kind == "none_in":
        return np.array([None if c == 0 else c for c in codes.tolist()], dtype=object)
    elif kind == "negative":
        return codes - 3
    return codes


@st.composite
def code_arrays(
    draw: Any, n: int | None = None, max_rows: int = 64, cols: bool = False, min_cols: int = 1
) -> Any:
    """Discrete samples x [N] (or [N, C] when ``cols``): codes, strings, or hostile kinds."""
    rng = np.random.default_rng(draw(seeds))
    n = draw(st.integers(0, max_rows)) if n is None else n
    c = draw(st.integers(min_cols, 4))
    codes = rng.integers(0, draw(st.integers(1, 8)), (n, c) if cols else n)
    kind = draw(
        st.sampled_from(
            ["int"] * 24
            + ["str", "object", "list", "torch", "bigendian", "uint64", "huge", "negative"]
            + ["float", "nan", "bool", "mixed", "3d", "0d", "strided", "fortran", "int8"]
        )
    )
    if kind == "str":
        return codes.astype(str)
    if kind == "object":
        return codes.astype(object)
    if kind == "list":
        return codes.tolist()
    if kind == "torch":
        return torch.from_numpy(codes)
    if kind == "bigendian":
        return codes.astype(">i8")
    if kind == "uint64":
        return codes.astype(np.uint64)
    if kind == "huge":
        return codes * (2**61) + np.iinfo(np.int64).max // 2
    if kind == "negative":
        return codes - 100
    if kind == "float":
        return codes.astype(np.float64) / 2
    if kind == "nan":
        f = codes.astype(np.float64)
        f.reshape(-1)[:1] = np.nan
        return f
    if kind == "bool":
        return codes % 2 == 1
    if kind == "mixed":
        return np.array(
            [str(v) if i % 3 else v for i, v in enumerate(codes.reshape(-1).tolist())], dtype=object
        ).reshape(codes.shape)
    if kind == "3d":
        return codes.reshape(*codes.shape, 1, 1) if codes.size else codes.reshape(0, 1, 1)
    if kind == "0d":
        return np.int64(codes.reshape(-1)[0]) if codes.size else np.int64(0)
    if kind == "strided":
        return np.repeat(codes, 2, axis=0)[::2]
    if kind == "fortran":
        return np.asfortranarray(codes)
    if kind == "int8":
        return codes.astype(np.int8)
    return codes


@st.composite
def weight_arrays(draw: Any, n: int) -> Any:
    """Sample weights for ``n`` rows, or None, or hostile ones."""
    rng = np.random.default_rng(draw(seeds))
    kind = draw(
        st.sampled_from(
            ["none"] * 4
            + ["ok", "ok", "zero", "negative", "nan", "inf", "int"]
            + ["short", "huge", "tiny", "torch"]
        )
    )
    w = rng.random(n) + 0.1
    if kind == "none":
        return None
    if kind == "zero":
        return np.zeros(n)
    if kind == "negative":
        w[: max(1, n // 3)] *= -1
    elif kind == "nan" and n:
        w[0] = np.nan
    elif kind == "inf" and n:
        w[0] = np.inf
    elif kind == "int":
        return rng.integers(0, 4, n)
    elif kind == "short":
        return w[:-1]
    elif kind == "huge":
        return w * 1e308
    elif kind == "tiny":
        return w * 5e-324
    elif kind == "torch":
        return torch.from_numpy(w)
    return w


@st.composite
def prob_tables(
    draw: Any,
    ndim: int = 1,
    max_side: int = 6,
    torch_ok: bool = True,
    counts: bool = False,
    shape: tuple[int, ...] | None = None,
    torch_layout: bool | None = None,
) -> Any:
    """A probability table (normalised, in ``ndim`` dims, or of ``shape``), or a hostile one:
    not summing to 1, negative, NaN, all zero, empty, integer counts, any layout (a torch
    one or not, when ``torch_layout`` says)."""
    rng = np.random.default_rng(draw(seeds))
    if shape is None:
        dims = draw(st.sampled_from([ndim] * 20 + [0, 1, 2, 3]))
        shape = tuple(draw(st.integers(1, max_side)) for _ in range(dims))
    dims = len(shape)
    p = rng.dirichlet(np.ones(int(np.prod(shape))) * draw(st.sampled_from([0.1, 1.0, 10.0])))
    p = p.reshape(shape)
    p[rng.random(shape) < draw(st.sampled_from([0.0, 0.0, 0.3]))] = 0.0
    total = p.sum()
    p = p / total if total > 0 else p
    kind = draw(
        st.sampled_from(
            ["ok"] * 30
            + ["counts", "unnormalised", "negative", "nan", "inf", "zeros", "empty", "huge"]
            + ["subnormal", "sum_slightly_off"]
        )
    )
    if counts:
        kind = draw(
            st.sampled_from(
                ["counts"] * 6 + ["negative", "nan", "inf", "zeros", "empty", "huge", "ok"]
            )
        )
    if kind == "counts":
        p = rng.integers(0, 20, shape)
    elif kind == "unnormalised":
        p = p * 3.0
    elif kind == "negative" and p.size:
        p.reshape(-1)[0] = -0.1
    elif kind == "nan" and p.size:
        p.reshape(-1)[0] = np.nan
    elif kind == "inf" and p.size:
        p.reshape(-1)[0] = np.inf
    elif kind == "zeros":
        p = np.zeros(shape)
    elif kind == "empty":
        p = np.zeros((0,) * max(dims, 1))
    elif kind == "huge":
        p = p * 1e308
    elif kind == "subnormal":
        p = p * 5e-324
    elif kind == "sum_slightly_off":
        p = p * (1 + 1e-9)
    layouts = LAYOUTS if torch_ok else LAYOUTS[:8]
    if torch_layout is not None:
        layouts = tuple(x for x in layouts if x.startswith("torch") == torch_layout)
    layout = draw(st.sampled_from(layouts))
    dtype = draw(
        st.sampled_from(["float64"] * 4 + ["float32", "float16", ">f8", "int64", "bool", "object"])
    )
    if isinstance(p, np.ndarray) and p.dtype.kind == "f":
        p = _cast(p, dtype)
    tdt = draw(st.sampled_from(TORCH_FLOATS[:2])) if layout.startswith("torch") else None
    return lay_out(np.asarray(p), layout, tdt, grad=draw(st.booleans()))


def arrays_or_junk(strategy: st.SearchStrategy) -> st.SearchStrategy:
    """An array strategy, sometimes replaced by something that is no array at all."""
    return mostly(strategy, _hostile(3.0, "abc", [], [[1, 2], [3]]), 0.92)
