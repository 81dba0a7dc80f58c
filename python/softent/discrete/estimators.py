"""Entropy of a discrete distribution estimated from its counts: the plug-in estimate and
its bias corrections, all in nats (``base=`` for other units).

Every estimator here reads the counts only through their **profile**, the frequency of
frequencies (:class:`Profile`: which positive count values occur and in how many cells):
a table of 10**6 cells costs one ``np.bincount`` over its counts, then O(distinct count
values) arithmetic. The alphabet size K is the number of cells given (zeros are cells of
the alphabet that were not seen) unless ``alphabet_size`` says more; N is the total count.

Which estimator to use
----------------------

``plugin`` (maximum likelihood, H of the empirical frequencies). Consistent and
assumption-free, but biased low by about (K - 1)/(2N) nats while N >> K, and by far more
when N is comparable to or below K (it can never exceed log N). Use it when N >> K, as the
baseline, or for weighted (non-integer) counts.

``miller_madow`` (Miller 1955): plug-in + (K_obs - 1)/(2N), K_obs the cells seen. Removes
the first-order bias when every cell is well sampled (N >> K); costs nothing, adds no
variance, and is the usual default for moderately sampled tables. Undercorrects badly
when many cells are unseen or seen once. Accepts weighted counts (N and K_obs as given).

``jackknife`` (Zahl 1977; Efron & Stein 1981): N H - (N-1)/N sum_i H_{-i} over the N
leave-one-out plug-in estimates, in closed form per count value. Removes the 1/N bias
term without assuming the form of the correction; slightly more variance than
Miller-Madow, similar behaviour (it also cannot see unseen cells). Good general-purpose
correction when N is at least a few times K.

``grassberger1988`` (Grassberger 1988) and ``grassberger`` (Grassberger 2003): ln N minus
the mean of a digamma-based function G(n_i) in place of ln n_i, derived so that E[n G(n)]
is close to n ln n for Poisson counts. Much smaller bias than Miller-Madow in the
undersampled regime (many counts of 1 or 2) at low variance; the 2003 G is the better of
the two. Assume nothing about the alphabet; for fixed K and growing N they approach the
plug-in estimate. A sound choice when N is of the order of K or somewhat below.

``chao_shen`` (Chao & Shen 2003): Horvitz-Thompson sum over the seen cells, with the
frequencies shrunk by the Good-Turing coverage estimate C = 1 - f1/N (f1 the cells seen
once) and each term divided by the probability 1 - (1 - C n/N)^N that its cell was seen at
all. Designed for species-like data with many unseen categories (K unknown or huge); low
bias when N < K, more variance than the corrections above. Needs no alphabet size.

``nsb`` (Nemenman, Shafee & Bialek 2002): the posterior mean of H under a mixture of
symmetric Dirichlet priors whose mixing density makes the prior on H nearly flat,
integrated numerically over the concentration. Needs the alphabet size K. The estimator
of choice when N << K (it works from coincidences: with none, the answer is prior-driven)
and gives small bias for well-behaved distributions; slower (a 1-D quadrature) and, as
any Bayesian estimate, tied to its prior (heavy-tailed distributions fool it).

``james_stein`` (Hausser & Strimmer 2009): plug-in H of the frequencies shrunk toward the
uniform 1/K, with the data-driven intensity lambda = (1 - sum u_k^2) / ((N - 1) sum
(1/K - u_k)^2) clipped to [0, 1]. Needs K. Very low mean squared error when N is small
compared with K and the distribution is not far from uniform; biased up toward log K
otherwise.

``dirichlet`` (posterior-mean plug-in, Krichevsky & Trofimov 1981; Hausser & Strimmer
2009): plug-in H of (n_k + alpha)/(N + K alpha). ``alpha`` = 1/2 Jeffreys/Krichevsky-
Trofimov (the default), 1 Laplace, 1/K Perks, sqrt(N)/K minimax. Needs K. A fixed pseudo-
count biases the estimate toward log K by an amount that depends on alpha/N: useful for
smoothing, a poor bias correction unless alpha is chosen for the regime.

Point masses: plugin, miller_madow, jackknife, chao_shen and james_stein (N >= 2; one
sample gives lambda = 1, log K) give exactly 0; grassberger1988 (ln N - G(N) > 0), nsb (a
posterior mean over distributions that are not all point masses) and dirichlet
(pseudo-counts spread mass over K cells) give a small positive value, grassberger one
within 1/N of 0 of either sign (-1/(6N^2) for even N); all shrink as N grows.

Mutual information and conditional entropy are differences of these estimates with the
same estimator on each term (as infomeasure and pyitlib compose them):
I(X;Y) = H(X) + H(Y) - H(X,Y) (:func:`mutual_information_from_table`),
H(Y|X) = H(X,Y) - H(X). Differences of bias-corrected entropies are not bias-free and
may be slightly negative.
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._checks import check_base, check_choice, check_int, check_total, fail, is_int
from .._interop import to_numpy
from .._lazy import LazyModule
from ._masses import to_base

# imported on first use: scipy.integrate imports scipy.optimize (~1 s of `import softent`)
integrate = LazyModule("scipy.integrate")
special = LazyModule("scipy.special")

#: every estimator :func:`entropy_from_counts` knows, in the order of the module guide
ESTIMATORS: tuple[str, ...] = (
    "plugin",
    "miller_madow",
    "jackknife",
    "grassberger1988",
    "grassberger",
    "chao_shen",
    "nsb",
    "james_stein",
    "dirichlet",
)
#: estimators that read the alphabet size K (unseen cells change their value)
NEEDS_ALPHABET: frozenset[str] = frozenset({"nsb", "james_stein", "dirichlet"})
#: estimators defined for weighted (non-integer) counts
ACCEPTS_WEIGHTED: frozenset[str] = frozenset({"plugin", "miller_madow"})
#: named pseudo-counts of the 'dirichlet' estimator (K alphabet size, N total count)
ALPHAS: tuple[str, ...] = ("jeffreys", "krichevsky_trofimov", "laplace", "perks", "minimax")

#: largest count value handled by one bincount (beyond it: np.unique on the counts)
_BINCOUNT_SLACK = 1 << 20


@dataclass(frozen=True, eq=False)
class Profile:
    """The counts of a discrete distribution reduced to their frequency of frequencies.

    ``values`` [U] the distinct positive counts, ascending (int64; float64 only for
    weighted counts); ``multiplicities`` [U] int64, how many cells hold each value; ``n``
    the total count sum(values * multiplicities); ``n_unseen`` the cells of the alphabet
    with count 0 (None: alphabet unknown, then only the observed cells count). Arrays are
    read-only copies. Build one with :func:`profile`.
    """

    values: np.ndarray
    multiplicities: np.ndarray
    n: float
    n_unseen: int | None = None

    def __post_init__(self) -> None:
        api = "discrete.Profile"
        v = np.asarray(self.values)
        m = np.asarray(self.multiplicities)
        if v.ndim != 1 or m.shape != v.shape or v.size == 0:
            fail(
                api,
                "values and multiplicities",
                "1-D arrays of one length >= 1",
                f"shapes {v.shape} and {m.shape}",
            )
        if not (np.issubdtype(v.dtype, np.integer) or np.issubdtype(v.dtype, np.floating)):
            fail(api, "values", "integer or float counts", v.dtype, TypeError)
        if not np.issubdtype(m.dtype, np.integer):
            fail(api, "multiplicities", "integers", m.dtype, TypeError)
        vf = v.astype(np.float64)
        if not np.isfinite(vf).all() or (vf <= 0).any() or (np.diff(vf) <= 0).any():
            fail(api, "values", "finite positive counts in strictly ascending order", v)
        if (m < 1).any():
            fail(api, "multiplicities", "ints >= 1", m)
        if np.issubdtype(v.dtype, np.floating) and (vf == np.floor(vf)).all() and vf[-1] < 2**53:
            v = vf.astype(np.int64)  # integral floats are plain counts
        v = v.astype(np.int64) if np.issubdtype(v.dtype, np.integer) else vf
        m = m.astype(np.int64)
        total = float(np.dot(v.astype(np.float64), m.astype(np.float64)))
        if not math.isclose(float(self.n), total, rel_tol=1e-9):
            fail(api, "n", f"the total count sum(values * multiplicities) = {total:g}", self.n)
        if self.n_unseen is not None and (not is_int(self.n_unseen) or self.n_unseen < 0):
            fail(api, "n_unseen", "None or an int >= 0", repr(self.n_unseen))
        v.setflags(write=False)
        m.setflags(write=False)
        object.__setattr__(self, "values", v)
        object.__setattr__(self, "multiplicities", m)
        object.__setattr__(self, "n", total)
        if self.n_unseen is not None:
            object.__setattr__(self, "n_unseen", int(self.n_unseen))

    @property
    def n_observed(self) -> int:
        """K_obs, the cells with a positive count."""
        return int(self.multiplicities.sum())

    @property
    def alphabet_size(self) -> int:
        """K: the observed cells plus the unseen ones (the observed cells alone when the
        alphabet is unknown)."""
        return self.n_observed + (self.n_unseen or 0)

    @property
    def weighted(self) -> bool:
        """True for weighted (non-integer) counts."""
        return self.values.dtype.kind == "f"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Profile):
            return NotImplemented
        return (
            self.n == other.n
            and self.n_unseen == other.n_unseen
            and self.values.dtype == other.values.dtype
            and np.array_equal(self.values, other.values)
            and np.array_equal(self.multiplicities, other.multiplicities)
        )

    __hash__ = None  # type: ignore[assignment]  # holds arrays

    def __repr__(self) -> str:
        unseen = "unknown" if self.n_unseen is None else self.n_unseen
        kind = ", weighted" if self.weighted else ""
        return (
            f"Profile(N={self.n:g}, K_obs={self.n_observed}, unseen={unseen}, "
            f"distinct counts={self.values.size}{kind})"
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-able dict (lists of numbers)."""
        return {
            "values": self.values.tolist(),
            "multiplicities": self.multiplicities.tolist(),
            "n": self.n,
            "n_unseen": self.n_unseen,
        }


