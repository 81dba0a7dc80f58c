"""``softent analyze`` exposes the statistics layer: ``--permutations R`` (the permutation
null, streamed with the chunks), ``--interval basic|percentile`` and bin-centre seed
averaging (``--seeds S ...`` / ``--n-seeds K``); the printed tables and report.json carry
the columns ``softent.report`` gives (E[I null], p, I-E[null], seed mean/spread), equal to
``softent.report`` / a streamed ``softent.Accumulator`` on the same rows; bad values are
one-line errors with the CLI's exit statuses."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import softent
from cases import one_line_error, run_cli

N, D, B = 600, 8, 16
STATS = ("mi_null_mean", "mi_null_std", "mi_null_q95", "mi_pvalue", "mi_corrected")


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> tuple[Path, Path, Path, np.ndarray, dict[str, np.ndarray]]:
    """(acts.npy, y.npy, noise.npy, z, labels): y carries information about z, noise none."""
    folder = tmp_path_factory.mktemp("cli_stats")
    rng = np.random.default_rng(11)
    y = rng.integers(0, 4, N)
    z = rng.normal(size=(N, D))
    z[:, :4] += 2.0 * np.eye(4)[y]
    noise = rng.integers(0, 3, N)
    np.save(folder / "acts.npy", z)
    np.save(folder / "y.npy", y)
    np.save(folder / "noise.npy", noise)
    return folder / "acts.npy", folder / "y.npy", folder / "noise.npy", z, {"y": y, "noise": noise}


def _rows(out: str, array: int = 0) -> dict[str, dict]:
    return {r["label_set"]: r for r in json.loads(out)["arrays"][array]["report"]["rows"]}


def _assert_rows_equal(got: dict[str, dict], want: softent.Report, keys) -> None:
    for row in want.rows:
        mine = got[row["label_set"]]
        for key in keys:
            assert mine[key] == pytest.approx(row[key], abs=1e-10, rel=0), (row["label_set"], key)


def test_permutations_in_one_chunk_are_softent_report_permutations(capsys, files):
    acts, y, noise, z, labels = files
    code, out, err = run_cli(
        capsys,
        "analyze", acts, "--labels", y, noise, "--bins", B, "--json",
        "--permutations", 29, "--permutation-seed", 4, "--chunk-rows", N,
    )  # fmt: skip
    assert code == 0, err
    want = softent.report(z, labels, n_bins=B, permutations=29, permutation_seed=4)
    got = _rows(out)
    _assert_rows_equal(got, want, ("mutual_information", *STATS))
    assert got["y"]["mi_pvalue"] == pytest.approx(1 / 30)  # the signal beats every shuffle
    assert got["noise"]["mi_pvalue"] > 0.05
    doc = json.loads(out)
    assert doc["settings"]["permutations"] == 29
    assert doc["settings"]["permutation_seed"] == 4
    assert doc["arrays"][0]["report"]["permutations"] == {"n_permutations": 29, "seed": 4}


def test_streamed_permutations_are_the_accumulators_and_the_table_shows_them(capsys, files):
    acts, y, noise, z, labels = files
    code, out, err = run_cli(
        capsys,
        "analyze", acts, "--labels", y, noise, "--bins", B,
        "--permutations", 19, "--chunk-rows", 128, "--out", acts.parent / "perm_out", "--no-plots",
    )  # fmt: skip
    assert code == 0, err
    # each 128-row chunk is permuted within itself: the Accumulator's streaming rule
    acc = softent.Accumulator(n_bins=B, dim=D, permutations=19)
    for a in range(0, N, 128):
        acc.update(z[a : a + 128], {k: v[a : a + 128] for k, v in labels.items()})
    want = softent.report(acc, ["y", "noise"])
    doc = json.loads((acts.parent / "perm_out" / "report.json").read_text())
    _assert_rows_equal({r["label_set"]: r for r in doc["arrays"][0]["report"]["rows"]}, want, STATS)
    # the printed table has the null columns and their legend
    for text in ("E[I null]", "I-E[null]", "label permutations (seed 0)"):
        assert text in out
    header = next(line for line in out.splitlines() if line.startswith("label set"))
    assert re.search(r"E\[I null\]\s+p\s+I-E\[null\]", header), header


def test_interval_kind_reaches_the_report(capsys, files):
    acts, y, _noise, z, labels = files
    for kind in ("percentile", "basic"):
        code, out, err = run_cli(
            capsys,
            "analyze", acts, "--labels", y, "--bins", B, "--json",
            "--bootstrap", 15, "--bootstrap-seed", 2, "--interval", kind,
        )  # fmt: skip
        assert code == 0, err
        want = softent.report(
            z, {"y": labels["y"]}, n_bins=B, bootstrap=15, bootstrap_seed=2, interval=kind
        )
        got = _rows(out)
        for key in ("entropy", "mutual_information"):
            assert got["y"][f"{key}_ci"] == pytest.approx(
                want.rows[0][f"{key}_ci"], abs=1e-10, rel=0
            )
        doc = json.loads(out)
        assert doc["settings"]["interval"] == kind
        assert doc["arrays"][0]["report"]["bootstrap"]["interval"] == kind
    # percentile and basic differ: the option is not ignored
    code, pct, _ = run_cli(
        capsys, "analyze", acts, "--labels", y, "--bins", B, "--json", "--bootstrap", 15,
        "--interval", "percentile",
    )  # fmt: skip
    code, basic, _ = run_cli(
        capsys, "analyze", acts, "--labels", y, "--bins", B, "--json", "--bootstrap", 15
    )
    assert _rows(pct)["y"]["mutual_information_ci"] != _rows(basic)["y"]["mutual_information_ci"]


@pytest.mark.parametrize(
    ("argv", "kw"),
    [
        (["--n-seeds", 3, "--seed", 5], {"n_seeds": 3, "seed": 5}),
        (["--seeds", 9, 2], {"seeds": [9, 2]}),
        (["--n-seeds", 2, "--metric", "euclidean"], {"n_seeds": 2, "metric": "euclidean"}),
    ],
)
def test_seed_spread_equals_softent_report_seeds(capsys, files, argv, kw):
    acts, y, noise, z, labels = files
    code, out, err = run_cli(
        capsys, "analyze", acts, "--labels", y, noise, "--bins", B, "--json",
        "--permutations", 9, "--chunk-rows", N, *argv,
    )  # fmt: skip
    assert code == 0, err
    want = softent.report(z, labels, n_bins=B, permutations=9, **kw)
    keys = [
        f"{k}_seed_{s}"
        for k in ("entropy", "conditional_entropy", "mutual_information", "mi_corrected")
        for s in ("mean", "sd")
    ]
    got = _rows(out)
    _assert_rows_equal(got, want, ("mutual_information", *STATS, *keys))
    assert got["y"]["mutual_information_seed_sd"] > 0  # the seeds drew different centres
    doc = json.loads(out)
    seeds = list(want.seeds)
    assert doc["settings"]["seeds"] == seeds
    assert doc["arrays"][0]["report"]["seeds"] == seeds
    assert doc["arrays"][0]["report"]["bins"]["seed"] == seeds[0]
    # the first seed's numbers are the single-seed run's
    code, single, _ = run_cli(
        capsys, "analyze", acts, "--labels", y, noise, "--bins", B, "--json",
        "--seed", seeds[0], *[a for a in argv if a == "euclidean" or a == "--metric"],
    )  # fmt: skip
    assert _rows(single)["y"]["mutual_information"] == pytest.approx(
        got["y"]["mutual_information"], abs=1e-12
    )


def test_seeds_print_their_columns_and_the_layer_summary_carries_the_statistics(capsys, tmp_path):
    rng = np.random.default_rng(5)
    y = rng.integers(0, 3, 300)
    z = rng.normal(size=(300, 3, 6))
    z[:, 1, :3] += 2.5 * np.eye(3)[y]  # only layer 1 knows the label
    np.save(tmp_path / "layers.npy", z)
    np.save(tmp_path / "y.npy", y)
    code, out, err = run_cli(
        capsys, "analyze", tmp_path / "layers.npy", "--labels", tmp_path / "y.npy",
        "--bins", 12, "--permutations", 19, "--n-seeds", 2,
    )  # fmt: skip
    assert code == 0, err
    assert "I seeds mean" in out
    assert "over 2 bin-centre seeds [0, 1]" in out
    summary = out[out.index("layers x label sets") :].splitlines()
    assert summary[1].split() == [
        "layer", "rows", "H", "I(Z;y)", "I-E[null](Z;y)", "p(Z;y)", "I-seeds-sd(Z;y)",
    ]  # fmt: skip
    p = {int(line.split()[0]): float(line.split()[5]) for line in summary[3:6]}
    assert p[1] == pytest.approx(1 / 20)
    code, out, err = run_cli(
        capsys, "analyze", tmp_path / "layers.npy", "--labels", tmp_path / "y.npy",
        "--bins", 12, "--permutations", 19, "--n-seeds", 2, "--json",
    )  # fmt: skip
    layers = json.loads(out)["layers"]["layers"]
    assert [set(row) for row in layers] == [
        {"layer", "rows", "H", "I(Z;y)", "I-E[null](Z;y)", "p(Z;y)", "I-seeds-sd(Z;y)"}
    ] * 3
    for j, row in enumerate(layers):
        rep = softent.report(z[:, j], {"y": y}, n_bins=12, permutations=19, n_seeds=2)
        assert row["I-E[null](Z;y)"] == pytest.approx(rep.rows[0]["mi_corrected"], abs=1e-10)


@pytest.mark.parametrize(
    ("argv", "status", "message"),
    [
        (["--permutations", 0], 2, "argument --permutations: must be an integer >= 1, got '0'"),
        (["--permutations", -3], 2, "argument --permutations: must be an integer >= 1"),
        (["--permutations", "many"], 2, "argument --permutations: must be an integer >= 1"),
        (["--permutation-seed", -1], 2, "argument --permutation-seed: must be an integer >= 0"),
        (["--interval", "bca"], 2, "argument --interval: invalid choice: 'bca'"),
        (["--n-seeds", 0], 2, "argument --n-seeds: must be an integer >= 1"),
        (["--seeds"], 2, "argument --seeds: expected at least one argument"),
        (["--seeds", 1, "--n-seeds", 2], 2, "argument --n-seeds: not allowed with argument"),
        (["--seeds", 3, 3], 1, "--seeds must be distinct, got 3 3"),
        (["--n-seeds", 10_001], 1, "--n-seeds must be at most 10000"),
        (["--seeds", 1, 2, "--centres", "CENTRES"], 1, "--seeds/--n-seeds draw the bin centres"),
        (["--estimator", "knn", "--interval", "percentile"], 1, "--interval apply to"),
        (["--estimator", "knn", "--n-seeds", 2], 1, "--seeds/--n-seeds apply to"),
        (
            ["--permutations", 2**30],
            1,
            "softent.Accumulator: permutations must be small enough to fit",
        ),
    ],
)
def test_bad_values_are_one_line_errors(capsys, files, argv, status, message):
    acts, y, _noise, _z, _labels = files
    centres = acts.parent / "centres.npy"
    np.save(centres, np.random.default_rng(0).normal(size=(B, D)))
    argv = [centres if a == "CENTRES" else a for a in argv]
    code, out, err = run_cli(capsys, "analyze", acts, "--labels", y, "--bins", B, *argv)
    assert code == status, err
    assert out == ""
    assert message in one_line_error(err, "softent analyze: error: ")


def test_permutations_without_labels_are_refused(capsys, files):
    acts = files[0]
    code, out, err = run_cli(capsys, "analyze", acts, "--bins", B, "--permutations", 9)
    assert code == 1
    assert "--permutations needs --labels" in one_line_error(err, "softent analyze: error: ")
    assert out == ""


def test_knn_permutations_take_the_permutation_seed(capsys, files):
    acts, y, _noise, z, labels = files
    code, out, err = run_cli(
        capsys, "analyze", acts, "--labels", y, "--estimator", "knn", "--json",
        "--permutations", 9, "--permutation-seed", 6,
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert doc["settings"]["seed"] == 6
    want = softent.knn.permutation_test(z, labels["y"], n_permutations=9, seed=6, discrete_y=True)
    assert doc["arrays"][0]["knn"]["y"]["p_value"] == pytest.approx(want.p_value)
