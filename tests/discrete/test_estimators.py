"""softent.discrete.estimators: entropy of a discrete distribution from its counts.

Every estimator against the plain per-cell formulas of ``reference.discrete_estimators``
(written from the papers, materialising every cell) on seeded count vectors; known
answers (point masses, uniform tables, Miller-Madow's exact offset, the jackknife against
an explicit leave-one-out loop over samples); invariances (profile of a shuffled or
reshaped table, unseen cells read only by the estimators that use the alphabet, units);
a seeded simulation showing the corrections beat the plug-in estimate on average at small
N; and every kind of bad input refused with a message naming the argument."""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np
import pytest
from reference import discrete_estimators as ref
from scipy import integrate, optimize, special, stats
from softent.discrete.estimators import (
    ACCEPTS_WEIGHTED,
    ALPHAS,
    ESTIMATORS,
    NEEDS_ALPHABET,
    Profile,
    entropy_from_counts,
    entropy_from_profile,
    mutual_information_from_table,
    profile,
)

#: the reference formula of each estimator, as a function of (counts, alphabet_size)
REFERENCE = {
    "plugin": lambda c, k: ref.plugin(c),
    "miller_madow": lambda c, k: ref.miller_madow(c),
    "jackknife": lambda c, k: ref.jackknife(c),
    "grassberger1988": lambda c, k: ref.grassberger1988(c),
    "grassberger": lambda c, k: ref.grassberger(c),
    "chao_shen": lambda c, k: ref.chao_shen(c),
    "nsb": lambda c, k: ref.nsb(c, k),
    "james_stein": lambda c, k: ref.james_stein(c, k),
    "dirichlet": lambda c, k: ref.dirichlet(c, 0.5, k),
}
#: NSB is a numerical integral (softent in ln beta, the reference in xi): they agree to
#: ~1e-15 in practice; the bound leaves room for quadrature tolerances (1e-11)
RTOL = {"nsb": 1e-10}


def seeded_counts(seed: int) -> tuple[np.ndarray, int]:
    """(counts [K] with some zero cells, an alphabet size >= K), from a Dirichlet(0.5)
    distribution: mixes singletons, doubletons and large counts."""
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 40))
    n = int(rng.integers(2, 300))
    counts = rng.multinomial(n, rng.dirichlet(np.full(k, 0.5)))
    return counts, k + int(rng.integers(0, 12))


# ----------------------------------------------------------------------------- the formulas


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("seed", range(4))
def test_every_estimator_equals_the_per_cell_reference(estimator, seed):
    counts, k = seeded_counts(seed)
    expected = REFERENCE[estimator](counts, k)
    got = entropy_from_counts(counts, estimator=estimator, alphabet_size=k)
    assert got == pytest.approx(expected, rel=RTOL.get(estimator, 1e-12))


@pytest.mark.parametrize("estimator", ["plugin", "miller_madow", "jackknife", "chao_shen"])
def test_the_reference_agreement_holds_with_large_counts_and_many_cells(estimator):
    rng = np.random.default_rng(5)
    counts = rng.multinomial(200_000, rng.dirichlet(np.full(300, 0.3)))
    got = entropy_from_counts(counts, estimator=estimator)
    if estimator == "jackknife":
        # the plain N H - ... loses 5 digits to cancellation at N = 2e5: 40-digit mpmath
        pytest.importorskip("mpmath")
        expected = ref.jackknife(counts, digits=40)
    else:
        expected = REFERENCE[estimator](counts, None)
    assert got == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("alpha", [*ALPHAS, 0.01, 2.5])
def test_dirichlet_pseudo_counts_by_name_and_value(alpha):
    counts, k = seeded_counts(7)
    n = int(counts.sum())
    value = {
        "jeffreys": 0.5,
        "krichevsky_trofimov": 0.5,
        "laplace": 1.0,
        "perks": 1 / k,
        "minimax": math.sqrt(n) / k,
    }.get(alpha, alpha)
    got = entropy_from_counts(counts, estimator="dirichlet", alphabet_size=k, alpha=alpha)
    assert got == pytest.approx(ref.dirichlet(counts, value, k), rel=1e-12)


def test_the_default_dirichlet_pseudo_count_is_one_half():
    counts, k = seeded_counts(8)
    assert entropy_from_counts(counts, estimator="dirichlet", alphabet_size=k) == (
        entropy_from_counts(counts, estimator="dirichlet", alphabet_size=k, alpha=0.5)
    )


