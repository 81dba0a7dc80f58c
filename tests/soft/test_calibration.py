"""Temperature calibration: exact vMF KL, soft-entropy's bound, and the roots."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import gammaln
from softent import calibrate_temperature
from softent.soft.calibration import (
    log_bessel_i_scaled,
    vmf_uniform_kl,
    vmf_uniform_kl_lower_bound,
)


def kl_by_integration(kappa: float, dim: int) -> float:
    """KL(vMF || uniform) from the density of the angle θ to the mean direction,
    p(θ) ∝ exp(κ cos θ) sin^{D−2} θ, with no Bessel function involved."""
    w = lambda t: np.exp(kappa * (np.cos(t) - 1.0)) * np.sin(t) ** (dim - 2)
    norm = quad(w, 0, math.pi, limit=200)[0]
    uniform_norm = math.exp(0.5 * math.log(math.pi) + gammaln((dim - 1) / 2) - gammaln(dim / 2))
    mean_log_ratio = quad(
        lambda t: w(t) / norm * (kappa * (np.cos(t) - 1.0)), 0, math.pi, limit=200
    )[0]
    return mean_log_ratio - math.log(norm / uniform_norm)


@pytest.mark.parametrize("dim", [2, 3, 5, 16])
@pytest.mark.parametrize("kappa", [0.5, 3.0, 20.0])
def test_exact_kl_matches_numerical_integration(dim, kappa):
    assert vmf_uniform_kl(kappa, dim) == pytest.approx(
        kl_by_integration(kappa, dim), rel=1e-7, abs=1e-10
    )


def test_exact_kl_closed_form_dim3():
    for k in (0.3, 7.3, 80.0):
        closed = math.log(k / math.sinh(k)) + k * (1 / math.tanh(k) - 1 / k)
        assert vmf_uniform_kl(k, 3) == pytest.approx(closed, rel=1e-10, abs=1e-12)


def test_kl_vanishes_at_zero_and_grows():
    for dim in (2, 16, 768):
        values = [vmf_uniform_kl(k, dim) for k in (1e-6, 0.1, 1, 10, 100, 1000)]
        assert values[0] == pytest.approx(0, abs=1e-9)
        assert all(a < b for a, b in itertools.pairwise(values))


def test_bessel_branches_agree_with_scipy():
    """The asymptotic branches of log_bessel_i_scaled (Debye for orders >= 100, Hankel
    for arguments > 1e6 max(1, nu^2)) agree with scipy's ive where ive is still accurate."""
    from scipy.special import ive

    for nu, x in [(100.0, 1.0), (100.0, 30.0), (100.0, 500.0), (150.0, 80.0)]:  # Debye
        assert log_bessel_i_scaled(nu, x) == pytest.approx(math.log(ive(nu, x)), abs=1e-10)
    for nu, x in [(0.0, 2e6), (1.0, 3e6), (7.5, 1e8)]:  # Hankel
        assert log_bessel_i_scaled(nu, x) == pytest.approx(math.log(ive(nu, x)), abs=1e-12)


@pytest.mark.parametrize(("nu", "x"), [(400.0, 2.0), (1000.0, 5.0), (5000.0, 3000.0)])
def test_bessel_is_finite_where_scipy_underflows_and_keeps_the_recurrence(nu, x):
    """Where ive underflows to 0 (large orders, small arguments) the function stays
    finite and satisfies I_(nu-1)(x) - I_(nu+1)(x) = (2 nu / x) I_nu(x) (A&S 9.6.26),
    written as ratios to I_nu."""
    from scipy.special import ive

    assert ive(nu, x) == 0.0  # scipy has nothing to offer here
    at = log_bessel_i_scaled(nu, x)
    below, above = log_bessel_i_scaled(nu - 1, x), log_bessel_i_scaled(nu + 1, x)
    assert math.isfinite(at)
    ratio = math.exp(below - at) - math.exp(above - at)
    assert ratio == pytest.approx(2 * nu / x, rel=1e-9)


def test_bound_reproduces_soft_entropy():
    # soft-entropy 0.1.5 find_eps(m, d) values (docs/peers.md)
    assert calibrate_temperature(16, 10, "vmf_bound") == pytest.approx(
        0.08413518156288391, rel=1e-9
    )
    assert calibrate_temperature(16, 100, "vmf_bound") == pytest.approx(
        0.046182537243135514, rel=1e-9
    )
    assert vmf_uniform_kl_lower_bound(10.0, 16) < vmf_uniform_kl(10.0, 16)


@pytest.mark.parametrize("dim", [2, 3, 16, 64, 768, 4096, 16384])
@pytest.mark.parametrize("n_bins", [2, 10, 100, 1000, 100000])
def test_root_carries_log_b_nats(dim, n_bins):
    eps = calibrate_temperature(dim, n_bins)
    assert vmf_uniform_kl(1 / eps, dim) == pytest.approx(math.log(n_bins), rel=1e-7)


def test_methods_agree_at_large_dim():
    for dim in (256, 768, 4096):
        exact = calibrate_temperature(dim, 100)
        assert calibrate_temperature(dim, 100, "vmf_bound") == pytest.approx(exact, rel=5e-3)
    assert calibrate_temperature(768, 100, "leading_order") == pytest.approx(
        calibrate_temperature(768, 100), rel=0.1
    )
    assert calibrate_temperature(16, 10) == pytest.approx(0.09512, rel=1e-4)


@pytest.mark.parametrize(
    ("args", "exc", "match"),
    [
        ((1, 10), ValueError, "dim must be an int >= 2"),
        ((16, 1), ValueError, "n_bins must be an int >= 2"),
        ((16.0, 10), TypeError, "dim must be an int"),
        ((16, 10, "exact"), ValueError, "method must be one of"),
        ((2, 100000, "vmf_bound"), ValueError, "bound has no root"),
    ],
)
def test_bad_arguments(args, exc, match):
    with pytest.raises(exc, match=r"^softent\.calibrate_temperature: .*" + match):
        calibrate_temperature(*args)
