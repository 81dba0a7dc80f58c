"""softent.discrete.tables: information of probability tables and counts.

Checked against known answers (uniform, point mass, identical and independent variables,
chain rules), the plain cell-by-cell formulas of tests/reference/discrete_tables.py, the
worked examples of d2l.ai's "Information Theory" chapter, SciPy (stats.entropy,
special.rel_entr / kl_div, spatial.distance.jensenshannon), scikit-learn
(mutual_info_score) and torch (nll_loss); torch results equal NumPy's on every device,
are differentiable (gradcheck, float64) with finite gradients at zero cells, and every bad
input is refused naming the argument.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from reference import discrete_tables as ref
from softent.discrete.tables import (
    conditional_entropy,
    cross_entropy,
    entropy,
    joint_entropy,
    js_divergence,
    kl_divergence,
    mutual_information,
    self_information,
)

RTOL = 1e-12
LN2 = math.log(2.0)

# the worked examples of d2l.ai, "Information Theory" (appendix, mathematics for deep learning)
D2L_P = [0.1, 0.5, 0.1, 0.3]
D2L_JOINT = [[0.1, 0.5], [0.1, 0.3]]
D2L_COND_TABLE = [[0.1, 0.5], [0.2, 0.3]]  # sums to 1.1: not a probability table
D2L_COND_PX = [0.2, 0.8]
D2L_MI_PX, D2L_MI_PY = [0.2, 0.8], [[0.75, 0.25]]
D2L_PREDS = [[0.3, 0.6, 0.1], [0.2, 0.3, 0.5]]
D2L_LABELS = [0, 2]


def torch_or_skip():
    return pytest.importorskip("torch")


# ----------------------------------------------------------------------------- known answers


@pytest.mark.parametrize("k", [1, 2, 7, 100])
def test_a_uniform_distribution_carries_log_k(k):
    p = np.full(k, 1.0 / k)
    assert entropy(p) == pytest.approx(math.log(k), rel=RTOL, abs=1e-15)
    assert entropy(p, base=2) == pytest.approx(math.log2(k), rel=RTOL, abs=1e-15)
    # counts are normalised: k equal counts are the same distribution
    assert entropy(np.full(k, 3)) == pytest.approx(math.log(k), rel=RTOL, abs=1e-15)
    assert joint_entropy(np.full((k, 3), 1.0 / (3 * k))) == pytest.approx(math.log(3 * k), rel=RTOL)


def test_a_point_mass_has_zero_entropy():
    for k in (1, 2, 9):
        for where in (0, k - 1):
            p = np.zeros(k)
            p[where] = 1.0
            assert entropy(p) == 0.0
            assert self_information(p[where]) == 0.0
            # +0.0, not the -0.0 of -log 1
            assert math.copysign(1.0, entropy(p)) == 1.0
            assert math.copysign(1.0, self_information(p[where])) == 1.0


def test_a_variable_shares_all_its_information_with_itself():
    """A diagonal table: Y = X, so I(X;X) = H(X) = H(X, X) and H(X|X) = 0."""
    p = ref.random_distributions(6, seed=1)
    diag = np.diag(p)
    h = entropy(p)
    assert mutual_information(diag) == pytest.approx(h, rel=RTOL)
    assert joint_entropy(diag) == pytest.approx(h, rel=RTOL)
    assert conditional_entropy(diag) == pytest.approx(0.0, abs=1e-15)
    assert conditional_entropy(diag, given=-1) == pytest.approx(0.0, abs=1e-15)


def test_independent_variables_share_no_information():
    px = ref.random_distributions(5, seed=2)
    py = ref.random_distributions(7, seed=3)
    table = np.outer(px, py)
    assert mutual_information(table) == pytest.approx(0.0, abs=1e-12)
    assert mutual_information(table) >= 0.0  # rounding never makes it negative
    assert conditional_entropy(table) == pytest.approx(entropy(py), rel=RTOL)
    assert conditional_entropy(table, given=-1) == pytest.approx(entropy(px), rel=RTOL)
    assert joint_entropy(table) == pytest.approx(entropy(px) + entropy(py), rel=RTOL)


def test_a_distribution_is_at_zero_divergence_from_itself():
    p = ref.random_distributions((4, 9), seed=4, zero_fraction=0.3)
    np.testing.assert_array_equal(kl_divergence(p, p), 0.0)
    np.testing.assert_allclose(js_divergence(p, p), 0.0, atol=1e-15)
    np.testing.assert_allclose(cross_entropy(p, p), entropy(p), rtol=RTOL)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("zero_fraction", [0.0, 0.3])
def test_chain_rules_hold_on_random_tables(seed, zero_fraction):
    t = ref.random_table((5, 8), seed=seed, zero_fraction=zero_fraction)
    hx, hy = entropy(t.sum(1)), entropy(t.sum(0))
    hxy = joint_entropy(t)
    assert hxy == pytest.approx(hx + conditional_entropy(t), rel=RTOL)
    assert hxy == pytest.approx(hy + conditional_entropy(t, given=-1), rel=RTOL)
    mi = mutual_information(t)
    assert mi == pytest.approx(hx + hy - hxy, rel=1e-10, abs=1e-14)
    assert mi == pytest.approx(hy - conditional_entropy(t), rel=1e-10, abs=1e-14)
    # I(X;Y) = D(p(x, y) ‖ p(x) p(y)) and CE = H + KL
    assert mi == pytest.approx(kl_divergence(t.ravel(), np.outer(t.sum(1), t.sum(0)).ravel()))
    q = ref.random_distributions(40, seed=seed + 10)
    assert cross_entropy(t.ravel(), q) == pytest.approx(
        entropy(t.ravel()) + kl_divergence(t.ravel(), q), rel=RTOL
    )


# ----------------------------------------------------------------------------- plain formulas


@pytest.mark.parametrize("zero_fraction", [0.0, 0.4])
def test_every_function_equals_the_cell_by_cell_formula(zero_fraction):
    for seed in range(3):
        t = ref.random_table((4, 6), seed=seed, zero_fraction=zero_fraction)
        p = ref.random_distributions(10, seed=seed + 20, zero_fraction=zero_fraction)
        q = ref.random_distributions(10, seed=seed + 40)  # q > 0: every KL finite
        assert entropy(p) == pytest.approx(ref.entropy(p), rel=RTOL)
        assert joint_entropy(t) == pytest.approx(ref.joint_entropy(t), rel=RTOL)
        assert conditional_entropy(t) == pytest.approx(ref.conditional_entropy(t), rel=RTOL)
        assert conditional_entropy(t, given=-1) == pytest.approx(
            ref.conditional_entropy(t, given="columns"), rel=RTOL
        )
        assert mutual_information(t) == pytest.approx(ref.mutual_information(t), rel=1e-11)
        assert kl_divergence(p, q) == pytest.approx(ref.kl_divergence(p, q), rel=1e-11)
        assert cross_entropy(p, q) == pytest.approx(ref.cross_entropy(p, q), rel=RTOL)
        assert js_divergence(p, q) == pytest.approx(ref.js_divergence(p, q), rel=1e-11)
        assert js_divergence(p, q) == pytest.approx(js_divergence(q, p), rel=RTOL)  # symmetric
        np.testing.assert_allclose(
            self_information(p), [math.inf if v == 0 else -math.log(v) for v in p], rtol=RTOL
        )


def test_batches_and_axes():
    """Leading axes are a batch; ``axis`` picks the distribution axis (or axes)."""
    rng = np.random.default_rng(5)
    t = rng.random((3, 4, 5))
    t /= t.sum((-2, -1), keepdims=True)  # three joint tables [4, 5]
    for fn, name in [
        (joint_entropy, "joint_entropy"),
        (conditional_entropy, "conditional_entropy"),
        (mutual_information, "mutual_information"),
    ]:
        got = fn(t)
        assert isinstance(got, np.ndarray)
        assert got.shape == (3,)
        np.testing.assert_allclose(got, [getattr(ref, name)(b) for b in t], rtol=1e-11)
    np.testing.assert_allclose(entropy(t, axis=(1, 2)), joint_entropy(t), rtol=RTOL)
    np.testing.assert_allclose(entropy(t, axis=(-1, -2)), joint_entropy(t), rtol=RTOL)
    rows = t / t.sum(-1, keepdims=True)
    np.testing.assert_allclose(
        entropy(rows), [[ref.entropy(r) for r in b] for b in rows], rtol=RTOL
    )
    cols = t / t.sum(1, keepdims=True)
    np.testing.assert_allclose(
        entropy(cols, axis=1), [[ref.entropy(c) for c in b.T] for b in cols], rtol=RTOL
    )
    # KL over axis 0, and q broadcast against a batch of p
    p, q = rows[0].T, ref.random_distributions(5, seed=6)  # p [5, 4]: distributions on axis 0
    np.testing.assert_allclose(
        kl_divergence(p, q[:, None], axis=0),
        [ref.kl_divergence(c, q) for c in p.T],
        rtol=1e-11,
    )
    np.testing.assert_allclose(
        js_divergence(rows[0], q[::-1]), [ref.js_divergence(r, q[::-1]) for r in rows[0]]
    )  # q [5] against p [4, 5]
    assert kl_divergence(rows[0], rows[0][2]).shape == (4,)


# ----------------------------------------------------------------------------- zero cells


def test_zero_cells_follow_the_conventions():
    p = np.array([0.5, 0.5, 0.0])
    q_with_hole = np.array([0.0, 0.5, 0.5])
    # 0 log 0 = 0, 0 log(0/q) = 0
    assert entropy(p) == pytest.approx(LN2, rel=RTOL)
    assert kl_divergence(p, np.array([0.25, 0.75, 0.0])) == pytest.approx(
        0.5 * math.log(2) + 0.5 * math.log(0.5 / 0.75), rel=RTOL
    )
    # q = 0 < p: +inf, never an epsilon-sized finite number
    assert kl_divergence(p, q_with_hole) == math.inf
    assert cross_entropy(p, q_with_hole) == math.inf
    assert self_information(0.0) == math.inf
    assert cross_entropy(np.array([[0.0, 1.0], [0.5, 0.5]]), [0, 1]) == math.inf
    np.testing.assert_array_equal(
        cross_entropy(np.array([[0.0, 1.0], [0.5, 0.5]]), [0, 1], reduction="none"),
        [math.inf, LN2],
    )
    # JS is finite even with disjoint supports, and then exactly log 2
    assert js_divergence([1.0, 0.0], [0.0, 1.0]) == LN2
    assert js_divergence(p, q_with_hole) == pytest.approx(ref.js_divergence(p, q_with_hole))
    assert js_divergence([1.0, 0.0], [0.0, 1.0], base=2) == 1.0


def test_js_stays_within_zero_and_log_2():
    for seed in range(20):
        p = ref.random_distributions((8, 5), seed=seed, zero_fraction=0.5)
        q = ref.random_distributions((8, 5), seed=seed + 100, zero_fraction=0.5)
        js = js_divergence(p, q)
        assert np.isfinite(js).all()
        assert (js >= 0).all()
        assert (js <= LN2).all()
    # disjoint supports of every size, float32 sums included
    for k in (2, 3, 10):
        p = np.zeros(2 * k, dtype=np.float32)
        q = np.zeros(2 * k, dtype=np.float32)
        p[:k], q[k:] = 1 / k, 1 / k
        assert js_divergence(p, q) <= LN2
        assert js_divergence(p, q) == pytest.approx(LN2, rel=1e-6)


# ----------------------------------------------------------------------------- d2l.ai


def test_d2l_self_information_and_entropy_examples():
    """d2l: self_information(1/64) = 6 bits; the card thought experiment: a suit 2 bits,
    one card of 52 ~5.7 bits, one order of the deck ~225.6 bits; entropy of
    [0.1, 0.5, 0.1, 0.3] = 1.6855 bits (printed to 4 decimals)."""
    assert self_information(1 / 64, base=2) == pytest.approx(6.0, rel=RTOL)
    assert self_information(1 / 4, base=2) == pytest.approx(2.0, rel=RTOL)
    assert self_information(1 / 52, base=2) == pytest.approx(5.7, abs=0.05)
    assert self_information(1 / math.factorial(52), base=2) == pytest.approx(225.6, abs=0.05)
    assert entropy(D2L_P, base=2) == pytest.approx(1.6855, abs=5e-5)
    assert entropy(D2L_P, base=2) == pytest.approx(ref.entropy(D2L_P) / LN2, rel=RTOL)


def test_d2l_joint_entropy_example():
    """d2l's joint_entropy([[0.1, 0.5], [0.1, 0.3]]) holds the cells of the entropy
    example, so it prints the same 1.6855 bits; the definitions agree."""
    assert joint_entropy(D2L_JOINT, base=2) == pytest.approx(1.6855, abs=5e-5)
    assert joint_entropy(D2L_JOINT, base=2) == pytest.approx(entropy(D2L_P, base=2), rel=RTOL)


def test_d2l_conditional_entropy_example_is_not_a_conditional_entropy():
    """d2l's conditional_entropy(p_xy, p_x) returns nansum(-p_xy · log2(p_xy / p_x)) with
    p_x broadcast along the last axis (column j divided by p_x[j]); its example prints
    0.8635. That example is not a probability table (its cells sum to 1.1) and p_x is
    neither of its marginals (rows sum to [0.6, 0.5], columns to [0.3, 0.8]), so it is no
    conditional entropy: ours refuses the table. Its number is reproduced cell by cell from
    our self_information; on a true table with p_x its column marginal, d2l's formula is
    H(rows | columns), our ``conditional_entropy(t, given=-1)``."""
    t, px = np.array(D2L_COND_TABLE), np.array(D2L_COND_PX)
    with pytest.raises(ValueError, match=r"p_xy must be a probability table summing to 1"):
        conditional_entropy(t)
    d2l_value = float((t * self_information(t / px, base=2)).sum())
    assert d2l_value == pytest.approx(0.8635, abs=5e-5)
    table = ref.random_table((3, 4), seed=7)
    d2l_formula = float(np.nansum(-table * np.log2(table / table.sum(0))))
    assert conditional_entropy(table, given=-1, base=2) == pytest.approx(d2l_formula, rel=RTOL)


def test_d2l_mutual_information_example_is_not_a_mutual_information():
    """d2l's mutual_information(p_xy, p_x, p_y) returns nansum(p_xy · log2(p_xy / (p_x ·
    p_y))) with p_x [2] times p_y [1, 2] taken elementwise (column j over p_x[j] p_y[j]),
    not the outer product p(x) p(y); its example prints 0.7195 bits. The table
    [[0.1, 0.5], [0.1, 0.3]] is a true joint distribution with marginals rows [0.6, 0.4],
    columns [0.2, 0.8], and its mutual information is 0.0074 bits (checked against the
    plain formula). d2l's 0.7195 is reproduced cell by cell from our self_information; with
    p_x passed as a column [X, 1] of the row marginals and p_y the column marginals, d2l's
    formula is the mutual information and equals ours."""
    t = np.array(D2L_JOINT)
    q = np.array(D2L_MI_PX) * np.array(D2L_MI_PY)  # [1, 2]: d2l's denominator
    d2l_value = float((t * (self_information(q, base=2) - self_information(t, base=2))).sum())
    assert d2l_value == pytest.approx(0.7195, abs=5e-5)
    assert mutual_information(t, base=2) == pytest.approx(ref.mutual_information(t) / LN2)
    assert mutual_information(t, base=2) == pytest.approx(0.0074, abs=5e-5)
    table = ref.random_table((3, 4), seed=8)
    px, py = table.sum(1)[:, None], table.sum(0)[None, :]
    d2l_formula = float(np.nansum(table * np.log2(table / (px * py))))
    assert mutual_information(table, base=2) == pytest.approx(d2l_formula, rel=1e-11)


def test_d2l_cross_entropy_example():
    """d2l: cross_entropy(preds, labels) = mean(-log preds[i, labels[i]]) = 0.9486 nats,
    also torch's NLLLoss of log(preds)."""
    got = cross_entropy(D2L_PREDS, D2L_LABELS)
    assert isinstance(got, float)
    assert got == pytest.approx(0.9486, abs=5e-5)
    assert got == pytest.approx((-math.log(0.3) - math.log(0.5)) / 2, rel=RTOL)
    assert cross_entropy(D2L_PREDS, D2L_LABELS, reduction="sum") == pytest.approx(2 * got)
    np.testing.assert_allclose(
        cross_entropy(D2L_PREDS, D2L_LABELS, reduction="none"),
        ref.nll(D2L_PREDS, D2L_LABELS),
        rtol=RTOL,
    )


