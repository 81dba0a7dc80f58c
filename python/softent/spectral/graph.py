"""The data graph of the spectral estimators: bandwidths (:func:`bandwidth`), the dense
affinity matrix (:func:`affinity`) and its eigenvalues (:func:`spectrum`,
:func:`eigenvalues`) — the public lower level that :mod:`softent.compat.dse_dsmi` and the
estimators stand on.

Kernels (Liao et al. 2023, "Assessing neural network representations during training
using noise-resilient diffusion spectral entropy", eq. 1; dse-dsmi 1.1 ``diffusion.py``):

- ``kernel="gaussian"``, ``sigma`` a number or ``"median"``: g_ij = exp(-||x_i - x_j||^2 /
  (2 sigma^2)), times 1/(sigma sqrt(2 pi)) with ``prefactor=True`` (dse-dsmi's; it cancels
  in every normalised spectrum).
- ``kernel="gaussian"``, ``sigma="knn"`` (the default): self-tuning, g_ij = exp(-||x_i -
  x_j||^2 / (2 sigma_i sigma_j)) with sigma_i the distance of row i to its k-th nearest other
  row (Zelnik-Manor & Perona 2004, "Self-tuning spectral clustering", with the Gaussian's 1/2).
- ``kernel="knn"``: dse-dsmi's binarised adjacency, a_ij = 1 when ||x_i - x_j|| is at most
  the distance of row i to its k-th nearest other row (ties included), the row itself
  counted (dse-dsmi's ``knn=K`` is ``k=K - 1`` here). Not symmetric.

Normalisations: ``"symmetric"`` K = D^-1/2 G D^-1/2, D = diag(row sums) (the diffusion
matrix's spectrum; dse-dsmi calls this ``anisotropic=True`` in its adjacency entropy);
``"anisotropic"`` Coifman & Lafon 2006's alpha = 1 density normalisation G' = D^-1 G D^-1
followed by the symmetric one on G'.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._checks import cpu_threads, fail
from .._interop import is_torch, to_numpy
from ..knn.neighbours import nearest_neighbours
from . import _inputs
from ._blas import blas_threads, symmetric_eigenvalues
from ._kernel import run_affinity

__all__ = ["Bandwidth", "affinity", "bandwidth", "eigenvalues", "spectrum"]

#: rows above which sigma="median" is the median over a seeded subset of this many rows
MEDIAN_ROWS = 4096


@dataclass(frozen=True)
class Bandwidth:
    """The bandwidth of a Gaussian affinity: one ``sigma`` (``kind`` "fixed" or "median"),
    or per-row ``scales`` sigma_i (``kind`` "knn", the distance to the k-th nearest other
    row). ``subset(rows)`` is the same bandwidth on a subset of the rows (a conditional
    entropy reuses the bandwidth of the whole set)."""

    kind: str
    sigma: float | None = None
    k: int | None = None
    scales: np.ndarray | None = field(default=None, repr=False, compare=False)
    #: the data's units per unit of sigma and scales (not 1 only inside the estimators, for
    #: rows scaled by a power of two: see softent.spectral._inputs.scaled)
    unit: float = 1.0

    @property
    def typical(self) -> float:
        """sigma, or the median of the sigma_i, in the data's units."""
        if self.scales is not None:
            return float(np.median(self.scales)) * self.unit
        return float(self.sigma) * self.unit  # type: ignore[arg-type]

    def subset(self, rows: np.ndarray) -> Bandwidth:
        if self.scales is None:
            return self
        return Bandwidth(self.kind, None, self.k, self.scales[rows], self.unit)

    def in_data_units(self) -> Bandwidth:
        if self.unit == 1.0:
            return self
        return Bandwidth(
            self.kind,
            None if self.sigma is None else self.sigma * self.unit,
            self.k,
            None if self.scales is None else self.scales * self.unit,
        )

    def describe(self) -> str:
        if self.kind == "knn":
            return f"knn(k={self.k}, median sigma_i={self.typical:.4g})"
        return f"{self.kind}(sigma={self.typical:.4g})"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "sigma": self.typical, "k": self.k}


