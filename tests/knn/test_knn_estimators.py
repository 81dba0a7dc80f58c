"""softent.knn estimators: Kozachenko–Leonenko entropy, KSG-1/2, Ross, Frenzel–Pompe.

Against the plain references of tests/reference/knn.py (brute-force distances, textbook
formulas) on seeded data to 1e-10; against scikit-learn's mutual_info_classif /
mutual_info_regression per feature with the same scaling and noise; known answers
(Gaussian and uniform entropies, −½ log(1 − ρ²), H(L) for separated classes, ≈ 0 for
independent data) within each estimator's known bias; units, results, torch in/out,
inputs never modified, and bad inputs refused naming the argument."""

from __future__ import annotations

import math

import numpy as np
import pytest
import reference.knn as ref
from cases import host, put
from softent.knn import (
    KnnInformation,
    conditional_mutual_information,
    entropy,
    information,
    mutual_information,
)

METRICS = ["euclidean", "chebyshev"]


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _classes(n: int = 400, d: int = 5, labels: int = 4, spread: float = 0.8, seed: int = 0):
    rng = _rng(seed)
    y = rng.integers(0, labels, n)
    x = rng.normal(size=(n, d)) + spread * y[:, None]
    return x, y


# ----------------------------------------------------------------------------- vs reference
@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize(("d", "k"), [(1, 3), (3, 1), (8, 5)])
def test_entropy_equals_the_reference(device, metric, d, k):
    x = _rng(d + k).normal(size=(300, d))
    got = host(entropy(put(x, device), k=k, metric=metric))
    assert got == pytest.approx(ref.kl_entropy(x, k, metric), abs=1e-10)
    assert got == pytest.approx(ref.kl_entropy_tree(x, k, metric), abs=1e-10)


@pytest.mark.parametrize("estimator", ["ksg1", "ksg2"])
@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize(("dx", "dy"), [(1, 1), (3, 2)])
def test_ksg_equals_the_reference(device, estimator, metric, dx, dy):
    rng = _rng(dx * 10 + dy)
    x = rng.normal(size=(250, dx))
    y = x[:, :1] @ np.ones((1, dy)) + rng.normal(size=(250, dy))
    got = host(
        mutual_information(put(x, device), put(y, device), estimator=estimator, metric=metric)
    )
    assert got == pytest.approx(ref.ksg(x, y, 3, estimator, metric), abs=1e-10)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("k", [1, 3, 7])
def test_ross_equals_the_reference(device, metric, k):
    x, y = _classes(seed=k)
    got = host(mutual_information(put(x, device), y, k=k, metric=metric))
    assert got == pytest.approx(ref.ross(x, y, k, metric), abs=1e-10)


@pytest.mark.parametrize("metric", METRICS)
def test_ross_of_one_column_equals_the_reference(device, metric):
    """One column: the sorted 1-D kernel (per-label k-th by a walk, counts by bisection),
    with ties (rounded values) and a label of two rows (its k lowered to 1)."""
    x, y = _classes(n=300, d=1, seed=5)
    x = np.round(x, 1)
    y[:2] = 9
    got = host(mutual_information(put(x, device), y, k=3, metric=metric))
    assert got == pytest.approx(ref.ross(x, y, 3, metric), abs=1e-10)


def test_ross_lowers_k_for_small_labels_and_leaves_single_rows_out():
    x, y = _classes(n=200, seed=3)
    y = y.copy()
    y[:3] = [10, 11, 11]  # one label seen once (left out), one seen twice (k lowered to 1)
    got = mutual_information(x, y, k=5)
    assert got == pytest.approx(ref.ross(x, y, 5), abs=1e-10)
    res = information(x, y, k=5)
    assert res.n == 199
    assert res.n_labels == 5
    # leaving the single row out by hand gives the same estimate
    assert mutual_information(x[1:], y[1:], k=5) == pytest.approx(got, abs=1e-12)


@pytest.mark.parametrize("metric", METRICS)
def test_conditional_mi_equals_the_reference(device, metric):
    rng = _rng(21)
    z = rng.normal(size=(220, 2))
    x = z[:, :1] + 0.5 * rng.normal(size=(220, 1))
    y = z[:, 1:] + x + 0.5 * rng.normal(size=(220, 1))
    got = host(
        conditional_mutual_information(
            put(x, device), put(y, device), put(z, device), k=4, metric=metric
        )
    )
    assert got == pytest.approx(ref.frenzel_pompe(x, y, z, 4, metric), abs=1e-10)