# ----------------------------------------------------------------------------- counts -> profile


def _as_counts(counts: Any, api: str, arg: str = "counts") -> np.ndarray:
    """``counts`` as a NumPy array of non-negative finite numbers: int64 when they are
    integral, else float64 (weighted counts). Never modified, never a view the caller holds
    for writing."""
    a = to_numpy(counts, api, arg)
    if a.dtype == np.bool_ or not (
        np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)
    ):
        fail(api, arg, "an array of integer or float counts", f"dtype {a.dtype}", TypeError)
    if a.size == 0:
        fail(api, arg, "non-empty", f"shape {a.shape}")
    if np.issubdtype(a.dtype, np.integer):
        if a.min() < 0:
            fail(api, arg, "counts >= 0", f"negative values (min {int(a.min())})")
        if a.dtype == np.uint64 and a.max() >= 2**63:
            fail(api, arg, "counts < 2**63", f"max {int(a.max())}")
        return a.astype(np.int64, copy=False)
    f = a.astype(np.float64, copy=False)
    bad = ~np.isfinite(f)
    if bad.any():
        fail(api, arg, "finite counts >= 0", f"{int(bad.sum())} NaN/Inf values")
    if f.min() < 0:
        fail(api, arg, "counts >= 0", f"negative values (min {float(f.min()):.6g})")
    if (f == np.floor(f)).all() and f.max() < 2**53:
        return f.astype(np.int64)  # integral floats are plain counts
    return f


