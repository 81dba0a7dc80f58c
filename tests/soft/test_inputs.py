"""Input handling: array kinds, dtypes, views, and every bad input named in a clear error."""

from __future__ import annotations

import numpy as np
import pytest
import softent

KW = {"n_bins": 16, "temperature": 0.2}


@pytest.fixture
def data():
    rng = np.random.default_rng(11)
    return rng.normal(size=(257, 9)), rng.integers(0, 3, 257)


def test_inputs_are_never_modified(data):
    z, labels = data
    z_before, labels_before = z.copy(), labels.copy()
    centres = softent.spherical_bins(16, 9) * 3.0
    centres_before = centres.copy()
    for metric in ("cosine", "euclidean"):
        softent.information(z, labels, centres=centres, metric=metric, temperature=0.2)
    np.testing.assert_array_equal(z, z_before)
    np.testing.assert_array_equal(labels, labels_before)
    np.testing.assert_array_equal(centres, centres_before)


def test_read_only_input(data):
    z, _labels = data
    ro = z.copy()
    ro.flags.writeable = False
    assert softent.entropy(ro, **KW) == softent.entropy(z, **KW)


@pytest.mark.parametrize(
    "make",
    [
        lambda z: np.asfortranarray(z),
        lambda z: z.T.copy().T,
        lambda z: np.ascontiguousarray(z[::-1])[::-1],
        lambda z: np.repeat(z, 2, axis=1)[:, ::2],
        lambda z: np.concatenate([z, np.zeros_like(z)], axis=1)[:, : z.shape[1]],
    ],
    ids=["fortran", "transposed", "negative-row-stride", "column-stride-2", "padded-rows"],
)
def test_non_contiguous_views(data, make):
    z, labels = data
    v = make(z)
    np.testing.assert_array_equal(v, z)
    for metric in ("cosine", "euclidean"):
        a = softent.information(
            z, labels, metric=metric, centres=softent.box_bins(z, 16), temperature=0.5
        )
        b = softent.information(
            v, labels, metric=metric, centres=softent.box_bins(z, 16), temperature=0.5
        )
        assert b.entropy == pytest.approx(a.entropy, rel=1e-12)
        assert b.mutual_information == pytest.approx(a.mutual_information, rel=1e-9, abs=1e-12)


def test_float16_is_computed_in_float32(data):
    z, _ = data
    z16 = z.astype(np.float16)
    assert softent.entropy(z16, **KW) == pytest.approx(
        softent.entropy(z16.astype(np.float32), **KW), rel=1e-12
    )


def test_lists_and_dlpack(data):
    z, _labels = data
    expected = softent.entropy(z, **KW)
    assert softent.entropy(z.tolist(), **KW) == pytest.approx(expected, rel=1e-12)

    class OnlyDLPack:
        def __init__(self, a):
            self.a = a

        def __dlpack__(self, **kwargs):
            return self.a.__dlpack__(**kwargs)

        def __dlpack_device__(self):
            return self.a.__dlpack_device__()

    assert softent.entropy(OnlyDLPack(z), **KW) == pytest.approx(expected, rel=1e-12)


def test_numpy_in_python_float_out(data):
    z, labels = data
    assert type(softent.entropy(z, **KW)) is float
    info = softent.information(z, labels, **KW)
    assert type(info.mutual_information) is float
    d = info.as_dict()
    assert set(d["label_entropies"]) == {"0", "1", "2"}


@pytest.mark.parametrize("dtype_name", ["float32", "float64", "float16", "bfloat16"])
def test_torch_in_torch_out(data, dtype_name):
    torch = pytest.importorskip("torch")
    z, labels = data
    t = torch.tensor(z, dtype=getattr(torch, dtype_name))
    got = softent.entropy(t, **KW)
    assert isinstance(got, torch.Tensor)
    assert got.ndim == 0
    assert got.device == t.device
    assert got.dtype == (torch.float64 if dtype_name == "float64" else torch.float32)
    expected = softent.entropy(t.float().numpy() if dtype_name != "float64" else z, **KW)
    assert float(got) == pytest.approx(expected, rel=1e-6)
    info = softent.information(t, torch.tensor(labels), **KW)
    assert isinstance(info.mutual_information, torch.Tensor)


def test_torch_non_contiguous_view(data):
    torch = pytest.importorskip("torch")
    z, _ = data
    t = torch.tensor(z).t().contiguous().t()
    assert not t.is_contiguous()
    assert float(softent.entropy(t, **KW)) == pytest.approx(softent.entropy(z, **KW), rel=1e-12)


