"""Spectral entropies of a representation x [N, D] from the spectrum of its data graph.

- :func:`diffusion_spectral_entropy` (DSE; Liao et al. 2023, eq. 2): the eigenvalues
  lambda of the diffusion matrix's symmetric form K = D^-1/2 G D^-1/2 give
  p_i = |lambda_i|^t / sum_j |lambda_j|^t, and DSE = -sum_i p_i log p_i: the von Neumann
  entropy of K^t / tr K^t, the entropy of t steps of diffusion on the graph.
- :func:`adjacency_spectral_entropy` (ASE; dse-dsmi 1.1): the same entropy of
  p_i = |lambda_i| / sum |lambda_j| for the eigenvalues of the affinity G itself, of K, or of
  the kNN adjacency.
- :func:`renyi_entropy`: the matrix-based Renyi alpha-entropy of Giraldo, Rao & Principe
  2014 (IEEE Trans. Inf. Theory 61(1), eq. 8): S_alpha(A) = log(sum_i lambda_i^alpha) /
  (1 - alpha) for A = G / N (a Gaussian Gram matrix with unit diagonal, trace 1).
- :func:`effective_rank`: RankMe (Garrido et al. 2023, ICML; Roy & Vetterli 2007): exp of
  the entropy of the normalised singular values of x.
- :func:`spectral_entropy`: the entropy of given eigenvalues (a precomputed spectrum).

Units: nats by default, ``base=2`` for bits (effective rank: a count). NumPy or torch in;
the results are frozen :class:`~softent.spectral.SpectralEntropy` records.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from .._checks import available_memory, check_base, check_fits, check_int, check_seed, fail
from .._interop import is_torch, to_numpy
from ..knn.neighbours import nearest_neighbours
from . import _inputs
from ._blas import blas_threads
from .graph import (
    Bandwidth,
    _bandwidth,
    _dense_spectrum,
    _eigenvalues,
    _gaussian,
    _normalise,
)
from .lanczos import slq_bytes, slq_entropy
from .operators import diffusion_operator, stored_fits
from .result import SpectralEntropy

__all__ = [
    "adjacency_spectral_entropy",
    "diffusion_spectral_entropy",
    "effective_rank",
    "renyi_entropy",
    "spectral_entropy",
]

#: eigenvalues reported in a result's summary
TOP = 10


def _log_p(w: np.ndarray, t: float) -> np.ndarray:
    """log p_i for p_i = |w_i|^t / sum |w_j|^t, in the log domain (|w|^t underflows for a
    large t); -inf for w_i = 0."""
    a = np.abs(np.asarray(w, dtype=np.float64))
    with np.errstate(divide="ignore"):
        lw = t * np.log(a)
    top = lw.max()
    if not np.isfinite(top):
        raise ValueError("all eigenvalues are 0")
    return lw - (top + math.log(np.exp(lw - top).sum()))


def _entropy_nats(w: np.ndarray, t: float) -> float:
    """-sum p log p (0 log 0 = 0) of p = |w|^t / sum |w|^t, in nats."""
    lp = _log_p(w, t)
    keep = np.isfinite(lp)
    return float(max(-(np.exp(lp[keep]) * lp[keep]).sum(), 0.0))


def spectral_entropy(eigenvalues: Any, *, t: float = 1.0, base: float = math.e) -> float:
    """The entropy -sum_i p_i log p_i of p_i = |lambda_i|^t / sum_j |lambda_j|^t for the given
    eigenvalues [N] (any order; DSE for the diffusion matrix's, ASE's with t = 1), in the
    unit of ``base`` (nats by default). Zero eigenvalues contribute 0 (no epsilon added)."""
    api = "spectral.spectral_entropy"
    w = to_numpy(eigenvalues)
    if w.ndim != 1 or w.shape[0] < 1:
        fail(api, "eigenvalues", "a non-empty 1-D array", f"shape {w.shape}")
    if w.dtype.kind not in "fiuc" or not np.isfinite(w).all():
        fail(api, "eigenvalues", "finite real numbers", f"dtype {w.dtype}")
    tt = _inputs.check_positive(api, "t", t)
    b = check_base(api, base)
    if not np.any(w != 0):
        fail(api, "eigenvalues", "not all 0", "all 0")
    return _entropy_nats(np.abs(w), tt) / math.log(b)


def _record(
    estimator: str,
    nats: float,
    base: float,
    t: float,
    bw: str,
    n: int,
    w: np.ndarray | None,
    method: str = "dense",
    stderr_nats: float = 0.0,
) -> SpectralEntropy:
    top = tuple(float(v) for v in w[:TOP]) if w is not None else ()
    lb = math.log(base)
    return SpectralEntropy(
        value=nats / lb,
        stderr=stderr_nats / lb,
        method=method,
        estimator=estimator,
        base=base,
        t=t,
        bandwidth=bw,
        n=n,
        top_eigenvalues=top,
        effective_number=math.exp(nats),
    )


def _diffusion_eigenvalues(api: str, x: Any, bw: Bandwidth, threads: int) -> np.ndarray:
    """The eigenvalues of K = D^-1/2 G D^-1/2 of the rows of x, descending."""
    g = _gaussian(api, x, bw, False, threads)
    return _eigenvalues(_normalise(g, "symmetric"), True, threads)


def _common(api: str, x: Any, sigma: Any, k: Any, method: Any, num_threads: Any) -> tuple:
    arr, unit = _inputs.prepared(api, x)
    _inputs.check_method(api, method)
    threads = _inputs.threads(api, num_threads)
    kk = _inputs.check_k(api, k, int(arr.shape[0]), _inputs.is_knn(sigma))
    bw = _bandwidth(api, arr, sigma, kk, threads, unit)
    return arr, threads, kk, bw


#: method="auto": the dense spectrum up to this many rows (when the matrix fits)
AUTO_DENSE_ROWS = 6000
#: method="auto": the kNN-sparsified operator from this many rows
AUTO_SPARSE_ROWS = 100_000


def choose_method(method: str, n: int) -> str:
    """The method "auto" stands for at N rows: "dense" up to AUTO_DENSE_ROWS rows when the
    matrix fits in half the available memory, "lanczos" below AUTO_SPARSE_ROWS, else
    "sparse"."""
    if method != "auto":
        return method
    if n <= AUTO_DENSE_ROWS and stored_fits(n):
        return "dense"
    return "lanczos" if n < AUTO_SPARSE_ROWS else "sparse"


#: default Lanczos steps (steps=None) of the stored / matrix-free K, whose products are the
#: run's cost and whose spectrum (a dense kernel) the quadrature resolves in ~15 steps
LANCZOS_STEPS = 20
#: default Lanczos steps of the kNN-sparsified K: its products are cheap and its spectrum
#: (a sparse graph's, spread down to 0) needs more steps for the same quadrature error
SPARSE_STEPS = 40


def _slq_options(api: str, probes: Any, steps: Any, seed: Any, neighbours: Any, k: int) -> tuple:
    """(probes, steps or None, seed, neighbours), checked; steps None: by the form."""
    pr = check_int(api, "probes", probes, lo=2)
    st = None if steps is None else check_int(api, "steps", steps, lo=1)
    sd = check_seed(api, "seed", seed)
    nb = 4 * k + 2 if neighbours is None else check_int(api, "neighbours", neighbours, lo=1)
    return pr, st, sd, nb


def _dse_nats(
    api: str,
    x: Any,
    bw: Bandwidth,
    t: float,
    method: str,
    threads: int,
    slq: tuple,
    matrix_free: bool | None = None,
    known: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[float, float, str, np.ndarray | None]:
    """(DSE in nats, its standard error, the method used, the eigenvalues or None) of the
    rows of x with bandwidth bw."""
    n = int(x.shape[0])
    used = choose_method(method, n)
    if used == "dense" or n < 3:
        w = _diffusion_eigenvalues(api, x, bw, threads)
        return _entropy_nats(w, t), 0.0, "dense", w
    probes, steps, seed, neighbours = slq
    if steps is None:
        steps = SPARSE_STEPS if used == "sparse" else LANCZOS_STEPS
    if used == "sparse":
        form = "sparse"
    elif matrix_free is None:
        form = "stored" if stored_fits(n, 4) else "matrix_free"
    else:
        form = "matrix_free" if matrix_free else "stored"
    block = None  # the basis within lanczos.BASIS_BYTES
    avail = available_memory()
    if form == "matrix_free" and (avail is None or 8 * n * probes * steps <= avail // 4):
        # every block costs `steps` passes of the N^2 D kernel: one block when it fits
        block = probes
    need = slq_bytes(n, steps, probes, block)
    check_fits(api, "probes", f"{probes} probes x {steps} steps", need)
    apply, top = diffusion_operator(api, x, bw, form, threads, neighbours, known)
    est = slq_entropy(apply, n, t, probes=probes, steps=steps, seed=seed, top=top, block=block)
    label = "sparse" if form == "sparse" else f"lanczos-{form.replace('_', '-')}"
    return est.value, est.stderr, label, None


def diffusion_spectral_entropy(
    x: Any,
    *,
    sigma: float | str = "knn",
    k: int | None = None,
    t: float = 1.0,
    base: float = math.e,
    method: str = "dense",
    probes: int = 32,
    steps: int | None = None,
    seed: int = 0,
    neighbours: int | None = None,
    matrix_free: bool | None = None,
    num_threads: int | None = None,
) -> SpectralEntropy:
    """Diffusion spectral entropy of the rows of ``x`` [N, D] (N >= 2, finite; float32 or
    float64, NumPy or torch): -sum p log p of p_i = |lambda_i|^t / sum |lambda_j|^t, lambda the
    eigenvalues of K = D^-1/2 G D^-1/2 (Liao et al. 2023), in the unit of ``base`` (nats).

    ``sigma``: the Gaussian's bandwidth, a number, ``"median"`` or ``"knn"`` (default:
    self-tuning sigma_i sigma_j from the distance to the ``k``-th nearest other row, k = 7,
    which adapts to the data's scale and dimension; dse-dsmi's absolute ``sigma=10`` makes G
    the identity on 768-dimensional embeddings and DSE log N). ``t``: the diffusion time,
    any real > 0 (large t weights the eigenvalues near 1: the number of well-separated
    clusters).

    ``method``:

    - ``"dense"``: every eigenvalue by LAPACK ``dsyevd``/``dsyevd_2stage`` (8 N^2 bytes, O(N^3)); exact,
      ``stderr`` 0.
    - ``"lanczos"``: stochastic Lanczos quadrature (:mod:`softent.spectral.lanczos`) of the
      same K: ``probes`` Rademacher probes (seeded by ``seed``) of ``steps`` Lanczos steps
      (None: 20; the quadrature of a dense kernel's spectrum settles in ~15);
      ``stderr`` the jackknife standard error over probes combined with the quadrature's
      movement. K is stored in float32 (4 N^2 bytes, written by the fused kernel) when that
      takes at most half the available memory, else applied matrix-free by the fused tile
      kernel (O(N (D + probes)) memory, N^2 D work per step); ``matrix_free`` forces either.
      The probes run in blocks whose Lanczos basis [block, steps, N] float64 stays within
      256 MiB (at least one probe); matrix-free, in one block when that basis takes at most
      a quarter of the available memory (each block costs ``steps`` kernel passes).
    - ``"sparse"``: SLQ on the kNN-sparsified kernel (``neighbours`` nearest rows per row,
      default 4k + 2; memory O(N (D + neighbours)) plus the basis's 256 MiB at most;
      ``steps`` None: 40, the sparse graph's spectrum needs more and its products are
      cheap): a different, sparser graph whose DSE approximates the dense one; for
      N >= 10^5.
    - ``"auto"``: dense up to 6,000 rows (when it fits), lanczos below 10^5, sparse above.

    ``num_threads``: OpenMP threads of the affinity kernel and BLAS threads of the
    eigensolver (None: every CPU this process may use).
    """
    api = "spectral.diffusion_spectral_entropy"
    arr, unit = _inputs.prepared(api, x)
    _inputs.check_method(api, method)
    threads = _inputs.threads(api, num_threads)
    n = int(arr.shape[0])
    kk = _inputs.check_k(api, k, n, _inputs.is_knn(sigma))
    tt = _inputs.check_positive(api, "t", t)
    b = check_base(api, base)
    slq = _slq_options(api, probes, steps, seed, neighbours, kk)
    if matrix_free is not None and not isinstance(matrix_free, bool):
        fail(api, "matrix_free", "None or a bool", repr(matrix_free), TypeError)
    known = None
    if choose_method(method, n) == "sparse" and _inputs.is_knn(sigma):
        # one neighbour search for both the bandwidths and the sparse graph
        nb = nearest_neighbours(arr, min(max(kk, slq[3]), n - 1), num_threads=threads or None)
        known = (to_numpy(nb.distances), to_numpy(nb.indices))
        kth = np.ascontiguousarray(known[0][:, kk - 1], dtype=np.float64)
        bw = Bandwidth("knn", None, kk, kth, unit)
    else:
        bw = _bandwidth(api, arr, sigma, kk, threads, unit)
    nats, se, used, w = _dse_nats(api, arr, bw, tt, method, threads, slq, matrix_free, known)
    return _record("dse", nats, b, tt, bw.describe(), n, w, method=used, stderr_nats=se)


def adjacency_spectral_entropy(
    x: Any,
    *,
    sigma: float | str = "knn",
    k: int | None = None,
    kernel: str = "gaussian",
    normalise: str | None = None,
    base: float = math.e,
    method: str = "dense",
    num_threads: int | None = None,
) -> SpectralEntropy:
    """Adjacency spectral entropy of the rows of ``x`` [N, D]: -sum p log p of p_i = |lambda_i|
    / sum |lambda_j| for the eigenvalues of the affinity matrix itself (dse-dsmi 1.1's
    ``adjacency_spectral_entropy``), in the unit of ``base`` (nats).

    ``kernel="gaussian"`` (``sigma`` as in :func:`diffusion_spectral_entropy`) with
    ``normalise=None`` (G), ``"symmetric"`` (K: dse-dsmi's ``anisotropic=True``; equal to
    DSE at t = 1) or ``"anisotropic"`` (Coifman-Lafon alpha = 1); ``kernel="knn"``: the 0/1
    adjacency of the ``k`` nearest other rows with the row itself (dse-dsmi's ``knn=k+1``;
    not symmetric: moduli of the general eigenvalues). ``method``: "dense" (or "auto", the
    same): the whole spectrum by LAPACK.
    """
    api = "spectral.adjacency_spectral_entropy"
    w, bw, kk, n, b = _dense_spectrum(
        api, x, sigma, kernel, k, normalise, method, num_threads, lambda: check_base(api, base)
    )
    desc = f"knn-adjacency(k={kk})" if bw is None else bw.describe()
    return _record("ase", _entropy_nats(w, 1.0), b, 1.0, desc, n, w)


def renyi_entropy(
    x: Any,
    *,
    alpha: float = 2.0,
    sigma: float | str = "knn",
    k: int | None = None,
    base: float = math.e,
    num_threads: int | None = None,
) -> SpectralEntropy:
    """Matrix-based Renyi alpha-entropy (Giraldo, Rao & Principe 2014) of the rows of ``x``
    [N, D]: S_alpha = log(sum_i lambda_i^alpha) / (1 - alpha), lambda the eigenvalues of
    A = G / N (G the Gaussian Gram matrix of ``sigma``, unit diagonal, so tr A = 1);
    alpha = 1 is the von Neumann entropy -sum lambda log lambda. In [0, log N], in the unit of
    ``base`` (nats).

    ``alpha=2`` (the default) needs no eigensolver: sum lambda^2 = ||A||_F^2 = sum_ij g_ij^2 /
    N^2, and g^2 is the same Gaussian with sigma / sqrt(2), summed by the matrix-free kernel
    in O(N) memory. Any other alpha > 0 takes the dense spectrum (8 N^2 bytes)."""
    api = "spectral.renyi_entropy"
    arr, threads, _, bw = _common(api, x, sigma, k, "dense", num_threads)
    a_ = _inputs.check_positive(api, "alpha", alpha)
    b = check_base(api, base)
    n = int(arr.shape[0])
    if a_ == 2.0:
        half = Bandwidth(
            bw.kind,
            None if bw.sigma is None else bw.sigma / math.sqrt(2.0),
            bw.k,
            None if bw.scales is None else bw.scales / math.sqrt(2.0),
            bw.unit,
        )
        deg = _gaussian(api, arr, half, False, threads, output="degrees")
        total = float(deg.sum()) if not is_torch(deg) else float(deg.sum().item())
        nats = -math.log(total / (n * n))
        return _record("renyi", nats, b, a_, bw.describe(), n, None, method="frobenius")
    g = _gaussian(api, arr, bw, False, threads)
    w = np.clip(_eigenvalues(g, True, threads) / n, 0.0, None)
    if a_ == 1.0:
        nats = _entropy_nats(w, 1.0)
    else:
        with np.errstate(divide="ignore"):
            nats = math.log(float((w[w > 0] ** a_).sum())) / (1.0 - a_)
    return _record("renyi", max(nats, 0.0), b, a_, bw.describe(), n, w)


def effective_rank(
    x: Any, *, center: bool = False, num_threads: int | None = None
) -> SpectralEntropy:
    """RankMe (Garrido et al. 2023, "RankMe: assessing the downstream performance of
    pretrained self-supervised representations by their rank", eq. 1; the effective rank of
    Roy & Vetterli 2007) of ``x`` [N, D]: exp(-sum_k p_k log p_k) with p_k = s_k / sum s_j, s
    the singular values of x (of x minus its column means with ``center=True``). A count in
    [1, min(N, D)] (``base`` is e: ``effective_number`` equals the value). RankMe adds
    1e-7 to every p_k; this is the exact value (0 log 0 = 0)."""
    api = "spectral.effective_rank"
    arr, _ = _inputs.prepared(api, x, min_rows=1)  # the rank is scale-free
    if not isinstance(center, bool):
        fail(api, "center", "a bool", repr(center), TypeError)
    threads = _inputs.threads(api, num_threads)
    a = np.array(to_numpy(arr), dtype=np.float64)  # a copy: LAPACK overwrites it
    if center:
        a -= a.mean(axis=0)
    if not np.any(a):
        fail(api, "x", "not all zero (no singular value is > 0)", "all zero")
    import scipy.linalg

    with blas_threads(threads or _inputs.cpu_count()):
        s = scipy.linalg.svdvals(a, overwrite_a=True, check_finite=False)
    nats = _entropy_nats(s, 1.0)
    r = _record("effective_rank", nats, math.e, 1.0, "none", int(a.shape[0]), s, "svd")
    return replace(r, value=math.exp(nats))
