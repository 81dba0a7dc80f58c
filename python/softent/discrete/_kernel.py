"""THE one place that calls ``softent._core`` for the counting kernels of
:mod:`softent.discrete` (docs/design.md §2), and THE one builder of their params structs
(cpp/include/softent/params/discrete.h): mixed-radix codes of rows, dense and sparse joint
histograms, and the tables of many column pairs in one pass.

Inputs are integer code arrays already validated by :mod:`softent.discrete.counting`:
NumPy arrays in host memory or torch tensors on a CUDA device (torch CPU tensors arrive as
NumPy views). They are read in their own dtype (int8..uint64; bool as uint8): no widening
copy. Outputs are allocated here, zeroed, in the memory (and library) of the input. The
array owners stay referenced until each call returns, so the addresses stay valid.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _core
from .._checks import cpu_threads, fail, kernel_threads
from .._interop import device_of, is_torch, pointer

__all__ = [
    "CODE_TYPES",
    "PRIVATE_TABLE_BYTES",
    "count_dense",
    "count_sparse",
    "encode_rows",
    "pair_tables",
    "pair_tables_bytes",
]

#: CodeType codes of cpp/include/softent/params/discrete.h, by dtype name
CODE_TYPES = {
    "int8": 0,
    "int16": 1,
    "int32": 2,
    "int64": 3,
    "uint8": 4,
    "uint16": 5,
    "uint32": 6,
    "uint64": 7,
}

#: cpp/src/cpu/count.cpp kPrivateTableBytes / kPrivateCountBytes: every thread sums into its
#: own copy of a dense table while all copies fit the first and (integer counts) one copy
#: fits the second
PRIVATE_TABLE_BYTES = 64 << 20
PRIVATE_COUNT_BYTES = 1 << 20


def dtype_name(arr: Any) -> str:
    """'int64', 'uint8'... of a NumPy array or torch tensor ('bool' for booleans)."""
    if is_torch(arr):
        return str(arr.dtype).removeprefix("torch.")
    return np.asarray(arr).dtype.name


def _bool_as_uint8(arr: Any) -> Any:
    """A boolean array read as uint8 (a view: no copy)."""
    if is_torch(arr):
        import torch

        return arr.view(torch.uint8) if arr.dtype == torch.bool else arr
    return arr.view(np.uint8) if arr.dtype == np.bool_ else arr


def codes_view(arr: Any, api: str) -> _core.CodesView:
    """The C++ view of an integer code array [N] or [N, m] (any element strides)."""
    arr = _bool_as_uint8(arr)
    name = dtype_name(arr)
    if name not in CODE_TYPES:  # the callers convert first; a bypass is refused here
        fail(api, "codes", "an integer array", f"dtype {name}", TypeError)
    v = _core.CodesView()
    if is_torch(arr):
        v.data = int(arr.data_ptr())
        strides = tuple(arr.stride())
        v.device = device_of(arr)
        if v.device >= 0 and not _core.build_info()["cuda"]:
            fail(
                api,
                "x",
                "on the CPU (this softent build has no CUDA support)",
                f"a tensor on cuda:{v.device}",
                RuntimeError,
            )
    else:
        a = np.asarray(arr)
        if not a.flags.aligned or any(s % a.itemsize for s in a.strides):
            # the kernels address whole elements; counting.py hands over aligned arrays
            fail(api, "codes", "an aligned array", "unaligned memory", ValueError)
        v.data = int(a.ctypes.data)
        strides = tuple(s // a.itemsize for s in a.strides)
        v.device = -1
    shape = tuple(arr.shape)
    v.rows = int(shape[0])
    v.cols = int(shape[1]) if len(shape) == 2 else 1
    v.stride_row = int(strides[0])
    v.stride_col = int(strides[1]) if len(shape) == 2 else 1
    v.dtype = CODE_TYPES[name]
    return v


def _stream(arr: Any) -> int:
    if is_torch(arr) and arr.device.type == "cuda":
        import torch

        return int(torch.cuda.current_stream(arr.device).cuda_stream)
    return 0


def _zeros(shape: tuple[int, ...], like: Any, weighted: bool) -> Any:
    """Zeroed counts (int64, or float64 when weighted) in the library and memory of ``like``."""
    if is_torch(like):
        import torch

        dtype = torch.float64 if weighted else torch.int64
        return torch.zeros(shape, dtype=dtype, device=like.device)
    return np.zeros(shape, dtype=np.float64 if weighted else np.int64)


def _empty(shape: tuple[int, ...], like: Any, dtype: str) -> Any:
    if is_torch(like):
        import torch

        return torch.empty(shape, dtype=getattr(torch, dtype), device=like.device)
    return np.empty(shape, dtype=dtype)


def _int64(values: Any, like: Any) -> Any:
    """Small host int64 data (radices, pairs, sizes) in the memory of ``like``, contiguous."""
    a = np.ascontiguousarray(np.asarray(values, dtype=np.int64))
    if is_torch(like) and like.device.type != "cpu":
        import torch

        return torch.as_tensor(a, device=like.device)
    return a


#: rows (x columns or pairs) of work below which a count runs on one thread: a parallel
#: region costs tens of microseconds on a quiet machine, and a descheduled thread costs a
#: time slice (milliseconds) on a busy one, more than counting this many rows takes
_GRAIN = 1 << 17


def _threads(num_threads: int, work: int) -> int:
    """The threads of a count over ``work`` row-items: the resolved ``num_threads`` (see
    :func:`softent._checks.kernel_threads`), at most one per ``_GRAIN`` items."""
    resolved = kernel_threads(num_threads) or cpu_threads()
    return max(1, min(resolved, work // _GRAIN))


def encode_rows(x: Any, radix: Any, num_threads: int, api: str) -> tuple[Any, int]:
    """(codes [N] int64, first bad row or -1): the mixed-radix code of each row of ``x``
    [N, m], ``radix`` [m] the column sizes (product fits int64: the caller checks)."""
    out = _empty((int(x.shape[0]),), x, "int64")
    r = _int64(radix, x)
    p = _core.EncodeRowsParams()
    p.x = codes_view(x, api)
    p.radix = pointer(r)
    p.out = pointer(out)
    p.num_threads = _threads(num_threads, int(x.shape[0]) * int(x.shape[1]))
    p.stream = _stream(x)
    bad = _core.encode_rows(p)
    return out, int(bad)


def dense_bytes(kx: int, ky: int, weighted: bool, num_threads: int) -> int:
    """Host bytes of a dense count: the table [kx, ky] and marginals, plus each thread's
    private copies (cpp/src/cpu/count.cpp dense_dispatch)."""
    threads = num_threads or cpu_threads()
    table = kx * ky * 8
    if weighted:
        copies = threads > 1 and table * threads <= PRIVATE_TABLE_BYTES
        return table + (table * threads if copies else 0) + (kx + ky) * 8 * (1 + threads)
    # integer counts: private copies of table and marginals only while they are cache-sized
    own = table + (kx + ky) * 8
    return own + (own * threads if threads > 1 and own <= PRIVATE_COUNT_BYTES else 0)


def pair_tables_bytes(n_pairs: int, ka: int, kb: int, weighted: bool, num_threads: int) -> int:
    """Host bytes of :func:`pair_tables`: the tables [P, ka, kb] and, for unweighted column
    tables against one label column, each thread's private uint32 and int64 copies while
    they all fit PRIVATE_TABLE_BYTES (cpp/src/cpu/count.cpp column_counts_case; counted
    whenever they might be used)."""
    threads = num_threads or cpu_threads()
    cells = n_pairs * ka * kb
    private = cells * 12 * threads
    return cells * 8 + (private if not weighted and private <= PRIVATE_TABLE_BYTES else 0)


def count_dense(
    x: Any,
    y: Any | None,
    kx: int,
    ky: int,
    weights: Any | None,
    num_threads: int,
    api: str,
    *,
    table: bool = True,
    marginals: bool = True,
) -> tuple[Any, Any, Any]:
    """(table [kx * ky] or None, counts_x [kx] or None, counts_y [ky] or None) of the codes
    ``x`` [N] in [0, kx) and ``y`` [N] in [0, ky) (None: ky = 1, the histogram of x).
    int64 counts, or float64 sums of ``weights`` [N] (float64, contiguous, x's memory)."""
    weighted = weights is not None
    t = _zeros((kx * ky,), x, weighted) if table else None
    cx = _zeros((kx,), x, weighted) if marginals else None
    cy = _zeros((ky,), x, weighted) if marginals and y is not None else None
    p = _core.CountParams()
    p.x = codes_view(x, api)
    if y is not None:
        p.y = codes_view(y, api)
    p.kx, p.ky = int(kx), int(ky)
    p.weights = pointer(weights)
    p.table = pointer(t)
    p.counts_x = pointer(cx)
    p.counts_y = pointer(cy)
    p.num_threads = _threads(num_threads, int(x.shape[0]))
    p.stream = _stream(x)
    _core.count_dense(p)
    return t, cx, cy


def sparse_bytes(n: int, kx: int, ky: int, num_threads: int) -> int:
    """Host bytes of a sparse count: keys and values [N] (output) and their sort scratch
    [N] each, the marginals (and each thread's copy of them)."""
    threads = num_threads or cpu_threads()
    return 4 * n * 8 + (kx + ky) * 8 * (1 + threads) + threads * 2048 * 8


def count_sparse(
    x: Any, y: Any, kx: int, ky: int, weights: Any | None, num_threads: int, api: str
) -> tuple[Any, Any, Any, Any]:
    """(keys [U] sorted int64, values [U], counts_x [kx], counts_y [ky]): the occupied cells
    x_i * ky + y_i of the joint histogram of ``x`` and ``y`` [N] and their counts (int64,
    or float64 sums of ``weights``), in O(N) memory whatever kx * ky."""
    n = int(x.shape[0])
    weighted = weights is not None
    keys = _empty((n,), x, "int64")
    values = _empty((n,), x, "float64" if weighted else "int64")
    cx = _zeros((kx,), x, weighted)
    cy = _zeros((ky,), x, weighted)
    p = _core.SparseCountParams()
    p.x = codes_view(x, api)
    p.y = codes_view(y, api)
    p.kx, p.ky = int(kx), int(ky)
    p.weights = pointer(weights)
    p.keys = pointer(keys)
    p.values = pointer(values)
    p.counts_x = pointer(cx)
    p.counts_y = pointer(cy)
    p.num_threads = _threads(num_threads, int(x.shape[0]))
    p.stream = _stream(x)
    u = int(_core.count_sparse(p))
    return keys[:u], values[:u], cx, cy


def count_sparse_host(
    x: np.ndarray, y: np.ndarray, kx: int, ky: int, num_threads: int, api: str
) -> tuple[np.ndarray, np.ndarray, Any, Any]:
    """:func:`count_sparse` of unweighted host codes, by NumPy's vectorised sort of the
    joint keys (x86-simd-sort / highway: ~5 ms for 10**6 keys, several times the radix
    sort of cpp/src/cpu/count.cpp on this path); the marginals by the dense kernel."""
    # The marginals by the dense kernel, one call each: measured (N = 10**6, alphabets of
    # 10**6, one thread) 23 ms for both in one pass over the rows (two 8 MB arrays of random
    # increments at once), 10 ms in two calls. The codes were checked when encoded.
    _, cx, _ = count_dense(x, None, kx, 1, None, num_threads, api, table=False)
    _, cy, _ = count_dense(y, None, ky, 1, None, num_threads, api, table=False)
    keys = x.astype(np.int64)
    keys *= ky
    keys += y
    keys.sort()
    n = keys.shape[0]
    if n == 0:
        return keys, np.zeros(0, np.int64), cx, cy
    # run starts and lengths with as few fresh arrays as NumPy allows (each fresh 8 MB
    # array costs its page faults: ~1 ms here)
    new_run = np.empty(n, dtype=np.bool_)
    new_run[0] = True
    np.not_equal(keys[1:], keys[:-1], out=new_run[1:])
    starts = np.flatnonzero(new_run)
    values = np.empty(starts.shape[0], dtype=np.int64)
    np.subtract(starts[1:], starts[:-1], out=values[:-1])
    values[-1] = n - starts[-1]
    return keys[starts], values, cx, cy


def pair_tables(
    x: Any,
    y: Any,
    pairs: np.ndarray,
    sizes_x: np.ndarray,
    sizes_y: np.ndarray,
    weights: Any | None,
    num_threads: int,
    api: str,
) -> Any:
    """tables [P, ka, kb] (int64 counts, or float64 sums of ``weights``): for each pair
    (a, b) of ``pairs`` [P, 2] the joint histogram of x[:, a] and y[:, b] (``x`` [N, mx],
    ``y`` [N, my] codes; ka = max sizes_x, kb = max sizes_y), all in one pass."""
    ka, kb = int(np.max(sizes_x)), int(np.max(sizes_y))
    n_pairs = int(pairs.shape[0])
    tables = _zeros((n_pairs, ka, kb), x, weights is not None)
    pr, sx, sy = _int64(pairs, x), _int64(sizes_x, x), _int64(sizes_y, x)
    p = _core.PairTablesParams()
    p.x = codes_view(x, api)
    p.y = codes_view(y, api)
    p.pairs = pointer(pr)
    p.sizes_x = pointer(sx)
    p.sizes_y = pointer(sy)
    p.n_pairs = n_pairs
    p.ka, p.kb = ka, kb
    p.weights = pointer(weights)
    p.tables = pointer(tables)
    p.num_threads = _threads(num_threads, int(x.shape[0]) * n_pairs)
    p.stream = _stream(x)
    _core.pair_tables(p)
    return tables