def _median_distance(x: Any) -> float:
    """The median pairwise Euclidean distance (pairs i < j) of the rows of ``x``, over a
    seeded subset of MEDIAN_ROWS rows when there are more (O(MEDIAN_ROWS^2) memory)."""
    a = to_numpy(x).astype(np.float64)
    n = a.shape[0]
    if n > MEDIAN_ROWS:
        a = a[np.sort(np.random.default_rng(0).choice(n, MEDIAN_ROWS, replace=False))]
    a = a - a.mean(axis=0)
    sq = np.einsum("ij,ij->i", a, a)
    d2 = sq[:, None] + sq[None, :] - 2.0 * (a @ a.T)
    iu = np.triu_indices(a.shape[0], 1)
    return float(np.sqrt(np.median(np.maximum(d2[iu], 0.0))))


def _bandwidth(
    api: str, x: Any, sigma: Any, k: Any, num_threads: int, unit: float = 1.0
) -> Bandwidth:
    """The bandwidth of the rows ``x`` that :func:`softent.spectral._inputs.scaled` divided
    by ``unit`` (a number sigma is divided by it too)."""
    s = _inputs.check_sigma(api, sigma)
    if s == "median":
        return Bandwidth("median", _median_distance(x), unit=unit)
    if s == "knn":
        kk = _inputs.check_k(api, k, int(x.shape[0]))
        nb = nearest_neighbours(x, kk, num_threads=num_threads or None)
        kth = to_numpy(nb.distances)[:, kk - 1].astype(np.float64)
        return Bandwidth("knn", None, kk, np.ascontiguousarray(kth), unit)
    return Bandwidth("fixed", float(s) / unit, unit=unit)


def bandwidth(
    x: Any, sigma: float | str = "knn", *, k: int | None = None, num_threads: int | None = None
) -> Bandwidth:
    """The bandwidth the spectral estimators use for ``x`` [N, D] (N >= 2, finite):

    - a number: that sigma (the same units as x);
    - ``"median"``: the median Euclidean distance over pairs of rows (exact up to
      N = 4096 rows, else over a seeded subset of 4096 rows);
    - ``"knn"``: per-row sigma_i = the distance to the k-th nearest other row (exact, from
      :func:`softent.knn.nearest_neighbours`).
    """
    api = "spectral.bandwidth"
    arr, unit = _inputs.prepared(api, x)
    k = _inputs.check_k(api, k, int(arr.shape[0]), _inputs.is_knn(sigma))
    return _bandwidth(api, arr, sigma, k, _inputs.threads(api, num_threads), unit).in_data_units()


def _gaussian(
    api: str, x: Any, bw: Bandwidth, prefactor: bool, threads: int, output: str = "dense", **kw: Any
) -> Any:
    pref = 1.0
    if prefactor:
        if bw.scales is not None:
            fail(api, "prefactor", "False with sigma='knn' (no single sigma)", True)
        sigma = bw.sigma * bw.unit  # type: ignore[operator]
        pref = 1.0 / (sigma * math.sqrt(2.0 * math.pi)) if sigma else 1.0
    if bw.scales is not None:
        return run_affinity(
            x, api, output=output, scales=bw.scales, prefactor=pref, num_threads=threads, **kw
        )
    if bw.sigma == 0.0:  # every row identical (median 0): 1 between duplicates, else 0
        zeros = np.zeros(int(x.shape[0]))
        return run_affinity(
            x, api, output=output, scales=zeros, prefactor=pref, num_threads=threads, **kw
        )
    return run_affinity(
        x, api, output=output, sigma=bw.sigma, prefactor=pref, num_threads=threads, **kw
    )


def _knn_adjacency(x: Any, k: int, threads: int) -> np.ndarray:
    """dse-dsmi's binarised kNN adjacency [N, N] float64: a_ij = 1 when d_ij <= the distance
    of i to its k-th nearest other row (ties included), a_ii = 1."""
    n = int(x.shape[0])
    nb = nearest_neighbours(x, k, num_threads=threads or None)
    dist = to_numpy(nb.distances)
    radius = dist[:, k - 1]
    # Rows tied with their k-th neighbour hold more than k rows within the radius: ask for
    # as many neighbours as the most tied row has (rare: duplicated or lattice data).
    from ..knn.neighbours import radius_counts

    counts = to_numpy(radius_counts(x, radius, strict=False)).astype(np.int64)
    kmax = int(counts.max())
    ids = to_numpy(nb.indices)
    if kmax > k:
        ids = to_numpy(nearest_neighbours(x, min(kmax, n - 1), num_threads=threads or None).indices)
    a = np.zeros((n, n), dtype=np.float64)
    rows = np.repeat(np.arange(n), counts)
    cols = np.concatenate([ids[i, : counts[i]] for i in range(n)]) if kmax > k else ids.ravel()
    a[rows, cols] = 1.0
    a[np.arange(n), np.arange(n)] = 1.0
    return a


