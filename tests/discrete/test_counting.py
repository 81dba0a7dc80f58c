"""softent.discrete.counting: samples of discrete codes -> histograms.

Every count is checked against the plain Counter reference (tests/reference/
discrete_counting.py) on seeded data, keyed by the original values: every integer dtype of
the fast path, strings, negative integers, sparse ranges, several columns (mixed radix and
re-ranked), weights; the dense and sparse layouts agree; one and two threads give the same
counts; column and pair tables match per-column references; inputs are never modified;
bad inputs are refused naming the argument. Kernel tests run on every device."""

from __future__ import annotations

import numpy as np
import pytest
import reference.discrete_counting as ref
from cases import host, put
from softent.discrete.counting import (
    ColumnTables,
    Encoded,
    JointCounts,
    PairTables,
    column_tables,
    encode,
    histogram,
    joint_counts,
    pair_tables,
)

INT_DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def decode(e: Encoded, x) -> dict:
    """{observation of x: its code} from an encoding, checking that equal observations
    share a code and different ones do not."""
    seen: dict = {}
    for obs, code in zip(ref.rows(x), host(e.codes).tolist(), strict=True):
        assert seen.setdefault(obs, code) == code
    assert len(set(seen.values())) == len(seen)
    return seen


def assert_histogram_matches(counts, x, weights=None) -> None:
    """counts [K] (host) equal the reference histogram of x, observation by observation,
    and every code not present counts 0."""
    e = encode(x)
    expected = ref.histogram(x, weights)
    codes = decode(e, x)
    counts = np.asarray(host(counts))
    assert counts.shape == (e.size,)
    for obs, c in expected.items():
        assert counts[codes[obs]] == pytest.approx(c, rel=1e-12)
    absent = np.setdiff1d(np.arange(e.size), list(codes.values()))
    assert not counts[absent].any()


# ----------------------------------------------------------------------------- encode


@pytest.mark.parametrize("dtype", [*INT_DTYPES, "bool"])
def test_non_negative_integers_in_range_are_their_own_codes(device, dtype):
    x = rng(1).integers(0, 2 if dtype == "bool" else 100, 1001).astype(dtype)
    if device == "cuda" and dtype in ("uint16", "uint32", "uint64"):
        pytest.skip("torch has no CUDA kernels for these unsigned dtypes")
    e = encode(put(x, device))
    assert e.values is None
    assert e.size == int(x.max()) + 1
    assert e.column_sizes == (e.size,)
    codes = host(e.codes)
    assert codes.dtype == np.int64
    np.testing.assert_array_equal(codes, x.astype(np.int64))
    assert_histogram_matches(histogram(put(x, device)), x)


@pytest.mark.parametrize(
    "x",
    [
        np.array(["b", "a", "c", "a", "b", "b"]),
        np.array([-5, 3, -5, 7, 3, 3, -1]),
        np.array([10**12, 5, 10**12, 7, 7]),  # a range far beyond 4N + 1024
        np.array([2**63 + 5, 1, 2**63 + 5], dtype=np.uint64),
    ],
    ids=["strings", "negative", "sparse-range", "uint64-beyond-int64"],
)
def test_other_columns_are_ranked_among_their_sorted_values(x):
    e = encode(x)
    values, rank = ref.column_codes(x)
    assert e.size == len(values)
    assert e.column_sizes == (len(values),)
    assert ref.rows(e.values[0]) == values
    assert host(e.codes).tolist() == [rank[v] for v in ref.rows(x)]
    assert_histogram_matches(histogram(x), x)


def test_byte_swapped_and_strided_arrays_are_read_by_value():
    x = (np.arange(40) % 7).astype(">i4")
    assert not x.dtype.isnative
    np.testing.assert_array_equal(histogram(x), np.bincount(x.astype(np.int64)))
    m = (np.arange(120, dtype=np.int16).reshape(20, 6) % 5)[::-2, ::3]  # negative row stride
    ct = column_tables(m, np.arange(10) % 3)
    for j in range(2):
        np.testing.assert_array_equal(
            ct.tables[j][: ct.sizes[j]],
            [
                [int(((m[:, j] == a) & (np.arange(10) % 3 == b)).sum()) for b in range(3)]
                for a in range(ct.sizes[j])
            ],
        )


