"""softent.torch: differentiable H(Z), H(Z|L), I(Z;L) through the fused C++ backward kernels.

Checked by torch.autograd.gradcheck (float64) and against a plain-torch reference that
materialises every score and soft assignment (N x B), with shared random cotangents. The
comparisons with the reference and with the CPU kernel run on every device (``device``
fixture: torch tensors in CPU memory on "cpu", in GPU memory on "cuda")."""

from __future__ import annotations

import math

import numpy as np
import pytest
from cases import METRICS, TEMPERATURES

torch = pytest.importorskip("torch")

import softent
import softent.torch as st
from reference.soft import torch_information as reference_information

#: the registered custom op (importing softent.torch registers it): (histograms, dots)
soft_histogram_op = torch.ops.softent.soft_histogram

# ----------------------------------------------------------------------------- reference


def val(t) -> float:
    return float(t.detach())


@pytest.fixture
def small():
    g = torch.Generator().manual_seed(3)
    n, d, b, k = 37, 5, 7, 4
    means = torch.randn(k, d, generator=g, dtype=torch.float64) * 2
    labels = torch.randint(0, k, (n,), generator=g)
    z = means[labels] + torch.randn(n, d, generator=g, dtype=torch.float64)
    c = torch.randn(b, d, generator=g, dtype=torch.float64) * 2
    return z, labels, c


# ----------------------------------------------------------------------------- gradcheck