def test_d2l_kl_with_abs_would_hide_what_is_refused_here():
    """d2l's kl_divergence takes .abs() of nansum(p · log2(p / q)); on inputs that are not
    distributions the sum can be negative and the absolute value hides it. Ours refuses
    such inputs and is never negative on distributions."""
    p, q = np.array([0.2, 0.2]), np.array([0.5, 0.5])  # a p summing to 0.4
    assert float(np.nansum(p * np.log2(p / q))) < 0
    with pytest.raises(ValueError, match=r"kl_divergence: p must be a probability table"):
        kl_divergence(p, q)
    for seed in range(10):
        a = ref.random_distributions(6, seed=seed, zero_fraction=0.3)
        b = ref.random_distributions(6, seed=seed + 50)
        assert kl_divergence(a, b) >= 0


# ----------------------------------------------------------------------------- SciPy, sklearn


def test_entropy_and_kl_equal_scipy():
    stats = pytest.importorskip("scipy.stats")
    special = pytest.importorskip("scipy.special")
    distance = pytest.importorskip("scipy.spatial.distance")
    for seed in range(5):
        p = ref.random_distributions(12, seed=seed, zero_fraction=0.3)
        q = ref.random_distributions(12, seed=seed + 9)
        assert entropy(p) == pytest.approx(stats.entropy(p), rel=RTOL)
        assert entropy(p, base=2) == pytest.approx(stats.entropy(p, base=2), rel=RTOL)
        assert kl_divergence(p, q) == pytest.approx(stats.entropy(p, q), rel=1e-11)
        assert kl_divergence(p, q, base=2) == pytest.approx(stats.entropy(p, q, base=2), rel=1e-11)
        assert kl_divergence(p, q) == pytest.approx(special.rel_entr(p, q).sum(), rel=1e-11)
        assert kl_divergence(p, q) == pytest.approx(special.kl_div(p, q).sum(), rel=1e-10)
        assert js_divergence(p, q) == pytest.approx(distance.jensenshannon(p, q) ** 2, rel=1e-10)
        # scipy normalises its arguments: ours does so when asked, and for counts
        w = p * 37.0
        assert entropy(w, normalize=True) == pytest.approx(stats.entropy(w), rel=RTOL)
        assert kl_divergence(w, q * 3, normalize=True) == pytest.approx(
            stats.entropy(w, q * 3), rel=1e-11
        )
    counts = np.array([[4, 0, 7], [1, 2, 9]])
    np.testing.assert_allclose(entropy(counts), stats.entropy(counts, axis=1), rtol=RTOL)
    np.testing.assert_allclose(entropy(counts, axis=0), stats.entropy(counts, axis=0), rtol=RTOL)
    # q = 0 < p: +inf in both
    assert kl_divergence([0.5, 0.5], [1.0, 0.0]) == stats.entropy([0.5, 0.5], [1.0, 0.0])


