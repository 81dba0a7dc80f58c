"""softent.permutation_test, Accumulator(permutations=R) and report(permutations=R): the null
is the soft-bin I(Z;L) of the documented label permutations (checked against the
definition on permutations drawn here), streamed within batches, merged as sums, and
summarised as p-value, null mean and the null-corrected estimate."""

from __future__ import annotations

import math

import numpy as np
import pytest
import softent
from cases import DEVICES
from reference import stats as ref

B, T = 12, 0.2


def _data(n=240, d=6, k=4, seed=0, signal=0.0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, n)
    z = rng.normal(size=(n, d)) + signal * np.eye(d)[labels % d]
    centres = rng.normal(size=(B, d))
    return z, labels, centres


@pytest.mark.parametrize("device", DEVICES)
def test_the_null_is_the_mi_of_the_documented_permutations(device):
    z, labels, centres = _data()
    res = softent.permutation_test(
        z if device == "cpu" else pytest.importorskip("torch").tensor(z, device=device),
        labels,
        n_permutations=15,
        seed=4,
        centres=centres,
        temperature=T,
    )
    stat, null = ref.permutation_null(z, labels, centres, "cosine", T, 15, 4)
    assert res.statistic == pytest.approx(stat, rel=1e-10)
    np.testing.assert_allclose(res.null, null, rtol=1e-9, atol=1e-13)
    assert res.pvalue == ref.pvalue(res.statistic, res.null)
    assert res.null_mean == pytest.approx(null.mean(), rel=1e-9)
    assert res.null_std == pytest.approx(null.std(ddof=1), rel=1e-9)
    assert res.corrected == pytest.approx(stat - null.mean(), rel=1e-8, abs=1e-13)
    assert res.null_quantiles[0.95] == pytest.approx(np.quantile(null, 0.95), rel=1e-9)
    assert res.n_permutations == 15
    assert res.context["n_rows"] == 240
    assert res.context["n_bins"] == B
    assert res.context["temperature"] == T
    assert res.context["dim"] == 6


def test_dependent_labels_give_the_smallest_p_and_a_positive_corrected_mi():
    z, labels, centres = _data(signal=3.0)
    res = softent.permutation_test(z, labels, n_permutations=49, centres=centres, temperature=T)
    assert res.pvalue == pytest.approx(1 / 50)
    assert res.corrected > 10 * res.null_std > 0
    assert res.statistic > res.null.max()


def test_units_string_labels_and_the_result_record():
    z, labels, centres = _data(n=150, seed=1)
    names = np.array(["a", "b", "c", "d"])[labels]
    nats = softent.permutation_test(z, labels, n_permutations=9, centres=centres, temperature=T)
    bits = softent.permutation_test(
        z, names, n_permutations=9, centres=centres, temperature=T, base=2
    )
    # string labels sort like their integer codes: the same permutations
    np.testing.assert_allclose(bits.null, nats.null / math.log(2), rtol=1e-12)
    assert bits.pvalue == nats.pvalue
    assert bits.units == "bits"
    assert nats.units == "nats"
    d = nats.as_dict()
    assert d["null"] == nats.null.tolist()
    assert d["pvalue"] == nats.pvalue
    assert d["corrected"] == nats.corrected
    assert d["n_permutations"] == 9
    assert set(d["null_quantiles"]) == {"0.05", "0.5", "0.95"}
    assert repr(nats).startswith("PermutationResult(statistic=")
    assert isinstance(nats, softent.PermutationResult)
    with pytest.raises(AttributeError):
        nats.statistic = 0.0  # frozen


def test_seeded_reproducible_and_inputs_untouched():
    z, labels, _centres = _data(n=100, seed=2)
    z0, l0 = z.copy(), labels.copy()
    a = softent.permutation_test(z, labels, n_permutations=6, seed=1, n_bins=10)
    b = softent.permutation_test(z, labels, n_permutations=6, seed=1, n_bins=10)
    c = softent.permutation_test(z, labels, n_permutations=6, seed=2, n_bins=10)
    np.testing.assert_array_equal(a.null, b.null)
    assert not np.array_equal(a.null, c.null)
    np.testing.assert_array_equal(z, z0)
    np.testing.assert_array_equal(labels, l0)
    assert a.statistic == pytest.approx(softent.mutual_information(z, labels, n_bins=10), rel=1e-12)


