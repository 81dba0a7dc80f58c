"""softent.Accumulator(bootstrap=R): streamed Poisson-bootstrap replicates equal
poisson_bootstrap on the concatenated rows (any chunking, internal dims sharing a sample's
weight), merges of workers with distinct seeds, persistence (version 2, version-1 files
still read), bad input; R = 0 changes nothing. Streams of CUDA tensors give the host's
replicates (``device`` fixture)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import softent
from cases import cuda_bytes_held, put
from reference.bootstrap import poisson_weights
from softent.soft.accumulator import Accumulator
from softent.soft.bins import Bins
from softent.soft.bootstrap import poisson_bootstrap

DATA = Path(__file__).parent.parent / "data"
R, SEED = 5, 2**63 + 12345  # a seed above 2**63: the full uint64 range reaches the kernel


def chunks(n: int, rng: np.random.Generator) -> list[slice]:
    """Random chunk boundaries covering 0..n with empty and one-row chunks mixed in."""
    out, i = [slice(0, 0)], 0
    while i < n:
        k = int(rng.choice([0, 1, 1, 2, rng.integers(3, 90)]))
        out.append(slice(i, min(n, i + k)))
        i += k
    return out


def stream(acc: Accumulator, z, sets: dict, rng: np.random.Generator) -> Accumulator:
    for s in chunks(len(z), rng):
        acc.update(z[s], {k: v[s] for k, v in sets.items()})
    return acc


def labelled(clustered):
    """(z [N, 2, D] (two internal indices), {"y": ints (-1 a class), "w": strings}, centres)."""
    z, labels, centres = clustered
    y = labels.copy()
    y[::9] = -1
    w = np.array([f"w{v % 4}" for v in labels[::-1]])
    z2 = np.stack([z, z[::-1] * 0.5 + 0.3], axis=1)
    return z2, {"y": y, "w": w}, centres


def assert_replicates_equal(got: list, want: list, rtol: float) -> None:
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a["total"], b["total"], rtol=rtol, atol=0)
        assert a["sets"].keys() == b["sets"].keys()
        for name in a["sets"]:
            (va, pa, ca), (vb, pb, cb) = a["sets"][name], b["sets"][name]
            np.testing.assert_array_equal(va, vb)
            np.testing.assert_allclose(pa, pb, rtol=rtol, atol=rtol * 1e-3)
            np.testing.assert_allclose(ca, cb, rtol=rtol, atol=rtol * 1e-3)


# ----------------------------------------------------------------------------- equality with poisson_bootstrap


@pytest.mark.parametrize(("dtype", "rtol"), [(np.float64, 1e-12), (np.float32, 1e-6)])
def test_streamed_replicates_equal_poisson_bootstrap_on_the_whole(clustered, dtype, rtol):
    z, sets, centres = labelled(clustered)
    z = z.astype(dtype)
    acc = stream(
        Accumulator(centres, temperature=0.1, bootstrap=R, bootstrap_seed=SEED),
        z,
        sets,
        np.random.default_rng(3),
    )
    bins = Bins(centres, "cosine", 0.1)
    for index in (0, 1):  # each internal index: the replicates of that slice of z
        want = poisson_bootstrap(np.ascontiguousarray(z[:, index]), sets, bins, R, seed=SEED)
        assert_replicates_equal(acc.replicate_histograms(index=index), want, rtol)
        assert_replicates_equal(
            acc.replicate_histograms(["w"], index=(index,)),
            [{"total": b["total"], "sets": {"w": b["sets"]["w"]}} for b in want],
            rtol,
        )
    # the point estimate is the one of an accumulator without replicates
    plain = stream(Accumulator(centres, temperature=0.1), z, sets, np.random.default_rng(4))
    np.testing.assert_allclose(
        acc.mutual_information("y"), plain.mutual_information("y"), rtol=rtol
    )
    np.testing.assert_allclose(acc.entropy(), plain.entropy(), rtol=rtol)
    np.testing.assert_array_equal(acc.counts("w"), plain.counts("w"))


def test_one_row_chunks_and_a_label_set_that_appears_late(clustered):
    z, labels, centres = clustered
    z, labels = z[:120], labels[:120]
    acc = Accumulator(centres, temperature=0.1, bootstrap=3, bootstrap_seed=1)
    for i in range(len(z)):
        acc.update(z[i : i + 1], {"y": labels[i : i + 1]} if i >= 50 else None)
    # rows before the set appeared are in the total only: the set's replicates are those of
    # rows 50.. (same weights: row_offset), the total's those of every row
    bins = Bins(centres, "cosine", 0.1)
    every = poisson_bootstrap(z, None, bins, 3, seed=1)
    late = poisson_bootstrap(z[50:], {"y": labels[50:]}, bins, 3, seed=1, row_offset=50)
    want = [{"total": a["total"], "sets": b["sets"]} for a, b in zip(every, late, strict=True)]
    assert_replicates_equal(acc.replicate_histograms(), want, 1e-12)


def test_internal_indices_of_a_sample_share_its_weight():
    # One bin (q = 1) and one label per sample: the replicate histograms are the weights,
    # the same at every internal index, and equal the independent reference draw.
    n, seed = 37, 9
    z = np.random.default_rng(0).normal(size=(n, 3, 2))
    acc = Accumulator(Bins(np.ones((1, 2)), "cosine", 1.0), bootstrap=4, bootstrap_seed=seed)
    for s in (slice(0, 10), slice(10, 11), slice(11, n)):
        acc.update(z[s], {"row": np.arange(n)[s]})
    want = poisson_weights(seed, n, 4)
    for index in range(3):
        reps = acc.replicate_histograms(index=index)
        np.testing.assert_array_equal(np.stack([rep["sets"]["row"][1][:, 0] for rep in reps]), want)
        np.testing.assert_allclose(
            np.stack([rep["total"][0] for rep in reps]), want.sum(1), rtol=1e-12
        )


def test_dropped_rows_take_no_stream_position(clustered):
    z, labels, centres = clustered
    z, labels = z[:200].copy(), labels[:200]
    bad = z.copy()
    bad[[3, 77]] = np.nan
    acc = Accumulator(centres, temperature=0.1, bootstrap=3, bootstrap_seed=2)
    acc.update(bad[:100], labels[:100], nonfinite="drop").update(
        bad[100:], labels[100:], nonfinite="drop"
    )
    keep = np.isfinite(bad).all(axis=1)
    want = poisson_bootstrap(
        z[keep], {"labels": labels[keep]}, Bins(centres, "cosine", 0.1), 3, seed=2
    )
    assert_replicates_equal(acc.replicate_histograms(), want, 1e-12)
    assert acc.n_dropped == 2


def test_bootstrap_zero_changes_nothing(clustered):
    z, labels, centres = clustered
    a = Accumulator(centres, temperature=0.1).update(z, labels)
    b = Accumulator(centres, temperature=0.1, bootstrap=0, bootstrap_seed=7).update(z, labels)
    assert a.bootstrap == b.bootstrap == 0
    sa, sb = a.state_dict(), b.state_dict()
    assert sa["total"].shape == sb["total"].shape == (29,)
    np.testing.assert_array_equal(sa["total"], sb["total"])
    assert sa["total_replicates"].shape == sb["total_replicates"].shape == (0, 29)
    assert a.nbytes == b.nbytes  # no replicate rows held
    assert "bootstrap" not in repr(a)
    assert a.mutual_information() == b.mutual_information()
    with pytest.raises(
        ValueError, match=r"replicate_histograms: the accumulator must be built with bootstrap"
    ):
        a.replicate_histograms()


def test_replicates_differ_by_seed_and_replicate(clustered):
    z, labels, centres = clustered
    a = (
        Accumulator(centres, temperature=0.1, bootstrap=2, bootstrap_seed=0)
        .update(z, labels)
        .replicate_histograms()
    )
    b = (
        Accumulator(centres, temperature=0.1, bootstrap=2, bootstrap_seed=1)
        .update(z, labels)
        .replicate_histograms()
    )
    assert not np.allclose(a[0]["total"], a[1]["total"])
    assert not np.allclose(a[0]["total"], b[0]["total"])


def test_replicate_measures_are_the_measures_of_the_replicate_histograms(clustered):
    z, labels, centres = clustered
    z3 = np.stack([z, z[::-1]], axis=1)  # internal shape (2,)
    words = np.array([f"w{v % 3}" for v in labels])
    acc = Accumulator(centres, temperature=0.1, bootstrap=4, bootstrap_seed=3)
    acc.update(z3[:500], {"y": labels[:500]}).update(
        z3[500:], {"y": labels[500:], "w": words[500:]}
    )
    got = acc.replicate_measures(base=2, weighting="uniform")
    assert list(got) == [None, "y", "w"]
    for flat in range(2):
        for r, rep in enumerate(acc.replicate_histograms(index=flat)):
            want = softent.measures_from_masses(rep["total"], base=2)
            assert got[None][r][flat]["entropy"] == want["entropy"]
            for name in ("y", "w"):
                _, per, counts = rep["sets"][name]
                want = softent.measures_from_masses(
                    per.sum(0), per, counts, base=2, weighting="uniform"
                )
                assert got[name][r][flat]["mutual_information"] == pytest.approx(
                    want["mutual_information"], rel=1e-12, abs=1e-15
                )
    only = acc.replicate_measures("w", all_rows=False)
    assert list(only) == ["w"]
    assert len(only["w"]) == 4
    with pytest.raises(ValueError, match=r"replicate_measures: the accumulator must be built"):
        Accumulator(centres, temperature=0.1).update(z).replicate_measures()


def test_construction_and_query_errors(clustered):
    z, labels, centres = clustered
    for bad, exc in ((-1, ValueError), (1.5, TypeError), (True, TypeError)):
        with pytest.raises(exc, match=r"softent.Accumulator: bootstrap must be an int >= 0, got"):
            Accumulator(centres, bootstrap=bad)
    for bad, exc in ((-1, ValueError), (2**64, ValueError), ("x", TypeError)):
        with pytest.raises(
            exc, match=r"softent.Accumulator: bootstrap_seed must be an int in \[0, 2\*\*64\), got"
        ):
            Accumulator(centres, bootstrap=2, bootstrap_seed=bad)
    acc = Accumulator(centres, temperature=0.1, bootstrap=2)
    with pytest.raises(
        ValueError, match=r"replicate_histograms: the accumulator must be non-empty"
    ):
        acc.replicate_histograms()
    acc.update(z[:50], labels[:50])
    with pytest.raises(
        ValueError,
        match=r"replicate_histograms: label_set must be None, or names among \['labels'\]",
    ):
        acc.replicate_histograms("nope")
    with pytest.raises(ValueError, match=r"replicate_histograms: index must be"):
        acc.replicate_histograms(index=1)


def test_copy_reset_and_repr_keep_the_settings(clustered):
    z, labels, centres = clustered
    acc = Accumulator(centres, temperature=0.1, bootstrap=3, bootstrap_seed=4).update(
        z[:300], labels[:300]
    )
    cp = acc.copy()
    acc.update(z[300:], labels[300:])
    # the copy streams on from its own position: the same replicates as the original
    cp.update(z[300:], labels[300:])
    assert_replicates_equal(cp.replicate_histograms(), acc.replicate_histograms(), 1e-12)
    assert "bootstrap=3, bootstrap_seed=4" in repr(acc)
    assert acc.nbytes >= 4 * math.prod(cp.internal_shape) * 29 * 8  # 1 + R rows per index
    acc.reset()
    assert (acc.bootstrap, acc.bootstrap_seed, acc.n_rows) == (3, 4, 0)
    acc.update(z[:100], labels[:100])  # a new stream: positions start again at 0
    want = poisson_bootstrap(
        z[:100], {"labels": labels[:100]}, Bins(centres, "cosine", 0.1), 3, seed=4
    )
    assert_replicates_equal(acc.replicate_histograms(), want, 1e-12)


# ----------------------------------------------------------------------------- merge


def test_merge_of_workers_with_distinct_seeds_sums_their_replicates(clustered):
    z, labels, centres = clustered
    half = len(z) // 2
    bins = Bins(centres, "cosine", 0.1)
    words = np.array([f"w{v}" for v in labels])
    a = Accumulator(centres, temperature=0.1, bootstrap=R, bootstrap_seed=10)
    b = Accumulator(centres, temperature=0.1, bootstrap=R, bootstrap_seed=11)
    # worker b sees label values worker a never sees, and a label set of its own
    stream(a, z[:half], {"y": labels[:half]}, np.random.default_rng(5))
    stream(b, z[half:], {"y": labels[half:] + 3, "w": words[half:]}, np.random.default_rng(6))
    ra, rb = a.replicate_histograms(), b.replicate_histograms()
    merged = a.copy().merge(b)
    assert merged.bootstrap_seed == 10
    assert merged.n_rows == len(z)
    got = merged.replicate_histograms()
    y = np.concatenate([labels[:half], labels[half:] + 3])
    wa = poisson_bootstrap(z[:half], {"y": y[:half]}, bins, R, seed=10)
    wb = poisson_bootstrap(z[half:], {"y": y[half:], "w": words[half:]}, bins, R, seed=11)
    for r in range(R):
        np.testing.assert_allclose(got[r]["total"], ra[r]["total"] + rb[r]["total"], rtol=1e-12)
        np.testing.assert_allclose(got[r]["total"], wa[r]["total"] + wb[r]["total"], rtol=1e-12)
        values, per, counts = got[r]["sets"]["y"]
        np.testing.assert_array_equal(values, np.arange(9))
        np.testing.assert_allclose(per[:3], ra[r]["sets"]["y"][1][:3], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(
            per[3:6], ra[r]["sets"]["y"][1][3:] + rb[r]["sets"]["y"][1][:3], rtol=1e-12, atol=1e-14
        )
        np.testing.assert_allclose(per[6:], rb[r]["sets"]["y"][1][3:], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(
            counts.sum(), ra[r]["sets"]["y"][2].sum() + rb[r]["sets"]["y"][2].sum(), rtol=1e-12
        )
        np.testing.assert_allclose(
            got[r]["sets"]["w"][1], wb[r]["sets"]["w"][1], rtol=1e-12, atol=1e-14
        )
    # merge order does not matter
    other = b.copy().merge(a).replicate_histograms()
    for r in range(R):
        np.testing.assert_allclose(other[r]["total"], got[r]["total"], rtol=1e-12)


def test_merge_refuses_other_replicate_counts_and_equal_seeds(clustered):
    z, labels, centres = clustered
    a = Accumulator(centres, temperature=0.1, bootstrap=4, bootstrap_seed=1).update(
        z[:100], labels[:100]
    )
    for other in (
        Accumulator(centres, temperature=0.1, bootstrap=3, bootstrap_seed=2),
        Accumulator(centres, temperature=0.1),
    ):
        with pytest.raises(
            ValueError,
            match=r"Accumulator.merge: other must be an Accumulator with bootstrap=4 "
            r"replicates like this one, got bootstrap=\d",
        ):
            a.merge(other.update(z[100:200], labels[100:200]))
    same = Accumulator(centres, temperature=0.1, bootstrap=4, bootstrap_seed=1).update(
        z[100:200], labels[100:200]
    )
    with pytest.raises(
        ValueError,
        match=r"merge: other must be an Accumulator whose rows were resampled with "
        r"other bootstrap seeds .*base \+ rank.* got rows of bootstrap_seed \[1\] in both",
    ):
        a.merge(same)
    with pytest.raises(ValueError, match=r"other bootstrap seeds"):
        a.merge(a.copy())
    # a seed that reached both through earlier merges is caught too (w0 <- w1, then w0 <- w2 <- w1)
    w0 = Accumulator(centres, temperature=0.1, bootstrap=4, bootstrap_seed=10).update(
        z[:50], labels[:50]
    )
    w1 = Accumulator(centres, temperature=0.1, bootstrap=4, bootstrap_seed=11).update(
        z[50:90], labels[50:90]
    )
    w2 = Accumulator(centres, temperature=0.1, bootstrap=4, bootstrap_seed=12).update(
        z[90:120], labels[90:120]
    )
    w0.merge(w1)
    w2.merge(w1)
    with pytest.raises(ValueError, match=r"rows of bootstrap_seed \[11\] in both"):
        w0.merge(w2)
    # the seeds travel with the state
    back = Accumulator.from_state_dict(w0.state_dict())
    assert back.state_dict()["bootstrap_seeds"] == [10, 11]
    with pytest.raises(ValueError, match=r"rows of bootstrap_seed \[11\] in both"):
        back.merge(w1)
    # an accumulator without rows shares no resampled rows, whatever its seed
    a.merge(Accumulator(centres, temperature=0.1, bootstrap=4, bootstrap_seed=1))
    assert a.n_rows == 100  # refused merges leave the state as it was
    # without replicates the seeds do not matter
    p = Accumulator(centres, temperature=0.1, bootstrap_seed=1).update(z[:10])
    p.merge(Accumulator(centres, temperature=0.1, bootstrap_seed=1).update(z[10:20]))
    assert p.n_rows == 20


# ----------------------------------------------------------------------------- persistence


def test_save_and_load_round_trip_exactly_and_stream_on(clustered, tmp_path):
    z, sets, centres = labelled(clustered)
    acc = Accumulator(
        centres, temperature=0.1, bootstrap=R, bootstrap_seed=SEED, label_sets=["y", "w", "never"]
    )
    stream(acc, z[:600], {k: v[:600] for k, v in sets.items()}, np.random.default_rng(8))
    path = tmp_path / "boot.softent"
    acc.save(path)
    with np.load(path, allow_pickle=False) as f:
        header = json.loads(f["header"].tobytes())
        assert (header["version"], header["bootstrap"], header["bootstrap_seed"]) == (2, R, SEED)
        assert f["total_replicates"].shape == (R, 2, 29)
        assert f["set0_hist_replicates"].shape == (R, 2, 7, 29)
        assert f["set1_hist_replicates"].shape == (R, 2, 4, 29)
        assert "set2_hist_replicates" in f.files  # an empty set: [R, 2, 0, B]
    loaded = Accumulator.load(path, like=acc)
    via_dict = Accumulator(centres, temperature=0.1).load_state_dict(
        acc.state_dict()
    )  # adopts R and the seed
    for other in (loaded, via_dict):
        assert (other.bootstrap, other.bootstrap_seed, other.n_rows) == (R, SEED, 600)
        a, b = acc.state_dict(), other.state_dict()
        np.testing.assert_array_equal(a["total"], b["total"])
        np.testing.assert_array_equal(a["total_replicates"], b["total_replicates"])
        for name in a["label_sets"]:
            for key in ("values", "hist", "counts", "hist_replicates"):
                np.testing.assert_array_equal(
                    a["label_sets"][name][key], b["label_sets"][name][key]
                )
        for index in (0, 1):
            assert_replicates_equal(
                other.replicate_histograms(index=index), acc.replicate_histograms(index=index), 0
            )
    # a loaded accumulator continues the stream where the saved one stopped
    rest = {k: v[600:] for k, v in sets.items()}
    stream(loaded, z[600:], rest, np.random.default_rng(9))
    bins = Bins(centres, "cosine", 0.1)
    for index in (0, 1):
        want = poisson_bootstrap(np.ascontiguousarray(z[:, index]), sets, bins, R, seed=SEED)
        got = loaded.replicate_histograms(["y", "w"], index=index)
        assert_replicates_equal(got, want, 1e-12)


def test_states_with_bad_replicates_are_refused(clustered):
    z, labels, centres = clustered
    acc = Accumulator(centres, temperature=0.1, bootstrap=2, bootstrap_seed=3).update(
        z[:50], labels[:50]
    )
    state = acc.state_dict()
    for key, value, match in (
        (
            "total_replicates",
            np.zeros((3, 29)),
            r"state\['total_replicates'\] must be a finite float64 array of shape \(2, 29\)",
        ),
        ("total_replicates", None, r"state\['total_replicates'\] must be .* got absent"),
        ("bootstrap", -1, r"state must be an int bootstrap >= 0"),
        ("bootstrap_seed", 2**64, r"bootstrap_seed in \[0, 2\*\*64\)"),
    ):
        with pytest.raises(ValueError, match=match):
            Accumulator.from_state_dict({**state, key: value})
    bad_set = {**state["label_sets"]["labels"], "hist_replicates": np.full((2, 6, 29), np.nan)}
    with pytest.raises(
        ValueError,
        match=r"\['hist_replicates'\] must be a finite float64 array of shape \(2, 6, 29\)",
    ):
        Accumulator.from_state_dict({**state, "label_sets": {"labels": bad_set}})
    without = {k: v for k, v in state.items() if k != "bootstrap"}
    with pytest.raises(
        ValueError, match=r"state must be a dict with the keys .* one without \['bootstrap'\]"
    ):
        Accumulator.from_state_dict(without)
    zero = Accumulator(centres, temperature=0.1).update(z[:50]).state_dict()
    with pytest.raises(
        ValueError, match=r"total_replicates'\] must be absent or empty when bootstrap is 0"
    ):
        Accumulator.from_state_dict({**zero, "total_replicates": np.ones((1, 29))})


def _v1_stream() -> Accumulator:
    """The accumulator tests/data/accumulator_v1.npz was written from (by softent with
    format version 1, before bootstrap replicates existed)."""
    rng = np.random.default_rng(2024)
    z = rng.normal(size=(9, 2, 3))
    y = rng.integers(0, 3, 9)
    w = np.array(["a", "b", "b", "c", "a", "a", "b", "c", "c"])
    acc = Accumulator(n_bins=4, dim=3, seed=5, temperature=0.5, label_sets=["y", "w"])
    acc.update(z[:4], {"y": y[:4]})
    return acc.update(z[4:], {"y": y[4:], "w": w[4:]})


def test_version_1_files_and_states_still_load(tmp_path):
    path = DATA / "accumulator_v1.npz"
    with np.load(path, allow_pickle=False) as f:
        header = json.loads(f["header"].tobytes())
        assert header["version"] == 1
        assert "bootstrap" not in header
    want = _v1_stream()
    got = Accumulator.load(path, like=want)
    assert (got.bootstrap, got.bootstrap_seed, got.n_rows, got.label_sets) == (0, 0, 9, ("y", "w"))
    np.testing.assert_allclose(
        got.mutual_information("y"), want.mutual_information("y"), rtol=1e-12
    )
    np.testing.assert_allclose(got.label_entropies("w"), want.label_entropies("w"), rtol=1e-12)
    np.testing.assert_array_equal(got.label_values("w"), ["a", "b", "c"])
    # an in-memory version-1 state (no bootstrap keys) loads too; saving writes version 2
    v1 = {
        k: v
        for k, v in want.state_dict().items()
        if k not in ("bootstrap", "bootstrap_seed", "total_replicates")
    }
    v1["version"] = 1
    v1["label_sets"] = {
        n: {k: x for k, x in d.items() if k != "hist_replicates"}
        for n, d in v1["label_sets"].items()
    }
    back = Accumulator.from_state_dict(v1)
    np.testing.assert_array_equal(back.state_dict()["total"], want.state_dict()["total"])
    back.save(tmp_path / "v2")
    with np.load(tmp_path / "v2", allow_pickle=False) as f:
        assert json.loads(f["header"].tobytes())["version"] == back.state_dict()["version"] == 2
        assert not [m for m in f.files if "replicates" in m]  # nothing extra without replicates


# ----------------------------------------------------------------------------- CUDA


def test_streams_on_each_device_give_the_host_replicates(clustered, device):
    z, sets, centres = labelled(clustered)
    on_host = stream(
        Accumulator(centres, temperature=0.1, bootstrap=3, bootstrap_seed=1),
        z,
        sets,
        np.random.default_rng(1),
    )
    where = "cpu" if device == "cpu" else "cuda:0"
    dev = Accumulator(centres, temperature=0.1, bootstrap=3, bootstrap_seed=1)
    stream(dev, put(z, device), sets, np.random.default_rng(2))
    assert dev.device == where
    assert (cuda_bytes_held(dev) > 0) == (device == "cuda")
    for index in (0, 1):
        assert_replicates_equal(
            dev.replicate_histograms(index=index), on_host.replicate_histograms(index=index), 1e-12
        )
    other = Accumulator(centres, temperature=0.1, bootstrap=3, bootstrap_seed=2).update(
        z[:40], {"y": sets["y"][:40]}
    )
    dev.merge(other)  # host replicates added into the device state
    assert dev.device == where
    assert (cuda_bytes_held(dev) > 0) == (device == "cuda")
    assert dev.n_rows == len(z) + 40
