"""dse-dsmi 1.1's spectral entropies and mutual information (PyPI ``dse-dsmi``, import
``dse_dsmi``; Liao, Liu et al., ICMLW 2023 / CISS 2024) with the same signatures and the same
values (to 1e-10 on float32 and float64 input), the matrices built by softent's fused affinity
kernel and the eigenvalues by LAPACK through :mod:`softent.spectral` — a one-line import
change::

    from softent.compat.dse_dsmi import diffusion_spectral_entropy   # was: from dse_dsmi

What is reproduced, as dse-dsmi 1.1 computes it (``dse.py``, ``dsmi.py``, ``diffusion.py``,
``information_utils.py``):

- the Gaussian G_ij = exp(-||x_i - x_j||^2 / (2 sigma^2)) / (sigma sqrt(2 pi)) of an absolute
  ``gaussian_kernel_sigma``; K = D^-1/2 G D^-1/2 (D = diag of G's row sums); DSE is
  -sum p log2 p of p = |lambda|^t / sum |lambda|^t (+ 2.22e-16 on every p), lambda the
  eigenvalues of K (bits, as dse-dsmi: there is no ``base``);
- rows above ``max_N`` subsampled by ``random.sample(range(N), k=max_N)`` after
  ``random.seed(random_seed)`` (Python's Mersenne Twister, the same draws);
- ``classic_shannon_entropy`` (per-column min-max scaling, ``np.digitize`` into
  ``num_bins_per_dim`` equal bins, the entropy of the distinct bin vectors),
  ``matrix_entry_entropy`` (the entropy of the N^2 entries of P = D_K^-1 K),
  ``chebyshev_approx`` (its Chebyshev density-of-states "eigenvalues": 100 Rademacher probes
  drawn from NumPy's global random state, 50 moments, as dse-dsmi; its authors do not
  recommend it and its values are far from the exact ones — :mod:`softent.spectral` does not
  offer it);
- ASE: the spectrum of G, of K (``anisotropic=True``) or of the kNN 0/1 adjacency
  (``use_knn``: a_ij = 1 when ||x_i - x_j|| is at most row i's ``knn``-th smallest distance,
  itself included; not symmetric: the moduli of the general eigenvalues);
- DSMI/ASMI: sum_b p(b) [mean of ``num_repetitions`` entropies of random subsets of size n_b
  - H(A | B = b)], ``random.seed(random_seed)`` again before each class's draws; a
  continuous scalar reference min-max scaled and binned into ``n_clusters`` bins; a vector
  reference clustered by scikit-learn's ``SpectralClustering(n_clusters,
  affinity="nearest_neighbors", assign_labels="cluster_qr", random_state=0)`` (scikit-learn
  is needed then, and only then);
- float32 input: dse-dsmi's distances are float32 (scikit-learn rounds them) and its
  Gaussian is evaluated in float32 before the float64 prefactor promotes it (NumPy >= 2):
  those roundings are reproduced in NumPy here (softent's kernel computes float32 input more
  accurately, which differs by ~1e-8); float64 (and integer, float16) input runs on the
  native kernel. The values returned are float64 (``numpy.float64``), as dse-dsmi's.

Differences, none in the values of a call dse-dsmi completes:

- ``import`` silences no warnings (dse-dsmi runs ``warnings.filterwarnings("ignore")``);
  the global ``random`` state is neither seeded nor advanced when ``random_seed`` is given
  (a private ``random.Random(random_seed)`` draws the same numbers); with
  ``random_seed=None`` the global state is used, as dse-dsmi does.
- Eigenvalue files: written atomically by ``np.savez`` with a fingerprint of the input and
  read with ``allow_pickle=False``. **Rule**: an existing ``eigval_save_path`` is loaded
  only (a) when ``embedding_vectors`` is None (dse-dsmi's way to read back a saved
  spectrum), or (b) when this module wrote it for the same input (SHA-256 of its shape,
  dtype and bytes) and the same options that shape the spectrum (``gaussian_kernel_sigma``,
  ``max_N``, ``random_seed``, ``chebyshev_approx``; for ASE ``anisotropic``, ``use_knn``,
  ``knn``). Any other existing file raises ValueError: it never silently replaces the
  input. As in dse-dsmi the value of the saving call is computed from the eigenvalues
  rounded to ``eigval_save_precision`` (float16 by default: pass ``np.float64`` to keep
  them exact).
- Bad input raises a clear exception where dse-dsmi returns NaN, crashes deep inside, or
  continues on mismatched lengths: NaN/Inf, empty or non-2-D embeddings, sigma <= 0, t <= 0,
  ``knn`` above the rows, a reference or ``precomputed_clusters`` of another length, a
  boolean reference, a sum of |lambda|^t that is 0 or not finite. A file path without a
  folder works (dse-dsmi's ``os.makedirs("")`` fails). Inputs are never modified; the
  returned clusters are a copy.
- :func:`patch` / :func:`unpatch` / :func:`patched` put these functions in place of the
  installed ``dse_dsmi``'s, so code that calls dse-dsmi runs on softent unchanged.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import numpy as np

from .. import spectral
from .._checks import check_fits, fail, is_int
from ._patch import PeerPatch, Target

__all__ = [
    "adjacency_spectral_entropy",
    "adjacency_spectral_mutual_information",
    "approx_eigvals",
    "compute_diffusion_matrix",
    "diffusion_spectral_entropy",
    "diffusion_spectral_mutual_information",
    "exact_eigvals",
    "patch",
    "patched",
    "unpatch",
]

_API = "compat.dse_dsmi."
#: dse-dsmi adds this to every probability before -sum p log2 p (np.finfo(float).eps)
_EPS = np.finfo(float).eps
#: the max_N dse-dsmi's DSMI/ASMI leave at its default in their inner entropy calls
_INNER_MAX_N = 10000
#: rows of the blocks of the in-place symmetrisation
_BLOCK = 512


# --------------------------------------------------------------------------- validation


def _flag(api: str, arg: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        fail(api, arg, "a bool", repr(value), TypeError)
    return bool(value)


def _positive(api: str, arg: str, value: Any) -> Any:
    """A finite real number > 0, returned as given (dse-dsmi's arithmetic keeps its type)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating)
    ):
        fail(api, arg, "a finite number > 0", repr(value), TypeError)
    if not (math.isfinite(float(value)) and float(value) > 0):
        fail(api, arg, "a finite number > 0", value)
    return value