def test_mutual_information_of_a_contingency_table_equals_sklearn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(9)
    x = rng.integers(0, 4, 500)
    y = (x + rng.integers(0, 3, 500)) % 5
    table = np.zeros((4, 5), dtype=np.int64)
    np.add.at(table, (x, y), 1)
    want = metrics.mutual_info_score(x, y)  # nats
    assert mutual_information(table) == pytest.approx(want, rel=1e-10)
    assert mutual_information(table) == pytest.approx(
        metrics.mutual_info_score(None, None, contingency=table), rel=1e-10
    )
    # counts and their normalised float table give the same answer
    assert mutual_information(table / table.sum()) == pytest.approx(want, rel=1e-10)
    assert mutual_information(table.astype(float), normalize=True) == pytest.approx(want, rel=1e-10)


@pytest.mark.parametrize("base", [2, 10, 3.5])
def test_other_bases_are_nats_over_log_base(base):
    t = ref.random_table((3, 5), seed=11, zero_fraction=0.2)
    p, q = t.ravel(), ref.random_distributions(15, seed=12)
    scale = math.log(base)
    for fn, args in [
        (entropy, (p,)),
        (joint_entropy, (t,)),
        (conditional_entropy, (t,)),
        (mutual_information, (t,)),
        (kl_divergence, (p, q)),
        (cross_entropy, (p, q)),
        (js_divergence, (p, q)),
        (cross_entropy, (D2L_PREDS, D2L_LABELS)),
        (self_information, (q,)),
    ]:
        np.testing.assert_allclose(fn(*args, base=base), np.asarray(fn(*args)) / scale, rtol=1e-14)


