"""The soft-bin estimator against the NumPy reference, known answers and invariances.

Every test that runs the kernel takes the ``device`` fixture: NumPy in on "cpu", torch
tensors in GPU memory on "cuda" (results come back as tensors there: :func:`host`). The
tile-size/thread test is about the CPU kernel's OpenMP tiling and stays on the CPU; the
tests of defaults, bins, temperature rules and reprs do not test kernel numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import reference.soft as reference
import softent
from cases import METRICS, TEMPERATURES, host, put


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize(("dtype", "rtol"), [(np.float64, 1e-10), (np.float32, 1e-5)])
@pytest.mark.parametrize("weighting", ["weighted", "uniform"])
def test_matches_numpy_reference(clustered, metric, dtype, rtol, weighting, device):
    z, labels, centres = clustered
    t = TEMPERATURES[metric]
    h, hc, mi, per_label = reference.information(z, labels, centres, metric, t, weighting)
    zd, ld = put(z.astype(dtype), device), put(labels, device)
    got = softent.information(
        zd, ld, centres=centres, metric=metric, temperature=t, weighting=weighting
    )
    assert host(got.entropy) == pytest.approx(h, rel=rtol)
    assert host(got.conditional_entropy) == pytest.approx(hc, rel=rtol)
    assert host(got.mutual_information) == pytest.approx(
        mi, rel=max(rtol, 1e-12) * 20, abs=rtol * h
    )
    values = host(got.label_values)
    assert values.tolist() == sorted(per_label)
    np.testing.assert_allclose(host(got.label_entropies), [per_label[v] for v in values], rtol=rtol)
    assert host(got.counts).tolist() == [int((labels == v).sum()) for v in values]
    assert 0.05 < mi < h  # the fixture is informative but not degenerate
    assert host(
        softent.entropy(zd, centres=centres, metric=metric, temperature=t)
    ) == pytest.approx(h, rel=rtol)


def test_functions_agree_with_information(clustered, device):
    z, labels, centres = clustered
    z, labels = put(z, device), put(labels, device)
    kw = {"centres": centres, "metric": "euclidean", "temperature": 0.7}
    info = softent.information(z, labels, **kw)
    assert host(softent.conditional_entropy(z, labels, **kw)) == host(info.conditional_entropy)
    assert host(softent.mutual_information(z, labels, **kw)) == host(info.mutual_information)
    assert host(softent.entropy(z, **kw)) == pytest.approx(host(info.entropy), rel=1e-12)


def test_masked_labels_are_ignored_everywhere(clustered, device):
    z, labels, centres = clustered
    masked = labels.copy()
    masked[::3] = -1
    h, hc, _mi, _ = reference.information(z, masked, centres, "cosine", 0.1)
    got = softent.information(
        put(z, device), put(masked, device), centres=centres, temperature=0.1, ignore_index=-1
    )
    assert (host(got.entropy), host(got.conditional_entropy)) == pytest.approx((h, hc), rel=1e-10)
    keep = masked != -1
    same = softent.information(
        put(z[keep], device), put(labels[keep], device), centres=centres, temperature=0.1
    )
    assert host(got.mutual_information) == pytest.approx(host(same.mutual_information), rel=1e-10)
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


def test_row_order_and_label_renaming_invariance(clustered, device):
    z, labels, centres = clustered
    zd = put(z, device)
    base = softent.information(zd, put(labels, device), centres=centres, temperature=0.1)
    perm = np.random.default_rng(3).permutation(len(z))
    shuffled = softent.information(
        put(z[perm], device), put(labels[perm], device), centres=centres, temperature=0.1
    )
    names = np.array(["zero", "one", "two", "three", "four", "five"])  # strings stay NumPy
    renamed = softent.information(zd, names[labels], centres=centres, temperature=0.1)
    shifted = softent.information(
        zd, put(labels * 1000 + 17, device), centres=centres, temperature=0.1
    )
    for other in (shuffled, renamed, shifted):
        assert host(other.entropy) == pytest.approx(host(base.entropy), rel=1e-12)
        assert host(other.conditional_entropy) == pytest.approx(
            host(base.conditional_entropy), rel=1e-12
        )
        assert sorted(host(other.label_entropies)) == pytest.approx(
            sorted(host(base.label_entropies)), rel=1e-12
        )
    assert renamed.label_values.dtype.kind == "U"


def test_large_sparse_integer_labels_take_the_sorting_path(device):
    rng = np.random.default_rng(0)
    z = rng.normal(size=(300, 5))
    labels = rng.choice([-(2**40), 3, 2**40], size=300)
    h, hc, _, _ = reference.information(z, labels, softent.spherical_bins(10, 5), "cosine", 0.2)
    got = softent.information(put(z, device), put(labels, device), n_bins=10, temperature=0.2)
    assert (host(got.entropy), host(got.conditional_entropy)) == pytest.approx((h, hc), rel=1e-10)
    assert host(got.label_values).tolist() == [-(2**40), 3, 2**40]


def test_bits_are_nats_over_ln2(clustered, device):
    z, labels, centres = clustered
    z, labels = put(z, device), put(labels, device)
    nats = softent.information(z, labels, centres=centres, temperature=0.1)
    bits = softent.information(z, labels, centres=centres, temperature=0.1, base=2)
    for name in ("entropy", "conditional_entropy", "mutual_information"):
        assert host(getattr(bits, name)) == pytest.approx(
            host(getattr(nats, name)) / math.log(2), rel=1e-12
        )
    np.testing.assert_allclose(
        host(bits.label_entropies), host(nats.label_entropies) / math.log(2), rtol=1e-12
    )


def test_float32_agrees_with_float64(clustered, device):
    z, labels, centres = clustered
    labels = put(labels, device)
    for metric in METRICS:
        t = TEMPERATURES[metric]
        a = softent.information(
            put(z, device), labels, centres=centres, metric=metric, temperature=t
        )
        b = softent.information(
            put(z.astype(np.float32), device), labels, centres=centres, metric=metric, temperature=t
        )
        assert host(b.entropy) == pytest.approx(host(a.entropy), rel=1e-5)
        assert host(b.mutual_information) == pytest.approx(
            host(a.mutual_information), rel=1e-4, abs=1e-6
        )


# ---- known answers ---------------------------------------------------------------------


def test_one_bin_has_zero_entropy(clustered, device):
    z, labels, _ = clustered
    info = softent.information(put(z, device), put(labels, device), n_bins=1, temperature=0.5)
    assert host(info.entropy) == 0.0
    assert host(info.conditional_entropy) == 0.0
    assert host(info.mutual_information) == 0.0


def test_infinite_temperature_is_uniform(device):
    z = put(np.random.default_rng(0).normal(size=(500, 8)), device)
    h = softent.entropy(z, n_bins=50, temperature=1e9)
    assert host(h) == pytest.approx(math.log(50), rel=1e-9)


def test_identical_rows(device):
    """Every row the same: each label's histogram equals the total, so I(Z;L) = 0."""
    row = np.random.default_rng(1).normal(size=(1, 16))
    z = np.repeat(row, 400, axis=0)
    labels = np.arange(400) % 4
    info = softent.information(put(z, device), put(labels, device), n_bins=20, temperature=0.2)
    centres = softent.spherical_bins(20, 16)
    q = reference.assignments(row, centres, "cosine", 0.2)[0]
    assert host(info.entropy) == pytest.approx(reference.shannon(q), rel=1e-12)
    assert host(info.mutual_information) == pytest.approx(0.0, abs=1e-12)