def _int(api: str, arg: str, value: Any, lo: int, optional: bool = False) -> int | None:
    if optional and value is None:
        return None
    if not is_int(value):
        fail(api, arg, ("None or " if optional else "") + f"an int >= {lo}", repr(value), TypeError)
    if int(value) < lo:
        fail(api, arg, ("None or " if optional else "") + f"an int >= {lo}", int(value))
    return int(value)


def _seed(api: str, value: Any) -> Any:
    """None or a seed Python's random.seed takes (int, float, str, bytes)."""
    if value is None:
        return None
    try:
        random.Random(value)
    except TypeError:
        fail(api, "random_seed", "None or an int (a random.seed seed)", repr(value), TypeError)
    return value


def _precision(api: str, value: Any) -> np.dtype:
    try:
        dt = np.dtype(value)
    except TypeError:
        fail(api, "eigval_save_precision", "a NumPy float dtype", repr(value), TypeError)
    if dt.kind != "f":
        fail(api, "eigval_save_precision", "a NumPy float dtype (np.float16/32/64)", dt)
    return dt


def _path(api: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, (str, os.PathLike)):
        fail(api, "eigval_save_path", "None or a file path", repr(value), TypeError)
    return os.fspath(value)


def _embedding(api: str, x: Any, name: str = "embedding_vectors") -> np.ndarray:
    """``x`` as a 2-D real NumPy array [N, D] (its dtype kept: dse-dsmi's arithmetic depends
    on it), N, D >= 1, every value finite."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor
        x = x.detach().cpu().numpy()
    a = np.asarray(x)
    if a.dtype.kind not in "fiu":
        fail(api, name, "an array of real numbers", f"dtype {a.dtype}", TypeError)
    if a.ndim != 2:
        fail(api, name, "a 2-D array [N, D]", f"shape {a.shape}")
    if a.shape[0] < 1 or a.shape[1] < 1:
        fail(api, name, "non-empty (N >= 1 rows, D >= 1 columns)", f"shape {a.shape}")
    if a.dtype.kind == "f":
        ok = np.isfinite(a).all(axis=1)
        if not ok.all():
            bad = int(np.flatnonzero(~ok)[0])
            fail(api, name, "finite (no NaN/Inf)", f"a non-finite value in row {bad}")
    return a


# --------------------------------------------------------------------------- random draws


class _Draws:
    """Python's ``random`` as dse-dsmi drives it: ``seed(s)`` then ``sample``. dse-dsmi seeds
    the global generator; a private ``random.Random(s)`` gives the same numbers and leaves
    the caller's global state alone. Before any seed the global generator is used (what
    dse-dsmi draws from with ``random_seed=None``)."""

    def __init__(self) -> None:
        self.gen: Any = random

    def seed(self, s: Any) -> None:
        self.gen = random.Random(s)

    def sample(self, n: int, k: int) -> np.ndarray:
        return np.array(self.gen.sample(range(n), k=k))


def _subsample(x: np.ndarray, max_n: int | None, seed: Any, draws: _Draws) -> np.ndarray:
    if max_n is not None and len(x) > max_n:
        if seed is not None:
            draws.seed(seed)
        x = x[draws.sample(len(x), max_n), :]
    return x


# --------------------------------------------------------------------------- matrices


def _fits(api: str, n: int, per_entry: int) -> None:
    check_fits(api, "embedding_vectors", f"{n} rows (after max_N)", per_entry * n * n)


def _distances32(x: np.ndarray) -> np.ndarray:
    """scikit-learn's ``pairwise_distances`` of float32 rows (``_euclidean_distances_upcast``):
    -2 x.y + |x|^2 + |y|^2 in float64, rounded to float32, clipped at 0, diagonal 0, sqrt."""
    a = x.astype(np.float64)
    sq = np.einsum("ij,ij->i", a, a)
    d = a @ a.T
    d *= -2.0
    d += sq[:, None]
    d += sq[None, :]
    d32 = d.astype(np.float32)
    del d
    np.maximum(d32, 0, out=d32)
    np.fill_diagonal(d32, 0)
    np.sqrt(d32, out=d32)
    return d32


def _emulated(x: np.ndarray) -> bool:
    """Whether dse-dsmi's float32 (or one-row) arithmetic is reproduced in NumPy."""
    return x.dtype == np.float32 or x.shape[0] < 2


def _gaussian_numpy(x: np.ndarray, sigma: Any) -> np.ndarray:
    """dse-dsmi's G on float32 (or one-row) input, its expression and its NumPy promotions."""
    d = _distances32(x) if x.dtype == np.float32 else np.zeros((x.shape[0],) * 2)
    # dse-dsmi's diffusion.py, verbatim: float32 distances give a float32 exp, promoted to
    # float64 by the np.float64 prefactor (NEP 50)
    g = (1 / (sigma * np.sqrt(2 * np.pi))) * np.exp((-(d**2)) / (2 * sigma**2))
    return np.asarray(g, dtype=np.float64)


