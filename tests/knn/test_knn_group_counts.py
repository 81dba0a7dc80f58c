"""softent.knn.group_neighbour_counts: Ross's per-group k-th neighbour radius and all-group
count in one pass over the pairs of rows, against a plain brute force
(tests/reference/knn.py group_counts: float64 column-order distances, equal to the kernel's
to the bit). Both metrics, float32/float64, ties and repeated rows, rows far from the
origin, a buffer too small for the counts (every row counted again), tiles and threads:
results never change. On CUDA (knn per group, then radius counts) the same results."""

from __future__ import annotations

import numpy as np
import pytest
import reference.knn as ref
from cases import host, put
from softent.knn import GroupCounts, group_neighbour_counts

METRICS = ["euclidean", "chebyshev"]


def _data(n, d, seed, dtype=np.float64, offset=0.0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, d)) + offset).astype(dtype), rng.integers(0, 5, n)


def _check(x, g, k, metric, device="cpu", **kw):
    got = group_neighbour_counts(put(x, device), g, k, metric=metric, **kw)
    want_r, want_c = ref.group_counts(x, g, k, metric)
    np.testing.assert_array_equal(host(got.radii), want_r)
    np.testing.assert_array_equal(host(got.counts), want_c)
    return got


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("n", "d", "k"), [(3, 1, 1), (80, 1, 4), (301, 7, 3), (257, 120, 5)])
def test_group_counts_equal_the_brute_force(device, metric, dtype, n, d, k):
    x, g = _data(n, d, seed=n + d, dtype=dtype)
    if n == 3:
        g = np.array([0, 0, 0])
    _check(x, g, k, metric, device)


@pytest.mark.parametrize("metric", METRICS)
def test_ties_repeated_rows_and_far_offsets(device, metric):
    rng = np.random.default_rng(1)
    grid = rng.integers(0, 3, size=(300, 2)).astype(np.float64)  # many equal distances, 0 too
    got = _check(grid, rng.integers(0, 4, 300), 3, metric, device, tile_rows=37)
    assert (host(got.radii) == 0).any()
    far, g = _data(400, 16, seed=2, dtype=np.float32, offset=1e4)
    _check(far, g, 4, metric, device)


@pytest.mark.parametrize("metric", METRICS)
def test_a_small_buffer_counts_rows_again_with_the_same_results(metric):
    x, g = _data(350, 6, seed=3)
    full = _check(x, g, 3, metric)
    small = _check(x, g, 3, metric, overall=2, tile_rows=50)
    assert small.recounted > 0
    assert full.recounted < small.recounted


def test_tiles_threads_and_small_groups_do_not_change_results():
    x, g = _data(500, 12, seed=4, dtype=np.float32)
    g[:2] = 7  # a group of two rows: its k is 1
    base = _check(x, g, 6, "euclidean")
    for tile, threads in [(1, 1), (13, 2), (499, 2), (1000, 1)]:
        other = group_neighbour_counts(x, g, 6, tile_rows=tile, num_threads=threads)
        np.testing.assert_array_equal(other.radii, base.radii)
        np.testing.assert_array_equal(other.counts, base.counts)


def test_result_record_and_input_untouched(device):
    x, g = _data(60, 3, seed=5)
    keep_x, keep_g = x.copy(), g.copy()
    xin = put(x, device)
    res = group_neighbour_counts(xin, g, 2)
    assert isinstance(res, GroupCounts)
    assert repr(res) == "GroupCounts(N=60, k=2, metric='euclidean', recounted=0)"
    assert res.as_dict()["counts"] == host(res.counts).tolist()
    np.testing.assert_array_equal(host(xin), keep_x)
    np.testing.assert_array_equal(g, keep_g)


def test_bad_inputs_are_refused_naming_the_argument():
    x, g = _data(20, 2, seed=6)
    api = r"softent\.knn\.group_neighbour_counts: "
    with pytest.raises(ValueError, match=api + "groups must be ids of at least two rows"):
        group_neighbour_counts(x, np.arange(20), 1)
    with pytest.raises(ValueError, match=api + r"groups must be one integer id per row"):
        group_neighbour_counts(x, g[:5], 1)
    with pytest.raises(TypeError, match=api + "groups must be integer ids"):
        group_neighbour_counts(x, g.astype(float), 1)
    with pytest.raises(ValueError, match=api + "k must be an int >= 1"):
        group_neighbour_counts(x, g, 0)
    with pytest.raises(ValueError, match=api + "overall must be"):
        group_neighbour_counts(x, g, 1, overall=0)
    with pytest.raises(ValueError, match=api + "x must be finite"):
        group_neighbour_counts(np.where(x > 1, np.nan, x), g, 1)
    with pytest.raises(ValueError, match=api + "metric must be"):
        group_neighbour_counts(x, g, 1, metric="cosine")