@pytest.mark.gradcheck
@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("case", ["entropy", "labels", "masked", "uniform"])
def test_gradcheck(small, metric, case):
    z, labels, c = small
    labels = labels.clone()
    if case == "masked":
        labels[::5] = -1
    t0 = TEMPERATURES[metric]

    def f(z, c, t):
        if case == "entropy":
            return st.entropy(z, centres=c, metric=metric, temperature=t)
        info = st.information(
            z,
            labels,
            centres=c,
            metric=metric,
            temperature=t,
            weighting="uniform" if case == "uniform" else "weighted",
            ignore_index=-1 if case == "masked" else None,
        )
        # every output, so every path of the backward is checked
        return (
            info.entropy
            + 2 * info.conditional_entropy
            + 3 * info.mutual_information
            + info.label_entropies.sum()
        )

    zz = z.clone().requires_grad_()
    cc = c.clone().requires_grad_()
    tt = torch.tensor(t0, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(f, (zz, cc, tt))


@pytest.mark.gradcheck
def test_gradcheck_of_the_operator_on_every_histogram_row(small):
    """The raw op: a cotangent on every histogram row (two label sets of slots); the kept
    dots are not differentiated through, so only the histograms are checked."""
    z, labels, c = small
    slots = torch.stack([labels + 1, torch.where(labels % 2 == 0, 5, 6)]).to(torch.int32)
    for metric, keep_dots in zip(range(4), (True, False, True, False), strict=False):

        def f(z, c, csq, inv_t, metric=metric, keep_dots=keep_dots):
            return soft_histogram_op(z, c, csq, slots, inv_t, 7, metric, 0, keep_dots)[0]

        inputs = (
            z.clone().requires_grad_(),
            c.clone().requires_grad_(),
            (c**2).sum(1).requires_grad_(),
            torch.tensor(0.7, dtype=torch.float64, requires_grad=True),
        )
        assert torch.autograd.gradcheck(f, inputs)


# ----------------------------------------------------------------------------- vs plain torch


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("weighting", ["weighted", "uniform"])
def test_float32_gradients_match_plain_torch(clustered, metric, weighting, device):
    """Shared random cotangents on every output; z, centres and T gradients to 1e-5."""
    z_np, labels_np, c_np = clustered
    labels_np = labels_np.copy()
    labels_np[::9] = -1
    t0 = TEMPERATURES[metric]
    g = torch.Generator().manual_seed(11)
    w = torch.randn(3, generator=g, dtype=torch.float64).to(device)
    wk = torch.randn(6, generator=g, dtype=torch.float64).to(device)
    f32 = {"dtype": torch.float32, "device": device, "requires_grad": True}
    grads = []
    for impl in ("softent", "reference"):
        z = torch.tensor(z_np, **f32)
        c = torch.tensor(c_np, **f32)
        t = torch.tensor(t0, **f32)
        labels = torch.tensor(labels_np, device=device)
        if impl == "softent":
            info = st.information(
                z,
                labels,
                centres=c,
                metric=metric,
                temperature=t,
                weighting=weighting,
                ignore_index=-1,
            )
            outs = (
                info.entropy,
                info.conditional_entropy,
                info.mutual_information,
                info.label_entropies,
            )
            assert info.mutual_information.device == z.device
        else:
            outs = reference_information(z, labels, c, metric, t, weighting)
        loss = (
            sum(wi * o.double() for wi, o in zip(w, outs[:3], strict=False))
            + (wk * outs[3].double()).sum()
        )
        loss.backward()
        grads.append(
            (
                z.grad.double().cpu(),
                c.grad.double().cpu(),
                t.grad.double().cpu(),
                [float(o.detach().sum()) for o in outs],
            )
        )
    (gz, gc, gt, vals), (rz, rc, rt, rvals) = grads
    np.testing.assert_allclose(vals, rvals, rtol=1e-5, atol=1e-6)
    for got, ref in ((gz, rz), (gc, rc), (gt, rt)):
        assert float((got - ref).norm() / ref.norm()) < 1e-5


@pytest.mark.parametrize("metric", METRICS)
def test_values_equal_the_numpy_api(clustered, metric):
    z, labels, c = clustered
    t = TEMPERATURES[metric]
    info = st.information(
        torch.tensor(z), torch.tensor(labels), centres=c, metric=metric, temperature=t, base=2
    )
    ref = softent.information(z, labels, centres=c, metric=metric, temperature=t, base=2)
    for name in ("entropy", "conditional_entropy", "mutual_information"):
        assert float(getattr(info, name)) == pytest.approx(getattr(ref, name), rel=1e-12)
    np.testing.assert_allclose(info.label_entropies.numpy(), ref.label_entropies, rtol=1e-12)
    np.testing.assert_array_equal(info.label_values, ref.label_values)
    h = st.entropy(torch.tensor(z), centres=c, metric=metric, temperature=t)
    assert float(h) == pytest.approx(
        softent.entropy(z, centres=c, metric=metric, temperature=t), rel=1e-12
    )


def test_defaults_match_the_published_method(clustered):
    """Default bins/temperature = softent.information's (spherical, B=100, calibrated)."""
    z, labels, _ = clustered
    got = st.information(torch.tensor(z), labels)
    ref = softent.information(z, labels)
    assert float(got.mutual_information) == pytest.approx(ref.mutual_information, rel=1e-12)
    assert float(got.temperature) == pytest.approx(ref.histogram.temperature)


def test_string_labels_and_coded_labels_agree(clustered):
    z, labels, c = clustered
    zt = torch.tensor(z, requires_grad=True)
    names = np.array(["a", "b", "c", "d", "e", "f"])[labels]
    a = st.mutual_information(zt, names, centres=c)
    b = st.mutual_information(zt, torch.tensor(labels), centres=c, n_labels=8)  # 2 absent labels
    assert val(a) == pytest.approx(val(b), rel=1e-12)
    (ga,) = torch.autograd.grad(a, zt)
    (gb,) = torch.autograd.grad(b, zt)
    torch.testing.assert_close(ga, gb, rtol=1e-10, atol=1e-14)


def test_low_precision_inputs_are_computed_in_float32(clustered):
    z, labels, c = clustered
    for dtype in (torch.float16, torch.bfloat16):
        zt = torch.tensor(z, dtype=dtype, requires_grad=True)
        mi = st.mutual_information(zt, labels, centres=c, temperature=0.3)
        mi.backward()
        assert zt.grad.dtype == dtype
        assert bool(torch.isfinite(zt.grad.float()).all())
        ref = softent.mutual_information(
            zt.detach().float().numpy(), labels, centres=c, temperature=0.3
        )
        assert val(mi) == pytest.approx(ref, rel=1e-6)


def test_tiny_temperature_keeps_gradients_finite(clustered):
    """Bins whose mass underflows to exactly 0 must not turn the gradient into NaN."""
    z, _labels, c = clustered
    zt = torch.tensor(z, dtype=torch.float32, requires_grad=True)
    h = st.entropy(zt, centres=c, metric="sqeuclidean", temperature=0.05)
    h.backward()
    assert bool(torch.isfinite(zt.grad).all())


@pytest.mark.parametrize("metric", METRICS)
def test_kept_dots_and_recomputed_dots_give_the_same_gradients(clustered, metric):
    """The backward with the forward's [N, B] dots (small inputs) and the one that
    recomputes them tile by tile (cache budget 0) agree."""
    z, labels, c = clustered
    grads = []
    for budget in (64 << 20, 0):
        previous = st.set_backward_cache_bytes(budget)
        try:
            zt = torch.tensor(z, dtype=torch.float32, requires_grad=True)
            ct = torch.tensor(c, dtype=torch.float32, requires_grad=True)
            info = st.information(
                zt, labels, centres=ct, metric=metric, temperature=TEMPERATURES[metric]
            )
            (info.mutual_information - info.entropy).backward()
            grads.append((zt.grad, ct.grad))
        finally:
            st.set_backward_cache_bytes(previous)
    torch.testing.assert_close(grads[0][0], grads[1][0], rtol=1e-6, atol=1e-9)
    torch.testing.assert_close(grads[0][1], grads[1][1], rtol=1e-6, atol=1e-9)
    with pytest.raises(ValueError, match="nbytes must be an int >= 0"):
        st.set_backward_cache_bytes(-1)


def test_only_requested_gradients_are_computed(small):
    z, labels, c = small
    zz = z.clone().requires_grad_()
    st.mutual_information(zz, labels, centres=c).backward()  # numpy centres: constants
    assert zz.grad is not None
    assert bool(zz.grad.abs().sum() > 0)
    cc = c.clone().requires_grad_()
    st.mutual_information(z, labels, centres=cc, metric="euclidean").backward()
    assert cc.grad is not None
    assert z.grad is None


# ----------------------------------------------------------------------------- torch machinery


def test_opcheck():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(41, 6, generator=g)
    c = torch.nn.functional.normalize(torch.randn(9, 6, generator=g), dim=1)
    csq = (c.double() ** 2).sum(1)
    labels = torch.randint(-1, 3, (41,), generator=g)
    slots = torch.where(labels >= 0, labels + 1, -1).to(torch.int32).reshape(1, -1)
    inv_t = torch.tensor(4.0, dtype=torch.float64)
    for dtype in (torch.float32, torch.float64):
        for metric in range(4):
            for keep_dots in (False, True):
                args = (
                    z.to(dtype).clone().requires_grad_(),
                    c.to(dtype).clone().requires_grad_(),
                    csq.clone().requires_grad_(),
                    slots,
                    inv_t.clone().requires_grad_(),
                    4,
                    metric,
                    0,
                    keep_dots,
                )
                torch.library.opcheck(soft_histogram_op, args)
    no_slots = torch.zeros((0, 41), dtype=torch.int32)
    torch.library.opcheck(soft_histogram_op, (z, c, csq, no_slots, inv_t, 1, 2, 0, False))


# Inductor's own import of torch.jit warns in torch 2.13 (not softent's code).
@pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")
def test_torch_compile_fullgraph():
    g = torch.Generator().manual_seed(1)
    z = torch.randn(300, 8, generator=g, requires_grad=True)
    y = torch.randint(-1, 4, (300,), generator=g)
    c = torch.randn(10, 8, generator=g)

    def objective(z, y, c):
        info = st.information(z, y, centres=c, temperature=0.2, n_labels=4, ignore_index=-1)
        return info.mutual_information - 0.1 * info.entropy

    compiled = torch.compile(objective, fullgraph=True)
    out = compiled(z, y, c)
    (g_compiled,) = torch.autograd.grad(out, z)
    ref = objective(z, y, c)
    (g_eager,) = torch.autograd.grad(ref, z)
    assert val(out) == pytest.approx(val(ref), rel=1e-6)
    torch.testing.assert_close(g_compiled, g_eager, rtol=1e-5, atol=1e-8)


def test_double_backward_is_refused(small):
    z, labels, c = small
    zz = z.clone().requires_grad_()
    mi = st.mutual_information(zz, labels, centres=c)
    (gz,) = torch.autograd.grad(mi, zz, create_graph=True)
    with pytest.raises(RuntimeError, match="double backward"):
        gz.sum().backward()


def test_inputs_are_not_modified(small):
    z, labels, c = small
    zz, cc = z.clone().requires_grad_(), c.clone().requires_grad_()
    before = (zz.detach().clone(), cc.detach().clone(), labels.clone())
    st.mutual_information(zz, labels, centres=cc, metric="euclidean").backward()
    assert torch.equal(zz.detach(), before[0])
    assert torch.equal(cc.detach(), before[1])
    assert torch.equal(labels, before[2])


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda z, y, c: st.entropy(z.numpy(), centres=c), TypeError, "z must be a torch.Tensor"),
        (lambda z, y, c: st.entropy(z.int(), centres=c), TypeError, "z must be a floating-point"),
        (lambda z, y, c: st.entropy(z[0], centres=c), ValueError, r"z must be a 2-D tensor"),
        (lambda z, y, c: st.entropy(z[:0], centres=c), ValueError, "z must be non-empty"),
        (lambda z, y, c: st.entropy(z, centres=c[:, :3]), ValueError, "centres must be"),
        (
            lambda z, y, c: st.entropy(z, centres=c, temperature=torch.tensor(-1.0)),
            ValueError,
            "temperature must be finite and > 0",
        ),
        (
            lambda z, y, c: st.entropy(z, centres=c, temperature=0.0),
            ValueError,
            "temperature must be",
        ),
        (lambda z, y, c: st.mutual_information(z, y[:-1], centres=c), ValueError, "labels"),
        (lambda z, y, c: st.mutual_information(z, None, centres=c), ValueError, "labels must be"),
        (
            lambda z, y, c: st.mutual_information(z, y, centres=c, n_labels=2),
            ValueError,
            r"labels must be in 0..1",
        ),
        (
            lambda z, y, c: st.mutual_information(z, y, centres=c, weighting="x"),
            ValueError,
            "weighting",
        ),
        (lambda z, y, c: st.mutual_information(z, y, centres=c, base=1), ValueError, "base"),
        (lambda z, y, c: st.entropy(z, centres=c, metric="manhattan"), ValueError, "metric"),
        (
            lambda z, y, c: st.entropy(torch.full_like(z, math.nan), centres=c),
            ValueError,
            "NaN/Inf in row 0",
        ),
        (
            lambda z, y, c: st.entropy(z, centres=torch.full_like(torch.as_tensor(c), math.inf)),
            ValueError,
            "centres must be finite",
        ),
    ],
)
def test_bad_input(small, call, error, match):
    z, labels, c = small
    with pytest.raises(error, match=match):
        call(z, labels, c)