# ---- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda z, l: softent.entropy(z[0], **KW), ValueError, r"z must be a 2-D array"),
        (lambda z, l: softent.entropy(z[None], **KW), ValueError, r"z must be a 2-D array"),
        (lambda z, l: softent.entropy(z[:0], **KW), ValueError, r"z must be non-empty"),
        (lambda z, l: softent.entropy(z[:, :0], **KW), ValueError, r"z must be non-empty"),
        (
            lambda z, l: softent.entropy(z.astype(int), **KW),
            TypeError,
            r"z must be a floating-point",
        ),
        (
            lambda z, l: softent.entropy(z.astype(complex), **KW),
            TypeError,
            r"z must be a floating-point",
        ),
        (
            lambda z, l: softent.entropy(z, centres=np.ones((4, 3)), temperature=1.0),
            ValueError,
            r"centres must be \[B, D\] with D=9",
        ),
        (
            lambda z, l: softent.entropy(z, centres=np.zeros((4, 9)), temperature=1.0),
            ValueError,
            r"centres must be non-zero rows",
        ),
        (
            lambda z, l: softent.entropy(z, centres=np.full((4, 9), np.nan), temperature=1.0),
            ValueError,
            r"centres must be finite",
        ),
        (
            lambda z, l: softent.information(z, l[:-1], **KW),
            ValueError,
            r"labels must be one label per row of z \(length N=257\)",
        ),
        (
            lambda z, l: softent.information(z, l[:, None], **KW),
            ValueError,
            r"labels must be a 1-D array",
        ),
        (
            lambda z, l: softent.information(z, l.astype(float), **KW),
            TypeError,
            r"labels must be integers",
        ),
        (
            lambda z, l: softent.information(z, np.full(257, -1), ignore_index=-1, **KW),
            ValueError,
            r"ignore_index must be a value that leaves some rows",
        ),
        (
            lambda z, l: softent.information(z, None, **KW),
            ValueError,
            r"labels must be an \[N\] array",
        ),
        (
            lambda z, l: softent.entropy(z, n_bins=16, temperature=0.0),
            ValueError,
            r"temperature must be finite and > 0, got 0.0",
        ),
        (
            lambda z, l: softent.entropy(z, n_bins=16, temperature=-1),
            ValueError,
            r"temperature must be finite and > 0",
        ),
        (
            lambda z, l: softent.entropy(z, n_bins=16, temperature=float("nan")),
            ValueError,
            r"temperature must be finite",
        ),
        (
            lambda z, l: softent.entropy(z, n_bins=16, temperature="hot"),
            ValueError,
            r"temperature must be a float > 0 or 'auto'",
        ),
        (
            lambda z, l: softent.entropy(z, n_bins=0),
            ValueError,
            r"n_bins must be an int >= 1, got 0",
        ),
        (lambda z, l: softent.entropy(z, n_bins=2.5), ValueError, r"n_bins must be an int >= 1"),
        (
            lambda z, l: softent.entropy(z, metric="manhattan", **KW),
            ValueError,
            r"metric must be one of",
        ),
        (
            lambda z, l: softent.entropy(z, base=1, **KW),
            ValueError,
            r"base must be a number > 0 and != 1",
        ),
        (
            lambda z, l: softent.entropy(z, num_threads=0, **KW),
            ValueError,
            r"num_threads must be None or an int >= 1",
        ),
        (
            lambda z, l: softent.entropy(z, nonfinite="ignore", **KW),
            ValueError,
            r"nonfinite must be 'raise' or 'drop'",
        ),
        (
            lambda z, l: softent.information(z, l, weighting="mean", **KW),
            ValueError,
            r"weighting must be 'weighted' or 'uniform'",
        ),
        (
            lambda z, l: softent.entropy(z, seed=-1, **KW),
            TypeError,
            r"seed must be a non-negative int",
        ),
        (lambda z, l: softent.spherical_bins(0, 3), ValueError, r"n_bins must be an int >= 1"),
    ],
)
def test_bad_input_names_the_argument(data, call, exc, match):
    z, labels = data
    with pytest.raises(exc, match=r"^softent\.\w+: " + match):
        call(z, labels)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("metric", ["cosine", "euclidean", "sqeuclidean", "dot"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_non_finite_rows_are_refused_with_their_index(data, bad, metric, dtype):
    z, labels = data
    z = z.astype(dtype)
    z[200, 4] = bad
    z[230, 0] = bad
    with pytest.raises(
        ValueError, match=r"^softent\.information: z must be finite .*got NaN/Inf in row 200$"
    ):
        softent.information(
            z, labels, metric=metric, centres=np.ones((16, 9)) + np.eye(16, 9), temperature=0.5
        )


def test_non_finite_rows_can_be_dropped(data):
    z, labels = data
    bad = z.copy()
    bad[[3, 100], 2] = np.nan
    keep = np.ones(len(z), bool)
    keep[[3, 100]] = False
    got = softent.information(bad, labels, nonfinite="drop", **KW)
    ref = softent.information(z[keep], labels[keep], **KW)
    assert got.mutual_information == pytest.approx(ref.mutual_information, rel=1e-12)
    assert got.histogram.n_dropped == 2


def test_unaligned_buffer(data):
    z, _ = data
    raw = np.zeros(z.size * 8 + 1, np.uint8)
    unaligned = raw[1:].view(np.float64).reshape(z.shape)
    unaligned[...] = z
    assert not unaligned.flags.aligned
    assert softent.entropy(unaligned, **KW) == pytest.approx(softent.entropy(z, **KW), rel=1e-12)