def test_labels_independent_of_z(device):
    """Each label sees exactly the same rows: the conditionals equal the marginal, I = 0."""
    z = np.random.default_rng(2).normal(size=(300, 6))
    z2 = np.concatenate([z, z, z])
    labels = np.repeat([5, 9, 11], 300)
    info = softent.information(put(z2, device), put(labels, device), n_bins=30, temperature=0.1)
    assert host(info.mutual_information) == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(host(info.label_entropies), host(info.entropy), rtol=1e-12)


@pytest.mark.parametrize("metric", METRICS)
def test_label_that_determines_z(metric, device):
    """Rows sit on 4 well-separated centres and the label names the centre: with a cold
    temperature the assignment is hard, H(Z|L) = 0 and I(Z;L) = H(Z) = H(L)."""
    centres = np.eye(4) * 10.0
    labels = np.repeat(np.arange(4), [100, 200, 300, 400])
    z = centres[labels]
    info = softent.information(
        put(z, device), put(labels, device), centres=centres, metric=metric, temperature=1e-3
    )
    p = np.array([100, 200, 300, 400]) / 1000
    h_l = float(-(p * np.log(p)).sum())
    assert host(info.entropy) == pytest.approx(h_l, rel=1e-12)
    assert host(info.conditional_entropy) == pytest.approx(0.0, abs=1e-12)
    assert host(info.mutual_information) == pytest.approx(h_l, rel=1e-12)


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


def test_zero_rows_get_uniform_assignment_under_cosine(device):
    z = put(np.zeros((10, 4)), device)
    h = softent.entropy(z, n_bins=8, temperature=0.1, zero_rows="uniform")
    assert host(h) == pytest.approx(math.log(8), rel=1e-12)


def test_token_style_label_sets_use_shared_atomic_histograms(device):
    """K x B x 8 bytes above the CPU kernel's per-thread private limit (16 MB): the label
    histograms are shared and updated atomically; the result must not change (the CUDA
    kernel always adds into global memory with atomics: the same check of a large K)."""
    rng = np.random.default_rng(5)
    n, d, b, k = 60_000, 8, 100, 40_000
    z = rng.normal(size=(n, d))
    labels = rng.integers(0, k, n)
    centres = softent.spherical_bins(b, d)
    got = softent.soft_histogram(
        put(z, device), put(labels, device), centres=centres, temperature=0.3, num_threads=2
    )
    q = reference.assignments(z, centres, "cosine", 0.3)
    values, codes = np.unique(labels, return_inverse=True)
    expected = np.zeros((len(values), b))
    np.add.at(expected, codes, q)
    assert got.per_label.shape[0] * b * 8 > 16 << 20
    np.testing.assert_allclose(host(got.per_label), expected, rtol=1e-10, atol=1e-13)
    np.testing.assert_array_equal(host(got.label_values), values)


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