@pytest.mark.parametrize("metric", METRICS)
def test_float64_gradients_on_each_device_equal_the_cpu_kernel(clustered, metric, device):
    """The kernel on ``device`` gives the CPU kernel's values and gradients (on "cpu": a
    second run gives the same numbers, the CPU reduction being deterministic)."""
    z, labels, c = clustered
    grads = []
    for where in ("cpu", device):
        zt = torch.tensor(z, device=where, requires_grad=True)
        ct = torch.tensor(c, device=where, requires_grad=True)
        info = st.information(
            zt,
            torch.tensor(labels, device=where),
            centres=ct,
            metric=metric,
            temperature=TEMPERATURES[metric],
        )
        (info.mutual_information + info.entropy).backward()
        assert info.mutual_information.device.type == where
        grads.append((zt.grad.cpu(), ct.grad.cpu(), val(info.mutual_information)))
    torch.testing.assert_close(grads[1][0], grads[0][0], rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(grads[1][1], grads[0][1], rtol=1e-9, atol=1e-12)
    assert grads[1][2] == pytest.approx(grads[0][2], rel=1e-10)


def test_top_level_scalars_are_differentiable_for_tensors_that_require_grad(clustered):
    z, labels, c = clustered
    for fn, args in (
        (softent.entropy, ()),
        (softent.mutual_information, (labels,)),
        (softent.conditional_entropy, (labels,)),
    ):
        zt = torch.tensor(z, requires_grad=True)
        out = fn(zt, *args, centres=c, temperature=0.2)
        (g,) = torch.autograd.grad(out, zt)
        assert bool(g.abs().sum() > 0)
        with torch.no_grad():
            plain = fn(zt, *args, centres=c, temperature=0.2)
        assert not plain.requires_grad
        assert val(out) == pytest.approx(val(plain), rel=1e-12)


def test_torch_information_repr_is_short_and_names_the_numbers(clustered):
    z, labels, c = clustered
    zt = torch.tensor(z, requires_grad=True)
    info = st.information(zt, torch.tensor(labels), centres=c, temperature=0.1, base=2)
    text = repr(info)
    assert "\n" not in text
    assert len(text) < 200, text
    assert "tensor(" not in text, text
    assert text == (
        f"TorchInformation(H={val(info.entropy):.4g} bits, "
        f"H(Z|L)={val(info.conditional_entropy):.4g}, I={val(info.mutual_information):.4g}, "
        f"N={z.shape[0]}, B={c.shape[0]} cosine, T=0.1, labels=6, device=cpu)"
    )
