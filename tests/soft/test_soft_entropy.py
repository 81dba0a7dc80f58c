"""The soft-bin estimator against the NumPy reference, known answers and invariances."""

from __future__ import annotations

import math

import numpy as np
import pytest
import reference.soft as reference
import softent
from cases import METRICS, TEMPERATURES


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize(("dtype", "rtol"), [(np.float64, 1e-10), (np.float32, 1e-5)])
@pytest.mark.parametrize("weighting", ["weighted", "uniform"])
def test_matches_numpy_reference(clustered, metric, dtype, rtol, weighting):
    z, labels, centres = clustered
    t = TEMPERATURES[metric]
    h, hc, mi, per_label = reference.information(z, labels, centres, metric, t, weighting)
    got = softent.information(
        z.astype(dtype), labels, centres=centres, metric=metric, temperature=t, weighting=weighting
    )
    assert got.entropy == pytest.approx(h, rel=rtol)
    assert got.conditional_entropy == pytest.approx(hc, rel=rtol)
    assert got.mutual_information == pytest.approx(mi, rel=max(rtol, 1e-12) * 20, abs=rtol * h)
    assert got.label_values.tolist() == sorted(per_label)
    np.testing.assert_allclose(
        got.label_entropies, [per_label[v] for v in got.label_values], rtol=rtol
    )
    assert got.counts.tolist() == [int((labels == v).sum()) for v in got.label_values]
    assert 0.05 < mi < h  # the fixture is informative but not degenerate
    assert softent.entropy(
        z.astype(dtype), centres=centres, metric=metric, temperature=t
    ) == pytest.approx(h, rel=rtol)


def test_functions_agree_with_information(clustered):
    z, labels, centres = clustered
    kw = {"centres": centres, "metric": "euclidean", "temperature": 0.7}
    info = softent.information(z, labels, **kw)
    assert softent.conditional_entropy(z, labels, **kw) == info.conditional_entropy
    assert softent.mutual_information(z, labels, **kw) == info.mutual_information
    assert softent.entropy(z, **kw) == pytest.approx(info.entropy, rel=1e-12)


def test_masked_labels_are_ignored_everywhere(clustered):
    z, labels, centres = clustered
    masked = labels.copy()
    masked[::3] = -1
    h, hc, _mi, _ = reference.information(z, masked, centres, "cosine", 0.1)
    got = softent.information(z, masked, centres=centres, temperature=0.1)
    assert (got.entropy, got.conditional_entropy) == pytest.approx((h, hc), rel=1e-10)
    keep = masked != -1
    same = softent.information(z[keep], labels[keep], centres=centres, temperature=0.1)
    assert got.mutual_information == pytest.approx(same.mutual_information, rel=1e-10)
    assert got.histogram.n_rows == keep.sum()


@pytest.mark.parametrize("tile_rows", [1, 7, 64, 1000, 5000])
@pytest.mark.parametrize("num_threads", [1, 2])
def test_tile_and_thread_invariance(clustered, tile_rows, num_threads):
    z, labels, centres = clustered
    base = softent.soft_histogram(z, labels, centres=centres, temperature=0.1)
    got = softent.soft_histogram(
        z, labels, centres=centres, temperature=0.1, tile_rows=tile_rows, num_threads=num_threads
    )
    np.testing.assert_allclose(got.per_label, base.per_label, rtol=1e-12)
    np.testing.assert_allclose(got.total, base.total, rtol=1e-12)


def test_row_order_and_label_renaming_invariance(clustered):
    z, labels, centres = clustered
    base = softent.information(z, labels, centres=centres, temperature=0.1)
    perm = np.random.default_rng(3).permutation(len(z))
    shuffled = softent.information(z[perm], labels[perm], centres=centres, temperature=0.1)
    names = np.array(["zero", "one", "two", "three", "four", "five"])
    renamed = softent.information(z, names[labels], centres=centres, temperature=0.1)
    shifted = softent.information(z, labels * 1000 + 17, centres=centres, temperature=0.1)
    for other in (shuffled, renamed, shifted):
        assert other.entropy == pytest.approx(base.entropy, rel=1e-12)
        assert other.conditional_entropy == pytest.approx(base.conditional_entropy, rel=1e-12)
        assert sorted(other.label_entropies) == pytest.approx(
            sorted(base.label_entropies), rel=1e-12
        )
    assert renamed.label_values.dtype.kind == "U"


def test_large_sparse_integer_labels_take_the_sorting_path():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(300, 5))
    labels = rng.choice([-(2**40), 3, 2**40], size=300)
    h, hc, _, _ = reference.information(z, labels, softent.spherical_bins(10, 5), "cosine", 0.2)
    got = softent.information(z, labels, n_bins=10, temperature=0.2)
    assert (got.entropy, got.conditional_entropy) == pytest.approx((h, hc), rel=1e-10)
    assert got.label_values.tolist() == [-(2**40), 3, 2**40]