def test_lists_and_object_arrays_of_strings_are_accepted():
    e = encode(["x", "y", "x"])
    assert e.size == 2
    assert e.codes.tolist() == [0, 1, 0]
    obj = np.array(["b", "a"], dtype=object)
    assert encode(obj).codes.tolist() == [1, 0]


def test_several_columns_are_one_mixed_radix_code(device):
    x = np.stack(
        [rng(2).integers(0, 3, 500), rng(3).integers(0, 4, 500), rng(4).integers(-2, 2, 500)],
        axis=1,
    )
    e = encode(put(x, device))
    sizes = (3, 4, 4)
    assert e.column_sizes == sizes
    assert e.size == 48
    assert e.values[0] is None
    assert e.values[1] is None
    ranked = np.stack([x[:, 0], x[:, 1], x[:, 2] + 2], axis=1)  # column 2 ranked: -2..1 -> 0..3
    assert host(e.codes).tolist() == ref.mixed_radix(ranked, sizes)
    assert_histogram_matches(histogram(put(x, device)), x)


def test_columns_whose_product_is_beyond_the_dense_range_are_re_ranked_rows(device):
    # 3 columns of 1000 values: a product of 10^9 > 4N + 1024 -> codes of the distinct rows
    base = rng(5).integers(0, 1000, (40, 3))
    x = base[rng(6).integers(0, 40, 300)]
    e = encode(put(x, device))
    assert e.size == len(set(ref.rows(x)))
    codes = decode(e, x)
    assert sorted(codes.values()) == list(range(e.size))
    assert_histogram_matches(histogram(put(x, device)), x)


def test_products_beyond_int64_are_folded_and_re_ranked():
    # 8 columns ranked to up to 300 values each: 300^8 > 2^62
    x = rng(7).integers(-(10**9), 10**9, (300, 8))
    x[150:] = x[:150]
    e = encode(x)
    assert e.size == len(set(ref.rows(x))) == 150
    decode(e, x)
    assert_histogram_matches(histogram(x), x)


def test_strings_in_several_columns():
    x = np.array([["a", "x"], ["b", "x"], ["a", "y"], ["a", "x"]])
    e = encode(x)
    assert e.column_sizes == (2, 2)
    assert e.size == 4
    assert host(e.codes).tolist() == [0, 2, 1, 0]
    assert_histogram_matches(histogram(x), x)


def test_torch_cpu_tensors_give_torch_results():
    torch = pytest.importorskip("torch")
    x = torch.tensor([3, 1, 3, 0], dtype=torch.int16)
    e = encode(x)
    assert isinstance(e.codes, torch.Tensor)
    assert e.codes.dtype == torch.int64
    h = histogram(x)
    assert isinstance(h, torch.Tensor)
    assert h.tolist() == [1, 1, 0, 2]
    j = joint_counts(x, torch.tensor([0, 1, 0, 1]))
    assert isinstance(j.table, torch.Tensor)
    assert j.table.sum().item() == 4


# ----------------------------------------------------------------------------- histogram


def test_weighted_histogram_sums_the_weights(device):
    x = rng(8).integers(0, 20, 777)
    w = rng(9).random(777)
    h = histogram(put(x, device), weights=put(w, device))
    assert host(h).dtype == np.float64
    assert_histogram_matches(h, x, w)


def test_an_encoded_sample_is_counted_as_it_is(device):
    x = rng(10).integers(-3, 3, 400)
    e = encode(put(x, device))
    np.testing.assert_array_equal(host(histogram(e)), host(histogram(put(x, device))))


# ----------------------------------------------------------------------------- joint counts


def assert_joint_matches(j: JointCounts, x, y, weights=None) -> None:
    cx, cy = decode(encode(x), x), decode(encode(y), y)
    _kx, ky = j.shape
    expected = ref.joint(x, y, weights)
    cells = {cx[a] * ky + cy[b]: c for (a, b), c in expected.items()}
    if j.dense:
        got = dict(enumerate(np.asarray(host(j.table)).reshape(-1).tolist()))
        got = {k: v for k, v in got.items() if v != 0}
    else:
        got = dict(zip(host(j.keys).tolist(), host(j.values).tolist(), strict=True))
        assert host(j.keys).tolist() == sorted(got)
    assert got.keys() == cells.keys()
    for k, c in cells.items():
        assert got[k] == pytest.approx(c, rel=1e-12)
    assert_histogram_matches(j.counts_x, x, weights)
    assert_histogram_matches(j.counts_y, y, weights)
    total = len(ref.rows(x)) if weights is None else float(np.sum(weights))
    assert j.n == pytest.approx(total)


