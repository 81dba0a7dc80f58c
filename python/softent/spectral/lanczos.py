"""Stochastic Lanczos quadrature (SLQ) of spectral entropies without the dense spectrum.

A spectral entropy is two trace functions of a symmetric matrix K: with p_i = lambda_i^t / Z,
Z = tr K^t,

    H = -sum_i p_i log p_i = log Z - t tr(K^t log K) / Z.

Each trace tr f(K) is estimated by Hutchinson's estimator over Rademacher probes z
(E[z z^T] = I), and each quadratic form z^T f(K) z by Gauss quadrature from ``steps``
Lanczos steps started at z (Golub & Meurant 2010; Ubaru, Chen & Saad 2017, "Fast
estimation of tr(f(A)) via stochastic Lanczos quadrature"): with T = Q^T K Q the Lanczos
tridiagonal, theta its eigenvalues and tau the first components of its eigenvectors,
z^T f(K) z ~ ||z||^2 sum_j tau_j^2 f(theta_j). The Lanczos basis is fully
re-orthogonalised (classical Gram-Schmidt, twice).

When K's top eigenpair is known (the diffusion matrix D^-1/2 G D^-1/2: eigenvalue 1,
eigenvector D^1/2 1 normalised) it is deflated: probes are projected off it and f(1) is
added exactly, which removes the largest part of the estimator's variance at large t.

Probes are drawn once (NumPy ``default_rng(seed)``, all of them) and run through Lanczos in
blocks of at most :func:`probe_block` probes, so that the basis [block, steps, N] float64
stays within ``BASIS_BYTES`` (256 MiB; at least one probe: 8 N steps bytes): each probe's
recurrence is independent of the others, so a result depends on the block size only through
the rounding of the operator's products.

The standard error combines the jackknife over probes of the plug-in H (a ratio and a log
of means) with the quadrature's own error, estimated by how much H still moves between
3/4 of the steps and all of them (conservative: Gauss rules converge fast); the 95%
interval is value +- 1.96 stderr.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["BASIS_BYTES", "SlqEstimate", "probe_block", "slq_bytes", "slq_entropy"]

#: the normal quantile of a two-sided 95% interval
Z95 = 1.959963984540054
#: bytes of Lanczos basis held at once: probes run in blocks that fit (at least one probe)
BASIS_BYTES = 256 << 20


def probe_block(n: int, steps: int, probes: int, budget: int = BASIS_BYTES) -> int:
    """Probes per Lanczos block: the most (up to ``probes``) whose basis [block, steps, n]
    float64 fits in ``budget`` bytes, at least 1."""
    return max(1, min(probes, budget // (8 * n * max(steps, 1))))


def slq_bytes(n: int, steps: int, probes: int, block: int | None = None) -> int:
    """Bytes :func:`slq_entropy` holds besides the operator: all probes [n, probes] float64,
    and per block the basis [block, steps, n] with four [n, block] work vectors."""
    b = probe_block(n, steps, probes) if block is None else block
    return 8 * n * (probes + b * (steps + 4))


@dataclass(frozen=True)
class SlqEstimate:
    """An SLQ entropy (nats) with its jackknife standard error."""

    value: float
    stderr: float
    probes: int
    steps: int

    @property
    def interval(self) -> tuple[float, float]:
        return (self.value - Z95 * self.stderr, self.value + Z95 * self.stderr)


def _quadrature(alpha: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nodes theta and weights tau^2 of the Gauss rule of a Lanczos tridiagonal."""
    import scipy.linalg

    if alpha.shape[0] == 1:
        return alpha.copy(), np.ones(1)
    theta, u = scipy.linalg.eigh_tridiagonal(alpha, beta, check_finite=False)
    return theta, u[0] ** 2


