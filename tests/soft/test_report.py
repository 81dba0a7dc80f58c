"""softent.report: one kernel pass for every label set, arrays equal streamed
Accumulators, JSON/pandas/text output, bootstrap intervals, bad input."""

from __future__ import annotations

import json
import math
import sys

import numpy as np
import pytest
import softent
import softent.soft.measures as sm
from cases import MEASURE_KEYS as KEYS
from reference.bootstrap import poisson_weights
from reference.soft import assignments
from softent import Accumulator, Report


@pytest.fixture
def data():
    """z [N, D] and four label sets: 'cls' informative, 'noise' independent, 'pos' = cls % 2
    with masked rows (-1), 'word' strings."""
    rng = np.random.default_rng(11)
    n, d, k = 700, 10, 5
    means = rng.normal(0, 2.0, (k, d))
    cls = rng.integers(0, k, n)
    z = means[cls] + rng.normal(0, 1.0, (n, d))
    pos = np.where(rng.random(n) < 0.2, -1, cls % 2)
    words = np.array(["a", "bb", "c"])[rng.integers(0, 3, n)]
    return z, {"cls": cls, "noise": rng.integers(0, 4, n), "pos": pos, "word": words}


# ----------------------------------------------------------------------------- point estimates


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_each_row_equals_the_measures_of_its_batch_histogram(data, metric):
    z, sets = data
    r = softent.report(z, sets, metric=metric, n_bins=40, seed=3)
    assert [row["label_set"] for row in r.rows] == list(sets)
    # the batch API on each set alone, on the bins it picks itself for z (same seed)
    for row in r.rows:
        h = softent.soft_histogram(z, sets[row["label_set"]], metric=metric, n_bins=40, seed=3)
        assert h.bins.fingerprint() == r.bins.fingerprint()
        assert row["n_rows"] == h.n_rows
        assert row["n_labels"] == len(h.counts)
        for key, value in sm.all_measures(h).items():
            assert row[key] == pytest.approx(value, rel=1e-12), (row["label_set"], key)
    assert r.rows[0]["regularity"] > 10 * r.rows[1]["regularity"]  # informative vs independent


def test_one_array_is_the_labels_set_and_matches_the_definition(data):
    z, sets = data
    r = softent.report(z, sets["cls"], n_bins=30, temperature=0.2)
    (row,) = r.rows
    assert row["label_set"] == "labels"
    q = assignments(z, r.bins.centres, "cosine", 0.2)
    p = q.sum(0) / len(z)
    h = -(p * np.log(p)).sum()
    assert row["entropy"] == pytest.approx(h, rel=1e-10)
    assert row["efficiency"] == pytest.approx(h / math.log(30), rel=1e-10)


def test_without_label_sets_one_row_of_entropy(data):
    z, _ = data
    r = softent.report(z, n_bins=30)
    (row,) = r.rows
    assert row["label_set"] is None
    assert row["n_rows"] == len(z)
    assert row["entropy"] == pytest.approx(softent.entropy(z, n_bins=30), rel=1e-12)
    assert all(row[k] is None for k in sm.LABEL_KEYS)
    assert "(all rows)" in r.format_table()


def test_torch_input_gives_the_numpy_report(data):
    torch = pytest.importorskip("torch")
    z, sets = data
    a = softent.report(z, {"cls": sets["cls"]}, n_bins=30)
    b = softent.report(torch.from_numpy(z), {"cls": torch.from_numpy(sets["cls"])}, n_bins=30)
    for key in KEYS:
        assert b.rows[0][key] == pytest.approx(a.rows[0][key], rel=1e-12)


def test_optimality_is_the_ratio_of_the_two_sets_information(data):
    z, sets = data
    r = softent.report(z, sets, input_set="cls", output_set="pos", n_bins=30)
    by = {row["label_set"]: row for row in r.rows}
    expected = by["pos"]["mutual_information"] / by["cls"]["mutual_information"]
    assert all(row["optimality"] == pytest.approx(expected, rel=1e-14) for row in r.rows)
    assert 0 < expected < 1  # pos = cls % 2 on fewer rows: less information than cls
    assert "optimality" not in softent.report(z, sets, n_bins=30).rows[0]
    assert "optimality = I(pos;Z) / I(cls;Z)" in r.format_table()


