"""Accumulator(permutations=R) in the state-file format: the permuted label histograms are
saved (format version 3; states without permutations stay version 2), loaded, merged and
all-reduced as the sums they are, and mismatched R or seed rules are refused.

These tests rely only on the accumulated arrays (``state_dict``) and on what the public
methods report, not on how a batch's permutations are drawn: whatever the draw, it depends
only on (permutation_seed, the batch's stream position, the set's name), which a saved and
loaded state carries on exactly."""

from __future__ import annotations

import itertools
import json
import zipfile

import numpy as np
import pytest
import softent
from softent.soft.accumulator import Accumulator

B, T, R, SEED = 9, 0.3, 6, 11


def _data(n=260, d=5, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(-1, 4, n)  # -1 is an ordinary class
    words = np.array(["a", "b", "c"])[rng.integers(0, 3, n)]
    z = rng.normal(size=(n, d)) + 0.8 * np.eye(d)[(y + 1) % d]
    return z, {"y": y, "w": words}, rng.normal(size=(B, d))


def _acc(centres, **kw):
    return Accumulator(
        centres, temperature=T, permutations=R, permutation_seed=SEED, **{"label_sets": None, **kw}
    )


def _stream(acc, z, sets, cuts):
    for a, b in itertools.pairwise(cuts):
        acc.update(z[a:b], {k: v[a:b] for k, v in sets.items()})
    return acc


def _assert_same_state(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k, va in a.items():
        vb = b[k]
        if k == "label_sets":
            assert va.keys() == vb.keys()
            for name, d in va.items():
                for key, x in d.items():
                    np.testing.assert_array_equal(x, vb[name][key], err_msg=key)
        elif isinstance(va, np.ndarray) or isinstance(vb, np.ndarray):
            np.testing.assert_array_equal(va, vb, err_msg=k)
        else:
            assert va == vb, k


def _assert_same_tests(a: Accumulator, b: Accumulator, rtol: float = 0.0) -> None:
    """The same permutation tests (``rtol`` 0: bit for bit; merges in another order sum
    the label terms in another order, to 1e-14)."""
    for name in ("y", "w"):
        ra, rb = a.permutation_test(name), b.permutation_test(name)
        assert ra.statistic == pytest.approx(rb.statistic, rel=rtol, abs=0)
        np.testing.assert_allclose(ra.null, rb.null, rtol=rtol, atol=0)
        assert (ra.pvalue, ra.seed) == (rb.pvalue, rb.seed)


def test_save_and_load_give_the_same_nulls_and_report(tmp_path):
    z, sets, centres = _data()
    acc = _stream(_acc(centres), z, sets, [0, 70, 71, 200, 260])
    z0 = z.copy()
    acc.save(tmp_path / "perm.npz")
    back = Accumulator.load(tmp_path / "perm.npz", like=acc)
    assert (back.permutations, back.permutation_seed, back.n_rows) == (R, SEED, 260)
    _assert_same_tests(acc, back)
    _assert_same_state(acc.state_dict(), back.state_dict())
    # the report's null columns too (the in-memory state dict round-trips the same way)
    again = Accumulator.from_state_dict(acc.state_dict())
    for got in (back, again):
        for ra, rb in zip(softent.report(acc).rows, softent.report(got).rows, strict=True):
            assert ra == rb
    np.testing.assert_array_equal(z, z0)
    with np.load(tmp_path / "perm.npz", allow_pickle=False) as f:
        header = json.loads(f["header"].tobytes())
        assert (header["version"], header["permutations"], header["permutation_seed"]) == (
            3,
            R,
            SEED,
        )
        # one [R, K, B] array of permuted sums per label set, in its sorted values' order
        assert f["set0_hist_permuted"].shape == (R, 5, B)
        assert f["set1_hist_permuted"].shape == (R, 3, B)
        # every permuted histogram holds each label's rows: its masses sum to the counts
        np.testing.assert_allclose(
            f["set0_hist_permuted"].sum(axis=-1), np.broadcast_to(f["set0_counts"], (R, 5))
        )


def test_a_stream_saved_midway_and_continued_equals_the_uninterrupted_stream(tmp_path):
    z, sets, centres = _data(seed=1)
    whole = _stream(_acc(centres), z, sets, [0, 90, 130, 260])
    first = _stream(_acc(centres), z, sets, [0, 90])
    first.save(tmp_path / "mid.npz")
    # the loaded state continues at stream position 90: the same batches, the same draws
    rest = _stream(Accumulator.load(tmp_path / "mid.npz"), z, sets, [90, 130, 260])
    _assert_same_tests(whole, rest)
    _assert_same_state(whole.state_dict(), rest.state_dict())


def test_internal_indices_round_trip_with_their_permuted_rows(tmp_path):
    z, sets, centres = _data(seed=2)
    z3 = np.stack([z, -z, 0.5 * z + 1], axis=1)  # [N, 3, D]
    acc = _stream(_acc(centres), z3, sets, [0, 100, 260])
    acc.save(tmp_path / "int.npz")
    back = Accumulator.load(tmp_path / "int.npz")
    assert back.internal_shape == (3,)
    for idx in range(3):
        a, b = acc.permutation_test("y", index=idx), back.permutation_test("y", index=idx)
        np.testing.assert_array_equal(a.null, b.null)
    with np.load(tmp_path / "int.npz", allow_pickle=False) as f:
        assert f["set0_hist_permuted"].shape == (R, 3, 5, B)


def test_two_half_streams_merged_hold_the_sums_of_both_exactly(tmp_path):
    z, sets, centres = _data(seed=3)
    a = _stream(_acc(centres), z, sets, [0, 60, 130])
    # worker b streams the other half from its own stream position 0 (its batches are
    # permuted within themselves), and sees label values worker a has not
    other = {"y": sets["y"] + 10, "w": sets["w"]}
    b = _stream(_acc(centres), z, other, [130, 190, 260])
    sa, sb = a.state_dict(), b.state_dict()
    merged = a.copy().merge(b)
    sm = merged.state_dict()
    assert sm["n_rows"] == 260
    for name in ("y", "w"):
        m = sm["label_sets"][name]
        for key in ("hist", "hist_permuted"):
            want = np.zeros_like(m[key])
            for s in (sa, sb):  # each worker's sums at its values' places in the union
                pos = np.searchsorted(m["values"], s["label_sets"][name]["values"])
                want[..., pos, :] += s["label_sets"][name][key]
            np.testing.assert_array_equal(m[key], want, err_msg=f"{name} {key}")
    # the merge's tests are those of its summed arrays, in either order, also via files
    summed = Accumulator.from_state_dict(sm)
    _assert_same_tests(merged, summed)
    a.save(tmp_path / "a.npz")
    b.save(tmp_path / "b.npz")
    from_files = Accumulator.load(tmp_path / "b.npz").merge(Accumulator.load(tmp_path / "a.npz"))
    _assert_same_tests(merged, from_files, rtol=1e-12)
    # the statistic is the one stream's with the same batches (the point sums do not
    # depend on positions); the null is a stratified permutation null over all 260 rows
    one = _stream(
        _acc(centres),
        z,
        {k: np.concatenate([sets[k][:130], other[k][130:]]) for k in sets},
        [0, 60, 130, 190, 260],
    )
    for name in ("y", "w"):
        got, want = merged.permutation_test(name), one.permutation_test(name)
        assert got.statistic == pytest.approx(want.statistic, rel=1e-12)
        assert got.null.shape == want.null.shape == (R,)
        assert got.context["n_rows"] == want.context["n_rows"]


def test_merges_in_either_order_and_with_an_empty_accumulator_agree():
    z, sets, centres = _data(seed=4)
    a = _stream(_acc(centres), z, sets, [0, 130])
    b = _stream(_acc(centres), z, sets, [130, 200, 260])
    _assert_same_tests(a.copy().merge(b), b.copy().merge(a), rtol=1e-12)
    # an accumulator with no rows adds nothing, on either side
    _assert_same_state(a.state_dict(), a.copy().merge(_acc(centres)).state_dict())
    _assert_same_tests(a, _acc(centres).merge(a))


def test_mismatched_permutations_or_seeds_are_refused():
    z, sets, centres = _data(seed=5, n=80)
    a = _stream(_acc(centres), z, sets, [0, 80])
    for kw, what in (
        ({"permutations": R + 1}, f"permutations={R + 1}"),
        ({"permutations": 0}, "permutations=0"),
        ({"permutation_seed": SEED + 1}, f"permutation_seed={SEED + 1}"),
    ):
        other = Accumulator(
            centres, temperature=T, **{"permutations": R, "permutation_seed": SEED, **kw}
        )
        other.update(z, sets)
        with pytest.raises(
            ValueError,
            match=rf"softent\.Accumulator\.merge: other must be an Accumulator with "
            rf"permutations={R} and permutation_seed={SEED} .*got .*{what}",
        ):
            a.copy().merge(other)
        # all_reduce compares the same on every rank before summing anything
        with pytest.raises(
            ValueError,
            match=r"Accumulator\.all_reduce: every rank must be built with one number of "
            r"permutations and one permutation_seed",
        ):
            a.reduce_layout([a.reduce_meta(), other.reduce_meta()], "Accumulator.all_reduce")
    assert a.n_rows == 80  # refusals leave the state alone


def test_states_without_permutations_stay_version_2_and_old_files_load(tmp_path):
    z, sets, centres = _data(seed=6, n=60)
    plain = Accumulator(centres, temperature=T).update(z, sets)
    plain.save(tmp_path / "plain.npz")
    with np.load(tmp_path / "plain.npz", allow_pickle=False) as f:
        header = json.loads(f["header"].tobytes())
        assert header["version"] == plain.state_dict()["version"] == 2
        assert "permutations" not in header
        assert not [m for m in f.files if "permuted" in m]
    back = Accumulator.load(tmp_path / "plain.npz")
    assert (back.permutations, back.permutation_seed) == (0, 0)
    assert back.mutual_information("y") == plain.mutual_information("y")
    # an in-memory version-2 state (no permutation keys) loads as P = 0
    v2 = {k: v for k, v in plain.state_dict().items() if not k.startswith("permutation")}
    v2["label_sets"] = {
        n: {k: x for k, x in d.items() if k != "hist_permuted"} for n, d in v2["label_sets"].items()
    }
    assert Accumulator.from_state_dict(v2).permutations == 0


def test_corrupt_permutation_fields_are_clear_errors(tmp_path):
    z, sets, centres = _data(seed=7, n=60)
    acc = _acc(centres).update(z, sets)
    state = acc.state_dict()
    bad = {**state, "label_sets": {**state["label_sets"]}}
    bad["label_sets"]["y"] = {**state["label_sets"]["y"], "hist_permuted": np.ones((R - 1, 5, B))}
    with pytest.raises(
        ValueError,
        match=r"from_state_dict: state\['label_sets'\]\['y'\]\['hist_permuted'\] must be",
    ):
        Accumulator.from_state_dict(bad)
    neg = {**state, "label_sets": {**state["label_sets"]}}
    neg["label_sets"]["y"] = {
        **state["label_sets"]["y"],
        "hist_permuted": -state["label_sets"]["y"]["hist_permuted"],
    }
    with pytest.raises(ValueError, match=r"hist_permuted'\] must be"):
        Accumulator.from_state_dict(neg)
    with pytest.raises(ValueError, match=r"from_state_dict: state must be an int permutations"):
        Accumulator.from_state_dict({**state, "permutations": -1})
    with pytest.raises(ValueError, match=r"state must be of format version 3 to hold permutations"):
        Accumulator.from_state_dict({**state, "version": 2})
    # a file whose permuted member is missing
    acc.save(tmp_path / "p.npz")
    with (
        zipfile.ZipFile(tmp_path / "p.npz") as src,
        zipfile.ZipFile(tmp_path / "q.npz", "w") as dst,
    ):
        for item in src.infolist():
            if item.filename != "set0_hist_permuted.npy":
                dst.writestr(item, src.read(item))
    with pytest.raises(ValueError, match=r"Accumulator\.load: path must be .*set0_hist_permuted"):
        Accumulator.load(tmp_path / "q.npz")


def test_all_reduce_of_one_rank_keeps_the_permuted_sums(tmp_path):
    torch = pytest.importorskip("torch")
    dist = pytest.importorskip("torch.distributed")
    if not dist.is_available():
        pytest.skip("torch.distributed is not available")
    z, sets, centres = _data(seed=8, n=120)
    acc = _stream(_acc(centres), z, sets, [0, 50, 120])
    before = acc.state_dict()
    dist.init_process_group(
        "gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1
    )
    try:
        assert acc.all_reduce() is acc
    finally:
        dist.destroy_process_group()
    _assert_same_state(before, acc.state_dict())
    assert torch is not None
