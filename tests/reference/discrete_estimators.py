"""Plain per-cell formulas of the entropy estimators of :mod:`softent.discrete.estimators`,
written from the papers, one cell (or one sample) at a time, materialising every cell of
the alphabet (unseen ones as explicit zeros). Slow on purpose; independent of softent's
profile-based code (no frequency of frequencies, no closed forms of its own).

Every function takes ``counts`` (any shape, zeros = unseen cells of the alphabet) and
returns nats.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import integrate, optimize, special


def cells(counts, alphabet_size=None) -> list[float]:
    """The counts as a flat list of floats, padded with zeros to ``alphabet_size`` cells."""
    c = [float(x) for x in np.asarray(counts, dtype=np.float64).ravel()]
    if alphabet_size is not None:
        c += [0.0] * (alphabet_size - len(c))
    return c


def plugin(counts) -> float:
    """-sum_k p_k ln p_k, p_k = n_k / N (0 ln 0 = 0)."""
    c = cells(counts)
    n = sum(c)
    return -sum((x / n) * math.log(x / n) for x in c if x > 0)


def miller_madow(counts) -> float:
    """Miller (1955): plug-in + (K_obs - 1) / (2N), K_obs the cells with n_k > 0."""
    c = cells(counts)
    return plugin(c) + (sum(1 for x in c if x > 0) - 1) / (2 * sum(c))


def jackknife(counts, digits: int | None = None) -> float:
    """Zahl (1977): N H - (N - 1)/N sum_i H_{-i}, the sum over the N samples, each left out
    once (a sample of cell k leaves the counts with n_k - 1).

    In floats the difference N H - ... loses ~log10(N) digits to cancellation; with
    ``digits`` the whole formula runs in mpmath at that many significant digits."""
    if digits is not None:
        import mpmath

        with mpmath.workdps(digits):
            c = [mpmath.mpf(int(x)) for x in cells(counts)]

            def h(cs):
                t = mpmath.fsum(cs)
                return -mpmath.fsum(x / t * mpmath.log(x / t) for x in cs if x > 0)

            n = mpmath.fsum(c)
            loo = mpmath.fsum(
                x * (h([*c[:k], x - 1, *c[k + 1 :]]) if n > 1 else 0)
                for k, x in enumerate(c)
                if x > 0
            )
            return float(n * h(c) - (n - 1) / n * loo)
    c = cells(counts)
    n = sum(c)
    loo = 0.0
    for k, x in enumerate(c):
        if x > 0:
            left = list(c)
            left[k] -= 1
            loo += x * (plugin(left) if sum(left) > 0 else 0.0)
    return n * plugin(c) - (n - 1) / n * loo


def grassberger1988(counts) -> float:
    """Grassberger (1988): ln N - (1/N) sum_k n_k [psi(n_k) + (-1)^n_k / (n_k (n_k + 1))]."""
    c = cells(counts)
    n = sum(c)
    s = sum(x * (special.digamma(x) + (-1) ** int(x) / (x * (x + 1))) for x in c if x > 0)
    return math.log(n) - s / n


def grassberger_g(x: float) -> float:
    """G(n) = psi(n) + (-1)^n (psi((n+1)/2) - psi(n/2)) / 2 (Grassberger 2003, eq. 35)."""
    return special.digamma(x) + 0.5 * (-1) ** int(x) * (
        special.digamma((x + 1) / 2) - special.digamma(x / 2)
    )


def grassberger(counts) -> float:
    """Grassberger (2003): ln N - (1/N) sum_k n_k G(n_k)."""
    c = cells(counts)
    n = sum(c)
    return math.log(n) - sum(x * grassberger_g(x) for x in c if x > 0) / n


def chao_shen(counts) -> float:
    """Chao & Shen (2003): -sum_k C p_k ln(C p_k) / (1 - (1 - C p_k)^N), C = 1 - f1/N,
    f1 the singletons (N - 1 when all N samples are singletons)."""
    c = cells(counts)
    n = sum(c)
    f1 = sum(1 for x in c if x == 1)
    if f1 == n:
        f1 = n - 1
    cov = 1 - f1 / n
    h = 0.0
    for x in c:
        if x > 0:
            pa = cov * x / n
            if pa < 1:
                h -= pa * math.log(pa) / (1 - (1 - pa) ** n)
    return h


def shrink_lambda(counts, alphabet_size=None) -> float:
    """Hausser & Strimmer (2009), R package entropy, freqs.shrink: lambda = sum_k var(u_k)
    / sum_k (1/K - u_k)^2, var(u_k) = u_k (1 - u_k) / (N - 1), clipped to [0, 1]; 1 for N <= 1
    or a zero misfit."""
    c = cells(counts, alphabet_size)
    n, k = sum(c), len(c)
    if n <= 1:
        return 1.0
    u = [x / n for x in c]
    var = sum(ui * (1 - ui) for ui in u) / (n - 1)
    msp = sum((1 / k - ui) ** 2 for ui in u)
    if msp == 0:
        return 1.0
    return min(max(var / msp, 0.0), 1.0)


def james_stein(counts, alphabet_size=None) -> float:
    """Plug-in H of lambda / K + (1 - lambda) n_k / N over all K cells."""
    c = cells(counts, alphabet_size)
    n, k = sum(c), len(c)
    lam = shrink_lambda(c)
    p = [lam / k + (1 - lam) * x / n for x in c]
    return -sum(q * math.log(q) for q in p if q > 0)


def dirichlet(counts, alpha: float, alphabet_size=None) -> float:
    """Plug-in H of the Dirichlet posterior mean (n_k + alpha) / (N + K alpha), all K cells."""
    c = cells(counts, alphabet_size)
    n, k = sum(c), len(c)
    p = [(x + alpha) / (n + k * alpha) for x in c]
    return -sum(q * math.log(q) for q in p)


def _log_evidence(c: list[float], beta: float) -> float:
    """ln p(n | beta) up to a constant: ln Gamma(K b) - ln Gamma(N + K b) + sum_k [ln Gamma(n_k
    + b) - ln Gamma(b)], every cell (unseen ones contribute 0)."""
    n, k = sum(c), len(c)
    s = special.gammaln(k * beta) - special.gammaln(n + k * beta)
    for x in c:
        s += special.gammaln(x + beta) - special.gammaln(beta)
    return float(s)


def _posterior_mean_h(c: list[float], beta: float) -> float:
    """E[H | n, beta] = psi(N + K b + 1) - sum_k (n_k + b)/(N + K b) psi(n_k + b + 1)
    (Wolpert & Wolf 1995), every cell."""
    n, k = sum(c), len(c)
    a = n + k * beta
    return float(
        special.digamma(a + 1) - sum((x + beta) / a * special.digamma(x + beta + 1) for x in c)
    )


def _xi(k: int, beta: float) -> float:
    """xi(beta) = psi(K beta + 1) - psi(beta + 1): the prior mean of H under Dirichlet(beta)."""
    return float(special.digamma(k * beta + 1) - special.digamma(beta + 1))


def nsb(counts, alphabet_size=None) -> float:
    """Nemenman, Shafee & Bialek (2002): H = int dxi p(n | beta(xi)) E[H | n, beta(xi)] /
    int dxi p(n | beta(xi)), the prior flat in xi on [0, ln K]. Integrated in xi itself
    (beta(xi) found by root-finding), not in ln beta as softent does: an independent route.
    The range is xi(1e-12) .. xi(1e12) (the tails beyond carry no visible mass for the
    moderate N, K with coincidences used in the tests)."""
    c = cells(counts, alphabet_size)
    k = len(c)

    def beta_of(xi: float) -> float:
        t = optimize.brentq(lambda t: _xi(k, math.exp(t)) - xi, -30.0, 30.0, xtol=1e-15)
        return math.exp(t)

    lo, hi = _xi(k, 1e-12), _xi(k, 1e12)
    grid = np.linspace(lo, hi, 801)[1:-1]
    logs = [_log_evidence(c, beta_of(x)) for x in grid]
    j = int(np.argmax(logs))
    peak = optimize.minimize_scalar(
        lambda x: -_log_evidence(c, beta_of(x)),
        bounds=(grid[max(j - 1, 0)], grid[min(j + 1, len(grid) - 1)]),
        method="bounded",
        options={"xatol": 1e-13},
    )
    top = -peak.fun

    def w(x: float) -> float:
        return math.exp(_log_evidence(c, beta_of(x)) - top)

    opts = {"epsabs": 0.0, "epsrel": 1e-12, "limit": 500, "points": [float(peak.x)]}
    den = integrate.quad(w, lo, hi, **opts)[0]
    num = integrate.quad(lambda x: w(x) * _posterior_mean_h(c, beta_of(x)), lo, hi, **opts)[0]
    return num / den


def mutual_information(table, estimator) -> float:
    """H(X) + H(Y) - H(X,Y) of a 2-D table with ``estimator`` (a function of counts) on
    the row sums, column sums and the table."""
    t = np.asarray(table, dtype=np.float64)
    return estimator(t.sum(1)) + estimator(t.sum(0)) - estimator(t)