@pytest.mark.parametrize("n", [1, 2, 3, 4, 10, 11, 1000, 10**6 + 1])
def test_grassberger_2003_g_equals_its_alternating_sum_form(n):
    """G(n) = psi(n) + (-1)^n (psi((n+1)/2) - psi(n/2))/2 = psi(n) - ln 2 - sum_{j<n} (-1)^j / j
    (the form dit's entropy_2 evaluates), through the estimator on a single-cell...
    two-cell table: ln N - (n1 G(n1) + n2 G(n2)) / N."""
    counts = np.array([n, 3])
    total = n + 3

    def g_alt(m: int) -> float:
        j = np.arange(1, m, dtype=np.float64)
        return float(special.digamma(m) - math.log(2) - math.fsum((-1.0) ** j / j))

    expected = math.log(total) - (n * g_alt(n) + 3 * g_alt(3)) / total
    assert entropy_from_counts(counts, estimator="grassberger") == pytest.approx(
        expected, rel=1e-12, abs=1e-12
    )


# ----------------------------------------------------------------------------- known answers

#: estimators that give exactly 0 on a point mass (james_stein from N = 2 on); the others
#: are not: grassberger1988 (ln N - G(N) > 0), grassberger (within 1/N of 0, either sign), nsb (the posterior mean over Dirichlet-distributed
#: distributions, not all point masses) and dirichlet (pseudo-counts spread mass over K)
ZERO_ON_A_POINT_MASS = ("plugin", "miller_madow", "jackknife", "chao_shen", "james_stein")


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("n", [1, 7, 10**5])
def test_a_point_mass(estimator, n):
    counts = np.zeros(12, dtype=np.int64)
    counts[4] = n
    h = entropy_from_counts(counts, estimator=estimator)
    if estimator == "james_stein" and n == 1:
        # one sample: Hausser & Strimmer's lambda = 1 (no variance estimate), H = log K
        assert h == pytest.approx(math.log(12), rel=1e-15)
    elif estimator in ZERO_ON_A_POINT_MASS:
        assert h == 0.0
    elif estimator == "grassberger":
        # ln N - G(N) = +1/N + O(1/N^2) for odd N, -1/(6 N^2) + ... for even N
        assert abs(h) <= 1.3 / n
    else:
        assert 0.0 < h < math.log(12)


@pytest.mark.parametrize("estimator", ["grassberger1988", "grassberger", "nsb", "dirichlet"])
def test_the_point_mass_estimates_that_are_not_zero_shrink_with_n(estimator):
    hs = [abs(entropy_from_counts([0, n, 0, 0], estimator=estimator)) for n in (11, 101, 1001)]
    assert hs[0] > hs[1] > hs[2] > 0


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("k", [2, 10, 64])
def test_uniform_counts_with_large_n_give_log_k(estimator, k):
    counts = np.full(k, 100_000)
    assert entropy_from_counts(counts, estimator=estimator) == pytest.approx(
        math.log(k), abs=1e-3 * k / 10
    )


def test_exactly_uniform_counts_give_log_k_for_the_plugin_and_shrinkage():
    """The plug-in H of equal counts is log K; James-Stein's target is the data itself."""
    counts = np.full(37, 11)
    assert entropy_from_counts(counts) == pytest.approx(math.log(37), rel=1e-15)
    assert entropy_from_counts(counts, estimator="james_stein") == pytest.approx(
        math.log(37), rel=1e-15
    )


@pytest.mark.parametrize("seed", range(3))
def test_miller_madow_is_the_plugin_plus_k_obs_minus_one_over_2n(seed):
    counts, _ = seeded_counts(seed)
    k_obs, n = int((counts > 0).sum()), int(counts.sum())
    assert entropy_from_counts(counts, estimator="miller_madow") == (
        entropy_from_counts(counts) + (k_obs - 1) / (2 * n)
    )


def leave_one_out_by_samples(counts) -> float:
    """N H - (N-1)/N sum_i H_{-i}: the samples listed one by one, each deleted in turn
    (scipy.stats.entropy of the remaining sample's counts)."""
    samples = np.repeat(np.arange(len(counts)), counts)
    n = samples.size
    if n == 1:
        return 0.0  # N H - 0 * (...): the empty rest has no entropy to weigh
    loo = [
        stats.entropy(np.bincount(np.delete(samples, i), minlength=len(counts))) for i in range(n)
    ]
    return n * stats.entropy(counts) - (n - 1) / n * math.fsum(loo)