# ----------------------------------------------------------------------------- scikit-learn
def _sklearn_prepared(x: np.ndarray, y: np.ndarray | None, seed: int):
    """X (and y) scaled and noised exactly as scikit-learn's _estimate_mi does."""
    from sklearn.preprocessing import scale

    rng = np.random.RandomState(seed)
    xs = scale(x.astype(np.float64), with_mean=False)
    means = np.maximum(1, np.mean(np.abs(xs), axis=0))
    xs = xs + 1e-10 * means * rng.standard_normal(size=xs.shape)
    if y is None:
        return xs, None
    ys = scale(y.astype(np.float64), with_mean=False)
    ys = ys + 1e-10 * np.maximum(1, np.mean(np.abs(ys))) * rng.standard_normal(size=ys.shape[0])
    return xs, ys


def test_per_feature_ross_equals_sklearn_mutual_info_classif():
    sklearn = pytest.importorskip("sklearn.feature_selection")
    x, y = _classes(n=300, d=4, seed=5)
    want = sklearn.mutual_info_classif(x, y, n_neighbors=3, random_state=0)
    xs, _ = _sklearn_prepared(x, None, 0)
    got = [max(0.0, mutual_information(xs[:, j], y, k=3)) for j in range(4)]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)
    assert (want > 0.05).all()  # informative features: the comparison is not of zeros


def test_per_feature_ksg_equals_sklearn_mutual_info_regression():
    sklearn = pytest.importorskip("sklearn.feature_selection")
    rng = _rng(6)
    x = rng.normal(size=(300, 3))
    y = x[:, 0] + 0.5 * x[:, 1] ** 2 + 0.3 * rng.normal(size=300)
    want = sklearn.mutual_info_regression(x, y, n_neighbors=4, random_state=1)
    xs, ys = _sklearn_prepared(x, y, 1)
    got = [max(0.0, mutual_information(xs[:, j], ys, k=4)) for j in range(3)]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)


def test_per_feature_ross_on_sklearn_digits():
    datasets = pytest.importorskip("sklearn.datasets")
    sklearn = pytest.importorskip("sklearn.feature_selection")
    x, y = datasets.load_digits(return_X_y=True)
    x, y = x[:600, 18:26], y[:600]  # bundled data, no download
    x = x.astype(np.float64)
    want = sklearn.mutual_info_classif(x, y, discrete_features=False, n_neighbors=3, random_state=2)
    xs, _ = _sklearn_prepared(x, None, 2)
    got = [max(0.0, mutual_information(xs[:, j], y, k=3)) for j in range(x.shape[1])]
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)


# ----------------------------------------------------------------------------- known answers
@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("d", [1, 2, 4])
def test_entropy_of_a_gaussian(metric, d):
    rng = _rng(30 + d)
    a = rng.normal(size=(d, d))
    cov = a @ a.T + d * np.eye(d)
    x = rng.multivariate_normal(np.zeros(d), cov, size=4000)
    # KL's finite-N bias grows with D (about 0.01 nats per dimension here)
    assert entropy(x, k=3, metric=metric) == pytest.approx(ref.gaussian_entropy(cov), abs=0.04 * d)


@pytest.mark.parametrize("d", [1, 3])
def test_entropy_of_a_uniform_cube(d):
    x = _rng(40 + d).uniform(0, 2, size=(4000, d))  # H = d log 2
    # the boundary of the support biases KL upward, more so in higher D
    assert entropy(x, k=3, metric="chebyshev") == pytest.approx(d * math.log(2), abs=0.03 * d)


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9])
@pytest.mark.parametrize("estimator", ["ksg1", "ksg2"])
def test_ksg_on_correlated_gaussians(rho, estimator):
    g = _rng(50).multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=3000)
    truth = -0.5 * math.log(1 - rho**2)
    got = mutual_information(g[:, 0], g[:, 1], estimator=estimator)
    assert got == pytest.approx(truth, abs=0.03)


def test_joint_ksg_of_vectors():
    """I of 4 independent coordinate pairs, each ρ = 0.6: 4 × ½ log(1/(1 − ρ²))."""
    rng = _rng(51)
    x = rng.normal(size=(3000, 4))
    y = 0.6 * x + 0.8 * rng.normal(size=(3000, 4))
    truth = -2 * math.log(1 - 0.36)
    # KSG under-estimates in the joint 8-D space (its known bias at higher D)
    got = mutual_information(x, y)
    assert truth - 0.2 < got < truth + 0.03


