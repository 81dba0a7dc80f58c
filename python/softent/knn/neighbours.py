"""The nearest-neighbour kernel as functions of their own: the k nearest other rows of every
row, and the number of rows within a radius of each (the estimators of
:mod:`softent.knn.estimators` and the spectral affinities stand on them).

Exact: every distance and every decision (which row is the k-th neighbour, whether a row is
within a radius) is taken on the distance measured in float64 from the values as stored,
summed in column order without fused multiply-adds, so results equal an exact brute force
bit for bit whatever the tiling, threads or BLAS. A GEMM (euclidean) or a float loop
(chebyshev) only screens pairs, with a proven rounding bound; pairs inside the bound are
measured exactly. Memory O(N k + tile^2): the N x N distances never exist.

Ties: of equidistant rows the lower row index comes first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._checks import fail
from .._interop import is_torch, to_numpy
from . import _inputs
from ._kernel import group_count, knn, radius_count

__all__ = [
    "GroupCounts",
    "Neighbours",
    "group_neighbour_counts",
    "nearest_neighbours",
    "radius_counts",
]


@dataclass(frozen=True, repr=False)
class Neighbours:
    """The k nearest other rows of each row of x [N, D].

    ``distances`` [N, k] float64, ascending per row; ``indices`` [N, k] int64 row indices
    (ties: lower index first); in x's library and device. ``metric``, ``k``.
    """

    distances: Any
    indices: Any
    k: int
    metric: str

    def __repr__(self) -> str:
        return f"Neighbours(N={int(self.distances.shape[0])}, k={self.k}, metric={self.metric!r})"

    def as_dict(self) -> dict[str, Any]:
        """JSON-able dict (lists of floats and ints)."""
        return {
            "k": self.k,
            "metric": self.metric,
            "distances": to_numpy(self.distances).tolist(),
            "indices": to_numpy(self.indices).tolist(),
        }


@dataclass(frozen=True, repr=False)
class GroupCounts:
    """Per row of x [N, D]: ``radii`` [N] float64, the distance to the row's k_i-th nearest
    other row of its own group (k_i = min(k, rows of the group − 1)), and ``counts`` [N]
    int64, the rows of any group strictly closer than it, the row itself included (at
    distance 0 when the radius is 0) — Ross 2014's d_i and m_i. ``recounted``: rows whose
    count needed the second pass (a diagnostic: with several threads it may vary from call to
    call, as tiles reach the rows in another order; radii and counts never do; 0 on CUDA).
    NumPy arrays for host input, torch tensors on x's device for CUDA input."""

    radii: Any
    counts: Any
    k: int
    metric: str
    recounted: int

    def __repr__(self) -> str:
        return (
            f"GroupCounts(N={int(self.radii.shape[0])}, k={self.k}, metric={self.metric!r}, "
            f"recounted={self.recounted})"
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-able dict (lists of floats and ints)."""
        return {
            "k": self.k,
            "metric": self.metric,
            "recounted": self.recounted,
            "radii": self.radii.tolist(),
            "counts": self.counts.tolist(),
        }


def group_neighbour_counts(
    x: Any,
    groups: Any,
    k: int = 3,
    *,
    metric: str = "euclidean",
    overall: int | None = None,
    num_threads: int | None = None,
    tile_rows: int | None = None,
) -> GroupCounts:
    """Each row's k-th neighbour distance within its group and the rows of any group
    strictly within it (Ross 2014's d_i and m_i; :class:`GroupCounts`) of the rows of ``x``
    [N, D]. On the CPU (NumPy or a CPU tensor) in ONE pass over the unordered pairs of rows:
    each pair is screened once (GEMM for 'euclidean') and its value used for both rows; per
    row the group's nearest candidates and a buffer of the rows of any group that may lie
    within the final radius are kept, and a row whose buffer overflows (more than
    ``overall`` rows, None: 4 k × groups + 16, at most 512) is counted again against every
    row. On CUDA (a tensor on the GPU; ``overall``, ``tile_rows`` and ``num_threads`` unused)
    as :func:`nearest_neighbours` within each group, then :func:`radius_counts`. Results are
    exact (decisions on float64 distances, as :func:`nearest_neighbours`), the same on
    either device, and do not depend on ``overall``, ``tile_rows`` or threads.

    ``groups`` [N] integer ids; every group needs at least two rows. Raises ValueError
    otherwise, or for k < 1, non-finite values.
    """
    api = "knn.group_neighbour_counts"
    arr = _inputs.float_rows(x, api, "x")
    n = int(arr.shape[0])
    metric = _inputs.check_metric(api, metric)
    g = np.asarray(to_numpy(groups))
    if g.ndim != 1 or g.shape[0] != n:
        fail(api, "groups", f"one integer id per row (N={n})", f"shape {g.shape}")
    if g.dtype.kind not in "iub":
        fail(api, "groups", "integer ids", f"dtype {g.dtype}", TypeError)
    _, codes, sizes = np.unique(g, return_inverse=True, return_counts=True)
    if (sizes < 2).any():
        fail(api, "groups", "ids of at least two rows each", "an id on a single row")
    k = _inputs.check_int(api, "k", k, lo=1)
    over = 0 if overall is None else _inputs.check_int(api, "overall", overall, lo=1, hi=2**63 - 1)
    radii, counts, again = group_count(
        arr,
        codes.astype(np.int64),
        min(k, n),  # the kernel lowers k to each group's rows - 1 < N: the same, in int64
        metric,
        api,
        overall=over,
        num_threads=_inputs.threads(api, num_threads),
        tile_rows=_inputs.check_tile_rows(api, tile_rows),
    )
    return GroupCounts(radii, counts, k, metric, again)


def nearest_neighbours(
    x: Any,
    k: int = 3,
    *,
    metric: str = "euclidean",
    num_threads: int | None = None,
    tile_rows: int | None = None,
) -> Neighbours:
    """The k nearest other rows (self excluded) of every row of ``x`` [N, D] (or [N]).

    ``metric``: 'euclidean' (default: rotation-invariant, screened by GEMM) or 'chebyshev'
    (max-norm: max_j |a_j - b_j|). NumPy or torch (CPU or CUDA) in; distances [N, k]
    float64 and indices [N, k] int64 out, in x's library and device. ``num_threads``: CPU
    threads (None: OpenMP's default); ``tile_rows``: rows per tile (None: automatic; the
    results do not depend on it). Raises ValueError for k outside [1, N - 1] or
    non-finite values.
    """
    api = "knn.nearest_neighbours"
    arr = _inputs.float_rows(x, api, "x")
    k = _inputs.check_k(api, k, int(arr.shape[0]))
    metric = _inputs.check_metric(api, metric)
    dist, ids, _, _ = knn(
        arr,
        k,
        metric,
        api,
        num_threads=_inputs.threads(api, num_threads),
        tile_rows=_inputs.check_tile_rows(api, tile_rows),
    )
    if is_torch(arr) and arr.device.type == "cpu":
        import torch

        dist, ids = torch.from_numpy(dist), torch.from_numpy(ids)
    return Neighbours(dist, ids, k, metric)


def radius_counts(
    x: Any,
    radii: Any,
    *,
    metric: str = "euclidean",
    strict: bool = True,
    include_self: bool = False,
    groups: Any = None,
    num_threads: int | None = None,
    tile_rows: int | None = None,
) -> Any:
    """For each row i of ``x`` [N, D], the number of rows j with dist(i, j) < radii[i]
    (``strict``) or <= radii[i], j != i unless ``include_self`` (the row itself counts
    when 0 is within its radius), and, with ``groups`` [N] (integer ids), only rows j of
    row i's group. ``radii`` [N] or a scalar: finite and >= 0. The distance is the exact one
    of :func:`nearest_neighbours`, so its distances used as radii count consistently.
    Returns [N] int64 in x's library and device.
    """
    api = "knn.radius_counts"
    arr = _inputs.float_rows(x, api, "x")
    n = int(arr.shape[0])
    metric = _inputs.check_metric(api, metric)
    try:
        r = np.asarray(to_numpy(radii)) if not isinstance(radii, float) else None
    except (TypeError, ValueError):  # a ragged sequence
        r = np.asarray(None)
    if r is not None and r.dtype.kind not in "biuf":  # strings, bytes, complex: no radii
        fail(api, "radii", "a float or an array of floats", f"dtype {r.dtype}", TypeError)
    r = None if r is None else r.astype(np.float64)
    if r is None or r.ndim == 0:
        r = np.full(n, float(radii) if r is None else float(r), dtype=np.float64)
    if r.ndim != 1 or r.shape[0] != n:
        fail(api, "radii", f"a scalar or one radius per row (N={n})", f"shape {r.shape}")
    if not np.isfinite(r).all() or (r < 0).any():
        fail(api, "radii", "finite and >= 0", "a NaN, Inf or negative radius")
    if not isinstance(strict, bool):
        fail(api, "strict", "a bool", repr(strict), TypeError)
    if not isinstance(include_self, bool):
        fail(api, "include_self", "a bool", repr(include_self), TypeError)
    g = None
    if groups is not None:
        g = np.asarray(to_numpy(groups))
        if g.ndim != 1 or g.shape[0] != n:
            fail(api, "groups", f"one integer id per row (N={n})", f"shape {g.shape}")
        if g.dtype.kind not in "iub":
            fail(api, "groups", "integer ids", f"dtype {g.dtype}", TypeError)
        g = g.astype(np.int64)
    counts = radius_count(
        arr,
        r,
        metric,
        api,
        strict=strict,
        include_self=include_self,
        groups=g,
        num_threads=_inputs.threads(api, num_threads),
        tile_rows=_inputs.check_tile_rows(api, tile_rows),
    )
    if is_torch(arr) and arr.device.type == "cpu":
        import torch

        return torch.from_numpy(counts)
    return counts