@pytest.mark.parametrize("counts", [[3, 1, 4, 1, 5, 9, 2, 6], [1, 1, 1], [2, 0, 5], [40, 1], [1]])
def test_the_jackknife_equals_an_explicit_leave_one_out_loop(counts):
    assert entropy_from_counts(counts, estimator="jackknife") == pytest.approx(
        leave_one_out_by_samples(np.array(counts)), rel=1e-12, abs=1e-14
    )


def test_chao_shen_when_every_sample_is_a_singleton_stays_finite():
    """f1 = N would give coverage 0: Chao & Shen's guard f1 := N - 1."""
    h = entropy_from_counts(np.ones(20, dtype=int), estimator="chao_shen")
    assert h == pytest.approx(ref.chao_shen(np.ones(20)), rel=1e-12)
    assert math.isfinite(h)
    assert h > math.log(20)


def test_nsb_without_coincidences_is_finite_and_below_log_k():
    """No count above 1: the evidence grows with beta without a peak, the answer is
    prior-driven, but the integral converges (infomeasure returns NaN here)."""
    h = entropy_from_counts([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], estimator="nsb")
    assert math.isfinite(h)
    assert math.log(4) < h < math.log(10)


def test_nsb_on_a_million_samples_in_a_million_cells():
    """N = 10**6 uniform samples in a 1000 x 1000 alphabet (infomeasure's NSB gives NaN):
    finite, and within 0.01 nats of the truth ln 10**6 where the plug-in is 0.57 low."""
    rng = np.random.default_rng(0)
    table = np.bincount(rng.integers(0, 10**6, 10**6), minlength=10**6).reshape(1000, 1000)
    h = entropy_from_counts(table, estimator="nsb")
    assert math.isfinite(h)
    assert h == pytest.approx(math.log(10**6), abs=0.01)
    assert entropy_from_counts(table) < math.log(10**6) - 0.5


#: Zipf's law over 300 cells, unnormalised
ZIPF_300 = 1.0 / np.arange(1, 301)
#: extreme count profiles within the per-cell reference's reach (cells it can materialise,
#: beta in [1e-12, 1e12]): (counts, alphabet size K)
NSB_EXTREMES = {
    "one sample": ([1], 3),
    "a point mass": ([5], 10),
    "all singletons, N = K": ([1] * 40, 40),
    "N << K": ([2, 1, 1, 1, 1], 300),
    "N >> K = 2": ([500_300, 499_700], 2),
    "K = 2, few samples": ([3, 1], 2),
    "K = 2, skewed": ([999, 1], 2),
    "N >> K = 3": ([10**6, 10**6 - 3000, 4 * 10**5], 3),
    # many distinct counts above 64 (summed term by term) / a few (Stirling's series)
    "every count from 1 to 199": (list(range(1, 200)), 210),
    "a few large counts": ([70, 130, 3000, 1, 1, 2], 12),
    "25 large counts, 65 to 3000": (
        [*np.unique(np.geomspace(65, 3000, 25).astype(int)).tolist(), 1, 1, 2, 3],
        40,
    ),
    # 175 distinct counts up to ~1.6e4, both routes at once
    "Zipf, N = 1e5 over 300 cells": (
        np.random.default_rng(2).multinomial(10**5, ZIPF_300 / ZIPF_300.sum()).tolist(),
        300,
    ),
}


@pytest.mark.parametrize("name", list(NSB_EXTREMES))
def test_nsb_at_extreme_profiles_equals_the_per_cell_reference(name):
    counts, k = NSB_EXTREMES[name]
    with warnings.catch_warnings():
        # the reference's quad reports roundoff at N = 1e6 (its lgamma differences)
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        expected = ref.nsb(np.array(counts), k)
    got = entropy_from_counts(counts, estimator="nsb", alphabet_size=k)
    assert got == pytest.approx(expected, rel=1e-10)


