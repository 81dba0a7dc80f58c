"""softent.discrete.estimate: entropies and (conditional) mutual informations of samples,
against the plain Counter reference, scikit-learn, known answers and the estimators'
count-level functions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from cases import host, put
from reference import discrete_samples as ref
from softent.discrete import estimate
from softent.discrete.estimators import ESTIMATORS, entropy_from_counts


def paired(seed: int = 0, n: int = 2000):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 6, n)
    y = (x + rng.integers(0, 3, n)) % 8
    z = (x // 2 + rng.integers(0, 2, n)) % 3
    return x, y, z


def test_plugin_values_equal_the_plain_reference_and_sklearn(device):
    from sklearn.metrics import mutual_info_score

    x, y, z = paired()
    xs, ys = put(x, device), put(y, device)
    assert estimate.entropy(xs) == pytest.approx(ref.plugin_entropy(x), rel=1e-12)
    assert estimate.joint_entropy(xs, ys) == pytest.approx(ref.plugin_entropy(x, y), rel=1e-12)
    mi = estimate.mutual_information(xs, ys)
    assert mi == pytest.approx(ref.plugin_mutual_information(x, y), rel=1e-12)
    assert mi == pytest.approx(mutual_info_score(x, y), rel=1e-10)
    cmi = estimate.conditional_mutual_information(xs, ys, put(z, device))
    assert cmi == pytest.approx(ref.plugin_conditional_mutual_information(x, y, z), rel=1e-12)


def test_rows_of_several_columns_are_one_symbol(device):
    rng = np.random.default_rng(1)
    x = rng.integers(0, 3, (1500, 3))
    y = (x[:, 0] + x[:, 2] + rng.integers(0, 2, 1500)) % 4
    got = estimate.mutual_information(put(x, device), put(y, device))
    assert got == pytest.approx(ref.plugin_mutual_information(x, y), rel=1e-12)
    assert estimate.entropy(put(x, device)) == pytest.approx(ref.plugin_entropy(x), rel=1e-12)


def test_strings_and_integers_give_the_same_numbers():
    x, y, _ = paired(2)
    names = np.array(["zero", "one", "two", "three", "four", "five"])
    assert estimate.mutual_information(names[x], y) == pytest.approx(
        estimate.mutual_information(x, y), rel=1e-13
    )
    # relabelling (large, negative, sparse codes) changes nothing
    assert estimate.mutual_information(x * 10**9 - 7, y) == pytest.approx(
        estimate.mutual_information(x, y), rel=1e-13
    )


def test_known_answers():
    k = 7
    x = np.repeat(np.arange(k), 30)
    assert estimate.entropy(x) == pytest.approx(math.log(k), abs=1e-12)
    assert estimate.entropy(x, base=2) == pytest.approx(math.log2(k), abs=1e-12)
    assert estimate.entropy(np.zeros(50, int)) == 0.0
    # I(X;X) = H(X), and exact independence on a full grid
    assert estimate.mutual_information(x, x) == pytest.approx(math.log(k), abs=1e-12)
    g = np.arange(5 * 4)
    assert estimate.mutual_information(g // 4, g % 4) == pytest.approx(0.0, abs=1e-12)
    # I(X;Y|Z) = 0 when Z = X; I(X;X|Y) = H(X|Y)
    a, b, _ = paired(3)
    assert estimate.conditional_mutual_information(a, b, a) == pytest.approx(0.0, abs=1e-12)
    assert estimate.conditional_mutual_information(a, a, b) == pytest.approx(
        estimate.conditional_entropy(a, b), rel=1e-12
    )


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_chain_rules_hold_for_every_estimator(estimator):
    x, y, _ = paired(4, 600)
    info = estimate.information(x, y, estimator=estimator)
    assert info.joint_entropy == pytest.approx(info.entropy_x + info.conditional_entropy, 1e-12)
    assert info.mutual_information == pytest.approx(
        info.entropy_x + info.entropy_y - info.joint_entropy, rel=1e-12
    )
    assert estimate.conditional_entropy(x, y, estimator=estimator) == pytest.approx(
        info.conditional_entropy_x, rel=1e-12
    )


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_every_estimator_is_the_count_level_estimator_on_the_observed_counts(estimator):
    x, y, _ = paired(5, 400)
    got = estimate.information(x, y, estimator=estimator)
    for value, variables in (
        (got.entropy_x, (x,)),
        (got.entropy_y, (y,)),
        (got.joint_entropy, (x, y)),
    ):
        c = np.array(ref.counts(*variables))
        assert value == pytest.approx(entropy_from_counts(c, estimator=estimator), rel=1e-12)
    assert estimate.entropy(x, estimator=estimator, base=2) == pytest.approx(
        entropy_from_counts(np.array(ref.counts(x)), estimator=estimator) / math.log(2), 1e-12
    )


def test_declared_alphabets_reach_the_estimators_that_use_them():
    x, y, _ = paired(6, 300)
    c = np.array(ref.counts(x))
    got = estimate.entropy(x, estimator="james_stein", alphabet_size=10)
    assert got == pytest.approx(
        entropy_from_counts(c, estimator="james_stein", alphabet_size=10), rel=1e-12
    )
    assert got != pytest.approx(estimate.entropy(x, estimator="james_stein"), rel=1e-6)
    # the plug-in ignores unseen values
    assert estimate.entropy(x, alphabet_size=10) == estimate.entropy(x)
    info = estimate.information(x, y, estimator="dirichlet", alpha=0.5, alphabet_sizes=(6, 9))
    assert info.alphabet_xy == 54
    with pytest.raises(ValueError, match="alphabet_size must be at least the 6 values observed"):
        estimate.entropy(x, estimator="nsb", alphabet_size=3)


def test_weights_count_a_sample_that_many_times():
    x, y, _ = paired(7, 300)
    w = np.random.default_rng(0).integers(0, 4, 300)
    rep_x, rep_y = np.repeat(x, w), np.repeat(y, w)
    assert estimate.mutual_information(x, y, weights=w.astype(float)) == pytest.approx(
        estimate.mutual_information(rep_x, rep_y), rel=1e-12
    )
    assert estimate.entropy(x, weights=w, estimator="miller_madow") == pytest.approx(
        estimate.entropy(rep_x, estimator="miller_madow"), rel=1e-12
    )


def test_mutual_information_matrix_equals_a_loop_over_columns(device):
    from sklearn.metrics import mutual_info_score

    rng = np.random.default_rng(8)
    labels = rng.integers(0, 10, 3000)
    layer = rng.integers(0, 4, (3000, 12))
    layer[:, 3] = labels % 4
    layer[:, 7] = (labels // 3 + rng.integers(0, 2, 3000)) % 4
    got = host(estimate.mutual_information_matrix(put(layer, device), put(labels, device)))
    want = [mutual_info_score(layer[:, j], labels) for j in range(12)]
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-15)
    got_mm = estimate.mutual_information_matrix(layer, labels, estimator="miller_madow", base=2)
    want_mm = [
        estimate.mutual_information(layer[:, j], labels, estimator="miller_madow", base=2)
        for j in range(12)
    ]
    np.testing.assert_allclose(got_mm, want_mm, rtol=1e-12, atol=1e-15)
    pairs = host(estimate.mutual_information_matrix(put(layer[:, :5], device)))
    assert pairs.shape == (5, 5)
    np.testing.assert_allclose(pairs, pairs.T, rtol=0, atol=0)
    for i in range(5):
        assert pairs[i, i] == pytest.approx(ref.plugin_entropy(layer[:, i]), rel=1e-12)
        for j in range(i + 1, 5):
            assert pairs[i, j] == pytest.approx(
                mutual_info_score(layer[:, i], layer[:, j]), rel=1e-10, abs=1e-15
            )


def test_inputs_are_not_modified():
    x, y, z = paired(9, 500)
    copies = [a.copy() for a in (x, y, z)]
    w = np.ones(500)
    estimate.information(x, y, weights=w)
    estimate.conditional_mutual_information(x, y, z)
    estimate.mutual_information_matrix(np.stack([x, y], 1), z)
    for a, c in zip((x, y, z), copies, strict=True):
        np.testing.assert_array_equal(a, c)
    np.testing.assert_array_equal(w, 1.0)


def test_bad_input_is_refused_naming_the_argument():
    x, y, z = paired(10, 50)
    with pytest.raises(ValueError, match="estimator must be one of"):
        estimate.mutual_information(x, y, estimator="shrinkage")
    with pytest.raises(ValueError, match="alpha must be None unless estimator='dirichlet'"):
        estimate.entropy(x, alpha=0.5)
    with pytest.raises(ValueError, match="alphabet_sizes must be None or a pair"):
        estimate.information(x, y, alphabet_sizes=5)
    with pytest.raises(ValueError, match="alphabet_size must be None or an integer >= 1"):
        estimate.entropy(x, alphabet_size=0)
    with pytest.raises(ValueError, match="base"):
        estimate.entropy(x, base=1.0)
    with pytest.raises(TypeError, match="x"):
        estimate.entropy(np.linspace(0, 1, 50))
    with pytest.raises(ValueError, match="y"):
        estimate.mutual_information(x, y[:-1])
    with pytest.raises(ValueError, match="z"):
        estimate.conditional_mutual_information(x, y, z[:-1])
    with pytest.raises(ValueError, match="weights"):
        estimate.entropy(x, weights=-np.ones(50))
    with pytest.raises(ValueError, match=r"x must be \[N, m\] with m >= 2 columns"):
        estimate.mutual_information_matrix(x[:, None])
