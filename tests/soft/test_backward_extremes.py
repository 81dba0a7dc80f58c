"""The soft-bin backward kernels at the extremes (issue 16 fuzz classes
tiny_temperature_gradient and subnormal_row_gradient), and cosine centres of extreme scale.

- A saturated softmax (tiny T): dL/d(1/T) is Σ v (s - s_max), exactly 0 where every bin
  with mass ties with the max, so dL/dT = -(dL/d(1/T))/T² is its true value, 0, not the
  kernels' rounding times 1/T² (±inf).
- Cosine rows of any scale: the backward reads unit rows and divides by ||z|| last, so a
  row of subnormal values has no 0 · inf = NaN; its gradient is the gradient at the row
  rescaled (exact powers of two) times the inverse scale, checked against the plain float64
  torch reference (tests/reference/soft.py) on the rescaled row; for D = 1 (scores ±1) it
  is exactly 0.
- Cosine centres are normalised after a power-of-two scaling: tiny (1e-170) and huge
  (1e300) centres give the numbers of their rescaled selves, not a refusal or 0 scores.

Kernel tests run on every device (``device`` fixture)."""

from __future__ import annotations

import numpy as np
import pytest
import softent
from cases import host
from reference import soft as ref

torch = pytest.importorskip("torch")
import softent.torch as st


def _t(value: float) -> torch.Tensor:
    return torch.tensor(value, dtype=torch.float64, requires_grad=True)


def _reference_grads(z: np.ndarray, c: np.ndarray, metric: str, t: float):
    """(H, dH/dz, dH/dc, dH/dT) of the plain float64 torch formula."""
    zr = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    cr = torch.tensor(c, dtype=torch.float64, requires_grad=True)
    tr = torch.tensor(t, dtype=torch.float64, requires_grad=True)
    h = ref.torch_entropy(zr, cr, metric, tr)
    h.backward()
    return float(h.detach()), zr.grad.numpy(), cr.grad.numpy(), float(tr.grad)


# ----------------------------------------------------------------------------- tiny T


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("t", [1e-300, 1e-160, 1e-40])
def test_saturated_softmax_at_exact_ties_has_zero_gradients(dtype, t, device):
    """D = 1 cosine: every score is exactly ±1, so ~half the bins tie at the max for every
    row and H does not depend on z or T: every gradient is exactly 0 (the fuzz
    reproduction: dL/dT was ±inf, z's gradient 1e13-size rounding)."""
    g = torch.Generator().manual_seed(0)
    z = torch.randn(64, 1, generator=g, dtype=dtype).to(device).requires_grad_()
    tt = _t(t)
    h = st.entropy(z, temperature=tt, seed=29607, n_bins=30)
    h.backward()
    assert float(tt.grad) == 0.0
    assert bool((z.grad == 0).all())
    # and H is the entropy of the tied bins' equal shares (float64 reference at T = t)
    c = softent.spherical_bins(30, 1, seed=29607)
    assert host(h) == pytest.approx(ref.entropy(host(z).astype(np.float64), c, "cosine", t))


