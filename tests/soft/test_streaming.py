"""softent.Accumulator: streaming equals the batch API on the concatenated data; merges,
label vocabularies that grow, internal dimensions, persistence, bad input. The kernel tests
(streaming and merging equal the batch result, the state stays where the data is) run on
every device (``device`` fixture: NumPy on "cpu", CUDA tensors on "cuda")."""

from __future__ import annotations

import io
import itertools
import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import warnings
import zipfile

import numpy as np
import pytest
import softent
from cases import METRICS, TEMPERATURES, cuda_bytes_held, host, put
from softent.soft.accumulator import Accumulator


def chunks(n: int, rng: np.random.Generator, max_size: int = 97) -> list[slice]:
    """Random chunk boundaries covering 0..n, with empty and one-row chunks mixed in."""
    out, i = [], 0
    while i < n:
        k = int(rng.choice([0, 1, 1, 2, rng.integers(3, max_size)]))
        out.append(slice(i, min(n, i + k)))
        i += k
    out.insert(len(out) // 2, slice(i, i))  # an empty chunk in the middle for sure
    return out


def stream(acc: Accumulator, z, labels, rng, max_size: int = 97) -> Accumulator:
    for s in chunks(len(z), rng, max_size):
        if isinstance(labels, dict):
            acc.update(z[s], {k: v[s] for k, v in labels.items()})
        else:
            acc.update(z[s], None if labels is None else labels[s])
    return acc


def assert_close(a, b, rtol):
    np.testing.assert_allclose(
        np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64), rtol=rtol, atol=0
    )


# ----------------------------------------------------------------------------- equality with the batch API


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize(("dtype", "rtol"), [(np.float64, 1e-12), (np.float32, 1e-6)])
def test_random_chunks_equal_the_batch_result(clustered, metric, dtype, rtol, device):
    z, labels, centres = clustered
    z = z.astype(dtype)
    labels = labels.copy()
    labels[::11] = -1  # masked rows
    t = TEMPERATURES[metric]
    acc = stream(
        Accumulator(centres, metric=metric, temperature=t),
        put(z, device),
        put(labels, device),
        np.random.default_rng(1),
    )
    ref = softent.information(z, labels, centres=centres, metric=metric, temperature=t)
    assert acc.n_rows == len(z)
    assert_close(acc.mutual_information(), ref.mutual_information, rtol)
    assert_close(acc.conditional_entropy(), ref.conditional_entropy, rtol)
    assert_close(acc.entropy("labels"), ref.entropy, rtol)
    assert_close(acc.label_entropies(), ref.label_entropies, rtol)
    np.testing.assert_array_equal(acc.label_values(), ref.label_values)
    np.testing.assert_array_equal(acc.counts(), ref.counts)
    # entropy() without a label set: every row, masked ones included
    assert_close(
        acc.entropy(), softent.entropy(z, centres=centres, metric=metric, temperature=t), rtol
    )
    for w in ("weighted", "uniform"):
        r = softent.information(
            z, labels, centres=centres, metric=metric, temperature=t, weighting=w, base=2
        )
        assert_close(acc.mutual_information(weighting=w, base=2), r.mutual_information, rtol)
    info = acc.information()
    assert isinstance(info, softent.Information)
    assert_close(info.mutual_information, ref.mutual_information, rtol)


def test_one_row_chunks_equal_the_batch_result(clustered):
    z, labels, centres = clustered
    acc = Accumulator(centres, temperature=0.1)
    for i in range(len(z)):
        acc.update(z[i : i + 1], labels[i : i + 1])
    ref = softent.information(z, labels, centres=centres, temperature=0.1)
    assert_close(acc.mutual_information(), ref.mutual_information, 1e-12)
    assert_close(acc.entropy(), ref.entropy, 1e-12)
    h = acc.result()
    assert isinstance(h, softent.SoftHistogram)
    assert_close(h.per_label, ref.histogram.per_label, 1e-12)
    assert h.n_rows == ref.histogram.n_rows


