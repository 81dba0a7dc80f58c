"""Hostile input to the discrete family, each class found by the fuzz suite (issue 16):
every call either refuses in the project's form naming the argument, or gives the right
number (checked against an independent formula), and never lets a NumPy warning escape
(pytest runs with warnings as errors).

Classes: ragged nested lists, the floor functions' arguments, sample weights whose sum
overflows or is subnormal, torch tensors with the negative bit set, the capacity of a
subnormal noise or a layer at the float64 limits, NumPy warnings of extreme values
(quantisers, tables), and a torch sample paired with NumPy ones.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import softent.discrete as sd
from softent.discrete import (
    entropy_of_masses,
    gaussian_channel_capacity,
    information_of_masses,
    label_weights,
    layer_capacity,
    to_base,
    unit_name,
)

torch = pytest.importorskip("torch")

RAGGED = [[1, 2], [3]]
API = "hostile_test"


def neg_bit(t):
    """``t`` as a view with the negative bit set (its values are t's)."""
    return torch.complex(torch.zeros_like(t), -t).conj().imag


# ----------------------------------------------------------------------------- ragged lists


@pytest.mark.parametrize(
    ("call", "arg"),
    [
        (lambda: sd.entropy(RAGGED), "p"),
        (lambda: sd.kl_divergence(RAGGED, RAGGED), "p"),
        (lambda: sd.estimate.entropy(RAGGED), "x"),
        (lambda: sd.estimate.mutual_information(np.arange(2), RAGGED), "y"),
        (lambda: sd.estimate.mutual_information_matrix(RAGGED), "x"),
        (lambda: sd.counting.histogram(RAGGED), "x"),
        (lambda: sd.counting.histogram([0, 1], weights=RAGGED), "weights"),
        (lambda: sd.entropy_from_counts(RAGGED), "counts"),
        (lambda: sd.quantise.equal_width(RAGGED, 3), "x"),
        (lambda: entropy_of_masses(RAGGED), "masses"),
        (lambda: sd.capacity.water_filling(RAGGED, 1.0), "noise_levels"),
        (lambda: layer_capacity(RAGGED, 1.0, power=1.0), "W"),
    ],
)
def test_ragged_nested_lists_are_refused_naming_the_argument(call, arg):
    with pytest.raises(ValueError, match=rf"^softent\.discrete\.[\w.]+: {arg} must be an array \("):
        call()


# ----------------------------------------------------------------------------- the floor


def test_entropy_of_masses_refuses_what_is_no_masses():
    for bad, kind in [
        (None, TypeError),
        ("abc", TypeError),
        (np.array([1 + 1j, 2]), TypeError),
        (np.array(["a", "b"]), TypeError),
        (np.array([True, False]), TypeError),
        (torch.tensor([True]), TypeError),
        (3.0, ValueError),  # 0-d: no bin axis
    ]:
        with pytest.raises(kind, match=r"^softent\.discrete\.entropy_of_masses: masses must"):
            entropy_of_masses(bad)


@pytest.mark.parametrize(
    ("masses", "what"),
    [
        (np.array([np.nan, 1.0]), "1 NaN/Inf values"),
        (np.array([np.inf, 1.0]), "1 NaN/Inf values"),
        (np.array([-0.5, 1.0]), r"1 negative values \(min -0.5\)"),
        (np.array([1e308, 1e308]), "1 sums that overflow"),
    ],
)
def test_entropy_of_masses_refuses_values_that_would_give_nan_or_a_wrong_zero(masses, what):
    with pytest.raises(ValueError, match=rf"^softent\.discrete\.entropy_of_masses: .* {what}"):
        entropy_of_masses(masses)
    with pytest.raises(ValueError, match=what):
        entropy_of_masses(torch.tensor(masses))


def test_entropy_of_masses_of_valid_extremes_is_exact():
    # subnormal masses: p = 1/2 each, exactly; masses near the float64 limit whose sum fits
    assert float(entropy_of_masses(np.array([5e-324, 5e-324]))) == pytest.approx(math.log(2))
    assert float(entropy_of_masses(np.array([8e307, 8e307]))) == pytest.approx(math.log(2))
    # an integer tensor is computed in float64, as an integer array
    t = entropy_of_masses(torch.tensor([1, 2, 3]))
    assert t.dtype == torch.float64
    assert float(t) == float(entropy_of_masses(np.array([1, 2, 3])))


def test_validate_false_skips_only_the_value_checks():
    # unchecked values give an unspecified number, but no exception; types are still checked
    entropy_of_masses(np.array([np.nan, 1.0]), validate=False)
    with pytest.raises(TypeError, match="masses must"):
        entropy_of_masses("abc", validate=False)


def test_label_weights_refuses_counts_without_a_positive_total():
    for weighting in ("weighted", "uniform"):
        for counts in (np.zeros(3), torch.tensor([False]).to(torch.int64), np.array([-1.0, 2.0])):
            with pytest.raises(ValueError, match=rf"^softent\.{API}: counts must be"):
                label_weights(counts, weighting, API)
    with pytest.raises(TypeError, match=rf"^softent\.{API}: counts must be real masses"):
        label_weights(torch.tensor([True, False]), "weighted", API)
    with pytest.raises(ValueError, match=rf"^softent\.{API}: counts must be a 1-D array"):
        label_weights(np.ones((2, 2)), "weighted", API)
    with pytest.raises(TypeError, match=r"^softent\.discrete\.label_weights: api must be a str"):
        label_weights(np.ones(2), "weighted", 3)


def test_information_of_masses_checks_shapes_libraries_and_values():
    per, counts = np.ones((2, 3)), np.array([1.0, 2.0])
    with pytest.raises(TypeError, match=rf"^softent\.{API}: counts must be a NumPy array"):
        information_of_masses(per, torch.tensor(counts), "weighted", API)
    with pytest.raises(TypeError, match=rf"^softent\.{API}: counts must be a torch tensor"):
        information_of_masses(torch.tensor(per), counts, "weighted", API)
    with pytest.raises(ValueError, match=r"counts must be \[K\] with K=2"):
        information_of_masses(per, np.ones(3), "weighted", API)
    with pytest.raises(ValueError, match=r"total must be \[B\] with B=3"):
        information_of_masses(per, counts, "weighted", API, total=np.ones(2))
    with pytest.raises(ValueError, match=r"per_label must be a 2-D array"):
        information_of_masses(np.ones(3), counts, "weighted", API)
    with pytest.raises(ValueError, match=r"per_label must be finite masses >= 0"):
        information_of_masses(np.array([[np.nan, 1, 1], [1, 1, 1]]), counts, "weighted", API)
    with pytest.raises(ValueError, match=r"counts must be masses with a positive total"):
        information_of_masses(per, np.zeros(2), "uniform", API)
    with pytest.raises(TypeError, match=r"information_of_masses: api must be a str"):
        information_of_masses(per, counts, "weighted", None)


def test_to_base_and_unit_name_refuse_what_is_no_number_or_base():
    for bad in (1 + 1j, "abc", None, np.array([1 + 1j]), torch.tensor([1 + 1j])):
        with pytest.raises(TypeError, match=rf"^softent\.{API}: nats must be"):
            to_base(bad, 2, API)
    # NaN in gives NaN out (a unit conversion), and lists are arrays
    assert np.isnan(to_base(math.nan, 2, API))
    np.testing.assert_allclose(to_base([1.0, 2.0], 2, API), np.array([1.0, 2.0]) / math.log(2))
    for bad, kind in [("2", TypeError), (None, TypeError), ([2], TypeError), (0.5, ValueError)]:
        with pytest.raises(kind, match=r"^softent\.discrete\.unit_name: base must be"):
            unit_name(bad)


# ----------------------------------------------------------------------------- sample weights


@pytest.mark.parametrize(
    "call",
    [
        lambda w: sd.counting.histogram(np.array([0, 1, 1]), weights=w),
        lambda w: sd.estimate.entropy(np.array([0, 1, 1]), weights=w),
        lambda w: sd.estimate.mutual_information(np.array([0, 1, 1]), np.arange(3), weights=w),
        lambda w: sd.estimate.mutual_information_matrix(np.eye(3, dtype=int), weights=w),
        lambda w: sd.Counts().update(np.array([0, 1, 1]), weights=w),
    ],
)
@pytest.mark.parametrize(
    ("weights", "what"),
    [
        (np.full(3, 1e308), "a sum that overflows"),
        (torch.full((3,), 1e308, dtype=torch.float64), "a sum that overflows"),
        (np.full(3, 5e-324), "a subnormal sum"),
    ],
)
def test_weights_whose_sum_overflows_or_is_subnormal_are_refused(call, weights, what):
    if isinstance(weights, torch.Tensor) and call.__code__.co_names[-1] == "update":
        weights = weights.numpy()
    with pytest.raises(ValueError, match=rf"^softent\.discrete\.\S+ weights must be .* {what}"):
        call(weights)


def test_weights_near_the_limit_whose_sum_fits_give_the_weighted_answer():
    x = np.array([0, 1, 1])
    w = np.array([2e307, 2e307, 4e307])  # sum 8e307: finite
    # bin 0 holds 2e307, bin 1 6e307: p = 1/4, 3/4 (the plug-in estimate is scale-free)
    want = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))
    assert sd.estimate.entropy(x, weights=w) == pytest.approx(want, rel=1e-14)
    assert sd.estimate.entropy(x, weights=np.array([1.0, 1.0, 2.0])) == pytest.approx(want)
    # per column, as the vectorised plug-in of mutual_information_matrix (Σ c ln c overflows)
    mi = sd.estimate.mutual_information_matrix(np.stack([x, x], 1), x, weights=w)
    np.testing.assert_allclose(mi, [want, want], rtol=1e-14)