@pytest.mark.parametrize("weighted", [False, True], ids=["counts", "weights"])
def test_dense_and_sparse_joint_counts_match_the_reference_and_each_other(device, weighted):
    x = rng(11).integers(0, 30, 2000).astype(np.uint8)
    y = np.array(["a", "b", "c", "d"])[rng(12).integers(0, 4, 2000)] if device == "cpu" else None
    if y is None:  # strings cannot live on a GPU: labels as negative integers
        y = rng(12).integers(-4, 0, 2000)
    w = rng(13).random(2000) if weighted else None
    dense = joint_counts(put(x, device), put(y, device), weights=put(w, device))
    sparse = joint_counts(put(x, device), put(y, device), weights=put(w, device), max_dense_bytes=0)
    assert dense.dense
    assert not sparse.dense
    assert_joint_matches(dense, x, y, w)
    assert_joint_matches(sparse, x, y, w)
    np.testing.assert_allclose(host(dense.nonzero()), host(sparse.nonzero()), rtol=1e-12)


def test_joint_counts_of_multi_column_samples(device):
    x = rng(14).integers(0, 5, (600, 2))
    y = rng(15).integers(0, 7, 600)
    assert_joint_matches(joint_counts(put(x, device), put(y, device)), x, y)
    sparse = joint_counts(put(x, device), put(y, device), max_dense_bytes=8)
    assert_joint_matches(sparse, x, y)


def test_nonzero_drops_cells_reached_only_by_zero_weights(device):
    x = np.array([0, 0, 1, 2, 2])
    y = np.array([0, 1, 1, 0, 0])
    w = np.array([1.0, 0.0, 2.0, 0.5, 0.25])
    for limit in (None, 0):
        j = joint_counts(
            put(x, device), put(y, device), weights=put(w, device), max_dense_bytes=limit
        )
        np.testing.assert_array_equal(host(j.nonzero()), [1.0, 2.0, 0.75])
        np.testing.assert_array_equal(host(j.counts_x), [1.0, 2.0, 0.75])
        assert j.n == 3.75


def test_encoded_samples_are_accepted_wherever_samples_are(device):
    x = rng(24).integers(0, 4, (300, 2))
    y = np.array(["u", "v", "w"])[rng(25).integers(0, 3, 300)]
    ex = encode(put(x, device))
    ey = encode(y) if device == "cpu" else encode(put(rng(25).integers(0, 3, 300), device))
    y_obs = y if device == "cpu" else rng(25).integers(0, 3, 300)
    assert_joint_matches(joint_counts(ex, ey), x, y_obs)
    ct = column_tables(put(x, device), ey)
    np.testing.assert_array_equal(host(ct.counts_y), host(histogram(ey)))


def test_huge_alphabets_take_the_sparse_layout_by_default(device):
    n = 20000
    x = rng(16).integers(0, 4 * n, n)  # alphabets of ~80k values: 6.4e9 cells
    y = rng(17).integers(0, 4 * n, n)
    j = joint_counts(put(x, device), put(y, device))
    assert not j.dense
    assert j.table is None
    assert j.shape == (int(x.max()) + 1, int(y.max()) + 1)
    assert_joint_matches(j, x, y)


def test_one_and_two_threads_count_the_same():
    # N = 300k: above two grains of 2**17 rows, so num_threads=2 does run two threads
    x = rng(18).integers(0, 1500, 300_000)
    y = rng(19).integers(0, 1500, 300_000)  # 2.25e6 cells: the shared (atomic) table
    small = y % 7  # a private-copies table
    w = rng(20).random(300_000)
    for yy in (y, small):
        a, b = joint_counts(x, yy, num_threads=1), joint_counts(x, yy, num_threads=2)
        np.testing.assert_array_equal(a.table, b.table)
        np.testing.assert_array_equal(a.counts_x, b.counts_x)
        a, b = (joint_counts(x, yy, weights=w, num_threads=t) for t in (1, 2))
        np.testing.assert_allclose(a.table, b.table, rtol=1e-12)
    a, b = (joint_counts(x, y, max_dense_bytes=0, num_threads=t) for t in (1, 2))
    np.testing.assert_array_equal(a.keys, b.keys)
    np.testing.assert_array_equal(a.values, b.values)
    a, b = (joint_counts(x, y, weights=w, max_dense_bytes=0, num_threads=t) for t in (1, 2))
    np.testing.assert_array_equal(a.values, b.values)  # summed in row order either way
    xs = np.stack([x % 5, y % 3, x % 11], axis=1)
    for fn in (
        lambda t: column_tables(xs, y % 10, num_threads=t).tables,
        lambda t: pair_tables(xs, num_threads=t).tables,
    ):
        np.testing.assert_array_equal(fn(1), fn(2))
    np.testing.assert_array_equal(histogram(x, num_threads=1), histogram(x, num_threads=2))