# ----------------------------------------------------------------------------- tolerance, counts


def test_the_sum_tolerance_follows_the_dtype():
    p = np.array([0.25, 0.25, 0.5])
    ok64 = p + np.array([0, 0, 2e-16])  # one ulp off: within 4 n eps
    assert entropy(ok64) == pytest.approx(entropy(p), rel=1e-14)
    off64 = p + np.array([0, 0, 1e-9])
    with pytest.raises(ValueError, match=r"within 2\.66e-15 .*float64, n = 3 cells.*1\.000000001"):
        entropy(off64)
    # 1e-9 is far inside float32's tolerance (4 · 3 · 1.19e-7)
    assert entropy(off64.astype(np.float32)) == pytest.approx(entropy(p), rel=1e-6)
    with pytest.raises(ValueError, match=r"within 1\.43e-06 .*float32"):
        entropy((p + np.array([0, 0, 1e-5])).astype(np.float32))
    # normalize=True accepts any positive total
    assert entropy(off64, normalize=True) == pytest.approx(entropy(p), rel=1e-8)
    # a softmax over a large vocabulary in float32 passes
    torch = torch_or_skip()
    logits = torch.randn(4, 50_000, generator=torch.Generator().manual_seed(0))
    h = entropy(torch.softmax(logits, -1))
    assert h.dtype == torch.float32
    assert h.shape == (4,)