def test_ross_on_separated_classes_gives_the_label_entropy():
    rng = _rng(60)
    y = rng.integers(0, 4, 2000)
    x = rng.normal(size=(2000, 3)) * 0.1 + 10.0 * y[:, None]
    counts = np.bincount(y) / 2000
    h_l = -float((counts * np.log(counts)).sum())
    assert mutual_information(x, y) == pytest.approx(h_l, abs=0.01)


def test_independent_data_give_about_zero():
    rng = _rng(61)
    x = rng.normal(size=(2000, 3))
    assert abs(mutual_information(x, rng.integers(0, 5, 2000))) < 0.02
    assert abs(mutual_information(x, rng.normal(size=(2000, 2)))) < 0.02
    z = rng.normal(size=(2000, 1))
    assert abs(conditional_mutual_information(x[:, :1], x[:, 1:2], z)) < 0.03


def test_cmi_of_a_chain_given_its_middle_is_about_zero():
    """X -> Z -> Y: I(X;Y) > 0 but I(X;Y|Z) ≈ 0."""
    rng = _rng(62)
    x = rng.normal(size=(2000, 1))
    z = x + 0.5 * rng.normal(size=(2000, 1))
    y = z + 0.5 * rng.normal(size=(2000, 1))
    assert mutual_information(x, y) > 0.3
    assert abs(conditional_mutual_information(x, y, z)) < 0.04


# ----------------------------------------------------------------------------- units, results
def test_base_converts_units():
    x, y = _classes(seed=7)
    nats = mutual_information(x, y)
    assert mutual_information(x, y, base=2) == pytest.approx(nats / math.log(2), rel=1e-12)
    h = entropy(x)
    assert entropy(x, base=2) == pytest.approx(h / math.log(2), rel=1e-12)


def test_information_result():
    x, y = _classes(seed=8)
    res = information(x, y, k=4)
    assert isinstance(res, KnnInformation)
    assert res.value == pytest.approx(mutual_information(x, y, k=4), abs=1e-15)
    assert (res.estimator, res.k, res.metric, res.n, res.n_labels) == (
        "ross",
        4,
        "euclidean",
        400,
        4,
    )
    assert res.unit == "nats"
    assert repr(res).startswith("KnnInformation(mutual_information=")
    assert "ross, k=4, euclidean, N=400, labels=4" in repr(res)
    d = res.as_dict()
    assert d["estimator"] == "ross"
    assert d["unit"] == "nats"
    with pytest.raises(AttributeError):
        res.k = 3  # type: ignore[misc]
    cont = information(x, x[:, 0] + 0.1)
    assert (cont.estimator, cont.metric, cont.n_labels) == ("ksg1", "chebyshev", 0)


def test_string_labels_and_discrete_y():
    x, y = _classes(seed=9)
    names = np.array(["a", "b", "c", "d"])[y]
    assert mutual_information(x, names) == pytest.approx(mutual_information(x, y), abs=1e-15)
    # a label column [N, 1] is labels too
    assert mutual_information(x, y[:, None]) == pytest.approx(mutual_information(x, y), abs=1e-15)
    # float labels read as discrete on request; integers read as continuous on request
    as_float = mutual_information(x, y.astype(np.float64), discrete_y=True)
    assert as_float == pytest.approx(mutual_information(x, y), abs=1e-15)
    as_cont = mutual_information(x, y, discrete_y=False, noise=1e-10)
    assert as_cont == pytest.approx(
        mutual_information(x, y.astype(np.float64), noise=1e-10), abs=1e-15
    )


def test_noise_breaks_ties_reproducibly():
    rng = _rng(10)
    x = rng.integers(0, 3, size=(300, 2)).astype(np.float64)  # many repeated rows
    with pytest.raises(ValueError, match=r"noise=1e-10"):
        entropy(x)
    a = entropy(x, noise=1e-10, seed=3)
    assert a == entropy(x, noise=1e-10, seed=3)
    assert a != entropy(x, noise=1e-10, seed=4)