def test_torch_tensors_equal_numpy(clustered):
    torch = pytest.importorskip("torch")
    z, labels, centres = clustered
    zt, lt = torch.from_numpy(z.astype(np.float32)), torch.from_numpy(labels)
    a = stream(
        Accumulator(centres, temperature=0.1), zt.requires_grad_(), lt, np.random.default_rng(2)
    )
    b = stream(
        Accumulator(centres, temperature=0.1),
        z.astype(np.float32),
        labels,
        np.random.default_rng(3),
    )
    assert a.device == "cpu"
    assert_close(a.mutual_information(), b.mutual_information(), 1e-6)
    assert_close(a.entropy(), b.entropy(), 1e-6)


def test_several_label_sets_in_one_pass_equal_separate_batch_calls(clustered):
    z, labels, centres = clustered
    rng = np.random.default_rng(4)
    sets = {
        "token": rng.integers(0, 300, len(z)),  # many values, most new in each chunk
        "pos": np.where(rng.random(len(z)) < 0.3, -1, labels % 3),  # 30 % masked
        "word": np.array([f"w{v}" for v in labels]),  # strings
    }
    acc = stream(Accumulator(centres, temperature=0.1), z, sets, rng)
    assert acc.label_sets == ("token", "pos", "word")
    for name, lab in sets.items():
        ref = softent.information(z, lab, centres=centres, temperature=0.1)
        assert_close(acc.mutual_information(name), ref.mutual_information, 1e-12)
        assert_close(acc.entropy(name), ref.entropy, 1e-12)
        np.testing.assert_array_equal(acc.label_values(name), ref.label_values)
        np.testing.assert_array_equal(acc.counts(name), ref.counts)
    with pytest.raises(ValueError, match=r"label_set must be one of \['token', 'pos', 'word'\]"):
        acc.mutual_information()


def test_new_label_values_and_new_label_sets_at_any_batch(clustered):
    z, labels, centres = clustered
    n = len(z)
    acc = Accumulator(centres, temperature=0.1)
    acc.update(z[:300], {"a": labels[:300] % 2})  # only values 0, 1
    acc.update(
        z[300:600], {"a": labels[300:600], "b": labels[300:600] + 100}
    )  # new values, a new set
    acc.update(z[600:])  # no labels: masked for both sets
    a = np.concatenate([labels[:300] % 2, labels[300:600], np.full(n - 600, -1)])
    b = np.concatenate([np.full(300, -1), labels[300:600] + 100, np.full(n - 600, -1)])
    for name, lab in (("a", a), ("b", b)):
        with warnings.catch_warnings():  # "b" masks 70 % of the rows: a warning, on purpose
            warnings.simplefilter("ignore", UserWarning)
            ref = softent.information(z, lab, centres=centres, temperature=0.1, ignore_index=-1)
        assert_close(acc.mutual_information(name), ref.mutual_information, 1e-12)
        np.testing.assert_array_equal(acc.label_values(name), ref.label_values)
    assert_close(acc.entropy(), softent.entropy(z, centres=centres, temperature=0.1), 1e-12)


