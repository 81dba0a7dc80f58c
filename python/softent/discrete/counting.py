"""Counting discrete codes: samples -> histograms, the first step of every plug-in
estimate of entropy and mutual information (Cover & Thomas, *Elements of Information
Theory*, 2nd ed., §2: p(x) = N_x / N).

``x`` is a sample of N discrete observations: a 1-D array [N] of integers (any int, uint
or bool dtype) or strings, or a 2-D array [N, m] whose rows are joint observations of m
columns. NumPy arrays, lists, and torch tensors (CPU or CUDA) are accepted; torch in ->
torch out on the input's device (CUDA tensors are counted by the CUDA kernels, the
results never leave the device), NumPy in -> NumPy out. Counts are int64, or float64
sums of ``weights`` when given (non-negative, finite). Nothing passed in is modified.

- :func:`encode`: any such sample -> dense integer codes 0..K-1 (:class:`Encoded`).
- :func:`histogram`: counts [K] of one sample.
- :func:`joint_counts`: the joint table of two samples, dense [Kx, Ky] or sparse (sorted
  occupied cells), with both marginals (:class:`JointCounts`).
- :func:`column_tables`: the joint table of every column of a code matrix with one label
  column, in one pass (:class:`ColumnTables`).
- :func:`pair_tables`: the joint tables of many column pairs of one code matrix, in one
  pass (:class:`PairTables`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from .._checks import check_fits, check_threads, check_total, fail, is_int
from .._interop import as_array, is_torch, to_numpy
from .._labels import _DENSE_RANGE_FACTOR
from . import _kernel

__all__ = [
    "ColumnTables",
    "Encoded",
    "JointCounts",
    "PairTables",
    "column_tables",
    "encode",
    "histogram",
    "joint_counts",
    "pair_tables",
]

#: codes this far beyond int64's reach are never formed: a mixed-radix product above it
#: is re-ranked first (products of two alphabets of <= N distinct values stay below it)
_PRODUCT_LIMIT = 1 << 62
#: default dense limit of :func:`joint_counts`: a dense table takes at most this many bytes
DEFAULT_MAX_DENSE_BYTES = 256 << 20
#: ... and has at most this many cells per row counted (beyond, most cells stay empty and
#: the sparse layout, O(N), is both smaller and faster than zeroing and scanning the table)
DENSE_CELLS_PER_ROW = 16
_DENSE_CELLS_MIN = 1 << 16

_QUANTISE = "integers or strings (quantise floats first, e.g. softent.discrete.quantise)"


def _api(api: str) -> str:
    """The api name as :func:`softent._checks.fail` wants it (without 'softent.')."""
    return api.removeprefix("softent.")


def _dense_range(n: int) -> int:
    """A column of non-negative integers below this is used as its own codes (alphabet
    max + 1, no sort): the idea of softent._labels (token ids, class ids, quantised levels)."""
    return _DENSE_RANGE_FACTOR * n + 1024


# ----------------------------------------------------------------------------- results


class _Result:
    """Short repr (array shapes, never their values) and ``as_dict`` for the results."""

    def __repr__(self) -> str:
        parts = []
        for f in fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            if hasattr(v, "shape") and hasattr(v, "dtype"):
                parts.append(f"{f.name}=<{_dtype_name(v)} {list(v.shape)}>")
            elif isinstance(v, tuple) and len(v) > 8:
                parts.append(f"{f.name}=<{len(v)} entries>")
            elif isinstance(v, tuple) and any(hasattr(e, "shape") for e in v):
                parts.append(f"{f.name}=({', '.join(_short(e) for e in v)})")
            else:
                parts.append(f"{f.name}={v!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def as_dict(self) -> dict[str, Any]:
        """JSON-able dict: arrays as (nested) lists, None kept."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]


def _short(v: Any) -> str:
    if hasattr(v, "shape") and hasattr(v, "dtype"):
        return f"<{_dtype_name(v)} {list(v.shape)}>"
    return repr(v)


