"""softent.discrete.quantise: equal-width, quantile and nninfo-level quantisers.

Each quantiser against a plain NumPy reference written here (np.digitize on np.linspace /
np.quantile edges, explicit rounding as nninfo's Q3Quantizer does it), the edge values
(upper edge, constant columns, half-way points, limits), the code dtypes, torch vs NumPy
equality (on every device) and every bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from cases import host
from softent.discrete.quantise import (
    MAX_BINS,
    code_dtype,
    dequantise,
    equal_width,
    levels,
    quantile,
)

# ----------------------------------------------------------------------------- plain references


def ref_equal_width(x, bins, lo=None, hi=None):
    """np.digitize of each column against np.linspace edges; the upper edge in the last bin,
    a constant column all 0, out-of-range values clipped to the end bins."""
    x = np.asarray(x, dtype=float).reshape(len(x), -1)
    out = np.zeros(x.shape, dtype=np.int64)
    for j in range(x.shape[1]):
        a, b = (x[:, j].min(), x[:, j].max()) if lo is None else (lo, hi)
        if a == b:
            continue
        edges = np.linspace(a, b, bins + 1)
        out[:, j] = np.clip(np.digitize(x[:, j], edges) - 1, 0, bins - 1)
    return out


def ref_quantile(x, bins):
    """np.digitize (right=True: a value on an edge goes down) of each column against its
    np.quantile edges at k / bins."""
    x = np.asarray(x, dtype=float).reshape(len(x), -1)
    out = np.zeros(x.shape, dtype=np.int64)
    for j in range(x.shape[1]):
        edges = [np.quantile(x[:, j], k / bins) for k in range(1, bins)]
        out[:, j] = np.digitize(x[:, j], edges, right=True)
    return out


def ref_levels(x, n_levels, lo, hi):
    """nninfo's Q3Quantizer written out element by element: round half to even of
    (x - lo) / scale, scale = (hi - lo) / (L - 1), clipped to the limits first."""
    scale = (hi - lo) / (n_levels - 1)
    flat = [round((min(max(v, lo), hi) - lo) / scale) for v in np.asarray(x, float).ravel()]
    return np.array(flat, dtype=np.int64).reshape(np.shape(x))


def data(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


# ----------------------------------------------------------------------------- equal width


@pytest.mark.parametrize("bins", [1, 2, 3, 10, 257])
@pytest.mark.parametrize("shape", [(50,), (40, 3), (7, 1)])
def test_equal_width_matches_digitize_on_linspace_edges(bins, shape):
    x = data(shape, seed=bins)
    codes = equal_width(x, bins)
    assert codes.shape == x.shape
    np.testing.assert_array_equal(codes.reshape(len(x), -1), ref_equal_width(x, bins))


def test_equal_width_edges_upper_edge_and_constant_columns():
    x = np.array([[0.0, 5.0], [0.25, 5.0], [0.5, 5.0], [0.75, 5.0], [1.0, 5.0], [0.2499, 5.0]])
    codes = equal_width(x, 4)
    np.testing.assert_array_equal(codes[:, 0], [0, 1, 2, 3, 3, 0])  # edges go up, 1.0 -> last
    np.testing.assert_array_equal(codes[:, 1], 0)  # a constant column: one bin
    counts = np.bincount(equal_width(np.arange(100.0), 10), minlength=10)
    np.testing.assert_array_equal(counts, 10)


def test_equal_width_with_a_range_refuses_or_clips_values_outside():
    x = np.array([-2.0, -1.0, 0.0, 0.999, 1.0, 3.0])
    with pytest.raises(
        ValueError, match=r"x must be inside range \[-1, 1\].*-2.0 in row 0, column 0"
    ):
        equal_width(x, 4, range=(-1, 1))
    codes = equal_width(x, 4, range=(-1, 1), out_of_range="clip")
    np.testing.assert_array_equal(codes, [0, 0, 2, 3, 3, 3])
    np.testing.assert_array_equal(codes, ref_equal_width(x, 4, -1, 1)[:, 0])
    inside = data((30, 2), seed=3).clip(-1, 1)
    np.testing.assert_array_equal(
        equal_width(inside, 5, range=(-1.0, 1.0)), ref_equal_width(inside, 5, -1.0, 1.0)
    )


# ----------------------------------------------------------------------------- quantile


@pytest.mark.parametrize("bins", [1, 2, 4, 7, 300])
@pytest.mark.parametrize("shape", [(60,), (45, 4)])
def test_quantile_matches_digitize_on_np_quantile_edges(bins, shape):
    x = data(shape, seed=bins + 1)
    codes = quantile(x, bins)
    assert codes.shape == x.shape
    np.testing.assert_array_equal(codes.reshape(len(x), -1), ref_quantile(x, bins))


@pytest.mark.parametrize(("n", "bins"), [(12, 4), (100, 10), (64, 8), (30, 30)])
def test_quantile_bins_hold_equal_mass_for_distinct_values(n, bins):
    x = data((n, 3), seed=n)
    codes = quantile(x, bins)
    for j in range(3):
        np.testing.assert_array_equal(np.bincount(codes[:, j], minlength=bins), n // bins)


def test_quantile_codes_depend_only_on_ranks_and_ties_share_a_code():
    x = data(97, seed=5)
    np.testing.assert_array_equal(quantile(np.exp(x), 6), quantile(x, 6))
    order = np.argsort(x)
    assert (np.diff(quantile(x, 6)[order].astype(int)) >= 0).all()  # monotone in x
    tied = np.array([0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 3.0])
    codes = quantile(tied, 4)
    np.testing.assert_array_equal(codes, ref_quantile(tied, 4)[:, 0])
    # edges 0 (k = 1), 0.5, 2.25: the four zeros share code 0, bin 1 stays empty
    np.testing.assert_array_equal(codes, [0, 0, 0, 0, 2, 2, 3, 3])
    # a value on an edge (the median of 1..5) goes to the lower bin
    np.testing.assert_array_equal(quantile(np.arange(1.0, 6.0), 2), [0, 0, 0, 1, 1])
    np.testing.assert_array_equal(quantile(np.full(9, 2.5), 3), 0)


# ----------------------------------------------------------------------------- levels (nninfo)


@pytest.mark.parametrize(
    ("n_levels", "limits"), [(2, (0, 1)), (8, (-1, 1)), (5, (0.0, 1.0)), (300, (-3, 2))]
)
def test_levels_matches_nninfo_rounding(n_levels, limits):
    lo, hi = limits
    x = np.random.default_rng(n_levels).uniform(lo, hi, size=(200, 3))
    codes = levels(x, n_levels, limits=limits)
    np.testing.assert_array_equal(codes, ref_levels(x, n_levels, lo, hi))
    assert codes.min() >= 0
    assert codes.max() <= n_levels - 1


def test_levels_rounds_half_way_points_to_even_like_torch_round():
    # 5 levels on [-1, 1]: step 0.5, so x = -0.75, -0.25, 0.25, 0.75 sit half-way
    x = np.array([-1.0, -0.75, -0.25, 0.25, 0.75, 1.0])
    np.testing.assert_array_equal(levels(x, 5, limits=(-1, 1)), [0, 0, 2, 2, 4, 4])
    np.testing.assert_array_equal(levels(x, 5, limits=(-1, 1)), ref_levels(x, 5, -1, 1))


def test_levels_tanh_and_sigmoid_limits_hit_both_end_codes():
    z = np.linspace(-6, 6, 101)
    t = levels(np.tanh(z), 8, limits=(-1, 1))
    s = levels(1 / (1 + np.exp(-z)), 4, limits=(0, 1))
    assert (t.min(), t.max(), s.min(), s.max()) == (0, 7, 0, 3)
    np.testing.assert_array_equal(levels(np.array([-1.0, 1.0]), 8, limits=(-1, 1)), [0, 7])


def test_levels_out_of_range_is_refused_by_default_and_clipped_on_request():
    x = np.array([[0.0, 0.5], [1.2, -0.3]])
    with pytest.raises(
        ValueError, match=r"x must be inside limits \[0, 1\].*1.2 in row 1, column 0"
    ):
        levels(x, 3, limits=(0, 1))
    np.testing.assert_array_equal(
        levels(x, 3, limits=(0, 1), out_of_range="clip"), [[0, 1], [2, 0]]
    )


def test_dequantise_gives_the_level_values_and_inverts_levels_on_them():
    lv = dequantise(np.arange(5), 5, (-1, 1))
    np.testing.assert_allclose(lv, [-1.0, -0.5, 0.0, 0.5, 1.0], atol=0)
    assert lv.dtype == np.float64
    np.testing.assert_array_equal(levels(lv, 5, limits=(-1, 1)), np.arange(5))
    x = np.random.default_rng(2).uniform(-1, 1, size=(50, 2))
    back = dequantise(levels(x, 9, limits=(-1, 1)), 9, (-1, 1))
    assert back.shape == x.shape
    assert np.abs(back - x).max() <= 0.25 / 2 + 1e-15  # within half a step


# ----------------------------------------------------------------------------- dtypes, libraries


@pytest.mark.parametrize(
    ("n", "dtype"), [(1, np.uint8), (256, np.uint8), (257, np.int32), (MAX_BINS, np.int32)]
)
def test_code_dtype_is_the_smallest_sufficient(n, dtype):
    assert code_dtype(n) == dtype


@pytest.mark.parametrize(
    "call",
    [
        lambda x, b: equal_width(x, b),
        lambda x, b: quantile(x, b),
        lambda x, b: levels(x.clip(-1, 1), b, limits=(-1, 1)),
    ],
    ids=["equal_width", "quantile", "levels"],
)
@pytest.mark.parametrize(("n_bins", "dtype"), [(256, np.uint8), (1000, np.int32)])
def test_codes_come_in_the_smallest_dtype_and_inputs_are_not_modified(call, n_bins, dtype):
    for x in (data((5000, 2), seed=1), data(5000, seed=2).astype(np.float32)):
        before = x.copy()
        codes = call(x, n_bins)
        assert codes.dtype == dtype
        np.testing.assert_array_equal(x, before)
        assert codes.max() > 200  # the codes use the range


def test_integer_input_is_quantised_like_its_float_values():
    x = np.arange(-5, 15).reshape(10, 2)
    np.testing.assert_array_equal(equal_width(x, 3), equal_width(x.astype(float), 3))
    np.testing.assert_array_equal(quantile(x, 3), quantile(x.astype(float), 3))


@pytest.mark.parametrize(
    "call",
    [
        lambda x: equal_width(x, 6),
        lambda x: equal_width(x, 6, range=(-4.0, 4.0), out_of_range="clip"),
        lambda x: quantile(x, 5),
        lambda x: levels(x, 7, limits=(-2, 2), out_of_range="clip"),
    ],
    ids=["equal_width", "equal_width_range", "quantile", "levels"],
)
def test_torch_in_torch_out_on_the_same_device_equal_to_numpy(call, device):
    torch = pytest.importorskip("torch")
    x = data((80, 3), seed=4)
    expected = call(x)
    for dtype in (torch.float64, torch.float32):
        t = torch.as_tensor(x, device=device).to(dtype).requires_grad_(True)
        got = call(t)
        assert isinstance(got, torch.Tensor)
        assert got.device.type == device
        assert not got.requires_grad
        assert str(got.dtype) == f"torch.{expected.dtype}"
        want = call(x.astype(np.float32)) if dtype == torch.float32 else expected
        np.testing.assert_array_equal(host(got), want)
    one_d = torch.as_tensor(x[:, 0], device=device)
    np.testing.assert_array_equal(host(call(one_d)), call(x[:, 0]))


def test_torch_dequantise_stays_on_its_device(device):
    torch = pytest.importorskip("torch")
    codes = torch.as_tensor([0, 3, 6], device=device)
    values = dequantise(codes, 7, (0, 3))
    assert isinstance(values, torch.Tensor)
    assert values.device.type == device
    np.testing.assert_array_equal(host(values), [0.0, 1.5, 3.0])


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: equal_width([1.0, 2.0], 0), ValueError, "bins must be an int in"),
        (lambda: equal_width([1.0, 2.0], 2.0), TypeError, "bins must be an int"),
        (lambda: equal_width([1.0, 2.0], MAX_BINS + 1), ValueError, "bins must be an int in"),
        (lambda: quantile([1.0, 2.0], 0), ValueError, "bins must be an int in"),
        (lambda: levels([0.5], 1, limits=(0, 1)), ValueError, r"levels must be an int in \[2, "),
        (lambda: levels([0.5], 2, limits=(1, 1)), ValueError, "limits must be a pair"),
        (lambda: levels([0.5], 2, limits=(1, 0)), ValueError, "limits must be a pair"),
        (lambda: levels([0.5], 2, limits=(0, math.inf)), ValueError, "limits must be a pair"),
        (lambda: levels([0.5], 2, limits=(0, 1, 2)), TypeError, "limits must be a pair"),
        (lambda: levels([0.5], 2, limits="ab"), TypeError, "limits must be a pair"),
        (
            lambda: levels([0.5], 2, limits=(0, 1), out_of_range="wrap"),
            ValueError,
            "out_of_range must be one of",
        ),
        (lambda: equal_width([0.5], 2, range=(2, 1)), ValueError, "range must be a pair"),
        (
            lambda: equal_width([0.5], 2, range=None, out_of_range=1),
            ValueError,
            "out_of_range must be one of",
        ),
        (lambda: equal_width(np.ones((2, 2, 2)), 2), ValueError, r"x must be 1-D \[N\] or 2-D"),
        (lambda: equal_width(np.ones(()), 2), ValueError, r"x must be 1-D \[N\] or 2-D"),
        (lambda: quantile(np.ones((0, 3)), 2), ValueError, "x must be non-empty"),
        (lambda: quantile([], 2), ValueError, "x must be non-empty"),
        (lambda: quantile(np.ones((3, 0)), 2), ValueError, "x must be non-empty"),
        (lambda: quantile(["a", "b"], 2), TypeError, "x must be a real"),
        (lambda: quantile(np.array([True, False]), 2), TypeError, "x must be a real"),
        (lambda: quantile(np.array([1j, 2j]), 2), TypeError, "x must be a real"),
        (
            lambda: dequantise(np.array([0.0, 1.0]), 3, (0, 1)),
            TypeError,
            "codes must be an integer array",
        ),
        (
            lambda: dequantise(np.array([0, 3]), 3, (0, 1)),
            ValueError,
            r"codes must be in 0..2, got values in 0..3",
        ),
        (lambda: dequantise(np.array([-1, 0]), 3, (0, 1)), ValueError, "codes must be in 0..2"),
        (lambda: dequantise(np.array([0]), 1, (0, 1)), ValueError, "levels must be"),
        (lambda: dequantise(np.array([0]), 2, (1, 0)), ValueError, "limits must be"),
    ],
)
def test_bad_input_is_refused_naming_the_argument(call, exc, match):
    with pytest.raises(exc, match=match) as info:
        call()
    assert str(info.value).startswith("softent.discrete.")


@pytest.mark.parametrize(
    "call",
    [lambda x: equal_width(x, 3), lambda x: quantile(x, 3), lambda x: levels(x, 3, limits=(-9, 9))],
    ids=["equal_width", "quantile", "levels"],
)
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_inf_are_refused_naming_the_first_bad_row(call, bad):
    x = data((6, 2), seed=0)
    x[4, 1] = bad
    x[5, 0] = bad
    before = x.copy()
    with pytest.raises(ValueError, match=r"x must be finite \(no NaN/Inf\), got NaN/Inf in row 4"):
        call(x)
    np.testing.assert_array_equal(x, before)
    with pytest.raises(ValueError, match="got NaN/Inf in row 4"):
        call(x[:, 1])


def test_torch_bad_input():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="x must be a real"):
        quantile(torch.tensor([True, False]), 2)
    with pytest.raises(ValueError, match="got NaN/Inf in row 1"):
        levels(torch.tensor([0.0, math.nan]), 2, limits=(0, 1))