def test_internal_dimensions_are_accumulated_separately_in_one_call(clustered):
    z, labels, centres = clustered
    rng = np.random.default_rng(5)
    _n, _d = z.shape
    zl = np.stack(
        [z, z * 0.5 + rng.normal(0, 1, z.shape), rng.normal(0, 1, z.shape)], axis=1
    )  # [N, 3, D]
    zl = np.stack([zl, zl[:, ::-1]], axis=2)  # [N, 3, 2, D], non-contiguous along the way
    lab = labels.copy()
    lab[::5] = -1  # an ordinary class, in the accumulator as in the batch API
    acc = stream(Accumulator(centres, temperature=0.1), zl, {"y": lab}, rng)
    assert acc.internal_shape == (3, 2)
    mi, h = acc.mutual_information("y"), acc.entropy()
    assert mi.shape == (3, 2)
    assert h.shape == (3, 2)
    assert acc.label_entropies("y").shape == (3, 2, 7)
    for i, j in itertools.product(range(3), range(2)):
        ref = softent.information(zl[:, i, j], lab, centres=centres, temperature=0.1)
        assert_close(mi[i, j], ref.mutual_information, 1e-12)
        assert_close(h[i, j], softent.entropy(zl[:, i, j], centres=centres, temperature=0.1), 1e-12)
        assert_close(acc.result("y", index=(i, j)).per_label, ref.histogram.per_label, 1e-12)
    with pytest.raises(
        ValueError, match=r"index must be an index into the internal shape \(3, 2\)"
    ):
        acc.result("y")
    with pytest.raises(ValueError, match=r"internal shape I=\(3, 2\) as before"):
        acc.update(zl[:, 0])


def test_internal_dimensions_name_the_bad_row(clustered):
    z, _, centres = clustered
    zl = np.stack([z, z], axis=1)[:40].copy()
    zl[17, 1, 3] = np.nan
    acc = Accumulator(centres, temperature=0.1)
    with pytest.raises(ValueError, match=r"NaN/Inf in row 17 \(internal index \(1,\)\)"):
        acc.update(zl)
    assert acc.n_rows == 0
    assert acc.internal_shape is None  # a failed first batch fixes nothing
    acc.update(z[:3])
    assert acc.internal_shape == ()


# ----------------------------------------------------------------------------- construction


def test_bins_spec_is_the_batch_default(clustered):
    z, labels, _ = clustered
    acc = Accumulator(n_bins=50, dim=z.shape[1], seed=3)
    stream(acc, z, labels, np.random.default_rng(6))
    assert_close(acc.entropy(), softent.entropy(z, n_bins=50, seed=3), 1e-12)
    assert_close(
        acc.mutual_information(), softent.mutual_information(z, labels, n_bins=50, seed=3), 1e-12
    )
    np.testing.assert_array_equal(acc.centres, softent.spherical_bins(50, z.shape[1], 3))
    assert acc.temperature == softent.soft_histogram(z[:5], n_bins=50, seed=3).temperature


def test_euclidean_needs_centres_or_a_box(clustered):
    z, labels, _ = clustered
    with pytest.raises(
        ValueError,
        match=r"softent.Accumulator: centres must be given, or box=\(lo, hi\), "
        r"for metric='euclidean'",
    ):
        Accumulator(n_bins=20, dim=z.shape[1], metric="euclidean")
    acc = Accumulator(n_bins=20, box=(z.min(0), z.max(0)), metric="euclidean", seed=4)
    np.testing.assert_array_equal(acc.centres, softent.box_bins(z, 20, 4))
    stream(acc, z, labels, np.random.default_rng(7))
    ref = softent.information(
        z, labels, n_bins=20, metric="euclidean", seed=4
    )  # box_bins(z) default
    assert_close(acc.mutual_information(), ref.mutual_information, 1e-12)
    scalar_box = Accumulator(n_bins=7, box=(-1.0, 2.0), dim=3, metric="sqeuclidean")
    assert scalar_box.centres.shape == (7, 3)
    assert scalar_box.centres.min() >= -1
    assert scalar_box.centres.max() <= 2


def test_construction_errors():
    with pytest.raises(ValueError, match=r"softent.Accumulator: dim must be an int >= 1"):
        Accumulator(n_bins=10)
    with pytest.raises(ValueError, match=r"softent.Accumulator: metric must be one of"):
        Accumulator(n_bins=10, dim=4, metric="manhattan")
    with pytest.raises(
        ValueError, match=r"softent.Accumulator: temperature must be finite and > 0"
    ):
        Accumulator(n_bins=10, dim=4, temperature=-1.0)
    with pytest.raises(ValueError, match=r"label_sets must be a name or a sequence of distinct"):
        Accumulator(n_bins=10, dim=4, label_sets=["a", "a"])
    bins = softent.soft_histogram(np.ones((3, 4)), n_bins=5).bins
    assert Accumulator(bins).fingerprint == bins.fingerprint()
    with pytest.raises(ValueError, match=r"metric must be the Bins' metric 'cosine'"):
        Accumulator(bins, metric="dot")