# ----------------------------------------------------------------------------- tables


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int32", "int64"])
@pytest.mark.parametrize("weighted", [False, True], ids=["counts", "weights"])
def test_column_tables_match_the_per_column_reference(device, dtype, weighted):
    r = rng(21)
    x = r.integers(0, 6, (900, 7)).astype(dtype)
    x[:, 3] = r.integers(0, 2, 900)  # columns of different alphabets
    if dtype.startswith("int"):
        x[:, 5] = r.integers(-3, 3, 900)  # a ranked column
    y = r.integers(0, 4, 900)
    w = r.random(900) if weighted else None
    ct = column_tables(put(x, device), put(y, device), weights=put(w, device))
    assert isinstance(ct, ColumnTables)
    sizes = host(ct.sizes).tolist()
    tables = np.asarray(host(ct.tables))
    assert tables.shape == (7, max(sizes), 4)
    for j, expected in enumerate(ref.column_joints(x, y, w)):
        values, rank = ref.column_codes(x[:, j])
        assert sizes[j] == (len(values) if ct.values[j] is not None else int(x[:, j].max()) + 1)
        ranked = ct.values[j] is not None
        got = np.zeros_like(tables[j])
        for (a, b), c in expected.items():
            got[rank[a] if ranked else a, b] = c
        np.testing.assert_allclose(tables[j], got, rtol=1e-12)
    np.testing.assert_allclose(host(ct.counts_y), [ref.histogram(y, w)[k] for k in range(4)])
    assert ct.n == pytest.approx(900 if w is None else w.sum())


@pytest.mark.parametrize("dtype", ["uint8", "int64"])
@pytest.mark.parametrize("labels", [10, 3000])
def test_column_tables_of_many_rows_match_bincount_on_any_threads(dtype, labels):
    # N = 300k rows: the kernel counts tiles of rows into uint32 tables added into int64
    # ones at every tile's end, over sub-tiles of rows ordered by label; 3000 labels: more
    # labels than a sub-tile's default rows
    n, m = 300_000, 6
    r = rng(31)
    y = r.integers(0, labels, n)
    x = np.stack([(y * (j + 1) + r.integers(0, 2, n)) % (j + 2) for j in range(m)], axis=1)
    x = x.astype(dtype)
    x[::97, 2] = 1  # a column with a constant stripe: the code never reaches its size
    expected = np.zeros((m, m + 1, labels), dtype=np.int64)
    for j in range(m):
        k = int(x[:, j].max()) + 1
        expected[j, :k] = np.bincount(
            x[:, j].astype(np.int64) * labels + y, minlength=k * labels
        ).reshape(k, labels)
    for t in (1, 2):
        ct = column_tables(x, y, num_threads=t)
        np.testing.assert_array_equal(ct.tables, expected)
        np.testing.assert_array_equal(ct.counts_y, np.bincount(y, minlength=labels))


def test_column_tables_of_wide_layers_match_bincount():
    # 8000 columns: a sub-tile of label-ordered rows holds only ~130 rows (its codes within
    # about 1 MB), so the 1500 rows make many sub-tiles
    n, m = 1500, 8000
    r = rng(32)
    y = r.integers(0, 7, n)
    x = ((r.integers(0, 4, (n, m)) + y[:, None]) % 4).astype(np.uint8)
    ct = column_tables(x, y, num_threads=2)
    keys = x.astype(np.int64) * 7 + y[:, None]
    for j in range(0, m, 997):
        np.testing.assert_array_equal(
            ct.tables[j], np.bincount(keys[:, j], minlength=28).reshape(4, 7)
        )
    np.testing.assert_array_equal(ct.tables.sum(axis=(1, 2)), np.full(m, n))