def test_bits_scale_information_and_leave_ratios(data):
    z, sets = data
    nats = softent.report(z, sets, n_bins=30)
    bits = softent.report(z, sets, n_bins=30, base=2)
    for a, b in zip(nats.rows, bits.rows, strict=True):
        for key in (
            "entropy",
            "conditional_entropy",
            "mutual_information",
            "label_entropy",
            "disentanglement",
        ):
            assert b[key] == pytest.approx(a[key] / math.log(2), rel=1e-13), key
        for key in ("efficiency", "regularity", "variation", "normalised_mi"):
            # two kernel runs: OpenMP may add rows in another order (last-ulp differences)
            assert b[key] == pytest.approx(a[key], rel=1e-12), key
    assert bits.to_dict()["units"] == "bits"
    assert "in bits" in bits.format_table()


def test_uniform_weighting_is_passed_through(data):
    z, sets = data
    r = softent.report(z, sets, n_bins=30, weighting="uniform")
    h = softent.soft_histogram(z, sets["noise"], n_bins=30)
    assert r.rows[1]["conditional_entropy"] == pytest.approx(
        h.conditional_entropy(weighting="uniform"), rel=1e-12
    )
    assert r.rows[1]["regularity"] == pytest.approx(
        sm.regularity(h, weighting="uniform"), rel=1e-12
    )


# ----------------------------------------------------------------------------- accumulators


def _stream(acc: Accumulator, z, sets, n_chunks=9) -> Accumulator:
    for s in np.array_split(np.arange(len(z)), n_chunks):
        acc.update(z[s], {k: v[s] for k, v in sets.items()})
    return acc


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_a_streamed_accumulator_reports_what_the_array_does(data, metric):
    z, sets = data
    if metric == "cosine":
        acc = Accumulator(n_bins=40, dim=z.shape[1], seed=5)
    else:  # box=(min, max) reproduces the batch API's box_bins(z)
        acc = Accumulator(n_bins=40, box=(z.min(0), z.max(0)), seed=5, metric="euclidean")
    _stream(acc, z, sets)
    a = softent.report(z, sets, input_set="cls", output_set="pos", metric=metric, n_bins=40, seed=5)
    s = softent.report(acc, input_set="cls", output_set="pos")
    assert a.to_dict()["bins"]["fingerprint"] == s.to_dict()["bins"]["fingerprint"]
    assert [row["label_set"] for row in s.rows] == list(sets)
    for ra, rs in zip(a.rows, s.rows, strict=True):
        assert ra.keys() == rs.keys()
        for key in (*KEYS, "optimality", "n_rows", "n_labels"):
            assert rs[key] == pytest.approx(ra[key], rel=1e-12), key
    sub = softent.report(acc, ["word", "cls"])  # a chosen subset, in the order asked
    assert [row["label_set"] for row in sub.rows] == ["word", "cls"]
    assert softent.report(acc, "noise").rows[0]["entropy"] == pytest.approx(
        a.rows[1]["entropy"], rel=1e-12
    )


def test_internal_dimensions_give_a_row_per_index(data):
    z, sets = data
    rng = np.random.default_rng(4)
    zl = np.stack([z, rng.normal(size=z.shape), z[:, ::-1] * 0.3], axis=1)  # [N, 3, D]
    acc = _stream(
        Accumulator(n_bins=30, dim=z.shape[1], temperature=0.15),
        zl,
        {"cls": sets["cls"], "pos": sets["pos"]},
    )
    r = softent.report(acc, input_set="cls", output_set="pos")
    assert [(row["label_set"], row["index"]) for row in r.rows] == [
        (s, (i,)) for s in ("cls", "pos") for i in range(3)
    ]
    assert r.internal_shape == (3,)
    for row in r.rows:
        i = row["index"][0]
        ref = softent.report(
            zl[:, i],
            {"cls": sets["cls"], "pos": sets["pos"]},
            centres=acc.centres,
            temperature=0.15,
            input_set="cls",
            output_set="pos",
        )
        ref_row = next(x for x in ref.rows if x["label_set"] == row["label_set"])
        for key in (*KEYS, "optimality"):
            assert row[key] == pytest.approx(ref_row[key], rel=1e-12), key
    by = {(row["label_set"], row["index"]): row for row in r.rows}
    assert by["cls", (0,)]["regularity"] > 10 * by["cls", (1,)]["regularity"]  # index 1 is noise
    assert r.to_dict()["rows"][0]["index"] == [0]
    assert "index" in r.format_table()


