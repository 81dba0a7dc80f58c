"""softent.knn.permutation_test: the shuffle test of I(X; Y) = 0. Dependent data give the
smallest possible p; independent data give p-values spread over (0, 1]; the null is the
estimator on shuffled y (checked against shuffles made here), seeded and reproducible."""

from __future__ import annotations

import math

import numpy as np
import pytest
from softent.knn import PermutationTest, mutual_information, permutation_test


def _data(n=200, seed=0, dependent=True):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    x = rng.normal(size=(n, 3)) + (1.5 * labels[:, None] if dependent else 0.0)
    return x, labels


def test_dependent_data_give_the_smallest_p():
    x, labels = _data()
    res = permutation_test(x, labels, n_permutations=30, seed=1)
    assert res.p_value == pytest.approx(1 / 31)
    assert res.estimate > res.null.max()
    assert res.estimate == pytest.approx(mutual_information(x, labels), abs=1e-15)


def test_the_null_is_the_estimate_on_shuffled_labels():
    x, labels = _data(n=120, seed=2)
    res = permutation_test(x, labels, n_permutations=5, seed=7, k=4)
    rng = np.random.default_rng(7)
    want = [mutual_information(x, labels[rng.permutation(120)], k=4) for _ in range(5)]
    np.testing.assert_allclose(res.null, want, rtol=0, atol=1e-15)
    assert res.p_value == (1 + int((res.null >= res.estimate).sum())) / 6


def test_independent_data_give_spread_out_p_values():
    ps = [
        permutation_test(*_data(n=120, seed=s, dependent=False), n_permutations=19, seed=s).p_value
        for s in range(20)
    ]
    assert min(ps) < 0.5 < max(ps)  # not stuck at either end
    assert 0.25 < float(np.mean(ps)) < 0.75  # uniform on {1/20, ..., 1}: mean 0.525
    assert sum(p <= 0.05 for p in ps) <= 4


def test_seeded_and_reproducible_and_continuous_y():
    x, _ = _data(n=150, seed=3)
    rng = np.random.default_rng(3)
    y = x[:, :1] + rng.normal(size=(150, 1))
    a = permutation_test(x, y, n_permutations=8, seed=11)
    b = permutation_test(x, y, n_permutations=8, seed=11)
    c = permutation_test(x, y, n_permutations=8, seed=12)
    np.testing.assert_array_equal(a.null, b.null)
    assert not np.array_equal(a.null, c.null)
    assert a.estimator == "ksg1"
    assert a.metric == "chebyshev"
    assert a.p_value == pytest.approx(1 / 9)


def test_result_record_units_and_torch():
    torch = pytest.importorskip("torch")
    x, labels = _data(n=100, seed=4)
    keep = labels.copy()
    nats = permutation_test(x, labels, n_permutations=4, seed=0)
    bits = permutation_test(x, labels, n_permutations=4, seed=0, base=2)
    assert bits.estimate == pytest.approx(nats.estimate / math.log(2))
    np.testing.assert_allclose(bits.null, nats.null / math.log(2))
    assert bits.p_value == nats.p_value
    np.testing.assert_array_equal(labels, keep)
    t = permutation_test(torch.from_numpy(x), torch.from_numpy(labels), n_permutations=4, seed=0)
    np.testing.assert_allclose(t.null, nats.null, rtol=0, atol=1e-12)
    assert isinstance(nats, PermutationTest)
    assert repr(nats).startswith("PermutationTest(estimate=")
    assert nats.as_dict()["null"] == nats.null.tolist()


def test_bad_arguments_are_refused_naming_them():
    x, labels = _data(n=40, seed=5)
    api = r"softent\.knn\.permutation_test: "
    with pytest.raises(ValueError, match=api + "n_permutations must be"):
        permutation_test(x, labels, n_permutations=0)
    with pytest.raises((ValueError, TypeError), match=api + "seed must be"):
        permutation_test(x, labels, seed=-1)
    with pytest.raises(ValueError, match=api + "estimator must be 'ross'"):
        permutation_test(x, labels, estimator="ksg1")
    with pytest.raises(ValueError, match=api + "k must be"):
        permutation_test(x, labels, k=0)