def _dtype_name(v: Any) -> str:
    return str(v.dtype).removeprefix("torch.")


def _jsonable(v: Any) -> Any:
    if v is None or isinstance(v, (int, float, str, bool)):
        return v
    if isinstance(v, tuple):
        return [_jsonable(e) for e in v]
    return to_numpy(v).tolist()


@dataclass(frozen=True, repr=False)
class Encoded(_Result):
    """A sample of N discrete observations as dense integer codes.

    ``codes`` [N] int64 in [0, size) (NumPy, or a torch tensor on the input's device);
    ``size`` the alphabet size K (every code < K; some codes may be absent from the
    sample); ``column_sizes`` [m] the alphabet of each input column after encoding;
    ``values[j]`` the sorted original values of column j when it was re-coded (strings,
    negative integers, sparse ranges: code k means ``values[j][k]``), None when column j's
    codes are its values. With several columns, ``codes`` is the mixed-radix code
    ((c_0 K_1 + c_1) K_2 + ...) when the product of the column sizes fits, else the rank
    of the row among the distinct rows present (size = their number).
    """

    codes: Any
    size: int
    column_sizes: tuple[int, ...]
    values: tuple[Any, ...] | None


@dataclass(frozen=True, repr=False)
class JointCounts(_Result):
    """The joint histogram of two samples x, y of N observations.

    ``n`` the total count (N, or the sum of the weights); ``counts_x`` [Kx] and
    ``counts_y`` [Ky] the marginal counts; dense layout: ``table`` [Kx, Ky] (cell (a, b)
    counts the rows with x = a, y = b), ``keys``/``values`` None; sparse layout (when the
    table would not fit, see :func:`joint_counts`): ``table`` None, ``keys`` [U] int64 the
    sorted occupied cells a * Ky + b, ``values`` [U] their counts. int64 counts, float64
    with weights; NumPy, or torch on the input's device.
    """

    n: float
    counts_x: Any
    counts_y: Any
    table: Any | None
    keys: Any | None
    values: Any | None

    @property
    def dense(self) -> bool:
        """True for the dense layout (``table``), False for the sparse one (``keys``)."""
        return self.table is not None

    @property
    def shape(self) -> tuple[int, int]:
        """(Kx, Ky): the alphabet sizes of x and y."""
        return int(self.counts_x.shape[0]), int(self.counts_y.shape[0])

    def nonzero(self) -> Any:
        """[U] the non-zero counts of the joint cells, in cell order (a * Ky + b), the same
        array for either layout: what a plug-in joint entropy sums over."""
        if self.table is not None:
            flat = self.table.reshape(-1)
            return flat[flat != 0]
        return self.values[self.values != 0]


@dataclass(frozen=True, repr=False)
class ColumnTables(_Result):
    """The joint table of each column j of a code matrix x [N, m] with one label sample y.

    ``tables`` [m, Kmax, Ky]: cell (j, a, b) counts the rows with x[:, j] = a, y = b (cells
    a >= sizes[j] are zero padding); ``sizes`` [m] int64 the alphabet of each column;
    ``counts_y`` [Ky] the counts of y; ``n`` the total count; ``values`` per column the
    sorted original values when the column was re-coded, else None (as :class:`Encoded`).
    """

    n: float
    tables: Any
    sizes: Any
    counts_y: Any
    values: tuple[Any, ...]


@dataclass(frozen=True, repr=False)
class PairTables(_Result):
    """The joint tables of column pairs of one code matrix x [N, m].

    ``tables`` [P, Kmax, Kmax]: cell (p, a, b) counts the rows with x[:, i] = a and
    x[:, j] = b for (i, j) = ``pairs[p]``; ``pairs`` [P, 2] int64 (NumPy); ``sizes`` [m]
    int64 the alphabet of each column (cells beyond them are zero padding); ``n`` the
    total count; ``values`` per column as in :class:`ColumnTables`.
    """

    n: float
    tables: Any
    pairs: np.ndarray
    sizes: Any
    values: tuple[Any, ...]


