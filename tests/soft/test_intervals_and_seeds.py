"""report's interval methods (basic by default, percentile on request) and their table
marker, the spread over bin-centre seeds, the context every row carries, and the
replicate bookkeeping of per-sample label sets (weights instead of dense replicates)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import softent
from reference import stats as ref
from softent.soft.bootstrap import poisson_bootstrap


@pytest.fixture
def data():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 3, 300)
    z = rng.normal(size=(300, 5)) + 1.5 * np.eye(5)[labels]
    return z, labels


def test_default_intervals_are_basic_and_percentile_is_an_option(data):
    z, labels = data
    acc = softent.Accumulator(n_bins=10, dim=5, bootstrap=40, bootstrap_seed=2)
    acc.update(z, labels)
    reps = acc.replicate_measures()
    basic = softent.report(acc, confidence=0.9).rows[0]
    pct = softent.report(z, labels, n_bins=10, bootstrap=40, bootstrap_seed=2, confidence=0.9)
    pct_row = softent.report(
        z, labels, n_bins=10, bootstrap=40, bootstrap_seed=2, confidence=0.9, interval="percentile"
    ).rows[0]
    for key in ("entropy", "conditional_entropy", "mutual_information"):
        values = [r[0][key] for r in reps["labels"]]
        assert basic[f"{key}_ci"] == pytest.approx(
            ref.basic_interval(basic[key], values, 0.9), rel=1e-9
        )
        assert pct.rows[0][f"{key}_ci"] == pytest.approx(basic[f"{key}_ci"], rel=1e-9)
        assert pct_row[f"{key}_ci"] == pytest.approx(ref.percentile_interval(values, 0.9), rel=1e-9)
    assert pct.interval == "basic"
    assert pct.to_dict()["bootstrap"]["interval"] == "basic"
    with pytest.raises(ValueError, match=r"softent\.report: interval must be one of 'basic'"):
        softent.report(z, labels, bootstrap=5, interval="bca")


def test_the_table_marks_an_interval_that_excludes_its_estimate():
    rng = np.random.default_rng(0)
    z, noise = rng.normal(size=(500, 16)), rng.integers(0, 12, 500)
    pct = softent.report(z, noise, n_bins=30, bootstrap=60, interval="percentile")
    lo, hi = pct.rows[0]["mutual_information_ci"]
    assert lo > pct.rows[0]["mutual_information"]  # biased replicates: above the estimate
    table = pct.format_table()
    assert "! = the interval excludes its estimate" in table
    mi_cell = f"[{lo:.4f}, {hi:.4f}]!"
    assert mi_cell in table
    # an interval that contains its estimate is not marked
    h_lo, h_hi = pct.rows[0]["entropy_ci"]
    if h_lo <= pct.rows[0]["entropy"] <= h_hi:
        assert f"[{h_lo:.4f}, {h_hi:.4f}]!" not in table
        assert f"[{h_lo:.4f}, {h_hi:.4f}]" in table


def test_seed_spread_is_the_mean_and_sd_over_separate_reports(data):
    z, labels = data
    seeded = softent.report(z, labels, n_bins=16, seeds=[0, 3, 5], permutations=10)
    single = [softent.report(z, labels, n_bins=16, seed=s, permutations=10) for s in (0, 3, 5)]
    row = seeded.rows[0]
    for key in ("entropy", "conditional_entropy", "mutual_information", "mi_corrected"):
        vals = [r.rows[0][key] for r in single]
        assert row[f"{key}_seed_mean"] == pytest.approx(np.mean(vals), rel=1e-12)
        assert row[f"{key}_seed_sd"] == pytest.approx(np.std(vals, ddof=1), rel=1e-9)
        assert row[key] == single[0].rows[0][key]  # every other number is the first seed's
    assert seeded.seeds == (0, 3, 5)
    assert seeded.to_dict()["seeds"] == [0, 3, 5]
    assert "I seeds sd" in seeded.format_table()
    by_count = softent.report(z, labels, n_bins=16, n_seeds=3, seed=4)
    by_list = softent.report(z, labels, n_bins=16, seeds=[4, 5, 6])
    assert by_count.rows == by_list.rows
    api = r"softent\.report: "
    with pytest.raises(ValueError, match=api + "seeds must be distinct"):
        softent.report(z, labels, seeds=[1, 1])
    with pytest.raises(ValueError, match=api + "n_seeds must be None when seeds"):
        softent.report(z, labels, seeds=[1], n_seeds=2)
    with pytest.raises(ValueError, match=api + "seeds must be None when centres"):
        softent.report(z, labels, seeds=[1, 2], centres=np.eye(5))
    acc = softent.Accumulator(n_bins=8, dim=5).update(z, labels)
    with pytest.raises(ValueError, match=api + "seeds must be None for an Accumulator"):
        softent.report(acc, n_seeds=2)


def test_every_row_names_its_estimator_and_bins(data):
    z, labels = data
    r = softent.report(z, {"y": labels}, n_bins=12, temperature=0.3)
    auto = softent.report(z, n_bins=12)
    for rep in (r, auto):
        for row in rep.rows:
            assert row["estimator"].startswith("soft-bin")
            assert row["n_bins"] == 12
            assert row["dim"] == 5
            assert row["n_rows"] == 300
            assert row["temperature"] == rep.bins.temperature
    assert r.rows[0]["temperature"] == 0.3
    assert "compare numbers only at equal B, T, D" in r.format_table()


def test_per_sample_label_sets_keep_weights_and_give_the_dense_numbers():
    rng = np.random.default_rng(1)
    n = 260
    z, ids, y = rng.normal(size=(n, 6)), np.arange(n), rng.integers(0, 3, n)
    acc = softent.Accumulator(n_bins=10, dim=6, bootstrap=9, bootstrap_seed=3)
    for a in range(0, n, 64):
        acc.update(z[a : a + 64], {"id": ids[a : a + 64], "y": y[a : a + 64]})
    streamed = softent.report(acc)
    whole = softent.report(z, {"id": ids, "y": y}, n_bins=10, bootstrap=9, bootstrap_seed=3)
    for a, b in zip(streamed.rows, whole.rows, strict=True):
        for key in a:
            if key.endswith("_ci"):
                assert a[key] == pytest.approx(b[key], rel=1e-9, abs=1e-12), key
    reps = acc.replicate_histograms("id")
    want = poisson_bootstrap(z, {"id": ids}, acc.bins, 9, seed=3)
    for r, w in zip(reps, want, strict=True):
        np.testing.assert_allclose(r["sets"]["id"][1], w["sets"]["id"][1], rtol=1e-12, atol=1e-15)
    subset = acc.replicate_measures(measures=("mutual_information", "entropy"))
    full = acc.replicate_measures()
    for r in range(9):
        assert list(subset["id"][r][0]) == ["mutual_information", "entropy"]
        for key in ("mutual_information", "entropy"):
            assert subset["id"][r][0][key] == pytest.approx(full["id"][r][0][key], rel=1e-10)
    # a repeated id turns the set into dense sums: still the numbers of all rows at once
    acc.update(z[:5], {"id": ids[:5], "y": y[:5]})
    again = softent.report(
        np.concatenate([z, z[:5]]),
        {"id": np.concatenate([ids, ids[:5]]), "y": np.concatenate([y, y[:5]])},
        n_bins=10,
        bootstrap=9,
        bootstrap_seed=3,
    )
    for a, b in zip(softent.report(acc).rows, again.rows, strict=True):
        assert a["mutual_information_ci"] == pytest.approx(b["mutual_information_ci"], rel=1e-9)
    with pytest.raises(ValueError, match=r"replicate_measures: measures must be None or keys"):
        acc.replicate_measures(measures=("nope",))


def test_corrected_values_print_without_a_unit_change():
    rng = np.random.default_rng(2)
    z, labels = rng.normal(size=(200, 4)), rng.integers(0, 2, 200)
    nats = softent.report(z, labels, n_bins=8, permutations=20).rows[0]
    bits = softent.report(z, labels, n_bins=8, permutations=20, base=2).rows[0]
    assert bits["mi_corrected"] == pytest.approx(nats["mi_corrected"] / math.log(2), rel=1e-9)
    assert bits["mi_pvalue"] == nats["mi_pvalue"]