def _normalise(g: np.ndarray) -> np.ndarray:
    """K = D^-1/2 G D^-1/2 in place by broadcasting (dse-dsmi: two N^3 products with diag)."""
    s = 1 / np.sum(g, axis=1) ** 0.5
    g *= s[:, None]
    g *= s[None, :]
    return g


def _gaussian(api: str, x: np.ndarray, sigma: Any, normalise: bool) -> np.ndarray:
    """dse-dsmi's G (``normalise=False``) or K (True) of the rows of x, float64 [N, N]."""
    n = x.shape[0]
    if _emulated(x):
        _fits(api, n, 28)
        g = _gaussian_numpy(x, sigma)
        return _normalise(g) if normalise else g
    _fits(api, n, 16)
    return spectral.affinity(
        x.astype(np.float64, copy=False),
        sigma=float(sigma),
        prefactor=True,
        normalise="symmetric" if normalise else None,
    )


def _knn_adjacency(api: str, x: np.ndarray, knn: int) -> np.ndarray:
    """dse-dsmi's binarised kNN adjacency: a_ij = 1 when d_ij <= row i's knn-th smallest
    distance (d_ii = 0 included), float64 [N, N]."""
    n = x.shape[0]
    if knn > n:
        fail(api, "knn", f"at most the number of rows ({n})", knn)
    if x.dtype == np.float32:
        # dse-dsmi's float32 distances decide the ties: reproduce them and its selection
        _fits(api, n, 16)
        d = _distances32(x)
        kth = d[np.arange(n), np.argpartition(d, knn - 1, axis=1)[:, knn - 1]]
        return (d <= kth[:, None]).astype(np.float64)
    if knn == 1 or n < 2:  # the row itself only
        return np.eye(n)
    _fits(api, n, 16)
    return spectral.affinity(x.astype(np.float64, copy=False), kernel="knn", k=knn - 1)


def _symmetrise(a: np.ndarray) -> np.ndarray:
    """(A + A^T) / 2 in place, by blocks (O(block^2) extra memory): the kernel's G and K are
    symmetric up to rounding, and exact symmetry lets LAPACK's symmetric solver run (dse-dsmi
    calls ``eigvalsh`` when ``np.allclose(A, A.T)``, which reads one triangle)."""
    n = a.shape[0]
    for i in range(0, n, _BLOCK):
        for j in range(i, n, _BLOCK):
            m = 0.5 * (a[i : i + _BLOCK, j : j + _BLOCK] + a[j : j + _BLOCK, i : i + _BLOCK].T)
            a[i : i + _BLOCK, j : j + _BLOCK] = m
            a[j : j + _BLOCK, i : i + _BLOCK] = m.T
    return a


def _exact(a: np.ndarray, symmetric: bool, signed: bool = False) -> np.ndarray:
    """dse-dsmi's ``exact_eigvals``: ascending real eigenvalues of a symmetric matrix
    (``syevd``), else the moduli of the general ones — or, with ``signed``, the complex
    eigenvalues themselves (needed only where dse-dsmi keeps their real parts)."""
    if symmetric:
        return spectral.eigenvalues(_symmetrise(a))[::-1].copy()
    # Not symmetric (the kNN adjacency): its eigenvalues are often defective, and rounding
    # moves them by ~sqrt(eps) (2e-8 in the entropy between SciPy's and NumPy's OpenBLAS).
    # dse-dsmi's values come from NumPy's LAPACK: the same call reproduces them.
    w = np.linalg.eigvals(a)
    return w if signed else np.abs(w)


# --------------------------------------------------------------------------- entropies


def _bits(prob: np.ndarray) -> np.float64:
    """dse-dsmi's last step: -sum p log2 p after adding 2.22e-16 to every p."""
    prob = prob + _EPS
    return -np.sum(prob * np.log2(prob))


def _spectral_bits(api: str, eigvals: np.ndarray, t: Any) -> np.float64:
    eigvals = np.abs(eigvals)
    eigvals = eigvals**t
    total = eigvals.sum()
    if eigvals.size and not (np.isfinite(total) and total > 0):
        fail(
            api,
            "t",
            "such that the sum of |eigenvalue|**t is finite and > 0 (in the eigenvalues' "
            "dtype: see eigval_save_precision)",
            f"t={t} with a sum of {total}",
        )
    return _bits(eigvals / total)


def _classic_bits(x: np.ndarray, bins_per_dim: int) -> np.float64:
    """dse-dsmi's classic Shannon entropy: min-max scaling, equal bins, distinct bin vectors.
    A constant column gives 0/0 there (NaN, digitized into the last bin, silenced): the same
    bins here, without the warning."""
    vecs = x.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        vecs = (vecs - np.min(vecs, axis=0)) / (np.max(vecs, axis=0) - np.min(vecs, axis=0))
    vecs = np.digitize(vecs, bins=np.linspace(0, 1, bins_per_dim + 1)[:-1])
    counts = np.unique(vecs, axis=0, return_counts=True)[1]
    return _bits(counts / np.sum(counts))


def _matrix_entry_bits(api: str, x: np.ndarray, sigma: Any) -> np.float64:
    k = _gaussian(api, x, sigma, True)
    k *= (1.0 / np.sum(k, axis=1))[:, None]  # P = diag(1 / row sums) K, by broadcasting
    entries = np.abs(k.reshape(-1), out=k.reshape(-1))
    return _bits(entries / entries.sum())


