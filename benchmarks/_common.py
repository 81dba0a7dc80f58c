"""Shared pieces of the benchmarks: sizes, thread counts, seeded data, reference formulas.

Everything here is deterministic (seeded) so that every candidate of a comparison, and
every benchmark file, sees exactly the same inputs. Reusable by any ``test_bench_*.py``:

    from benchmarks._common import size, clustered, token_labels, THREADS

- :func:`size` picks the small (CI smoke) or the full value of a size from
  ``SOFTENT_BENCH_FULL``.
- :data:`THREADS` is the one thread count given to every candidate
  (``SOFTENT_BENCH_THREADS``, default: all cores); :func:`pin_threads` exports it to
  OpenMP/OpenBLAS/MKL before they are loaded and to torch once it is.
- :func:`clustered` / :func:`token_labels`: seeded activations with 10 informative labels,
  and token-style labels with 50,000 values.
- :func:`numpy_information` / :func:`torch_information`: the plain formula that
  materialises the N x B assignment matrix (scores by one matmul, softmax, mean).
"""

from __future__ import annotations

import functools
import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: environment variables read by the thread pools of OpenMP, OpenBLAS, MKL, numexpr
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def full() -> bool:
    """True when ``SOFTENT_BENCH_FULL`` is set to anything but '', '0', 'false', 'no'."""
    return os.environ.get("SOFTENT_BENCH_FULL", "").strip().lower() not in ("", "0", "false", "no")


def size(small: Any, full_value: Any) -> Any:
    """``full_value`` under ``SOFTENT_BENCH_FULL=1``, else ``small`` (CI smoke sizes)."""
    return full_value if full() else small


def default_threads() -> int:
    value = os.environ.get("SOFTENT_BENCH_THREADS", "").strip()
    if value:
        return max(1, int(value))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


#: the thread count every candidate gets (softent num_threads, torch, BLAS, OpenMP)
THREADS = default_threads()

# Importing this module exports THREADS to the thread pools that are not loaded yet
# (numpy's OpenBLAS below included), without overriding values the user exported.
for _var in THREAD_ENV:
    os.environ.setdefault(_var, str(THREADS))

import numpy as np


def pin_threads(n: int | None = None, *, override: bool = True) -> int:
    """Give every thread pool ``n`` threads (default :data:`THREADS`); returns ``n``.

    The environment variables only take effect for libraries loaded afterwards (call
    this before importing numpy/torch where possible: ``run.py`` does it in each fresh
    worker process); torch is also set at run time when it is already imported.
    ``override=False`` keeps values the user already exported.
    """
    n = THREADS if n is None else int(n)
    for var in THREAD_ENV:
        if override or var not in os.environ:
            os.environ[var] = str(n)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(n)
    return n


def describe_threads() -> dict[str, Any]:
    """The thread settings in force, for printing next to every number."""
    info: dict[str, Any] = {var: os.environ.get(var) for var in THREAD_ENV}
    torch = sys.modules.get("torch")
    if torch is not None:
        info["torch.get_num_threads()"] = torch.get_num_threads()
    return info


# ----------------------------------------------------------------------------- data