def test_counts_are_normalised_and_probabilities_are_not():
    counts = np.array([[2, 6, 0], [5, 5, 10]])
    probs = counts / counts.sum(-1, keepdims=True)
    np.testing.assert_allclose(entropy(counts), entropy(probs), rtol=RTOL)
    np.testing.assert_allclose(entropy(counts.astype(np.uint8)), entropy(probs), rtol=RTOL)
    assert joint_entropy(counts) == pytest.approx(joint_entropy(counts / counts.sum()), rel=RTOL)
    np.testing.assert_allclose(
        kl_divergence(counts, probs[::-1]), kl_divergence(probs, probs[::-1]), rtol=RTOL
    )


# ----------------------------------------------------------------------------- torch


def _t(x, device, dtype=None):
    torch = torch_or_skip()
    return torch.as_tensor(np.asarray(x), device=device, dtype=dtype or torch.float64)


def test_torch_gives_numpy_numbers_on_its_device(device):
    torch = torch_or_skip()
    t = ref.random_table((2, 4, 6), seed=13, zero_fraction=0.3)
    t = t / t.sum((-2, -1), keepdims=True)
    p = ref.random_distributions((3, 7), seed=14, zero_fraction=0.3)
    q = ref.random_distributions((3, 7), seed=15)
    cases = [
        (entropy, (p,), {}),
        (entropy, (t,), {"axis": (1, 2)}),
        (joint_entropy, (t,), {}),
        (conditional_entropy, (t,), {}),
        (conditional_entropy, (t,), {"given": -1}),
        (mutual_information, (t,), {}),
        (kl_divergence, (p, q), {}),
        (cross_entropy, (p, q), {}),
        (js_divergence, (p, q), {}),
        (self_information, (q,), {"base": 2}),
    ]
    for dtype, rtol in ((torch.float64, 1e-12), (torch.float32, 2e-5)):
        for fn, args, kwargs in cases:
            got = fn(*(_t(a, device, dtype) for a in args), **kwargs)
            want = fn(*args, **kwargs)
            assert isinstance(got, torch.Tensor), fn.__name__
            assert got.device.type == device
            assert got.dtype == dtype
            np.testing.assert_allclose(got.cpu().numpy(), want, rtol=rtol, err_msg=fn.__name__)
    probs = _t(p, device)
    ids = torch.tensor([0, 6, 3], device=device)
    for reduction in ("mean", "sum", "none"):
        got = cross_entropy(probs, ids, reduction=reduction)
        want = torch.nn.functional.nll_loss(probs.log(), ids, reduction=reduction)
        assert got.device.type == device
        np.testing.assert_allclose(got.cpu().numpy(), want.cpu().numpy(), rtol=1e-12)
        np.testing.assert_allclose(
            got.cpu().numpy(), cross_entropy(p, ids.cpu().numpy(), reduction=reduction)
        )
    # integer count tensors compute in float64; float16 in float32
    counts = torch.tensor([[3, 0, 1], [2, 2, 4]], device=device)
    assert entropy(counts).dtype == torch.float64
    np.testing.assert_allclose(entropy(counts).cpu().numpy(), entropy(counts.cpu().numpy()))
    half = _t(q, device, torch.float16)
    assert entropy(half, normalize=True).dtype == torch.float32
    # mixed float32/float64 arguments compute in the wider one
    assert kl_divergence(_t(p, device, torch.float32), _t(q, device)).dtype == torch.float64


def test_classification_cross_entropy_with_batches_and_a_class_axis():
    torch = torch_or_skip()
    g = torch.Generator().manual_seed(1)
    probs = torch.softmax(torch.randn(2, 5, 4, generator=g, dtype=torch.float64), -1)
    ids = torch.randint(0, 4, (2, 5), generator=g)
    want = torch.nn.functional.nll_loss(probs.log().reshape(10, 4), ids.reshape(10))
    assert cross_entropy(probs, ids).item() == pytest.approx(want.item(), rel=1e-13)
    # the class axis elsewhere: probs [C, N], ids [N]
    flat, flat_ids = probs.reshape(10, 4), ids.reshape(10)
    assert cross_entropy(flat.T, flat_ids, axis=0).item() == pytest.approx(want.item(), rel=1e-13)
    # numpy ids of any integer dtype
    got = cross_entropy(flat.numpy(), flat_ids.numpy().astype(np.uint8), reduction="none")
    np.testing.assert_allclose(got, ref.nll(flat.numpy(), flat_ids.numpy()), rtol=RTOL)
    # reduction in the distribution form
    p = ref.random_distributions((3, 4), seed=16)
    q = ref.random_distributions((3, 4), seed=17)
    per = cross_entropy(p, q)
    assert cross_entropy(p, q, reduction="mean") == pytest.approx(per.mean(), rel=RTOL)
    assert cross_entropy(p, q, reduction="sum") == pytest.approx(per.sum(), rel=RTOL)