# --------------------------------------------------------------------------- eigenvalue files


def _fingerprint(kind: str, x: np.ndarray, options: dict[str, Any]) -> str:
    a = np.ascontiguousarray(x)
    h = hashlib.sha256()
    head = {"kind": kind, "shape": list(a.shape), "dtype": a.dtype.str, **options}
    h.update(json.dumps(head, sort_keys=True, default=repr).encode())
    h.update(memoryview(a).cast("B"))
    return "softent.compat.dse_dsmi/1:" + h.hexdigest()


def _load(api: str, path: str, fingerprint: str | None) -> np.ndarray:
    """The eigenvalues saved at ``path`` as float64, by the loading rule of the module
    docstring (``fingerprint`` None: no input was given)."""
    what = "an .npz file with a 1-D real array 'eigvals' (np.savez; pickles are refused)"
    try:
        z = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as e:
        fail(api, "eigval_save_path", what, f"{path!r} ({e})")
    if not hasattr(z, "files"):
        fail(api, "eigval_save_path", what, f"{path!r} (a single .npy array)")
    with z:
        if "eigvals" not in z.files:
            fail(api, "eigval_save_path", what, f"{path!r} with arrays {z.files}")
        try:
            eig = z["eigvals"]
            stored = str(z["softent_fingerprint"]) if "softent_fingerprint" in z.files else None
        except ValueError as e:  # an object array: a pickle
            fail(api, "eigval_save_path", what, f"{path!r} ({e})")
    if eig.ndim != 1 or eig.dtype.kind not in "fiu" or not np.isfinite(eig).all():
        fail(api, "eigval_save_path", what, f"{path!r} holding {eig.dtype} shape {eig.shape}")
    if fingerprint is not None and stored != fingerprint:
        origin = "of unknown origin" if stored is None else "of another input or other options"
        fail(
            api,
            "eigval_save_path",
            "a new path, or a file this function saved for the same embedding_vectors and "
            "options (an existing file never replaces the input; pass embedding_vectors=None "
            "to read it)",
            f"{path!r}, which holds eigenvalues {origin}",
        )
    return eig.astype(np.float64)


def _save(path: str, eigvals: np.ndarray, fingerprint: str) -> None:
    """Write atomically (a temporary file in the same folder, then a rename)."""
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as f:
            np.savez(f, eigvals=eigvals, softent_fingerprint=np.array(fingerprint))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _eigvals(
    api: str,
    path: str | None,
    fingerprint: str | None,
    precision: np.dtype,
    verbose: bool,
    compute: Callable[[], np.ndarray],
) -> np.ndarray:
    """The eigenvalues of a DSE/ASE call: loaded from ``path`` when it exists, else
    ``compute()`` (its matrix freed on return) and, with a ``path``, saved there."""
    if path is not None and os.path.exists(path):
        _say(verbose, f"Loading pre-computed eigenvalues from {path}")
        return _load(api, path, fingerprint)
    eigvals = compute()
    if path is not None:
        # dse-dsmi computes this call's value from the eigenvalues it saved (rounded to
        # precision); its float16 copy of complex eigenvalues keeps their real parts
        eigvals = np.real(eigvals).astype(precision)
        _save(path, eigvals, fingerprint)  # type: ignore[arg-type]
        _say(verbose, f"Eigenvalues saved to {path}")
    return eigvals


def _say(verbose: bool, msg: str) -> None:
    if verbose:
        print(msg)


# --------------------------------------------------------------------------- entropy fronts


def _dse(
    api: str,
    x: np.ndarray | None,
    sigma: Any,
    t: Any,
    max_n: int | None,
    chebyshev: bool,
    path: str | None,
    precision: np.dtype,
    classic: bool,
    entries: bool,
    bins_per_dim: int,
    seed: Any,
    verbose: bool,
    draws: _Draws,
    fingerprint: str | None = None,
) -> np.float64:
    if x is not None:
        x = _subsample(x, max_n, seed, draws)
    if classic:
        _say(verbose, "Computing Classic Shannon Entropy...")
        return _classic_bits(x, bins_per_dim)  # type: ignore[arg-type]
    _say(verbose, "Computing Diffusion Spectral Entropy...")
    if entries:
        return _matrix_entry_bits(api, x, sigma)  # type: ignore[arg-type]

    def compute() -> np.ndarray:
        k = _gaussian(api, x, sigma, True)  # type: ignore[arg-type]
        return approx_eigvals(k) if chebyshev else _exact(k, True)

    eigvals = _eigvals(api, path, fingerprint, precision, verbose, compute)
    return _spectral_bits(api, eigvals, t)


