"""softent.knn.neighbours: the exact tiled nearest-neighbour kernel.

Distances, indices and radius counts are compared with a plain brute force
(tests/reference/knn.py, whose float64 column-order sums equal the kernel's exact
distances to the bit) on seeded data: both metrics, float32 and float64, D = 1 to 300,
column offsets far from 0, repeated rows (ties: lower index first), self exclusion,
groups; tile sizes, thread counts and dtypes do not change a result; inputs are never
modified; bad inputs are refused naming the argument. Every test runs on every device."""

from __future__ import annotations

import numpy as np
import pytest
import reference.knn as ref
from cases import host, put
from softent.knn import Neighbours, nearest_neighbours, radius_counts

METRICS = ["euclidean", "chebyshev"]


def _data(n: int, d: int, seed: int = 0, offset: float = 0.0, dtype=np.float64) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, d)) + offset).astype(dtype)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("n", "d", "k"), [(2, 1, 1), (57, 1, 4), (301, 7, 3), (203, 300, 5)])
def test_neighbours_equal_the_brute_force(device, metric, dtype, n, d, k):
    x = _data(n, d, seed=n + d, dtype=dtype)
    got = nearest_neighbours(put(x, device), k, metric=metric)
    want_d, want_i = ref.neighbours(x, k, metric)
    np.testing.assert_array_equal(host(got.distances), want_d)
    np.testing.assert_array_equal(host(got.indices), want_i)


@pytest.mark.parametrize("metric", METRICS)
def test_rows_far_from_the_origin_are_still_exact(device, metric):
    """A float32 GEMM of rows at 1e4 would cancel every digit of their distances; the
    kernel reads rows relative to their mean and decides on exact distances."""
    x = _data(400, 16, seed=3, offset=1e4, dtype=np.float32)
    got = nearest_neighbours(put(x, device), 4, metric=metric)
    want_d, want_i = ref.neighbours(x, 4, metric)
    np.testing.assert_array_equal(host(got.distances), want_d)
    np.testing.assert_array_equal(host(got.indices), want_i)


def test_huge_float32_values_are_screened_in_float64(device):
    x = _data(120, 5, seed=4, dtype=np.float32) * np.float32(1e25)
    got = nearest_neighbours(put(x, device), 3)
    want_d, want_i = ref.neighbours(x, 3, "euclidean")
    np.testing.assert_array_equal(host(got.distances), want_d)
    np.testing.assert_array_equal(host(got.indices), want_i)


@pytest.mark.parametrize("metric", METRICS)
def test_ties_put_the_lower_index_first(device, metric):
    """Integer grid points repeated several times: many equal distances, 0 among them."""
    rng = np.random.default_rng(5)
    x = rng.integers(0, 4, size=(300, 2)).astype(np.float64)
    got = nearest_neighbours(put(x, device), 6, metric=metric)
    want_d, want_i = ref.neighbours(x, 6, metric)
    np.testing.assert_array_equal(host(got.distances), want_d)
    np.testing.assert_array_equal(host(got.indices), want_i)
    assert (host(got.distances)[:, 0] == 0).any()  # the data do hold repeated rows


def test_a_row_is_never_its_own_neighbour(device):
    x = np.repeat(_data(50, 3, seed=6), 2, axis=0)  # every row twice: its twin at distance 0
    got = nearest_neighbours(put(x, device), 1)
    idx = host(got.indices)[:, 0]
    assert (idx != np.arange(100)).all()
    np.testing.assert_array_equal(idx, np.arange(100) ^ 1)
    assert (host(got.distances) == 0).all()


@pytest.mark.parametrize("metric", METRICS)
def test_tiles_threads_and_dtype_do_not_change_results(device, metric):
    x32 = _data(333, 20, seed=7, dtype=np.float32)
    base = nearest_neighbours(put(x32, device), 5, metric=metric)
    for kwargs in ({"tile_rows": 1}, {"tile_rows": 17}, {"tile_rows": 333}, {"num_threads": 1}):
        other = nearest_neighbours(put(x32, device), 5, metric=metric, **kwargs)
        np.testing.assert_array_equal(host(other.distances), host(base.distances))
        np.testing.assert_array_equal(host(other.indices), host(base.indices))
    # the same values held as float64: the same exact distances
    as64 = nearest_neighbours(put(x32.astype(np.float64), device), 5, metric=metric)
    np.testing.assert_array_equal(host(as64.distances), host(base.distances))
    np.testing.assert_array_equal(host(as64.indices), host(base.indices))


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("include_self", [True, False])
def test_radius_counts_equal_the_brute_force(device, metric, strict, include_self):
    x = _data(257, 9, seed=8)
    rng = np.random.default_rng(9)
    radii = rng.uniform(0, 3, 257)
    radii[:5] = 0.0
    got = radius_counts(
        put(x, device), radii, metric=metric, strict=strict, include_self=include_self
    )
    want = ref.radius_counts(x, radii, metric, strict=strict, include_self=include_self)
    np.testing.assert_array_equal(host(got), want)


@pytest.mark.parametrize("metric", METRICS)
def test_radius_counts_at_own_neighbour_distances_are_consistent(device, metric):
    """Radii taken from the kernel's own k-th distances: strictly inside are the k - 1
    nearer neighbours, not farther adds the k-th (continuous data: no ties)."""
    x = _data(500, 6, seed=10, dtype=np.float32)
    nb = nearest_neighbours(put(x, device), 4, metric=metric)
    r = host(nb.distances)[:, -1]
    strict = host(radius_counts(put(x, device), r, metric=metric, strict=True))
    closed = host(radius_counts(put(x, device), r, metric=metric, strict=False))
    np.testing.assert_array_equal(strict, np.full(500, 3))
    np.testing.assert_array_equal(closed, np.full(500, 4))
    np.testing.assert_array_equal(
        strict, ref.radius_counts(x, r, metric, strict=True, include_self=False)
    )


