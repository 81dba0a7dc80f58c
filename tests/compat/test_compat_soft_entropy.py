"""softent.compat.soft_entropy: soft-entropy 0.1.5's functions and accumulator on softent's
kernels — checked against the plain reference (tests/reference/compat.py, the peer's
definitions in NumPy) on seeded data, on known answers, and for every documented
difference and error. Parity with the peer itself: tests/parity/test_soft_entropy_compat_parity.py.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import softent
from reference import compat as reference
from reference import soft as soft_reference
from softent.compat import soft_entropy as compat


def _data(n=600, d=12, k=4, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, n)
    z = rng.normal(size=(n, d)) + 1.2 * rng.normal(size=(k, d))[labels]
    return z, labels


CASES = [(300, 3, 2, 10), (600, 12, 4, 100), (900, 64, 7, 37)]


@pytest.mark.parametrize(("n", "d", "k", "b"), CASES)
@pytest.mark.parametrize("calibration", ["find_eps", "leading_order", "vmf"])
def test_numpy_functions_equal_the_plain_reference(n, d, k, b, calibration):
    z, labels = _data(n, d, k, seed=d)
    seed = 5
    method = {"find_eps": "vmf_bound", "leading_order": "leading_order", "vmf": "vmf"}
    eps = softent.calibrate_temperature(d, b, method[calibration])
    if calibration == "find_eps":
        assert eps == pytest.approx(reference.find_eps(b, d), rel=1e-12)
    points = reference.numpy_points(b, d, seed)
    h = compat.soft_entropy(z, b, seed, calibration)
    assert isinstance(h, float)
    assert h == pytest.approx(reference.soft_entropy(z, b, eps, points), rel=1e-10)
    mi = compat.soft_mutual_information(z, labels, b, seed, calibration)
    want = reference.soft_mutual_information(z, labels, b, eps, points)
    assert mi == pytest.approx(want, rel=1e-10, abs=1e-13)
    assert want > 0.01


@pytest.mark.parametrize(("m", "d"), [(10, 16), (100, 768), (2, 3), (1000, 5), (100, 20000)])
def test_find_eps_is_the_root_of_the_bound(m, d):
    eps = compat.find_eps(m, d)
    assert eps == pytest.approx(reference.find_eps(m, d), rel=1e-12)
    assert reference.psi_minus(eps, d) == pytest.approx(math.log(m), rel=1e-10)


def test_find_eps_refuses_where_the_bound_has_no_root_naming_d():
    # at d = 2 the bound stays below ln 10 (soft-entropy: ValueError too)
    with pytest.raises(ValueError, match=r"compat\.soft_entropy\.find_eps: d must be"):
        compat.find_eps(10, 2)
    with pytest.raises(ValueError, match=r"compat\.soft_entropy\.find_eps: d must be"):
        compat.soft_entropy(np.ones((5, 2)), n_bins=10)


def test_results_are_efficiencies_of_softents_nats():
    z, labels = _data()
    eps = compat.find_eps(100, 12)
    info = softent.information(z, labels, n_bins=100, seed=0, temperature=eps)
    assert compat.soft_entropy(z) * math.log(100) == pytest.approx(info.entropy, rel=1e-12)
    mi = compat.soft_mutual_information(z, labels) * math.log(100)
    assert mi == pytest.approx(info.mutual_information, rel=1e-10)


def test_every_label_value_is_a_label_minus_one_included():
    z, labels = _data(k=3)
    values = np.array([-1, 7, 3])[labels]
    renamed = np.array(["a", "b", "c"])[labels]
    want = compat.soft_mutual_information(z, labels)
    assert compat.soft_mutual_information(z, values) == pytest.approx(want, rel=1e-12)
    assert compat.soft_mutual_information(z, renamed) == pytest.approx(want, rel=1e-12)
    assert compat.soft_mutual_information(z, values.astype(float)) == pytest.approx(want, rel=1e-12)
    # softent masks -1 only when asked: a different quantity
    eps = compat.find_eps(100, 12)
    masked = softent.mutual_information(z, values, temperature=eps, ignore_index=-1)
    assert masked / math.log(100) != pytest.approx(want, rel=1e-3)


def test_known_answers_one_label_and_identical_rows_carry_no_information():
    z, _ = _data()
    assert compat.soft_mutual_information(z, np.zeros(len(z), int)) == pytest.approx(0, abs=1e-15)
    same = np.repeat(z[:1], 50, axis=0)
    assert compat.soft_mutual_information(same, np.arange(50) % 3) == pytest.approx(0, abs=1e-14)
    # rows spread uniformly over the sphere fill every bin: efficiency near 1; one
    # direction fills them as one kernel does (lower)
    sphere = np.random.default_rng(1).normal(size=(20000, 3))
    assert compat.soft_entropy(sphere, n_bins=10) > 0.9
    assert compat.soft_entropy(same, n_bins=10) < 0.7


def test_a_generator_seed_draws_the_points_once():
    z, labels = _data()
    by_int = compat.soft_mutual_information(z, labels, 40, 3)
    by_gen = compat.soft_mutual_information(z, labels, 40, np.random.default_rng(3))
    assert by_gen == pytest.approx(by_int, rel=1e-12)
    assert compat.soft_entropy(z, 40, np.random.default_rng(3)) == compat.soft_entropy(z, 40, 3)


def test_seed_none_draws_fresh_points():
    z, _ = _data()
    assert 0 < compat.soft_entropy(z, 40, None) <= 1


def test_inputs_are_not_modified():
    z, labels = _data()
    z0, l0 = z.copy(), labels.copy()
    compat.soft_entropy(z)
    compat.soft_mutual_information(z, labels)
    acc = compat.SoftEntropyAccumulator(12)
    acc.update(z, {"a": labels})
    acc.results()
    np.testing.assert_array_equal(z, z0)
    np.testing.assert_array_equal(labels, l0)


@pytest.mark.parametrize(
    ("call", "arg", "exc"),
    [
        (lambda z, l: compat.soft_entropy(z, calibration="find-eps"), "calibration", ValueError),
        (lambda z, l: compat.soft_entropy(z, n_bins=1), "n_bins", ValueError),
        (lambda z, l: compat.soft_entropy(z, n_bins=2.5), "n_bins", TypeError),
        (lambda z, l: compat.soft_entropy(z[:, 0]), "z", ValueError),
        (lambda z, l: compat.soft_entropy(z[:, :1]), "z", ValueError),
        (lambda z, l: compat.soft_entropy(z, seed=-1), "seed", TypeError),
        (lambda z, l: compat.soft_mutual_information(z, l[:-1]), "labels", ValueError),
        (lambda z, l: compat.soft_mutual_information(z, l * np.nan), "labels", ValueError),
        (lambda z, l: compat.find_eps(10, 16, (0.1, 0.5)), "eps_range", ValueError),
        (lambda z, l: compat.find_eps(10, 16, (0.5, 0.1)), "eps_range", ValueError),
        (lambda z, l: compat.find_eps(10, 16, "wide"), "eps_range", TypeError),
        (lambda z, l: compat.find_eps(1, 16), "m", ValueError),
        (lambda z, l: compat.pytorch_soft_entropy(z), "z", TypeError),
        (lambda z, l: compat.SoftEntropyAccumulator(1), "d", ValueError),
        (lambda z, l: compat.SoftEntropyAccumulator(12, backend="cupy"), "backend", ValueError),
        (lambda z, l: compat.SoftEntropyAccumulator(12, seed=-2), "seed", TypeError),
    ],
)
def test_bad_arguments_are_refused_naming_them(call, arg, exc):
    z, labels = _data()
    with pytest.raises(exc, match=f"softent.compat.soft_entropy.*: {arg} must be"):
        call(z, labels)


def test_a_zero_row_is_assigned_uniformly_not_nan():
    z, _ = _data()
    z[3] = 0  # soft-entropy's NumPy backend: NaN; its torch backend (F.normalize): uniform
    eps, points = compat.find_eps(100, 12), reference.numpy_points(100, 12, 0)
    assert compat.soft_entropy(z) == pytest.approx(
        reference.soft_entropy(z, 100, eps, points), rel=1e-10
    )


# --------------------------------------------------------------------------- torch


def _torch_points(torch, n_bins, d, seed, dtype):
    g = torch.Generator().manual_seed(seed)  # soft-entropy's: randn from a seeded Generator
    w = torch.randn(n_bins, d, generator=g)
    return (w / w.norm(dim=1, keepdim=True)).to(dtype)


def test_torch_functions_equal_the_reference_in_float64_and_are_differentiable():
    torch = pytest.importorskip("torch")
    z, labels = _data()
    b, eps = 30, compat.find_eps(30, 12)
    w = _torch_points(torch, b, 12, 4, torch.float64)
    zt = torch.tensor(z, requires_grad=True)
    h = compat.pytorch_soft_entropy(zt, b, 4)
    assert h.dtype == torch.float64  # soft-entropy's torch backend refuses float64
    (grad,) = torch.autograd.grad(h, zt)
    zr = torch.tensor(z, requires_grad=True)
    want = soft_reference.torch_entropy(zr, w, "cosine", eps) / math.log(b)
    (want_grad,) = torch.autograd.grad(want, zr)
    assert float(h.detach()) == pytest.approx(float(want.detach()), rel=1e-10)
    torch.testing.assert_close(grad, want_grad, rtol=1e-8, atol=1e-12)
    mi = compat.pytorch_soft_mutual_information(torch.tensor(z), torch.tensor(labels), b)
    ref_mi = reference.soft_mutual_information(
        z, labels, b, eps, _torch_points(torch, b, 12, 0, torch.float64).numpy()
    )
    assert float(mi) == pytest.approx(ref_mi, rel=1e-10)


# --------------------------------------------------------------------------- accumulator


def _stream(acc, z, sets, cuts=(0, 170, 171, 430, 600)):
    for lo, hi in itertools.pairwise(cuts):
        acc.update(z[lo:hi], {k: v[lo:hi] for k, v in sets.items()})
    return acc


def test_accumulator_equals_the_reference_on_its_points_in_any_chunking():
    z, labels = _data()
    sets = {"cls": labels * 5 - 1, "parity": labels % 2}
    acc = _stream(compat.SoftEntropyAccumulator(12, n_bins=25, seed=1), z, sets)
    assert acc.w.dtype == np.float32  # soft-entropy's NumPy points, float32
    np.testing.assert_array_equal(
        acc.w, _stream(compat.SoftEntropyAccumulator(12, n_bins=25, seed=1), z, sets).w
    )
    one = compat.SoftEntropyAccumulator(12, n_bins=25, seed=1)
    one.update(z, sets)
    points = acc.w.astype(np.float64)
    got = acc.results()
    for key, value in one.results().items():
        assert got[key] == pytest.approx(value, rel=1e-12)
    assert got["H(Z)"] == pytest.approx(reference.soft_entropy(z, 25, acc.temp, points), rel=1e-10)
    for name, values in sets.items():
        want = reference.soft_mutual_information(z, values, 25, acc.temp, points)
        assert got[f"I(X;Z)/{name}"] == pytest.approx(want, rel=1e-10)
        assert got[f"regularity/{name}"] == pytest.approx(want / got["H(Z)"], rel=1e-10)
    cond = acc.conditional_entropy()["cls"]
    assert list(cond) == [-1, 4, 9, 14]  # soft-entropy's order: first appearance, sorted in a batch
    for value, h in cond.items():
        rows = sets["cls"] == value
        assert h == pytest.approx(reference.soft_entropy(z[rows], 25, acc.temp, points), rel=1e-10)


def test_accumulator_one_array_is_the_labels_set_and_first_appearance_orders_values():
    z, labels = _data()
    acc = compat.SoftEntropyAccumulator(12, n_bins=20)
    acc.update(z[:10], np.full(10, 8))
    acc.update(z[10:], labels[10:])
    assert list(acc.results()) == ["H(Z)", "I(X;Z)/labels", "regularity/labels"]
    assert list(acc.conditional_entropy()["labels"]) == [8, 0, 1, 2, 3]


def test_a_set_missing_from_some_updates_is_measured_over_its_labelled_rows():
    z, labels = _data()
    acc = compat.SoftEntropyAccumulator(12, n_bins=20)
    acc.update(z[:200])
    acc.update(z[200:], {"cls": labels[200:]})
    points = acc.w.astype(np.float64)
    assert acc.entropy() == pytest.approx(
        reference.soft_entropy(z, 20, acc.temp, points), rel=1e-10
    )
    want = reference.soft_mutual_information(z[200:], labels[200:], 20, acc.temp, points)
    assert acc.mutual_information()["cls"] == pytest.approx(want, rel=1e-10)


def test_accumulator_in_nats_through_as_softent():
    z, labels = _data()
    acc = compat.SoftEntropyAccumulator(12, n_bins=20)
    acc.update(z, labels)
    nats = acc.as_softent().mutual_information("labels")
    assert nats / math.log(20) == pytest.approx(acc.mutual_information()["labels"], rel=1e-12)


def test_a_refused_update_changes_nothing_and_empty_results_are_refused():
    z, labels = _data()
    acc = compat.SoftEntropyAccumulator(12, n_bins=20)
    with pytest.raises(ValueError, match="the accumulator must be non-empty"):
        acc.entropy()
    acc.update(z[:100], {"cls": labels[:100]})
    before = acc.results()
    bad = z[100:200].copy()
    bad[5, 0] = np.nan
    with pytest.raises(ValueError, match="row 5"):
        acc.update(bad, {"cls": labels[100:200] + 50})
    with pytest.raises(ValueError, match=r"labels\['cls'\] must be"):
        acc.update(z[100:200], {"cls": labels[100:150]})
    with pytest.raises(TypeError, match="labels must be a dict keyed by label-set names"):
        acc.update(z[100:200], {3: labels[100:200]})
    assert acc.results() == before
    assert list(acc.conditional_entropy()["cls"]) == [0, 1, 2, 3]
    acc.reset()
    with pytest.raises(ValueError, match="non-empty"):
        acc.results()
    assert "n_rows=0" in repr(acc)


def test_torch_backend_draws_soft_entropys_torch_points():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available() or torch.backends.mps.is_available():
        pytest.skip("soft-entropy draws on the accelerator there (another generator)")
    z, labels = _data()
    acc = compat.SoftEntropyAccumulator(12, n_bins=20, seed=2, backend="torch")
    torch.testing.assert_close(
        acc.w, _torch_points(torch, 20, 12, 2, torch.float32), rtol=0, atol=0
    )
    acc.update(torch.tensor(z, dtype=torch.float32), torch.tensor(labels))
    want = reference.soft_mutual_information(z, labels, 20, acc.temp, acc.w.double().numpy())
    assert acc.mutual_information()["labels"] == pytest.approx(want, rel=1e-5)


def test_jax_backend_needs_jax():
    try:
        import jax  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="backend must be 'numpy' or 'torch'"):
            compat.SoftEntropyAccumulator(12, backend="jax")
    else:  # pragma: no cover - jax is not a test dependency
        acc = compat.SoftEntropyAccumulator(12, backend="jax")
        assert acc.w.shape == (100, 12)