# ----------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class _Sample:
    """A validated input: ``arr`` a NumPy array (host) or a torch CUDA tensor, 1-D or 2-D;
    ``out`` the torch device results go to, None for NumPy results."""

    arr: Any
    out: Any


def _sample(x: Any, name: str, api: str) -> _Sample:
    """``x`` as an integer or string array the kernels can read, refusing everything else
    with a message naming ``name``."""
    out = None
    if is_torch(x):
        t = x.detach()
        out = t.device
        if t.device.type == "cpu":
            arr: Any = t.numpy()  # a view: the CPU kernels read torch's memory
        elif t.device.type == "cuda":
            arr = t
        else:
            fail(api, name, "on the CPU or a CUDA device", t.device, RuntimeError)
    else:
        arr = as_array(x, api, name)
    if arr.ndim not in (1, 2):
        fail(api, name, "a 1-D [N] or 2-D [N, m] array", f"shape {tuple(arr.shape)}")
    if arr.shape[0] == 0 or (arr.ndim == 2 and arr.shape[1] == 0):
        fail(api, name, "non-empty (N >= 1 rows, m >= 1 columns)", f"shape {tuple(arr.shape)}")
    kind = _kind(arr)
    if kind == "f":
        fail(api, name, _QUANTISE, f"dtype {_dtype_name(arr)}", TypeError)
    if kind not in "ibs":
        fail(api, name, "integers or strings", f"dtype {_dtype_name(arr)}", TypeError)
    if kind == "s" and out is None and arr.dtype.kind == "O":
        bad = next((v for v in arr.reshape(-1) if not isinstance(v, (str, bytes))), None)
        if bad is not None:
            fail(api, name, "integers or strings", f"an object array holding {bad!r}", TypeError)
    if not is_torch(arr) and kind in "ib":
        if not arr.dtype.isnative:
            arr = arr.astype(arr.dtype.newbyteorder("="))  # the kernels read native integers
        if not arr.flags.aligned or any(s % arr.itemsize for s in arr.strides):
            arr = np.ascontiguousarray(arr)  # the kernels address whole elements
    return _Sample(arr, out)


def _kind(arr: Any) -> str:
    """'i' integers, 'b' booleans, 's' strings, 'f' floating, else the NumPy kind."""
    if is_torch(arr):
        import torch

        if arr.dtype == torch.bool:
            return "b"
        if arr.is_floating_point() or arr.is_complex():
            return "f"
        return "i"
    k = arr.dtype.kind
    if k in "iu":
        return "i"
    if k in "fc":
        return "f"
    if k in "USO":
        return "s"
    return k


def _to_out(arr: Any, out: Any) -> Any:
    """A kernel result in the caller's library: NumPy, or torch on ``out``."""
    if out is None or arr is None:
        return arr
    if is_torch(arr):
        return arr
    import torch

    return torch.from_numpy(np.ascontiguousarray(arr)).to(out)


def _unique(a: Any) -> tuple[Any, Any]:
    """(sorted distinct values, int64 inverse) of a 1-D array, in its library."""
    if is_torch(a):
        import torch

        values, inverse = torch.unique(a, sorted=True, return_inverse=True)
        return values, inverse.to(torch.int64)
    values, inverse = np.unique(a, return_inverse=True)
    return values, inverse.reshape(-1).astype(np.int64, copy=False)


def _as_int64(a: Any) -> Any:
    if is_torch(a):
        import torch

        return a if a.dtype == torch.int64 else a.to(torch.int64)
    return a.astype(np.int64, copy=False)