def test_counts_refuses_an_update_or_merge_that_overflows_its_total():
    c = sd.Counts().update(np.array([0, 1]), weights=np.array([1e308, 1e307]))
    with pytest.raises(ValueError, match=r"Counts\.update: weights must be .* overflows"):
        c.update(np.array([0, 1]), weights=np.array([1e308, 1e307]))
    assert c.n == pytest.approx(1.1e308)  # the refused update changed nothing
    other = sd.Counts().update(np.array([0]), weights=np.array([1e308]))
    with pytest.raises(ValueError, match=r"Counts\.merge: other must be .* overflows"):
        c.merge(other)


def test_counts_of_an_overflowing_total_are_refused_by_every_estimator():
    for est in ("plugin", "miller_madow", "grassberger"):
        with pytest.raises(ValueError, match=r"counts must be values whose sum is a finite"):
            sd.entropy_from_counts(np.array([1e308, 1e308]), estimator=est)
        with pytest.raises(ValueError, match=r"counts must be values whose sum is 0 or at least"):
            sd.entropy_from_counts(np.array([1e-320, 1e-320]), estimator=est)


# ----------------------------------------------------------------------------- negative bit


@pytest.mark.parametrize(
    "call",
    [
        lambda t: sd.entropy_from_counts(t),
        lambda t: sd.estimators.profile(t).n,
        lambda t: sd.estimators.mutual_information_from_table(t.reshape(2, 2)),
        lambda t: sd.quantise.quantile(t, 3),
        lambda t: sd.quantise.equal_width(t, 3),
        lambda t: sd.quantise.levels(t, 5, limits=(0.0, 10.0)),
        lambda t: sd.capacity.water_filling(t, 2.0)[1],
    ],
)
def test_tensors_with_the_negative_bit_are_read_by_their_values(call):
    t = torch.tensor([1.0, 2.0, 3.0, 5.0], dtype=torch.float64)
    n = neg_bit(t)
    assert n.is_neg()
    a, b = call(n), call(t)
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b)
    else:
        assert a == b


