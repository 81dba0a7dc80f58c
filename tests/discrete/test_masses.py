"""softent.discrete, the floor under every family: the entropy of masses, the label weights
of a conditional entropy, H(Z), H(Z|L) and H(Z|L=k) of per-label masses, and units.

Known answers (uniform masses carry log B, a point mass and an all-zero row carry 0, bits
are nats over ln 2), a plain loop-over-bins formula, NumPy and torch giving the same
numbers (torch on every device), and torch results differentiable (gradcheck, float64)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from softent.discrete import (
    entropy_of_masses,
    information_of_masses,
    label_weights,
    to_base,
    unit_name,
)

API = "discrete_test"

# ----------------------------------------------------------------------------- plain formulas


def plain_entropy(masses) -> float:
    """-Σ_b p_b ln p_b of one row of masses, p = masses / Σ masses; 0 for an all-zero row
    (0 ln 0 = 0), one bin at a time."""
    total = float(sum(masses))
    if total == 0:
        return 0.0
    return -sum((m / total) * math.log(m / total) for m in masses if m > 0)


def plain_information(per_label, counts, weighting, total=None):
    """(H(Z), H(Z|L), [H(Z|L=k)]) in nats from the definitions: H(Z) of ``total`` (default:
    the labelled rows' masses), H(Z|L) = Σ_k w_k H(Z|L=k), w_k = N_k/N or 1/K' over the K'
    labels with N_k > 0."""
    per_label = np.asarray(per_label, dtype=float)
    h = plain_entropy(per_label.sum(0) if total is None else total)
    h_k = [plain_entropy(row) for row in per_label]
    present = [k for k, n in enumerate(counts) if n > 0]
    if weighting == "weighted":
        w = [counts[k] / sum(counts) for k in range(len(counts))]
    else:
        w = [1 / len(present) if k in present else 0.0 for k in range(len(counts))]
    return h, sum(wk * hk for wk, hk in zip(w, h_k, strict=True)), h_k


def random_masses(shape, seed: int = 0) -> np.ndarray:
    """Non-negative masses with exact zeros mixed in."""
    rng = np.random.default_rng(seed)
    m = rng.random(shape) ** 3 * rng.integers(1, 100, shape)
    m[rng.random(shape) < 0.2] = 0.0
    return m


# ----------------------------------------------------------------------------- known answers


@pytest.mark.parametrize("n_bins", [1, 2, 7, 100])
@pytest.mark.parametrize("scale", [1.0, 1e-200, 3.5e12])
def test_uniform_masses_carry_log_b(n_bins, scale):
    assert float(entropy_of_masses(np.full(n_bins, scale))) == pytest.approx(
        math.log(n_bins), rel=1e-12, abs=1e-15
    )


def test_a_point_mass_has_zero_entropy():
    for b in (1, 5, 64):
        for where in (0, b - 1):
            m = np.zeros(b)
            m[where] = 17.0
            assert float(entropy_of_masses(m)) == 0.0


def test_all_zero_rows_have_zero_entropy_and_do_not_disturb_the_others():
    m = np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 2.0], [0.0, 0.0, 0.0]])
    h = entropy_of_masses(m)
    assert h.shape == (3,)
    assert h[0] == 0.0
    assert h[2] == 0.0
    assert h[1] == pytest.approx(plain_entropy(m[1]), rel=1e-15)
    assert np.isfinite(h).all()


def test_entropy_is_over_the_last_axis_and_equals_the_plain_formula():
    m = random_masses((3, 4, 11))
    m[1, 2] = 0.0  # an all-zero row inside the batch
    h = entropy_of_masses(m)
    assert h.shape == (3, 4)
    assert h.dtype == np.float64
    want = np.array([[plain_entropy(row) for row in block] for block in m])
    np.testing.assert_allclose(h, want, rtol=1e-12, atol=0)
    # masses are normalised: any positive scale gives the same entropy
    np.testing.assert_allclose(entropy_of_masses(m * 1e-3), h, rtol=1e-12)
    # integer counts and float32 masses are computed in float64
    counts = np.array([3, 0, 5, 1])
    assert entropy_of_masses(counts) == pytest.approx(plain_entropy(counts), rel=1e-15)
    assert entropy_of_masses(m.astype(np.float32)).dtype == np.float64


def test_base_2_is_nats_over_ln_2():
    nats = entropy_of_masses(random_masses((5, 9), seed=1))
    np.testing.assert_allclose(to_base(nats, 2, API), nats / math.log(2), rtol=1e-15)
    np.testing.assert_allclose(to_base(nats, 10, API), nats / math.log(10), rtol=1e-15)
    np.testing.assert_array_equal(to_base(nats, math.e, API), nats)
    # 8 equal bins: 3 bits exactly
    assert float(to_base(entropy_of_masses(np.ones(8)), 2, API)) == pytest.approx(3.0, rel=1e-15)
    assert isinstance(to_base(1.0, math.e, API), np.ndarray)  # floats come back as arrays
    per, counts = random_masses((4, 6), seed=2) + 0.1, np.array([3, 1, 4, 2])
    in_nats = information_of_masses(per, counts, "weighted", API)
    in_bits = information_of_masses(per, counts, "weighted", API, base=2)
    for a, b in zip(in_bits, in_nats, strict=True):
        np.testing.assert_allclose(a, np.asarray(b) / math.log(2), rtol=1e-15)


def test_unit_names():
    assert unit_name(math.e) == "nats"
    assert unit_name(2) == unit_name(2.0) == "bits"
    assert unit_name(10) == "(log base 10)"
    assert unit_name(3.5) == "(log base 3.5)"


# ----------------------------------------------------------------------------- label weights, information


def test_label_weights_are_the_count_shares_or_uniform_over_present_labels():
    counts = np.array([1, 0, 3, 4])
    np.testing.assert_allclose(label_weights(counts, "weighted", API), [0.125, 0, 0.375, 0.5])
    np.testing.assert_allclose(label_weights(counts, "uniform", API), [1 / 3, 0, 1 / 3, 1 / 3])
    # bootstrap-weighted counts need not be integers
    np.testing.assert_allclose(
        label_weights(np.array([0.5, 1.5]), "weighted", API), [0.25, 0.75], rtol=1e-15
    )
    for weighting in ("weighted", "uniform"):
        w = label_weights(counts, weighting, API)
        assert w.dtype == np.float64
        assert w.sum() == pytest.approx(1.0, rel=1e-15)


@pytest.mark.parametrize("weighting", ["weighted", "uniform"])
@pytest.mark.parametrize("with_total", [False, True])
def test_information_of_masses_equals_the_plain_formula(weighting, with_total):
    per = random_masses((5, 13), seed=3)
    per[3] = 0.0  # a label with no mass and no rows (absent from a bootstrap replicate)
    counts = np.array([4, 1, 7, 0, 2])
    total = per.sum(0) + random_masses(13, seed=4) if with_total else None  # + masked rows
    h, hc, h_k = information_of_masses(per, counts, weighting, API, total=total)
    want_h, want_hc, want_hk = plain_information(per, counts, weighting, total)
    assert float(h) == pytest.approx(want_h, rel=1e-12)
    assert float(hc) == pytest.approx(want_hc, rel=1e-12)
    np.testing.assert_allclose(h_k, want_hk, rtol=1e-12)
    assert float(h) - float(hc) > 0  # the labels carry information about the bins


def test_identical_label_rows_carry_no_information():
    row = np.array([1.0, 4.0, 0.0, 2.0])
    h, hc, h_k = information_of_masses(np.tile(row, (3, 1)), np.array([2, 5, 1]), "weighted", API)
    assert float(h) == pytest.approx(float(hc), rel=1e-15)
    np.testing.assert_allclose(h_k, plain_entropy(row), rtol=1e-15)


# ----------------------------------------------------------------------------- NumPy and torch


def test_numpy_and_torch_give_the_same_numbers(device):
    torch = pytest.importorskip("torch")
    per = random_masses((6, 10), seed=5)
    counts = np.array([3, 0, 2, 8, 1, 1])
    total = per.sum(0) + 0.5

    def t(x):
        return torch.as_tensor(np.asarray(x), device=device)

    h = entropy_of_masses(t(per))
    assert isinstance(h, torch.Tensor)
    assert h.device.type == device
    assert h.dtype == torch.float64
    np.testing.assert_allclose(h.cpu().numpy(), entropy_of_masses(per), rtol=1e-14)
    for weighting in ("weighted", "uniform"):
        w = label_weights(t(counts), weighting, API)
        assert w.dtype == torch.float64
        np.testing.assert_allclose(w.cpu().numpy(), label_weights(counts, weighting, API))
        for base in (math.e, 2):
            got = information_of_masses(
                t(per), t(counts), weighting, API, total=t(total), base=base
            )
            want = information_of_masses(per, counts, weighting, API, total=total, base=base)
            for a, b in zip(got, want, strict=True):
                assert isinstance(a, torch.Tensor)
                np.testing.assert_allclose(a.cpu().numpy(), b, rtol=1e-14)
    assert float(to_base(t(per).sum(), 2, API)) == pytest.approx(per.sum() / math.log(2))
    # torch masses keep their dtype
    assert entropy_of_masses(t(per).float()).dtype == torch.float32


@pytest.mark.gradcheck
def test_torch_results_are_differentiable():
    torch = pytest.importorskip("torch")
    g = torch.Generator().manual_seed(0)
    per = (torch.rand(4, 7, generator=g, dtype=torch.float64) + 0.05).requires_grad_()
    total = (per.detach().sum(0) + 0.3).requires_grad_()
    counts = torch.tensor([2, 5, 1, 3])
    assert torch.autograd.gradcheck(entropy_of_masses, (per,))
    for weighting in ("weighted", "uniform"):

        def info(per, total, weighting=weighting):
            h, hc, h_k = information_of_masses(per, counts, weighting, API, total=total, base=2)
            return h, hc, h_k

        assert torch.autograd.gradcheck(info, (per, total))
    assert torch.autograd.gradcheck(lambda x: to_base(entropy_of_masses(x), 2, API), (per,))


def test_a_zero_mass_keeps_the_gradient_finite():
    """A bin whose mass underflowed to exactly 0 must not turn the gradient into NaN."""
    torch = pytest.importorskip("torch")
    m = torch.tensor([[0.0, 1.0, 3.0], [0.0, 0.0, 0.0]], dtype=torch.float64, requires_grad=True)
    entropy_of_masses(m).sum().backward()
    assert bool(torch.isfinite(m.grad).all())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_zero_masses_give_finite_values_and_gradients_in_every_dtype(dtype):
    torch = pytest.importorskip("torch")
    dt = getattr(torch, dtype)
    m = torch.tensor([[0.5, 0.5, 0.0], [0.0, 0.0, 0.0]], dtype=dt, requires_grad=True)
    h = entropy_of_masses(m)
    assert h[0].item() == pytest.approx(math.log(2), rel=1e-6)
    assert h[1].item() == 0.0
    h.sum().backward()
    assert bool(torch.isfinite(m.grad).all())
    # dH/dm_k = -(ln p_k + H)/T at the occupied cells (0 here); at a zero cell ln p_k
    # reads as 0 (the 0 ln 0 = 0 convention), giving -H/T + ... = 1 - ln 2 for this row
    np.testing.assert_allclose(m.grad[0].tolist(), [0.0, 0.0, 1 - math.log(2)], atol=1e-6)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: label_weights(np.ones(2), "balanced", API),
            r"weighting must be 'weighted' or 'uniform', got 'balanced'",
        ),
        (lambda: to_base(1.0, 1, API), r"base must be a number > 0 and != 1"),
        (lambda: to_base(1.0, -2, API), r"base must be a number > 0 and != 1"),
        (
            lambda: information_of_masses(np.ones((2, 3)), np.ones(2), "weighted", API, base=0),
            r"base must be a number > 0 and != 1",
        ),
        (
            lambda: information_of_masses(np.ones((2, 3)), np.ones(2), "x", API),
            r"weighting must be",
        ),
    ],
)
def test_bad_arguments_name_the_calling_api(call, match):
    with pytest.raises(ValueError, match=rf"^softent\.{API}: {match}"):
        call()
