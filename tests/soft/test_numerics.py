"""Numerics of the soft-bin kernels where the plain formula loses digits: data far from the
origin (Euclidean scores computed relative to the centres' mean), rows of extreme scale
under cosine (scale-safe norms), checked against the float64 reference on data where it is
exact (tests/reference/soft.py), forward and backward, on every device."""

from __future__ import annotations

import numpy as np
import pytest
import softent
from cases import host, put
from reference import soft as ref

torch = pytest.importorskip("torch")
import softent.torch as st

TRANSLATION_INVARIANT = ("euclidean", "sqeuclidean")


def _offset_case(offset: float, dtype, d: int = 16, n: int = 2000, b: int = 40):
    """(z at ``offset`` in ``dtype``, centres [B, D] float64 in the data's box, and both
    exactly relative to the offset in float64: the reference's input, with no cancellation)."""
    rng = np.random.default_rng(0)
    z = (rng.standard_normal((n, d)) + offset).astype(dtype)
    centres = rng.uniform(-2, 2, (b, d)) + offset
    return z, centres, z.astype(np.float64) - offset, centres - offset


@pytest.mark.parametrize("metric", TRANSLATION_INVARIANT)
@pytest.mark.parametrize(
    ("offset", "dtype", "rtol"), [(1e4, np.float32, 1e-4), (1e8, np.float64, 1e-9)]
)
def test_data_far_from_the_origin_give_the_float64_answer(metric, offset, dtype, rtol, device):
    # the case: float32 N(0, 1) + 1e4, D = 16 gave H = 4.587 instead of 1.642
    z, c, z_ref, c_ref = _offset_case(offset, dtype)
    t = 0.7 if metric == "euclidean" else 4.0
    labels = np.arange(len(z)) % 3
    got = softent.information(put(z, device), labels, centres=c, metric=metric, temperature=t)
    h, hc, mi, _ = ref.information(z_ref, labels, c_ref, metric, t)
    assert got.entropy == pytest.approx(h, rel=rtol)
    assert got.conditional_entropy == pytest.approx(hc, rel=rtol)
    assert got.mutual_information == pytest.approx(mi, rel=rtol, abs=rtol)


@pytest.mark.parametrize("metric", TRANSLATION_INVARIANT)
def test_default_box_centres_far_from_the_origin_give_the_float64_answer(metric, device):
    z, _, z_ref, _ = _offset_case(1e4, np.float32)
    got = softent.entropy(put(z, device), metric=metric, n_bins=30, temperature=0.5)
    centres = softent.box_bins(z, 30)  # the default centres, as the entropy call drew them
    assert got == pytest.approx(ref.entropy(z_ref, centres - 1e4, metric, 0.5), rel=1e-4)


@pytest.mark.parametrize("metric", TRANSLATION_INVARIANT)
def test_gradients_far_from_the_origin_match_the_float64_reference(metric, device):
    z_np, c_np, z_ref, _ = _offset_case(1e4, np.float32, n=500, b=20)
    c_np = c_np.astype(np.float32)  # the centres as the float32 tensor holds them
    c_ref = c_np.astype(np.float64) - 1e4
    labels = torch.as_tensor(np.arange(len(z_np)) % 4, device=device)
    t0 = 0.7 if metric == "euclidean" else 4.0
    z = torch.tensor(z_np, device=device, requires_grad=True)
    c = torch.tensor(c_np, dtype=torch.float32, device=device, requires_grad=True)
    t = torch.tensor(t0, dtype=torch.float32, requires_grad=True)
    info = st.information(z, labels, centres=c, metric=metric, temperature=t)
    (info.mutual_information + 0.3 * info.entropy).backward()

    zr = torch.tensor(z_ref, requires_grad=True)
    cr = torch.tensor(c_ref, requires_grad=True)
    tr = torch.tensor(t0, dtype=torch.float64, requires_grad=True)
    h, _, mi, _ = ref.torch_information(zr, labels.cpu(), cr, metric, tr)
    (mi + 0.3 * h).backward()
    assert float(info.mutual_information.detach()) == pytest.approx(float(mi.detach()), rel=1e-4)
    for got, want in ((z.grad, zr.grad), (c.grad, cr.grad), (t.grad, tr.grad)):
        got = got.double().cpu()
        assert float((got - want).norm() / want.norm()) < 1e-3