def _normalise(a: Any, normalise: str | None) -> Any:
    """Normalise the dense affinity ``a`` in place (broadcasting: no N^3 products)."""
    if normalise is None:
        return a
    if normalise == "anisotropic":
        s = 1.0 / a.sum(1)
        a *= s[:, None]
        a *= s[None, :]
    s = a.sum(1) ** -0.5
    a *= s[:, None]
    a *= s[None, :]
    return a


def _matrix(
    api: str,
    x: Any,
    bw: Bandwidth | None,
    kernel: str,
    k: int,
    normalise: str | None,
    prefactor: bool,
    threads: int,
) -> Any:
    if kernel == "knn":
        a: Any = _knn_adjacency(x, k, threads)
        if is_torch(x):
            import torch

            a = torch.as_tensor(a, device=x.device)
    else:
        a = _gaussian(api, x, bw, prefactor, threads)  # type: ignore[arg-type]
    return _normalise(a, normalise)


def affinity(
    x: Any,
    *,
    sigma: float | str = "knn",
    kernel: str = "gaussian",
    k: int | None = None,
    normalise: str | None = None,
    prefactor: bool = False,
    num_threads: int | None = None,
) -> Any:
    """The dense affinity matrix [N, N] float64 of the rows of ``x`` [N, D] (see the module
    docstring for the kernels and normalisations). NumPy in -> NumPy out; torch in -> torch
    out on the same device. Memory: 8 N^2 bytes (refused up front when it would not fit).

    ``sigma``: a number, ``"median"`` or ``"knn"`` (see :func:`bandwidth`); ``k``: the
    neighbour rank of ``sigma="knn"`` and of ``kernel="knn"``; ``prefactor``: multiply the
    Gaussian by 1/(sigma sqrt(2 pi)) as dse-dsmi does (a number or "median" sigma only).
    """
    api = "spectral.affinity"
    arr, unit = _inputs.prepared(api, x)
    kern = _inputs.check_choice_kernel(api, kernel)
    norm = _inputs.check_normalise(api, normalise)
    threads = _inputs.threads(api, num_threads)
    kk = _inputs.check_k(api, k, int(arr.shape[0]), kern == "knn" or _inputs.is_knn(sigma))
    if not isinstance(prefactor, bool):
        fail(api, "prefactor", "a bool", repr(prefactor), TypeError)
    bw = None if kern == "knn" else _bandwidth(api, arr, sigma, kk, threads, unit)
    if kern == "knn" and prefactor:
        fail(api, "prefactor", "False with kernel='knn' (a 0/1 adjacency)", True)
    out = _matrix(api, arr, bw, kern, kk, norm, prefactor, threads)
    if is_torch(x) and not is_torch(out):  # a CPU tensor was read as a NumPy view
        import torch

        out = torch.from_numpy(out)
    return out


def _eigenvalues(a: Any, symmetric: bool, threads: int) -> np.ndarray:
    """Eigenvalues of the float64 matrix ``a`` (overwritten), descending; moduli when not
    symmetric. Symmetric on the host (NumPy, or a CPU tensor through its NumPy view): LAPACK's
    ``dsyevd`` (N < 2500) or ``dsyevd_2stage`` from softent's OpenBLAS, in place
    (:func:`._blas.symmetric_eigenvalues`; the 2-stage one about 2x faster than
    ``syevr``/``syevd`` at N = 5000). Not symmetric: ``geev`` through
    SciPy. A CUDA tensor: cuSOLVER through torch (``syevd`` / ``geev``). ``threads`` BLAS
    threads (0: every CPU this process may use)."""
    if is_torch(a) and a.device.type == "cpu" and symmetric:
        a = a.detach().numpy()  # a view: the host path below, in place
    if is_torch(a):
        import torch

        w = torch.linalg.eigvalsh(a) if symmetric else torch.linalg.eigvals(a).abs()
        w = w.cpu().numpy().astype(np.float64)
    elif symmetric:
        if not ((a.flags.c_contiguous or a.flags.f_contiguous) and a.flags.writeable):
            a = np.array(a, dtype=np.float64, order="C")  # LAPACK needs one contiguous buffer
        w = symmetric_eigenvalues(a, threads or cpu_threads())
    else:
        import scipy.linalg

        if a.flags.c_contiguous and not a.flags.f_contiguous:
            # the same eigenvalues, and Fortran order: LAPACK works in place, no copy
            a = a.T
        with blas_threads(threads or cpu_threads()):
            w = np.abs(scipy.linalg.eigvals(a, overwrite_a=True, check_finite=False))
    return np.sort(np.asarray(w, dtype=np.float64))[::-1].copy()