def test_column_ranges_of_many_rows_see_every_row():
    # 300k rows of 3 int64 columns: the column ranges are taken over several blocks of rows;
    # a negative value and a new maximum only in late rows must still be seen
    n = 300_000
    x = np.zeros((n, 3), dtype=np.int64)
    x[:, 0] = np.arange(n) % 4
    x[-1, 1] = -5  # ranked column: values -5 and 0
    x[200_000, 2] = 40  # dense column of size 41
    y = np.arange(n) % 3
    ct = column_tables(x, y)
    assert ct.sizes.tolist() == [4, 2, 41]
    assert ct.values[0] is None
    assert ct.values[2] is None
    np.testing.assert_array_equal(ct.values[1], [-5, 0])
    np.testing.assert_array_equal(ct.tables[1, :2].sum(1), [1, n - 1])
    np.testing.assert_array_equal(ct.tables[2, 40], [0, 0, 1])  # row 200000: label 200000 % 3


def test_pair_tables_match_the_per_pair_reference(device):
    r = rng(22)
    x = r.integers(0, 5, (700, 5)).astype(np.int16)
    x[:, 1] = r.integers(0, 3, 700)
    pt = pair_tables(put(x, device))
    assert isinstance(pt, PairTables)
    assert pt.pairs.tolist() == [[i, j] for i in range(5) for j in range(i + 1, 5)]
    tables = np.asarray(host(pt.tables))
    for p, expected in enumerate(ref.pair_joints(x, pt.pairs)):
        got = np.zeros_like(tables[p])
        for (a, b), c in expected.items():
            got[a, b] = c
        np.testing.assert_array_equal(tables[p], got)
    pairs = np.array([[4, 0], [2, 2]])
    w = r.random(700)
    pw = pair_tables(put(x, device), put(pairs, device), weights=put(w, device))
    for p, expected in enumerate(ref.pair_joints(x, pairs, w)):
        got = np.zeros(np.asarray(host(pw.tables)).shape[1:])
        for (a, b), c in expected.items():
            got[a, b] = c
        np.testing.assert_allclose(host(pw.tables)[p], got, rtol=1e-12)


# ----------------------------------------------------------------------------- contract


def test_inputs_are_never_modified(device):
    r = rng(23)
    x = r.integers(-5, 50, (300, 3)).astype(np.int32)
    y = r.integers(0, 4, 300)
    w = r.random(300)
    keep = [a.copy() for a in (x, y, w)]
    xs, ys, ws = put(x, device), put(y, device), put(w, device)
    encode(xs)
    histogram(xs, weights=ws)
    joint_counts(xs, ys, weights=ws)
    joint_counts(xs, ys, weights=ws, max_dense_bytes=0)
    column_tables(xs, ys, weights=ws)
    pair_tables(xs, weights=ws)
    for a, k in zip((xs, ys, ws), keep, strict=True):
        np.testing.assert_array_equal(host(a), k)


def test_results_have_short_reprs_and_dicts():
    x = np.arange(10_000) % 100
    j = joint_counts(x, x % 7)
    text = repr(j)
    assert text.startswith("JointCounts(n=10000.0")
    assert len(text) < 300
    assert "int64 [100, 7]" in text
    d = j.as_dict()
    assert d["n"] == 10000.0
    assert d["keys"] is None
    assert len(d["table"]) == 100
    assert repr(encode(x)).startswith("Encoded(codes=<int64 [10000]>, size=100")
    with pytest.raises(AttributeError):
        j.n = 1  # frozen