def test_an_unlabelled_accumulator_reports_entropy(data):
    z, _ = data
    acc = Accumulator(n_bins=30, dim=z.shape[1])
    acc.update(z)
    (row,) = softent.report(acc).rows
    assert row["label_set"] is None
    assert row["entropy"] == pytest.approx(softent.entropy(z, n_bins=30), rel=1e-12)


# ----------------------------------------------------------------------------- output forms


def test_to_dict_is_strict_json_and_round_trips(data):
    z, sets = data
    one = np.zeros(len(z), dtype=np.int64)  # one label value: disentanglement, I/H(L) undefined
    r = softent.report(z, {**sets, "one": one}, n_bins=30, input_set="cls", output_set="pos")
    d = r.to_dict()
    text = json.dumps(d, allow_nan=False)  # NaN would be invalid JSON
    assert json.loads(text) == d
    assert d["bins"] == {
        "n_bins": 30,
        "metric": "cosine",
        "temperature": r.bins.temperature,
        "dim": z.shape[1],
        "fingerprint": r.bins.fingerprint(),
        "seed": 0,
    }
    assert d["base"] == math.e
    assert d["units"] == "nats"
    assert d["input_set"] == "cls"
    assert d["bootstrap"] is None
    assert d["softent_version"] == softent.__version__
    last = d["rows"][-1]
    assert last["label_set"] == "one"
    assert last["disentanglement"] is None
    assert last["normalised_mi"] is None
    assert math.isnan(r.rows[-1]["disentanglement"])  # .rows keeps the NaN
    for row, jrow in zip(r.rows[:-1], d["rows"][:-1], strict=True):
        assert all(jrow[k] == row[k] for k in KEYS)
        assert all(type(jrow[k]) is float for k in KEYS)
    assert softent.report(z, sets, centres=r.bins.centres).to_dict()["bins"]["seed"] is None


def test_to_pandas(data, monkeypatch):
    pd = pytest.importorskip("pandas")
    z, sets = data
    df = softent.report(z, sets, n_bins=30).to_pandas()
    assert isinstance(df, pd.DataFrame)
    assert list(df["label_set"]) == list(sets)
    assert {"label_set", "n_rows", "n_labels", *KEYS} <= set(df.columns)
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    with pytest.raises(ImportError, match=r"to_pandas needs pandas \(pip install pandas\)"):
        softent.report(z, sets, n_bins=30).to_pandas()


def test_format_table(data):
    z, sets = data
    r = softent.report(z, sets, n_bins=30)
    text = r.format_table()
    assert str(r) == text
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("label set"))
    assert lines[header].split()[:5] == ["label", "set", "rows", "labels", "H(Z)"]
    body = lines[header + 2 :]
    assert [line.split()[0] for line in body] == list(sets)
    assert body[0].split()[3] == f"{r.rows[0]['entropy']:.4f}"
    assert len({len(line) for line in lines[header : header + 2]}) == 1  # header and rule line up
    assert f"fingerprint {r.bins.fingerprint()[:12]}" in text
    assert "Report(label_sets=['cls', 'noise', 'pos', 'word']" in repr(r)


def test_repr_is_one_short_line_without_arrays():
    """A report of many rows (internal dims x label sets, bootstrap intervals) prints as a
    short line: the rows and the bins' centres are not dumped."""
    rng = np.random.default_rng(5)
    acc = Accumulator(n_bins=64, dim=16, seed=0, bootstrap=3, bootstrap_seed=1)
    acc.update(
        rng.normal(size=(400, 4, 16)), {"a": rng.integers(0, 50, 400), "b": rng.integers(0, 3, 400)}
    )
    r = softent.report(acc)
    assert len(r.rows) == 8
    text = repr(r)
    assert "\n" not in text
    assert len(text) < 200
    assert "[[" not in text
    assert "array(" not in text
    assert "_ci" not in text
    assert repr(acc).startswith("Accumulator(n_bins=64, dim=16")
    assert len(repr(acc)) < 300
    assert "array(" not in repr(acc)