def test_streaming_permutes_each_batch_within_itself():
    z, labels, centres = _data(n=200, seed=3)
    acc = softent.Accumulator(centres, temperature=T, permutations=8, permutation_seed=5)
    for a in range(0, 200, 64):
        acc.update(z[a : a + 64], labels[a : a + 64])
    res = acc.permutation_test()
    stat, null = ref.permutation_null(z, labels, centres, "cosine", T, 8, 5, chunk=64)
    assert res.statistic == pytest.approx(stat, rel=1e-10)
    np.testing.assert_allclose(res.null, null, rtol=1e-9, atol=1e-13)
    # one update of every row is the batch function
    one = softent.Accumulator(centres, temperature=T, permutations=8, permutation_seed=5)
    one.update(z, labels)
    batch = softent.permutation_test(
        z, labels, n_permutations=8, seed=5, centres=centres, temperature=T
    )
    np.testing.assert_allclose(one.permutation_test().null, batch.null, rtol=1e-12)


def test_merge_sums_the_workers_permuted_histograms_and_copy_keeps_them():
    z, labels, centres = _data(n=180, seed=4)
    whole = softent.Accumulator(centres, temperature=T, permutations=5)
    whole.update(z[:90], labels[:90]).update(z[90:], labels[90:])
    a = softent.Accumulator(centres, temperature=T, permutations=5).update(z[:90], labels[:90])
    # worker b streams rows 90.. from its own stream position 0
    b = softent.Accumulator(centres, temperature=T, permutations=5).update(z[90:], labels[90:])
    merged = a.copy().merge(b)
    perms = np.concatenate(
        [ref.permuted_labels(labels[:90], 5, 0, 0), ref.permuted_labels(labels[90:], 5, 0, 0)],
        axis=1,
    )
    null = [ref.mutual_information(z, p, centres, "cosine", T) for p in perms]
    np.testing.assert_allclose(merged.permutation_test().null, null, rtol=1e-9)
    assert whole.permutation_test().statistic == pytest.approx(
        merged.permutation_test().statistic, rel=1e-12
    )
    with pytest.raises(ValueError, match=r"Accumulator\.merge: other must be .*permutations=5"):
        a.merge(softent.Accumulator(centres, temperature=T, permutations=3))


def test_internal_indices_share_each_samples_permuted_label():
    rng = np.random.default_rng(5)
    z = rng.normal(size=(120, 3, 4))
    labels = rng.integers(0, 3, 120)
    centres = rng.normal(size=(B, 4))
    acc = softent.Accumulator(centres, temperature=T, permutations=6, permutation_seed=2)
    acc.update(z, labels)
    for layer in range(3):
        want = softent.permutation_test(
            z[:, layer], labels, n_permutations=6, seed=2, centres=centres, temperature=T
        )
        got = acc.permutation_test(index=layer)
        np.testing.assert_allclose(got.null, want.null, rtol=1e-9)
        assert got.statistic == pytest.approx(want.statistic, rel=1e-10)


def test_report_columns_equal_the_permutation_test():
    z, labels, centres = _data(n=160, seed=6)
    other = np.random.default_rng(0).integers(0, 2, 160)
    r = softent.report(
        z,
        {"y": labels, "w": other},
        permutations=12,
        permutation_seed=3,
        centres=centres,
        temperature=T,
    )
    for row in r.rows:
        lab = labels if row["label_set"] == "y" else other
        acc = softent.Accumulator(centres, temperature=T, permutations=12, permutation_seed=3)
        acc.update(z, {row["label_set"]: lab})
        want = acc.permutation_test(row["label_set"])
        assert row["mi_pvalue"] == want.pvalue
        assert row["mi_null_mean"] == pytest.approx(want.null_mean, rel=1e-10)
        assert row["mi_corrected"] == pytest.approx(want.corrected, rel=1e-8, abs=1e-13)
        assert row["mi_null_q95"] == pytest.approx(want.null_quantile(0.95), rel=1e-10)
    table = r.format_table()
    assert "E[I null]" in table
    assert "I-E[null]" in table
    assert "12 label permutations" in table
    d = r.to_dict()
    assert d["permutations"] == {"n_permutations": 12, "seed": 3}
    assert "mi_pvalue" in d["rows"][0]
    # an Accumulator keeps its permutations: its report has the same columns
    acc = softent.Accumulator(
        centres, temperature=T, label_sets=["y", "w"], permutations=12, permutation_seed=3
    )
    acc.update(z, {"y": labels, "w": other})
    s = softent.report(acc)
    for a, b in zip(s.rows, r.rows, strict=True):
        assert a["mi_pvalue"] == b["mi_pvalue"]
        assert a["mi_corrected"] == pytest.approx(b["mi_corrected"], rel=1e-10, abs=1e-13)