def diffusion_spectral_entropy(
    embedding_vectors: Any,
    gaussian_kernel_sigma: float = 10,
    t: int = 1,
    max_N: int | None = 10000,
    chebyshev_approx: bool = False,
    eigval_save_path: str | None = None,
    eigval_save_precision: Any = np.float16,
    classic_shannon_entropy: bool = False,
    matrix_entry_entropy: bool = False,
    num_bins_per_dim: int = 2,
    random_seed: Any = 0,
    verbose: bool = False,
) -> np.float64:
    """dse-dsmi 1.1's ``diffusion_spectral_entropy``, in **bits**: -sum p log2 p of
    p_i = |lambda_i|^t / sum_j |lambda_j|^t (+ 2.22e-16), lambda the eigenvalues of
    K = D^-1/2 G D^-1/2, G_ij = exp(-||x_i - x_j||^2 / (2 sigma^2)) / (sigma sqrt(2 pi))
    (Liao et al. 2023, eq. 2), of ``embedding_vectors`` [N, D] (N >= 1; float32/float64).

    Rows above ``max_N`` are subsampled (``random.sample`` after ``random.seed(random_seed)``).
    ``classic_shannon_entropy``: the binned entropy of ``num_bins_per_dim`` bins per column
    instead; ``matrix_entry_entropy``: the entropy of the entries of P = D_K^-1 K;
    ``chebyshev_approx``: dse-dsmi's (inaccurate) Chebyshev eigenvalues, probes from NumPy's
    global random state. ``eigval_save_path``: see the loading rule of the module docstring.
    Cost: O(N^3) time, about 16 N^2 bytes (28 N^2 for float32 input)."""
    api = _API + "diffusion_spectral_entropy"
    x = None if embedding_vectors is None else _embedding(api, embedding_vectors)
    sigma = _positive(api, "gaussian_kernel_sigma", gaussian_kernel_sigma)
    t = _positive(api, "t", t)
    max_n = _int(api, "max_N", max_N, 1, optional=True)
    cheb = _flag(api, "chebyshev_approx", chebyshev_approx)
    path = _path(api, eigval_save_path)
    precision = _precision(api, eigval_save_precision)
    classic = _flag(api, "classic_shannon_entropy", classic_shannon_entropy)
    entries = _flag(api, "matrix_entry_entropy", matrix_entry_entropy)
    bins = _int(api, "num_bins_per_dim", num_bins_per_dim, 1)
    seed = _seed(api, random_seed)
    verbose = _flag(api, "verbose", verbose)
    loading = path is not None and not classic and not entries
    if x is None and not (loading and os.path.exists(path)):  # type: ignore[arg-type]
        fail(
            api,
            "embedding_vectors",
            "an [N, D] array (None only to read an existing eigval_save_path)",
            None,
        )
    fp = None
    if loading and x is not None:
        options = {"sigma": float(sigma), "max_N": max_n, "seed": seed, "chebyshev": cheb}
        fp = _fingerprint("dse", x, options)
    return _dse(
        api, x, sigma, t, max_n, cheb, path, precision, classic, entries, bins,  # type: ignore[arg-type]
        seed, verbose, _Draws(), fp,
    )  # fmt: skip


def _ase(
    api: str,
    x: np.ndarray | None,
    sigma: Any,
    anisotropic: bool,
    use_knn: bool,
    knn: int,
    max_n: int | None,
    path: str | None,
    precision: np.dtype,
    seed: Any,
    verbose: bool,
    draws: _Draws,
    fingerprint: str | None = None,
) -> np.float64:
    if x is not None:
        x = _subsample(x, max_n, seed, draws)

    def compute() -> np.ndarray:
        _say(verbose, "Computing adjacency matrix.")
        if use_knn:
            a = _knn_adjacency(api, x, knn)  # type: ignore[arg-type]
            symmetric = bool(np.array_equal(a, a.T))  # 0/1: np.allclose is equality
        else:
            a = _gaussian(api, x, sigma, anisotropic)  # type: ignore[arg-type]
            symmetric = True
        return _exact(a, symmetric, signed=path is not None)

    eigvals = _eigvals(api, path, fingerprint, precision, verbose, compute)
    return _spectral_bits(api, eigvals, 1)


def adjacency_spectral_entropy(
    embedding_vectors: Any,
    gaussian_kernel_sigma: float = 10,
    anisotropic: bool = False,
    use_knn: bool = False,
    knn: int = 10,
    max_N: int | None = 10000,
    eigval_save_path: str | None = None,
    eigval_save_precision: Any = np.float16,
    random_seed: Any = 0,
    verbose: bool = False,
) -> np.float64:
    """dse-dsmi 1.1's ``adjacency_spectral_entropy``, in **bits**: -sum p log2 p of
    p_i = |lambda_i| / sum_j |lambda_j| (+ 2.22e-16) for the eigenvalues of the Gaussian G
    (prefactor 1/(sigma sqrt(2 pi)) included), of K = D^-1/2 G D^-1/2 (``anisotropic=True``:
    DSE at t = 1) or, with ``use_knn``, of the 0/1 adjacency a_ij = [d_ij <= row i's
    ``knn``-th smallest distance, itself counted] (moduli of its general eigenvalues), of
    ``embedding_vectors`` [N, D]. ``max_N``, ``random_seed``, ``eigval_save_path`` as in
    :func:`diffusion_spectral_entropy`."""
    api = _API + "adjacency_spectral_entropy"
    x = None if embedding_vectors is None else _embedding(api, embedding_vectors)
    sigma = _positive(api, "gaussian_kernel_sigma", gaussian_kernel_sigma)
    aniso = _flag(api, "anisotropic", anisotropic)
    use_knn = _flag(api, "use_knn", use_knn)
    knn = _int(api, "knn", knn, 1)
    max_n = _int(api, "max_N", max_N, 1, optional=True)
    path = _path(api, eigval_save_path)
    precision = _precision(api, eigval_save_precision)
    seed = _seed(api, random_seed)
    verbose = _flag(api, "verbose", verbose)
    if x is None and not (path is not None and os.path.exists(path)):
        fail(
            api,
            "embedding_vectors",
            "an [N, D] array (None only to read an existing eigval_save_path)",
            None,
        )
    fp = None
    if path is not None and x is not None:
        options = {"sigma": float(sigma), "max_N": max_n, "seed": seed, "anisotropic": aniso,
                   "use_knn": use_knn, "knn": knn}  # fmt: skip
        fp = _fingerprint("ase", x, options)
    return _ase(
        api, x, sigma, aniso, use_knn, knn, max_n, path, precision, seed, verbose, _Draws(), fp
    )  # type: ignore[arg-type]


