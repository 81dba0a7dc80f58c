"""Plain references for :mod:`softent.discrete.capacity`: closed forms of textbook channels
and brute-force optimisers (SciPy's SLSQP over the simplex, a grid for two modes) that
share nothing with Blahut–Arimoto or the closed-form water-filling they check.

All values in nats unless the name says bits.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import minimize


def mutual_information(p_x, w) -> float:
    """I(X;Y) = Σ_x Σ_y p(x) w[x, y] log(w[x, y] / q[y]) (nats), q = Σ_x p(x) w[x, .],
    one term at a time, skipping zero terms (0 log 0 = 0)."""
    p_x = np.asarray(p_x, dtype=float)
    w = np.asarray(w, dtype=float)
    q = [sum(p_x[x] * w[x, y] for x in range(w.shape[0])) for y in range(w.shape[1])]
    total = 0.0
    for x in range(w.shape[0]):
        for y in range(w.shape[1]):
            if p_x[x] > 0 and w[x, y] > 0:
                total += p_x[x] * w[x, y] * math.log(w[x, y] / q[y])
    return total


def _vector_information(p_x, w):
    """I(X;Y) (nats) and its gradient dI/dp_x = D(w_x || q) - 1, vectorised for SLSQP."""
    q = p_x @ w
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(w > 0, w * np.log(w / np.maximum(q, 1e-300)), 0.0)
    d = terms.sum(axis=1)
    return float(p_x @ d), d - 1.0


def brute_force_capacity(w, *, starts: int = 8, seed: int = 0) -> tuple[float, np.ndarray]:
    """(max_p I(p), argmax) by SLSQP on the simplex from the uniform point and ``starts``
    random Dirichlet points, the best kept (I is concave in p, so all should agree)."""
    w = np.asarray(w, dtype=float)
    n = w.shape[0]
    rng = np.random.default_rng(seed)
    points = [np.full(n, 1.0 / n)] + [rng.dirichlet(np.ones(n)) for _ in range(starts)]
    best = (-math.inf, None)
    for p0 in points:
        res = minimize(
            lambda p: tuple(-v for v in _vector_information(p, w)),
            p0,
            jac=True,
            method="SLSQP",
            bounds=[(0.0, 1.0)] * n,
            constraints=[
                {"type": "eq", "fun": lambda p: p.sum() - 1.0, "jac": lambda p: np.ones(n)}
            ],
            options={"ftol": 1e-15, "maxiter": 1000},
        )
        p = np.clip(res.x, 0.0, None)
        p /= p.sum()
        value = mutual_information(p, w)
        if value > best[0]:
            best = (value, p)
    return best


def binary_entropy_bits(p: float) -> float:
    """H_2(p) = -p log2 p - (1 - p) log2(1 - p), 0 at p in {0, 1}."""
    return -sum(v * math.log2(v) for v in (p, 1.0 - p) if v > 0)


def bsc(p: float) -> np.ndarray:
    """Binary symmetric channel, crossover p."""
    return np.array([[1 - p, p], [p, 1 - p]])


def bsc_capacity_bits(p: float) -> float:
    """C = 1 - H_2(p) bits (Cover & Thomas §7.1.4)."""
    return 1.0 - binary_entropy_bits(p)


def bec(eps: float) -> np.ndarray:
    """Binary erasure channel: outputs (0, erasure, 1), erasure probability eps."""
    return np.array([[1 - eps, eps, 0.0], [0.0, eps, 1 - eps]])


def bec_capacity_bits(eps: float) -> float:
    """C = 1 - eps bits (Cover & Thomas §7.1.5)."""
    return 1.0 - eps


def z_channel(p: float) -> np.ndarray:
    """Z-channel: input 0 always arrives as 0, input 1 turns into 0 with probability p."""
    return np.array([[1.0, 0.0], [p, 1 - p]])


def z_channel_capacity_bits(p: float) -> float:
    """C = log2(1 + (1 - p) p^(p / (1 - p))) bits, i.e. log2(1 + 2^(-s(p))) with s(p) =
    H_2(p) / (1 - p) (Wikipedia "Z-channel (information theory)", after Verdú, "Channel
    capacity", The Electrical Engineering Handbook 73.5, 1997)."""
    return math.log2(1.0 + (1.0 - p) * p ** (p / (1.0 - p)))


def z_channel_input_zero_bits(p: float) -> float:
    """The capacity-achieving P(X = 0) of the Z-channel: 1 - 1 / ((1 - p)(1 + 2^s(p)))
    (same source as :func:`z_channel_capacity_bits`)."""
    s = binary_entropy_bits(p) / (1.0 - p)
    return 1.0 - 1.0 / ((1.0 - p) * (1.0 + 2.0**s))


def symmetric_channel(row) -> np.ndarray:
    """The K x K channel whose rows are the cyclic shifts of ``row`` (symmetric in the
    sense of Cover & Thomas §7.2: C = log K - H(row), uniform input optimal)."""
    row = np.asarray(row, dtype=float)
    return np.stack([np.roll(row, k) for k in range(len(row))])


def symmetric_capacity(row) -> float:
    """log K - H(row) nats (Cover & Thomas Thm. 7.2.1)."""
    row = np.asarray(row, dtype=float)
    return math.log(len(row)) + sum(v * math.log(v) for v in row if v > 0)


def gaussian_capacity(power: float, noise_variance: float) -> float:
    """½ ln(1 + P / σ²) nats (Shannon 1948)."""
    return 0.5 * math.log1p(power / noise_variance)


def parallel_rate(s, powers, noise_std: float) -> float:
    """Σ_i ½ ln(1 + s_i² P_i / σ²): the rate of parallel Gaussian channels with gains s_i
    given powers P_i (nats)."""
    return sum(
        0.5 * math.log(1.0 + si * si * pi / noise_std**2) for si, pi in zip(s, powers, strict=True)
    )


def brute_force_layer_capacity(
    w, noise_std: float, power: float, *, starts: int = 6, seed: int = 0
):
    """(max over P_i >= 0, Σ P_i = power of :func:`parallel_rate`, the powers) by SLSQP
    from the equal split and random Dirichlet splits; the gains are W's singular values."""
    s = np.linalg.svd(np.asarray(w, dtype=float), compute_uv=False)
    m = len(s)
    rng = np.random.default_rng(seed)
    points = [np.full(m, power / m)] + [power * rng.dirichlet(np.ones(m)) for _ in range(starts)]

    def negative(pw):
        pw = np.clip(pw, 0.0, None)
        g = s**2 / noise_std**2
        return -float(0.5 * np.log1p(g * pw).sum()), -0.5 * g / (1.0 + g * pw)

    best = (-math.inf, None)
    for p0 in points:
        res = minimize(
            negative,
            p0,
            jac=True,
            method="SLSQP",
            bounds=[(0.0, power)] * m,
            constraints=[
                {"type": "eq", "fun": lambda pw: pw.sum() - power, "jac": lambda pw: np.ones(m)}
            ],
            options={"ftol": 1e-15, "maxiter": 1000},
        )
        pw = np.clip(res.x, 0.0, None)
        pw *= power / pw.sum()
        value = parallel_rate(s, pw, noise_std)
        if value > best[0]:
            best = (value, pw)
    return best


def grid_two_modes(s, noise_std: float, power: float, points: int = 200_001) -> float:
    """max over a fine grid of the split (t, power - t) of two modes' rate (nats)."""
    t = np.linspace(0.0, power, points)
    rate = 0.5 * np.log1p(s[0] ** 2 * t / noise_std**2) + 0.5 * np.log1p(
        s[1] ** 2 * (power - t) / noise_std**2
    )
    return float(rate.max())


def log_det_rate(w, noise_std: float, input_cov) -> float:
    """½ ln det(I + W K W^T / σ²) nats: the rate of y = W x + n with Gaussian input of
    covariance K (Telatar 1999), by a determinant (no singular values)."""
    w = np.asarray(w, dtype=float)
    m = np.eye(w.shape[0]) + w @ np.asarray(input_cov, dtype=float) @ w.T / noise_std**2
    sign, logdet = np.linalg.slogdet(m)
    assert sign > 0
    return 0.5 * logdet