def test_bits_are_nats_over_ln2(clustered):
    z, labels, centres = clustered
    nats = softent.information(z, labels, centres=centres, temperature=0.1)
    bits = softent.information(z, labels, centres=centres, temperature=0.1, base=2)
    for name in ("entropy", "conditional_entropy", "mutual_information"):
        assert getattr(bits, name) == pytest.approx(getattr(nats, name) / math.log(2), rel=1e-12)
    np.testing.assert_allclose(bits.label_entropies, nats.label_entropies / math.log(2), rtol=1e-12)


def test_float32_agrees_with_float64(clustered):
    z, labels, centres = clustered
    for metric in METRICS:
        t = TEMPERATURES[metric]
        a = softent.information(z, labels, centres=centres, metric=metric, temperature=t)
        b = softent.information(
            z.astype(np.float32), labels, centres=centres, metric=metric, temperature=t
        )
        assert b.entropy == pytest.approx(a.entropy, rel=1e-5)
        assert b.mutual_information == pytest.approx(a.mutual_information, rel=1e-4, abs=1e-6)


# ---- known answers ---------------------------------------------------------------------


def test_one_bin_has_zero_entropy(clustered):
    z, labels, _ = clustered
    info = softent.information(z, labels, n_bins=1, temperature=0.5)
    assert info.entropy == 0.0
    assert info.conditional_entropy == 0.0
    assert info.mutual_information == 0.0


def test_infinite_temperature_is_uniform():
    z = np.random.default_rng(0).normal(size=(500, 8))
    assert softent.entropy(z, n_bins=50, temperature=1e9) == pytest.approx(math.log(50), rel=1e-9)


def test_identical_rows():
    """Every row the same: each label's histogram equals the total, so I(Z;L) = 0."""
    row = np.random.default_rng(1).normal(size=(1, 16))
    z = np.repeat(row, 400, axis=0)
    labels = np.arange(400) % 4
    info = softent.information(z, labels, n_bins=20, temperature=0.2)
    centres = softent.spherical_bins(20, 16)
    q = reference.assignments(row, centres, "cosine", 0.2)[0]
    assert info.entropy == pytest.approx(reference.shannon(q), rel=1e-12)
    assert info.mutual_information == pytest.approx(0.0, abs=1e-12)


def test_labels_independent_of_z():
    """Each label sees exactly the same rows: the conditionals equal the marginal, I = 0."""
    z = np.random.default_rng(2).normal(size=(300, 6))
    z2 = np.concatenate([z, z, z])
    labels = np.repeat([5, 9, 11], 300)
    info = softent.information(z2, labels, n_bins=30, temperature=0.1)
    assert info.mutual_information == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(info.label_entropies, info.entropy, rtol=1e-12)


@pytest.mark.parametrize("metric", METRICS)
def test_label_that_determines_z(metric):
    """Rows sit on 4 well-separated centres and the label names the centre: with a cold
    temperature the assignment is hard, H(Z|L) = 0 and I(Z;L) = H(Z) = H(L)."""
    centres = np.eye(4) * 10.0
    labels = np.repeat(np.arange(4), [100, 200, 300, 400])
    z = centres[labels]
    info = softent.information(z, labels, centres=centres, metric=metric, temperature=1e-3)
    p = np.array([100, 200, 300, 400]) / 1000
    h_l = float(-(p * np.log(p)).sum())
    assert info.entropy == pytest.approx(h_l, rel=1e-12)
    assert info.conditional_entropy == pytest.approx(0.0, abs=1e-12)
    assert info.mutual_information == pytest.approx(h_l, rel=1e-12)


# ---- defaults, bins, temperature ---------------------------------------------------------


def test_defaults_are_the_published_method(clustered):
    z, labels, _ = clustered
    info = softent.information(z, labels)
    h = info.histogram
    assert h.metric == "cosine"
    assert h.bins.n_bins == 100
    np.testing.assert_array_equal(h.centres, softent.spherical_bins(100, z.shape[1], seed=0))
    assert h.temperature == softent.calibrate_temperature(z.shape[1], 100)
    assert info.base == math.e


def test_spherical_bins_reproducible_from_default_rng():
    c = softent.spherical_bins(7, 5, seed=3)
    g = np.random.default_rng(3).standard_normal((7, 5))
    np.testing.assert_array_equal(c, g / np.linalg.norm(g, axis=1, keepdims=True))
    np.testing.assert_array_equal(softent.spherical_bins(7, 5, seed=np.random.default_rng(3)), c)