def _column_ranges(arr: Any) -> tuple[np.ndarray, np.ndarray]:
    """Host int (object-free) per-column min and max of an integer [N] or [N, m] array."""
    if is_torch(arr):
        import torch

        t = arr if arr.ndim == 2 else arr[:, None]
        if t.dtype == torch.bool:
            t = t.view(torch.uint8)
        lo, hi = torch.aminmax(t, dim=0)
        return lo.cpu().numpy().astype(object), hi.cpu().numpy().astype(object)
    a = arr if arr.ndim == 2 else arr[:, None]
    if a.dtype == np.bool_:
        a = a.view(np.uint8)
    if a.dtype.kind == "u":  # unsigned codes cannot be negative: one pass fewer
        hi = a.max(axis=0).astype(object)
        return np.zeros(hi.shape, dtype=object), hi
    lo, hi = _blocked_min_max(a)
    return lo.astype(object), hi.astype(object)


#: rows of a [N, m] array whose min and max are taken together (about this many bytes):
#: the block is read from memory once and again from cache (measured: N = 10**5, m = 1000,
#: int64: ~20% less time than two whole-array passes)
_RANGE_BLOCK_BYTES = 1 << 20


def _blocked_min_max(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(min, max) over axis 0 of a 2-D NumPy array, block of rows by block of rows."""
    n = int(a.shape[0])
    rows = max(1, _RANGE_BLOCK_BYTES // max(1, abs(a.strides[0])))
    if n <= rows:
        return a.min(axis=0), a.max(axis=0)
    lo, hi = a[:rows].min(axis=0), a[:rows].max(axis=0)
    for i in range(rows, n, rows):
        b = a[i : i + rows]
        np.minimum(lo, b.min(axis=0), out=lo)
        np.maximum(hi, b.max(axis=0), out=hi)
    return lo, hi


def _encode_columns(arr: Any) -> tuple[Any, list[int], list[Any]]:
    """(codes [N, m] or [N], sizes [m], values [m]) of an integer or string array, each
    column coded separately: a column of non-negative integers below :func:`_dense_range`
    keeps its values (and dtype: no copy of the whole array when every column does), any
    other is ranked among its distinct values (int64)."""
    n = int(arr.shape[0])
    one = arr.ndim == 1
    m = 1 if one else int(arr.shape[1])
    if _kind(arr) == "s":
        cols = [arr] if one else [arr[:, j] for j in range(m)]
        ranked = [_unique(c) for c in cols]
        codes = ranked[0][1] if one else np.stack([r[1] for r in ranked], axis=1)
        return codes, [int(r[0].shape[0]) for r in ranked], [r[0] for r in ranked]
    if _kind(arr) == "b":
        arr = _kernel._bool_as_uint8(arr)
    lo, hi = _column_ranges(arr)
    limit = _dense_range(n)
    fast = [bool(lo[j] >= 0 and hi[j] < limit) for j in range(m)]
    sizes = [int(hi[j]) + 1 if fast[j] else 0 for j in range(m)]
    values: list[Any] = [None] * m
    if all(fast):
        return arr, sizes, values
    if one:
        values[0], codes = _unique(arr)
        return codes, [int(values[0].shape[0])], values
    codes = _as_int64(arr)
    if codes is arr:
        codes = codes.clone() if is_torch(codes) else codes.copy()
    for j in range(m):
        if not fast[j]:
            values[j], codes[:, j] = _unique(arr[:, j])
            sizes[j] = int(values[j].shape[0])
    return codes, sizes, values


def _joint_code(codes: Any, sizes: list[int], num_threads: int, api: str) -> tuple[Any, int]:
    """(codes [N] int64, size) of the rows of ``codes`` [N, m]: the mixed-radix code
    (cpp math/codes.h) when the product of ``sizes`` fits, ranked among the distinct rows
    present when it exceeds the dense range."""
    n = int(codes.shape[0])
    prod = 1
    for k in sizes:
        prod *= k
    if prod <= _PRODUCT_LIMIT:
        out, bad = _kernel.encode_rows(codes, sizes, num_threads, api)
        if bad >= 0:  # the column ranges were measured just before: a bug if reached
            raise AssertionError(f"softent.{api}: row {bad} outside its column sizes")
        size = prod
    else:
        # Fold the columns left to right, re-ranking the partial code whenever the next
        # product would leave int64 (after a re-rank the partial alphabet is <= N).
        out, size = _as_int64(codes[:, 0]), sizes[0]
        for j in range(1, len(sizes)):
            if size * sizes[j] > _PRODUCT_LIMIT:
                values, out = _unique(out)
                size = int(values.shape[0])
            out = out * sizes[j] + _as_int64(codes[:, j])
            size *= sizes[j]
    if size > _dense_range(n):
        values, out = _unique(out)
        size = int(values.shape[0])
    return out, size


@dataclass(frozen=True)
class _Codes:
    """An encoded sample for the kernels: ``codes`` [N] in any integer dtype (the input's
    own on the fast path), NumPy or torch CUDA; ``out`` as in :class:`_Sample`."""

    codes: Any
    size: int
    column_sizes: tuple[int, ...]
    values: tuple[Any, ...]
    out: Any


def _encoded(x: Any, name: str, api: str, num_threads: int) -> _Codes:
    """Encode ``x`` (anything :func:`encode` takes, or an :class:`Encoded`)."""
    if isinstance(x, Encoded):
        codes, out = x.codes, None
        if is_torch(codes):
            out = codes.device
            if codes.device.type == "cpu":
                codes = codes.numpy()
        values = x.values if x.values is not None else (None,) * len(x.column_sizes)
        return _Codes(codes, int(x.size), tuple(x.column_sizes), tuple(values), out)
    s = _sample(x, name, api)
    codes, sizes, values = _encode_columns(s.arr)
    if codes.ndim == 2 and codes.shape[1] == 1:
        codes = codes[:, 0]
    if codes.ndim == 1:
        return _Codes(codes, sizes[0], tuple(sizes), tuple(values), s.out)
    joint, size = _joint_code(codes, sizes, num_threads, api)
    return _Codes(joint, size, tuple(sizes), tuple(values), s.out)


def _weights(weights: Any, n: int, like: Any, api: str) -> Any:
    """None, or ``weights`` [N] as contiguous float64 in the memory of ``like`` (the
    codes), after checking they are finite and >= 0 (named 'weights')."""
    if weights is None:
        return None
    if is_torch(weights):
        import torch

        w: Any = weights.detach()
        kind = "f" if (w.is_floating_point()) else ("b" if w.dtype == torch.bool else "i")
        if w.is_complex():
            kind = "c"
    else:
        w = as_array(weights, api, "weights")
        kind = w.dtype.kind if w.dtype.kind != "u" else "i"
    if kind not in "fi":
        fail(api, "weights", "real numbers", f"dtype {_dtype_name(w)}", TypeError)
    if tuple(w.shape) != (n,):
        fail(api, "weights", f"a 1-D array of length N={n}", f"shape {tuple(w.shape)}")
    if is_torch(like):
        import torch

        w = torch.as_tensor(w, device=like.device).to(torch.float64).contiguous()
        finite = torch.isfinite(w)
        if not bool(finite.all()):
            first = int(torch.nonzero(~finite)[0, 0])
            fail(api, "weights", "finite and >= 0", f"NaN/Inf at index {first}")
        negative = w < 0
        if bool(negative.any()):
            first = int(torch.nonzero(negative)[0, 0])
            fail(api, "weights", "finite and >= 0", f"{float(w[first])} at index {first}")
        check_total(api, "weights", float(w.sum()))
        return w
    w = np.ascontiguousarray(to_numpy(w), dtype=np.float64)
    finite = np.isfinite(w)
    if not finite.all():
        fail(api, "weights", "finite and >= 0", f"NaN/Inf at index {int(np.argmin(finite))}")
    if (w < 0).any():
        first = int(np.argmax(w < 0))
        fail(api, "weights", "finite and >= 0", f"{w[first]} at index {first}")
    # every count is a part of the total: a finite, normal total keeps them all finite
    check_total(api, "weights", w)
    return w


def _total(weights: Any, n: int) -> float:
    return float(n) if weights is None else float(weights.sum())


def _same_rows(a: _Codes, b: _Codes, api: str, name: str = "y") -> None:
    na, nb = int(a.codes.shape[0]), int(b.codes.shape[0])
    if na != nb:
        fail(api, name, f"of x's length N={na}", f"N={nb}")
    da = a.codes.device if is_torch(a.codes) else None
    db = b.codes.device if is_torch(b.codes) else None
    if da != db:
        where = "host memory" if da is None else str(da)
        fail(api, name, f"in x's memory ({where})", "cpu" if db is None else db, RuntimeError)


def _pair_dtype(x: Any, y: Any) -> Any:
    """``y`` in a dtype the two-input kernels pair with x's (x's own, or int64)."""
    return y if _kernel.dtype_name(y) in (_kernel.dtype_name(x), "int64") else _as_int64(y)


def _fits(api: str, arg: str, actual: str, needed: int) -> None:
    """Refuse a call whose outputs and buffers (``needed`` bytes) cannot exist."""
    if needed >= 1 << 62:
        fail(api, arg, f"small enough to count (the call would need {needed} bytes)", actual)
    check_fits(api, arg, actual, needed)


# ----------------------------------------------------------------------------- public API


def encode(x: Any, *, name: str = "x", api: str = "softent.discrete.encode") -> Encoded:
    """Encode a sample of N discrete observations as dense codes (:class:`Encoded`).

    ``x``: [N] or [N, m] integers (any int, uint or bool dtype) or strings; NumPy, lists,
    or torch tensors (CPU or CUDA: the codes stay on the device). A column of non-negative
    integers whose maximum is below 4 N + 1024 is its own codes (alphabet max + 1, found
    in one pass, no sort); any other column is ranked among its sorted distinct values.
    Several columns become one joint code (see :class:`Encoded`). ``name`` and ``api``
    name the argument and the function in error messages (callers pass their own).
    Floats are refused: quantise them first (e.g. softent.discrete.quantise).
    """
    a = _api(api)
    c = _encoded(x, name, a, 0)
    values = None if all(v is None for v in c.values) else c.values
    return Encoded(_to_out(_as_int64(c.codes), c.out), c.size, c.column_sizes, values)


def histogram(x: Any, *, weights: Any = None, num_threads: int | None = None) -> Any:
    """Counts [K] of the codes of ``x`` (anything :func:`encode` takes, or an
    :class:`Encoded`): counts[k] = the number of rows with code k (int64), or the sum of
    their ``weights`` [N] (float64, finite, >= 0). K is the alphabet size of the encoding.
    NumPy out, or torch on x's device. ``num_threads``: CPU threads (None: OpenMP's default).
    """
    api = "discrete.histogram"
    nt = check_threads(api, num_threads)
    c = _encoded(x, "x", api, nt)
    w = _weights(weights, int(c.codes.shape[0]), c.codes, api)
    if not is_torch(c.codes):
        _fits(api, "x", f"an alphabet of {c.size}", _kernel.dense_bytes(c.size, 1, False, nt))
    _, counts, _ = _kernel.count_dense(c.codes, None, c.size, 1, w, nt, api, table=False)
    return _to_out(counts, c.out)


def _dense_fits(cells: int, n: int, max_dense_bytes: int | None) -> bool:
    if max_dense_bytes is not None:
        return cells * 8 <= max_dense_bytes
    return cells * 8 <= DEFAULT_MAX_DENSE_BYTES and cells <= max(
        DENSE_CELLS_PER_ROW * n, _DENSE_CELLS_MIN
    )


def joint_counts(
    x: Any,
    y: Any,
    *,
    weights: Any = None,
    max_dense_bytes: int | None = None,
    num_threads: int | None = None,
) -> JointCounts:
    """The joint histogram of two samples of N observations (:class:`JointCounts`).

    ``x``, ``y``: anything :func:`encode` takes (or :class:`Encoded`), same N, same
    library and device. ``weights`` [N] finite, >= 0 (float64 sums instead of counts).
    Dense table [Kx, Ky] when its Kx * Ky * 8 bytes are at most ``max_dense_bytes``; by
    default (None) when it takes at most 256 MiB and has at most max(16 N, 65536) cells.
    Otherwise the sparse layout: the occupied cells only, sorted (a radix sort of the N
    joint keys), in O(N) memory whatever Kx * Ky. One pass over the rows either way; both
    marginals come from the same pass. ``num_threads``: CPU threads (None: OpenMP's default).
    """
    api = "discrete.joint_counts"
    nt = check_threads(api, num_threads)
    if max_dense_bytes is not None and (not is_int(max_dense_bytes) or max_dense_bytes < 0):
        fail(api, "max_dense_bytes", "None or an int >= 0", repr(max_dense_bytes))
    cx = _encoded(x, "x", api, nt)
    cy = _encoded(y, "y", api, nt)
    _same_rows(cx, cy, api)
    n = int(cx.codes.shape[0])
    w = _weights(weights, n, cx.codes, api)
    xc, yc = cx.codes, _pair_dtype(cx.codes, cy.codes)
    kx, ky = cx.size, cy.size
    shape = f"alphabets {kx} x {ky}"
    if _dense_fits(kx * ky, n, max_dense_bytes):
        if not is_torch(xc):
            _fits(api, "max_dense_bytes", shape, _kernel.dense_bytes(kx, ky, w is not None, nt))
        t, mx, my = _kernel.count_dense(xc, yc, kx, ky, w, nt, api)
        table = t.reshape(kx, ky)
        return JointCounts(_total(w, n), *(_to_out(a, cx.out) for a in (mx, my, table)), None, None)
    if not is_torch(xc):
        _fits(api, "x", f"N={n} rows ({shape})", _kernel.sparse_bytes(n, kx, ky, nt))
    if w is None and not is_torch(xc):
        keys, values, mx, my = _kernel.count_sparse_host(xc, yc, kx, ky, nt, api)
    else:
        keys, values, mx, my = _kernel.count_sparse(xc, yc, kx, ky, w, nt, api)
    out = [_to_out(a, cx.out) for a in (mx, my, keys, values)]
    return JointCounts(_total(w, n), out[0], out[1], None, out[2], out[3])


def _code_matrix(x: Any, api: str) -> tuple[Any, list[int], list[Any], Any]:
    """(codes [N, m], sizes [m], values [m], out) of a 2-D sample, each column encoded."""
    s = _sample(x, "x", api)
    if s.arr.ndim != 2:
        fail(api, "x", "a 2-D array [N, m] of codes", f"shape {tuple(s.arr.shape)}")
    codes, sizes, values = _encode_columns(s.arr)
    return codes, sizes, values, s.out


def _sizes_out(sizes: list[int], out: Any) -> Any:
    return _to_out(np.asarray(sizes, dtype=np.int64), out)


def column_tables(
    x: Any, y: Any, *, weights: Any = None, num_threads: int | None = None
) -> ColumnTables:
    """The joint table of every column of ``x`` with ``y``, in one pass (:class:`ColumnTables`).

    ``x`` [N, m]: integer (or string) codes, each column encoded separately (column j's
    alphabet K_j); ``y`` [N]: anything :func:`encode` takes (labels). ``tables`` [m, Kmax,
    Ky] int64 counts (float64 sums of ``weights`` [N]). This is the kernel behind the
    mutual information of every unit of a quantised layer with the labels: m tables of
    Kmax * Ky cells filled in one pass over the rows, the columns split over threads.
    """
    api = "discrete.column_tables"
    nt = check_threads(api, num_threads)
    codes, sizes, values, out = _code_matrix(x, api)
    cy = _encoded(y, "y", api, nt)
    n, m = int(codes.shape[0]), int(codes.shape[1])
    _same_rows(_Codes(codes, 0, (), (), out), cy, api)
    w = _weights(weights, n, codes, api)
    kmax, ky = max(sizes), cy.size
    needed = _kernel.pair_tables_bytes(m, kmax, ky, w is not None, nt)
    if not is_torch(codes) or needed >= 1 << 62:
        _fits(api, "x", f"{m} columns with alphabets up to {kmax} (labels: {ky})", needed)
    yc = _pair_dtype(codes, cy.codes)
    y2 = yc[:, None]
    pairs = np.stack([np.arange(m, dtype=np.int64), np.zeros(m, dtype=np.int64)], axis=1)
    tables = _kernel.pair_tables(codes, y2, pairs, np.asarray(sizes), np.asarray([ky]), w, nt, api)
    counts_y = tables[0].sum(0)  # every row is in column 0's table
    return ColumnTables(
        _total(w, n),
        _to_out(tables, out),
        _sizes_out(sizes, out),
        _to_out(counts_y, out),
        tuple(values),
    )


def _check_pairs(pairs: Any, m: int, api: str) -> np.ndarray:
    if pairs is None:
        if m < 2:
            fail(api, "x", "[N, m] with m >= 2 for the default pairs (i < j)", f"{m} column")
        i, j = np.triu_indices(m, 1)
        return np.stack([i, j], axis=1).astype(np.int64)
    p = to_numpy(pairs, api, "pairs")
    if p.dtype.kind not in "iu":
        fail(api, "pairs", "integer column indices [P, 2]", f"dtype {p.dtype}", TypeError)
    if p.ndim != 2 or p.shape[1] != 2 or p.shape[0] == 0:
        fail(api, "pairs", "a non-empty [P, 2] array of column indices", f"shape {p.shape}")
    if p.min() < 0 or p.max() >= m:
        fail(api, "pairs", f"column indices in [0, {m})", f"values in [{p.min()}, {p.max()}]")
    return np.ascontiguousarray(p, dtype=np.int64)


def pair_tables(
    x: Any, pairs: Any = None, *, weights: Any = None, num_threads: int | None = None
) -> PairTables:
    """The joint tables of column pairs of ``x`` [N, m] in one pass (:class:`PairTables`).

    ``x``: integer (or string) codes, each column encoded separately; ``pairs`` [P, 2]
    column indices (default: every i < j). ``tables`` [P, Kmax, Kmax] int64 counts (float64
    sums of ``weights`` [N]): the pairwise joint distributions behind pairwise mutual
    information / redundancy of the units of a quantised layer.
    """
    api = "discrete.pair_tables"
    nt = check_threads(api, num_threads)
    codes, sizes, values, out = _code_matrix(x, api)
    n, m = int(codes.shape[0]), int(codes.shape[1])
    pr = _check_pairs(pairs, m, api)
    w = _weights(weights, n, codes, api)
    kmax = max(sizes)
    needed = int(pr.shape[0]) * kmax * kmax * 8
    if not is_torch(codes) or needed >= 1 << 62:
        _fits(api, "x", f"{pr.shape[0]} pairs of alphabets up to {kmax}", needed)
    s = np.asarray(sizes)
    tables = _kernel.pair_tables(codes, codes, pr, s, s, w, nt, api)
    return PairTables(_total(w, n), _to_out(tables, out), pr, _sizes_out(sizes, out), tuple(values))