def _profile(a: np.ndarray, alphabet_size: Any, api: str, arg: str = "counts") -> Profile:
    flat = a.reshape(-1)
    pos = flat[flat > 0]
    if pos.size == 0:
        fail(api, arg, "non-negative with a positive total", "all zeros")
    k = (
        check_int(api, "alphabet_size", alphabet_size, lo=a.size)
        if alphabet_size is not None
        else a.size
    )
    if pos.dtype == np.int64 and int(pos.max()) <= 4 * pos.size + _BINCOUNT_SLACK:
        # one pass of bincount over the counts: its length is bounded by the guard above
        freq = np.bincount(pos)
        values = np.flatnonzero(freq).astype(np.int64)
        mult = freq[values]
    else:
        values, mult = np.unique(pos, return_counts=True)
    with np.errstate(over="ignore"):  # an overflow is refused next
        total = float(np.dot(values.astype(np.float64), mult.astype(np.float64)))
    # every estimator divides by the total N (and some by N²): finite and normal
    check_total(api, arg, total)
    return Profile(values, mult.astype(np.int64), total, k - int(pos.size))


def profile(counts: Any, *, alphabet_size: int | None = None) -> Profile:
    """The :class:`Profile` (frequency of frequencies) of ``counts``.

    ``counts``: any shape (NumPy, torch, nested lists), non-negative integer counts
    (integral floats accepted; other floats are weighted counts); zero cells are unseen
    cells of the alphabet. ``alphabet_size``: the alphabet K, >= counts.size (the cells
    beyond those given are unseen); default counts.size. The total must be positive.
    """
    api = "discrete.profile"
    return _profile(_as_counts(counts, api), alphabet_size, api)


# ----------------------------------------------------------------------------- the estimators


def _log_ratio(n: float, v: np.ndarray) -> np.ndarray:
    """ln(n / v) for 0 < v <= n, accurate also for v close to n (log1p of the exact
    difference n - v, where n / v rounds to a number near 1)."""
    with np.errstate(divide="ignore"):
        near = -np.log1p(-(n - v) / n)
    return np.where(v > 0.5 * n, near, np.log(n / v))


def _plugin(v: np.ndarray, m: np.ndarray, n: float) -> float:
    """-sum_k p_k ln p_k, p_k = n_k / N, per count value (nonnegative terms: no cancellation)."""
    return float(np.sum(m * (v / n) * _log_ratio(n, v)))


def _b(x: np.ndarray) -> np.ndarray:
    """b(x) = 1 + (x - 1) ln(1 - 1/x) = sum_{k>=1} x^-k / (k (k+1)), b(1) = 1: the series
    for x >= 10 (the closed form loses digits to cancellation there)."""
    x = np.asarray(x, dtype=np.float64)
    t = 1.0 / x
    series = np.zeros_like(t)
    for k in range(17, 0, -1):  # Horner in t; t <= 0.1 so t^18 / 342 < 1e-20 relative
        series = t * (1.0 / (k * (k + 1)) + series)
    with np.errstate(divide="ignore", invalid="ignore"):
        closed = 1.0 + (x - 1.0) * np.log1p(-t)
    return np.where(x >= 10, series, np.where(x == 1, 1.0, closed))


def _jackknife(v: np.ndarray, m: np.ndarray, n: float) -> float:
    """N H - (N - 1)/N sum_i H_{-i}. Removing one of the v samples of a cell with count v
    leaves the plug-in H_{-v}; collecting terms gives H + (1/N) sum_j m_j v_j (b(v_j) -
    b(N)), with b of :func:`_b` (derivation in the module tests: it equals the explicit
    leave-one-out loop)."""
    h = _plugin(v, m, n)
    if n <= 1:
        return float(n * h)  # one sample: N H - 0 = 0
    return h + float(np.sum(m * v * (_b(v) - _b(np.float64(n))))) / n


def _parity_sign(v: np.ndarray) -> np.ndarray:
    """(-1)^v for integer v."""
    return 1.0 - 2.0 * (v % 2)


def _grassberger1988(v: np.ndarray, m: np.ndarray, n: float) -> float:
    """ln N - (1/N) sum_i n_i G(n_i), G(n) = psi(n) + (-1)^n / (n (n + 1))."""
    vf = v.astype(np.float64)
    g = special.digamma(vf) + _parity_sign(v) / (vf * (vf + 1.0))
    return float(np.sum(m * (vf / n) * (math.log(n) - g)))


def _grassberger2003(v: np.ndarray, m: np.ndarray, n: float) -> float:
    """ln N - (1/N) sum_i n_i G(n_i), G(n) = psi(n) + (-1)^n (psi((n+1)/2) - psi(n/2)) / 2."""
    vf = v.astype(np.float64)
    half = special.digamma((vf + 1.0) / 2.0) - special.digamma(vf / 2.0)
    g = special.digamma(vf) + 0.5 * _parity_sign(v) * half
    return float(np.sum(m * (vf / n) * (math.log(n) - g)))


def _chao_shen(v: np.ndarray, m: np.ndarray, n: float) -> float:
    """-sum_k (C p_k ln(C p_k)) / (1 - (1 - C p_k)^N), C = 1 - f1/N (f1 := N - 1 when every
    sample is a singleton, so that C > 0)."""
    f1 = float(m[0]) if v[0] == 1 else 0.0
    if f1 == n:
        f1 = n - 1.0
    c = 1.0 - f1 / n
    pa = c * (v / n)
    with np.errstate(divide="ignore"):
        # 1 - (1 - pa)^N without cancellation (pa = 1 gives log1p(-1) = -inf: seen surely)
        seen = -np.expm1(n * np.log1p(-pa))
    term = np.where(pa < 1.0, -pa * np.log(np.where(pa < 1.0, pa, 1.0)), 0.0)
    return float(np.sum(m * term / seen))


