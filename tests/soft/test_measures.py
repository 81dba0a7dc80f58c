"""softent.soft.measures: each measure against a plain NumPy/SciPy computation from its
definition (soft assignments materialised), constructed cases with known values, units,
and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import softent
import softent.soft.measures as sm
from cases import METRICS, TEMPERATURES
from reference.soft import assignments
from scipy.spatial.distance import jensenshannon
from scipy.stats import entropy as scipy_entropy
from softent import Bins, SoftHistogram

RATIOS = ("efficiency", "regularity", "variation", "normalised_mi")
INFO = ("entropy", "conditional_entropy", "mutual_information", "label_entropy", "disentanglement")


# ----------------------------------------------------------------------------- reference


def reference_measures(
    q: np.ndarray, labels: np.ndarray, weighting: str = "weighted"
) -> dict[str, float]:
    """Every measure in nats from the definitions, given the soft assignments q [N, B]."""
    n, b = q.shape
    values = np.unique(labels)
    p_z = q.sum(0) / n
    h = scipy_entropy(p_z)
    h_k = np.array([scipy_entropy(q[labels == v].sum(0)) for v in values])
    n_k = np.array([(labels == v).sum() for v in values], dtype=float)
    w = n_k / n if weighting == "weighted" else np.full(len(values), 1 / len(values))
    hc = float(w @ h_k)
    mi = h - hc
    h_l = scipy_entropy(n_k)
    # scipy's jensenshannon is the square root of the JS divergence (natural log by default)
    js = [jensenshannon(q[labels == v].sum(0), q[labels != v].sum(0)) ** 2 for v in values]
    return {
        "entropy": h,
        "conditional_entropy": hc,
        "mutual_information": mi,
        "efficiency": h / math.log(b),
        "regularity": mi / h,
        "variation": hc / math.log(b),
        "disentanglement": float(np.mean(js)),
        "normalised_mi": mi / h_l,
        "label_entropy": h_l,
    }


def hard_histogram(bin_of_row: np.ndarray, labels: np.ndarray, n_bins: int) -> SoftHistogram:
    """A SoftHistogram of hard (one-hot) assignments: row i counts 1 in bin bin_of_row[i]."""
    q = np.eye(n_bins)[bin_of_row]
    values = np.unique(labels)
    per = np.stack([q[labels == v].sum(0) for v in values])
    counts = np.array([(labels == v).sum() for v in values])
    bins = Bins(np.eye(n_bins), "cosine", 1.0)
    return SoftHistogram(per.sum(0), per, counts, values, bins, len(labels))


def masses_histogram(per_label: np.ndarray, counts: np.ndarray) -> SoftHistogram:
    per = np.asarray(per_label, dtype=float)
    bins = Bins(np.eye(per.shape[1]), "cosine", 1.0)
    return SoftHistogram(
        per.sum(0), per, np.asarray(counts), np.arange(per.shape[0]), bins, int(np.sum(counts))
    )


# ----------------------------------------------------------------------------- against the definitions


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("weighting", ["weighted", "uniform"])
def test_each_measure_equals_the_definition(clustered, metric, weighting):
    z, labels, centres = clustered
    t = TEMPERATURES[metric]
    h = softent.soft_histogram(z, labels, centres=centres, metric=metric, temperature=t)
    ref = reference_measures(assignments(z, centres, metric, t), labels, weighting)
    got = {
        "efficiency": sm.efficiency(h),
        "regularity": sm.regularity(h, weighting=weighting),
        "variation": sm.variation(h, weighting=weighting),
        "disentanglement": sm.disentanglement(h),
        "normalised_mi": sm.normalised_mi(h, weighting=weighting),
        "label_entropy": sm.label_entropy(h),
    }
    for key, value in got.items():
        assert value == pytest.approx(ref[key], rel=1e-10), key
    everything = sm.all_measures(h, weighting=weighting)
    assert set(everything) == set(ref)
    for key, value in everything.items():
        assert value == pytest.approx(ref[key], rel=1e-10), key
    # non-trivial fixture: the checks above would not pass by accident at 0 or 1
    assert 0.05 < ref["regularity"] < 0.95
    assert 0.01 < ref["disentanglement"] < math.log(2) - 0.01


def test_label_minus_one_is_an_ordinary_class(clustered):
    """-1 no longer masks a row (CHANGELOG 0.2): the measures are those of the same labels
    renamed to a value the reference cannot mistake for a mask."""
    z, labels, centres = clustered
    lab = labels.copy()
    lab[::7] = -1
    h = softent.soft_histogram(z, lab, centres=centres, temperature=0.1)
    ref = reference_measures(assignments(z, centres, "cosine", 0.1), np.where(lab == -1, 99, lab))
    for key, value in sm.all_measures(h).items():
        assert value == pytest.approx(ref[key], rel=1e-10), key


def test_streamed_histograms_give_the_batch_measures(clustered):
    z, labels, centres = clustered
    acc = softent.Accumulator(centres, temperature=0.1)
    for s in np.array_split(np.arange(len(z)), 7):
        acc.update(z[s], labels[s])
    streamed = sm.all_measures(acc.result("labels"))
    batch = sm.all_measures(softent.soft_histogram(z, labels, centres=centres, temperature=0.1))
    for key in streamed:
        assert streamed[key] == pytest.approx(batch[key], rel=1e-12), key


# ----------------------------------------------------------------------------- known cases


def test_a_label_that_determines_the_bin_is_exactly_regular():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 5, 200)
    bin_of_label = np.array([3, 0, 7, 7, 2])  # two labels share bin 7: still H(Z|L) = 0
    h = hard_histogram(bin_of_label[labels], labels, 9)
    assert sm.regularity(h) == 1.0
    assert sm.variation(h) == 0.0
    assert sm.regularity(h, weighting="uniform") == 1.0
    # I(Z;L) = H(Z) < H(L): the shared bin loses the 2-vs-3 distinction
    assert sm.normalised_mi(h) < 1


def test_a_label_with_a_bin_of_its_own_has_full_normalised_mi_and_disentanglement():
    labels = np.repeat(np.arange(4), [5, 10, 20, 15])
    h = hard_histogram(labels * 2, labels, 8)  # label k -> bin 2k
    assert sm.normalised_mi(h) == pytest.approx(1.0, abs=1e-15)
    # disjoint supports: JS(p ‖ q) = ln 2 for every label value
    assert sm.disentanglement(h) == pytest.approx(math.log(2), rel=1e-15)
    assert sm.disentanglement(h, base=2) == pytest.approx(1.0, rel=1e-15)
    assert sm.efficiency(h) == pytest.approx(
        scipy_entropy([5, 10, 20, 15]) / math.log(8), rel=1e-14
    )


def test_regularity_approaches_one_as_the_temperature_goes_to_zero():
    rng = np.random.default_rng(1)
    k, d = 5, 6
    means = rng.normal(size=(k, d))
    labels = rng.integers(0, k, 400)
    z = means[labels]  # the label determines z
    centres = softent.spherical_bins(40, d, seed=2)
    reg = [
        sm.regularity(softent.soft_histogram(z, labels, centres=centres, temperature=t))
        for t in (0.3, 0.1, 0.03, 0.01, 0.003)
    ]
    assert reg[0] < 0.9
    assert reg[-1] > 0.999
    assert reg[-1] > reg[0]
    assert (
        sm.variation(softent.soft_histogram(z, labels, centres=centres, temperature=0.003)) < 1e-3
    )


def test_labels_independent_of_z_score_near_zero():
    rng = np.random.default_rng(2)
    n, d = 6000, 5
    z = rng.normal(size=(n, d))
    centres = softent.spherical_bins(20, d, seed=3)
    independent = softent.soft_histogram(z, rng.integers(0, 3, n), centres=centres, temperature=0.1)
    # the sign of one coordinate: at most ln 2 of the ~ln 20 nats of H(Z)
    dependent = softent.soft_histogram(
        z, (z[:, 0] > 0).astype(int), centres=centres, temperature=0.1
    )
    for f in (sm.regularity, sm.normalised_mi, sm.disentanglement):
        assert 0 <= f(independent) < 0.002, f.__name__
        assert f(dependent) > 0.05, f.__name__


@pytest.mark.parametrize("k", [2, 3])
def test_identical_conditionals_have_zero_disentanglement(k):
    row = np.random.default_rng(3).random(11)
    h = masses_histogram(np.tile(row, (k, 1)), np.full(k, 7))
    assert sm.disentanglement(h) == 0.0
    assert sm.regularity(h) == pytest.approx(0.0, abs=1e-15)


def test_duplicated_data_under_two_labels_has_zero_disentanglement(clustered):
    z, _, centres = clustered
    zz = np.concatenate([z, z])
    labels = np.repeat([0, 1], len(z))  # both labels see exactly the same rows
    h = softent.soft_histogram(zz, labels, centres=centres, temperature=0.1)
    assert sm.disentanglement(h) == pytest.approx(0.0, abs=1e-12)
    assert sm.regularity(h) == pytest.approx(0.0, abs=1e-12)


def test_optimality_and_normalised_mi_by_hand():
    # Four equally likely inputs x, each in a bin of its own; output y = x // 2.
    x = np.repeat(np.arange(4), 6)
    hx = hard_histogram(x, x, 4)
    hy = hard_histogram(x, x // 2, 4)
    # I(X;Z) = H(Z) = ln 4; H(Z|Y) = ln 2 so I(Y;Z) = ln 4 - ln 2 = ln 2: optimality 1/2.
    assert sm.optimality(hx, hy) == pytest.approx(math.log(2) / math.log(4), rel=1e-14)
    assert sm.optimality(hy, hy) == pytest.approx(1.0, rel=1e-15)
    assert sm.normalised_mi(hy) == pytest.approx(1.0, rel=1e-14)  # I(Y;Z) = H(Y) = ln 2
    # A label that is right 3 times in 4: H(Z|y) = H(3/4, 1/4), H(Z) = H(L) = ln 2.
    h = masses_histogram([[3.0, 1.0], [1.0, 3.0]], [4, 4])
    h_cond = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    mi = math.log(2) - h_cond
    assert sm.normalised_mi(h) == pytest.approx(mi / math.log(2), rel=1e-14)
    assert sm.regularity(h) == pytest.approx(mi / math.log(2), rel=1e-14)
    assert sm.variation(h) == pytest.approx(h_cond / math.log(2), rel=1e-14)
    assert sm.label_entropy(h) == pytest.approx(math.log(2), rel=1e-15)
    # p(.|L=0) = (3/4, 1/4), p(.|L!=0) = (1/4, 3/4), m = (1/2, 1/2): JS = ln 2 - H(3/4, 1/4)
    assert sm.disentanglement(h) == pytest.approx(math.log(2) - h_cond, rel=1e-14)


def test_the_rest_of_each_label_is_the_count_weighted_mixture():
    per = np.array([[4.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 3.0]])  # N_k = 4, 1, 3
    h = masses_histogram(per, [4, 1, 3])
    p = per / per.sum(1, keepdims=True)
    expected = []
    for k in range(3):
        others = [j for j in range(3) if j != k]
        w = np.array([4, 1, 3])[others]
        rest = (w[:, None] * p[others]).sum(0) / w.sum()
        expected.append(jensenshannon(p[k], rest) ** 2)
    assert sm.disentanglement(h) == pytest.approx(np.mean(expected), rel=1e-14)


def test_bits_are_nats_over_ln2_and_ratios_do_not_depend_on_the_base(clustered):
    z, labels, centres = clustered
    h = softent.soft_histogram(z, labels, centres=centres, temperature=0.1)
    nats, bits = sm.all_measures(h), sm.all_measures(h, base=2)
    for key in INFO:
        assert bits[key] == pytest.approx(nats[key] / math.log(2), rel=1e-14), key
    for key in RATIOS:
        assert bits[key] == nats[key], key
    assert sm.disentanglement(h, base=2) == pytest.approx(
        sm.disentanglement(h) / math.log(2), rel=1e-14
    )


def test_undefined_values_are_nan_not_zero():
    one_label = masses_histogram([[1.0, 2.0, 3.0]], [6])
    assert math.isnan(sm.disentanglement(one_label))
    assert math.isnan(sm.normalised_mi(one_label))  # H(L) = 0
    point_mass = masses_histogram([[5.0, 0.0], [2.0, 0.0]], [5, 2])
    assert math.isnan(sm.regularity(point_mass))  # H(Z) = 0
    one_bin = masses_histogram([[5.0], [2.0]], [5, 2])
    assert math.isnan(sm.efficiency(one_bin))
    assert math.isnan(sm.optimality(point_mass, point_mass))  # I(X;Z) = 0


def test_labels_with_zero_count_are_left_out():
    per = np.array([[3.0, 1.0, 0.5], [0.0, 0.0, 0.0], [0.2, 2.0, 1.0]])
    with_empty = sm.measures_from_masses(per.sum(0), per, np.array([4.5, 0.0, 3.2]))
    without = sm.measures_from_masses(per.sum(0), per[[0, 2]], np.array([4.5, 3.2]))
    assert with_empty == without
    assert without["regularity"] > 0  # a real, non-trivial case


def test_measures_from_masses_without_labels():
    out = sm.measures_from_masses(np.array([1.0, 1.0, 2.0]))
    assert out["entropy"] == pytest.approx(scipy_entropy([1, 1, 2]), rel=1e-15)
    assert out["efficiency"] == pytest.approx(scipy_entropy([1, 1, 2]) / math.log(3), rel=1e-15)
    assert all(out[k] is None for k in sm.LABEL_KEYS)


# ----------------------------------------------------------------------------- bad input


def test_bad_input_names_the_argument(clustered):
    z, labels, centres = clustered
    h = softent.soft_histogram(z, labels, centres=centres, temperature=0.1)
    unlabelled = softent.soft_histogram(z, centres=centres, temperature=0.1)
    with pytest.raises(
        TypeError, match=r"^softent\.regularity: hist must be a softent\.SoftHistogram"
    ):
        sm.regularity(z)
    with pytest.raises(
        ValueError, match=r"^softent\.variation: hist must be a SoftHistogram with labels"
    ):
        sm.variation(unlabelled)
    assert sm.efficiency(unlabelled) == pytest.approx(
        sm.efficiency(h), rel=1e-12
    )  # labels not needed
    with pytest.raises(
        ValueError,
        match=r"^softent\.regularity: weighting must be 'weighted' or 'uniform', got 'x'",
    ):
        sm.regularity(h, weighting="x")
    with pytest.raises(
        ValueError, match=r"^softent\.disentanglement: base must be a number > 0 and != 1"
    ):
        sm.disentanglement(h, base=1)
    with pytest.raises(TypeError, match=r"^softent\.optimality: output_hist must be a labelled"):
        sm.optimality(h, unlabelled)
    other = softent.soft_histogram(z, labels, centres=centres, temperature=0.2)
    with pytest.raises(
        ValueError, match=r"^softent\.optimality: output_hist must be on the same bins"
    ):
        sm.optimality(h, other)
    with pytest.raises(
        ValueError, match=r"^softent\.measures_from_masses: per_label must be a 2-D array \[K, B\]"
    ):
        sm.measures_from_masses(np.ones(3), np.ones((2, 4)), np.ones(2))
    with pytest.raises(
        ValueError, match=r"^softent\.measures_from_masses: counts must be a 1-D array \[K\]"
    ):
        sm.measures_from_masses(np.ones(3), np.ones((2, 3)), np.ones(3))


def test_exported_from_the_package():
    for name in (
        "efficiency",
        "regularity",
        "variation",
        "disentanglement",
        "optimality",
        "normalised_mi",
        "label_entropy",
        "all_measures",
        "measures_from_masses",
    ):
        assert getattr(softent, name) is getattr(sm, name)
        assert name in softent.__all__


def js_to_rest(masses: np.ndarray) -> np.ndarray:
    """[K] JS(p_k || p_rest) in nats from the definition: p_rest the normalised sum of every
    other row's masses (rows with no dominant label: total - row does not cancel here)."""
    p = masses / masses.sum(1, keepdims=True)
    rest = masses.sum(0) - masses
    q = rest / rest.sum(1, keepdims=True)
    mid = (p + q) / 2
    return 0.5 * (p * np.log(p / mid)).sum(1) + 0.5 * (q * np.log(q / mid)).sum(1)


@pytest.mark.parametrize("n_labels", [203, 4097, 9001])
def test_disentanglement_in_row_chunks_equals_the_whole(n_labels):
    """Token-style label sets are processed in chunks of rows (4096 a chunk): one chunk, a
    last chunk of one row, and three chunks give the JS values of the definition."""
    masses = np.random.default_rng(5).random((n_labels, 9)) ** 3
    hist = masses_histogram(masses, np.full(n_labels, 3))
    want = js_to_rest(masses)
    assert sm.disentanglement(hist) == pytest.approx(want.mean(), rel=1e-12)
    assert softent.disentanglement(hist, base=2) == pytest.approx(
        want.mean() / math.log(2), rel=1e-12
    )