# ----------------------------------------------------------------------------- merge


def test_merge_equals_the_batch_result_in_any_order(clustered, device):
    z, labels, centres = clustered
    cuts = [0, 100, 101, 450, 700, len(z)]
    strings = np.array([f"s{v % 4}" for v in labels])  # strings stay NumPy on any device
    parts = []
    for a, b in itertools.pairwise(cuts):
        acc = Accumulator(centres, temperature=0.1)
        acc.update(
            put(z[a:b], device),
            {"y": put(labels[a:b] + 10 * (a // 300), device), "s": strings[a:b]},
        )  # vocabularies differ
        parts.append(acc)
    results = []
    for order in [(0, 1, 2, 3, 4), (4, 3, 2, 1, 0), (2, 0, 4, 1, 3)]:
        merged = Accumulator(centres, temperature=0.1)
        for i in order:
            merged.merge(parts[i])
        results.append(merged)
    tree = (
        parts[0]
        .copy()
        .merge(parts[1].copy().merge(parts[2]))
        .merge(parts[3].copy().merge(parts[4]))
    )
    results.append(tree)
    y = np.concatenate([labels[a:b] + 10 * (a // 300) for a, b in itertools.pairwise(cuts)])
    ref = softent.information(z, y, centres=centres, temperature=0.1)
    ref_s = softent.information(z, strings, centres=centres, temperature=0.1)
    for r in results:
        assert r.n_rows == len(z)
        assert r.device == parts[0].device
        np.testing.assert_array_equal(host(r.label_values("y")), ref.label_values)
        np.testing.assert_array_equal(host(r.counts("s")), ref_s.counts)
        assert_close(host(r.mutual_information("y")), ref.mutual_information, 1e-12)
        assert_close(host(r.mutual_information("s")), ref_s.mutual_information, 1e-12)
        assert_close(host(r.entropy()), softent.entropy(z, centres=centres, temperature=0.1), 1e-12)
        assert_close(
            r.state_dict()["label_sets"]["y"]["hist"],
            results[0].state_dict()["label_sets"]["y"]["hist"],
            1e-13,
        )
    assert parts[0].n_rows == 100  # merge leaves its argument alone


@pytest.mark.parametrize(
    ("other", "what"),
    [
        ({"temperature": 0.2}, "different temperature"),
        ({"metric": "dot"}, "different metric"),
        ({"shift": 1e-12}, "different centres"),
        ({"rows": 5}, "different centres shape"),
    ],
)
def test_merge_refuses_different_bins(clustered, other, what):
    z, _, centres = clustered
    acc = Accumulator(centres, temperature=0.1).update(z[:10])
    c2 = centres.copy()
    if "shift" in other:
        c2[0, 0] += other["shift"]
    if "rows" in other:
        c2 = c2[: other["rows"]]
    b = Accumulator(
        c2, temperature=other.get("temperature", 0.1), metric=other.get("metric", "cosine")
    )
    b.update(z[10:20])
    with pytest.raises(
        ValueError,
        match=rf"softent.Accumulator.merge: other must be built on identical bins .*{what}",
    ):
        acc.merge(b)
    assert acc.n_rows == 10


def test_merge_refuses_other_internal_shapes_and_label_kinds(clustered):
    z, labels, centres = clustered
    a = Accumulator(centres, temperature=0.1).update(z[:10], labels[:10])
    b = Accumulator(centres, temperature=0.1).update(np.stack([z[:10], z[:10]], axis=1))
    with pytest.raises(ValueError, match=r"other must be of internal shape \(\)"):
        a.merge(b)
    c = Accumulator(centres, temperature=0.1).update(z[:10], [str(v) for v in labels[:10]])
    before = a.state_dict()
    with pytest.raises(
        TypeError, match=r"other\['labels'\] must be integers like the earlier values"
    ):
        a.merge(c)
    np.testing.assert_array_equal(a.state_dict()["total"], before["total"])


# ----------------------------------------------------------------------------- update: input handling


def test_empty_chunks_are_no_ops(clustered):
    z, labels, centres = clustered
    acc = Accumulator(centres, temperature=0.1)
    acc.update(z[:0], labels[:0])
    acc.update(np.empty((0, z.shape[1]), np.float32), {"x": np.empty(0, np.int64)})
    assert acc.n_rows == 0
    assert acc.device is None
    with pytest.raises(ValueError, match=r"the accumulator must be non-empty"):
        acc.entropy()
    with pytest.raises(ValueError, match=r"z must be \[N, D\] or \[N, \*internal, D\] with D=12"):
        acc.update(np.empty((0, 5)))
    with pytest.raises(TypeError, match=r"z must be a floating-point array"):
        acc.update(np.empty((0, 12), np.int64))


def test_nonfinite_rows_raise_and_leave_the_state_unchanged(clustered):
    z, labels, centres = clustered
    acc = Accumulator(centres, temperature=0.1).update(z[:100], labels[:100])
    before = acc.state_dict()
    bad = z[100:200].copy()
    bad[37, 2] = np.inf
    with pytest.raises(
        ValueError,
        match=r"Accumulator.update: z must be finite \(or pass nonfinite='drop'\), got NaN/Inf in row 37",
    ):
        acc.update(bad, labels[100:200] + 50)  # new label values must not be registered either
    after = acc.state_dict()
    np.testing.assert_array_equal(after["total"], before["total"])
    np.testing.assert_array_equal(
        after["label_sets"]["labels"]["values"], before["label_sets"]["labels"]["values"]
    )
    assert acc.n_rows == 100
    acc.update(bad, labels[100:200], nonfinite="drop")
    assert acc.n_rows == 199
    assert acc.n_dropped == 1
    keep = np.ones(200, bool)
    keep[137] = False
    zz = np.concatenate([z[:100], bad])[keep]
    ref = softent.information(zz, labels[:200][keep], centres=centres, temperature=0.1)
    assert_close(acc.mutual_information(), ref.mutual_information, 1e-12)


def test_label_errors(clustered):
    z, labels, centres = clustered
    acc = Accumulator(centres, temperature=0.1)
    with pytest.raises(
        ValueError,
        match=r"labels\['labels'\] must be a 1-D array with one label per row of z \(length N=10\)",
    ):
        acc.update(z[:10], labels[:9])
    acc.update(z[:10], labels[:10])
    before = acc.state_dict()
    with pytest.raises(
        TypeError,
        match=r"labels\['labels'\] must be integers like the earlier values of label set 'labels', got strings",
    ):
        acc.update(z[10:20], np.array(["a"] * 10))
    np.testing.assert_array_equal(acc.state_dict()["total"], before["total"])
    with pytest.raises(TypeError, match=r"must be integers or strings, got dtype float64"):
        acc.update(z[10:20], np.ones(10))
    acc.update(z[10:20], {"other": labels[10:20]})
    with pytest.raises(ValueError, match=r"labels must be a dict \{name: \[N\] labels\}"):
        acc.update(z[20:30], labels[20:30])
    declared = Accumulator(centres, temperature=0.1, label_sets=["y"])
    declared.update(z[:10], labels[:10])  # one array -> the one declared set
    with pytest.raises(
        ValueError, match=r"labels must be keyed by the declared label sets \['y'\], got 'z'"
    ):
        declared.update(z[:10], {"z": labels[:10]})
    all_masked = Accumulator(centres, temperature=0.1).update(
        z[:10], np.full(10, -1), ignore_index=-1
    )
    assert all_masked.label_sets == ("labels",)
    with pytest.raises(
        ValueError, match=r"label_set must be a label set with at least one labelled row"
    ):
        all_masked.mutual_information()


def test_update_from_with_and_without_a_progress_bar(clustered, capsys):
    z, labels, centres = clustered
    batches = [(z[i : i + 100], labels[i : i + 100]) for i in range(0, len(z), 100)]
    a = Accumulator(centres, temperature=0.1).update_from(iter(batches), progress=False)
    assert capsys.readouterr().err == ""
    ref = softent.information(z, labels, centres=centres, temperature=0.1)
    assert_close(a.mutual_information(), ref.mutual_information, 1e-12)
    b = Accumulator(centres, temperature=0.1).update_from(
        [x for x, _ in batches]
    )  # stderr is not a TTY here
    assert b.n_rows == len(z)
    assert capsys.readouterr().err == ""
    try:
        import tqdm  # noqa: F401
    except ImportError:
        with pytest.raises(
            RuntimeError, match=r"progress must be False or None when tqdm is not installed"
        ):
            Accumulator(centres, temperature=0.1).update_from(batches, progress=True)
    else:
        Accumulator(centres, temperature=0.1).update_from(batches, progress=True, total=len(z))
        err = capsys.readouterr().err
        assert "1.01krows" in err or "1013/1013" in err or "rows" in err


# ----------------------------------------------------------------------------- persistence


def test_state_dict_and_file_round_trips_are_exact(clustered, tmp_path):
    z, labels, centres = clustered
    acc = Accumulator(centres, temperature=0.1, label_sets=["y", "w", "unused"])
    acc.update(z, {"y": labels, "w": np.array([f"w{v}" for v in labels])})
    acc.update(np.full((2, 12), np.nan), nonfinite="drop")
    path = tmp_path / "state.softent"
    acc.save(path)
    assert list(tmp_path.iterdir()) == [path]  # no temporary left behind
    loaded = Accumulator.load(path, like=acc)
    for other in (loaded, Accumulator(centres, temperature=0.1).load_state_dict(acc.state_dict())):
        a, b = acc.state_dict(), other.state_dict()
        assert a.keys() == b.keys()
        for key in (
            "fingerprint",
            "metric",
            "temperature",
            "internal_shape",
            "n_rows",
            "n_dropped",
            "declared_label_sets",
        ):
            assert a[key] == b[key], key
        np.testing.assert_array_equal(a["total"], b["total"])
        for name in a["label_sets"]:
            for key in ("values", "hist", "counts"):
                np.testing.assert_array_equal(
                    a["label_sets"][name][key], b["label_sets"][name][key]
                )
        assert other.mutual_information("y") == acc.mutual_information("y")
        assert other.entropy() == acc.entropy()
    # the loaded accumulator streams on
    loaded.update(z[:5], {"y": labels[:5]})
    assert loaded.n_rows == acc.n_rows + 5
    # readable without softent, no pickle
    with np.load(path, allow_pickle=False) as f:
        header = json.loads(f["header"].tobytes())
        assert header["format"] == "softent.Accumulator"
        assert header["version"] == 2
        assert [s["name"] for s in header["label_sets"]] == ["y", "w", "unused"]


def test_an_empty_accumulator_round_trips(tmp_path):
    acc = Accumulator(n_bins=4, dim=3, label_sets=["a"])
    acc.save(tmp_path / "e")
    back = Accumulator.load(tmp_path / "e")
    assert back.n_rows == 0
    assert back.label_sets == ("a",)
    assert back.internal_shape is None
    back.update(np.ones((2, 3)), np.array([1, 2]))
    assert back.counts("a").tolist() == [1, 1]


def test_files_for_other_bins_versions_or_formats_are_refused(clustered, tmp_path):
    z, labels, centres = clustered
    acc = Accumulator(centres, temperature=0.1).update(z, labels)
    acc.save(tmp_path / "a.npz")
    other = Accumulator(centres, temperature=0.2)
    with pytest.raises(
        ValueError,
        match=r"Accumulator.load: path must be written for identical bins .*different temperature",
    ):
        Accumulator.load(tmp_path / "a.npz", like=other)
    with pytest.raises(ValueError, match=r"load_state_dict: state must be built on identical bins"):
        other.load_state_dict(acc.state_dict())
    # a newer format version: the saved file with its JSON header's version raised by one
    state = acc.state_dict()
    with np.load(tmp_path / "a.npz", allow_pickle=False) as f:
        header = json.loads(f["header"].tobytes())
    assert header["version"] == state["version"] == 2
    header["version"] = 4  # the newest version this softent reads is 3 (permutations)
    with (
        zipfile.ZipFile(tmp_path / "a.npz") as src,
        zipfile.ZipFile(tmp_path / "v2.npz", "w") as dst,
    ):
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "header.npy":
                buf = io.BytesIO()
                np.save(buf, np.frombuffer(json.dumps(header).encode(), np.uint8))
                data = buf.getvalue()
            dst.writestr(item, data)
    with pytest.raises(
        ValueError,
        match=r"state must be of format version <= 3 .* got .*version 4 \(written by a newer softent\)",
    ):
        Accumulator.load(tmp_path / "v2.npz")
    # not an accumulator file at all
    np.savez(tmp_path / "x.npz", a=np.zeros(3))
    with pytest.raises(
        ValueError, match=r"path must be a softent.Accumulator file .* \(no header\)"
    ):
        Accumulator.load(tmp_path / "x.npz")
    (tmp_path / "junk").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=r"path must be a softent.Accumulator file"):
        Accumulator.load(tmp_path / "junk")
    with pytest.raises(FileNotFoundError, match=r"path must be an existing file"):
        Accumulator.load(tmp_path / "missing")
    # a state whose fingerprint does not match its centres
    state["centres"] = state["centres"] * 2
    with pytest.raises(
        ValueError, match=r"state\['fingerprint'\] must be the fingerprint of its centres"
    ):
        Accumulator.from_state_dict(state)


def test_a_kill_between_write_and_rename_leaves_the_old_file(clustered, tmp_path, monkeypatch):
    z, labels, centres = clustered
    path = tmp_path / "acc.npz"
    old = Accumulator(centres, temperature=0.1).update(z[:500], labels[:500])
    old.save(path)
    old_bytes = path.read_bytes()
    np.save(tmp_path / "z.npy", z)
    np.save(tmp_path / "labels.npy", labels)
    np.save(tmp_path / "centres.npy", centres)
    # A fresh process streams everything, then is SIGKILLed after the temporary file is
    # written and fsync'ed, just before the rename.
    script = textwrap.dedent(f"""
        import os, signal
        import numpy as np
        from softent import Accumulator
        d = {str(tmp_path)!r}
        z, labels, c = (np.load(os.path.join(d, f)) for f in ("z.npy", "labels.npy", "centres.npy"))
        acc = Accumulator(c, temperature=0.1).update(z, labels)
        os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)  # the rename
        acc.save(os.path.join(d, "acc.npz"))
        print("not killed")
    """)
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".acc.npz.")]
    assert len(leftovers) == 1  # the torn write is a separate temporary file
    assert path.read_bytes() == old_bytes
    back = Accumulator.load(path, like=old)
    assert back.n_rows == 500
    assert back.mutual_information() == old.mutual_information()
    # and a save that fails for any other reason cleans up after itself
    new = Accumulator(centres, temperature=0.1).update(z, labels)

    def boom(*args):
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", boom)  # the rename over the old file fails
        with pytest.raises(OSError, match="disk full"):
            new.save(path)
    # the next save removed the killed save's temporary file, and its own failed one
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".acc.npz.")) == []
    assert path.read_bytes() == old_bytes
    new.save(path)
    assert Accumulator.load(path).n_rows == len(z)


def test_the_progress_bar_is_a_no_op_unless_wanted_on_a_terminal(clustered, capsys, monkeypatch):
    tqdm = pytest.importorskip("tqdm")
    z, labels, centres = clustered
    batches = [(z[i : i + 100], labels[i : i + 100]) for i in range(0, len(z), 100)]

    def no_bar(*args, **kwargs):
        raise AssertionError("a tqdm bar was made")

    with monkeypatch.context() as patch:
        patch.setattr(tqdm, "tqdm", no_bar)
        for enabled in (False, None):  # None: stderr is not a terminal under pytest
            acc = Accumulator(centres, temperature=0.1)
            acc.update_from(batches, progress=enabled, total=len(z))
            acc.update_from(iter([z[:5]]), progress=enabled)  # no total
            assert acc.n_rows == len(z) + 5
    assert capsys.readouterr().err == ""
    # None on a terminal: a bar counting the rows
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    Accumulator(centres, temperature=0.1).update_from(batches, progress=None, total=len(z))
    err = capsys.readouterr().err
    assert "100%" in err
    assert "rows/s" in err


def test_reset_copy_and_repr(clustered):
    z, labels, centres = clustered
    acc = Accumulator(centres, temperature=0.1).update(z, labels)
    cp = acc.copy()
    acc.reset()
    assert acc.n_rows == 0
    assert cp.n_rows == len(z)
    assert "Accumulator(n_bins=29, dim=12" in repr(cp)
    assert cp.nbytes >= 29 * 8 * 7


def test_all_reduce_without_a_process_group_is_a_clear_error(clustered):
    pytest.importorskip("torch")
    z, _, centres = clustered
    with pytest.raises(
        RuntimeError, match=r"Accumulator.all_reduce: torch.distributed must be initialised"
    ):
        Accumulator(centres, temperature=0.1).update(z).all_reduce()


# ----------------------------------------------------------------------------- CUDA


def test_updates_keep_the_histograms_where_the_data_is(clustered, device):
    """The state lives on the device of the first batch (GPU memory for CUDA tensors);
    host states merged in and host batches are added into it there."""
    z, labels, centres = clustered
    where = "cpu" if device == "cpu" else "cuda:0"
    acc = stream(
        Accumulator(centres, temperature=0.1),
        put(z, device),
        put(labels, device),
        np.random.default_rng(9),
    )
    assert acc.device == where
    assert (cuda_bytes_held(acc) > 0) == (device == "cuda")
    ref = softent.information(z, labels, centres=centres, temperature=0.1)
    assert_close(acc.mutual_information(), ref.mutual_information, 1e-12)
    on_host = Accumulator(centres, temperature=0.1).update(z[:100], labels[:100])
    assert on_host.device == "cpu"
    acc.merge(on_host)  # host state added into the device state
    assert acc.n_rows == len(z) + 100
    assert acc.device == where
    assert (cuda_bytes_held(acc) > 0) == (device == "cuda")
    acc.update(z[:3], labels[:3])  # host batch into a device state
    assert acc.device == where
    assert (cuda_bytes_held(acc) > 0) == (device == "cuda")


def test_environment_has_no_stray_files(tmp_path):
    # save() writes exactly the path given (no '.npz' appended)
    acc = Accumulator(n_bins=3, dim=2).update(np.ones((1, 2)))
    acc.save(os.fspath(tmp_path / "noext"))
    assert [p.name for p in tmp_path.iterdir()] == ["noext"]
    assert math.isclose(Accumulator.load(tmp_path / "noext").entropy(), acc.entropy())