def _entropy_with_unseen(p_obs: np.ndarray, m: np.ndarray, p0: float, n_unseen: int) -> float:
    """-sum p ln p over the observed cells (p_obs, multiplicities m) and n_unseen cells of
    probability p0."""
    h = float(np.sum(m * special.entr(p_obs)))
    if n_unseen and p0 > 0:
        h += n_unseen * float(special.entr(p0))
    return h


def _james_stein(v: np.ndarray, m: np.ndarray, n: float, k: int, n_unseen: int) -> float:
    """Plug-in H of lambda/K + (1 - lambda) u_k, u_k = n_k/N, lambda = sum_k u_k(1-u_k)/(N-1)
    / sum_k (1/K - u_k)^2 clipped to [0, 1] (1 when N <= 1 or the misfit is 0), as in
    Hausser & Strimmer's R package ``entropy`` (freqs.shrink)."""
    u = v / n
    if n <= 1:
        lam = 1.0
    else:
        # sum u (1 - u) written with the exact N - n_k: 0 for a point mass, not 1e-16
        var = float(np.sum(m * u * ((n - v) / n))) / (n - 1.0)
        misfit = float(np.sum(m * (u - 1.0 / k) ** 2)) + n_unseen / float(k) ** 2
        lam = 1.0 if misfit == 0 else min(max(var / misfit, 0.0), 1.0)
    return _entropy_with_unseen(lam / k + (1.0 - lam) * u, m, lam / k, n_unseen)


def _resolve_alpha(alpha: Any, n: float, k: int, api: str) -> float:
    expected = "a float > 0 or one of " + ", ".join(repr(a) for a in ALPHAS)
    if alpha is None:
        return 0.5
    if isinstance(alpha, str):
        name = check_choice(api, "alpha", alpha, ALPHAS)
        return {
            "jeffreys": 0.5,
            "krichevsky_trofimov": 0.5,
            "laplace": 1.0,
            "perks": 1.0 / k,
            "minimax": math.sqrt(n) / k,
        }[name]
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating)):
        fail(api, "alpha", expected, repr(alpha), TypeError)
    a = float(alpha)
    if not (math.isfinite(a) and a > 0):
        fail(api, "alpha", expected, a)
    return a


def _dirichlet(v: np.ndarray, m: np.ndarray, n: float, k: int, n_unseen: int, a: float) -> float:
    """Plug-in H of the posterior mean (n_k + a) / (N + K a)."""
    total = n + k * a
    return _entropy_with_unseen((v + a) / total, m, a / total, n_unseen)


# ----------------------------------------------------------------------------- NSB


#: count values up to this have R(x, n) summed term by term (exact to rounding)
_SMALL_COUNT = 64
#: Stirling's series of ln Gamma(z) - (z - 1/2) ln z + z - ln(2 pi)/2, coefficients of
#: z^-1, z^-3, ..., z^-13 (B_2k / (2k (2k - 1))): truncation < 3e-17 for z >= 10
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156)


def _stirling_tail(z: np.ndarray) -> np.ndarray:
    inv2 = 1.0 / (z * z)
    acc = np.zeros_like(z)
    for c in reversed(_STIRLING):
        acc = acc * inv2 + c
    return acc / z


def _log_rising_over_power(x: Any, n: Any) -> np.ndarray:
    """R(x, n) = ln Gamma(x + n) - ln Gamma(x) - n ln x (x > 0, n >= 0 counts): the log of
    the rising factorial x (x+1) ... (x+n-1) with its leading n ln x removed, so that the
    NSB evidence keeps its digits at any concentration (every count value's R is
    multiplied by its multiplicity, up to 10**6: an lgamma difference's rounding would be
    too). Counts <= 64: sum_j log1p(j / x) term by term; x >= 10: Stirling's series, with
    the exact (x + n - 1/2) log1p(n/x) - n; else the lgamma difference (R is then large
    itself)."""
    x, n = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(n, dtype=np.float64))
    out = np.empty(x.shape)
    small = n <= _SMALL_COUNT
    if small.any():
        xs, ns = x[small], n[small]
        j = np.arange(1, _SMALL_COUNT, dtype=np.float64)
        terms = np.log1p(j[None, :] / xs[:, None])
        out[small] = np.sum(np.where(j[None, :] < ns[:, None], terms, 0.0), axis=1)
    big = ~small & (x >= 10)
    if big.any():
        xb, nb = x[big], n[big]
        y = xb + nb
        out[big] = (y - 0.5) * np.log1p(nb / xb) - nb + (_stirling_tail(y) - _stirling_tail(xb))
    rest = ~small & ~big
    if rest.any():
        xr, nr = x[rest], n[rest]
        out[rest] = special.gammaln(xr + nr) - special.gammaln(xr) - nr * np.log(xr)
    return out


def _trigamma_gap(beta: np.ndarray, k: int) -> np.ndarray:
    """d xi / d beta = K psi_1(K beta + 1) - psi_1(beta + 1) > 0 (NSB's prior density in
    beta). The two terms agree to ~1/beta; past beta = 1e3 the asymptotic series of their
    difference is used (error < 1e-20 relative)."""
    beta = np.asarray(beta, dtype=np.float64)
    with np.errstate(over="ignore"):
        direct = k * special.polygamma(1, k * beta + 1.0) - special.polygamma(1, beta + 1.0)
    # psi_1(x + 1) ~ 1/x - 1/(2x^2) + 1/(6x^3) - 1/(30x^5) + 1/(42x^7)
    inv = 1.0 / k
    b = np.maximum(beta, 1e3)
    b2 = b * b
    series = (
        (1.0 - inv) / (2.0 * b2)
        - (1.0 - inv**2) / (6.0 * b2 * b)
        + (1.0 - inv**4) / (30.0 * b2 * b2 * b)
        - (1.0 - inv**6) / (42.0 * b2**3 * b)
    )
    return np.where(beta < 1e3, direct, series)