# ----------------------------------------------------------------------------- capacity


def test_gaussian_capacity_of_a_subnormal_noise_is_finite_and_right():
    # P / σ² = 2**1074 overflows float64; C = ½ log(1 + 2**1074) = ½ · 1074 ln 2 (to 1e-300)
    c = gaussian_channel_capacity(1.0, 2.0**-1074)
    assert c == pytest.approx(0.5 * 1074 * math.log(2), rel=1e-15)
    assert gaussian_channel_capacity(1e308, 5e-324, base=2) == pytest.approx(
        0.5 * (math.log2(1e308) + 1074), rel=1e-15
    )
    # an ordinary ratio: the closed form, unchanged
    assert gaussian_channel_capacity(3.0, 1.0, base=2) == 1.0


def test_layer_capacity_at_the_float64_limits_is_refused_or_right():
    # s_1 = 1e308: its square overflows
    w = np.random.default_rng(0).normal(size=(4, 4))
    w[1, 0] = 1e308
    with pytest.raises(ValueError, match=r"layer_capacity: W must be a matrix whose singular"):
        layer_capacity(w, 1.0, power=1e5)
    # noise_std whose square underflows (was a ZeroDivisionError) or overflows
    for sigma in (1e-320, 1e200):
        with pytest.raises(ValueError, match=r"layer_capacity: noise_std must be a number whose"):
            layer_capacity(np.eye(2), sigma, power=1.0, allocation="equal")
    # a water level beyond float64: level σ²/s² = 1e308, μ = power + level = 2e308
    with pytest.raises(ValueError, match=r"layer_capacity: power must be small enough"):
        layer_capacity(np.array([[1e-154]]), 1.0, power=1e308)
    # a signal-to-noise ratio beyond float64 (1e320), a finite capacity: ½ ln(1 + 1e320)
    big = layer_capacity(np.array([[1e5]]), 1e-5, power=1e300)
    assert big.capacity == pytest.approx(0.5 * 320 * math.log(10), rel=1e-14)
    # s_i² P_i overflows before the division by σ², the capacity does not:
    # s = 1e150, σ = 1e140, P = 1e10: one mode, C = ½ log(1 + 1e300 · 1e10 / 1e280)
    r = layer_capacity(np.diag([1e150, 1.0]), 1e140, power=1e10)
    assert r.active == 1
    assert r.capacity == pytest.approx(0.5 * (30 * math.log(10) + math.log1p(1e-30)), rel=1e-14)
    eq = layer_capacity(np.diag([1e150, 1.0]), 1e140, power=1e10, allocation="equal")
    assert eq.capacity == pytest.approx(0.5 * math.log1p(1e300 / 1e280 * 5e9), rel=1e-14)