# ----------------------------------------------------------------------------- bootstrap


def test_intervals_are_percentiles_of_the_replicates(data):
    z, sets = data
    z, cls, noise = z[:300], sets["cls"][:300], sets["noise"][:300]
    r = softent.report(
        z,
        {"cls": cls, "noise": noise},
        n_bins=20,
        bootstrap=40,
        bootstrap_seed=3,
        confidence=0.8,
        input_set="noise",
        output_set="cls",
        interval="percentile",
    )
    # independently: the kernel's resampling weights (tests/reference/bootstrap.py re-implements the
    # counter-based draw), weighted soft histograms from the definition, np.percentile
    q = assignments(z, r.bins.centres, "cosine", r.bins.temperature)
    w = poisson_weights(3, len(z), 40)
    ent, mi = {"cls": [], "noise": []}, {"cls": [], "noise": []}
    for wr in w:
        for name, lab in (("cls", cls), ("noise", noise)):
            p = (wr @ q) / wr.sum()
            h = -(p * np.log(p)).sum()
            hc = 0.0
            for v in np.unique(lab):
                m = wr * (lab == v)
                if m.sum() > 0:
                    pk = (m @ q) / m.sum()
                    hc += m.sum() / wr.sum() * -(pk * np.log(pk)).sum()
            ent[name].append(h)
            mi[name].append(h - hc)
    for row in r.rows:
        name = row["label_set"]
        assert row["entropy_ci"] == pytest.approx(
            list(np.percentile(ent[name], [10, 90])), rel=1e-9
        )
        assert row["mutual_information_ci"] == pytest.approx(
            list(np.percentile(mi[name], [10, 90])), rel=1e-9
        )
        assert row["mutual_information_se"] == pytest.approx(np.std(mi[name], ddof=1), rel=1e-9)
        assert row["mutual_information_bias"] == pytest.approx(
            np.mean(mi[name]) - row["mutual_information"], rel=1e-6
        )
        opt = np.array(mi["cls"]) / np.array(mi["noise"])
        assert row["optimality_ci"] == pytest.approx(list(np.percentile(opt, [10, 90])), rel=1e-9)


def _assert_rows_equal(got: list, want: list, rtol: float) -> None:
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert a.keys() == b.keys()
        for key, va in a.items():
            if isinstance(va, (float, list)) and not isinstance(b[key], (str, tuple)):
                np.testing.assert_allclose(
                    np.asarray(va, float), np.asarray(b[key], float), rtol=rtol, err_msg=key
                )
            else:
                assert va == b[key], key


def test_a_bootstrapped_accumulator_reports_the_intervals_of_the_array(data):
    z, sets = data
    acc = Accumulator(n_bins=20, dim=z.shape[1], seed=2, bootstrap=30, bootstrap_seed=6)
    rng = np.random.default_rng(0)
    cuts = np.sort(rng.choice(np.arange(1, len(z)), 12, replace=False))
    for part in np.split(np.arange(len(z)), cuts):  # uneven chunks, as a data loader would give
        acc.update(z[part], {k: v[part] for k, v in sets.items()})
    a = softent.report(
        z,
        sets,
        n_bins=20,
        seed=2,
        bootstrap=30,
        bootstrap_seed=6,
        confidence=0.9,
        input_set="cls",
        output_set="pos",
    )
    s = softent.report(acc, confidence=0.9, input_set="cls", output_set="pos")
    assert "mutual_information_ci" in s.rows[0]
    assert "optimality_se" in s.rows[0]
    _assert_rows_equal(s.rows, a.rows, 1e-9)
    assert (
        s.to_dict()["bootstrap"]
        == a.to_dict()["bootstrap"]
        == {
            "n_resamples": 30,
            "confidence": 0.9,
            "seed": 6,
            "method": "poisson",
            "interval": "basic",
        }
    )
    assert (
        "90% basic (bias-corrected) intervals over 30 Poisson bootstrap resamples"
        in s.format_table()
    )
    # bootstrap = R and the accumulator's own seed are accepted too
    _assert_rows_equal(
        softent.report(acc, "cls", bootstrap=30, bootstrap_seed=6).rows,
        softent.report(
            z, {"cls": sets["cls"]}, n_bins=20, seed=2, bootstrap=30, bootstrap_seed=6
        ).rows,
        1e-9,
    )
    # without label sets: the entropy of every row
    plain = Accumulator(n_bins=20, dim=z.shape[1], seed=2, bootstrap=30, bootstrap_seed=6)
    _assert_rows_equal(
        softent.report(_stream(plain, z, {})).rows,
        softent.report(z, n_bins=20, seed=2, bootstrap=30, bootstrap_seed=6).rows,
        1e-9,
    )