# --------------------------------------------------------------------------- information


def _clusters(
    api: str,
    n: int,
    reference: Any,
    discrete: Any,
    n_clusters: int,
    precomputed: Any,
) -> np.ndarray:
    """dse-dsmi's STEP 1: the class of every row (labels as given, scalar bins or spectral
    clusters), an [N, 1] or [N] array."""
    if hasattr(reference, "detach") and hasattr(reference, "cpu"):
        reference = reference.detach().cpu().numpy()
    ref = np.asarray(reference)
    if ref.ndim == 1:
        ref = ref.reshape(ref.shape[0], 1)
    if ref.ndim != 2:
        fail(api, "reference_vectors", "an array [N] or [N, D']", f"shape {ref.shape}")
    if ref.shape[0] != n:
        fail(api, "reference_vectors", f"{n} rows (as embedding_vectors)", ref.shape[0])
    if ref.dtype.kind == "b":
        fail(api, "reference_vectors", "numbers (cast booleans to int)", "dtype bool", TypeError)
    if discrete is not None and not isinstance(discrete, (bool, np.bool_)):
        fail(api, "reference_discrete", "None or a bool", repr(discrete), TypeError)
    if discrete is None:
        discrete = ref.shape[1] == 1 and np.issubdtype(ref.dtype, np.integer)
    if discrete:
        if ref.shape[1] != 1:
            fail(api, "reference_vectors", "[N] or [N, 1] with reference_discrete=True",
                 f"shape {ref.shape}")  # fmt: skip
        return ref.copy()
    if precomputed is not None:
        c = np.asarray(precomputed)
        if c.ndim not in (1, 2) or (c.ndim == 2 and c.shape[1] != 1) or c.shape[0] != n:
            fail(api, "precomputed_clusters", f"an array [{n}] or [{n}, 1]", f"shape {c.shape}")
        if c.dtype.kind == "f" and not np.isfinite(c).all():
            fail(api, "precomputed_clusters", "finite labels", "NaN/Inf")
        return c.copy()
    if ref.dtype.kind not in "fiu":
        fail(api, "reference_vectors", "numbers when not discrete", f"dtype {ref.dtype}", TypeError)
    if ref.dtype.kind == "f" and not np.isfinite(ref).all():
        fail(api, "reference_vectors", "finite (no NaN/Inf)", "a non-finite value")
    if ref.shape[1] == 1:
        # scalar binning (a constant reference: 0/0 -> NaN -> the last bin, as dse-dsmi)
        with np.errstate(divide="ignore", invalid="ignore"):
            vecs = (ref - np.min(ref, axis=0)) / (np.max(ref, axis=0) - np.min(ref, axis=0))
        return np.digitize(vecs, bins=np.linspace(0, 1, n_clusters + 1)[:-1])
    try:
        from sklearn.cluster import SpectralClustering
    except ImportError:
        fail(api, "reference_vectors",
             "labels or scalars, or precomputed_clusters, without scikit-learn (vectors are "
             "clustered by sklearn.cluster.SpectralClustering)", f"shape {ref.shape}",
             ImportError)  # fmt: skip
    op = SpectralClustering(
        n_clusters=n_clusters,
        affinity="nearest_neighbors",
        assign_labels="cluster_qr",
        random_state=0,
    ).fit(ref)
    return np.asarray(op.labels_)


def _information(
    x: np.ndarray,
    clusters: np.ndarray,
    entropy: Any,
    repetitions: int,
    seed: Any,
    draws: _Draws,
    reuse: bool = True,
) -> np.float64:
    """dse-dsmi's STEP 2: sum_b p(b) [mean_r H(random subset of n_b rows) - H(rows of b)].

    dse-dsmi re-seeds before every class's draws, so classes of one size draw the same
    subsets: each distinct subset's entropy is computed once and reused (the same rows in
    the same order give the same value; 10 balanced classes x 5 draws need 5 subset
    spectra, not 50). The draws themselves are all made, in dse-dsmi's order. Only where an
    entropy draws nothing itself: ``reuse`` False (Chebyshev probes come from NumPy's global
    generator) or subsets above the inner ``max_N`` (re-seeded and subsampled) compute
    every one, as dse-dsmi does."""
    labels, counts = np.unique(clusters, return_counts=True)
    done: dict[bytes, Any] = {}

    def subset_entropy(rows: np.ndarray) -> Any:
        if not reuse or rows.shape[0] > _INNER_MAX_N:
            return entropy(x[rows, :])
        key = np.asarray(rows, dtype=np.int64).tobytes()
        if key not in done:
            done[key] = entropy(x[rows, :])
        return done[key]

    by_class = []
    for label in labels:
        inside = clusters == label
        h_cond = entropy(x[inside.reshape(-1), :])
        if seed is not None:
            draws.seed(seed)
        size = int(np.sum(inside))
        hs = [subset_entropy(draws.sample(clusters.shape[0], size)) for _ in range(repetitions)]
        by_class.append(np.mean(hs) - h_cond)
    return np.sum(counts / np.sum(counts) * np.array(by_class))


