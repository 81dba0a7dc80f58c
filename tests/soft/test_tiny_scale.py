"""Euclidean metrics on data of tiny or huge scale (issue 16 fuzz class
float32_euclidean_underflow).

The kernels form -||z - c|| (sqeuclidean: 2<z, c> - ||c||^2) from dots and squared norms in
the data's dtype; float32 data of scale ~1e-23 has squared distances ~1e-46, below float32's
range, which gave a silently wrong H (0.49 nats instead of 1.05) and a NaN gradient, and data
of scale ~1e19 had squares beyond it (its rows were refused). The op now reads rows and
centres multiplied by a power of two k as its kernels load them (SoftHistParams::row_scale,
computed inside the op from the centres' and, when they are tiny or huge, the rows' spread),
with 1/T divided by k (k^2 for sqeuclidean) and the gradients multiplied back, so:

- float32 data of scale 1e-20, 1e-25, 1e-30, 1e18 and 1e25 gives the numbers (H, H(Z|L), I
  and every gradient: rows, centres, temperature) of the same values scaled up by a power of
  two to scale ~1 in float64, and of the plain float64 reference (tests/reference/soft.py),
  on the NumPy path (softent.information, Accumulator) and the torch path
  (softent.torch.information), on every device;
- scaling data, centres and T by a power of 2 (T by its square for sqeuclidean) leaves the
  numbers unchanged, down to float32 scale 2^-120 and float64 scale 2^-900;
- rows with NaN/Inf are still refused by row, and the caller's arrays are not modified.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import softent
from cases import host
from reference import soft as ref

torch = pytest.importorskip("torch")
import softent.torch as st

METRICS = ("euclidean", "sqeuclidean")
N, D, B = 64, 6, 5
LABELS = np.arange(N) % 4
#: the data scales of the finding and beyond (float32 squares leave its range below ~1e-19
#: and above ~1.8e19)
SCALES = (1e-20, 1e-25, 1e-30, 1e18, 1e25)


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(z [N, D], centres [B, D]) float64 of scale 1, exactly float32 values; the centres
    are no rows (at z = c the Euclidean gradient is a subgradient, rounding-dependent)."""
    rng = np.random.default_rng(seed)
    z, c = rng.normal(size=(N, D)), rng.normal(size=(B, D))
    return z.astype(np.float32).astype(np.float64), c.astype(np.float32).astype(np.float64)


def _power(metric: str) -> int:
    """The power of the data's scale in the scores (and so in T)."""
    return 1 if metric == "euclidean" else 2


def _temperature(metric: str, scale: float) -> float:
    # scores scale as `scale` (euclidean) or its square (sqeuclidean): T of a softmax that
    # is neither saturated nor uniform
    return 0.7 * scale if metric == "euclidean" else 1.5 * scale * scale


