"""softent.discrete.capacity: Blahut–Arimoto channel capacity, the Gaussian channel and a
linear layer's capacity (water-filling / equal power).

Known answers (BSC, BEC, Z-channel, noiseless, useless and symmetric channels, the Gaussian
closed form), brute-force optimisers from tests/reference/discrete_capacity.py (SLSQP over
the simplex of input distributions or of power splits, a grid for two modes, log-det
rates), the certified bounds, units, torch vs NumPy (gradcheck in float64) and every bad
input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from reference import discrete_capacity as ref
from softent.discrete.capacity import (
    ALLOCATIONS,
    ROW_SUM_TOL,
    ChannelCapacity,
    LayerCapacity,
    channel_capacity,
    gaussian_channel_capacity,
    layer_capacity,
    water_filling,
)


def random_channel(x: int, y: int, seed: int, zeros: float = 0.2) -> np.ndarray:
    """A random p(y|x) [x, y] with exact zeros mixed in (every row keeps one positive)."""
    rng = np.random.default_rng(seed)
    w = rng.random((x, y)) ** 2
    w[rng.random((x, y)) < zeros] = 0.0
    w[np.arange(x), rng.integers(0, y, x)] += 0.1
    return w / w.sum(axis=1, keepdims=True)


# ----------------------------------------------------------------------------- known channels


@pytest.mark.parametrize("p", [0.0, 0.01, 0.1, 0.25, 0.4, 0.5, 0.9])
def test_binary_symmetric_channel_carries_one_minus_h2_bits_with_uniform_input(p):
    r = channel_capacity(ref.bsc(p), base=2)
    assert r.converged
    assert r.capacity == pytest.approx(ref.bsc_capacity_bits(p), abs=1e-12)
    np.testing.assert_allclose(r.input_distribution, [0.5, 0.5], atol=1e-12)


@pytest.mark.parametrize("eps", [0.0, 0.2, 0.5, 0.75, 1.0])
def test_binary_erasure_channel_carries_one_minus_eps_bits(eps):
    r = channel_capacity(ref.bec(eps), base=2)
    assert r.capacity == pytest.approx(ref.bec_capacity_bits(eps), abs=1e-12)


@pytest.mark.parametrize("p", [0.05, 0.3, 0.5, 0.8, 0.95])
def test_z_channel_matches_its_closed_form_and_optimal_input(p):
    r = channel_capacity(ref.z_channel(p), base=2)
    assert r.converged
    assert r.capacity == pytest.approx(ref.z_channel_capacity_bits(p), abs=1e-12)
    # I is flat at its maximum: the argmax is known to about sqrt(gap)
    assert r.input_distribution[0] == pytest.approx(ref.z_channel_input_zero_bits(p), abs=2e-6)
    # the closed form itself, checked against the brute-force optimiser
    assert ref.z_channel_capacity_bits(p) == pytest.approx(
        ref.brute_force_capacity(ref.z_channel(p))[0] / math.log(2), abs=1e-9
    )


@pytest.mark.parametrize("k", [1, 2, 3, 7, 16])
def test_a_noiseless_k_ary_channel_carries_log_k(k):
    perm = np.eye(k)[np.random.default_rng(k).permutation(k)]
    for w in (np.eye(k), perm):
        r = channel_capacity(w)
        assert r.capacity == pytest.approx(math.log(k), abs=1e-12)
        np.testing.assert_allclose(r.input_distribution, np.full(k, 1 / k), atol=1e-12)


def test_a_channel_with_identical_rows_carries_nothing():
    row = np.array([0.2, 0.0, 0.5, 0.3])
    r = channel_capacity(np.tile(row, (5, 1)), base=2)
    assert r.capacity == pytest.approx(0.0, abs=1e-12)
    assert r.converged
    np.testing.assert_allclose(r.output_distribution, row, atol=1e-15)


@pytest.mark.parametrize(
    "row", [[0.7, 0.2, 0.1], [0.5, 0.25, 0.125, 0.125], [0.3, 0.0, 0.3, 0.0, 0.4], [1.0, 0.0]]
)
def test_symmetric_channels_have_uniform_optimal_input_and_log_k_minus_h_row(row):
    w = ref.symmetric_channel(row)
    r = channel_capacity(w)
    k = len(row)
    assert r.capacity == pytest.approx(ref.symmetric_capacity(row), abs=1e-12)
    np.testing.assert_allclose(r.input_distribution, np.full(k, 1 / k), atol=1e-12)
    np.testing.assert_allclose(r.output_distribution, np.full(k, 1 / k), atol=1e-12)


# ----------------------------------------------------------------------------- against brute force


@pytest.mark.parametrize(
    ("x", "y", "seed"), [(2, 2, 0), (2, 5, 1), (3, 3, 2), (4, 6, 3), (5, 3, 4), (6, 4, 5)]
)
def test_blahut_arimoto_matches_a_brute_force_optimiser(x, y, seed):
    w = random_channel(x, y, seed)
    best, _ = ref.brute_force_capacity(w)
    r = channel_capacity(w)
    assert r.converged
    assert r.gap <= 1e-12
    assert r.capacity == pytest.approx(best, abs=1e-6)
    # the capacity-achieving output distribution is unique (the input one need not be)
    _, p_brute = ref.brute_force_capacity(w)
    np.testing.assert_allclose(r.output_distribution, p_brute @ w, atol=1e-4)
    # what is reported is what the reported input achieves
    assert r.capacity == pytest.approx(ref.mutual_information(r.input_distribution, w), abs=1e-13)
    np.testing.assert_allclose(r.output_distribution, r.input_distribution @ w, atol=1e-15)
    assert r.input_distribution.sum() == pytest.approx(1.0, abs=1e-14)


def test_an_unconverged_result_says_so_and_its_bounds_still_hold():
    w = random_channel(6, 5, 11)
    best, _ = ref.brute_force_capacity(w)
    r = channel_capacity(w, max_iter=2)
    assert not r.converged
    assert r.iterations == 2
    assert r.gap > r.tol
    assert r.capacity - 1e-12 <= best <= r.capacity + r.gap + 1e-12
    assert "NOT converged" in repr(r)
    # more iterations only tighten the bound
    assert channel_capacity(w, max_iter=20).gap < r.gap


def test_tol_sets_the_certified_gap():
    w = random_channel(4, 4, 3)
    loose = channel_capacity(w, tol=1e-4)
    tight = channel_capacity(w, tol=1e-12)
    assert loose.converged
    assert loose.gap <= 1e-4
    assert loose.iterations < tight.iterations
    assert loose.capacity <= tight.capacity + 1e-15 <= loose.capacity + loose.gap + 1e-15


def test_capacity_is_invariant_to_relabelling_inputs_and_outputs():
    w = random_channel(4, 5, 8)
    rng = np.random.default_rng(0)
    shuffled = w[rng.permutation(4)][:, rng.permutation(5)]
    assert channel_capacity(shuffled).capacity == pytest.approx(
        channel_capacity(w).capacity, abs=1e-12
    )


def test_units_bits_are_nats_over_ln2():
    w = random_channel(3, 4, 9)
    nats = channel_capacity(w)
    bits = channel_capacity(w, base=2)
    assert bits.capacity == pytest.approx(nats.capacity / math.log(2), abs=1e-12)
    assert bits.base == 2.0
    assert nats.base == math.e


def test_rows_within_the_stated_tolerance_are_accepted_and_renormalised():
    w = ref.bsc(0.1) * (1 + ROW_SUM_TOL / 2)
    r = channel_capacity(w, base=2)
    assert r.capacity == pytest.approx(ref.bsc_capacity_bits(0.1), abs=1e-12)


def test_the_channel_is_not_modified_and_torch_input_gives_the_same_result():
    torch = pytest.importorskip("torch")
    w = random_channel(3, 4, 2)
    before = w.copy()
    a = channel_capacity(w)
    np.testing.assert_array_equal(w, before)
    b = channel_capacity(torch.tensor(w))
    assert a.capacity == b.capacity
    np.testing.assert_array_equal(a.input_distribution, b.input_distribution)


def test_channel_result_repr_and_as_dict():
    r = channel_capacity(ref.bsc(0.1), base=2)
    assert isinstance(r, ChannelCapacity)
    assert repr(r).startswith("ChannelCapacity(C=0.531004 bits, X=2, Y=2")
    d = r.as_dict()
    assert d["capacity"] == r.capacity
    assert d["converged"] is True
    assert d["input_distribution"] == pytest.approx([0.5, 0.5])
    assert set(d) == {
        "capacity",
        "input_distribution",
        "output_distribution",
        "iterations",
        "gap",
        "converged",
        "base",
        "tol",
    }
    with pytest.raises(AttributeError):
        r.capacity = 1.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("w", "kwargs", "exc", "match"),
    [
        ([[0.5, 0.5]], {"tol": 0.0}, ValueError, "tol must be a finite number > 0"),
        ([[0.5, 0.5]], {"tol": math.nan}, ValueError, "tol must be"),
        ([[0.5, 0.5]], {"tol": "1e-9"}, TypeError, "tol must be"),
        ([[0.5, 0.5]], {"max_iter": 0}, ValueError, "max_iter must be an int >= 1"),
        ([[0.5, 0.5]], {"max_iter": 1.5}, TypeError, "max_iter must be"),
        ([[0.5, 0.5]], {"base": 1}, ValueError, "base must be"),
        ([0.5, 0.5], {}, ValueError, r"p_y_given_x must be a 2-D matrix, got shape \(2,\)"),
        (np.zeros((0, 3)), {}, ValueError, "p_y_given_x must be non-empty"),
        (np.zeros((2, 0)), {}, ValueError, "p_y_given_x must be non-empty"),
        ([[0.5, math.nan]], {}, ValueError, r"p_y_given_x must be finite \(no NaN/Inf\)"),
        ([[1.5, -0.5]], {}, ValueError, "p_y_given_x must be non-negative"),
        ([[0.5, 0.5], [0.5, 0.4]], {}, ValueError, "sum to 1.*got row 1 summing to 0.9"),
        ([[0.0, 0.0]], {}, ValueError, "got row 0 summing to 0.0"),
        ([["a", "b"]], {}, TypeError, "p_y_given_x must be a real"),
        ([[1 + 0j, 0j]], {}, TypeError, "p_y_given_x must be a real"),
    ],
)
def test_bad_channel_input_is_refused_naming_the_argument(w, kwargs, exc, match):
    with pytest.raises(exc, match=match) as info:
        channel_capacity(w, **kwargs)
    assert str(info.value).startswith("softent.discrete.channel_capacity: ")


# ----------------------------------------------------------------------------- Gaussian channel


@pytest.mark.parametrize(
    ("power", "noise"), [(1.0, 1.0), (10.0, 0.5), (3, 7), (1e-9, 1.0), (1e6, 1e-3)]
)
def test_gaussian_channel_matches_half_log_one_plus_snr(power, noise):
    assert gaussian_channel_capacity(power, noise) == pytest.approx(
        ref.gaussian_capacity(power, noise), rel=1e-12, abs=1e-18
    )
    assert gaussian_channel_capacity(power, noise, base=2) == pytest.approx(
        ref.gaussian_capacity(power, noise) / math.log(2), rel=1e-12, abs=1e-18
    )


def test_gaussian_channel_known_values_and_zero_power():
    assert gaussian_channel_capacity(3.0, 1.0, base=2) == pytest.approx(1.0, abs=1e-15)
    assert gaussian_channel_capacity(0.0, 2.0) == 0.0
    # one scalar mode of a layer is this channel
    assert layer_capacity(np.array([[2.0]]), 0.5, power=3.0).capacity == pytest.approx(
        gaussian_channel_capacity(4.0 * 3.0, 0.25), abs=1e-14
    )


@pytest.mark.parametrize(
    ("args", "exc", "match"),
    [
        ((-1.0, 1.0), ValueError, "power must be a finite number >= 0, got -1.0"),
        ((math.inf, 1.0), ValueError, "power must be"),
        ((1.0, 0.0), ValueError, "noise_variance must be a finite number > 0, got 0.0"),
        ((1.0, math.nan), ValueError, "noise_variance must be"),
        (("1", 1.0), TypeError, "power must be"),
        ((1.0, None), TypeError, "noise_variance must be"),
        ((True, 1.0), TypeError, "power must be"),
    ],
)
def test_gaussian_channel_bad_input(args, exc, match):
    with pytest.raises(exc, match=match):
        gaussian_channel_capacity(*args)


# ----------------------------------------------------------------------------- water-filling


def test_water_filling_by_hand():
    # levels 1, 2, 4 and power 2: μ = (2 + 1 + 2) / 2 = 2.5 < 4, so the third stays dry
    powers, mu, k = water_filling([4.0, 1.0, 2.0], 2.0)
    assert mu == 2.5
    assert k == 2
    np.testing.assert_array_equal(powers, [0.0, 1.5, 0.5])
    powers, mu, k = water_filling([4.0, 1.0, 2.0, math.inf], 0.0)
    assert (mu, k) == (1.0, 0)
    assert not powers.any()
    powers, mu, k = water_filling([math.inf, math.inf], 5.0)
    assert (mu, k) == (math.inf, 0)
    assert not powers.any()


@pytest.mark.parametrize(
    ("out", "inp", "seed"), [(3, 3, 0), (4, 2, 1), (2, 5, 2), (5, 5, 3), (6, 4, 4)]
)
@pytest.mark.parametrize(("noise_std", "power"), [(0.7, 1.5), (2.0, 0.3), (0.1, 10.0)])
def test_water_filling_matches_a_brute_force_optimiser(out, inp, seed, noise_std, power):
    w = np.random.default_rng(seed).normal(size=(out, inp))
    best, _ = ref.brute_force_layer_capacity(w, noise_std, power)
    r = layer_capacity(w, noise_std, power=power)
    assert r.capacity == pytest.approx(best, abs=1e-7)
    assert r.capacity >= best - 1e-12  # nothing beats the closed form
    # what is reported is what the reported powers achieve, also as a log-det rate
    assert r.capacity == pytest.approx(
        ref.parallel_rate(r.singular_values, r.powers, noise_std), abs=1e-12
    )
    _, _, vt = np.linalg.svd(w, full_matrices=False)
    cov = vt.T @ np.diag(r.powers) @ vt
    assert r.capacity == pytest.approx(ref.log_det_rate(w, noise_std, cov), abs=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_water_filling_matches_a_grid_for_two_modes(seed):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(2, 2)) * rng.uniform(0.2, 3)
    s = np.linalg.svd(w, compute_uv=False)
    r = layer_capacity(w, 0.8, power=2.0)
    assert r.capacity == pytest.approx(ref.grid_two_modes(s, 0.8, 2.0), abs=1e-8)


@pytest.mark.parametrize("seed", range(6))
def test_water_filling_powers_satisfy_the_kkt_conditions(seed):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(5, 4)) * rng.uniform(0.1, 3, size=4)
    r = layer_capacity(w, 1.0, power=float(rng.uniform(0.1, 5)))
    levels = 1.0 / r.singular_values**2
    assert r.powers.sum() == pytest.approx(r.power, rel=1e-13)
    assert (r.powers >= 0).all()
    on = r.powers > 0
    assert on.sum() == r.active
    np.testing.assert_allclose(levels[on] + r.powers[on], r.water_level, rtol=1e-13)
    assert (levels[~on] >= r.water_level * (1 - 1e-13)).all()


@pytest.mark.parametrize("seed", range(8))
def test_water_filling_never_loses_to_equal_power(seed):
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(1, 6, 2))
    w = rng.normal(size=shape)
    for power in (0.01, 1.0, 30.0):
        wf = layer_capacity(w, 0.5, power=power)
        eq = layer_capacity(w, 0.5, power=power, allocation="equal")
        assert wf.capacity >= eq.capacity - 1e-13


def test_equal_power_is_the_isotropic_log_det_rate():
    rng = np.random.default_rng(3)
    for shape in ((4, 4), (3, 6), (6, 3)):
        w = rng.normal(size=shape)
        r = layer_capacity(w, 0.6, power=2.5, allocation="equal")
        cov = np.eye(shape[1]) * 2.5 / shape[1]
        assert r.capacity == pytest.approx(ref.log_det_rate(w, 0.6, cov), abs=1e-12)
        np.testing.assert_allclose(r.powers, 2.5 / shape[1])
        assert r.water_level is None


def test_equal_singular_values_make_both_allocations_agree():
    q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(4, 4)))
    w = 1.7 * q
    wf = layer_capacity(w, 0.9, power=3.0)
    eq = layer_capacity(w, 0.9, power=3.0, allocation="equal")
    assert wf.capacity == pytest.approx(eq.capacity, abs=1e-12)
    assert wf.active == 4
    np.testing.assert_allclose(wf.powers, 0.75, rtol=1e-12)
    expected = 4 * ref.gaussian_capacity(1.7**2 * 0.75, 0.81)
    assert wf.capacity == pytest.approx(expected, abs=1e-12)


def test_rank_deficient_layers_give_zero_singular_values_no_power():
    rng = np.random.default_rng(1)
    u, v = rng.normal(size=3), rng.normal(size=4)
    w = np.outer(u, v)  # rank 1
    s = np.linalg.norm(u) * np.linalg.norm(v)
    for power in (0.5, 100.0):  # however much power there is
        r = layer_capacity(w, 0.4, power=power)
        assert r.active == 1
        assert r.powers[0] == pytest.approx(power, rel=1e-14)
        assert not r.powers[1:].any()
        assert r.capacity == pytest.approx(ref.gaussian_capacity(s**2 * power, 0.16), abs=1e-12)
        eq = layer_capacity(w, 0.4, power=power, allocation="equal")
        assert eq.active == 1
        assert eq.capacity == pytest.approx(
            ref.gaussian_capacity(s**2 * power / 4, 0.16), abs=1e-12
        )


def test_zero_power_and_zero_weights_carry_nothing():
    w = np.random.default_rng(2).normal(size=(3, 3))
    for allocation in ALLOCATIONS:
        r = layer_capacity(w, 1.0, power=0.0, allocation=allocation)
        assert r.capacity == 0.0
        assert r.active == 0
        assert not r.powers.any()
        z = layer_capacity(np.zeros((3, 2)), 1.0, power=1.0, allocation=allocation)
        assert z.capacity == 0.0
        assert z.active == 0
    assert layer_capacity(np.zeros((3, 2)), 1.0, power=1.0).water_level == math.inf


def test_layer_units_and_integer_weights():
    w = np.array([[2, 0], [0, 1]])
    nats = layer_capacity(w, 1.0, power=2.0)
    bits = layer_capacity(w, 1.0, power=2.0, base=2)
    assert bits.capacity == pytest.approx(nats.capacity / math.log(2), abs=1e-14)
    # levels 1/4 and 1, power 2: μ = (2 + 1.25) / 2 = 1.625, powers 1.375 and 0.625
    np.testing.assert_allclose(nats.powers, [1.375, 0.625], rtol=1e-14)
    assert nats.capacity == pytest.approx(0.5 * math.log(6.5) + 0.5 * math.log(1.625), abs=1e-14)


def test_layer_result_repr_as_dict_and_no_modification():
    w = np.random.default_rng(4).normal(size=(3, 2))
    before = w.copy()
    r = layer_capacity(w, 0.5, power=1.0, base=2)
    np.testing.assert_array_equal(w, before)
    assert isinstance(r, LayerCapacity)
    assert repr(r).startswith("LayerCapacity(C=")
    assert "bits, water_filling, modes=2" in repr(r)
    d = r.as_dict()
    assert d["capacity"] == r.capacity
    assert d["allocation"] == "water_filling"
    assert d["powers"] == pytest.approx(r.powers.tolist())
    assert isinstance(r.capacity, float)


@pytest.mark.parametrize(
    ("w", "kwargs", "exc", "match"),
    [
        (np.ones(3), {}, ValueError, "W must be a 2-D matrix"),
        (np.ones((0, 3)), {}, ValueError, "W must be non-empty"),
        (np.array([[1.0, math.inf]]), {}, ValueError, r"W must be finite"),
        (np.array([["x"]]), {}, TypeError, "W must be a real"),
        (np.ones((2, 2)), {"noise_std": 0.0}, ValueError, "noise_std must be a finite number > 0"),
        (np.ones((2, 2)), {"noise_std": -1.0}, ValueError, "noise_std must be"),
        (np.ones((2, 2)), {"power": -1.0}, ValueError, "power must be a finite number >= 0"),
        (np.ones((2, 2)), {"power": math.nan}, ValueError, "power must be"),
        (np.ones((2, 2)), {"power": None}, TypeError, "power must be"),
        (np.ones((2, 2)), {"allocation": "greedy"}, ValueError, "allocation must be one of"),
        (np.ones((2, 2)), {"base": 0.5}, ValueError, "base must be"),
    ],
)
def test_bad_layer_input_is_refused_naming_the_argument(w, kwargs, exc, match):
    args = {"noise_std": 1.0, "power": 1.0, **kwargs}
    noise_std = args.pop("noise_std")
    with pytest.raises(exc, match=match) as info:
        layer_capacity(w, noise_std, **args)
    assert str(info.value).startswith("softent.discrete.layer_capacity: ")


def test_water_filling_bad_input():
    with pytest.raises(ValueError, match="noise_levels must be values > 0"):
        water_filling([1.0, 0.0], 1.0)
    with pytest.raises(ValueError, match="noise_levels must be a non-empty 1-D array"):
        water_filling([], 1.0)
    with pytest.raises(ValueError, match="power must be"):
        water_filling([1.0], -2.0)


# ----------------------------------------------------------------------------- torch


@pytest.mark.parametrize("allocation", ALLOCATIONS)
def test_torch_layer_capacity_equals_numpy(allocation):
    torch = pytest.importorskip("torch")
    w = np.random.default_rng(5).normal(size=(4, 3))
    a = layer_capacity(w, 0.8, power=1.2, allocation=allocation)
    t = torch.tensor(w)
    b = layer_capacity(t, 0.8, power=1.2, allocation=allocation)
    assert isinstance(b.capacity, torch.Tensor)
    assert b.capacity.ndim == 0
    assert float(b.capacity) == pytest.approx(a.capacity, abs=1e-12)
    np.testing.assert_allclose(b.singular_values.numpy(), a.singular_values, atol=1e-12)
    np.testing.assert_allclose(b.powers.detach().numpy(), a.powers, atol=1e-12)
    assert (b.active, b.water_level is None) == (a.active, a.water_level is None)
    assert b.as_dict()["capacity"] == pytest.approx(a.capacity, abs=1e-12)
    assert repr(b).startswith("LayerCapacity(C=")
    # float32 tensors work too (computed in float32)
    c = layer_capacity(t.float(), 0.8, power=1.2, allocation=allocation)
    assert c.capacity.dtype == torch.float32
    assert float(c.capacity) == pytest.approx(a.capacity, rel=1e-5)


@pytest.mark.gradcheck
@pytest.mark.parametrize("allocation", ALLOCATIONS)
def test_torch_layer_capacity_gradcheck(allocation):
    torch = pytest.importorskip("torch")
    # distinct singular values, well inside one active set (2 of 3 modes)
    w = torch.tensor([[2.0, 0.3, 0.0], [0.1, 1.0, 0.2], [0.0, 0.1, 0.25]], dtype=torch.float64)
    assert layer_capacity(w, 0.5, power=0.5).active == 2
    w.requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda m: layer_capacity(m, 0.5, power=0.5, allocation=allocation, base=2).capacity, (w,)
    )


def test_torch_bad_dtype_is_refused():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="W must be a float32 or float64 tensor"):
        layer_capacity(torch.ones(2, 2, dtype=torch.int64), 1.0, power=1.0)
    with pytest.raises(ValueError, match="W must be finite"):
        layer_capacity(torch.tensor([[math.nan]]), 1.0, power=1.0)
