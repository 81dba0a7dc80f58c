"""Calibration of the statistics layer (issue 14, "done when"): on seeded problems where the
answer is known, permutation p-values are uniform and the null-corrected MI averages 0
under independence, and the default (basic bootstrap) intervals cover the true MI in the
hard-bin limit. Seeded and deterministic; sizes chosen to run in a few seconds."""

from __future__ import annotations

import numpy as np
import pytest
import softent
from reference import stats as ref
from scipy import stats as sps


def test_permutation_pvalues_are_uniform_and_corrected_mi_averages_zero_under_the_null():
    rng = np.random.default_rng(20260)
    centres = rng.normal(size=(8, 4))
    pvalues, corrected = [], []
    for _ in range(200):  # 200 null problems: labels drawn independently of z
        z = rng.normal(size=(60, 4))
        labels = rng.integers(0, 3, 60)
        res = softent.permutation_test(
            z,
            labels,
            n_permutations=99,
            seed=int(rng.integers(2**32)),
            centres=centres,
            temperature=0.1,
        )
        pvalues.append(res.pvalue)
        corrected.append(res.corrected)
    pvalues, corrected = np.array(pvalues), np.array(corrected)
    assert sps.kstest(pvalues, "uniform").pvalue > 0.01
    se = corrected.std(ddof=1) / np.sqrt(corrected.size)
    assert abs(corrected.mean()) < 3 * se
    # the raw estimate is biased upward: its mean is many standard errors above 0
    assert np.mean(pvalues <= 0.05) < 0.1


def test_default_intervals_cover_the_true_mi_in_the_hard_bin_limit():
    # A finite population whose hard-bin MI is exact: the plug-in MI of the table of
    # (nearest cosine bin, label) over all its rows. Samples drawn with replacement from it
    # have that MI as their truth; at T -> 0 the soft bins are the hard bins.
    rng = np.random.default_rng(7)
    pop_n, d, k = 20_000, 3, 3
    pop_labels = rng.integers(0, k, pop_n)
    pop_z = rng.normal(size=(pop_n, d)) + 0.8 * np.eye(d)[pop_labels]
    centres = rng.normal(size=(6, d))
    joint = np.zeros((6, k))
    np.add.at(joint, (ref.nearest_bins(pop_z, centres), pop_labels), 1)
    truth = ref.discrete_mi(joint)
    assert 0.05 < truth < 1.0
    covered, covered_percentile, trials = 0, 0, 60
    for t in range(trials):
        rows = rng.integers(0, pop_n, 800)
        z, labels = pop_z[rows], pop_labels[rows]
        r = softent.report(
            z, labels, centres=centres, temperature=1e-8, bootstrap=100, bootstrap_seed=t
        )
        row = r.rows[0]
        # the hard-bin limit: the soft estimate is the discrete plug-in MI of the sample
        sample = np.zeros((6, k))
        np.add.at(sample, (ref.nearest_bins(z, centres), labels), 1)
        theta = row["mutual_information"]
        assert theta == pytest.approx(ref.discrete_mi(sample), abs=1e-9)
        lo, hi = row["mutual_information_ci"]
        covered += lo <= truth <= hi
        # the percentile interval of the same replicates mirrors the basic one about θ
        covered_percentile += 2 * theta - hi <= truth <= 2 * theta - lo
    assert covered / trials >= 0.9
    # basic intervals correct the plug-in bias that percentile intervals double
    assert covered >= covered_percentile


def test_pure_noise_reports_no_information():
    # the pure-noise example (N = 20,480, D = 768, 17 labels) at a CI size: the
    # raw MI is all bias; the null says so
    rng = np.random.default_rng(14)
    z = rng.normal(size=(2048, 64)).astype(np.float32)
    labels = rng.integers(0, 17, 2048)
    r = softent.report(z, labels, permutations=200, bootstrap=100)
    row = r.rows[0]
    assert row["mutual_information"] > 0.01  # the plug-in estimate is far from 0
    assert row["mi_pvalue"] >= 0.05
    assert abs(row["mi_corrected"]) < 3 * row["mi_null_std"]
    lo, hi = row["mutual_information_ci"]
    assert lo <= 0.0 <= hi or abs(row["mi_corrected"]) < hi - lo  # the interval allows 0
    # percentile intervals sit above the estimate (the symptom); the table marks it
    p = softent.report(z, labels, bootstrap=100, interval="percentile").rows[0]
    assert p["mutual_information_ci"][0] > p["mutual_information"]
    assert "]!" in softent.report(z, labels, bootstrap=100, interval="percentile").format_table()