def test_a_bootstrapped_accumulator_with_internal_dimensions(data):
    z, sets = data
    zl = np.stack([z, z[:, ::-1] * 0.3 + 1.0], axis=1)  # [N, 2, D]
    two = {"cls": sets["cls"], "pos": sets["pos"]}
    acc = _stream(
        Accumulator(n_bins=16, dim=z.shape[1], temperature=0.2, bootstrap=25, bootstrap_seed=1),
        zl,
        two,
    )
    r = softent.report(acc, input_set="cls", output_set="pos")
    for i in (0, 1):
        ref = softent.report(
            np.ascontiguousarray(zl[:, i]),
            two,
            centres=acc.centres,
            temperature=0.2,
            bootstrap=25,
            bootstrap_seed=1,
            input_set="cls",
            output_set="pos",
        )
        mine = [
            {k: v for k, v in row.items() if k != "index"} for row in r.rows if row["index"] == (i,)
        ]
        _assert_rows_equal(mine, ref.rows, 1e-9)


def test_merged_workers_report_intervals_from_both():
    rng = np.random.default_rng(5)
    z = rng.normal(size=(400, 6))
    y = (z[:, 0] > 0).astype(int)
    work = [
        Accumulator(n_bins=12, dim=6, bootstrap=40, bootstrap_seed=100 + rank) for rank in range(2)
    ]
    work[0].update(z[:200], y[:200])
    work[1].update(z[200:], y[200:])
    alone = softent.report(work[0]).rows[0]
    merged = softent.report(work[0].merge(work[1])).rows[0]
    assert (
        merged["mutual_information_ci"][0]
        <= merged["mutual_information"]
        <= merged["mutual_information_ci"][1]
    )
    # twice the rows: a narrower spread than one worker's
    assert merged["mutual_information_se"] < alone["mutual_information_se"]


def test_bias_of_an_unrelated_label_is_positive_and_reported():
    """Resampled plug-in MI of a label independent of z is biased upward: the report shows
    it (bias > 0) so the bias-corrected estimate (estimate - bias) can be read off."""
    rng = np.random.default_rng(4)
    z = rng.normal(size=(400, 5))
    r = softent.report(z, {"noise": rng.integers(0, 8, 400)}, n_bins=20, bootstrap=100)
    row = r.rows[0]
    assert row["mutual_information_bias"] > 0
    assert row["mutual_information_se"] > 0


def test_bootstrap_with_token_style_labels_runs_in_bounded_passes(monkeypatch):
    """R x K x B above one pass's budget: the replicates come in several kernel passes and
    give the intervals of a single pass."""
    import softent.soft.bootstrap as boot_mod

    rng = np.random.default_rng(3)
    z = rng.normal(size=(3000, 8))
    tokens = rng.integers(0, 1500, 3000)
    one = softent.report(z, {"token": tokens}, n_bins=16, bootstrap=30, bootstrap_seed=4)
    monkeypatch.setattr(boot_mod, "PASS_BOOTSTRAP_BYTES", 4 * 1501 * 16 * 8)  # 3 replicates a pass
    passes = []
    real_accumulate = boot_mod.accumulate

    def counting(*args, **kwargs):
        passes.append(kwargs.get("replicates"))
        return real_accumulate(*args, **kwargs)

    monkeypatch.setattr(boot_mod, "accumulate", counting)
    many = softent.report(z, {"token": tokens}, n_bins=16, bootstrap=30, bootstrap_seed=4)
    assert passes == [3] * 10
    for key in ("entropy", "mutual_information", "disentanglement"):
        assert many.rows[0][f"{key}_ci"] == pytest.approx(one.rows[0][f"{key}_ci"], rel=1e-10), key