def test_radius_counts_within_groups(device):
    x = _data(300, 4, seed=11)
    groups = np.random.default_rng(12).integers(0, 3, 300)
    radii = np.full(300, 1.5)
    got = radius_counts(put(x, device), radii, groups=groups, tile_rows=41)
    want = ref.radius_counts(x, radii, "euclidean", groups=groups)
    np.testing.assert_array_equal(host(got), want)
    assert (host(got) < host(radius_counts(put(x, device), 1.5))).any()


def test_radius_counts_tiles_and_threads_do_not_change_results(device):
    x = _data(280, 30, seed=13, dtype=np.float32)
    radii = np.random.default_rng(14).uniform(4, 9, 280)
    base = host(radius_counts(put(x, device), radii))
    for kwargs in ({"tile_rows": 1}, {"tile_rows": 50}, {"num_threads": 1}):
        np.testing.assert_array_equal(host(radius_counts(put(x, device), radii, **kwargs)), base)
    np.testing.assert_array_equal(base, ref.radius_counts(x, radii, "euclidean"))


def test_cross_check_with_scipy_ckdtree():
    """An independent search (scipy's cKDTree) finds the same neighbour distances."""
    from scipy.spatial import cKDTree

    x = _data(400, 3, seed=15)
    for metric, p in (("euclidean", 2), ("chebyshev", np.inf)):
        got = nearest_neighbours(x, 3, metric=metric)
        want = cKDTree(x).query(x, k=4, p=p)[0][:, 1:]
        np.testing.assert_allclose(got.distances, want, rtol=1e-12)


def test_inputs_are_not_modified(device):
    x = _data(100, 5, seed=16, offset=3.0, dtype=np.float32)
    radii = np.ones(100)
    xc, rc = x.copy(), radii.copy()
    xin = put(x, device)
    nearest_neighbours(xin, 3)
    radius_counts(xin, radii, groups=np.zeros(100, np.int64))
    np.testing.assert_array_equal(host(xin), xc)
    np.testing.assert_array_equal(radii, rc)


def test_torch_in_torch_out():
    torch = pytest.importorskip("torch")
    x = _data(60, 4, seed=17)
    got = nearest_neighbours(torch.from_numpy(x), 2)
    assert isinstance(got.distances, torch.Tensor)
    assert isinstance(got.indices, torch.Tensor)
    np.testing.assert_array_equal(got.distances.numpy(), ref.neighbours(x, 2, "euclidean")[0])
    counts = radius_counts(torch.from_numpy(x), 1.0)
    assert isinstance(counts, torch.Tensor)


def test_result_repr_and_dict():
    nb = nearest_neighbours(_data(10, 2), 2)
    assert isinstance(nb, Neighbours)
    assert repr(nb) == "Neighbours(N=10, k=2, metric='euclidean')"
    d = nb.as_dict()
    assert d["k"] == 2
    assert len(d["distances"]) == 10
    assert len(d["indices"][0]) == 2


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"k": 10}, ValueError, r"knn\.nearest_neighbours: k must be < the number of rows"),
        ({"k": 0}, ValueError, r"k must be an int >= 1, got 0"),
        ({"k": 2.0}, TypeError, r"k must be an int >= 1"),
        ({"metric": "cosine"}, ValueError, r"metric must be 'euclidean' or 'chebyshev'"),
        ({"tile_rows": 0}, ValueError, r"tile_rows must be an int >= 1"),
        ({"num_threads": 0}, ValueError, r"num_threads must be None or an int >= 1"),
    ],
)
def test_bad_arguments_are_refused(kwargs, exc, match):
    x = _data(10, 2)
    args = {"k": 3, **kwargs}
    k = args.pop("k")
    with pytest.raises(exc, match=match):
        nearest_neighbours(x, k, **args)


def test_bad_data_is_refused_naming_it():
    x = _data(10, 2)
    bad = x.copy()
    bad[4, 1] = np.nan
    with pytest.raises(ValueError, match=r"x must be finite .*row 4"):
        nearest_neighbours(bad, 2)
    bad[4, 1] = np.inf
    with pytest.raises(ValueError, match=r"x must be finite"):
        radius_counts(bad, 1.0)
    with pytest.raises(ValueError, match=r"x must be non-empty"):
        nearest_neighbours(np.zeros((0, 3)), 1)
    with pytest.raises(ValueError, match=r"k must be < the number of rows \(N=1"):
        nearest_neighbours(np.zeros((1, 3)), 1)
    with pytest.raises(TypeError, match=r"x must be a floating-point"):
        nearest_neighbours(np.array([["a", "b"]] * 3), 1)
    with pytest.raises(ValueError, match=r"radii must be a scalar or one radius per row"):
        radius_counts(x, np.ones(9))
    with pytest.raises(ValueError, match=r"radii must be finite and >= 0"):
        radius_counts(x, -1.0)
    with pytest.raises(ValueError, match=r"groups must be one integer id per row"):
        radius_counts(x, 1.0, groups=np.zeros(3, np.int64))
    with pytest.raises(TypeError, match=r"groups must be integer ids"):
        radius_counts(x, 1.0, groups=np.zeros(10))
