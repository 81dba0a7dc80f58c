"""Temperature calibration for spherical soft bins.

The soft-entropy method (Conklin 2025, "Information Structure in Mappings", arXiv:2505.23960,
§5.4) chooses the temperature ε so that one soft assignment kernel carries log B nats:
the von Mises–Fisher distribution vMF(κ = 1/ε) on the unit sphere S^{D−1}, which is the
shape of softmax(<z, c>/ε) over uniformly spread centres, must be log B nats away from the
uniform distribution on the sphere:

    KL(vMF(1/ε) ‖ Uniform(S^{D−1})) = log B.

With ν = D/2 − 1 the vMF normaliser is C_D(κ) = κ^ν / ((2π)^{D/2} I_ν(κ)) and its mean
resultant length A_D(κ) = I_{D/2}(κ) / I_{D/2−1}(κ) (Mardia & Jupp, *Directional
Statistics*, 2000, §9.3), so

    KL = log C_D(κ) + κ A_D(κ) + log |S^{D−1}|,   |S^{D−1}| = 2 π^{D/2} / Γ(D/2).
"""

from __future__ import annotations

import math
from functools import lru_cache

from .._lazy import LazyModule

special = LazyModule("scipy.special")  # imported on first use (a cost of `import softent`)

from .._checks import check_choice, check_int, fail

METHODS = ("vmf", "vmf_bound", "leading_order")

#: Orders at and above this use the uniform (Debye) asymptotic expansion of I_ν, where
#: scipy's ive underflows for D in the hundreds; its truncation error there is < 1e-10.
_DEBYE_MIN_ORDER = 100.0


def _log_bessel_i_debye_scaled(nu: float, x: float) -> float:
    """log I_ν(x) − x by the uniform asymptotic expansion for large ν (Abramowitz &
    Stegun 9.7.7, terms u1..u3 of 9.3.9-9.3.10), written so that ν·η − x does not cancel."""
    z = x / nu
    s = math.sqrt(1.0 + z * z)
    p = 1.0 / s
    eta_minus_z = 1.0 / (s + z) + math.log(z / (1.0 + s))  # η − z, with s − z = 1/(s + z)
    p2 = p * p
    u1 = p * (3.0 - 5.0 * p2) / 24.0
    u2 = p2 * (81.0 - 462.0 * p2 + 385.0 * p2 * p2) / 1152.0
    u3 = p * p2 * (30375.0 - 369603.0 * p2 + 765765.0 * p2 * p2 - 425425.0 * p2**3) / 414720.0
    correction = u1 / nu + u2 / nu**2 + u3 / nu**3
    return (
        -0.5 * math.log(2.0 * math.pi * nu)
        + nu * eta_minus_z
        - 0.5 * math.log(s)
        + math.log1p(correction)
    )


def _hankel_log_correction(nu: float, x: float) -> float:
    """log of the series factor of the large-argument expansion (Abramowitz & Stegun
    9.7.1): log I_ν(x) = x − ½ log(2πx) + this, for x >> ν²."""
    mu = 4.0 * nu * nu
    t = 8.0 * x
    correction = -(mu - 1.0) / t + (mu - 1.0) * (mu - 9.0) / (2.0 * t * t)
    correction -= (mu - 1.0) * (mu - 9.0) * (mu - 25.0) / (6.0 * t**3)
    return math.log1p(correction)


def _use_hankel(nu: float, x: float) -> bool:
    return nu < _DEBYE_MIN_ORDER and x > 1e6 * max(1.0, nu * nu)  # ive turns NaN near 1e12


def log_bessel_i_scaled(nu: float, x: float) -> float:
    """log I_ν(x) − x, the logarithm of the exponentially scaled modified Bessel function
    of the first kind (scipy's ``log(ive(nu, x))``), for ν >= 0 and x > 0, accurate where
    ``ive`` underflows or turns NaN: large orders (D in the hundreds and beyond) and large
    arguments (the scaling keeps κ·A_D(κ) − κ free of cancellation when κ is large).

    Branches: orders ν >= 100 use the uniform (Debye) asymptotic expansion (Abramowitz &
    Stegun 9.7.7, truncation error < 1e-10 there); x > 10^6 · max(1, ν²) the
    large-argument (Hankel) expansion (A&S 9.7.1); otherwise scipy's ``ive`` (and the
    Debye form where ``ive`` underflows for tiny x).

    Args:
        nu: the order ν >= 0.
        x: the argument x > 0.

    Returns:
        log I_ν(x) − x (a float).
    """
    if nu >= _DEBYE_MIN_ORDER:
        return _log_bessel_i_debye_scaled(nu, x)
    if _use_hankel(nu, x):
        return -0.5 * math.log(2.0 * math.pi * x) + _hankel_log_correction(nu, x)
    v = float(special.ive(nu, x))
    if v > 1e-290:
        return math.log(v)
    # ive underflows for tiny x at orders in the tens: the Debye form still holds there
    return _log_bessel_i_debye_scaled(nu, x)