def test_water_filling_over_levels_whose_sum_overflows_is_exact():
    # levels 1, 1e308, 1e308 with power 1: only the first mode gets power (μ = 2)
    powers, mu, k = sd.capacity.water_filling(np.array([1e308, 1.0, 1e308]), 1.0)
    assert (k, mu) == (1, 2.0)
    np.testing.assert_array_equal(powers, [0.0, 1.0, 0.0])
    with pytest.raises(ValueError, match=r"water_filling: power must be small enough"):
        sd.capacity.water_filling(np.array([1e308]), 1e308)
    for bad, kind in [("abc", TypeError), (np.array([1 + 1j]), TypeError), (None, TypeError)]:
        with pytest.raises(kind, match=r"^softent\.discrete\.water_filling: noise_levels must"):
            sd.capacity.water_filling(bad, 1.0)


def test_torch_layer_capacity_gradient_is_finite_where_float32_squares_underflow():
    # float32 W of scale 1e8 and σ = 1e-6: levels σ²/s² ~ 1e-28, whose squares (in the
    # derivative of log(μ / level)) underflow float32: computed in float64 from logarithms,
    # the gradient is finite and the float64 one (to float32 rounding)
    t = torch.diag(torch.tensor([1e8, 1e7]))
    w32 = t.clone().requires_grad_()
    w64 = t.double().requires_grad_()
    r32 = layer_capacity(w32, 1e-6, power=1e-6)
    r64 = layer_capacity(w64, 1e-6, power=1e-6)
    assert r32.capacity.dtype == torch.float32
    assert r32.active == r64.active == 2
    r32.capacity.backward()
    r64.capacity.backward()
    assert torch.isfinite(w32.grad).all()
    np.testing.assert_allclose(w32.grad.double().numpy(), w64.grad.numpy(), rtol=1e-5, atol=1e-20)
    assert float(r32.capacity.detach()) == pytest.approx(float(r64.capacity.detach()), rel=1e-6)
    # against the closed form on the diagonal: C = ½ Σ_i log(μ / level_i)
    s = np.array([1e8, 1e7])
    levels = 1e-12 / s**2
    mu = (1e-6 + levels.sum()) / 2
    assert float(r64.capacity.detach()) == pytest.approx(0.5 * np.log(mu / levels).sum(), rel=1e-13)


