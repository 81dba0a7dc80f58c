"""Spectral mutual information I(Z; L) between a representation z [N, D] and discrete
labels L [N] (Liao et al. 2023, §3.2; dse-dsmi 1.1 ``dsmi.py``):

    I(Z; L) = sum_l p(l) [ H(Z*_l) - H(Z | L = l) ]

with H the diffusion (DSMI) or adjacency (ASMI) spectral entropy, H(Z | L = l) the entropy
of the rows labelled l, and H(Z*_l) the mean entropy of ``repetitions`` random subsets of
the same size n_l (the spectral entropy grows with the number of points: comparing sets of
equal size removes that bias, and independent labels give ~0). ``repetitions=0`` uses the
entropy of all N rows instead. The bandwidth is that of the whole set (sigma="knn": each
row keeps its own sigma_i in every subset), the normalisation is recomputed per subset.

Labels are discrete: integers or strings (every value a class, -1 included). A continuous
reference must be binned first (e.g. ``np.digitize``); dse-dsmi's binning of scalars and
spectral clustering of vectors are in :mod:`softent.compat.dse_dsmi`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from .._checks import check_base, check_int, check_seed, cpu_threads, fail
from .._interop import is_torch, take_rows
from .._labels import encode_labels
from . import _inputs
from .entropy import _dse_nats, _entropy_nats, _slq_options, choose_method
from .graph import Bandwidth, _bandwidth, _eigenvalues, _matrix
from .result import SpectralInformation

__all__ = ["adjacency_spectral_mutual_information", "diffusion_spectral_mutual_information"]


def _subset(x: Any, rows: np.ndarray) -> Any:
    if is_torch(x):
        import torch

        return x[torch.as_tensor(rows, device=x.device)]
    return x[rows]


#: spectra of fewer rows than this run side by side, one thread each, when there are several
#: (the classes and subsets of the mutual informations): LAPACK's tridiagonal reduction
#: scales poorly over threads on small matrices (N = 1000: 53 ms on 1 thread, 43 ms on 2)
SIDE_BY_SIDE_ROWS = 2500


def _entropies(
    jobs: list[np.ndarray | None],
    n: int,
    entropy_of: Callable[[np.ndarray | None, int], tuple[float, float]],
    threads: int,
    dense: Callable[[int], bool],
) -> list[tuple[float, float]]:
    """``entropy_of(rows, threads)`` of every job (rows of x; None: all n rows), in order.
    The dense ones (``dense(rows)``) under SIDE_BY_SIDE_ROWS rows run ``threads`` at a time
    on one thread each; the rest one after another on all threads. The values do not depend
    on the schedule."""
    sizes = [n if rows is None else int(rows.shape[0]) for rows in jobs]
    nt = threads or cpu_threads()
    small = [i for i, m in enumerate(sizes) if m < SIDE_BY_SIDE_ROWS and dense(m)]
    out: list[tuple[float, float] | None] = [None] * len(jobs)
    if nt > 1 and len(small) > 1:
        with ThreadPoolExecutor(min(nt, len(small))) as pool:
            values = list(pool.map(lambda i: entropy_of(jobs[i], 1), small))
        for i, value in zip(small, values, strict=True):
            out[i] = value
    return [v if v is not None else entropy_of(jobs[i], threads) for i, v in enumerate(out)]


def _information(
    api: str,
    estimator: str,
    x: Any,
    labels: Any,
    *,
    sigma: Any,
    k: Any,
    t: Any,
    kernel: str,
    normalise: str | None,
    repetitions: Any,
    seed: Any,
    base: Any,
    method: Any,
    num_threads: Any,
    probes: Any = 32,
    steps: Any = None,
    neighbours: Any = None,
) -> SpectralInformation:
    arr, unit = _inputs.prepared(api, x)
    n = int(arr.shape[0])
    codes = encode_labels(labels, n, api, "labels")
    _inputs.check_method(api, method, _inputs.METHODS if estimator == "dsmi" else ("dense", "auto"))
    threads = _inputs.threads(api, num_threads)
    kk = _inputs.check_k(api, k, n, kernel == "knn" or _inputs.is_knn(sigma))
    tt = _inputs.check_positive(api, "t", t)
    b = check_base(api, base)
    reps = check_int(api, "repetitions", repetitions, lo=0)
    rng = np.random.default_rng(check_seed(api, "seed", seed))
    keep = codes.codes >= 0
    if not keep.all():  # masked rows (-1) leave every term
        arr = take_rows(arr, keep)
        n = int(arr.shape[0])
        if n < 2:
            fail(api, "labels", "at least 2 rows that are not masked (-1)", n)
    lab = codes.codes[keep]
    bw = None if kernel == "knn" else _bandwidth(api, arr, sigma, kk, threads, unit)

    slq = _slq_options(api, probes, steps, seed, neighbours, kk)
    used: set[str] = set()

    def entropy_of(rows: np.ndarray | None, th: int) -> tuple[float, float]:
        """(entropy in nats, its SLQ variance) of x[rows] on ``th`` threads."""
        sub = arr if rows is None else _subset(arr, rows)
        m = int(sub.shape[0])
        if m < 2:
            return 0.0, 0.0  # one point: one eigenvalue, entropy 0
        sbw: Bandwidth | None = None if bw is None else (bw if rows is None else bw.subset(rows))
        if estimator == "dsmi":
            h, se, how, _ = _dse_nats(api, sub, sbw, tt, method, th, slq)  # type: ignore[arg-type]
            used.add(how)
            return h, se * se
        kn = min(kk, m - 1)
        a = _matrix(api, sub, sbw, kernel, kn, normalise, False, th)
        used.add("dense")
        return _entropy_nats(_eigenvalues(a, kernel != "knn", th), tt), 0.0

    # Every entropy the estimate needs, drawn first (the subsets in the order the generator
    # has always drawn them), then computed: (label weight, its class's job, its subsets' jobs)
    present = np.flatnonzero(np.bincount(lab, minlength=codes.n_labels))
    jobs: list[np.ndarray | None] = [None] if reps == 0 else []
    terms = []
    for code in present:
        rows = np.flatnonzero(lab == code)
        first = len(jobs)
        jobs.append(rows)
        jobs.extend(np.sort(rng.choice(n, rows.shape[0], replace=False)) for _ in range(reps))
        terms.append((rows.shape[0] / n, first, list(range(first + 1, first + 1 + reps))))
    done = _entropies(
        jobs,
        n,
        entropy_of,
        threads,
        lambda m: estimator != "dsmi" or choose_method(method, m) == "dense",
    )

    weights, h_cond, h_ref, var = [], [], [], []
    h_all, v_all = done[0] if reps == 0 else (0.0, 0.0)
    for weight, first, drawn_at in terms:
        weights.append(weight)
        hc_l, vc_l = done[first]
        h_cond.append(hc_l)
        if reps == 0:
            h_ref.append(h_all)
            var.append(vc_l + v_all)
            continue
        drawn = [done[j] for j in drawn_at]
        hs = [h for h, _ in drawn]
        h_ref.append(float(np.mean(hs)))
        # the spread of the subsets' entropies holds their SLQ noise too
        if reps > 1:
            spread = float(np.var(hs, ddof=1)) / reps
        else:
            spread = float(np.mean([v for _, v in drawn]))
        var.append(vc_l + spread)
    w = np.asarray(weights)
    h = float(w @ np.asarray(h_ref))
    hc = float(w @ np.asarray(h_cond))
    se = math.sqrt(float((w**2) @ np.asarray(var)))
    lb = math.log(b)
    desc = f"knn-adjacency(k={kk})" if bw is None else bw.describe()
    return SpectralInformation(
        value=(h - hc) / lb,
        stderr=se / lb,
        entropy=h / lb,
        conditional_entropy=hc / lb,
        method="+".join(sorted(used)),
        estimator=estimator,
        base=b,
        t=tt,
        bandwidth=desc,
        n=n,
        n_labels=int(present.shape[0]),
        repetitions=reps,
    )


def diffusion_spectral_mutual_information(
    x: Any,
    labels: Any,
    *,
    sigma: float | str = "knn",
    k: int | None = None,
    t: float = 1.0,
    repetitions: int = 5,
    seed: int = 0,
    base: float = math.e,
    method: str = "dense",
    probes: int = 32,
    steps: int | None = None,
    neighbours: int | None = None,
    num_threads: int | None = None,
) -> SpectralInformation:
    """Diffusion spectral mutual information (DSMI) I(Z; L) of the rows of ``x`` [N, D] and
    discrete ``labels`` [N] (see the module docstring), in the unit of ``base`` (nats):
    H is :func:`~softent.spectral.diffusion_spectral_entropy` with ``sigma``, ``k``, ``t``.
    ``repetitions`` random subsets per label (drawn with NumPy's ``default_rng(seed)``);
    ``stderr`` is their Monte-Carlo standard error. Can be slightly negative (the subsets'
    entropies are estimates). Cost: (1 + repetitions) spectra of each label's size.
    ``method``, ``probes``, ``steps``, ``neighbours`` as in
    :func:`~softent.spectral.diffusion_spectral_entropy`, for every entropy (``seed`` also
    seeds the probes); ``stderr`` then holds their SLQ error too."""
    api = "spectral.diffusion_spectral_mutual_information"
    return _information(
        api,
        "dsmi",
        x,
        labels,
        sigma=sigma,
        k=k,
        t=t,
        kernel="gaussian",
        normalise="symmetric",
        repetitions=repetitions,
        seed=seed,
        base=base,
        method=method,
        num_threads=num_threads,
        probes=probes,
        steps=steps,
        neighbours=neighbours,
    )


def adjacency_spectral_mutual_information(
    x: Any,
    labels: Any,
    *,
    sigma: float | str = "knn",
    k: int | None = None,
    kernel: str = "gaussian",
    normalise: str | None = None,
    repetitions: int = 5,
    seed: int = 0,
    base: float = math.e,
    method: str = "dense",
    num_threads: int | None = None,
) -> SpectralInformation:
    """Adjacency spectral mutual information (ASMI) I(Z; L): as
    :func:`diffusion_spectral_mutual_information` with H the
    :func:`~softent.spectral.adjacency_spectral_entropy` of ``kernel`` / ``normalise``."""
    api = "spectral.adjacency_spectral_mutual_information"
    kern = _inputs.check_choice_kernel(api, kernel)
    norm = _inputs.check_normalise(api, normalise)
    return _information(
        api,
        "asmi",
        x,
        labels,
        sigma=sigma,
        k=k,
        t=1.0,
        kernel=kern,
        normalise=norm,
        repetitions=repetitions,
        seed=seed,
        base=base,
        method=method,
        num_threads=num_threads,
    )