#: bytes of one [nodes, distinct counts] temporary of the NSB integrand
_NSB_CHUNK_BYTES = 1 << 20
#: count values above which the NSB terms are summed in closed form rather than term by
#: term is chosen per profile between _SMALL_COUNT and _NSB_SMALL_MAX; a closed-form term
#: costs about _NSB_BIG_COST times one term of a sum
_NSB_SMALL_MAX = 1 << 16
_NSB_BIG_COST = 3
#: Gauss-Legendre nodes per panel of the NSB integral: each rule is checked against the
#: next (twice the nodes); the first pair that agrees gives the estimate, else adaptive
#: quadrature
_GL_NODES = (8, 16, 32, 64, 128)
#: the NSB integral runs over t = ln beta in [-_NSB_T - ln K, _NSB_T] (beta from 1e-20 / K
#: to 1e20; beyond, the posterior decays at least like K beta or 1/beta, so that the tails
#: left out are below ~1e-19 of its mass, whatever K: the prior alone, d xi / d t ~
#: zeta(2) K beta at K beta << 1, is what a single sample leaves it with),
#: restricted to where the posterior exceeds e^-_NSB_DROP of its peak
_NSB_T = 46.0
_NSB_DROP = 60.0
#: each side of the mode is split into panels where the posterior falls below these
_NSB_LEVELS = (-1.0, -5.0, -15.0, -30.0)
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