def _cases_with_zero_cells(torch):
    """(name, function of the tensors that require grad, inputs) for gradcheck: tables with
    exact zeros held fixed (a cell at p = 0 is where the function is not differentiable; the
    gradient in every other cell, and in q, must be exact)."""
    g = np.random.default_rng(18)
    t = ref.random_table((3, 4), seed=19, zero_fraction=0.4)
    p = ref.random_distributions((2, 6), seed=20, zero_fraction=0.4)
    q = ref.random_distributions((2, 6), seed=21)
    tz, pz = torch.tensor(t), torch.tensor(p)
    t_mask, p_mask = tz > 0, pz > 0

    def fill(values, mask):
        out = torch.zeros(mask.shape, dtype=torch.float64)
        return out.masked_scatter(mask, values)

    tv = tz[t_mask].clone().requires_grad_()
    pv = pz[p_mask].clone().requires_grad_()
    qt = torch.tensor(q, requires_grad=True)
    kw = {"validate": False}  # gradcheck steps off the simplex by 1e-6
    probs = torch.tensor(
        ref.random_distributions((5, 3), seed=22, zero_fraction=0.3), requires_grad=True
    )
    ids = torch.tensor([0, 1, 2, 0, 1])
    del g
    return [
        ("entropy", lambda v: entropy(fill(v, p_mask), **kw), (pv,)),
        ("joint_entropy", lambda v: joint_entropy(fill(v, t_mask), **kw), (tv,)),
        ("conditional_entropy", lambda v: conditional_entropy(fill(v, t_mask), **kw), (tv,)),
        (
            "conditional_entropy_cols",
            lambda v: conditional_entropy(fill(v, t_mask), given=-1, **kw),
            (tv,),
        ),
        ("mutual_information", lambda v: mutual_information(fill(v, t_mask), **kw), (tv,)),
        ("kl_divergence", lambda v, q: kl_divergence(fill(v, p_mask), q, **kw), (pv, qt)),
        ("js_divergence", lambda v, q: js_divergence(fill(v, p_mask), q, **kw), (pv, qt)),
        ("js_divergence_q", lambda v, q: js_divergence(q, fill(v, p_mask), **kw), (pv, qt)),
        # cross-entropy is linear in p: the gradient is exact at zero cells of p too
        (
            "cross_entropy",
            lambda p, q: cross_entropy(p, q, **kw),
            (torch.tensor(p, requires_grad=True), qt),
        ),
        ("cross_entropy_ids", lambda x: cross_entropy(x, ids, **kw), (probs,)),
        ("self_information", lambda v: self_information(v, **kw), (pv,)),
        (
            "entropy_normalized",
            lambda v: entropy(fill(v, p_mask) * 3.0, normalize=True),
            (pv,),
        ),
        (
            "mutual_information_base2_normalized",
            lambda v: mutual_information(fill(v, t_mask), base=2, normalize=True),
            (tv,),
        ),
    ]


@pytest.mark.gradcheck
def test_gradcheck_every_function_on_tables_with_zero_cells():
    torch = torch_or_skip()
    for name, fn, inputs in _cases_with_zero_cells(torch):
        assert torch.autograd.gradcheck(fn, inputs), name


@pytest.mark.gradcheck
def test_gradcheck_on_positive_batched_tables():
    torch = torch_or_skip()
    g = torch.Generator().manual_seed(2)

    def rand(*shape):
        x = torch.rand(*shape, generator=g, dtype=torch.float64) + 0.1
        return (x / x.sum(-1, keepdim=True)).requires_grad_()

    t = torch.rand(2, 3, 4, generator=g, dtype=torch.float64) + 0.1
    t = (t / t.sum((-2, -1), keepdim=True)).requires_grad_()
    p, q = rand(3, 5), rand(3, 5)
    kw = {"validate": False}
    checks = [
        (lambda x: entropy(x, **kw), (p,)),
        (lambda x: entropy(x, axis=(1, 2), **kw), (t,)),
        (lambda x: joint_entropy(x, **kw), (t,)),
        (lambda x: conditional_entropy(x, **kw), (t,)),
        (lambda x: mutual_information(x, **kw), (t,)),
        (lambda a, b: kl_divergence(a, b, **kw), (p, q)),
        (lambda a, b: cross_entropy(a, b, **kw), (p, q)),
        (lambda a, b: js_divergence(a, b, base=2, **kw), (p, q)),
        (lambda a: cross_entropy(a, torch.tensor([4, 0, 2]), reduction="sum", **kw), (p,)),
    ]
    for fn, inputs in checks:
        assert torch.autograd.gradcheck(fn, inputs)