@pytest.mark.parametrize(
    ("call", "kind", "match"),
    [
        (lambda: encode(np.array([], dtype=np.int64)), ValueError, r"x must be non-empty"),
        (lambda: encode(np.zeros((2, 2, 2), int)), ValueError, r"x must be a 1-D \[N\] or 2-D"),
        (lambda: encode(np.ones(3)), TypeError, r"quantise floats first"),
        (lambda: encode([1.5, 2.0]), TypeError, r"x must be integers or strings \(quantise"),
        (lambda: encode(np.array([1, "a", None], dtype=object)), TypeError, r"x must be"),
        (
            lambda: encode(np.zeros(3), name="z", api="softent.est.mi"),
            TypeError,
            r"^softent\.est\.mi: z must",
        ),
        (
            lambda: histogram(np.arange(3), weights=[1.0, -1.0, 0.0]),
            ValueError,
            r"weights must be finite and >= 0, got -1\.0 at index 1",
        ),
        (
            lambda: histogram(np.arange(3), weights=[1.0, np.nan, 0.0]),
            ValueError,
            r"weights must be finite and >= 0, got NaN/Inf at index 1",
        ),
        (
            lambda: histogram(np.arange(3), weights=[1.0, 2.0]),
            ValueError,
            r"weights must be a 1-D array of length N=3",
        ),
        (
            lambda: histogram(np.arange(3), weights=["a", "b", "c"]),
            TypeError,
            r"weights must be real numbers",
        ),
        (
            lambda: histogram(np.arange(3), num_threads=0),
            ValueError,
            r"num_threads must be None or an int >= 1",
        ),
        (
            lambda: joint_counts(np.arange(3), np.arange(4)),
            ValueError,
            r"joint_counts: y must be of x's length N=3, got N=4",
        ),
        (
            lambda: joint_counts(np.arange(3), np.ones(3)),
            TypeError,
            r"joint_counts: y must be integers or strings",
        ),
        (
            lambda: joint_counts(np.arange(3), np.arange(3), max_dense_bytes=-1),
            ValueError,
            r"max_dense_bytes must be None or an int >= 0",
        ),
        (
            lambda: column_tables(np.arange(3), np.arange(3)),
            ValueError,
            r"column_tables: x must be a 2-D array",
        ),
        (
            lambda: column_tables(np.zeros((3, 2), int), np.arange(4)),
            ValueError,
            r"column_tables: y must be of x's length N=3",
        ),
        (
            lambda: pair_tables(np.zeros((3, 2), int), [[0, 2]]),
            ValueError,
            r"pairs must be column indices in \[0, 2\)",
        ),
        (
            lambda: pair_tables(np.zeros((3, 2), int), [[0, -1]]),
            ValueError,
            r"pairs must be column indices",
        ),
        (
            lambda: pair_tables(np.zeros((3, 2), int), [0, 1]),
            ValueError,
            r"pairs must be a non-empty \[P, 2\]",
        ),
        (
            lambda: pair_tables(np.zeros((3, 2), int), [[0.0, 1.0]]),
            TypeError,
            r"pairs must be integer column indices",
        ),
        (lambda: pair_tables(np.zeros((3, 1), int)), ValueError, r"x must be \[N, m\] with m >= 2"),
    ],
)
def test_bad_inputs_are_refused_naming_the_argument(call, kind, match):
    with pytest.raises(kind, match=match):
        call()


def test_tables_that_cannot_fit_are_refused_up_front_with_the_bytes_needed():
    n = 50_000
    x = np.stack([np.arange(n) * 4, np.arange(n)[::-1] * 4], axis=1)  # alphabets of 200k
    with pytest.raises(
        ValueError,
        match=r"pair_tables: x must be small enough to fit in memory \(the call needs [\d.]+ GiB",
    ):
        pair_tables(x)
    with pytest.raises(ValueError, match=r"column_tables: x must be small enough"):
        # 200 columns and labels of ~5000 values (N = 1000): 200 * 5000 * 5000 * 8 bytes
        column_tables(np.repeat(np.arange(1000)[:, None] * 5, 200, axis=1), np.arange(1000) * 5)
    with pytest.raises(ValueError, match=r"joint_counts: max_dense_bytes must be small enough"):
        joint_counts(x[:, 0], x[:, 1], max_dense_bytes=1 << 62)


def test_the_counting_kernels_are_called_from_one_place():
    """python/softent/discrete/_kernel.py holds the one call of each counting binding
    (docs/design.md §2): the public functions all go through it."""
    import re
    from pathlib import Path

    import softent

    calls: dict[str, list[str]] = {}
    root = Path(softent.__file__).parent
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for name in re.findall(
            r"_core\.(encode_rows|count_dense|count_sparse|pair_tables)\(", text
        ):
            calls.setdefault(name, []).append(str(path.relative_to(root)))
    expected = ["discrete/_kernel.py"]
    assert calls == dict.fromkeys(
        ("encode_rows", "count_dense", "count_sparse", "pair_tables"), expected
    )