def test_torch_in_torch_out():
    torch = pytest.importorskip("torch")
    x, y = _classes(seed=11)
    t = torch.from_numpy(x)
    got = mutual_information(t, torch.from_numpy(y))
    assert isinstance(got, torch.Tensor)
    assert got.ndim == 0
    assert float(got) == pytest.approx(mutual_information(x, y), abs=1e-12)
    h32 = entropy(t.float())
    assert h32.dtype == torch.float32  # the result in the input's float type
    assert float(h32) == pytest.approx(entropy(x.astype(np.float32)), rel=1e-6)


def test_inputs_are_not_modified(device):
    x, y = _classes(seed=12)
    x32 = x.astype(np.float32)
    copies = (x32.copy(), y.copy())
    xin = put(x32, device)
    entropy(xin, noise=1e-6)
    mutual_information(xin, y, noise=1e-6)
    mutual_information(xin, put(x32[:, :2] * 2, device), noise=1e-6, estimator="ksg2")
    conditional_mutual_information(xin[:, :1], xin[:, 1:2], xin[:, 2:], noise=1e-6)
    np.testing.assert_array_equal(host(xin), copies[0])
    np.testing.assert_array_equal(y, copies[1])


# ----------------------------------------------------------------------------- bad input
def test_bad_inputs_are_refused_naming_the_argument():
    x, y = _classes(n=50, seed=13)
    api = r"softent\.knn\.mutual_information: "
    with pytest.raises(ValueError, match=api + r"k must be < the number of rows \(N=50"):
        mutual_information(x, y, k=50)
    with pytest.raises(ValueError, match=api + r"k must be an int >= 1, got 0"):
        mutual_information(x, y, k=0)
    with pytest.raises(ValueError, match=api + r"y must be one label per row of x \(N=50\)"):
        mutual_information(x, y[:-1])
    with pytest.raises(
        ValueError, match=api + r"y must be of length N=50 \(one row per row of x\), got 49 rows"
    ):
        mutual_information(x, x[:-1, 0])
    bad = x.copy()
    bad[7, 2] = np.inf
    with pytest.raises(ValueError, match=api + r"x must be finite .*row 7"):
        mutual_information(bad, y)
    with pytest.raises(ValueError, match=api + r"x must be non-empty"):
        mutual_information(np.zeros((0, 2)), np.zeros(0, np.int64))
    with pytest.raises(ValueError, match=api + r"y must be one label per row of x \(\[N\]"):
        mutual_information(x, np.zeros((50, 2), np.int64), discrete_y=True)
    with pytest.raises(ValueError, match=api + r"y must be finite labels"):
        mutual_information(x, np.full(50, np.nan), discrete_y=True)
    with pytest.raises(ValueError, match=api + r"y must be at least one label with two"):
        mutual_information(x, np.arange(50))
    with pytest.raises(ValueError, match=api + r"x must be varying across rows"):
        mutual_information(np.ones((50, 2)), y)
    with pytest.raises(ValueError, match=api + r"estimator must be 'ross' \(y is discrete\)"):
        mutual_information(x, y, estimator="ksg1")
    with pytest.raises(ValueError, match=api + r"estimator must be 'ksg1' or 'ksg2'"):
        mutual_information(x, x[:, 0], estimator="ross")
    with pytest.raises(ValueError, match=api + r"estimator must be one of"):
        mutual_information(x, y, estimator="ksg3")
    with pytest.raises(ValueError, match=api + r"metric must be 'euclidean' or 'chebyshev'"):
        mutual_information(x, y, metric="manhattan")
    with pytest.raises(TypeError, match=api + r"discrete_y must be None, True or False"):
        mutual_information(x, y, discrete_y=1)
    with pytest.raises(ValueError, match=api + r"noise must be a finite float >= 0"):
        mutual_information(x, y, noise=-1.0)
    with pytest.raises(ValueError, match=api + r"base must be"):
        mutual_information(x, y, base=1)
    ent = r"softent\.knn\.entropy: "
    const = x.copy()
    const[:, 1] = 2.0
    with pytest.raises(ValueError, match=ent + r"x must be without constant columns .*column 1"):
        entropy(const)
    with pytest.raises(ValueError, match=ent + r"k must be < the number of rows"):
        entropy(x, k=100)
    cmi = r"softent\.knn\.conditional_mutual_information: "
    with pytest.raises(ValueError, match=cmi + r"z must be of length N=50"):
        conditional_mutual_information(x[:, 0], x[:, 1], x[:-2, 2])
