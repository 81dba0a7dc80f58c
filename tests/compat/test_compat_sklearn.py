"""softent.compat.sklearn: scikit-learn's mutual_info_classif / mutual_info_regression,
same signatures and the same values (1e-10) — compared with scikit-learn itself (installed
in the test environment; skipped without it) on seeded data and its bundled digits, over
discrete_features ('auto', bools, indices, masks), n_neighbors, random_state (int,
RandomState, None with the global RNG seeded), copy, sparse X; plus joint=True, inputs
untouched and errors naming the argument."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from softent.compat import sklearn as compat
from softent.knn import mutual_information

sk = pytest.importorskip("sklearn.feature_selection")


def _data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, n)
    cont = rng.normal(size=(n, 3)) + np.array([1.0, 0.0, 0.5]) * labels[:, None]
    disc = np.stack([labels % 2, rng.integers(0, 3, n)], axis=1)
    x = np.hstack([cont, disc]).astype(np.float64)
    y = cont[:, 0] + 0.4 * rng.normal(size=n)
    return x, labels, y


def test_signatures_are_scikit_learns():
    for name in ("mutual_info_classif", "mutual_info_regression"):
        want = inspect.signature(getattr(sk, name)).parameters
        got = inspect.signature(getattr(compat, name)).parameters
        assert list(got)[: len(want)] == list(want)
        for p in want:
            assert got[p].default == want[p].default
            assert got[p].kind == want[p].kind


DISCRETE = ["auto", False, [3, 4], np.array([False, False, False, True, True]), np.array([4])]


@pytest.mark.parametrize("discrete_features", DISCRETE)
@pytest.mark.parametrize("n_neighbors", [1, 3, 6])
def test_classif_equals_sklearn(discrete_features, n_neighbors):
    x, labels, _ = _data(seed=n_neighbors)
    kw = {"discrete_features": discrete_features, "n_neighbors": n_neighbors, "random_state": 3}
    want = sk.mutual_info_classif(x, labels, **kw)
    got = compat.mutual_info_classif(x, labels, **kw)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)
    assert (want > 0.02).sum() >= 2  # informative features: not a comparison of zeros


@pytest.mark.parametrize("discrete_features", DISCRETE)
@pytest.mark.parametrize("n_neighbors", [1, 3, 6])
def test_regression_equals_sklearn(discrete_features, n_neighbors):
    x, _, y = _data(seed=10 + n_neighbors)
    kw = {"discrete_features": discrete_features, "n_neighbors": n_neighbors, "random_state": 4}
    want = sk.mutual_info_regression(x, y, **kw)
    got = compat.mutual_info_regression(x, y, **kw)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)
    assert want[0] > 0.3


def test_every_kind_of_random_state_draws_the_same_noise():
    x, labels, y = _data(seed=20)
    for state in (0, 12345):
        np.testing.assert_allclose(
            compat.mutual_info_regression(x, y, random_state=state),
            sk.mutual_info_regression(x, y, random_state=state),
            rtol=0,
            atol=1e-10,
        )
    ours, theirs = np.random.RandomState(7), np.random.RandomState(7)
    for _ in range(2):  # the instance advances the same way in both
        np.testing.assert_allclose(
            compat.mutual_info_classif(x, labels, random_state=ours),
            sk.mutual_info_classif(x, labels, random_state=theirs),
            rtol=0,
            atol=1e-10,
        )
    np.random.seed(11)  # noqa: NPY002 - random_state=None draws from NumPy's global RNG
    want = sk.mutual_info_regression(x, y)
    np.random.seed(11)  # noqa: NPY002
    got = compat.mutual_info_regression(x, y)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)


def test_digits_equal_sklearn():
    datasets = pytest.importorskip("sklearn.datasets")
    x, y = datasets.load_digits(return_X_y=True)  # bundled with scikit-learn: no download
    for discrete in (False, True):
        want = sk.mutual_info_classif(x, y, discrete_features=discrete, random_state=0)
        got = compat.mutual_info_classif(x, y, discrete_features=discrete, random_state=0)
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)
    target = x[:, 36] + 0.1 * np.arange(x.shape[0]) % 3
    want = sk.mutual_info_regression(x[:, 30:40], target, random_state=1)
    got = compat.mutual_info_regression(x[:, 30:40], target, random_state=1)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)


def test_sparse_x_is_handled_as_sklearn_does():
    sparse = pytest.importorskip("scipy.sparse")
    rng = np.random.default_rng(5)
    x = sparse.random(300, 6, density=0.3, random_state=5, format="csr")
    x.data = np.round(x.data * 3)  # discrete values
    labels = rng.integers(0, 3, 300)
    np.testing.assert_allclose(
        compat.mutual_info_classif(x, labels), sk.mutual_info_classif(x, labels), atol=1e-10
    )
    y = rng.normal(size=300)
    np.testing.assert_allclose(
        compat.mutual_info_regression(x, y, random_state=2),
        sk.mutual_info_regression(x, y, random_state=2),
        atol=1e-10,
    )
    with pytest.raises(ValueError, match=r"(?i)sparse"):
        sk.mutual_info_classif(x, labels, discrete_features=False)
    with pytest.raises(ValueError, match=r"compat\.sklearn\.mutual_info_classif: X must be dense"):
        compat.mutual_info_classif(x, labels, discrete_features=False)


def test_copy_false_leaves_the_input_untouched():
    x, _, y = _data(seed=30)
    keep_x, keep_y = x.copy(), y.copy()
    want = sk.mutual_info_regression(x.copy(), y.copy(), copy=False, random_state=0)
    got = compat.mutual_info_regression(x, y, copy=False, random_state=0, n_jobs=2)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(x, keep_x)
    np.testing.assert_array_equal(y, keep_y)


def test_joint_returns_the_joint_information():
    rng = np.random.default_rng(8)
    labels = rng.integers(0, 4, 600)
    x = rng.normal(size=(600, 6)) * 0.05 + 5.0 * labels[:, None]  # separated classes
    joint = compat.mutual_info_classif(x, labels, joint=True, random_state=0)
    p = np.bincount(labels) / 600
    assert joint == pytest.approx(-(p * np.log(p)).sum(), abs=0.02)  # H(L)
    per = compat.mutual_info_classif(x, labels, random_state=0)
    assert per.sum() > 4 * joint  # the sum over features counts the same bits many times
    y = x[:, 0] + rng.normal(size=600)
    got = compat.mutual_info_regression(x, y, joint=True, random_state=1)
    xs = x / x.std(axis=0)
    noise = np.random.RandomState(1)
    xs = xs + 1e-10 * np.maximum(1, np.abs(xs).mean(0)) * noise.standard_normal(xs.shape)
    ys = y / y.std()
    ys = ys + 1e-10 * max(1, np.abs(ys).mean()) * noise.standard_normal(600)
    assert got == pytest.approx(max(0.0, mutual_information(xs, ys, k=3)), abs=1e-12)


def test_bad_inputs_are_refused_naming_the_argument():
    x, labels, y = _data(n=60, seed=40)
    api = r"softent\.compat\.sklearn\.mutual_info_classif: "
    with pytest.raises(ValueError, match=api + "discrete_features must be"):
        compat.mutual_info_classif(x, labels, discrete_features="yes")
    with pytest.raises(ValueError, match=api + "n_neighbors must be"):
        compat.mutual_info_classif(x, labels, n_neighbors=0)
    with pytest.raises(ValueError, match=api + "y must be a 1-D array"):
        compat.mutual_info_classif(x, labels[:10])
    with pytest.raises(ValueError, match=api + "X must be finite"):
        compat.mutual_info_classif(np.where(x > 1, np.nan, x), labels)
    with pytest.raises(ValueError, match=api + "y must be class labels"):
        compat.mutual_info_classif(x, y)
    with pytest.raises(ValueError, match=api + "random_state must be"):
        compat.mutual_info_classif(x, labels, random_state="seed")
    with pytest.raises(ValueError, match=api + r"discrete_features must be False \(joint"):
        compat.mutual_info_classif(x, labels, discrete_features=[3], joint=True)
    with pytest.raises(ValueError, match=api + "X must be a 2-D array"):
        compat.mutual_info_classif(x[:, 0], labels)