def _mi_args(api: str, x: Any, ref: Any, discrete: Any, reps: Any, n_clusters: Any,
             precomputed: Any, sigma: Any, seed: Any, verbose: Any) -> tuple:  # fmt: skip
    x = _embedding(api, x)
    sigma = _positive(api, "gaussian_kernel_sigma", sigma)
    reps = _int(api, "num_repetitions", reps, 1)
    k = _int(api, "n_clusters", n_clusters, 1)
    seed = _seed(api, seed)
    verbose = _flag(api, "verbose", verbose)
    clusters = _clusters(api, x.shape[0], ref, discrete, k, precomputed)  # type: ignore[arg-type]
    return x, sigma, reps, seed, verbose, clusters


def diffusion_spectral_mutual_information(
    embedding_vectors: Any,
    reference_vectors: Any,
    reference_discrete: bool | None = None,
    gaussian_kernel_sigma: float = 10,
    t: int = 1,
    chebyshev_approx: bool = False,
    num_repetitions: int = 5,
    n_clusters: int = 10,
    precomputed_clusters: Any = None,
    classic_shannon_entropy: bool = False,
    matrix_entry_entropy: bool = False,
    num_bins_per_dim: int = 2,
    random_seed: Any = 0,
    verbose: bool = False,
) -> tuple[np.float64, np.ndarray]:
    """dse-dsmi 1.1's ``diffusion_spectral_mutual_information``, in **bits**: (DSMI, the
    class of every row). DSMI(A; B) = sum_b p(b) [mean over ``num_repetitions`` random
    subsets A* of size n_b of DSE(A*) - DSE(A | B = b)] (Liao et al. 2023 §3.2), with
    ``random.seed(random_seed)`` before each class's draws and every DSE as
    :func:`diffusion_spectral_entropy` with its ``max_N``/``random_seed`` defaults.

    ``reference_vectors`` [N] or [N, D']: class labels (integers with D' = 1, or
    ``reference_discrete=True``), continuous scalars (min-max binned into ``n_clusters``
    bins) or vectors (scikit-learn's spectral clustering into ``n_clusters``), unless
    ``precomputed_clusters`` [N] gives the classes. Can be negative."""
    api = _API + "diffusion_spectral_mutual_information"
    x, sigma, reps, seed, verbose, clusters = _mi_args(
        api, embedding_vectors, reference_vectors, reference_discrete, num_repetitions,
        n_clusters, precomputed_clusters, gaussian_kernel_sigma, random_seed, verbose,
    )  # fmt: skip
    t = _positive(api, "t", t)
    cheb = _flag(api, "chebyshev_approx", chebyshev_approx)
    classic = _flag(api, "classic_shannon_entropy", classic_shannon_entropy)
    entries = _flag(api, "matrix_entry_entropy", matrix_entry_entropy)
    bins = _int(api, "num_bins_per_dim", num_bins_per_dim, 1)
    draws = _Draws()

    def entropy(rows: np.ndarray) -> np.float64:
        return _dse(api, rows, sigma, t, _INNER_MAX_N, cheb, None, np.dtype(np.float16),
                    classic, entries, bins, 0, False, draws)  # type: ignore[arg-type]  # fmt: skip

    return _information(x, clusters, entropy, reps, seed, draws, not cheb), clusters  # type: ignore[arg-type]


def adjacency_spectral_mutual_information(
    embedding_vectors: Any,
    reference_vectors: Any,
    reference_discrete: bool | None = None,
    gaussian_kernel_sigma: float = 10,
    use_knn: bool = False,
    anisotropic: bool = False,
    num_repetitions: int = 5,
    n_clusters: int = 10,
    precomputed_clusters: Any = None,
    random_seed: Any = 0,
    verbose: bool = False,
) -> tuple[np.float64, np.ndarray]:
    """dse-dsmi 1.1's ``adjacency_spectral_mutual_information``, in **bits**: as
    :func:`diffusion_spectral_mutual_information` with every entropy
    :func:`adjacency_spectral_entropy` (``knn`` = 10, its default: with ``use_knn`` every
    class needs at least 10 rows)."""
    api = _API + "adjacency_spectral_mutual_information"
    x, sigma, reps, seed, verbose, clusters = _mi_args(
        api, embedding_vectors, reference_vectors, reference_discrete, num_repetitions,
        n_clusters, precomputed_clusters, gaussian_kernel_sigma, random_seed, verbose,
    )  # fmt: skip
    aniso = _flag(api, "anisotropic", anisotropic)
    use_knn = _flag(api, "use_knn", use_knn)
    draws = _Draws()

    def entropy(rows: np.ndarray) -> np.float64:
        return _ase(api, rows, sigma, aniso, use_knn, 10, _INNER_MAX_N, None,
                    np.dtype(np.float16), 0, False, draws)  # fmt: skip

    return _information(x, clusters, entropy, reps, seed, draws), clusters  # type: ignore[arg-type]


# --------------------------------------------------------------------------- its helpers


def compute_diffusion_matrix(X: Any, sigma: float = 10.0) -> np.ndarray:
    """dse-dsmi 1.1's ``diffusion.compute_diffusion_matrix``: K = D^-1/2 G D^-1/2 [N, N]
    float64 of the rows of ``X`` [N, D] (G with the 1/(sigma sqrt(2 pi)) prefactor), whose
    eigenvalues are those of the diffusion matrix P = D^-1 G."""
    api = _API + "compute_diffusion_matrix"
    return _gaussian(api, _embedding(api, X, "X"), _positive(api, "sigma", sigma), True)