# ----------------------------------------------------------------------------- NumPy warnings


def test_quantisers_of_values_near_the_float64_limit_warn_nothing():
    codes = sd.quantise.levels(
        np.array([[-1e308], [-3.6e-4]]), 252, limits=(-3.0, 3.0), out_of_range="clip"
    )
    # -1e308 clips to the first level; -3.6e-4 rounds to (x + 3) / (6 / 251) = 125.48 -> 125
    np.testing.assert_array_equal(codes[:, 0], [0, 125])
    # a column spanning more than float64's range: edges -5e307, 0, 5e307
    np.testing.assert_array_equal(
        sd.quantise.equal_width(np.array([-1e308, 0.0, 1e308, 5e307]), 4), [0, 2, 3, 3]
    )
    with pytest.raises(ValueError, match=r"levels: limits must be .* width hi - lo is a finite"):
        sd.quantise.levels(np.zeros(2), 4, limits=(-1e308, 1e308))


def test_tables_refuse_totals_that_overflow_and_are_quiet_without_validation():
    with pytest.raises(ValueError, match=r"discrete\.entropy: p must be a table whose totals"):
        sd.entropy(np.array([1e308, 1e308]), normalize=True)
    with pytest.raises(ValueError, match=r"kl_divergence: p must be a table whose totals"):
        sd.kl_divergence(np.array([1e308, 1e308]), np.array([0.5, 0.5]), normalize=True)
    # validate=False: an unspecified result, but neither an exception nor a warning
    sd.js_divergence(np.array([0.3, 0.7]), np.array([np.inf, np.inf]), validate=False)
    sd.js_divergence(np.full(4, 3e307), np.full(4, 4e307), validate=False)
    sd.conditional_entropy(np.array([[np.inf, 0.1], [0.2, 0.3]]), validate=False)


# ----------------------------------------------------------------------------- torch and NumPy


def test_a_cpu_tensor_paired_with_numpy_samples_counts_as_numpy():
    x, y, z = np.arange(24) % 3, (np.arange(24) // 2) % 2, np.arange(24) % 4
    want = sd.estimate.conditional_mutual_information(x, y, z)
    for args in [(torch.tensor(x), y, z), (x, torch.tensor(y), z), (x, y, torch.tensor(z))]:
        assert sd.estimate.conditional_mutual_information(*args) == want
    # against the definition from the joint counts (plug-in)
    table = np.zeros((3, 2, 4))
    np.add.at(table, (x, y, z), 1.0)
    p = table / table.sum()
    pz, pxz, pyz = p.sum((0, 1)), p.sum(1), p.sum(0)
    a, b, c = np.nonzero(p)
    ref = np.sum(p[a, b, c] * np.log(p[a, b, c] * pz[c] / (pxz[a, c] * pyz[b, c])))
    assert want == pytest.approx(ref, abs=1e-12)


def test_a_derivative_beyond_float64_is_its_rounded_value_minus_inf():
    # d(-log p)/dp = -1/p: at p = 5e-324 the true value, -2e323, is beyond float64
    p = torch.tensor([5e-324, 0.25], dtype=torch.float64, requires_grad=True)
    sd.self_information(p).sum().backward()
    assert p.grad[0] == -math.inf
    assert float(p.grad[1]) == -4.0
    # KL(p || q) in q: -p/q, -inf at a subnormal q, -p/q elsewhere
    q = torch.tensor([0.5, 5e-324, 0.5], dtype=torch.float64, requires_grad=True)
    sd.kl_divergence(torch.tensor([0.4, 0.2, 0.4], dtype=torch.float64), q).backward()
    assert q.grad[1] == -math.inf
    torch.testing.assert_close(q.grad[[0, 2]], torch.tensor([-0.8, -0.8], dtype=torch.float64))