def test_gradients_are_finite_at_zero_cells(device):
    torch = torch_or_skip()
    for dtype in (torch.float32, torch.float64):
        p = torch.tensor([[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]], dtype=dtype, device=device)
        q = torch.tensor([[0.2, 0.8, 0.0], [0.3, 0.3, 0.4]], dtype=dtype, device=device)
        t = torch.tensor([[0.5, 0.0], [0.0, 0.5]], dtype=dtype, device=device)
        calls = [
            ("entropy", lambda p, q, t: entropy(p)),
            ("joint", lambda p, q, t: joint_entropy(t)),
            ("conditional", lambda p, q, t: conditional_entropy(t)),
            ("mi", lambda p, q, t: mutual_information(t)),
            ("kl", lambda p, q, t: kl_divergence(p, q)),
            ("kl_reverse", lambda p, q, t: kl_divergence(q, p)),  # +inf in row 0
            ("cross", lambda p, q, t: cross_entropy(p, q)),
            ("js", lambda p, q, t: js_divergence(p, q)),
            ("nll", lambda p, q, t: cross_entropy(q, torch.tensor([2, 0], device=device))),
            ("self_information", lambda p, q, t: self_information(p)),
        ]
        for name, call in calls:
            leaves = [x.clone().requires_grad_() for x in (p, q, t)]
            out = call(*leaves)
            out.sum().backward()
            for leaf in leaves:
                if leaf.grad is not None:
                    assert bool(torch.isfinite(leaf.grad).all()), (name, dtype, leaf.grad)
    # the documented values at a zero cell: d(p log p) taken as 0 there
    p = torch.tensor([0.5, 0.5, 0.0], dtype=torch.float64, device=device, requires_grad=True)
    entropy(p).backward()
    np.testing.assert_allclose(p.grad.cpu().numpy(), [LN2 - 1, LN2 - 1, 0.0], rtol=1e-14)
    p.grad = None
    q = torch.tensor([0.25, 0.25, 0.5], dtype=torch.float64, device=device)
    kl_divergence(p, q).backward()
    np.testing.assert_allclose(
        p.grad.cpu().numpy(), [math.log(2) + 1, math.log(2) + 1, -math.log(0.5)], rtol=1e-14
    )


def test_kl_with_an_infinite_value_backpropagates_no_nan():
    torch = torch_or_skip()
    p = torch.tensor([0.5, 0.5], dtype=torch.float64, requires_grad=True)
    q = torch.tensor([1.0, 0.0], dtype=torch.float64, requires_grad=True)
    kl = kl_divergence(p, q)
    assert kl.item() == math.inf
    kl.backward()
    assert bool(torch.isfinite(p.grad).all())
    assert bool(torch.isfinite(q.grad).all())


# ----------------------------------------------------------------------------- inputs untouched


def test_inputs_are_not_modified():
    torch = torch_or_skip()
    t = ref.random_table((3, 4), seed=23, zero_fraction=0.3)
    p = ref.random_distributions((2, 12), seed=24, zero_fraction=0.3)
    q = ref.random_distributions((2, 12), seed=25)
    counts = np.array([[3, 0, 2], [1, 1, 5]])
    ids = np.array([0, 11])
    arrays = [t, p, q, counts, ids]
    for lib in ("numpy", "torch"):
        inputs = arrays if lib == "numpy" else [torch.as_tensor(a) for a in arrays]
        before = [a.copy() if lib == "numpy" else a.clone() for a in inputs]
        tt, pp, qq, cc, ii = inputs
        entropy(pp)
        entropy(pp * 1, normalize=True)
        entropy(cc)
        joint_entropy(tt)
        conditional_entropy(tt, given=-1)
        mutual_information(cc)
        kl_divergence(pp, qq)
        kl_divergence(pp, qq, normalize=True)
        cross_entropy(pp, qq)
        cross_entropy(pp, ii)
        js_divergence(pp, qq)
        self_information(qq)
        for a, b in zip(inputs, before, strict=True):
            if lib == "numpy":
                np.testing.assert_array_equal(a, b)
            else:
                assert torch.equal(a, b)


# ----------------------------------------------------------------------------- bad input