def clustered(
    n: int, d: int, k: int = 10, seed: int = 0, dtype: Any = np.float32
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded activations ``z`` [n, d] (C-contiguous, ``dtype``) and labels [n] int64 in 0..k-1.

    z = mean[label] + N(0, I), label means ~ N(0, I/4): the labels carry information
    about z for every metric without making the histograms degenerate. Built in chunks so that N = 10^6, D = 768
    needs no temporary copy of z.
    """
    # A stream apart from default_rng(seed), which draws the bin centres of the same seed.
    rng = np.random.default_rng([0xDA7A, seed])
    means = (0.5 * rng.standard_normal((k, d))).astype(dtype)
    labels = rng.integers(0, k, n)
    z = rng.standard_normal((n, d), dtype=np.float32 if dtype == np.float32 else np.float64)
    z = z.astype(dtype, copy=False)
    step = 1 << 16
    for i in range(0, n, step):
        z[i : i + step] += means[labels[i : i + step]]
    return z, labels


@functools.lru_cache(maxsize=3)
def cached_clustered(n: int, d: int, k: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """:func:`clustered` (float32), cached across the benchmarks of one session. Read-only."""
    z, labels = clustered(n, d, k, seed)
    z.setflags(write=False)
    labels.setflags(write=False)
    return z, labels


def token_labels(n: int, n_values: int = 50_000, seed: int = 1) -> np.ndarray:
    """Token-style labels [n] int64: every value of 0..n_values-1 present (when n >=
    n_values), as evenly as possible, in a seeded random order."""
    rng = np.random.default_rng([0x70C5, seed])
    return rng.permutation(np.arange(n, dtype=np.int64) % n_values)


# ----------------------------------------------------------------------------- bins, temperatures


def soft_entropy_eps(n_bins: int, dim: int) -> float:
    """soft-entropy 0.1.5's ``find_eps(n_bins, dim)``: the root in [1e-5, 1] of the lower
    bound Ψ⁻(ε, d) = ln m of KL(vMF(1/ε) ‖ uniform) (see shared/PEERS.md). Used as the
    temperature of every cosine comparison so that both packages compute the same thing."""
    from scipy.optimize import brentq

    d = float(dim)
    nu, h, target = d / 2 - 1, d / 2, math.log(n_bins)

    def psi(eps: float) -> float:
        k = 1.0 / eps
        r = math.sqrt(k * k + nu * nu)
        return (
            k * k / (h + math.sqrt(k * k + h * h))
            - (r - nu + nu * math.log((d - 2) / (nu + r)))
            - target
        )

    return float(brentq(psi, 1e-5, 1.0, xtol=1e-12, rtol=1e-12, maxiter=500))


def cosine_setup(d: int, b: int, seed: int = 0) -> tuple[np.ndarray, float]:
    """(centres [b, d] float64 unit rows = soft-entropy's numpy reference points for
    ``seed``, temperature = soft-entropy's calibrated ε)."""
    g = np.random.default_rng(seed).standard_normal((b, d))
    return g / np.linalg.norm(g, axis=1, keepdims=True), soft_entropy_eps(b, d)


def euclidean_setup(z: np.ndarray, b: int, seed: int = 0) -> tuple[np.ndarray, float]:
    """(centres [b, d] float64 uniform in the box of ``z`` = softent.box_bins(z, b, seed),
    a temperature for the unsquared distance giving non-trivial entropies: the median
    gap between the nearest and the 3rd-nearest centre over a sample of rows)."""
    lo = z.min(axis=0).astype(np.float64)
    hi = z.max(axis=0).astype(np.float64)
    centres = np.random.default_rng(seed).uniform(lo, hi, size=(b, z.shape[1]))
    sample = np.asarray(z[: min(len(z), 512)], dtype=np.float64)
    dist = np.sqrt(
        np.maximum(
            (sample**2).sum(1)[:, None] - 2 * sample @ centres.T + (centres**2).sum(1)[None, :], 0
        )
    )
    dist.sort(axis=1)
    kth = min(2, b - 1)
    gap = float(np.median(dist[:, kth] - dist[:, 0])) if b > 1 else 1.0
    return centres, max(gap, 1e-6)


# ----------------------------------------------------------------------------- entropy math


def entropies(
    total: np.ndarray, per_label: np.ndarray | None, counts: np.ndarray | None
) -> tuple[float, float, float]:
    """(H, H(Z|L), I) in nats from float64 masses: total [B], per_label [K, B], counts [K]
    (weights N_k / N). Without labels, (H, nan, nan)."""

    def h(m: np.ndarray) -> np.ndarray:
        p = m / m.sum(axis=-1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(p > 0, -p * np.log(p), 0.0).sum(axis=-1)

    hz = float(h(np.asarray(total, np.float64)))
    if per_label is None:
        return hz, math.nan, math.nan
    w = counts / counts.sum()
    hzl = float(np.dot(w, h(np.asarray(per_label, np.float64))))
    return hz, hzl, hz - hzl


def dense_codes(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(codes [N] int64 in 0..K-1, counts [K]) for integer labels."""
    _, codes = np.unique(labels, return_inverse=True)
    codes = codes.reshape(-1)
    return codes, np.bincount(codes)


# ----------------------------------------------------------------------------- plain formulas


def numpy_information(
    z: np.ndarray,
    centres: np.ndarray,
    metric: str,
    temperature: float,
    labels: np.ndarray | None = None,
) -> tuple[float, float, float]:
    """The plain NumPy formula: scores [N, B] by one matmul, softmax over bins, mean over
    rows (per label: a sum over the rows of each label), all in z's dtype; entropies in
    float64. Materialises several N x B arrays. Returns (H, H(Z|L), I) in nats."""
    dtype = z.dtype
    c = np.asarray(centres, dtype=np.float64)
    if metric == "cosine":
        zn = z / np.linalg.norm(z, axis=1, keepdims=True)
        s = zn @ (c / np.linalg.norm(c, axis=1, keepdims=True)).astype(dtype).T
    elif metric == "euclidean":
        sq = (
            (z * z).sum(axis=1, keepdims=True)
            - 2 * (z @ c.astype(dtype).T)
            + (c * c).sum(axis=1).astype(dtype)
        )
        s = -np.sqrt(np.maximum(sq, 0))
    elif metric == "sqeuclidean":
        s = -(
            (z * z).sum(axis=1, keepdims=True)
            - 2 * (z @ c.astype(dtype).T)
            + (c * c).sum(axis=1).astype(dtype)
        )
    elif metric == "dot":
        s = z @ c.astype(dtype).T
    else:
        raise ValueError(metric)
    s = s / dtype.type(temperature)
    q = np.exp(s - s.max(axis=1, keepdims=True))
    q /= q.sum(axis=1, keepdims=True)
    total = q.sum(axis=0, dtype=np.float64)
    if labels is None:
        return entropies(total, None, None)
    codes, counts = dense_codes(labels)
    if len(counts) <= 64:  # few labels: one (K x N) @ (N x B) product
        onehot = np.zeros((len(counts), len(codes)), dtype=dtype)
        onehot[codes, np.arange(len(codes))] = 1
        per_label = (onehot @ q).astype(np.float64)
    else:  # token-style labels: sort the rows by label, sum each run
        order = np.argsort(codes, kind="stable")
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        per_label = np.add.reduceat(q[order], starts, axis=0).astype(np.float64)
    return entropies(total, per_label, counts)


def torch_information(
    z: Any, centres: np.ndarray, metric: str, temperature: float, labels: Any = None
) -> tuple[float, float, float]:
    """The plain torch formula (``z`` a CPU tensor): scores by one matmul (or ``cdist`` for
    the unsquared Euclidean distance), ``torch.softmax``, mean; per-label sums with
    ``index_add_``. Returns (H, H(Z|L), I) in nats."""
    import torch

    c = torch.as_tensor(np.asarray(centres), dtype=z.dtype)
    if metric == "cosine":
        s = torch.nn.functional.normalize(z, dim=1) @ torch.nn.functional.normalize(c, dim=1).T
    elif metric == "euclidean":
        s = -torch.cdist(z, c, compute_mode="use_mm_for_euclid_dist")
    elif metric == "sqeuclidean":
        s = -(torch.cdist(z, c, compute_mode="use_mm_for_euclid_dist") ** 2)
    elif metric == "dot":
        s = z @ c.T
    else:
        raise ValueError(metric)
    q = torch.softmax(s / temperature, dim=1)
    total = q.sum(dim=0, dtype=torch.float64).numpy()
    if labels is None:
        return entropies(total, None, None)
    values, codes, counts = torch.unique(labels, return_inverse=True, return_counts=True)
    per_label = torch.zeros((len(values), q.shape[1]), dtype=q.dtype).index_add_(0, codes, q)
    return entropies(total, per_label.double().numpy(), counts.numpy())


class Matmul:
    """The roofline: one bare float32 ``numpy.matmul`` [N, D] x [D, B] into a preallocated
    output (no allocation or page faults timed, just the GEMM)."""

    def __init__(self, z: np.ndarray, centres: np.ndarray) -> None:
        self.z = z
        self.ct = np.ascontiguousarray(
            centres, dtype=z.dtype
        ).T  # [D, B] view of [B, D], as softent
        self.out = np.empty((z.shape[0], centres.shape[0]), dtype=z.dtype)
        self.out.fill(0)  # touch the pages once

    def __call__(self) -> np.ndarray:
        return np.matmul(self.z, self.ct, out=self.out)


# ----------------------------------------------------------------------------- candidates

#: what each task computes: (metric, labels: None | "10" | "50k")
TASKS = {
    "H-cos": ("cosine", None),
    "I-cos-10": ("cosine", "10"),
    "I-cos-50k": ("cosine", "50k"),
    "I-euc-10": ("euclidean", "10"),
}


@dataclass
class Inputs:
    """The inputs of one task and size, shared by all the candidates timed on it."""

    task: str
    metric: str
    z: Any  # [N, D] float32
    labels: Any  # [N] int64 or None
    centres: Any  # [B, D] float64
    temperature: float
    n_bins: int
    seed: int = 0
    threads: int = THREADS
    opts: dict = field(
        default_factory=dict
    )  # peer options: se_backend, se_chunk, nam_chunk, max_bytes
    _tensors: dict = field(default_factory=dict, repr=False)

    def tensor(self, name: str) -> Any:
        """``torch.from_numpy`` of ``z`` or ``labels`` (shared memory, cached)."""
        import torch

        if name not in self._tensors:
            arr = getattr(self, name)
            self._tensors[name] = torch.from_numpy(arr if arr.flags.writeable else arr.copy())
        return self._tensors[name]

    def head(self, rows: int) -> Inputs:
        """The same task on the first ``rows`` rows (warm-up calls)."""
        return Inputs(
            self.task,
            self.metric,
            self.z[:rows],
            None if self.labels is None else self.labels[:rows],
            self.centres,
            self.temperature,
            self.n_bins,
            self.seed,
            self.threads,
            self.opts,
        )


def task_inputs(
    task: str,
    z: np.ndarray,
    labels10: np.ndarray | None,
    n_bins: int,
    seed: int = 0,
    labels50k: np.ndarray | None = None,
    threads: int | None = None,
    opts: dict | None = None,
) -> Inputs:
    """:class:`Inputs` of ``task`` on the data: cosine tasks use soft-entropy's reference
    points and calibrated ε (:func:`cosine_setup`), Euclidean ones :func:`euclidean_setup`."""
    metric, kind = TASKS[task]
    labels = None
    if kind == "10":
        labels = labels10
    elif kind == "50k":
        labels = labels50k if labels50k is not None else token_labels(len(z), 50_000, seed)
    if metric == "cosine":
        centres, t = cosine_setup(z.shape[1], n_bins, seed)
    else:
        centres, t = euclidean_setup(z, n_bins, seed)
    return Inputs(
        task,
        metric,
        z,
        labels,
        centres,
        t,
        n_bins,
        seed,
        THREADS if threads is None else threads,
        dict(opts or {}),
    )


def candidate(name: str, x: Inputs) -> tuple[Callable[[], Any], str]:
    """(fn, note): ``fn()`` computes the task on ``x`` and returns (H, H(Z|L), I) in nats
    (NaN where not asked; None for the matmul roofline); ``note`` names the code path.

    names: 'softent', 'matmul', 'numpy', 'torch', 'se-oneshot', 'se-acc', 'nam'.
    """
    if name == "softent":
        import softent

        kw = {
            "centres": x.centres,
            "metric": x.metric,
            "temperature": x.temperature,
            "num_threads": x.threads,
        }
        if x.labels is None:
            return (lambda: (softent.entropy(x.z, **kw), math.nan, math.nan)), "softent.entropy"

        def info() -> tuple[float, float, float]:
            r = softent.information(x.z, x.labels, **kw)
            return r.entropy, r.conditional_entropy, r.mutual_information

        return info, "softent.information"
    if name == "matmul":
        mm = Matmul(x.z, x.centres)
        return (lambda: (mm(), None)[1]), "np.matmul(z, C.T, out=buf), float32"
    if name == "numpy":
        return (
            lambda: numpy_information(x.z, x.centres, x.metric, x.temperature, x.labels)
        ), "plain NumPy formula"
    if name == "torch":
        zt = x.tensor("z")
        lt = None if x.labels is None else x.tensor("labels")
        return (
            lambda: torch_information(zt, x.centres, x.metric, x.temperature, lt)
        ), "plain torch formula"
    from benchmarks import _peers

    if name == "se-oneshot":
        return _peers.soft_entropy_oneshot(
            x.z, x.labels, x.n_bins, x.seed, backend=x.opts.get("se_backend", "numpy")
        )
    if name == "se-acc":
        return _peers.soft_entropy_accumulator(
            x.z,
            x.labels,
            x.n_bins,
            x.seed,
            backend=x.opts.get("se_backend", "numpy"),
            chunk=x.opts.get("se_chunk"),
        )
    if name == "nam":
        if x.metric != "euclidean":
            raise ValueError("the nam-entropy candidate is Euclidean")
        return _peers.nam_information(
            x.z,
            x.labels,
            x.centres,
            x.temperature,
            chunk=x.opts.get("nam_chunk", 8192),
            max_bytes=x.opts.get("max_bytes"),
        )
    raise ValueError(f"unknown candidate {name!r}")