def eigenvalues(matrix: Any, *, num_threads: int | None = None) -> np.ndarray:
    """The eigenvalues of a square float matrix [N, N], float64 descending: of a symmetric
    matrix (exactly equal to its transpose) by LAPACK's ``dsyevd`` below 2500 rows, else
    ``dsyevd_2stage`` (the two-stage tridiagonal reduction of LAPACK >= 3.7), from the
    OpenBLAS softent links (cuSOLVER syevd
    for a CUDA tensor), else the moduli |lambda| of the general eigenvalues (``geev``). The
    input is not modified (one float64 copy, 8 N^2 bytes, is solved in place). BLAS threads:
    ``num_threads`` (None: every CPU this process may use)."""
    api = "spectral.eigenvalues"
    a = _inputs.rows(api, matrix, "matrix", min_rows=1)
    if a.shape[0] != a.shape[1]:
        fail(api, "matrix", "square [N, N]", f"shape {tuple(a.shape)}")
    threads = _inputs.threads(api, num_threads)
    a, unit = _inputs.scaled(a)  # eigenvalues scale with the matrix: LAPACK never overflows
    if is_torch(a):
        import torch

        a = a.to(torch.float64).clone()
        symmetric = bool(torch.equal(a, a.T))
    else:
        a = np.array(a, dtype=np.float64, order="F")  # a copy LAPACK may overwrite
        symmetric = bool(np.array_equal(a, a.T))
    return _eigenvalues(a, symmetric, threads) * unit


def spectrum(
    x: Any,
    *,
    sigma: float | str = "knn",
    kernel: str = "gaussian",
    k: int | None = None,
    normalise: str | None = "symmetric",
    method: str = "dense",
    num_threads: int | None = None,
) -> np.ndarray:
    """The eigenvalues (float64, descending) of the affinity matrix of ``x`` [N, D] built as
    :func:`affinity` does (default: the symmetric-normalised self-tuning Gaussian, the
    diffusion matrix of DSE). ``method="dense"`` (or "auto", the same): the whole spectrum
    by LAPACK (8 N^2 bytes; a whole spectrum has no Lanczos shortcut). For the
    non-symmetric ``kernel="knn"`` adjacency, the moduli |lambda|."""
    api = "spectral.spectrum"
    return _dense_spectrum(api, x, sigma, kernel, k, normalise, method, num_threads)[0]


def _dense_spectrum(
    api: str,
    x: Any,
    sigma: Any,
    kernel: Any,
    k: Any,
    normalise: Any,
    method: Any,
    num_threads: Any,
    checked: Callable[[], Any] | None = None,
) -> tuple[np.ndarray, Bandwidth | None, int, int, Any]:
    """The whole spectrum of the affinity matrix of ``x`` (:func:`spectrum` and the
    adjacency spectral entropy): (eigenvalues, bandwidth or None for the knn adjacency, k,
    N, ``checked()``). ``checked`` (the caller's own argument checks) runs after these
    checks and before any computation, so that the errors come in the same order."""
    arr, unit = _inputs.prepared(api, x)
    _inputs.check_method(api, method, ("dense", "auto"))
    kern = _inputs.check_choice_kernel(api, kernel)
    norm = _inputs.check_normalise(api, normalise)
    threads = _inputs.threads(api, num_threads)
    kk = _inputs.check_k(api, k, int(arr.shape[0]), kern == "knn" or _inputs.is_knn(sigma))
    extra = checked() if checked is not None else None
    bw = None if kern == "knn" else _bandwidth(api, arr, sigma, kk, threads, unit)
    a = _matrix(api, arr, bw, kern, kk, norm, False, threads)
    return _eigenvalues(a, kern != "knn", threads), bw, kk, int(arr.shape[0]), extra