# ----------------------------------------------------------------------------- cosine scale


@pytest.mark.parametrize(
    ("scale", "dtype"),
    [
        (1e-23, np.float32),
        (1e-30, np.float32),
        (1e19, np.float32),
        (1e30, np.float32),
        (1e-170, np.float64),
        (1e-300, np.float64),
        (1e170, np.float64),
    ],
)
def test_cosine_is_scale_invariant_for_tiny_and_huge_rows(scale, dtype, device):
    # rows of ~1e-23 (float32) or ~1e-170 (float64) were taken for zero rows: ||z||^2
    # underflowed; float32 rows of ~1.8e19 were refused as NaN/Inf (||z||^2 overflowed)
    rng = np.random.default_rng(2)
    z = rng.standard_normal((300, 8))
    labels = np.arange(300) % 3
    kw = {"n_bins": 20, "temperature": 0.2}
    want = ref.information(z, labels, softent.spherical_bins(20, 8), "cosine", 0.2)
    got = softent.information(put((z * scale).astype(dtype), device), labels, **kw)
    rtol = 1e-5 if dtype == np.float32 else 1e-10
    assert got.entropy == pytest.approx(want[0], rel=rtol)
    assert got.conditional_entropy == pytest.approx(want[1], rel=rtol)


@pytest.mark.parametrize(("scale", "dtype"), [(1e-23, torch.float32), (1e-170, torch.float64)])
def test_cosine_gradients_of_tiny_rows_scale_as_one_over_the_scale(scale, dtype, device):
    rng = np.random.default_rng(4)
    z0 = rng.standard_normal((200, 6))
    labels = torch.as_tensor(np.arange(200) % 3, device=device)
    grads = []
    for s in (1.0, scale):
        z = torch.tensor(z0 * s, dtype=dtype, device=device, requires_grad=True)
        st.mutual_information(z, labels, n_bins=12, temperature=0.2).backward()
        grads.append(host(z.grad).astype(np.float64) * s)
    assert np.isfinite(grads[1]).all()
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-4, atol=1e-5 * np.abs(grads[0]).max())


# ----------------------------------------------------------------------------- measures


