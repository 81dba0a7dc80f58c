"""The symmetric diffusion operator K = D^-1/2 G D^-1/2 of the rows of x, for stochastic
Lanczos quadrature (:mod:`.lanczos`), in three forms:

- ``"stored"``: the dense K in float32 (4 N^2 bytes, the only N x N array: the fused
  kernel writes G in float32 directly, then the degrees are summed in float64 and the
  rows scaled in place, in blocks), K V by BLAS (float32 products, float64 vectors);
- ``"matrix_free"``: K V by the fused C++ tile op (affinity output="product"): every
  product recomputes the kernel tiles, O(N^2 (D + m)) time, O(N (D + m)) memory;
- ``"sparse"``: the kNN-sparsified kernel (each row's ``neighbours`` nearest others from
  softent.knn, union-symmetrised, the diagonal kept), K V by SciPy's sparse product,
  O(N (D + neighbours)) memory. A different graph: an approximation of the dense value,
  close when the kernel is small beyond the neighbours.

Each returns (apply: V [N, m] -> K V, top: K's unit top eigenvector D^1/2 1 / ||.||, whose
eigenvalue is exactly 1).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._checks import available_memory, check_fits, cpu_threads
from .._interop import to_numpy
from ..knn.neighbours import nearest_neighbours
from ._blas import blas_threads
from ._kernel import run_affinity
from .graph import Bandwidth, _gaussian

__all__ = ["diffusion_operator", "stored_fits"]

Operator = tuple[Callable[[np.ndarray], np.ndarray], np.ndarray]


def stored_fits(n: int, itemsize: int = 8) -> bool:
    """Whether a dense N x N matrix of ``itemsize`` bytes per value (8: the dense spectrum's
    float64; 4: the stored Lanczos operator's float32) takes at most half the available
    memory."""
    avail = available_memory()
    return avail is None or itemsize * n * n <= avail // 2


#: rows per block of the in-place normalisation of the stored operator (a few MiB of rows)
_ROWS = 64


def _normalised32(g: np.ndarray) -> np.ndarray:
    """Degrees (float64 row sums) of the float32 affinity g [N, N], which becomes
    D^-1/2 G D^-1/2 in place, row block by row block (no N x N temporary)."""
    n = g.shape[0]
    deg = np.empty(n)
    for i0 in range(0, n, _ROWS):
        np.sum(g[i0 : i0 + _ROWS], axis=1, dtype=np.float64, out=deg[i0 : i0 + _ROWS])
    s = (deg**-0.5).astype(np.float32)
    for i0 in range(0, n, _ROWS):
        # one factor fl(s_i s_j) per entry (float products commute): K stays exactly
        # symmetric, as G is, which Lanczos assumes
        g[i0 : i0 + _ROWS] *= s[i0 : i0 + _ROWS, None] * s[None, :]
    return deg


def _top(deg: np.ndarray) -> np.ndarray:
    r = np.sqrt(deg)
    return r / np.linalg.norm(r)


def diffusion_operator(
    api: str,
    x: Any,
    bw: Bandwidth,
    form: str,
    threads: int,
    neighbours: int = 0,
    known: tuple[np.ndarray, np.ndarray] | None = None,
) -> Operator:
    """The operator of ``form`` (module docstring); ``known``: (distances, indices) of at
    least ``neighbours`` nearest rows, already searched (the sparse form reuses them)."""
    n = int(x.shape[0])
    nt = threads or cpu_threads()
    if form == "stored":
        # float32: the products (the run's cost) twice as fast in half the memory, and no
        # float64 N x N ever (at N = 2e4 that was 3.2 GB more, each fresh page a fault);
        # their rounding (~1e-7 relative) is far below the probes' error
        k32 = np.asarray(to_numpy(_gaussian(api, x, bw, False, threads, output="dense32")))
        deg = _normalised32(k32)

        def apply_stored(v: np.ndarray) -> np.ndarray:
            with blas_threads(nt):
                return (k32 @ v.astype(np.float32)).astype(np.float64)

        return apply_stored, _top(deg)
    if form == "matrix_free":
        xh = x
        deg = to_numpy(_gaussian(api, xh, bw, False, threads, output="degrees"))
        s = deg**-0.5
        scales = bw.scales
        if scales is None and bw.sigma == 0.0:
            scales = np.zeros(n)

        def apply_tiles(v: np.ndarray) -> np.ndarray:
            return to_numpy(
                run_affinity(
                    xh,
                    api,
                    output="product",
                    sigma=bw.sigma,
                    scales=scales,
                    row_scale=s,
                    v=v,
                    num_threads=threads,
                )
            )

        return apply_tiles, _top(deg)
    # sparse
    import scipy.sparse

    k = min(neighbours, n - 1)
    check_fits(api, "x", f"{n} rows x {k} neighbours", n * k * 40)
    if known is not None and known[0].shape[1] >= k:
        dist, ids = known[0][:, :k].astype(np.float64), np.ascontiguousarray(known[1][:, :k])
    else:
        nb = nearest_neighbours(x, k, num_threads=threads or None)
        dist = to_numpy(nb.distances).astype(np.float64)
        ids = to_numpy(nb.indices)
    rows = np.repeat(np.arange(n), k)
    d2 = dist.ravel() ** 2
    if bw.scales is not None:
        den = 2.0 * bw.scales[rows] * bw.scales[ids.ravel()]
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.where(d2 > 0, np.exp(-d2 / np.where(den > 0, den, 1.0)), 1.0)
        w = np.where((d2 > 0) & (den <= 0), 0.0, w)
    elif bw.sigma:
        w = np.exp(-d2 / (2.0 * bw.sigma**2))
    else:
        w = (d2 == 0).astype(np.float64)
    a = scipy.sparse.csr_matrix((w, (rows, ids.ravel())), shape=(n, n))
    a = a.maximum(a.T) + scipy.sparse.identity(n, format="csr")
    deg = np.asarray(a.sum(1)).ravel()
    s = scipy.sparse.diags(deg**-0.5)
    k_op = (s @ a @ s).tocsr()

    def apply_sparse(v: np.ndarray) -> np.ndarray:
        return np.asarray(k_op @ v)

    return apply_sparse, _top(deg)