def exact_eigvals(A: Any) -> np.ndarray:
    """dse-dsmi 1.1's ``information_utils.exact_eigvals``: the eigenvalues of the square
    matrix ``A``, ascending and real when ``np.allclose(A, A.T)`` (LAPACK ``syevd`` on the
    symmetrised matrix), else the complex general eigenvalues (``geev``). A is not modified."""
    api = _API + "exact_eigvals"
    a = np.array(_embedding(api, A, "A"), dtype=np.float64)  # a copy LAPACK may overwrite
    if a.shape[0] != a.shape[1]:
        fail(api, "A", "square [N, N]", f"shape {a.shape}")
    symmetric = bool(np.allclose(a, a.T, rtol=1e-5, atol=1e-8))
    return _exact(a, symmetric, signed=True)


def approx_eigvals(A: Any, filter_thr: float | None = 1e-3) -> np.ndarray:
    """dse-dsmi 1.1's ``information_utils.approx_eigvals`` (its ``chebyshev_approx``):
    "eigenvalues" of ``A`` [N, N] (spectrum assumed in [-1, 1]) read off a Chebyshev
    density-of-states estimate — entries below ``filter_thr`` zeroed, 50 moments
    tr T_k(A) from 100 Rademacher probes ``sign(np.random.randn(N, 100))`` (NumPy's global
    random state, as dse-dsmi: seed it with ``np.random.seed`` to repeat a value), the
    density integrated on 1001 points and each point repeated round(N x mass) times. Its
    authors do not recommend it: the values are far from the exact spectrum's. The count
    of values returned need not be N."""
    import scipy.sparse as ss

    api = _API + "approx_eigvals"
    m = np.array(_embedding(api, A, "A"), dtype=np.float64)
    n = m.shape[0]
    if m.shape[1] != n:
        fail(api, "A", "square [N, N]", f"shape {m.shape}")
    if filter_thr is not None:
        if isinstance(filter_thr, bool) or not isinstance(filter_thr, (int, float, np.number)):
            fail(api, "filter_thr", "None or a number >= 0", repr(filter_thr), TypeError)
        if not float(filter_thr) >= 0:
            fail(api, "filter_thr", "None or a number >= 0", filter_thr)
        m[np.abs(m) < filter_thr] = 0
    a = ss.csr_matrix(m)
    del m
    # dse-dsmi draws its probes from NumPy's global state: the same draws, on purpose
    moments, probes = 50, np.sign(np.random.randn(n, 100))  # noqa: NPY002
    c = np.zeros((moments, probes.shape[1]))
    prev, cur = probes, a @ probes
    c[0] = np.sum(probes * prev, 0)
    c[1] = np.sum(probes * cur, 0)
    for i in range(2, moments):
        prev, cur = cur, 2 * (a @ cur) - prev
        c[i] = sum(probes * cur, 0)  # dse-dsmi's builtin sum (its summation order)
    mean = np.mean(c, 1)
    xx = np.linspace(-1 + 1e-8, 1 - 1e-8, 1001)
    txx = np.arccos(xx)
    cdf = mean[0] * (txx - np.pi) / 2
    for idx in range(1, moments):
        cdf += mean[idx] * np.sin(idx * txx) / idx
    cdf *= -2 / np.pi
    pdf = np.zeros_like(cdf)
    pdf[:-1] = cdf[1:] - cdf[:-1]
    counts = np.round(n * pdf / np.sum(pdf))
    keep = counts > 0
    return np.repeat(xx[keep], counts[keep].astype(np.int64))


# --------------------------------------------------------------------------- patching

#: the names replaced in each module of the installed dse_dsmi
_TARGETS = {
    "dse_dsmi": (
        "diffusion_spectral_entropy",
        "adjacency_spectral_entropy",
        "diffusion_spectral_mutual_information",
        "adjacency_spectral_mutual_information",
    ),
    "dse_dsmi.dse": (
        "diffusion_spectral_entropy",
        "adjacency_spectral_entropy",
        "compute_diffusion_matrix",
        "exact_eigvals",
        "approx_eigvals",
    ),
    "dse_dsmi.dsmi": (
        "diffusion_spectral_entropy",
        "adjacency_spectral_entropy",
        "diffusion_spectral_mutual_information",
        "adjacency_spectral_mutual_information",
    ),
    "dse_dsmi.diffusion": ("compute_diffusion_matrix",),
    "dse_dsmi.information_utils": ("exact_eigvals", "approx_eigvals"),
}
_PATCH = PeerPatch(
    "compat.dse_dsmi",
    package="dse_dsmi",
    distribution="dse-dsmi",
    targets=[
        Target(module, name, globals()[name])
        for module, names in _TARGETS.items()
        for name in names
    ],
)


def patch() -> None:
    """Replace the installed ``dse_dsmi``'s functions (the package's four and, in its
    modules, ``compute_diffusion_matrix``, ``exact_eigvals``, ``approx_eigvals``) by this
    module's, so code that calls dse-dsmi runs on softent. Idempotent; :func:`unpatch`
    restores them. Importing dse_dsmi here leaves the warning filters as they were (its
    import runs ``warnings.filterwarnings("ignore")`` for the whole process)."""
    _PATCH.patch()


def unpatch() -> None:
    """Put the installed ``dse_dsmi``'s own functions back (identity; a no-op when not
    patched)."""
    _PATCH.unpatch()


def patched() -> AbstractContextManager[None]:
    """``with patched(): ...``: dse-dsmi patched inside the block, the state found restored
    after it."""
    return _PATCH.patched()


def is_patched() -> bool:
    """True while dse-dsmi is patched."""
    return _PATCH.is_patched()