def test_bad_arguments_are_refused_naming_them():
    z, labels, centres = _data(n=50, seed=7)
    api = r"softent\.permutation_test: "
    with pytest.raises(ValueError, match=api + "n_permutations must be"):
        softent.permutation_test(z, labels, n_permutations=0)
    with pytest.raises((TypeError, ValueError), match=api + "seed must be"):
        softent.permutation_test(z, labels, seed=-1)
    with pytest.raises(ValueError, match=api + "labels must be"):
        softent.permutation_test(z, labels[:10])
    bad = z.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match=api + "z must be finite.*row 3"):
        softent.permutation_test(bad, labels)
    with pytest.raises(ValueError, match=api + "weighting must be"):
        softent.permutation_test(z, labels, weighting="x")
    with pytest.raises(TypeError, match=api + "labels must be integers"):
        softent.permutation_test(z, labels.astype(float))
    plain = softent.Accumulator(centres, temperature=T).update(z, labels)
    with pytest.raises(ValueError, match=r"Accumulator\.permutation_test: the accumulator must"):
        plain.permutation_test()
    acc = softent.Accumulator(centres, temperature=T, permutations=3).update(z, labels)
    with pytest.raises(ValueError, match=r"report: permutations must be 0 or 3"):
        softent.report(acc, permutations=5)
    with pytest.raises(ValueError, match=r"report: permutations must be 0 without label"):
        softent.report(z, permutations=5)
    with pytest.raises(ValueError, match=r"Accumulator: permutations must be an int >= 0"):
        softent.Accumulator(centres, temperature=T, permutations=-1)
    # sizes that could not fit are refused before anything is allocated, saying how much
    with pytest.raises(ValueError, match=api + "n_permutations must be small enough to fit"):
        softent.permutation_test(z, labels, n_permutations=2**30, centres=centres)
    with pytest.raises(ValueError, match=r"Accumulator: permutations must be small enough"):
        softent.Accumulator(centres, temperature=T, permutations=2**30)
    ids = softent.Accumulator(centres, temperature=T, permutations=2**21)
    with pytest.raises(ValueError, match=r"Accumulator\.update: permutations must be small"):
        ids.update(np.repeat(z, 100, axis=0), np.arange(5000))


def test_the_permutations_do_not_depend_on_the_thread_count():
    # 3000 rows: several kernel tiles and permutations for each of two threads; the
    # permutations are drawn from one stream per permutation, so only the order in which
    # the threads' partial sums are added may differ (last bits)
    z, labels, centres = _data(n=3000, seed=8)
    one = softent.permutation_test(
        z, labels, n_permutations=7, seed=9, centres=centres, temperature=T, num_threads=1
    )
    two = softent.permutation_test(
        z, labels, n_permutations=7, seed=9, centres=centres, temperature=T, num_threads=2
    )
    np.testing.assert_allclose(two.null, one.null, rtol=1e-12, atol=1e-15)
    assert two.pvalue == one.pvalue
    again = softent.permutation_test(
        z, labels, n_permutations=7, seed=9, centres=centres, temperature=T, num_threads=2
    )
    np.testing.assert_array_equal(again.null, two.null)
    # and they are the documented ones (reference.stats, NumPy)
    _, null = ref.permutation_null(z, labels, centres, "cosine", T, 7, 9)
    np.testing.assert_allclose(one.null, null, rtol=1e-9, atol=1e-13)


def test_many_labels_use_wider_codes_and_the_same_rule():
    # 300 label values (> 254: the kernel reads uint16 codes), two rows each
    rng = np.random.default_rng(10)
    labels = rng.permutation(np.repeat(np.arange(300), 2))
    z = rng.normal(size=(600, 5))
    centres = rng.normal(size=(B, 5))
    res = softent.permutation_test(
        z, labels, n_permutations=4, seed=3, centres=centres, temperature=T
    )
    stat, null = ref.permutation_null(z, labels, centres, "cosine", T, 4, 3)
    assert res.statistic == pytest.approx(stat, rel=1e-10)
    np.testing.assert_allclose(res.null, null, rtol=1e-9, atol=1e-13)


