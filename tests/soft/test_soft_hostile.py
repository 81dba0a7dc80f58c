"""Hostile input to the soft-bin family, each class found by the fuzz suite (issue 16): a
clear error in the project's form naming the argument, or the right number, and never a
NumPy warning (pytest runs with warnings as errors).

Classes: ``softent.Bins`` validating nothing, a list or dict as ``metric``, bfloat16 and
negative-bit centres, values near the float64 limit (NumPy overflow warnings),
``measures_from_masses`` with an all-zero label row, and float16 gradients (the torch
front's own: tests/torch_api/test_torch_hostile.py).
"""

from __future__ import annotations

import numpy as np
import pytest
import softent

torch = pytest.importorskip("torch")
import softent.torch as stt

Z = np.random.default_rng(0).normal(size=(40, 3))
C = np.random.default_rng(1).normal(size=(6, 3))


def neg_bit(t):
    """``t`` as a view with the negative bit set (its values are t's)."""
    return torch.complex(torch.zeros_like(t), -t).conj().imag


# ----------------------------------------------------------------------------- Bins


@pytest.mark.parametrize(
    ("args", "kind", "match"),
    [
        ((np.array([1.0, 2.0]), "dot", 0.05), ValueError, r"centres must be a 2-D array"),
        (("x", "dot", 1.0), TypeError, r"centres must be a floating-point array"),
        ((None, "dot", 1.0), TypeError, r"centres must be a floating-point array"),
        ((C * (1 + 1j), "dot", 1.0), TypeError, r"centres must be a floating-point array"),
        ((C, {"a": 1}, 1.0), ValueError, r"metric must be one of"),
        ((C, "Cosine", 1.0), ValueError, r"metric must be one of"),
        ((C, "dot", "auto"), ValueError, r"temperature must be a float > 0"),
        ((C, "dot", "2"), ValueError, r"temperature must be a float > 0 or 'auto'"),
        ((C, "dot", 0.0), ValueError, r"temperature must be finite and > 0"),
        ((np.zeros((2, 3)), "cosine", 1.0), ValueError, r"centres must be non-zero rows"),
        ((np.full((2, 3), np.nan), "dot", 1.0), ValueError, r"centres must be finite"),
    ],
)
def test_bins_validates_its_arguments(args, kind, match):
    with pytest.raises(kind, match=rf"^softent\.Bins: {match}"):
        softent.Bins(*args)


def test_bins_holds_a_float64_copy_of_its_centres():
    c = C.copy()
    b = softent.Bins(c, "dot", 0.5)
    before = b.fingerprint()
    c[0, 0] = 99.0  # the caller's array changes, the frozen Bins does not
    assert b.fingerprint() == before
    assert b.centres.dtype == np.float64
    np.testing.assert_array_equal(b.centres, C)
    # a tensor (bfloat16, requiring grad) is read as its values, in float64
    t = torch.tensor(C, dtype=torch.bfloat16, requires_grad=True)
    np.testing.assert_array_equal(
        softent.Bins(t, "dot", 0.5).centres, t.detach().float().numpy().astype(np.float64)
    )
    # the Bins every function makes are the same as those built by hand
    h = softent.soft_histogram(Z, centres=C, metric="dot", temperature=0.5)
    assert h.bins.fingerprint() == softent.Bins(C, "dot", 0.5).fingerprint()


# ----------------------------------------------------------------------------- metric


@pytest.mark.parametrize("metric", [{"a": 1}, [2], ["cosine"]])
@pytest.mark.parametrize(
    "call",
    [
        lambda m: softent.entropy(Z, metric=m),
        lambda m: softent.mutual_information(Z, np.arange(40) % 3, metric=m),
        lambda m: softent.Accumulator(dim=3, metric=m),
        lambda m: stt.entropy(torch.tensor(Z), metric=m),
        lambda m: stt.LayerMonitor(torch.nn.Linear(3, 2), [""], metric=m),
    ],
)
def test_an_unhashable_metric_is_refused_naming_metric(call, metric):
    with pytest.raises(ValueError, match=r"^softent\.[\w.]+: metric must be one of"):
        call(metric)


