"""softent.knn.feature_mutual_information (per-column I(x_j; y) by sorting) and the 1-D
paths of the joint estimators: equal to the brute-force references of tests/reference/knn.py
(Ross, KSG-1 in the plane (x_j, y)) on seeded data, with ties (repeated values: exact
bisection on the float64 difference), float32 and float64, torch CPU in/out, inputs
untouched, errors naming the argument."""

from __future__ import annotations

import numpy as np
import pytest
import reference.knn as ref
from softent.knn import feature_mutual_information, mutual_information


def _data(n=300, d=4, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, n)
    x = rng.normal(size=(n, d)) + 0.8 * labels[:, None] * (np.arange(d) % 2)
    return x, labels


@pytest.mark.parametrize("k", [1, 3, 7])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ross_per_feature_equals_the_reference(k, dtype):
    x, labels = _data(seed=k)
    x = x.astype(dtype)
    labels[:1] = 9  # a label on one row: left out
    got = feature_mutual_information(x, labels, k=k)
    want = [ref.ross(x[:, j], labels, k) for j in range(x.shape[1])]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


@pytest.mark.parametrize("k", [1, 4])
def test_ksg_per_feature_equals_the_reference(k):
    x, _ = _data(seed=10 + k)
    rng = np.random.default_rng(k)
    y = x[:, 0] + 0.5 * rng.normal(size=x.shape[0])
    got = feature_mutual_information(x, y, k=k)
    want = [ref.ksg(x[:, j], y, k, "ksg1") for j in range(x.shape[1])]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_ties_are_counted_exactly():
    """Integer values: many equal distances (0 among them); Ross counts d < r, or d == 0 when
    r == 0 (scikit-learn's nextafter rule), as the pair kernel does on the same column."""
    rng = np.random.default_rng(3)
    x = rng.integers(0, 6, size=(400, 3)).astype(np.float64)
    labels = (x[:, 0] + rng.integers(0, 3, 400)) % 4
    got = feature_mutual_information(x, labels.astype(np.int64), k=3)
    want = [ref.ross(x[:, j], labels, 3) for j in range(3)]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_one_column_paths_of_the_joint_estimators_match_the_references():
    x, labels = _data(n=257, d=1, seed=4)
    assert mutual_information(x, labels, k=3) == pytest.approx(ref.ross(x, labels, 3), abs=1e-12)
    rng = np.random.default_rng(5)
    y = np.hstack([x, rng.normal(size=(257, 2))]) + 0.2 * rng.normal(size=(257, 3))
    # KSG with a 1-D x: marginal counts of x by sorting, of y by the pair kernel
    got = mutual_information(x[:, 0], y, k=3)
    assert got == pytest.approx(ref.ksg(x, y, 3, "ksg1"), abs=1e-12)
    got2 = mutual_information(x[:, 0], y, k=3, estimator="ksg2")
    assert got2 == pytest.approx(ref.ksg(x, y, 3, "ksg2"), abs=1e-12)


def test_units_torch_and_untouched_inputs():
    torch = pytest.importorskip("torch")
    x, labels = _data(seed=6)
    keep_x, keep_l = x.copy(), labels.copy()
    nats = feature_mutual_information(x, labels)
    bits = feature_mutual_information(x, labels, base=2)
    np.testing.assert_allclose(bits, nats / np.log(2), rtol=1e-14)
    t = feature_mutual_information(torch.from_numpy(x), torch.from_numpy(labels))
    assert isinstance(t, torch.Tensor)
    np.testing.assert_array_equal(t.numpy(), nats)
    np.testing.assert_array_equal(x, keep_x)
    np.testing.assert_array_equal(labels, keep_l)
    strings = feature_mutual_information(x, np.array(["abcd"[i] for i in labels]))
    np.testing.assert_array_equal(strings, nats)


def test_bad_inputs_are_refused_naming_the_argument():
    x, labels = _data(n=50, seed=7)
    api = r"softent\.knn\.feature_mutual_information: "
    with pytest.raises(ValueError, match=api + "y must be one value per row"):
        feature_mutual_information(x, labels[:10])
    with pytest.raises(ValueError, match=api + "k must be"):
        feature_mutual_information(x, labels, k=50)
    with pytest.raises(ValueError, match=api + "x must be finite"):
        feature_mutual_information(np.where(x > 1, np.inf, x), labels)
    with pytest.raises(ValueError, match=api + "y must be varying"):
        feature_mutual_information(x, np.ones(50))
    with pytest.raises(ValueError, match=api + "y must be at least one label with two"):
        feature_mutual_information(x, np.arange(50))
    with pytest.raises(TypeError, match=api + "discrete_y must be"):
        feature_mutual_information(x, labels, discrete_y=1)