def nsb_in_40_digits(counts, k: int) -> float:
    """NSB's posterior mean with every function of beta in 40-digit mpmath (ln Gamma
    differences, psi_1 by its recurrence, psi), the cells grouped by count (np.unique), the
    integral over t = ln beta in [-46 - ln K, 46] by scipy's adaptive quad: no term sums, no
    Stirling series, no fixed rule. For alphabets and totals the per-cell reference cannot
    take (K = 10**12, N = 10**9)."""
    import mpmath as mp

    values, mults = np.unique(np.asarray(counts), return_counts=True)
    cells = [(int(v), int(m)) for v, m in zip(values, mults, strict=True)]
    n, seen = sum(v * m for v, m in cells), sum(m for _, m in cells)

    def psi1(x):  # psi_1(x) = sum_{i<j} 1/(x+i)^2 + psi_1(x+j): mpmath is fast from x = 60
        j = max(0, 60 - int(x))
        return mp.fsum(1 / (x + i) ** 2 for i in range(j)) + mp.polygamma(1, x + j)

    @functools.cache
    def at(t: float) -> tuple:
        with mp.workdps(40):
            b, kk = mp.exp(mp.mpf(t)), mp.mpf(k)
            a = n + kk * b
            ev = mp.loggamma(kk * b) - mp.loggamma(a)
            ev += mp.fsum(m * (mp.loggamma(v + b) - mp.loggamma(b)) for v, m in cells)
            log_post = ev + mp.log(kk * psi1(kk * b + 1) - psi1(b + 1)) + t
            s = mp.fsum(m * (v + b) * mp.digamma(v + b + 1) for v, m in cells)
            h = mp.digamma(a + 1) - s / a - (kk - seen) * b / a * mp.digamma(b + 1)
            return log_post, float(h)

    # t from ln(1e-20 / K) (the prior's density in t is ~ zeta(2) K beta below) to ln 1e20
    grid = np.linspace(-46.0 - math.log(k), 46.0, 93 + int(math.log(k)))
    f = [at(float(t))[0] for t in grid]
    i = max(range(grid.size), key=lambda j: f[j])
    peak = optimize.minimize_scalar(
        lambda t: -float(at(float(t))[0] - f[i]),
        bounds=(grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]),
        method="bounded",
        options={"xatol": 1e-12},
    )
    t0 = float(peak.x)
    top = max(at(t0)[0], f[i])
    inside = [j for j in range(grid.size) if f[j] > top - 70] + [i]
    lo, hi = grid[max(min(inside) - 1, 0)], grid[min(max(inside) + 1, grid.size - 1)]

    def w(t: float) -> float:
        return float(mp.exp(at(float(t))[0] - top))

    opts = {"epsabs": 0.0, "epsrel": 1e-13, "limit": 500, "points": [t0]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        den = integrate.quad(w, lo, hi, **opts)[0]
        num = integrate.quad(lambda t: w(t) * at(float(t))[1], lo, hi, **opts)[0]
    return num / den


#: profiles beyond the per-cell reference: huge alphabets, huge totals
NSB_BEYOND_THE_REFERENCE = {
    "N = 10 in K = 10**12": ([3, 2, 1, 1, 1, 1, 1], 10**12),
    "50 singletons in K = 10**12": ([1] * 50, 10**12),
    "a point mass of 10**9 in K = 10**6": ([10**9], 10**6),
    "N = 2.3e9 in K = 3": ([10**9, 10**9 - 7, 3 * 10**8], 3),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(NSB_BEYOND_THE_REFERENCE))
def test_nsb_beyond_the_reference_equals_a_40_digit_integral(name):
    pytest.importorskip("mpmath")
    counts, k = NSB_BEYOND_THE_REFERENCE[name]
    expected = nsb_in_40_digits(counts, k)
    got = entropy_from_counts(counts, estimator="nsb", alphabet_size=k)
    # abs: E[H | n, beta] is psi(N + K b + 1) minus a mean of terms of size ln N, whose
    # float rounding (~1e-14 nats) no quadrature removes: it shows on a point mass (H ~ 1e-9)
    assert got == pytest.approx(expected, rel=1e-10, abs=1e-13)


@pytest.mark.parametrize("k", [2, 3, 10, 1000, 10**6, 10**12, 10**15])
def test_nsb_of_a_single_sample_is_half_of_log_k(k):
    """One sample says nothing about H: by exchangeability E[H | sample in cell i] = K E[H
    p_i] = E[H sum_i p_i] = E[H], the prior mean, and NSB's prior is flat in H's prior
    mean xi over [0, ln K]: ln(K) / 2 exactly, at any K (the prior's mass at tiny beta,
    ~ zeta(2) K beta, included)."""
    h = entropy_from_counts([1], estimator="nsb", alphabet_size=k)
    assert h == pytest.approx(math.log(k) / 2, rel=1e-13)


@pytest.mark.parametrize("k", [1, 2])
def test_tiny_alphabets(k):
    counts = np.zeros(k, dtype=int)
    counts[0] = 5
    for estimator in ESTIMATORS:
        h = entropy_from_counts(counts, estimator=estimator)
        assert math.isfinite(h)
        if k == 1:  # one cell: nothing is uncertain for the estimators that know K
            assert h == 0.0 or estimator in ("grassberger1988", "grassberger")


def test_one_sample():
    for estimator in ESTIMATORS:
        h = entropy_from_counts([0, 1, 0], estimator=estimator)
        assert math.isfinite(h)
    assert entropy_from_counts([0, 1, 0], estimator="james_stein") == pytest.approx(math.log(3))


# ----------------------------------------------------------------------------- invariances


def test_the_profile_of_a_small_table():
    p = profile(np.array([[0, 3, 1], [1, 0, 3], [7, 1, 0]]))
    assert p.values.tolist() == [1, 3, 7]
    assert p.multiplicities.tolist() == [3, 2, 1]
    assert p.n == 16.0
    assert p.n_unseen == 3
    assert p.n_observed == 6
    assert p.alphabet_size == 9
    assert p.values.dtype == np.int64
    assert not p.weighted
    assert "N=16" in repr(p)
    assert p.as_dict() == {
        "values": [1, 3, 7],
        "multiplicities": [3, 2, 1],
        "n": 16.0,
        "n_unseen": 3,
    }


def test_the_profile_ignores_the_table_layout():
    rng = np.random.default_rng(3)
    table = rng.poisson(2.0, (40, 25))
    shuffled = rng.permutation(table.ravel()).reshape(10, 5, 20)
    assert profile(table) == profile(shuffled)
    assert profile(table) == profile(table.T.copy().tolist())
    assert profile(table.astype(np.float64)) == profile(table)
    for estimator in ESTIMATORS:
        assert entropy_from_counts(table, estimator=estimator) == entropy_from_counts(
            shuffled, estimator=estimator
        )


def test_huge_count_values_take_the_unique_path():
    """Counts far above the number of cells (no bincount of that length)."""
    counts = np.array([10**12, 3, 10**12, 5 * 10**11, 0])
    p = profile(counts)
    assert p.values.tolist() == [3, 5 * 10**11, 10**12]
    assert p.multiplicities.tolist() == [1, 1, 2]
    assert entropy_from_counts(counts) == pytest.approx(ref.plugin(counts), rel=1e-12)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_alphabet_size_adds_unseen_cells_only_where_the_estimator_uses_them(estimator):
    counts, _ = seeded_counts(11)
    padded = np.concatenate([counts, np.zeros(9, dtype=counts.dtype)])
    h = entropy_from_counts(counts, estimator=estimator)
    h_k = entropy_from_counts(counts, estimator=estimator, alphabet_size=counts.size + 9)
    # zeros given and alphabet_size mean the same
    assert h_k == entropy_from_counts(padded, estimator=estimator)
    if estimator in NEEDS_ALPHABET:
        assert h_k > h
    else:
        assert h_k == h


def test_a_profile_with_an_unknown_alphabet_uses_the_observed_cells():
    counts = np.array([5, 1, 2, 2, 7])
    p = profile(counts)
    unknown = Profile(p.values, p.multiplicities, p.n, None)
    assert unknown.alphabet_size == 5
    for estimator in ESTIMATORS:
        assert entropy_from_profile(unknown, estimator=estimator) == entropy_from_profile(
            p, estimator=estimator
        )


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_units(estimator):
    counts, k = seeded_counts(2)
    nats = entropy_from_counts(counts, estimator=estimator, alphabet_size=k)
    bits = entropy_from_counts(counts, estimator=estimator, alphabet_size=k, base=2)
    assert bits == pytest.approx(nats / math.log(2), rel=1e-14)
    assert isinstance(bits, float)


def test_inputs_are_not_modified_and_torch_lists_numpy_agree():
    torch = pytest.importorskip("torch")
    counts, k = seeded_counts(4)
    keep = counts.copy()
    table = counts[: (counts.size // 2) * 2].reshape(2, -1)
    keep_table = table.copy()
    for estimator in ESTIMATORS:
        h = entropy_from_counts(counts, estimator=estimator, alphabet_size=k)
        assert h == entropy_from_counts(counts.tolist(), estimator=estimator, alphabet_size=k)
        assert h == entropy_from_counts(torch.tensor(counts), estimator=estimator, alphabet_size=k)
        mutual_information_from_table(table, estimator=estimator)
    assert np.array_equal(counts, keep)
    assert np.array_equal(table, keep_table)


def test_weighted_counts_for_plugin_and_miller_madow():
    w = np.array([0.5, 2.25, 0.0, 1.25])
    p = w / w.sum()
    h = -float(np.sum(special.xlogy(p, p)))
    assert entropy_from_counts(w) == pytest.approx(h, rel=1e-14)
    assert entropy_from_counts(3 * w) == pytest.approx(h, rel=1e-14)
    assert entropy_from_counts(w, estimator="miller_madow") == pytest.approx(
        h + (3 - 1) / (2 * 4.0), rel=1e-14
    )
    assert profile(w).weighted
    assert set(ACCEPTS_WEIGHTED) == {"plugin", "miller_madow"}


# ----------------------------------------------------------------------------- mutual information


@pytest.mark.parametrize("estimator", [e for e in ESTIMATORS if e != "nsb"])
def test_mutual_information_is_the_entropy_sum_of_the_reference(estimator):
    rng = np.random.default_rng(9)
    table = rng.poisson(rng.gamma(0.5, 3.0, (6, 5)))
    kx, ky = table.shape

    def h(c, k):
        return REFERENCE[estimator](c, k)

    expected = h(table.sum(1), kx) + h(table.sum(0), ky) - h(table.ravel(), kx * ky)
    got = mutual_information_from_table(table, estimator=estimator)
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-13)
    assert mutual_information_from_table(table, estimator=estimator, base=2) == pytest.approx(
        got / math.log(2), rel=1e-13, abs=1e-15
    )


def test_mutual_information_nsb_composes_the_entropies():
    table = np.array([[5, 1, 0], [2, 9, 3]])
    expected = (
        entropy_from_counts(table.sum(1), estimator="nsb")
        + entropy_from_counts(table.sum(0), estimator="nsb")
        - entropy_from_counts(table, estimator="nsb")
    )
    assert mutual_information_from_table(table, estimator="nsb") == pytest.approx(
        expected, rel=1e-14
    )


def test_plugin_mutual_information_of_independent_and_identical_variables():
    assert mutual_information_from_table(np.full((4, 6), 9)) == pytest.approx(0.0, abs=1e-15)
    assert mutual_information_from_table(np.eye(5, dtype=int) * 3) == pytest.approx(
        math.log(5), rel=1e-15
    )


# ----------------------------------------------------------------------------- bias by simulation


def test_the_corrections_are_closer_to_the_truth_than_the_plugin_at_small_n():
    """K = 40 cells with a Zipf-like distribution, N = 30 samples, 400 seeded repetitions:
    every corrected estimator's mean is nearer the true entropy than the plug-in's mean
    (whose bias is -0.6 nats here; the standard error of each mean is < 0.02 nats, and the
    smallest improvement is several times larger)."""
    k, n, reps = 40, 30, 400
    p = 1.0 / np.arange(1, k + 1)
    p /= p.sum()
    truth = -float(np.sum(p * np.log(p)))
    rng = np.random.default_rng(2024)
    draws = rng.multinomial(n, p, size=reps)
    means = {
        e: float(np.mean([entropy_from_counts(c, estimator=e) for c in draws])) for e in ESTIMATORS
    }
    plug_bias = abs(means["plugin"] - truth)
    assert plug_bias > 0.3
    for estimator in ESTIMATORS[1:]:
        assert abs(means[estimator] - truth) < plug_bias - 0.1, (estimator, means, truth)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("counts", "kind", "words"),
    [
        ([3, -1, 2], ValueError, "counts >= 0"),
        ([3.0, np.nan, 2.0], ValueError, "NaN/Inf"),
        ([3.0, np.inf], ValueError, "NaN/Inf"),
        ([], ValueError, "non-empty"),
        (np.zeros((0, 3)), ValueError, "non-empty"),
        ([0, 0, 0], ValueError, "positive total"),
        (["a", "b"], TypeError, "integer or float counts"),
        ([True, False], TypeError, "integer or float counts"),
        ([1 + 2j], TypeError, "integer or float counts"),
    ],
)
def test_bad_counts_are_refused_naming_the_argument(counts, kind, words):
    with pytest.raises(
        kind, match=rf"softent\.discrete\.entropy_from_counts: counts must .*{words}"
    ):
        entropy_from_counts(counts)


def test_an_unknown_estimator_lists_the_valid_ones():
    with pytest.raises(ValueError, match="estimator must be one of 'plugin', 'miller_madow'") as e:
        entropy_from_counts([1, 2], estimator="shrink")
    assert all(repr(name) in str(e.value) for name in ESTIMATORS)
    with pytest.raises(ValueError, match="estimator must be one of"):
        mutual_information_from_table([[1, 2]], estimator="ML")
    with pytest.raises(ValueError, match="estimator must be one of"):
        entropy_from_profile(profile([1, 2]), estimator=None)


@pytest.mark.parametrize("alpha", [0, -0.5, 0.0, float("nan"), float("inf")])
def test_alpha_must_be_positive(alpha):
    with pytest.raises(ValueError, match="alpha must be a float > 0"):
        entropy_from_counts([1, 2], estimator="dirichlet", alpha=alpha)


def test_alpha_of_a_wrong_kind_or_for_another_estimator_is_refused():
    with pytest.raises(ValueError, match="alpha must be one of 'jeffreys'"):
        entropy_from_counts([1, 2], estimator="dirichlet", alpha="kt")
    with pytest.raises(TypeError, match="alpha must be a float > 0"):
        entropy_from_counts([1, 2], estimator="dirichlet", alpha=[0.5])
    with pytest.raises(ValueError, match="alpha must be None for estimator='plugin'"):
        entropy_from_counts([1, 2], alpha=0.5)


def test_an_alphabet_smaller_than_the_cells_given_is_refused():
    with pytest.raises(ValueError, match=r"alphabet_size must be an int >= 6, got 4"):
        entropy_from_counts(np.ones((2, 3)), estimator="nsb", alphabet_size=4)
    with pytest.raises(TypeError, match="alphabet_size must be an int"):
        entropy_from_counts([1, 2], alphabet_size=3.0)
    with pytest.raises(ValueError, match="alphabet_size must be an int >= 2"):
        profile([1, 2], alphabet_size=1)


@pytest.mark.parametrize("estimator", sorted(set(ESTIMATORS) - ACCEPTS_WEIGHTED))
def test_weighted_counts_with_an_integer_only_estimator_are_refused(estimator):
    with pytest.raises(ValueError, match=f"integer counts for estimator='{estimator}'"):
        entropy_from_counts([0.5, 2.0, 1.0], estimator=estimator)


def test_bad_tables_and_bases():
    with pytest.raises(ValueError, match=r"table must be a 2-D array \[Kx, Ky\]"):
        mutual_information_from_table([1, 2, 3])
    with pytest.raises(ValueError, match="table must be counts >= 0"):
        mutual_information_from_table([[1, -2], [3, 4]])
    with pytest.raises(ValueError, match="table must be non-negative with a positive total"):
        mutual_information_from_table(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="base must be"):
        entropy_from_counts([1, 2], base=1)
    with pytest.raises(TypeError, match="base must be"):
        mutual_information_from_table([[1, 2]], base="bits")


def test_bad_profiles_are_refused():
    with pytest.raises(TypeError, match=r"p must be a softent\.discrete\.Profile"):
        entropy_from_profile([1, 2])
    with pytest.raises(ValueError, match="values must be finite positive counts in strictly"):
        Profile(np.array([3, 1]), np.array([1, 1]), 4.0, 0)
    with pytest.raises(ValueError, match="multiplicities must be ints >= 1"):
        Profile(np.array([1, 3]), np.array([0, 1]), 3.0, 0)
    with pytest.raises(ValueError, match="n must be the total count"):
        Profile(np.array([1, 3]), np.array([1, 1]), 5.0, 0)
    with pytest.raises(ValueError, match="n_unseen must be None or an int >= 0"):
        Profile(np.array([1, 3]), np.array([1, 1]), 4.0, -1)
    with pytest.raises(ValueError, match="1-D arrays of one length"):
        Profile(np.array([1, 3]), np.array([1]), 4.0, 0)