def _js_nats(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen-Shannon divergence (nats) of two mass vectors (normalised here), by its
    definition: ½ KL(p ‖ m) + ½ KL(q ‖ m), m = ½ (p + q), over the bins where a > 0."""
    p, q = p / p.sum(), q / q.sum()
    m = 0.5 * (p + q)

    def kl(a: np.ndarray) -> float:
        pos = a > 0
        return float(np.sum(a[pos] * np.log(a[pos] / m[pos])))

    return 0.5 * kl(p) + 0.5 * kl(q)


@pytest.mark.parametrize("tiny", [5e-324, 1e-320, 1e-310])
def test_disentanglement_with_a_subnormal_mass_is_finite_and_exact(tiny):
    # a subnormal mass in a bin no other label reaches: halving it for the JS mixture
    # rounded it to 0 (p / m = inf) and disentanglement was inf
    per = np.array([[0.5, 0.5, tiny], [0.2, 0.8, 0.0], [0.1, 0.9, 0.0]])
    counts = np.array([2.0, 5.0, 4.0])
    got = softent.measures_from_masses(per.sum(0), per, counts)["disentanglement"]
    # the tiny mass adds at most tiny * ln 2 to a JS: the reference leaves it out
    exact = per.copy()
    exact[0, 2] = 0.0
    rest = [exact.sum(0) - exact[k] for k in range(3)]
    want = np.mean([_js_nats(exact[k], rest[k]) for k in range(3)])
    assert np.isfinite(got)
    assert got == pytest.approx(want, rel=1e-12)


# ----------------------------------------------------------------------------- byte order


@pytest.mark.parametrize("dtype", [">f4", ">f8", ">f2"])
def test_big_endian_floats_are_read_as_their_values(dtype):
    rng = np.random.default_rng(6)
    z = rng.standard_normal((150, 5))
    labels = np.arange(150) % 3
    native = z.astype(np.dtype(dtype).newbyteorder("="))
    big = z.astype(dtype)
    before = big.copy()
    want = softent.information(native, labels, n_bins=10, temperature=0.3)
    got = softent.information(big, labels, n_bins=10, temperature=0.3)
    assert got.mutual_information == want.mutual_information
    assert got.entropy == want.entropy
    assert big.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(big, before)


# ----------------------------------------------------------------------------- temperature


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("temperature", [1e-30, 1e-39, 1e-45, 1e-200, 1e-307])
def test_tiny_temperatures_give_the_hard_assignment(dtype, temperature, device):
    # 1/T overflowed float32 below 2.9e-39 and s/T overflowed: rows refused as "NaN/Inf"
    rng = np.random.default_rng(8)
    z = rng.standard_normal((400, 6))
    centres = softent.spherical_bins(25, 6)
    winners = np.argmax(ref.scores(z, centres, "cosine"), axis=1)
    want = ref.shannon(np.bincount(winners, minlength=25).astype(np.float64))
    got = softent.entropy(put(z.astype(dtype), device), centres=centres, temperature=temperature)
    assert got == pytest.approx(want, rel=1e-12)


def test_a_temperature_whose_reciprocal_is_not_finite_is_refused_with_the_range():
    z = np.ones((5, 2))
    with pytest.raises(ValueError, match=r"temperature must be >= 2\.225e-308 \(so that 1/T is"):
        softent.entropy(z, temperature=1e-320)


@pytest.mark.parametrize("scale", [1e-160, 1e-200])
def test_tensor_temperature_below_1e_154_gets_the_scaled_gradient(scale):
    # dL/dT went through 1/T^2 (inf) times a dL/d(1/T) of 0: NaN. With the dot metric the
    # estimator depends on z / T only, so dL/dT at (a z, a T) is dL/dT at (z, T) / a.
    rng = np.random.default_rng(9)
    z0 = rng.standard_normal((200, 5))
    centres = torch.tensor(softent.spherical_bins(15, 5))
    labels = torch.as_tensor(np.arange(200) % 3)
    grads = []
    for a in (1.0, scale):
        z = torch.tensor(z0 * a, requires_grad=True)
        t = torch.tensor(0.3 * a, dtype=torch.float64, requires_grad=True)
        st.mutual_information(z, labels, centres=centres, metric="dot", temperature=t).backward()
        grads.append((float(t.grad) * a, z.grad.numpy() * a))
    assert np.isfinite(grads[1][0])
    assert grads[1][0] == pytest.approx(grads[0][0], rel=1e-9)
    np.testing.assert_allclose(grads[1][1], grads[0][1], rtol=1e-9, atol=1e-12)


def test_saturated_softmax_with_a_tiny_tensor_temperature_has_zero_not_nan_gradients():
    rng = np.random.default_rng(10)
    z = torch.tensor(rng.standard_normal((100, 4)), requires_grad=True)
    t = torch.tensor(1e-155, dtype=torch.float64, requires_grad=True)
    st.entropy(z, n_bins=10, temperature=t).backward()
    assert float(t.grad) == 0.0
    assert bool(torch.isfinite(z.grad).all())


# ----------------------------------------------------------------------------- overflow


@pytest.mark.parametrize("metric", ["dot"])
@pytest.mark.parametrize("nonfinite", ["raise", "drop"])
def test_finite_rows_whose_scores_overflow_are_not_called_nan(metric, nonfinite):
    # (the Euclidean metrics no longer overflow here: the kernels scale such rows by a power
    # of two, tests/soft/test_tiny_scale.py; dot scores <z, c> of ~1e40 still do)
    z = (np.random.default_rng(1).standard_normal((50, 4)) * 1e20).astype(np.float32)
    centres = z[:5].astype(np.float64)
    with pytest.raises(ValueError, match=r"^softent\.entropy: z must be rows whose") as info:
        softent.entropy(z, metric=metric, centres=centres, temperature=1.0, nonfinite=nonfinite)
    message = str(info.value)
    assert "fit in float32" in message
    assert "overflow" in message
    assert "float64" in message
    assert "NaN" not in message
    # the same data in float64 fit
    assert np.isfinite(softent.entropy(z.astype(np.float64), metric=metric, centres=centres))


def test_a_nan_row_is_still_named_as_nan():
    z = np.random.default_rng(1).standard_normal((50, 4)).astype(np.float32)
    z[7, 2] = np.nan
    with pytest.raises(ValueError, match=r"z must be finite .*got NaN/Inf in row 7"):
        softent.entropy(z, centres=np.eye(4), metric="euclidean", temperature=1.0)