def _traces(
    alpha: np.ndarray, beta: np.ndarray, length: np.ndarray, norm2: np.ndarray, t: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per probe, the quadrature estimates of z^T K^t z and z^T K^t log K z from the first
    ``length[p]`` Lanczos steps."""
    m = norm2.shape[0]
    ta = np.empty(m)
    tb = np.empty(m)
    for p in range(m):
        k = int(length[p])
        theta, tau2 = _quadrature(alpha[:k, p], beta[: k - 1, p])
        lam = np.abs(theta)
        f1 = lam**t
        logs = np.log(np.where(lam > 0, lam, 1.0))
        ta[p] = norm2[p] * float(tau2 @ f1)
        tb[p] = norm2[p] * float(tau2 @ (f1 * logs))
    return ta, tb


def _entropy(a: np.ndarray, b: np.ndarray, t: float) -> float:
    """H = log mean(a) - t mean(b) / mean(a) from the per-probe traces a (of K^t) and b (of
    K^t log K)."""
    za = float(a.mean())
    return math.log(za) - t * float(b.mean()) / za


def _lanczos_block(
    apply: Callable[[np.ndarray], np.ndarray],
    z: np.ndarray,
    steps: int,
    top: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(alpha [steps, m], beta [steps, m], steps taken [m], ||z||^2 [m]) of the Lanczos
    recurrences started at the m columns of z [n, m] (probes already off ``top``)."""
    n, m = z.shape
    norm2 = np.einsum("nm,nm->m", z, z)
    q = z / np.sqrt(norm2)
    # probe-major [m, steps, n]: the re-orthogonalisation is then batched BLAS matmuls
    basis = np.empty((m, steps, n))
    alpha = np.zeros((steps, m))
    beta = np.zeros((steps, m))
    length = np.full(m, steps)  # Lanczos steps taken per probe (fewer at a breakdown)
    q_prev = np.zeros_like(q)
    for j in range(steps):
        basis[:, j, :] = q.T
        w = apply(np.ascontiguousarray(q))
        a = np.einsum("nm,nm->m", q, w)
        alpha[j] = a
        w -= a * q
        if j > 0:
            w -= beta[j - 1] * q_prev
        done_basis = basis[:, : j + 1, :]
        for _ in range(2):  # full re-orthogonalisation (twice is enough)
            c = np.matmul(done_basis, w.T[:, :, None])  # [m, j + 1, 1]
            w -= np.matmul(done_basis.transpose(0, 2, 1), c)[:, :, 0].T
        if top is not None:
            w -= np.outer(top, top @ w)
        b = np.sqrt(np.einsum("nm,nm->m", w, w))
        # An invariant subspace (b ~ 0): that probe's quadrature is exact after j + 1 steps.
        done = (b <= 1e-12 * np.maximum(np.abs(a), 1.0)) & (length == steps)
        length[done] = j + 1
        beta[j] = b
        q_prev = q
        live = length == steps
        q = np.where(live, w / np.where(b > 0, b, 1.0), 0.0)
    return alpha, beta, length, norm2


def slq_entropy(
    apply: Callable[[np.ndarray], np.ndarray],
    n: int,
    t: float,
    *,
    probes: int,
    steps: int,
    seed: int,
    top: np.ndarray | None = None,
    block: int | None = None,
) -> SlqEstimate:
    """-sum p log p (nats) of p = |lambda|^t / sum |lambda|^t for the eigenvalues of the
    symmetric [n, n] operator ``apply`` (V [n, m] float64 -> K V [n, m]), by SLQ with
    ``probes`` Rademacher probes (NumPy ``default_rng(seed)``) of ``steps`` Lanczos steps;
    ``top``: K's unit top eigenvector of eigenvalue 1, deflated exactly (or None).

    ``block``: probes per Lanczos run (None: :func:`probe_block`, a basis of at most
    ``BASIS_BYTES``); memory besides the operator: :func:`slq_bytes`. The result depends on
    ``block`` only through the rounding of ``apply``."""
    rng = np.random.default_rng(seed)
    m = probes
    steps = max(1, min(steps, n - (1 if top is not None else 0)))
    z = rng.integers(0, 2, size=(n, m)).astype(np.float64) * 2.0 - 1.0
    if top is not None:
        z -= np.outer(top, top @ z)
    size = probe_block(n, steps, m) if block is None else max(1, min(int(block), m))
    parts = [
        _lanczos_block(apply, np.ascontiguousarray(z[:, b0 : b0 + size]), steps, top)
        for b0 in range(0, m, size)
    ]
    del z
    alpha, beta, length = (np.concatenate([p[i] for p in parts], axis=-1) for i in range(3))
    norm2 = np.concatenate([p[3] for p in parts])
    ta, tb = _traces(alpha, beta, length, norm2, t)
    # The same traces from the first 3/4 of the steps: how far the quadrature still moves
    # bounds its remaining error (Gauss rules converge monotonically fast; conservative).
    sa, sb = _traces(alpha, beta, np.maximum((3 * length) // 4, 1), norm2, t)
    if top is not None:  # f(1) of the deflated eigenpair: 1^t = 1, 1^t log 1 = 0
        ta += 1.0
        sa += 1.0
    value = _entropy(ta, tb, t)
    quadrature = abs(value - _entropy(sa, sb, t))
    if m > 1:
        jack = np.array([_entropy(np.delete(ta, p), np.delete(tb, p), t) for p in range(m)])
        se = math.sqrt((m - 1) / m * float(((jack - jack.mean()) ** 2).sum()))
    else:
        se = math.inf
    se = math.hypot(se, quadrature) + 1e-12 * max(abs(value), 1.0)  # rounding floor
    return SlqEstimate(max(value, 0.0), se, m, steps)
