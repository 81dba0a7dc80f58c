"""THE one place that calls ``softent._core`` for the soft histogram (docs/design.md §2): the
forward kernel (batch functions, Accumulator, bootstrap, the torch custom op) and the
backward kernel (the torch custom op's autograd), with the problem both share built once.

Row z_i [D] gets the soft assignment q_ib = softmax_b(s(z_i, c_b) / T) over B bin centres;
histograms are the float64 sums of q over rows (all rows, and per label). The kernels never
materialise the N x B matrix q. Arrays cross as addresses (see ``_core.pyi``); this module
keeps the array owners alive for the duration of each call.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal, NamedTuple, NoReturn

import numpy as np

from .. import _core
from .._checks import check_fits, check_optional_int, cpu_threads, fail, kernel_threads
from .._interop import (
    View,
    device_of,
    finite_rows,
    is_torch,
    namespace,
    on_device,
    pointer,
    view,
    zeros,
)
from .._labels import LabelCodes, histogram_slots
from .bins import METRIC_CODES, Bins

__all__ = [
    "PermutedSlots",
    "ZeroRows",
    "accumulate",
    "backward",
    "check_forward_fits",
    "finite_rows",
    "forward",
    "kernel_view",
    "label_slots",
    "permute_labels",
    "zero_row_keep",
    "zero_rows_of",
]

#: what the estimators do with all-zero rows of z under cosine bins (a zero vector has no
#: direction): refuse them, leave them out, or give them the kernel's uniform assignment 1/B
ZeroRows = Literal["raise", "drop", "uniform"]
ZERO_ROWS: tuple[str, ...] = ("raise", "drop", "uniform")
_ZERO_BLOCK = 1 << 20

#: cpp/src/cpu/common/hist_reduce.h kPrivateHistBytes: below it, every thread keeps a
#: private copy of all histogram rows
_PRIVATE_HIST_BYTES = 16 << 20


def _auto_tile_rows(out_cols: int, d: int) -> int:
    """cpp/src/cpu/common/tile_loop.h auto_tile_rows (the CPU kernel's default tile)."""
    rows = (256 << 10) // max(out_cols, 1)
    rows = min(rows, max((1 << 20) // max(d, 1), 16))
    return min(max(rows, 16), 512)


def forward_bytes(
    n: int, d: int, b: int, hist_rows: int, itemsize: int, num_threads: int, tile_rows: int
) -> int:
    """Host bytes one CPU forward call needs: its float64 histograms [hist_rows, B] (all
    blocks), the centres, and per thread (:func:`cpu_threads` at most, one per tile at most)
    a gathered tile [tile, D], its scores [tile, B] and private histogram rows."""
    tile = min(tile_rows or _auto_tile_rows(b, d), max(n, 1))
    threads = min(num_threads or cpu_threads(), -(-n // tile))
    hist = hist_rows * b * 8
    private = hist if hist - b * 8 <= _PRIVATE_HIST_BYTES else b * 8
    per_thread = tile * (d + b + 1) * itemsize + private
    return hist + b * (d + 1) * itemsize + threads * per_thread


def backward_bytes(
    n: int,
    d: int,
    b: int,
    itemsize: int,
    num_threads: int,
    want_centres: bool,
    unit_rows: bool = False,
) -> int:
    """Host bytes one CPU backward call needs besides its outputs: per thread
    (:func:`cpu_threads` at most, one per tile at most) the tile's rows [tile, D] (gathered)
    and their statistics [tile], its U [tile, B], grad_z's row coefficients [tile], per-bin
    buffers (scores, softmax terms and u a_csq in z's dtype, the cotangent and grad_centre_sq
    in float64), with ``unit_rows`` (cosine) the tile's unit rows [tile, D], and with centre
    gradients a float64 [B, D] partial sum and one tile's [B, D] product
    (cpp/src/cpu/soft_hist_backward.cpp BackwardThread)."""
    tile = min(_auto_tile_rows(b, d), max(n, 1))
    threads = min(num_threads or cpu_threads(), -(-n // tile))
    per_thread = tile * (d + b + 2) * itemsize + b * (3 * itemsize + 16)
    if unit_rows:
        per_thread += tile * d * itemsize
    if want_centres:
        per_thread += b * d * (8 + itemsize)
    return b * itemsize + threads * per_thread


def check_forward_fits(
    api: str,
    n: int,
    d: int,
    b: int,
    hist_rows: int,
    itemsize: int,
    num_threads: int,
    tile_rows: int = 0,
) -> None:
    """Refuse (naming ``tile_rows`` when it was given, else ``n_bins``) a CPU forward call
    whose buffers (:func:`forward_bytes`) would not fit in the available memory."""
    needed = forward_bytes(n, d, b, hist_rows, itemsize, num_threads, tile_rows)
    if tile_rows:
        check_fits(api, "tile_rows", f"{tile_rows} (with {b} bins)", needed)
    check_fits(
        api, "n_bins", f"{b} (with {hist_rows} histogram rows, {n} rows x {d} features)", needed
    )


def kernel_view(api: str, z: Any) -> View:
    """The C++ view of ``z`` [N, D] (from :func:`softent._interop.as_float_rows`), refusing
    a CUDA tensor on a build without CUDA."""
    v = view(z)
    if v.device >= 0 and not _core.build_info()["cuda"]:
        fail(
            api,
            "z",
            "on the CPU (this softent build has no CUDA support)",
            f"a tensor on cuda:{v.device}",
            RuntimeError,
        )
    return v


#: the C++ integer types of the params structs' int fields (cpp/include/softent/params/soft.h)
_C_INTS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1), "uint64": (0, 2**64 - 1)}


def _c_int(api: str, name: str, value: Any, ctype: str) -> int:
    """``value`` as an int that fits the C++ field's type ``ctype``, else a ValueError
    naming the argument (pybind11 would raise a bare TypeError about the signature)."""
    lo, hi = _C_INTS[ctype]
    v = int(value)
    if not lo <= v <= hi:
        fail(api, name, f"an int in [{lo}, {hi}] (a C++ {ctype})", v)
    return v


def _view2d(v: View) -> _core.View2D:
    out = _core.View2D()
    out.data = v.ptr
    out.rows, out.cols = v.shape
    out.stride_row, out.stride_col = v.strides
    out.dtype = v.dtype_code
    out.device = v.device
    return out


def _params(
    v: View,
    centres: Any,
    centre_sq: Any,
    slots: Any,
    hist_rows: int,
    metric: int,
    inv_temperature: Any,
    num_threads: int,
    tile_rows: int,
    origin: Any,
    api: str,
) -> _core.SoftHistParams:
    """THE builder of the kernel's params struct (SoftHistParams in
    cpp/include/softent/params/soft.h), field by field: the fields the forward and the
    backward share. ``slots`` [S, N] int32 in z's memory, or None / S = 0. ``origin`` [D]
    in z's dtype and memory, or None: rows are read as z_i - origin, and the centres are
    relative to it (:meth:`Bins.prepared`)."""
    n_sets = 0 if slots is None else int(slots.shape[0])
    p = _core.SoftHistParams()
    p.z = _view2d(v)
    p.centres = _view2d(view(centres))
    p.centre_sq = pointer(centre_sq)
    p.origin = pointer(origin)
    p.slots = pointer(slots) if n_sets else 0
    p.n_sets = n_sets
    p.hist_rows = _c_int(api, "labels", hist_rows, "int64")
    p.metric = int(metric)
    p.inv_temperature = float(inv_temperature)
    p.num_threads = kernel_threads(_c_int(api, "num_threads", num_threads, "int32"))
    p.tile_rows = _c_int(api, "tile_rows", tile_rows, "int64")
    p.stream = v.stream
    return p


def forward(
    v: View,
    centres: Any,
    centre_sq: Any,
    slots: Any,
    hist: Any,
    hist_rows: int,
    metric: int,
    inv_temperature: Any,
    num_threads: int,
    *,
    tile_rows: int = 0,
    replicates: int = 0,
    replicate_seed: int = 0,
    row_offset: int = 0,
    replicate_offset: int = 0,
    dots_out: Any = None,
    origin: Any = None,
    permuted: PermutedSlots | None = None,
    api: str = "soft_histogram",
) -> int:
    """Add the soft histograms of the rows of ``v`` into ``hist`` [(1 + replicates) *
    hist_rows, B] float64 (z's memory). ``centres`` [B, D] contiguous in z's dtype (unit
    rows for cosine; relative to ``origin`` [D] when given, see :func:`_params`),
    ``centre_sq`` [B] float64, ``metric`` a :data:`METRIC_CODES` value,
    ``inv_temperature`` 1/T. ``dots_out``: [N, B] in z's dtype to keep <z_i, c_b>, or None.
    Returns the first row with NaN/Inf, or -1. The array owners stay referenced here until
    the kernel returns, so the addresses in the struct stay valid. A CPU call whose buffers
    would not fit in memory is refused first (:func:`check_forward_fits`)."""
    if v.device < 0:
        n, d = v.shape
        rows = (1 + int(replicates)) * int(hist_rows)
        b = int(centres.shape[0])
        itemsize = 4 if v.dtype_code == 0 else 8
        check_forward_fits(api, n, d, b, rows, itemsize, num_threads, tile_rows)
    p = _params(
        v,
        centres,
        centre_sq,
        slots,
        hist_rows,
        metric,
        inv_temperature,
        num_threads,
        tile_rows,
        origin,
        api,
    )
    p.hist = pointer(hist)
    p.replicates = _c_int(api, "bootstrap", replicates, "int64")
    p.replicate_seed = _c_int(api, "bootstrap_seed", replicate_seed, "uint64")
    p.row_offset = _c_int(api, "row_offset", row_offset, "int64")
    p.replicate_offset = _c_int(api, "replicate_offset", replicate_offset, "int64")
    p.dots_out = pointer(dots_out)
    if permuted is not None:
        codes = permuted.codes  # in z's memory (accumulate moves it there)
        p.perm_codes = pointer(codes)
        p.perm_code_bytes = int(codes.element_size() if is_torch(codes) else codes.itemsize)
        p.perm_sets, p.permutations = int(codes.shape[0]), int(codes.shape[1])
        p.perm_internal = int(permuted.internal)
        p.perm_first_row = int(permuted.first_row)
        p.perm_block = int(permuted.block)
        p.perm_internal_stride = int(permuted.internal_stride)
    return _core.soft_histogram(p)


def backward(
    v: View,
    centres: Any,
    centre_sq: Any,
    slots: Any,
    hist_rows: int,
    metric: int,
    inv_temperature: Any,
    num_threads: int,
    *,
    grad_hist: Any,
    grad_z: Any,
    grad_centres: Any,
    grad_centre_sq: Any,
    grad_inv_temperature: Any,
    dots: Any,
    origin: Any = None,
    api: str = "soft_histogram_backward",
) -> None:
    """Reduce the cotangent ``grad_hist`` [hist_rows, B] float64 (contiguous) of
    :func:`forward`'s histograms into the gradients that are not None: ``grad_z`` [N, D]
    (z's dtype), ``grad_centres`` [B, D], ``grad_centre_sq`` [B], ``grad_inv_temperature``
    [] (float64, zeroed: added into). ``dots``: the forward's kept [N, B] dots, or None."""
    if v.device < 0:
        n, d = v.shape
        b = int(centres.shape[0])
        needed = backward_bytes(
            n,
            d,
            b,
            4 if v.dtype_code == 0 else 8,
            num_threads,
            grad_centres is not None,
            unit_rows=int(metric) == METRIC_CODES["cosine"],
        )
        check_fits(api, "n_bins", f"{b} (the backward's buffers, {n} rows x {d} features)", needed)
    g = _core.SoftHistGradParams()
    g.fwd = _params(
        v,
        centres,
        centre_sq,
        slots,
        hist_rows,
        metric,
        inv_temperature,
        num_threads,
        0,
        origin,
        api,
    )
    g.grad_hist = pointer(grad_hist)
    g.dots = pointer(dots)
    g.grad_z = pointer(grad_z)
    g.grad_centres = pointer(grad_centres)
    g.grad_centre_sq = pointer(grad_centre_sq)
    g.grad_inv_temperature = pointer(grad_inv_temperature)
    _core.soft_histogram_backward(g)


def label_slots(codes: LabelCodes) -> np.ndarray:
    """Kernel slots [1, N] int32 of one label set: histogram row 1 + code (row 0 holds all
    rows), -1 for a masked row."""
    return histogram_slots(codes.codes, 1)[None, :]


def accumulate(
    api: str,
    z: Any,
    bins: Bins,
    slots: np.ndarray | None,
    hist: Any,
    *,
    num_threads: int = 0,
    tile_rows: int | None = None,
    replicates: int = 0,
    replicate_seed: int = 0,
    row_offset: int = 0,
    replicate_offset: int = 0,
    permuted: PermutedSlots | None = None,
) -> None:
    """Add the soft assignments of the rows of ``z`` [N, D] into ``hist`` [R, B] float64
    (row 0: every row; row slots[s, i] >= 1: label set s). ``z`` comes from
    :func:`as_float_rows`; ``hist`` lives on z's device. Raises on non-finite rows.

    ``permuted`` (:class:`PermutedSlots`, replicates = 0 only): R permutations of label
    sets as compact codes, each permutation one more label set of the same pass.

    With ``replicates`` = M > 0, ``hist`` is [(1 + M) * R, B]: block 0 as above, block r the
    same sums with row i weighted by its Poisson(1) bootstrap weight, a function of
    (replicate_seed, row_offset + i, replicate_offset + r - 1) only
    (cpp/include/softent/math/bootstrap.h)."""
    v = kernel_view(api, z)
    centres, csq, origin = bins.prepared(v.dtype_code, v.device)
    slots_dev: Any = None
    if slots is not None:
        slots_dev = on_device(np.ascontiguousarray(slots, dtype=np.int32), v.device)
    # 0: automatic; a tile never needs more rows than z has
    tile = min(check_optional_int(api, "tile_rows", tile_rows, lo=1) or 0, v.shape[0])
    if permuted is not None:
        permuted = permuted._replace(codes=on_device(permuted.codes, v.device))
    bad = forward(
        v,
        centres,
        csq,
        slots_dev,
        hist,
        int(hist.shape[0]) // (1 + replicates),
        METRIC_CODES[bins.metric],
        1.0 / bins.temperature,
        num_threads,
        tile_rows=tile,
        replicates=replicates,
        replicate_seed=replicate_seed,
        row_offset=row_offset,
        replicate_offset=replicate_offset,
        origin=origin,
        permuted=permuted,
        api=api,
    )
    if bad >= 0:
        refuse_row(api, z, bad, bins.metric)


class PermutedSlots(NamedTuple):
    """The permuted label sets of a kernel pass (SoftHistParams perm_* in
    cpp/include/softent/params/soft.h): ``codes`` [S, R, N / internal] uint8/uint16/uint32
    (the dtype's largest value: masked) of S sets, each code already offset to its set's
    first label row; kernel row i with code c in permutation j adds into histogram row
    ``first_row + j * block + c + (i % internal) * internal_stride``."""

    codes: Any
    internal: int
    first_row: int
    block: int
    internal_stride: int


def code_dtype(n_codes: int) -> type[np.unsignedinteger]:
    """The narrowest unsigned dtype whose values hold codes 0..n_codes-1 and, above them, its
    largest value as the masked marker."""
    if n_codes < 2**8 - 1:
        return np.uint8
    if n_codes < 2**16 - 1:
        return np.uint16
    return np.uint32


def permute_labels(
    codes: np.ndarray,
    out: np.ndarray,
    *,
    seed: int,
    row_offset: int,
    set_key: int,
    skip_code: int = -1,
    num_threads: int = 0,
) -> np.ndarray:
    """Write into ``out`` [R, N] (uint8/uint16/uint32, C-contiguous, host) R permutations
    of the labelled entries of ``codes`` [N] int32 (-1: masked, written as the dtype's
    largest value) among the labelled positions: permutation j is the Fisher-Yates shuffle
    of the labelled codes in row order driven by the SplitMix64 stream
    permutation_key(seed, row_offset, set_key, j) with Lemire's unbiased bounded integers
    (cpp/include/softent/math/permute.h; independent of the thread count). ``skip_code``
    >= 0: that code is written as masked after the shuffle (the caller derives its
    histograms from the set's total)."""
    c = np.ascontiguousarray(codes, dtype=np.int32)
    if not (out.flags.c_contiguous and out.ndim == 2 and out.shape[1] == c.shape[0]):
        raise AssertionError("permute_labels: out must be a C-contiguous [R, N] array")
    p = _core.PermuteLabelsParams()
    p.codes = pointer(c) if c.size else 0
    p.n = int(c.shape[0])
    p.out = pointer(out) if out.size else 0
    p.code_bytes = int(out.itemsize)
    p.permutations = int(out.shape[0])
    p.seed, p.row_offset, p.set_key = int(seed), int(row_offset), int(set_key)
    p.skip_code = int(skip_code)
    p.num_threads = kernel_threads(num_threads)
    _core.permute_labels(p)
    return out


def refuse_row(api: str, z: Any, row: int, metric: str) -> NoReturn:
    """Raise for the row the kernel reported (its scores or their softmax were not finite):
    a row with NaN/Inf is named as such; a finite row is one whose scores overflow the
    data's float type, which is said with the range that works (never called NaN/Inf)."""
    r = z[row]
    xp = namespace(r)
    if not bool(xp.isfinite(r).all()):
        fail(api, "z", "finite (or pass nonfinite='drop')", f"NaN/Inf in row {row}")
    big = float(xp.abs(r).max())
    dtype = "float32" if (r.element_size() if is_torch(r) else r.itemsize) == 4 else "float64"
    top = float(np.finfo(dtype).max)
    what = {
        "euclidean": f"||z_i - c||^2 < {top:.3g} (the squared distance)",
        "sqeuclidean": f"||z_i - c||^2 < {top:.3g}",
        "cosine": f"||z_i|| < {top:.3g}",
        "dot": f"|<z_i, c>| < {top:.3g}",
    }[metric]
    fail(
        api,
        "z",
        f"rows whose {metric} scores fit in {dtype} ({what} for every centre c; rescale z "
        + ("or pass float64" if dtype == "float32" else "")
        + ")",
        f"row {row}, finite (max |z_ij| = {big:.3g}) with scores that overflow",
    )


def new_hist(z: Any, rows: int, n_bins: int) -> Any:
    """A zeroed float64 histogram [rows, n_bins] in the memory of z's device."""
    return zeros((rows, n_bins), device_of(z))


# ----------------------------------------------------------------------------- all-zero rows
# Under cosine bins a row z_i = 0 has no direction: its scores are all 0 and the kernel
# gives it the uniform assignment 1/B (H = log B for a set of such rows), a number peers
# report as NaN. Dead ReLUs and padding produce such rows, so the estimators refuse them
# unless told what they mean.


def check_zero_rows(api: str, zero_rows: Any) -> str:
    """``zero_rows`` if it is 'raise', 'drop' or 'uniform' (ValueError otherwise)."""
    if not isinstance(zero_rows, str) or zero_rows not in ZERO_ROWS:
        fail(api, "zero_rows", "'raise', 'drop' or 'uniform'", repr(zero_rows))
    return zero_rows


def zero_rows_of(x: Any) -> np.ndarray:
    """Boolean mask [N] (host) of the rows of ``x`` [N, D] whose entries are all 0 (-0.0
    included; NaN is not 0), a block of rows at a time (the temporary is ~1 MB, never
    [N, D]). Tiny but nonzero rows (1e-30) are not zero rows: the kernel's scale-safe
    norms give them their direction."""
    n = int(x.shape[0])
    step = max(1, _ZERO_BLOCK // max(int(x.shape[1]), 1))
    if is_torch(x):
        t = x.detach()
        parts = [(t[a : a + step] != 0).any(dim=1).logical_not() for a in range(0, n, step)]
        import torch

        return torch.cat(parts).cpu().numpy() if parts else np.zeros(0, bool)
    a_ = np.asarray(x)
    out = np.empty(n, dtype=bool)
    for a in range(0, n, step):
        # any() of floats reduces without a [block, D] temporary (2x faster than != 0)
        np.logical_not(a_[a : a + step].any(axis=1), out=out[a : a + step])
    return out


def zero_row_keep(
    api: str, rows: Any, metric: str, zero_rows: Any, arg: str = "z"
) -> np.ndarray | None:
    """Apply the ``zero_rows`` policy to ``rows`` [N, D] under ``metric``: None when
    nothing is to be left out (no zero rows, 'uniform', or a metric other than cosine,
    where a zero row has well-defined scores); for 'drop' the host mask [N] of the rows to
    keep, after a UserWarning saying how many rows it left out; for 'raise' a ValueError
    naming the first zero row and the two other policies."""
    policy = check_zero_rows(api, zero_rows)
    if metric != "cosine" or policy == "uniform":
        return None
    zero = zero_rows_of(rows)
    n_zero = int(zero.sum())
    if n_zero == 0:
        return None
    n = int(zero.shape[0])
    if policy == "raise":
        fail(
            api,
            arg,
            "free of all-zero rows under metric='cosine' (a zero vector has no direction; "
            "pass zero_rows='drop' to leave them out, or zero_rows='uniform' to give them "
            "the uniform assignment 1/B)",
            f"{n_zero} all-zero row{'s' if n_zero > 1 else ''} of {n} "
            f"(first: row {int(np.argmax(zero))})",
        )
    if n_zero == n:
        fail(api, arg, "not only all-zero rows (zero_rows='drop' would leave none)", f"{n} rows")
    warnings.warn(
        f"softent.{api}: zero_rows='drop' left out {n_zero} all-zero row"
        f"{'s' if n_zero > 1 else ''} of {n}",
        UserWarning,
        stacklevel=3,
    )
    return ~zero