@functools.cache
def _legendre(nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on [-1, 1] (computed once: an eigenvalue problem)."""
    x, w = np.polynomial.legendre.leggauss(nodes)
    x.setflags(write=False)
    w.setflags(write=False)
    return x, w


def _stirling_remainder(x: np.ndarray) -> np.ndarray:
    """ln Gamma(x) - (x - 1/2) ln x + x - ln(2 pi)/2 for any x > 0: Stirling's series from
    x = 10 on, else through ln Gamma (x < 10: the terms are O(1) or ~ -ln x / 2, no
    cancellation that matters)."""
    x = np.asarray(x, dtype=np.float64)
    xs = np.minimum(x, 10.0)
    direct = special.gammaln(xs) - (xs - 0.5) * np.log(xs) + xs - _HALF_LOG_2PI
    return np.where(x >= 10.0, _stirling_tail(np.maximum(x, 10.0)), direct)


class _NsbPosterior:
    """The NSB log posterior over t = ln beta (up to a constant) and E[H | n, beta], both
    vectorised over nodes t [T], with the per-profile sums precomputed once.

    Count values c up to a split (at least _SMALL_COUNT; higher where many distinct counts
    lie above it, see __init__) enter through their cumulative counts, so that their cost
    per node does not grow with how many cells hold them:
    sum_k R(b, n_k) over those cells = sum_{j >= 1} log1p(j / b) #{cells with n_k > j}
    (R(b, c) = sum_{j < c} log1p(j / b), exact to rounding), and, with psi(c + b + 1) =
    psi(b + 1) + sum_{i=1}^{c} 1 / (b + i), sum_k (n_k + b) psi(n_k + b + 1) over them (and
    over the unseen cells, c = 0) = psi(b + 1) sum_k (n_k + b) + sum_{i >= 1} (B_i + b A_i)
    / (b + i), A_i = #{cells with n_k >= i}, B_i = sum of those n_k. Larger counts: R from
    Stirling's series (y - 1/2) log1p(c / b) - c + rem(y) - rem(b), y = b + c, and y psi(y +
    1) from its asymptotic series (y > 64), over [nodes, distinct large counts] in chunks.
    """

    def __init__(self, v: np.ndarray, m: np.ndarray, n: float, k: int, n_unseen: int) -> None:
        # the split between the two routes: a count value below it costs one term per j
        # up to it (~1 ns a node), one above it ~_NSB_BIG_COST terms (Stirling's series):
        # the cheapest split, from _SMALL_COUNT (below: always summed term by term) up
        c_max = min(int(v[-1]), _NSB_SMALL_MAX) if v.size else 0
        cand = v[(v >= _SMALL_COUNT) & (v <= c_max)]
        top = _SMALL_COUNT
        if cand.size:
            cost = cand + _NSB_BIG_COST * (v.size - np.searchsorted(v, cand, side="right"))
            best = int(np.argmin(cost))
            if cost[best] < _SMALL_COUNT + _NSB_BIG_COST * np.count_nonzero(v > _SMALL_COUNT):
                top = int(cand[best])
        small = v <= top
        w = np.bincount(v[small].astype(np.int64), weights=m[small].astype(np.float64))
        w = np.concatenate([w, np.zeros(max(0, 2 - w.size))])
        c = np.arange(w.size, dtype=np.float64)
        at_least = np.cumsum(w[::-1])[::-1]  # A_i, i = 0 .. top
        mass_at_least = np.cumsum((c * w)[::-1])[::-1]  # B_i
        self.j = c[1:-1]  # j = 1 .. top - 1: log1p(j / b) for every count > j
        self.above_j = at_least[2:]
        self.i = c[1:]  # i = 1 .. top
        self.a_i, self.b_i = at_least[1:], mass_at_least[1:]
        self.n_small = float(mass_at_least[0])
        self.cells_small = float(at_least[0] + n_unseen)  # unseen cells: count 0
        self.vb = v[~small].astype(np.float64)  # all > _SMALL_COUNT
        self.mb = m[~small].astype(np.float64)
        self.cells_big = float(self.mb.sum())
        self.n, self.k = n, k
        # [T, U] temporaries bounded to ~_NSB_CHUNK_BYTES whatever the distinct counts U
        self.rows = max(1, _NSB_CHUNK_BYTES // (8 * max(self.vb.size, self.i.size, 1)))

    def _chunked(self, fn: Any, t: np.ndarray) -> np.ndarray:
        t = np.atleast_1d(np.asarray(t, dtype=np.float64))
        if t.size <= self.rows:
            return fn(t)
        return np.concatenate([fn(t[s : s + self.rows]) for s in range(0, t.size, self.rows)])

    def log_post(self, t: np.ndarray) -> np.ndarray:
        """ln p(beta | n) + const over t = ln beta: ln evidence + N ln K (= sum_k R(b, n_k) -
        R(K b, N): no cancellation at large b) + ln(d xi / d beta) + t (d beta = beta dt)."""
        return self._chunked(self._log_post, t)

    def _log_post(self, t: np.ndarray) -> np.ndarray:
        b = np.exp(t)
        ev = np.log1p(self.j[None, :] / b[:, None]) @ self.above_j
        if self.vb.size:
            # sum_k R(b, c) over large counts, less the constant sum_k c; Stirling's series
            # of rem(y), y > 64, to z^-7 (the next term < 4e-20), in place: this is the
            # [nodes, distinct counts] work
            y = b[:, None] + self.vb[None, :]
            lg = np.divide(self.vb[None, :], b[:, None])
            np.log1p(lg, out=lg)
            ev += (y - 0.5) * lg @ self.mb
            r = np.divide(1.0, y, out=y)
            r2 = np.multiply(r, r, out=lg)
            acc = r2 * _STIRLING[3]
            for coef in (_STIRLING[2], _STIRLING[1]):
                acc += coef
                acc *= r2
            acc += _STIRLING[0]
            acc *= r
            ev += acc @ self.mb - self.cells_big * _stirling_remainder(b)
        ev -= _log_rising_over_power(self.k * b, self.n)
        return ev + np.log(_trigamma_gap(b, self.k)) + t

    def mean_h(self, t: np.ndarray) -> np.ndarray:
        """E[H | n, beta] = psi(N + K b + 1) - sum_k (n_k + b) / (N + K b) psi(n_k + b + 1)
        (Wolpert & Wolf 1995), every cell of the alphabet."""
        return self._chunked(self._mean_h, t)

    def _mean_h(self, t: np.ndarray) -> np.ndarray:
        b = np.exp(t)
        inv = 1.0 / (b[:, None] + self.i[None, :])
        s = inv @ self.b_i + b * (inv @ self.a_i)
        s += special.digamma(b + 1.0) * (self.n_small + self.cells_small * b)
        if self.vb.size:
            # y psi(y + 1) = y ln y + 1/2 - sum_k B_2k / (2k y^(2k-1)), y > 64, to y^-7 (the
            # next term < 2e-18 of y ln y); a third of scipy's digamma's cost
            y = b[:, None] + self.vb[None, :]
            s += (y * np.log(y)) @ self.mb + 0.5 * self.cells_big
            r = np.divide(1.0, y, out=y)
            r2 = r * r
            acc = r2 * (1.0 / 240.0)
            for coef in (-1.0 / 252.0, 1.0 / 120.0):
                acc += coef
                acc *= r2
            acc += -1.0 / 12.0
            acc *= r
            s += acc @ self.mb
        a = self.n + self.k * b
        return special.digamma(a + 1.0) - s / a


def _nsb_span(post: _NsbPosterior) -> tuple[np.ndarray, float]:
    """(breaks, f0): the panel ends of the NSB integral over t = ln beta, ascending, and the
    log posterior f0 at the mode t0 (breaks[len // 2]; found to within the resolution that
    matters: a node whose log posterior is within 1 of a neighbour's). The outer breaks
    span the region beyond which the posterior stays below e^-60 of f0; the inner ones are
    where it first stays below e^-1, e^-5, e^-15, e^-30 (_NSB_LEVELS) on either side.

    A grid of step <= 1 over [-46 - ln K, 46] finds the peak's neighbourhood (and every
    point above the drop, should the posterior not be unimodal); grids of 9 nodes zoom in
    by 4 per round while both neighbours of the top node are more than 1 below it (a peak narrower
    than the grid step). The edges: nodes at distances h 2^(j/2) from t0 (h the final step)
    out to the first coarse node outside the drop, all evaluated in one call; each break is
    the node after the last one above its level (at most sqrt 2 farther than needed)."""
    drop = _NSB_DROP
    lo_t = -_NSB_T - math.log(post.k)
    grid = np.linspace(lo_t, _NSB_T, math.ceil(_NSB_T - lo_t) + 1)  # step <= 1
    f = post.log_post(grid)
    ic = int(np.argmax(f))
    ts, fs, i, h = grid, f, ic, float(grid[1] - grid[0])
    while 0 < i < ts.size - 1 and min(fs[i] - fs[i - 1], fs[i] - fs[i + 1]) > 1.0 and h > 1e-12:
        h = 0.25 * (ts[i + 1] - ts[i - 1]) / 2.0  # 9 nodes over [t_{i-1}, t_{i+1}]
        new = ts[i - 1] + h * np.array([1.0, 2.0, 3.0, 5.0, 6.0, 7.0])
        fn = post.log_post(new)
        ts = np.concatenate([ts[i - 1 : i], new[:3], ts[i : i + 1], new[3:], ts[i + 1 : i + 2]])
        fs = np.concatenate([fs[i - 1 : i], fn[:3], fs[i : i + 1], fn[3:], fs[i + 1 : i + 2]])
        i = int(np.argmax(fs))
    t0, f0 = float(ts[i]), float(fs[i])
    inside = np.flatnonzero(f > f0 - drop)
    first = min(int(inside[0]) if inside.size else ic, ic) - 1
    last = max(int(inside[-1]) if inside.size else ic, ic) + 1
    # the farthest each edge may be: the first coarse node below the drop, else the bound
    far_left = t0 - (float(grid[first]) if first >= 0 else lo_t)
    far_right = (float(grid[last]) if last < grid.size else _NSB_T) - t0
    steps = h * 2.0 ** (0.5 * np.arange(1, 200))
    dl = np.append(steps[steps < far_left], far_left) if far_left > 0 else np.zeros(0)
    dr = np.append(steps[steps < far_right], far_right) if far_right > 0 else np.zeros(0)
    fe = post.log_post(np.concatenate([t0 - dl, t0 + dr])) - f0
    fl, fr = fe[: dl.size], fe[dl.size :]

    def edge(d: np.ndarray, fd: np.ndarray, level: float) -> float:
        # the node after the last one above the level (the posterior may not be monotone)
        above = np.flatnonzero(fd > level)
        if d.size == 0:
            return 0.0
        return float(d[min(int(above[-1]) + 1, d.size - 1)] if above.size else d[0])

    levels = (*_NSB_LEVELS, -drop)
    left = [t0 - edge(dl, fl, lv) for lv in reversed(levels)]
    right = [t0 + edge(dr, fr, lv) for lv in levels]
    return np.array([*left, t0, *right]), f0


def _nsb(v: np.ndarray, m: np.ndarray, n: float, k: int, n_unseen: int) -> float:
    """Nemenman-Shafee-Bialek posterior mean of H.

    Prior: symmetric Dirichlet(beta) on the K cells, beta mixed with density proportional
    to d xi / d beta, xi(beta) = E[H | beta] = psi(K beta + 1) - psi(beta + 1) (flat in xi on
    [0, ln K]). Posterior over beta: evidence Gamma(K b)/Gamma(N + K b) prod_k Gamma(n_k +
    b)/Gamma(b) times that density; the estimate is the posterior mean of
    E[H | n, beta] = psi(N + K b + 1) - sum_k (n_k + b)/(N + K b) psi(n_k + b + 1)
    (Wolpert & Wolf 1995). The 1-D integral runs over t = ln beta, in log space relative
    to the mode, over the span where the posterior exceeds e^-60 of its peak
    (:func:`_nsb_span`), split on each side of the mode into panels where the posterior
    falls below e^-1, e^-5, e^-15, e^-30 of its peak (so that a sharp core and a long tail
    each get their own nodes), by Gauss-Legendre with 8, 16, 32, 64, 128 nodes a panel:
    the first rule that agrees with the one before it within 1e-11 (relative, or 1e-13
    nats: E[H | n, beta] is a difference of terms of size ln N, whose rounding no
    quadrature removes), else adaptive Gauss-Kronrod. Every stage evaluates all its nodes
    in one vectorised call of :class:`_NsbPosterior`.
    """
    if k == 1:
        return 0.0
    post = _NsbPosterior(v, m, n, k, n_unseen)
    breaks, f0 = _nsb_span(post)
    lo, hi = breaks[:-1], breaks[1:]
    keep = hi > lo  # a side or a tail may be empty (mode at the bound, a steep drop)
    lo, hi = lo[keep], hi[keep]

    def gauss(nodes: int) -> float:
        x, wq = _legendre(nodes)
        half = 0.5 * (hi - lo)
        t = (lo[:, None] + half[:, None] * (x[None, :] + 1.0)).ravel()
        w = (half[:, None] * wq[None, :]).ravel() * np.exp(post.log_post(t) - f0)
        return float(w @ post.mean_h(t)) / float(w.sum())

    def close(h1: float, h2: float) -> bool:
        return math.isfinite(h2) and abs(h2 - h1) <= max(1e-11 * abs(h2), 1e-13)

    h1 = gauss(_GL_NODES[0])
    for nodes in _GL_NODES[1:]:
        h2 = gauss(nodes)
        if close(h1, h2):
            return h2
        h1 = h2

    def w1(t: float) -> float:
        return math.exp(float(post.log_post(np.array([t]))[0]) - f0)

    a_t, t0, b_t = float(breaks[0]), float(breaks[breaks.size // 2]), float(breaks[-1])
    opts = {"epsabs": 0.0, "epsrel": 1e-10, "limit": 400, "points": [t0]}
    with warnings.catch_warnings():
        # QUADPACK warns "roundoff error" when it cannot reach 1e-10 (the log posterior is
        # evaluated to ~1e-12): its error estimate is checked instead
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        den, den_err = integrate.quad(w1, a_t, b_t, **opts)
        num, num_err = integrate.quad(
            lambda t: w1(t) * float(post.mean_h(np.array([t]))[0]), a_t, b_t, **opts
        )
    h = num / den if den > 0 else math.nan
    # the log posterior carries rounding of its largest term, ~eps |R(K b, N)| (1e-6 at N =
    # 1e9), which QUADPACK's error estimates then report; h = num / den is far better (the
    # same noisy weights on both), so the estimates are held to that noise, not below
    largest = abs(f0) + abs(float(_log_rising_over_power(k * math.exp(t0), n)))
    tol = max(1e-7, 64 * np.finfo(np.float64).eps * largest)
    if not (math.isfinite(h) and den_err <= tol * den and num_err <= tol * abs(num) + 1e-13 * den):
        raise RuntimeError(  # pragma: no cover - a guard, not a path seen in tests
            "softent.discrete.entropy_from_profile: the NSB integral did not converge "
            f"(posterior mass {den} +- {den_err}, numerator {num} +- {num_err})"
        )
    return h


# ----------------------------------------------------------------------------- public fronts


def _check_estimator(api: str, estimator: Any) -> str:
    return check_choice(api, "estimator", estimator, ESTIMATORS)


def entropy_from_profile(p: Profile, *, estimator: str = "plugin", alpha: Any = None) -> float:
    """Entropy (nats) of the distribution whose counts have the profile ``p``.

    ``estimator``: one of :data:`ESTIMATORS` (see the module guide; formulas and sources
    in each private function's docstring). 'nsb', 'james_stein' and 'dirichlet' use the
    alphabet size ``p.alphabet_size`` (the cells given plus ``p.n_unseen``); the others
    depend on the observed cells only. ``alpha``: the pseudo-count of 'dirichlet' only, a
    float > 0 or 'jeffreys'/'krichevsky_trofimov' (1/2, the default), 'laplace' (1),
    'perks' (1/K), 'minimax' (sqrt(N)/K). Weighted counts: 'plugin' and 'miller_madow' only.

    Sources: plugin (ML); Miller, G. A. (1955), Note on the bias of information estimates;
    Zahl, S. (1977), Ecology 58, jackknifing an index of diversity; Efron & Stein (1981),
    Ann. Statist. 9, the jackknife estimate of variance; Grassberger, P. (1988), Phys. Lett.
    A 128, 369, finite sample corrections to entropy and dimension estimates; Grassberger,
    P. (2003), arXiv:physics/0307138, eq. (35), entropy estimates from insufficient
    samplings; Chao, A. & Shen, T.-J. (2003), Environ. Ecol. Stat. 10, 429; Nemenman, I.,
    Shafee, F. & Bialek, W. (2002), NIPS 14, entropy and inference, revisited; Hausser, J.
    & Strimmer, K. (2009), JMLR 10, 1469; Krichevsky, R. & Trofimov, V. (1981), IEEE Trans.
    Inf. Theory 27, 199.
    """
    api = "discrete.entropy_from_profile"
    if not isinstance(p, Profile):
        fail(api, "p", "a softent.discrete.Profile", type(p).__name__, TypeError)
    est = _check_estimator(api, estimator)
    if alpha is not None and est != "dirichlet":
        fail(
            api,
            "alpha",
            f"None for estimator={est!r} (alpha is the 'dirichlet' pseudo-count)",
            repr(alpha),
        )
    if p.weighted and est not in ACCEPTS_WEIGHTED:
        fail(
            api,
            "counts",
            f"integer counts for estimator={est!r} (weighted counts: 'plugin' or 'miller_madow')",
            f"non-integer values (e.g. {p.values[0]!r})",
        )
    v, m, n = p.values, p.multiplicities, p.n
    vf = v.astype(np.float64)
    k, unseen = p.alphabet_size, p.n_unseen or 0
    if est == "plugin":
        return _plugin(vf, m, n)
    if est == "miller_madow":
        return _plugin(vf, m, n) + (p.n_observed - 1) / (2.0 * n)
    if est == "jackknife":
        return _jackknife(vf, m, n)
    if est == "grassberger1988":
        return _grassberger1988(v, m, n)
    if est == "grassberger":
        return _grassberger2003(v, m, n)
    if est == "chao_shen":
        return _chao_shen(vf, m, n)
    if est == "nsb":
        return _nsb(v, m, n, k, unseen)
    if est == "james_stein":
        return _james_stein(vf, m, n, k, unseen)
    return _dirichlet(vf, m, n, k, unseen, _resolve_alpha(alpha, n, k, api))


def _entropy(
    a: np.ndarray, k: int | None, estimator: str, alpha: Any, api: str, arg: str = "counts"
) -> float:
    return entropy_from_profile(_profile(a, k, api, arg), estimator=estimator, alpha=alpha)


def entropy_from_counts(
    counts: Any,
    *,
    estimator: str = "plugin",
    alphabet_size: int | None = None,
    alpha: Any = None,
    base: float = math.e,
) -> float:
    """Entropy of a discrete distribution estimated from its ``counts``, in units of
    ``base`` (nats by default; 2: bits).

    ``counts``: any shape, non-negative integer counts (integral floats accepted; other
    floats are weighted counts, for 'plugin' and 'miller_madow' only); zero cells are
    unseen cells of the alphabet. ``alphabet_size``: K >= counts.size, default counts.size
    (read by 'nsb', 'james_stein', 'dirichlet'; the other estimators ignore unseen cells).
    ``estimator`` and ``alpha``: see :func:`entropy_from_profile` and the module guide.
    Returns a Python float.
    """
    api = "discrete.entropy_from_counts"
    est = _check_estimator(api, estimator)
    b = check_base(api, base)
    h = _entropy(_as_counts(counts, api), alphabet_size, est, alpha, api)
    return float(to_base(h, b, api))


def mutual_information_from_table(
    table: Any, *, estimator: str = "plugin", alpha: Any = None, base: float = math.e
) -> float:
    """I(X;Y) = H(X) + H(Y) - H(X,Y) of a contingency ``table`` [Kx, Ky] of counts, with
    the same ``estimator`` on each term (alphabets Kx, Ky and Kx * Ky: the table's shape),
    in units of ``base`` (nats by default). A named ``alpha`` ('perks', 'minimax') is
    resolved per term from that term's K and N. Bias-corrected MI can be slightly negative
    when X and Y are independent. Returns a Python float.
    """
    api = "discrete.mutual_information_from_table"
    est = _check_estimator(api, estimator)
    b = check_base(api, base)
    t = _as_counts(table, api, "table")
    if t.ndim != 2:
        fail(api, "table", "a 2-D array [Kx, Ky] of counts", f"shape {t.shape}")
    hx = _entropy(t.sum(axis=1), None, est, alpha, api, "table")
    hy = _entropy(t.sum(axis=0), None, est, alpha, api, "table")
    hxy = _entropy(t, None, est, alpha, api, "table")
    return float(to_base(hx + hy - hxy, b, api))


__all__ = [
    "ACCEPTS_WEIGHTED",
    "ALPHAS",
    "ESTIMATORS",
    "NEEDS_ALPHABET",
    "Profile",
    "entropy_from_counts",
    "entropy_from_profile",
    "mutual_information_from_table",
    "profile",
]