def test_masked_rows_stay_masked_and_the_labelled_ones_are_permuted_among_themselves():
    z, labels, centres = _data(n=200, seed=11)
    masked = labels.copy()
    masked[::3] = -100
    keep = masked != -100
    acc = softent.Accumulator(centres, temperature=T, permutations=6, permutation_seed=4)
    acc.update(z, masked, ignore_index=-100)
    got = acc.permutation_test()
    # the labelled codes in row order are shuffled by the documented rule, so the null is
    # that of the labelled rows alone (their permutations at the same stream position)
    sub = softent.Accumulator(centres, temperature=T, permutations=6, permutation_seed=4)
    sub.update(z[keep], labels[keep])
    want = sub.permutation_test()
    perms = ref.permuted_labels(labels[keep], 6, 4)
    null = [ref.mutual_information(z[keep], p, centres, "cosine", T) for p in perms]
    np.testing.assert_allclose(want.null, null, rtol=1e-9, atol=1e-13)
    assert got.statistic == pytest.approx(want.statistic, rel=1e-9)
    np.testing.assert_allclose(got.null, want.null, rtol=1e-9, atol=1e-13)


def test_the_documented_shuffle_is_uniform():
    # the NumPy mirror of the rule (checked against the library above) draws every
    # ordering of 4 items equally often: chi-square over the 24 orderings
    stats = pytest.importorskip("scipy.stats")
    r = 24 * 400
    perms = ref.shuffled(np.arange(4), ref.permutation_keys(0, 0, "labels", r))
    ids = perms @ np.array([64, 16, 4, 1])
    counts = np.unique(ids, return_counts=True)[1]
    assert counts.size == 24
    assert stats.chisquare(counts).pvalue > 1e-3
    # and each permutation's stream differs with the seed, the offset and the set's name
    a = ref.shuffled(np.arange(50), ref.permutation_keys(1, 0, "y", 3))
    for other in (
        ref.permutation_keys(2, 0, "y", 3),
        ref.permutation_keys(1, 50, "y", 3),
        ref.permutation_keys(1, 0, "w", 3),
    ):
        assert not np.array_equal(a, ref.shuffled(np.arange(50), other))


def test_permuted_histograms_too_large_for_private_copies_are_summed_atomically():
    # 5,500 label values x R = 4 x B = 100 float64 permuted rows = 17.6 MB: above the 16 MiB
    # bound for per-thread copies, so the threads add into the shared rows atomically
    rng = np.random.default_rng(12)
    labels = rng.permutation(np.repeat(np.arange(5500), 2))
    z = rng.normal(size=(11000, 5))
    centres = rng.normal(size=(100, 5))
    res = softent.permutation_test(
        z, labels, n_permutations=4, seed=6, centres=centres, temperature=T, num_threads=2
    )
    stat, null = ref.permutation_null(z, labels, centres, "cosine", T, 4, 6)
    assert res.statistic == pytest.approx(stat, rel=1e-10)
    np.testing.assert_allclose(res.null, null, rtol=1e-9, atol=1e-13)


def test_the_most_frequent_label_derived_from_the_total_matches_the_reference():
    # the pass leaves each set's most frequent label out of the permuted sums and derives
    # its histograms from the set's total: two imbalanced labels (70% / 30%)
    # and a second label set (3 labels) in the same pass
    rng = np.random.default_rng(13)
    z = rng.normal(size=(300, 4))
    y = (rng.random(300) < 0.3).astype(int)
    w = rng.integers(0, 3, 300)
    centres = rng.normal(size=(B, 4))
    acc = softent.Accumulator(
        centres, temperature=T, label_sets=["y", "w"], permutations=5, permutation_seed=8
    )
    acc.update(z, {"y": y, "w": w})
    for name, lab in (("y", y), ("w", w)):
        got = acc.permutation_test(name)
        perms = ref.permuted_labels(lab, 5, 8, name=name)
        null = [ref.mutual_information(z, p, centres, "cosine", T) for p in perms]
        np.testing.assert_allclose(got.null, null, rtol=1e-9, atol=1e-13)
        assert np.all(np.isfinite(got.null))