def _up(scale: float) -> float:
    """The power of two that brings data of ``scale`` to scale ~1 (exactly)."""
    return 2.0 ** -round(math.log2(scale))


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("metric", METRICS)
def test_numpy_float32_equals_float64_of_the_data_scaled_up(metric: str, scale: float):
    z, c = _data()
    z32 = (z * scale).astype(np.float32)
    c64 = c * scale
    t = _temperature(metric, scale)
    r32 = softent.information(z32, LABELS, centres=c64, metric=metric, temperature=t)
    # the same values, scaled up exactly to scale ~1, in float64
    k = _up(scale)
    z_up, c_up, t_up = z32.astype(np.float64) * k, c64 * k, t * k ** _power(metric)
    r_up = softent.information(z_up, LABELS, centres=c_up, metric=metric, temperature=t_up)
    h, hc, i, _ = ref.information(z_up, LABELS, c_up, metric, t_up)
    assert 0.5 < h < np.log(B)  # neither a saturated nor a uniform softmax: a real test
    for got, up, want in [
        (r32.entropy, r_up.entropy, h),
        (r32.conditional_entropy, r_up.conditional_entropy, hc),
        (r32.mutual_information, r_up.mutual_information, i),
    ]:
        assert got == pytest.approx(up, rel=1e-5, abs=1e-6)
        assert up == pytest.approx(want, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("metric", METRICS)
def test_accumulator_float32_equals_the_batch_result(metric: str, scale: float):
    """The streaming path (several updates, each scaled inside the op on its own)."""
    z, c = _data(5)
    z32 = (z * scale).astype(np.float32)
    kw = {"centres": c * scale, "metric": metric, "temperature": _temperature(metric, scale)}
    acc = softent.Accumulator(**kw)
    for rows in np.array_split(np.arange(N), 3):
        acc.update(z32[rows], LABELS[rows])
    batch = softent.information(z32.astype(np.float64), LABELS, **kw)
    assert acc.entropy() == pytest.approx(batch.entropy, rel=1e-5)
    assert acc.mutual_information() == pytest.approx(batch.mutual_information, rel=1e-5, abs=1e-6)


def test_the_fuzz_reproduction_scale_gives_the_float64_entropy():
    """The data of the finding (float32 randn * 1e-23, auto temperature and centres): float32
    gives the float64 H of the same values (the finding's data gave 0.49 nats against 1.05)."""
    g = torch.Generator().manual_seed(0)
    z32 = (torch.randn(64, 6, generator=g) * 1e-23).numpy()
    h32 = softent.entropy(z32, n_bins=3, metric="euclidean", seed=1)
    h64 = softent.entropy(z32.astype(np.float64), n_bins=3, metric="euclidean", seed=1)
    # the same data at scale ~1 (auto temperature and the data-box centres follow the scale)
    h1 = softent.entropy(z32.astype(np.float64) * 2.0**76, n_bins=3, metric="euclidean", seed=1)
    assert h32 == pytest.approx(h64, rel=1e-5)
    assert h64 == pytest.approx(h1, rel=1e-9)
    assert 0.5 < h1 < np.log(3)


def _torch_grads(
    z: np.ndarray,
    c: np.ndarray,
    t: float,
    metric: str,
    dtype,
    reference: bool,
    device: str = "cpu",
):
    """(H(Z|L), dL/dz, dL/dc, dL/dT) of L = H(Z|L) + H(Z) (both histograms' cotangents)."""
    zt = torch.tensor(z, dtype=dtype, device=device, requires_grad=True)
    ct = torch.tensor(c, dtype=dtype, device=device, requires_grad=True)
    tt = torch.tensor(t, dtype=torch.float64, requires_grad=True)
    labels = torch.tensor(LABELS, device=device)
    if reference:
        h, hc, _, _ = ref.torch_information(zt, labels, ct, metric, tt)
    else:
        r = st.information(zt, labels, centres=ct, metric=metric, temperature=tt)
        h, hc = r.entropy, r.conditional_entropy
    (hc + 0.5 * h).backward()
    return (
        float(hc.detach()),
        zt.grad.double().cpu().numpy(),
        ct.grad.double().cpu().numpy(),
        float(tt.grad),
    )


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("metric", METRICS)
def test_torch_float32_gradients_equal_float64_of_the_data_scaled_up(
    metric: str, scale: float, device
):
    z, c = _data(1)
    z32 = (z * scale).astype(np.float32)
    c32 = (c * scale).astype(np.float32)
    t = _temperature(metric, scale)
    h, gz, gc, gt = _torch_grads(z32, c32, t, metric, torch.float32, False, device)
    # the same values scaled up by k to scale ~1, in float64: z = z_up / k, so dL/dz =
    # k dL/dz_up (likewise c), and T = T_up / k^p, so dL/dT = k^p dL/dT_up
    k = _up(scale)
    p = _power(metric)
    z_up, c_up, t_up = z32.astype(np.float64) * k, c32.astype(np.float64) * k, t * k**p
    hu, gzu, gcu, gtu = _torch_grads(z_up, c_up, t_up, metric, torch.float64, False)
    hr, gzr, gcr, gtr = _torch_grads(z_up, c_up, t_up, metric, torch.float64, True)
    assert 0.5 < hr < np.log(B)
    assert h == pytest.approx(hu, rel=1e-5)
    assert hu == pytest.approx(hr, rel=1e-9)
    for got, up, want in [(gz, gzu, gzr), (gc, gcu, gcr)]:
        assert np.isfinite(got).all()
        np.testing.assert_allclose(up, want, rtol=0, atol=1e-9 * np.abs(want).max())
        # gradients of size ~1/scale: compared relative to their largest entry
        np.testing.assert_allclose(got, up * k, rtol=0, atol=1e-5 * np.abs(up * k).max())
    assert gtu == pytest.approx(gtr, rel=1e-8)
    assert gt == pytest.approx(gtu * k**p, rel=1e-4)


@pytest.mark.parametrize("metric", METRICS)
def test_tensor_input_float32_at_1e_23_matches_reference(metric: str, device):
    """The batch API with a float32 tensor on each device (the kernels' torch path)."""
    z, c = _data(4)
    z32 = (z * 1e-23).astype(np.float32)
    c64 = c * 1e-23
    t = _temperature(metric, 1e-23)
    zt = torch.tensor(z32, device=device)
    r = softent.information(zt, LABELS, centres=c64, metric=metric, temperature=t)
    h, hc, _, _ = ref.information(z32.astype(np.float64), LABELS, c64, metric, t)
    assert host(r.entropy) == pytest.approx(h, rel=1e-5)
    assert host(r.conditional_entropy) == pytest.approx(hc, rel=1e-5)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize(
    ("dtype", "exponent"), [(np.float32, -76), (np.float32, -120), (np.float64, -900)]
)
def test_power_of_two_scaling_leaves_the_numbers_unchanged(metric: str, dtype, exponent: int):
    """H(Z), H(Z|L) of (z, c, T) and of (z k, c k, T k^p) for k = 2^exponent (p = 1
    euclidean, 2 sqeuclidean) are the same numbers: the scaling is exact."""
    if metric == "sqeuclidean" and exponent < -500:
        exponent = -450  # T k^2 stays a normal float64
    k = 2.0**exponent
    z, c = _data(2)
    p = _power(metric)
    t = _temperature(metric, 1.0)
    zs, cs = (z * k).astype(dtype), c * k
    # the tiny data's own values scaled back (exact: a float32 subnormal scaled up loses
    # nothing), so both calls see the same numbers
    zback = (zs.astype(np.float64) / k).astype(dtype)
    plain = softent.information(zback, LABELS, centres=c, metric=metric, temperature=t)
    tiny = softent.information(zs, LABELS, centres=cs, metric=metric, temperature=t * k**p)
    assert tiny.entropy == pytest.approx(plain.entropy, rel=1e-5)
    assert tiny.conditional_entropy == pytest.approx(plain.conditional_entropy, rel=1e-5)


@pytest.mark.parametrize("metric", METRICS)
def test_tiny_centres_with_ordinary_rows_and_the_reverse_match_the_reference(metric: str):
    """Only the spread of rows and centres together decides the scale: tiny centres among
    ordinary rows (the rows are scanned, no scale) and ordinary centres among tiny rows (no
    scan) give the reference's numbers."""
    z, c = _data(6)
    t = _temperature(metric, 1.0)
    for zz, cc in [(z, c * 1e-25), (z * 1e-25, c)]:
        z32 = zz.astype(np.float32)
        r = softent.information(z32, LABELS, centres=cc, metric=metric, temperature=t)
        h, hc, _, _ = ref.information(z32.astype(np.float64), LABELS, cc, metric, t)
        assert r.entropy == pytest.approx(h, rel=1e-5, abs=1e-7)
        assert r.conditional_entropy == pytest.approx(hc, rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("metric", METRICS)
def test_a_nan_row_among_tiny_rows_is_still_refused_by_row(metric: str):
    z, c = _data(7)
    z32 = (z * 1e-25).astype(np.float32)
    z32[9, 2] = np.nan
    with pytest.raises(ValueError, match=r"softent\.information: z must be finite.*row 9"):
        softent.information(z32, LABELS, centres=c * 1e-25, metric=metric, temperature=1e-25)


def test_the_inputs_are_not_modified():
    z, c = _data(3)
    z32 = (z * 1e-23).astype(np.float32)
    zt = torch.tensor(z32, requires_grad=True)
    ct = torch.tensor((c * 1e-23).astype(np.float32), requires_grad=True)
    before, before_t, before_c = z32.copy(), zt.detach().clone(), ct.detach().clone()
    softent.information(z32, LABELS, metric="euclidean", n_bins=4, seed=0)
    st.information(zt, LABELS, metric="euclidean", centres=ct).entropy.backward()
    np.testing.assert_array_equal(z32, before)
    assert torch.equal(zt.detach(), before_t)
    assert torch.equal(ct.detach(), before_c)
    assert torch.isfinite(zt.grad).all()
    assert torch.isfinite(ct.grad).all()


# Inductor's own import of torch.jit warns in torch 2.13 (not softent's code).
@pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")
def test_torch_compile_fullgraph_at_tiny_scale():
    """The scale is chosen inside the op, so a compiled graph gets it too (a scale taken in
    Python around the op was skipped while torch.compile traced)."""
    z, c = _data(8)
    scale = 1e-25
    z32 = torch.tensor((z * scale).astype(np.float32), requires_grad=True)
    c32 = torch.tensor((c * scale).astype(np.float32))
    y = torch.tensor(LABELS)
    t = _temperature("euclidean", scale)

    def objective(z, y, c):
        info = st.information(z, y, centres=c, metric="euclidean", temperature=t, n_labels=4)
        return info.mutual_information - 0.1 * info.entropy

    out = torch.compile(objective, fullgraph=True)(z32, y, c32)
    (g_compiled,) = torch.autograd.grad(out, z32)
    k = _up(scale)
    z_up = (z32.detach().double() * k).requires_grad_()
    info = st.information(
        z_up, y, centres=c32.double() * k, metric="euclidean", temperature=t * k, n_labels=4
    )
    ref_out = info.mutual_information - 0.1 * info.entropy
    (g_up,) = torch.autograd.grad(ref_out, z_up)
    assert float(out.detach()) == pytest.approx(float(ref_out.detach()), rel=1e-5)
    assert torch.isfinite(g_compiled).all()
    np.testing.assert_allclose(
        g_compiled.double().numpy(),
        g_up.numpy() * k,
        rtol=0,
        atol=1e-5 * float(g_up.abs().max()) * k,
    )


@pytest.mark.parametrize("scale", [1e160, 1e200, 1e307])
def test_float64_euclidean_beyond_its_squares_gives_the_numbers_of_scale_one(scale: float):
    """float64 data whose squared distances overflow (refused before) gives, with its 'auto'
    temperature and data-box centres, the entropy of the same data at scale 1, NumPy and
    torch."""
    z = np.random.default_rng(2).normal(size=(8, 3)) * scale
    k = _up(scale)
    want = softent.entropy(z * k, metric="euclidean", n_bins=4)
    assert softent.entropy(z, metric="euclidean", n_bins=4) == pytest.approx(want, rel=1e-12)
    got = st.entropy(torch.tensor(z), metric="euclidean", n_bins=4)
    assert float(got) == pytest.approx(want, rel=1e-12)