# ----------------------------------------------------------------------------- centres


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_low_precision_tensor_centres_are_read_as_their_values(dtype):
    c = torch.tensor(C).to(dtype)
    c32 = c.float()  # the same values, exactly
    assert softent.Accumulator(centres=c).bins.fingerprint() == (
        softent.Accumulator(centres=c32).bins.fingerprint()
    )
    for metric in ("cosine", "euclidean"):
        a = softent.entropy(Z, centres=c, metric=metric)
        b = softent.entropy(Z, centres=c32, metric=metric)
        assert a == b
    h = stt.entropy(torch.tensor(Z), centres=c, metric="dot")
    assert float(h) == pytest.approx(float(stt.entropy(torch.tensor(Z), centres=c32, metric="dot")))


def test_negative_bit_centres_are_read_as_their_values():
    c = torch.tensor(C)
    n = neg_bit(c)
    assert n.is_neg()
    assert softent.Accumulator(centres=n).bins.fingerprint() == (
        softent.Accumulator(centres=c).bins.fingerprint()
    )
    assert softent.entropy(Z, centres=n) == softent.entropy(Z, centres=c)


# ----------------------------------------------------------------------------- float64 limits


def test_cosine_centres_near_the_float64_limit_are_scale_free():
    # cosine depends on directions only: centres of scale 1e300 (squares overflow) are the
    # centres of scale 1
    big = softent.entropy(Z, centres=C * 1e300, metric="cosine", temperature=0.3)
    assert big == pytest.approx(softent.entropy(Z, centres=C, metric="cosine", temperature=0.3))
    assert repr(softent.Bins(C * 1e300, "cosine", 0.3)).startswith("Bins(B=6")


@pytest.mark.parametrize("metric", ["sqeuclidean"])
@pytest.mark.parametrize("scale", [1e160, 1e200, 1e307])
def test_data_whose_distances_overflow_is_refused_not_warned_about(metric, scale):
    # (euclidean: the kernels scale such rows by a power of two and give the numbers of the
    # data at scale 1, tests/soft/test_tiny_scale.py; sqeuclidean's 'auto' T ~ scale^2 is inf)
    z = np.random.default_rng(2).normal(size=(8, 3)) * scale
    with pytest.raises(ValueError, match=r"^softent\.entropy: (z|temperature) must be"):
        softent.entropy(z, metric=metric, n_bins=4)
    with pytest.raises(ValueError, match=r"^softent\.torch\.\w+: (z|temperature) must be"):
        stt.entropy(torch.tensor(z), metric=metric, n_bins=4)


def test_an_auto_temperature_that_underflows_is_refused_naming_temperature():
    z = np.random.default_rng(0).normal(size=(20, 3)) * 1e-160
    with pytest.raises(ValueError, match=r"temperature must be given explicitly for these"):
        softent.soft_histogram(z, metric="dot", centres=z[:5])
    # given explicitly it is used: T = 1e-300 is a normal float64
    h = softent.soft_histogram(z, metric="dot", centres=z[:5], temperature=1e-300)
    assert np.isfinite(h.entropy())


# ----------------------------------------------------------------------------- measures


def test_measures_refuse_a_label_with_rows_but_no_mass():
    total = np.array([1.0, 1.0])
    with pytest.raises(ValueError, match=r"per_label must be a row of positive total mass .* 0\)"):
        softent.measures_from_masses(total, np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([3, 4]))
    # a label without rows (N_k = 0, a bootstrap replicate's) is left out, as documented
    m = softent.measures_from_masses(total, np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([0, 4]))
    assert m["mutual_information"] == 0.0


# ----------------------------------------------------------------------------- float16 gradients


def test_a_float16_gradient_is_the_float32_gradient_cast():
    # data of scale 1e-3 with a Euclidean metric: gradients ~1/scale, some beyond float16's
    # 65504. Computed in float32; the leaf's gradient is its cast: ±inf exactly there
    g = torch.Generator().manual_seed(10)
    base = (torch.randn(55, 1, generator=g) * 1e-3).half()
    z16 = base.clone().requires_grad_()
    z32 = base.float().requires_grad_()
    h16 = stt.entropy(z16, metric="euclidean", seed=400)
    h32 = stt.entropy(z32, metric="euclidean", seed=400)
    assert float(h16.detach()) == float(h32.detach())
    h16.backward()
    h32.backward()
    assert torch.isfinite(z32.grad).all()
    beyond = z32.grad.abs() > torch.finfo(torch.float16).max
    assert beyond.any()  # this data does reach the overflow
    assert torch.equal(~torch.isfinite(z16.grad), beyond)
    torch.testing.assert_close(z16.grad[~beyond], z32.grad[~beyond].half())