@pytest.mark.parametrize("metric", ["cosine", "euclidean", "sqeuclidean", "dot"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_saturated_softmax_without_ties_has_zero_gradients(metric, dtype, device):
    """T = 1e-300 on continuous data: each row's softmax is its argmax, constant in z and T
    near the data: every gradient is exactly 0 (its true value), never NaN or inf."""
    rng = np.random.default_rng(1)
    z = torch.tensor(rng.standard_normal((50, 4)), dtype=dtype, device=device)
    z.requires_grad_()
    c = torch.tensor(rng.standard_normal((9, 4)), dtype=dtype, device=device, requires_grad=True)
    tt = _t(1e-300)
    info = st.information(z, torch.arange(50) % 3, centres=c, metric=metric, temperature=tt)
    (info.mutual_information + info.entropy).backward()
    assert float(tt.grad) == 0.0
    assert bool((z.grad == 0).all())
    assert bool((c.grad == 0).all())


@pytest.mark.parametrize("metric", ["cosine", "euclidean", "dot"])
@pytest.mark.parametrize("t", [3e-2, 3e-3])
def test_temperature_gradient_at_small_temperatures_equals_the_float64_reference(metric, t, device):
    """Σ v (s - s_max) is dL/d(1/T) (Σ v = 0): the same numbers as the plain formula's
    autograd where the softmax is sharp but not saturated."""
    rng = np.random.default_rng(5)
    z = rng.standard_normal((80, 3))
    c = rng.standard_normal((11, 3))
    want = _reference_grads(z, c, metric, t)
    zt = torch.tensor(z, device=device, requires_grad=True)
    ct = torch.tensor(c, device=device, requires_grad=True)
    tt = _t(t)
    h = st.entropy(zt, centres=ct, metric=metric, temperature=tt)
    h.backward()
    assert host(h) == pytest.approx(want[0], rel=1e-10)
    assert float(tt.grad) == pytest.approx(want[3], rel=1e-7, abs=1e-9 * abs(want[3]) + 1e-12)
    np.testing.assert_allclose(host(zt.grad), want[1], rtol=1e-7, atol=1e-9 * abs(want[1]).max())
    np.testing.assert_allclose(host(ct.grad), want[2], rtol=1e-7, atol=1e-9 * abs(want[2]).max())


def test_float32_temperature_beyond_the_clamped_scale_has_zero_temperature_gradient(device):
    """float32 kernels compute the softmax at 1/T clamped to 3.4e38: below T = 2.9e-39 the
    function computed does not depend on T, so dL/dT is 0 (was ±inf for a row of scores
    ~1e-40, which the clamped scale leaves unsaturated); the z gradient stays finite."""
    rng = np.random.default_rng(3)
    z0 = rng.standard_normal((20, 3))
    z0[3] *= 1e-40  # a row of subnormal float32 values: dot scores ~1e-40
    z = torch.tensor(z0, dtype=torch.float32, device=device, requires_grad=True)
    tt = _t(1e-300)
    st.entropy(z, metric="dot", n_bins=7, temperature=tt).backward()
    assert float(tt.grad) == 0.0
    assert bool(torch.isfinite(z.grad).all())


# ----------------------------------------------------------------------------- tiny rows


@pytest.mark.parametrize(
    ("dtype", "value"),
    [(torch.float32, 1.4e-45), (torch.float32, 1e-40), (torch.float64, 5e-324)],
)
def test_d1_cosine_gradient_of_a_subnormal_row_is_exactly_zero(dtype, value, device):
    """The fuzz reproduction: D = 1, scores ±1, so the true gradient is 0 for every row (it
    was NaN for the subnormal row, 0 · inf, and ~1e-10 rounding elsewhere)."""
    z = torch.tensor([[1.0], [1.0], [value], [1.0], [-1.0]], dtype=dtype, device=device)
    z.requires_grad_()
    st.entropy(z, temperature=1 / 3).backward()
    assert bool((z.grad == 0).all())


@pytest.mark.parametrize(
    ("dtype", "k"),
    [
        (torch.float32, 80),  # rows ~1e-24: normal, squares underflow float32
        (torch.float32, 135),  # rows ~2e-41: subnormal float32 (1/||z|| overflows)
        (torch.float64, 1000),  # rows ~1e-301
        (torch.float64, 1022),  # rows ~2e-308: subnormal float64 entries
    ],
)
def test_cosine_gradient_of_tiny_rows_is_the_rescaled_reference(dtype, k, device):
    """Every third row scaled by 2^-k. Cosine is scale-invariant: dH/dz at a row r equals
    2^k dH/dz at 2^k r, and dH/dc is unchanged; checked against the float64 reference at
    the rescaled rows (the rows as stored: subnormal values keep fewer digits)."""
    rng = np.random.default_rng(6)
    z0 = rng.standard_normal((60, 3))
    c = rng.standard_normal((10, 3))
    zt = torch.tensor(z0, dtype=dtype)
    zt[::3] = torch.ldexp(zt[::3], torch.tensor(-k))  # exact down to the subnormal grid
    back = zt.double().clone()  # (.double() of a float64 tensor is the tensor itself)
    back[::3] = torch.ldexp(back[::3], torch.tensor(k))  # exact: the stored rows rescaled
    want = _reference_grads(back.numpy(), c, "cosine", 0.2)
    z = zt.to(device).requires_grad_()
    ct = torch.tensor(c, dtype=dtype, device=device, requires_grad=True)
    st.entropy(z, centres=ct, temperature=0.2).backward()
    gz = host(z.grad).astype(np.float64)
    assert np.isfinite(gz).all()
    gz[::3] = np.ldexp(gz[::3], -k)  # back to the rescaled rows' gradient
    tol = 2e-3 if dtype == torch.float32 else 1e-9
    scale = np.abs(want[1]).max()
    np.testing.assert_allclose(gz, want[1], rtol=tol, atol=tol * scale)
    np.testing.assert_allclose(host(ct.grad), want[2], rtol=tol, atol=tol * np.abs(want[2]).max())


def test_cosine_gradient_of_a_zero_row_is_zero(device):
    """A zero row scores 0 in every bin (as torch's normalize); its gradient is 0 (the
    reference's normalize differentiates x / eps there, so only the other rows are compared
    with it)."""
    rng = np.random.default_rng(8)
    z0 = rng.standard_normal((30, 4))
    z0[4] = 0.0
    z = torch.tensor(z0, device=device, requires_grad=True)
    st.entropy(z, n_bins=9, temperature=0.3, zero_rows="uniform").backward()
    assert bool((z.grad[4] == 0).all())
    c = softent.spherical_bins(9, 4)
    want = _reference_grads(z0, c, "cosine", 0.3)[1]
    keep = np.arange(30) != 4
    np.testing.assert_allclose(host(z.grad)[keep], want[keep], rtol=1e-9, atol=1e-12)


# ----------------------------------------------------------------------------- centres


@pytest.mark.parametrize("scale", [1e-170, 2.0**-1060, 1e300, 2.0**1000])
def test_cosine_centres_of_any_scale_give_the_numbers_of_their_unit_rows(scale):
    """Tiny centres (their squares underflow) were refused as zero rows, huge ones made 0
    scores on the torch path (norm = inf): both now give the H of the centres rescaled (a
    power-of-two scale: the same bits)."""
    rng = np.random.default_rng(9)
    z = rng.standard_normal((100, 5))
    c = rng.standard_normal((12, 5)) * scale
    _, e = np.frexp(np.abs(c).max(axis=1, keepdims=True))
    rescaled = np.ldexp(c, -e)  # the stored centres rescaled exactly
    unit = rescaled / np.linalg.norm(rescaled, axis=1, keepdims=True)
    want = ref.entropy(z, unit, "cosine", 0.2)
    assert softent.entropy(z, centres=c, temperature=0.2) == pytest.approx(want, rel=1e-12)
    assert softent.Bins(c, "cosine", 0.2).n_bins == 12
    ct = torch.tensor(c, requires_grad=True)
    h = st.entropy(torch.tensor(z), centres=ct, temperature=0.2)
    assert host(h) == pytest.approx(want, rel=1e-12)
    h.backward()
    # dH/dc ~ 1/scale: beyond float64 for subnormal centres, where ±inf is its rounded
    # value (as the fuzz judge allows at subnormal inputs); never NaN
    assert not bool(torch.isnan(ct.grad).any())
    if scale > 1e-300:
        assert bool(torch.isfinite(ct.grad).all())


@pytest.mark.parametrize(("dtype", "scale"), [(torch.float32, 1e-23), (torch.float64, 2.0**-600)])
def test_tiny_cosine_centres_get_gradients_scaled_as_one_over_the_scale(dtype, scale, device):
    """c/||c|| is scale-invariant: dH/dc at s·c is dH/dc at c over s."""
    rng = np.random.default_rng(10)
    z = torch.tensor(rng.standard_normal((70, 4)), dtype=dtype, device=device)
    c0 = rng.standard_normal((8, 4))
    grads = []
    for s in (1.0, scale):
        ct = torch.tensor(c0 * s, dtype=dtype, device=device, requires_grad=True)
        st.entropy(z, centres=ct, temperature=0.25).backward()
        grads.append(host(ct.grad).astype(np.float64) * s)
    assert np.isfinite(grads[1]).all()
    tol = 1e-4 if dtype == torch.float32 else 1e-10
    np.testing.assert_allclose(grads[1], grads[0], rtol=tol, atol=tol * np.abs(grads[0]).max())


def test_zero_cosine_centres_are_still_refused():
    with pytest.raises(ValueError, match=r"centres must be non-zero rows for metric='cosine'"):
        softent.entropy(np.ones((5, 2)), centres=np.array([[1.0, 0.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match=r"centres must be non-zero rows for metric='cosine'"):
        st.entropy(torch.ones(5, 2), centres=torch.tensor([[1.0, 0.0], [0.0, 0.0]]))


def test_inputs_are_not_modified():
    rng = np.random.default_rng(11)
    z = torch.tensor(rng.standard_normal((20, 3)), requires_grad=True)
    c = torch.tensor(rng.standard_normal((5, 3)) * 1e-170, requires_grad=True)
    z0, c0 = z.detach().clone(), c.detach().clone()
    st.entropy(z, centres=c, temperature=_t(1e-300)).backward()
    assert torch.equal(z.detach(), z0)
    assert torch.equal(c.detach(), c0)