def vmf_uniform_kl(kappa: float, dim: int) -> float:
    """Exact KL(vMF(κ) ‖ Uniform(S^{dim−1})) in nats (κ >= 0, dim >= 2)."""
    if kappa <= 0:
        return 0.0
    nu = dim / 2.0 - 1.0
    scaled_nu = log_bessel_i_scaled(nu, kappa)  # log I_ν(κ) − κ
    # κ A_D(κ) − κ = κ (I_{ν+1}/I_ν − 1) ~ −(D−1)/2 for large κ: the log-ratio of the two
    # Bessel functions (~1/κ) is formed without subtracting two O(log κ) numbers.
    if _use_hankel(nu, kappa) and _use_hankel(nu + 1.0, kappa):
        log_ratio = _hankel_log_correction(nu + 1.0, kappa) - _hankel_log_correction(nu, kappa)
    else:
        log_ratio = log_bessel_i_scaled(nu + 1.0, kappa) - scaled_nu
    kappa_a_minus_kappa = kappa * math.expm1(log_ratio)
    log_c_plus_kappa = nu * math.log(kappa) - (dim / 2.0) * math.log(2.0 * math.pi) - scaled_nu
    log_area = math.log(2.0) + (dim / 2.0) * math.log(math.pi) - float(special.gammaln(dim / 2.0))
    return max(log_c_plus_kappa + kappa_a_minus_kappa + log_area, 0.0)


def vmf_uniform_kl_lower_bound(kappa: float, dim: int) -> float:
    """soft-entropy's lower bound Ψ⁻ of the same KL (its ``find_eps``), from Amos-type
    bounds on Bessel-function ratios: with ν = D/2 − 1, h = D/2,
    Ψ⁻ = κ²/(h + √(κ²+h²)) − [√(κ²+ν²) − ν + ν ln((D−2)/(ν + √(κ²+ν²)))]."""
    nu, h = dim / 2.0 - 1.0, dim / 2.0
    r = math.sqrt(kappa * kappa + nu * nu)
    log_term = nu * math.log((dim - 2.0) / (nu + r)) if nu > 0 else 0.0
    return kappa * kappa / (h + math.sqrt(kappa * kappa + h * h)) - (r - nu + log_term)


def calibrate_temperature(dim: int, n_bins: int, method: str = "vmf") -> float:
    """The temperature ε* at which a spherical soft bin carries log ``n_bins`` nats.

    ε* solves KL(vMF(κ = 1/ε) ‖ Uniform(S^{dim−1})) = log B (Conklin 2025,
    arXiv:2505.23960, §5.4; the vMF normaliser and mean resultant length from Mardia &
    Jupp, *Directional Statistics*, 2000). Methods:

    - ``"vmf"`` (default): the exact KL (Bessel functions, computed stably in log space
      for any dim up to 10^5 and beyond), root by Brent's method on log ε.
    - ``"vmf_bound"``: the root of soft-entropy's lower bound Ψ⁻ on ε ∈ [1e-5, 1], exactly
      as soft-entropy 0.1.5's ``find_eps`` (reproduces its temperatures). The bound
      under-estimates the KL, so its root is smaller: at D=16, B=10 it gives 0.08414
      against 0.09512 exact; they agree within 0.5% for D >= 256.
    - ``"leading_order"``: 1 / √(2·dim·log B), the large-dim limit.

    Args:
        dim: D >= 2, the dimension of the vectors (the sphere is S^{D−1}).
        n_bins: B >= 2, the number of bins.

    Returns:
        ε* > 0 (dimensionless: cosine scores are divided by it).
    """
    api = "calibrate_temperature"
    d, b = check_int(api, "dim", dim, lo=2), check_int(api, "n_bins", n_bins, lo=2)
    return _calibrate(d, b, check_choice(api, "method", method, METHODS))


@lru_cache(maxsize=1024)
def _calibrate(dim: int, n_bins: int, method: str) -> float:
    # scipy.optimize costs ~1 s of `import softent` for this one root finder: imported here
    from scipy.optimize import brentq

    target = math.log(n_bins)
    if method == "leading_order":
        return 1.0 / math.sqrt(2.0 * dim * target)
    if method == "vmf_bound":
        bound = lambda e: vmf_uniform_kl_lower_bound(1.0 / e, dim) - target
        if not bound(1e-5) > 0 > bound(1.0):
            fail(
                "calibrate_temperature",
                "method",
                "'vmf' or 'leading_order' here: soft-entropy's bound "
                f"has no root in [1e-5, 1] for dim={dim}, n_bins={n_bins}",
                "'vmf_bound'",
            )
        return float(brentq(bound, 1e-5, 1.0))
    # KL decreases in ε; bracket the root in log ε around the leading-order guess.
    f = lambda log_eps: vmf_uniform_kl(math.exp(-log_eps), dim) - target
    guess = math.log(1.0 / math.sqrt(2.0 * dim * target))
    lo, hi = guess - 1.0, guess + 1.0
    while f(lo) < 0:
        lo -= 2.0
    while f(hi) > 0:
        hi += 2.0
    return math.exp(brentq(f, lo, hi, xtol=1e-14, rtol=1e-13))