def test_box_bins_reproducible_and_inside_the_box(clustered):
    z, _, _ = clustered
    c = softent.box_bins(z, 50, seed=4)
    expected = np.random.default_rng(4).uniform(z.min(0), z.max(0), size=(50, z.shape[1]))
    np.testing.assert_array_equal(c, expected)
    assert (c >= z.min(0)).all()
    assert (c <= z.max(0)).all()
    # Euclidean metrics default to box bins from the data
    h = softent.soft_histogram(z, metric="euclidean", n_bins=50, seed=4, temperature=1.0)
    np.testing.assert_array_equal(h.centres, expected)


@pytest.mark.parametrize("metric", ["euclidean", "sqeuclidean", "dot"])
def test_auto_temperature_rule_for_other_metrics(clustered, metric):
    z, _, centres = clustered
    eps = softent.calibrate_temperature(z.shape[1], len(centres))
    h = softent.soft_histogram(z, centres=centres, metric=metric)
    spread = np.sqrt(np.mean(np.sum((centres - centres.mean(0)) ** 2, axis=1)))
    norm = np.sqrt(np.mean(np.sum(centres**2, axis=1)))
    expected = {
        "euclidean": eps * spread / math.sqrt(2),
        "sqeuclidean": 2 * eps * spread**2,
        "dot": eps * norm**2,
    }
    assert h.temperature == pytest.approx(expected[metric], rel=1e-12)
    assert 0 < h.entropy() < math.log(len(centres))


def test_zero_rows_get_uniform_assignment_under_cosine():
    z = np.zeros((10, 4))
    assert softent.entropy(z, n_bins=8, temperature=0.1) == pytest.approx(math.log(8), rel=1e-12)


def test_token_style_label_sets_use_shared_atomic_histograms():
    """K x B x 8 bytes above the kernel's per-thread private limit (16 MB): the label
    histograms are shared and updated atomically; the result must not change."""
    rng = np.random.default_rng(5)
    n, d, b, k = 60_000, 8, 100, 40_000
    z = rng.normal(size=(n, d))
    labels = rng.integers(0, k, n)
    centres = softent.spherical_bins(b, d)
    got = softent.soft_histogram(z, labels, centres=centres, temperature=0.3, num_threads=2)
    q = reference.assignments(z, centres, "cosine", 0.3)
    values, codes = np.unique(labels, return_inverse=True)
    expected = np.zeros((len(values), b))
    np.add.at(expected, codes, q)
    assert got.per_label.shape[0] * b * 8 > 16 << 20
    np.testing.assert_allclose(got.per_label, expected, rtol=1e-10, atol=1e-13)
    np.testing.assert_array_equal(got.label_values, values)


# ----------------------------------------------------------------------------- short reprs


def _short(text: str) -> None:
    assert "\n" not in text
    assert len(text) < 200, text
    assert "array(" not in text, text
    assert "[" not in text, text


def test_information_repr_names_the_numbers_without_dumping_arrays(clustered):
    z, labels, _ = clustered
    info = softent.information(z, labels, n_bins=50)
    text = repr(info)
    _short(text)
    assert text.startswith("Information(H=")
    assert f"H={info.entropy:.4g} nats" in text
    assert f"H(Z|L)={info.conditional_entropy:.4g}" in text
    assert f"I={info.mutual_information:.4g}" in text
    assert f"N={z.shape[0]}, B=50 cosine, T={info.histogram.temperature:.4g}, labels=6" in text
    bits = repr(softent.information(z, labels, n_bins=50, base=2, weighting="uniform"))
    assert " bits," in bits
    assert "uniform" in bits
    assert str(info) == text


def test_soft_histogram_repr_is_one_short_line(clustered):
    z, labels, c = clustered
    hist = softent.soft_histogram(z, labels, centres=c, metric="euclidean", temperature=0.7)
    text = repr(hist)
    _short(text)
    assert text == f"SoftHistogram(N={z.shape[0]}, B=29 euclidean, T=0.7, labels=6)"
    z2 = np.vstack([z, np.full((2, z.shape[1]), np.nan)])
    dropped = softent.soft_histogram(z2, n_bins=8, nonfinite="drop")
    assert repr(dropped) == (
        f"SoftHistogram(N={z.shape[0]}, B=8 cosine, T={dropped.temperature:.4g}, "
        "no labels, dropped=2)"
    )


def test_bins_repr_names_size_metric_temperature_and_fingerprint(clustered):
    z, labels, _ = clustered
    bins = softent.soft_histogram(z, labels, n_bins=40).bins
    text = repr(bins)
    _short(text)
    assert text == (
        f"Bins(B=40, D=12, cosine, T={bins.temperature:.4g}, fingerprint={bins.fingerprint()[:12]})"
    )
    assert repr(softent.soft_histogram(z, labels, n_bins=40).bins) == text  # same bins
