"""THE one place that calls ``softent._core`` for the nearest-neighbour kernels (docs/design.md
§2), and THE one builder of their params structs (cpp/include/softent/params/knn.h): the
k nearest other rows of every row of a set, and the number of rows within a radius of each.

Inputs are float arrays already validated by the public functions (finite, [N, D]): NumPy
arrays in host memory or torch tensors (CPU tensors are read as NumPy views, CUDA tensors
in GPU memory). Outputs are allocated here in the memory (and library) of the input. The
array owners stay referenced until each call returns, so the addresses stay valid.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _core
from .._checks import check_fits, cpu_threads, fail, kernel_threads
from .._interop import is_torch, pointer, view

__all__ = [
    "KNN_METRICS",
    "MAX_BLOCKS",
    "check_distances_fit",
    "group_count",
    "group_count_bytes",
    "knn",
    "knn_bytes",
    "radius_count",
    "sorted_1d",
]

#: KnnMetric codes of cpp/include/softent/params/knn.h
KNN_METRICS = {"euclidean": 0, "chebyshev": 1}
#: kKnnMaxBlocks of params/knn.h: column blocks of one space (the joint space of CMI: 3)
MAX_BLOCKS = 4
#: float32 rows with a value beyond this are screened in float64: the kernel's float32
#: squared norms would overflow near 1e19 (the exact distances are float64 either way)
_FLOAT32_SCREEN_LIMIT = 1e15
#: cpp/src/cpu/knn.cpp tile_sizes: automatic query and reference rows per tile
_TILE_Q, _TILE_R = 256, 1024


def _host(x: Any) -> Any:
    """A CPU tensor as a NumPy view (the kernels read host memory the same way); anything
    else unchanged."""
    if is_torch(x) and x.device.type == "cpu":
        return x.detach().numpy()
    return x


def screenable(x: Any) -> Any:
    """``x``, or a float64 copy of a float32 ``x`` whose values are too large for a float32
    screen (results are identical: distances are measured in float64 from the same values)."""
    if is_torch(x):
        import torch

        # max and -min, not abs().max(): no temporary copy of x
        big = x.dtype == torch.float32 and x.numel() and _largest(x) > _FLOAT32_SCREEN_LIMIT
        return x.to(torch.float64) if big else x
    big = x.dtype == np.float32 and x.size and _largest(x) > _FLOAT32_SCREEN_LIMIT
    return x.astype(np.float64) if big else x


def _largest(x: Any) -> float:
    """max |x| without a temporary copy of x."""
    return max(float(x.max()), -float(x.min()))


def check_distances_fit(
    x: Any, metric: str, blocks: Sequence[int] | None, names: Sequence[str], api: str
) -> None:
    """Refuse, naming the argument (``names``: one per column block), rows whose distances
    would not fit in x's float type: the kernels centre the rows and screen pairs with their
    squared norms (euclidean: the sum over every feature of (value - mean)^2, which must be
    finite) or their largest |value - mean| (chebyshev). Checked on the bound max - min per
    feature (the data's box; its diagonal is the largest distance), from [D] column
    extremes: float64 data beyond ~1e153 (euclidean) reached the kernel's message
    'values too large to screen'."""
    if int(x.shape[0]) == 0:
        return
    if is_torch(x):
        hi = np.asarray(x.amax(dim=0).cpu().numpy(), dtype=np.float64)
        lo = np.asarray(x.amin(dim=0).cpu().numpy(), dtype=np.float64)
        dtype = np.float64 if x.element_size() == 8 else np.float32
    else:
        hi, lo = x.max(axis=0).astype(np.float64), x.min(axis=0).astype(np.float64)
        dtype = x.dtype
    top = float(np.finfo(dtype).max)
    with np.errstate(over="ignore", invalid="ignore"):
        width = hi - lo  # inf where the range itself overflows float64
        ends = list(blocks) if blocks else [int(x.shape[1])]
        starts = [0, *ends[:-1]]
        if metric == "chebyshev":
            per_block = [
                float(width[a:b].max(initial=0.0)) for a, b in zip(starts, ends, strict=True)
            ]
            ok = max(per_block) <= top
        else:
            # sum of squares scaled by the largest width (no overflow on the way)
            s = float(width.max(initial=0.0))
            per_block = [
                float(np.sum((width[a:b] / s) ** 2)) if 0 < s < np.inf else s
                for a, b in zip(starts, ends, strict=True)
            ]
            total = sum(per_block)
            ok = s == 0 or (s < np.inf and total <= (top / s) / s)
    if ok:
        return
    b = int(np.argmax(per_block))
    name = names[b] if b < len(names) else names[-1]
    dt = np.dtype(dtype).name
    big = float(np.max(width[starts[b] : ends[b]]))
    if metric == "chebyshev":
        fail(
            api,
            name,
            f"rows whose chebyshev distances fit in {dt} (max - min of every feature "
            f"<= {top:.3g}; rescale {name})",
            f"a feature ranging over {big:.3g}",
        )
    fail(
        api,
        name,
        f"rows whose squared euclidean distances fit in {dt} (the sum over the features "
        f"of (max - min)^2 <= {top:.3g}; rescale {name})",
        f"features ranging over up to {big:.3g}",
    )


def _stream(x: Any) -> int:
    if is_torch(x) and x.device.type == "cuda":
        import torch

        return int(torch.cuda.current_stream(x.device).cuda_stream)
    return 0


def _empty(shape: tuple[int, ...], like: Any, dtype: str) -> Any:
    if is_torch(like) and like.device.type != "cpu":
        import torch

        return torch.empty(shape, dtype=getattr(torch, dtype), device=like.device)
    return np.empty(shape, dtype=dtype)


def _in_memory_of(values: np.ndarray, like: Any, dtype: str) -> Any:
    """Small host data (row ids, radii, groups) contiguous in the memory of ``like``."""
    a = np.ascontiguousarray(np.asarray(values, dtype=dtype))
    if is_torch(like) and like.device.type != "cpu":
        import torch

        return torch.as_tensor(a, device=like.device)
    return a


def _space(
    x: Any, metric: str, blocks: Sequence[int] | None, rows: np.ndarray | None, api: str
) -> tuple[_core.KnnSpace, list[Any]]:
    """The KnnSpace of ``x`` (and the owners to keep alive while it is used)."""
    v = view(x)
    if v.device >= 0 and not _core.build_info()["cuda"]:
        fail(
            api,
            "x",
            "on the CPU (this softent build has no CUDA support)",
            f"a tensor on cuda:{v.device}",
            RuntimeError,
        )
    xv = _core.View2D()
    xv.data = v.ptr
    xv.rows, xv.cols = v.shape
    xv.stride_row, xv.stride_col = v.strides
    xv.dtype = v.dtype_code
    xv.device = v.device
    s = _core.KnnSpace()
    s.x = xv
    owners: list[Any] = [v.owner]
    if rows is not None:
        r = _in_memory_of(rows, x, "int64")
        owners.append(r)
        s.rows = pointer(r)
        s.n_rows = int(rows.shape[0])
    s.metric = KNN_METRICS[metric]
    ends = list(blocks) if blocks else [int(v.shape[1])]
    if len(ends) > MAX_BLOCKS:  # the public functions build at most 3 blocks
        fail(api, "blocks", f"at most {MAX_BLOCKS} column blocks", len(ends))
    s.n_blocks = len(ends)
    s.block_ends = ends + [0] * (MAX_BLOCKS - len(ends))
    return s, owners


def _threads(num_threads: int) -> int:
    return kernel_threads(num_threads)


def knn_bytes(m: int, d: int, k: int, itemsize: int, num_threads: int, blocks: int) -> int:
    """Host bytes of one :func:`knn` call: the outputs [m, k] (distances, ids, block
    distances) and per thread the query and reference tiles, the screened block and the
    candidate lists (cpp/src/cpu/knn.cpp KnnThread)."""
    threads = num_threads or cpu_threads()
    q, r = min(_TILE_Q, m), min(_TILE_R, m)
    kc = min(2 * k + 8, max(m - 1, 1))
    per_thread = (q + r) * (d + blocks + 1) * itemsize + q * r * itemsize * (2 if blocks > 1 else 1)
    per_thread += q * kc * 24 + kc * 24 + m * 8  # candidates; column sums
    return m * k * (16 + 8 * blocks) + threads * per_thread


def knn(
    x: Any,
    k: int,
    metric: str,
    api: str,
    *,
    blocks: Sequence[int] | None = None,
    rows: np.ndarray | None = None,
    indices: bool = True,
    block_distances: bool = False,
    num_threads: int = 0,
    tile_rows: int = 0,
    names: Sequence[str] = ("x",),
) -> tuple[Any, Any, Any, int]:
    """(distances [m, k] float64, row ids [m, k] int64 or None, block distances
    [m, k, n_blocks] float64 or None, rows measured exhaustively) of the k nearest other
    rows of each row of the set ``x[rows]`` (all rows when None), in x's memory.
    ``names``: the public argument of each column block (named in errors)."""
    x = screenable(_host(x))
    check_distances_fit(x, metric, blocks, names, api)
    m = int(rows.shape[0]) if rows is not None else int(x.shape[0])
    n_blocks = len(blocks) if blocks else 1
    if not is_torch(x):
        check_fits(
            api,
            "x",
            f"{m} rows x k={k}",
            knn_bytes(m, int(x.shape[1]), k, x.itemsize, num_threads, n_blocks),
        )
    s, owners = _space(x, metric, blocks, rows, api)
    dist = _empty((m, k), x, "float64")
    ids = _empty((m, k), x, "int64") if indices else None
    per_block = _empty((m, k, n_blocks), x, "float64") if block_distances else None
    p = _core.KnnParams()
    p.space = s
    p.k = int(k)
    p.distances = pointer(dist)
    p.indices = pointer(ids)
    p.block_distances = pointer(per_block)
    p.num_threads = _threads(num_threads)
    p.tile_rows = min(int(tile_rows), m)  # a tile past the m rows only allocates more
    p.stream = _stream(x)
    exhaustive = int(_core.knn(p))
    del owners
    return dist, ids, per_block, exhaustive


def radius_count(
    x: Any,
    radii: Any,
    metric: str,
    api: str,
    *,
    strict: bool,
    include_self: bool,
    groups: np.ndarray | None = None,
    blocks: Sequence[int] | None = None,
    rows: np.ndarray | None = None,
    num_threads: int = 0,
    tile_rows: int = 0,
    names: Sequence[str] = ("x",),
) -> Any:
    """counts [m] int64: for each row of the set ``x[rows]`` (all rows when None), the rows
    of the set within ``radii`` [m] (float64, finite, >= 0) of it, in x's memory.
    ``names``: the public argument of each column block (named in errors)."""
    x = screenable(_host(x))
    check_distances_fit(x, metric, blocks, names, api)
    m = int(rows.shape[0]) if rows is not None else int(x.shape[0])
    n_blocks = len(blocks) if blocks else 1
    if not is_torch(x):
        check_fits(
            api,
            "x",
            f"{m} rows",
            knn_bytes(m, int(x.shape[1]), 1, x.itemsize, num_threads, n_blocks),
        )
    s, owners = _space(x, metric, blocks, rows, api)
    r = radii
    if is_torch(x) and x.device.type != "cpu":
        import torch

        r = torch.as_tensor(radii, dtype=torch.float64, device=x.device).contiguous()
    else:
        r = np.ascontiguousarray(np.asarray(radii.cpu() if is_torch(radii) else radii), np.float64)
    g = _in_memory_of(groups, x, "int64") if groups is not None else None
    counts = _empty((m,), x, "int64")
    p = _core.RadiusCountParams()
    p.space = s
    p.radii = pointer(r)
    p.groups = pointer(g)
    p.strict = bool(strict)
    p.include_self = bool(include_self)
    p.counts = pointer(counts)
    p.num_threads = _threads(num_threads)
    p.tile_rows = min(int(tile_rows), m)  # a tile past the m rows only allocates more
    p.stream = _stream(x)
    _core.radius_count(p)
    del owners
    return counts


def group_count_bytes(
    m: int, d: int, k: int, n_groups: int, overall: int, itemsize: int, num_threads: int
) -> int:
    """Host bytes of one :func:`group_count` call (cpp/src/cpu/knn.cpp group_count_run): per
    row the group and overall candidate lists (value + int32 id, padded) and five numbers;
    per thread two square tiles, the screened block and its transpose."""
    threads = num_threads or cpu_threads()
    kc = min(2 * k + 8, max(m - 1, 1))
    mc = overall or min(4 * k * n_groups + 16, 512)
    mc = max(1, min(mc, m - 1))
    entry = 8 if itemsize == 4 else 16
    b = min(384, m)
    per_thread = 2 * b * (d + 2) * itemsize + 3 * b * b * itemsize + b * 8 * 2
    return m * ((kc + mc) * entry + 8 * 5 + 1) + threads * per_thread


def group_count(
    x: Any,
    groups: np.ndarray,
    k: int,
    metric: str,
    api: str,
    *,
    rows: np.ndarray | None = None,
    overall: int = 0,
    num_threads: int = 0,
    tile_rows: int = 0,
) -> tuple[Any, Any, int]:
    """(radii [m] float64, counts [m] int64, rows counted again) of the set ``x[rows]``, in
    x's memory (NumPy for host data): each row's k-th neighbour distance within its group
    (``groups`` [n] int64 >= 0 by row id, host memory, every group of the set with >= 2
    rows; k lowered to the group's rows - 1) and the rows of any group strictly within it,
    itself included (cpp/include/softent/params/knn.h knn_group_count)."""
    x = screenable(_host(x))
    check_distances_fit(x, metric, None, ("x",), api)
    m = int(rows.shape[0]) if rows is not None else int(x.shape[0])
    g = np.ascontiguousarray(groups, dtype=np.int64)
    n_groups = int(np.unique(g if rows is None else g[rows]).size)
    if not is_torch(x):
        check_fits(
            api,
            "x",
            f"{m} rows x k={k}",
            group_count_bytes(m, int(x.shape[1]), k, n_groups, overall, x.itemsize, num_threads),
        )
    s, owners = _space(x, metric, None, rows, api)
    radii = _empty((m,), x, "float64")
    counts = _empty((m,), x, "int64")
    p = _core.KnnGroupCountParams()
    p.space = s
    p.groups = pointer(g)
    p.k = int(k)
    p.overall = int(overall)
    p.radii = pointer(radii)
    p.counts = pointer(counts)
    p.num_threads = _threads(num_threads)
    p.tile_rows = min(int(tile_rows), m)  # a tile past the m rows only allocates more
    p.stream = _stream(x)
    again = int(_core.knn_group_count(p))
    del owners
    return radii, counts, again


def _view2d(x: Any) -> tuple[Any, Any]:
    v = view(x)
    out = _core.View2D()
    out.data = v.ptr
    out.rows, out.cols = v.shape
    out.stride_row, out.stride_col = v.strides
    out.dtype = v.dtype_code
    out.device = v.device
    return out, v.owner


def sorted_1d(
    x: Any,
    api: str,
    *,
    y: Any = None,
    groups: np.ndarray | None = None,
    k: int = 0,
    radii: Any = None,
    counts: bool = True,
    num_threads: int = 0,
) -> tuple[Any, Any]:
    """(kth [n, f] float64 or None, counts [n, f] int64 or None) of the f 1-D columns of
    ``x`` [n, f] (NumPy, or a torch tensor: the results in its memory) by sorting
    (params/knn.h sorted_1d): the k-th neighbour distance (within ``groups``, host int64;
    jointly with ``y`` [n, f] in the max-norm) and the rows within ``radii`` [n, f] (finite,
    >= 0; or within nextafter(kth, 0)), self included."""
    x = _host(x)
    y = None if y is None else _host(y)
    n, f = int(x.shape[0]), int(x.shape[1])
    if not is_torch(x):
        check_fits(
            api,
            "x",
            f"{n} rows x {f} columns",
            n * f * 16 + (num_threads or cpu_threads()) * n * 24,
        )
    elif not _core.build_info()["cuda"]:
        fail(
            api,
            "x",
            "on the CPU (this softent build has no CUDA support)",
            f"a tensor on {x.device}",
            RuntimeError,
        )
    p = _core.Sorted1dParams()
    p.x, owner_x = _view2d(x)
    owners: list[Any] = [owner_x]
    if y is not None:
        p.y, owner_y = _view2d(y)
        owners.append(owner_y)
    g = None if groups is None else np.ascontiguousarray(groups, dtype=np.int64)
    r = None
    if radii is not None:
        r = radii.cpu().numpy() if is_torch(radii) else np.asarray(radii)
        r = _in_memory_of(r, x, "float64")
    kth = _empty((n, f), x, "float64") if k > 0 else None
    out = _empty((n, f), x, "int64") if counts else None
    p.groups = pointer(g)
    p.k = int(k)
    p.kth = pointer(kth)
    p.radii = pointer(r)
    p.counts = pointer(out)
    p.num_threads = _threads(num_threads)
    p.stream = _stream(x)
    _core.sorted_1d(p)
    del owners
    return kth, out
