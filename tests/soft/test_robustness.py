"""Reliability: inputs and uses that once passed silently and now are refused or handled."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import softent

KW = {"n_bins": 16, "temperature": 0.2}


@pytest.fixture
def data():
    rng = np.random.default_rng(5)
    return rng.normal(size=(200, 6)), rng.integers(0, 3, 200)


@pytest.mark.parametrize(
    ("base", "kind", "match"),
    [
        ("2", TypeError, r"^softent\.entropy: base must be a number > 0 and != 1 .*, got '2'$"),
        (b"2", TypeError, r"base must be a number > 0 and != 1"),
        (
            0.5,
            ValueError,
            r"^softent\.entropy: base must be a number > 0 and != 1 .*> 1.*got 0\.5$",
        ),
        (1e-3, ValueError, r"base must be a number > 0 and != 1"),
    ],
)
def test_base_below_one_or_a_string_is_refused(data, base, kind, match):
    z, _ = data
    with pytest.raises(kind, match=match):
        softent.entropy(z, base=base, **KW)


def test_base_two_and_ten_still_accepted(data):
    z, _ = data
    h = softent.entropy(z, **KW)
    assert softent.entropy(z, base=2, **KW) == pytest.approx(h / np.log(2))
    assert softent.entropy(z, base=np.float32(10), **KW) == pytest.approx(h / np.log(10))


# ----------------------------------------------------------------------------- Accumulator


def test_merge_with_itself_is_refused(data):
    z, labels = data
    acc = softent.Accumulator(n_bins=16, dim=6, temperature=0.2).update(z, labels)
    before = acc.state_dict()
    with pytest.raises(
        ValueError,
        match=r"^softent\.Accumulator\.merge: other must be another Accumulator "
        r"\(merging a state with itself would count every row twice; merge acc\.copy\(\)",
    ):
        acc.merge(acc)
    assert acc.n_rows == 200
    np.testing.assert_array_equal(acc.state_dict()["total"], before["total"])
    # a copy is another state: merging it doubles every row on purpose
    assert acc.merge(acc.copy()).n_rows == 400


def test_update_from_threads_counts_every_row_once():
    n_threads, n_rows, chunk = 8, 5_000, 250
    rng = np.random.default_rng(3)
    zs = rng.normal(size=(n_threads, n_rows, 6))
    ys = rng.integers(0, 4, size=(n_threads, n_rows))

    def make():
        return softent.Accumulator(n_bins=16, dim=6, temperature=0.2, num_threads=1)

    serial = make()
    for t in range(n_threads):
        for i in range(0, n_rows, chunk):
            serial.update(zs[t, i : i + chunk], ys[t, i : i + chunk])

    shared = make()
    start = threading.Barrier(n_threads)

    def work(t):
        start.wait()
        for i in range(0, n_rows, chunk):
            shared.update(zs[t, i : i + chunk], ys[t, i : i + chunk])

    with ThreadPoolExecutor(n_threads) as pool:
        for f in [pool.submit(work, t) for t in range(n_threads)]:
            f.result()  # re-raises a thread's exception
    assert shared.n_rows == serial.n_rows == n_threads * n_rows
    np.testing.assert_array_equal(shared.counts(), serial.counts())
    a, b = shared.state_dict(), serial.state_dict()
    np.testing.assert_allclose(a["total"], b["total"], rtol=1e-12, atol=0)
    sa, sb = a["label_sets"], b["label_sets"]
    assert sa.keys() == sb.keys()
    for name in sa:
        np.testing.assert_array_equal(sa[name]["values"], sb[name]["values"])
        np.testing.assert_array_equal(sa[name]["counts"], sb[name]["counts"])
        np.testing.assert_allclose(sa[name]["hist"], sb[name]["hist"], rtol=1e-12, atol=0)


def test_copy_and_pickle_keep_working_with_the_lock(data):
    import copy
    import pickle

    z, labels = data
    acc = softent.Accumulator(n_bins=16, dim=6, temperature=0.2).update(z, labels)
    for other in (acc.copy(), copy.deepcopy(acc), pickle.loads(pickle.dumps(acc))):
        other.update(z, labels)  # independent: its own lock and state
        assert other.n_rows == 400
        np.testing.assert_allclose(other.state_dict()["total"], 2 * acc.state_dict()["total"])
    assert acc.n_rows == 200


# ----------------------------------------------------------------------------- torch views


@pytest.mark.parametrize(
    "make",
    [
        lambda torch: torch.randn(50, 4, dtype=torch.complex64).conj().imag,
        lambda torch: torch.randn(50, 4, dtype=torch.complex128).conj().imag.t(),
    ],
    ids=["conj-imag", "conj-imag-float64-transposed"],
)
def test_negative_view_tensors_are_read_as_their_values(make):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    t = make(torch)
    assert t.is_neg()
    assert softent.entropy(t, **KW) == softent.entropy(t.clone(), **KW)
    acc = softent.Accumulator(n_bins=16, dim=t.shape[1], temperature=0.2)
    ref = softent.Accumulator(n_bins=16, dim=t.shape[1], temperature=0.2)
    np.testing.assert_array_equal(
        acc.update(t).state_dict()["total"], ref.update(t.clone()).state_dict()["total"]
    )


def test_negative_view_tensor_differentiable():
    torch = pytest.importorskip("torch")
    import softent.torch as st

    torch.manual_seed(0)
    x = torch.randn(50, 4, dtype=torch.complex128, requires_grad=True)
    h = st.entropy(x.conj().imag, **KW)
    (g_view,) = torch.autograd.grad(h, x)
    h_ref = st.entropy(x.conj().imag.clone(), **KW)
    (g_ref,) = torch.autograd.grad(h_ref, x)
    assert h.item() == h_ref.item()
    torch.testing.assert_close(g_view, g_ref)


@pytest.mark.parametrize("fn", ["information", "mutual_information", "conditional_entropy"])
def test_torch_all_masked_labels_with_n_labels_refused_like_numpy(data, fn):
    torch = pytest.importorskip("torch")
    import softent.torch as st

    z, _ = data
    masked = np.full(len(z), -1)
    with pytest.raises(ValueError, match=r"ignore_index must be a value that leaves") as np_err:
        getattr(softent, fn)(z, masked, ignore_index=-1, **KW)
    for n_labels in (None, 3):
        extra = (
            {"ignore_index": -1} if n_labels is None else {"n_labels": n_labels, "ignore_index": -1}
        )
        with pytest.raises(ValueError, match=r"which masks all") as err:
            getattr(st, fn)(torch.as_tensor(z), torch.as_tensor(masked), **KW, **extra)
        assert str(err.value) == str(np_err.value).replace("softent.", "softent.torch.", 1)


# ----------------------------------------------------------------------------- masses


@pytest.mark.parametrize(
    ("args", "arg", "got"),
    [
        ((np.array([1.0, -0.5, 2.0]),), "total", r"negative values \(min -0\.5\)"),
        ((np.array([1.0, np.nan, 2.0]),), "total", r"1 NaN/Inf values"),
        (
            (np.ones(3), np.array([[1.0, 1.0, 1.0], [0.0, -1.0, 0.0]]), np.array([3.0, 1.0])),
            "per_label",
            r"negative values \(min -1\)",
        ),
        (
            (np.ones(3), np.ones((2, 3)), np.array([3.0, np.inf])),
            "counts",
            r"1 NaN/Inf values",
        ),
        (
            (np.ones(3), np.ones((2, 3)), np.array([3.0, -1.0])),
            "counts",
            r"negative values \(min -1\)",
        ),
    ],
)
def test_measures_from_masses_refuses_invalid_masses(args, arg, got):
    with pytest.raises(
        ValueError,
        match=rf"^softent\.measures_from_masses: {arg} must be finite masses >= 0, got {got}$",
    ):
        softent.measures_from_masses(*args)


def test_measures_from_masses_accepts_zero_masses():
    out = softent.measures_from_masses(
        np.array([0.0, 2.0, 2.0]),
        np.array([[0.0, 2.0, 0.0], [0.0, 0.0, 2.0]]),
        np.array([2.0, 2.0]),
    )
    assert out["mutual_information"] == pytest.approx(np.log(2))


# ----------------------------------------------------------------------------- state files


@pytest.fixture
def saved_state(data):
    z, labels = data
    acc = softent.Accumulator(n_bins=16, dim=6, temperature=0.2, bootstrap=2).update(z, labels)
    return acc.state_dict()


def _with_set(state, **changes):
    name = next(iter(state["label_sets"]))
    return {**state, "label_sets": {name: {**state["label_sets"][name], **changes}}}


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (
            lambda s: {**s, "total": -s["total"]},
            (
                r"state\['total'\] must be a finite float64 array of shape \(16,\) of masses >= 0, "
                r"got negative values"
            ),
        ),
        (
            lambda s: {**s, "total_replicates": np.full_like(s["total_replicates"], np.inf)},
            (
                r"state\['total_replicates'\] must be a finite float64 array .* of masses >= 0, "
                r"got 32 NaN/Inf values"
            ),
        ),
        (
            lambda s: _with_set(s, hist=-s["label_sets"]["labels"]["hist"]),
            (
                r"state\['label_sets'\]\['labels'\]\['hist'\] must be a finite hist .* of masses "
                r">= 0, got negative values"
            ),
        ),
        (
            lambda s: _with_set(s, hist=np.full_like(s["label_sets"]["labels"]["hist"], np.nan)),
            r"\['hist'\] must be a finite hist .* got 48 NaN/Inf values",
        ),
        (
            lambda s: _with_set(
                s, hist_replicates=-s["label_sets"]["labels"]["hist_replicates"] - 1
            ),
            r"\['hist_replicates'\] must be a finite float64 array .* of masses >= 0, got negative",
        ),
        (
            lambda s: _with_set(s, counts=np.array([5, -1, 3])),
            (
                r"state\['label_sets'\]\['labels'\]\['counts'\] must be finite row counts >= 0, "
                r"got negative values \(min -1\)"
            ),
        ),
        (
            lambda s: _with_set(s, counts=np.array([5.0, np.nan, 3.0])),
            r"\['counts'\] must be finite row counts >= 0, got 1 NaN/Inf values",
        ),
        (
            lambda s: _with_set(s, counts=np.array([5.5, 1.0, 3.0])),
            r"\['counts'\] must be whole row counts, got fractional values",
        ),
    ],
)
def test_states_with_invalid_masses_are_refused(saved_state, edit, match):
    bad = edit(saved_state)
    with pytest.raises(ValueError, match=r"^softent\.Accumulator\.from_state_dict: .*" + match):
        softent.Accumulator.from_state_dict(bad)
    acc = softent.Accumulator(n_bins=16, dim=6, temperature=0.2)
    before = acc.state_dict()
    with pytest.raises(ValueError, match=r"^softent\.Accumulator\.load_state_dict: .*" + match):
        acc.load_state_dict(bad)
    assert acc.n_rows == 0
    assert acc.bootstrap == before["bootstrap"]


def test_state_file_with_negative_masses_is_refused(data, tmp_path):
    z, labels = data
    path = tmp_path / "acc.npz"
    softent.Accumulator(n_bins=16, dim=6, temperature=0.2).update(z, labels).save(path)
    with np.load(path, allow_pickle=False) as f:
        members = dict(f)
    members["set0_hist"] = members["set0_hist"] - 5.0  # MI would come out negative
    np.savez(tmp_path / "bad.npz", **members)
    with pytest.raises(ValueError, match=r"\['hist'\] must be .* of masses >= 0, got negative"):
        softent.Accumulator.load(tmp_path / "bad.npz")


# ----------------------------------------------------------------------------- devices


@pytest.mark.skipif(softent.build_info()["cuda"], reason="this build has CUDA support")
@pytest.mark.parametrize("device", ["cuda:0", "cuda", 0, 1])
def test_to_cuda_on_a_cpu_only_build_is_refused(data, device):
    z, labels = data
    acc = softent.Accumulator(n_bins=16, dim=6, temperature=0.2).update(z, labels)
    with pytest.raises(
        RuntimeError,
        match=r"^softent\.Accumulator\.to: device must be 'cpu' or -1 \(this softent build has "
        rf"no CUDA support\), got {re.escape(repr(device))}$",
    ):
        acc.to(device)
    assert acc.device == "cpu"
    assert acc.update(z, labels).n_rows == 400  # still usable where it was


def _torch_sees_cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


@pytest.mark.skipif(
    not softent.build_info()["cuda"] or _torch_sees_cuda(),
    reason="needs a CUDA build on a machine where torch sees no CUDA device",
)
@pytest.mark.parametrize("device", ["cuda:0", "cuda", 0])
def test_to_cuda_where_torch_sees_no_device_is_refused(data, device):
    pytest.importorskip("torch")
    z, labels = data
    acc = softent.Accumulator(n_bins=16, dim=6, temperature=0.2).update(z, labels)
    with pytest.raises(
        RuntimeError,
        match=r"^softent\.Accumulator\.to: device must be 'cpu' or -1 \(torch sees no CUDA "
        rf"device: torch\.cuda\.is_available\(\) is False\), got {re.escape(repr(device))}$",
    ):
        acc.to(device)
    assert acc.device == "cpu"
    assert acc.update(z, labels).n_rows == 400


@pytest.mark.parametrize("device", ["cpu", -1])
def test_to_cpu_is_accepted(data, device):
    z, labels = data
    acc = softent.Accumulator(n_bins=16, dim=6, temperature=0.2).update(z, labels)
    assert acc.to(device).device == "cpu"


# ----------------------------------------------------------------------------- bootstrap report


@pytest.mark.filterwarnings("ignore:softent.report. masking:UserWarning")
@pytest.mark.filterwarnings("ignore:softent.Accumulator.update. masking:UserWarning")
@pytest.mark.parametrize("source", ["array", "accumulator"])
def test_bootstrap_report_of_a_label_set_with_few_labelled_rows_works(source):
    # with 2 labelled rows, some replicates draw weight 0 for both: they were refused with
    # "counts must be positive" (an argument the caller never passed); they are undefined
    # for that label set and left out of its intervals
    rng = np.random.default_rng(0)
    z = rng.standard_normal((200, 4))
    y = np.full(200, -1)  # -1: masked below (ignore_index)
    y[:2] = [0, 1]
    kw = {"n_bins": 8, "temperature": 0.2}
    point = softent.report(z, {"y": y}, ignore_index=-1, **kw).rows[0]
    # percentile intervals: they stay inside the range of the statistic (basic ones need not)
    if source == "array":
        got = softent.report(
            z, {"y": y}, ignore_index=-1, bootstrap=60, interval="percentile", **kw
        ).rows[0]
    else:
        acc = softent.Accumulator(dim=4, label_sets="y", bootstrap=60, **kw)
        acc.update(z, {"y": y}, ignore_index=-1)
        got = softent.report(acc, interval="percentile").rows[0]
    assert got["entropy"] == pytest.approx(point["entropy"], rel=1e-12)
    assert got["mutual_information"] == pytest.approx(point["mutual_information"], rel=1e-12)
    lo, hi = got["entropy_ci"]
    assert np.isfinite([lo, hi]).all()
    assert 0 <= lo <= hi <= np.log(8)