def _bad_cases():
    good = np.array([0.25, 0.75])
    table = np.array([[0.25, 0.25], [0.25, 0.25]])
    return [
        # (call, exception, message)
        (lambda: entropy([0.5, -0.1, 0.6]), ValueError, r"entropy: p must be >= 0 everywhere"),
        (lambda: entropy([0.5, np.nan, 0.5]), ValueError, r"entropy: p must be finite, got 1"),
        (lambda: entropy([0.5, np.inf]), ValueError, r"entropy: p must be finite"),
        (lambda: entropy([]), ValueError, r"entropy: p must be non-empty, got shape \(0,\)"),
        (lambda: entropy(np.zeros((3, 0))), ValueError, r"p must be non-empty"),
        (lambda: entropy(0.5), ValueError, r"entropy: p must be at least 1-D"),
        (lambda: entropy([0.3, 0.3]), ValueError, r"p must be a probability table summing to 1"),
        (lambda: entropy([True, False]), TypeError, r"entropy: p must be a floating-point table"),
        (lambda: entropy(good.astype(complex)), TypeError, r"dtype complex128"),
        (lambda: entropy(["a", "b"]), TypeError, r"p must be a floating-point table"),
        (lambda: entropy([0, 0]), ValueError, r"p must be a table with a positive total over ax"),
        (lambda: entropy(good, normalize="yes"), TypeError, r"normalize must be True or False"),
        (lambda: kl_divergence(good, good, validate=None), TypeError, r"validate must be True"),
        (lambda: entropy([0.0, 0.0], normalize=True), ValueError, r"a total of 0"),
        (lambda: entropy([2, -1]), ValueError, r"p must be >= 0 everywhere, got 1 negative"),
        (lambda: entropy(good, axis=1), ValueError, r"axis must be an axis of the 1-D p"),
        (lambda: entropy(good, axis=1.0), TypeError, r"axis must be an int or a non-empty tuple"),
        (lambda: entropy(table, axis=(0, -2)), ValueError, r"axis must be distinct axes"),
        (lambda: entropy(table, axis=()), TypeError, r"axis must be an int or a non-empty"),
        (lambda: entropy(good, base=1), ValueError, r"entropy: base must be a number > 0"),
        (lambda: entropy(good, base="2"), TypeError, r"base must be"),
        (lambda: joint_entropy(good), ValueError, r"joint_entropy: p_xy must be at least 2-D"),
        (lambda: joint_entropy(table * 2), ValueError, r"p_xy must be a probability table"),
        (lambda: conditional_entropy(table, given=0.5), TypeError, r"given must be -2"),
        (lambda: conditional_entropy(table[None], given=0), ValueError, r"given must be -2"),
        (lambda: mutual_information([[0.5, -0.5], [0.5, 0.5]]), ValueError, r"p_xy must be >= 0"),
        (lambda: kl_divergence(good, [0.2, 0.3, 0.5]), ValueError, r"q must be of p's size"),
        (lambda: kl_divergence(np.ones((2, 2)) / 2, np.ones((3, 2)) / 2), ValueError, r"broad"),
        (lambda: kl_divergence(good, [0.5, np.nan]), ValueError, r"kl_divergence: q must be fin"),
        (lambda: kl_divergence(good, [0.5, 0.6]), ValueError, r"q must be a probability table"),
        (lambda: kl_divergence(good, good, axis=(0,)), TypeError, r"axis must be an int"),
        (lambda: js_divergence([], []), ValueError, r"js_divergence: p must be non-empty"),
        (lambda: js_divergence(good, [-0.25, 1.25]), ValueError, r"q must be >= 0"),
        (lambda: cross_entropy(good, [0.5, 0.6]), ValueError, r"cross_entropy: q must be a prob"),
        (lambda: cross_entropy([[0.5, 0.5]], [2]), ValueError, r"q must be class ids in \[0, 1\]"),
        (lambda: cross_entropy([[0.5, 0.5]], [-1]), ValueError, r"q must be class ids in"),
        (lambda: cross_entropy([[0.5, 0.5]], [0, 1]), ValueError, r"q must be class ids of shape"),
        (lambda: cross_entropy([[0.5, 0.6]], [0]), ValueError, r"p must be a probability table"),
        (lambda: cross_entropy(table, [0, 1], reduction="avg"), ValueError, r"reduction must be"),
        (lambda: self_information(1.5), ValueError, r"p must be probabilities in \[0, 1\]"),
        (lambda: self_information(-0.5), ValueError, r"self_information: p must be >= 0"),
        (lambda: self_information(np.array([1, 0])), TypeError, r"floating-point array of prob"),
        (lambda: self_information(2), ValueError, r"p must be probabilities in \[0, 1\]"),
        (lambda: self_information(np.nan), ValueError, r"p must be finite"),
        (lambda: self_information([]), ValueError, r"p must be non-empty"),
    ]


@pytest.mark.parametrize(("call", "kind", "match"), _bad_cases())
def test_bad_input_is_refused_naming_the_argument(call, kind, match):
    with pytest.raises(kind) as info:
        call()
    message = str(info.value)
    assert re.match(r"softent\.discrete\.\w+: \w+ must be ", message), message
    assert re.search(match, message), message


def test_bad_torch_input_is_refused(device):
    torch = torch_or_skip()
    p = torch.tensor([0.25, 0.75], device=device)
    with pytest.raises(TypeError, match=r"q must be a torch tensor \(as p is\)"):
        kl_divergence(p, np.array([0.5, 0.5]))
    with pytest.raises(TypeError, match=r"q must be a NumPy array \(as p is\)"):
        kl_divergence(np.array([0.5, 0.5]), p)
    with pytest.raises(TypeError, match=r"p must be .*got a tensor of dtype torch.bool"):
        entropy(p > 0.5)
    with pytest.raises(TypeError, match=r"got a tensor of dtype torch.complex64"):
        entropy(p.to(torch.complex64))
    with pytest.raises(ValueError, match=r"entropy: p must be finite, got 1 NaN/Inf"):
        entropy(torch.tensor([0.5, float("nan")], device=device))
    with pytest.raises(ValueError, match=r"p must be a probability table summing to 1"):
        entropy(p * 2)
    with pytest.raises(ValueError, match=r"q must be class ids in \[0, 1\]"):
        cross_entropy(p[None], torch.tensor([5], device=device))
    if device == "cpu":
        meta = torch.tensor([0.5, 0.5], device="meta")
        with pytest.raises(ValueError, match=r"q must be on p's device \(cpu\), got meta"):
            kl_divergence(p, meta)


def test_validate_false_skips_only_the_value_checks():
    bad_sum = np.array([0.3, 0.3])
    assert np.isfinite(entropy(bad_sum, validate=False))
    assert np.isfinite(js_divergence(bad_sum, [0.5, 0.5], validate=False))
    # all-zero rows give zeros, not NaN
    assert entropy(np.zeros(3), normalize=True, validate=False) == 0.0
    with pytest.raises(ValueError, match=r"p must be non-empty"):
        entropy([], validate=False)
    with pytest.raises(ValueError, match=r"q must be of p's size"):
        kl_divergence([0.5, 0.5], [1.0], validate=False)