def test_intervals_contain_the_estimate_and_shrink_with_n():
    rng = np.random.default_rng(8)
    d, k = 6, 4
    means = rng.normal(0, 1.5, (k, d))

    def run(n):
        lab = rng.integers(0, k, n)
        z = means[lab] + rng.normal(size=(n, d))
        return softent.report(z, {"y": lab}, n_bins=20, seed=1, bootstrap=200, bootstrap_seed=n)

    small, large = run(150), run(2400)
    for key in KEYS:
        lo, hi = large.rows[0][f"{key}_ci"]
        assert lo <= large.rows[0][key] <= hi, key
        lo_s, hi_s = small.rows[0][f"{key}_ci"]
        assert lo_s <= small.rows[0][key] <= hi_s, key
        assert 0 < hi - lo < 0.5 * (hi_s - lo_s), key  # ~1/sqrt(16) of the width expected


def test_bootstrap_is_reproducible_and_reported(data):
    z, sets = data
    kw = {"n_bins": 20, "bootstrap": 25}
    a = softent.report(z, sets, bootstrap_seed=1, **kw)
    b = softent.report(z, sets, bootstrap_seed=1, **kw)
    c = softent.report(z, sets, bootstrap_seed=2, **kw)
    for ra, rb, rc in zip(a.rows, b.rows, c.rows, strict=True):
        for key in KEYS:  # equal up to the order OpenMP adds rows in
            assert rb[f"{key}_ci"] == pytest.approx(ra[f"{key}_ci"], rel=1e-12), key
            assert rc[key] == pytest.approx(ra[key], rel=1e-12), (
                key
            )  # the point estimate is not resampled
    assert a.rows[0]["entropy_ci"] != pytest.approx(c.rows[0]["entropy_ci"], rel=1e-6)
    d = a.to_dict()
    assert d["bootstrap"] == {
        "n_resamples": 25,
        "confidence": 0.95,
        "seed": 1,
        "method": "poisson",
        "interval": "basic",
    }
    json.dumps(d, allow_nan=False)
    assert all(f"{k}_ci" in row for row in a.rows for k in KEYS)
    assert "n_rows_ci" not in a.rows[0]
    if _has_pandas():
        df = a.to_pandas()
        assert {"entropy_lo", "entropy_hi"} <= set(df.columns)
        assert list(df["entropy_lo"]) == [row["entropy_ci"][0] for row in a.rows]
    lines = a.format_table().splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("cls"))
    assert lines[first + 1].strip().startswith("[")  # intervals on the line below the values
    assert (
        "95% basic (bias-corrected) intervals over 25 Poisson bootstrap resamples"
        in a.format_table()
    )


def _has_pandas() -> bool:
    try:
        import pandas  # noqa: F401
    except ImportError:
        return False
    return True


def test_a_label_missing_from_a_replicate_is_left_out():
    rng = np.random.default_rng(9)
    z = rng.normal(size=(120, 5))
    lab = (z[:, 0] > 0).astype(int)
    lab[0] = 7  # one row: absent (weight 0) from about e^-1 of the replicates
    r = softent.report(z, lab, n_bins=15, bootstrap=30)
    assert (poisson_weights(0, 120, 30)[:, 0] == 0).any()
    for key in KEYS:
        assert all(math.isfinite(x) for x in r.rows[0][f"{key}_ci"]), key


# ----------------------------------------------------------------------------- bad input


def _err(kind, arg, call):
    with pytest.raises(kind, match=rf"^softent\.report: {arg} must be ") as info:
        call()
    return str(info.value)


def test_bad_arrays_name_the_argument(data):
    z, sets = data
    _err(ValueError, "source", lambda: softent.report(z[None], sets))
    _err(TypeError, "source", lambda: softent.report(z.astype(int), sets))
    bad = z.copy()
    bad[13, 2] = np.nan
    assert "NaN/Inf in row 13" in _err(ValueError, "source", lambda: softent.report(bad, sets))
    assert "got shape (699,)" in _err(
        ValueError, r"label_sets\['cls'\]", lambda: softent.report(z, {"cls": sets["cls"][1:]})
    )
    _err(ValueError, "label_sets", lambda: softent.report(z, sets["cls"][:5]))
    _err(TypeError, r"label_sets\['f'\]", lambda: softent.report(z, {"f": z[:, 0]}))
    _err(
        ValueError,
        "ignore_index",
        lambda: softent.report(z, {"m": np.full(len(z), -1)}, ignore_index=-1),
    )
    _err(TypeError, "label_sets", lambda: softent.report(z, "cls"))
    _err(TypeError, "label_sets", lambda: softent.report(z, {"": sets["cls"]}))
    _err(ValueError, "label_sets", lambda: softent.report(z, {}))


def test_bad_options_name_the_argument(data):
    z, sets = data
    _err(ValueError, "output_set", lambda: softent.report(z, sets, input_set="cls"))
    _err(ValueError, "input_set", lambda: softent.report(z, sets, output_set="cls"))
    _err(
        ValueError, "input_set", lambda: softent.report(z, sets, input_set="nope", output_set="cls")
    )
    _err(ValueError, "bootstrap", lambda: softent.report(z, sets, bootstrap=-1))
    _err(TypeError, "bootstrap", lambda: softent.report(z, sets, bootstrap=1.5))
    _err(ValueError, "confidence", lambda: softent.report(z, sets, confidence=1.0))
    _err(TypeError, "bootstrap_seed", lambda: softent.report(z, sets, bootstrap_seed="x"))
    _err(ValueError, "base", lambda: softent.report(z, sets, base=1))
    _err(ValueError, "weighting", lambda: softent.report(z, sets, weighting="x"))
    _err(ValueError, "metric", lambda: softent.report(z, sets, metric="manhattan"))
    _err(ValueError, "num_threads", lambda: softent.report(z, sets, num_threads=0))


def test_bad_accumulator_use_names_the_argument(data):
    z, sets = data
    acc = _stream(Accumulator(n_bins=20, dim=z.shape[1]), z, {"cls": sets["cls"]})
    msg = _err(ValueError, "bootstrap", lambda: softent.report(acc, bootstrap=10))
    assert "its rows are gone" in msg
    assert "Accumulator(..., bootstrap=R)" in msg
    boot = _stream(
        Accumulator(n_bins=20, dim=z.shape[1], bootstrap=5, bootstrap_seed=3),
        z,
        {"cls": sets["cls"]},
    )
    assert "0 or 5" in _err(ValueError, "bootstrap", lambda: softent.report(boot, bootstrap=10))
    assert "0 or 3" in _err(
        ValueError, "bootstrap_seed", lambda: softent.report(boot, bootstrap_seed=4)
    )
    _err(ValueError, "centres", lambda: softent.report(acc, centres=acc.centres))
    _err(ValueError, "n_bins", lambda: softent.report(acc, n_bins=20))
    _err(ValueError, "temperature", lambda: softent.report(acc, temperature=0.1))
    _err(TypeError, "label_sets", lambda: softent.report(acc, sets["cls"]))
    _err(ValueError, "label_sets", lambda: softent.report(acc, ["cls", "nope"]))
    _err(ValueError, "source", lambda: softent.report(Accumulator(n_bins=20, dim=3)))
    masked = Accumulator(n_bins=20, dim=z.shape[1], label_sets=["a", "b"])
    masked.update(z, {"a": sets["cls"]})  # 'b' declared, never labelled
    _err(ValueError, "label_sets", lambda: softent.report(masked))


def test_exported_from_the_package():
    assert softent.report.__module__ == "softent.soft.report"  # the function, not a module
    assert softent.Report is Report
    assert {"report", "Report"} <= set(softent.__all__)
