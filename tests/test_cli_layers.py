"""``softent analyze`` on layer stacks and with masking (issue 14 part B): --layer-axis
for [L, N, D] and [L, B, T, D], the layers x label-sets summary and curve, --ignore-index,
--zero-rows, ``--labels NAME=FILE.csv:COLUMN``; and ``import softent`` stays light."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import softent
from cases import run_cli


@pytest.fixture
def stack(tmp_path: Path):
    """(path of z [L=3, B=5, T=4, D=6] float32 .npy, labels [B*T] .npy path, z, labels)."""
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 3, 20)
    means = rng.normal(0, 2.0, (3, 6))
    z = np.stack([means[labels] * s + rng.normal(0, 1, (20, 6)) for s in (0.3, 1.0, 2.0)])
    z = z.reshape(3, 5, 4, 6).astype(np.float32)
    np.save(tmp_path / "z.npy", z)
    np.save(tmp_path / "y.npy", labels)
    return tmp_path / "z.npy", tmp_path / "y.npy", z, labels


def _api_mi(z: np.ndarray, labels: np.ndarray) -> list[float]:
    return [
        float(i.mutual_information)
        for i in softent.information(z, labels, n_bins=10, seed=3, layer_axis=0)
    ]


@pytest.mark.parametrize("shape", ["LBTD", "LND"])
def test_layer_axis_zero_equals_the_api_and_prints_one_summary(capsys, tmp_path, stack, shape):
    path, ypath, z, labels = stack
    if shape == "LND":
        z = z.reshape(3, 20, 6)
        path = tmp_path / "lnd.npy"
        np.save(path, z)
    out_dir = tmp_path / "out"
    code, out, err = run_cli(
        capsys,
        "analyze",
        path,
        "--labels",
        f"y={ypath}",
        "--layer-axis",
        0,
        "--bins",
        10,
        "--seed",
        3,
        "--out",
        out_dir,
        "--no-progress",
    )
    assert code == 0, err
    want = _api_mi(z, labels)
    doc = json.loads((out_dir / "report.json").read_text())
    got = [a["report"]["rows"][0]["mutual_information"] for a in doc["arrays"]]
    assert got == pytest.approx(want, rel=1e-5)
    assert [a["layer"] for a in doc["arrays"]] == [0, 1, 2]
    summary = doc["layers"][path.stem]
    assert [r["layer"] for r in summary] == [0, 1, 2]
    assert [r["I(Z;y)"] for r in summary] == pytest.approx(want, rel=1e-5)
    assert out.count("layers x label sets") == 1
    table = out.split("layers x label sets")[1].splitlines()
    assert table[1].split() == ["layer", "rows", "H", "I(Z;y)"]
    assert [line.split()[0] for line in table[3:6]] == ["0", "1", "2"]
    if importlib.util.find_spec("matplotlib") is not None:  # plots are optional
        assert (out_dir / f"layers_{path.stem}.png").exists()


def test_a_4d_stack_without_layer_axis_says_so(capsys, stack):
    path, ypath, _, _ = stack
    code, _, err = run_cli(capsys, "analyze", path, "--labels", ypath, "--no-progress")
    assert code == 1
    assert "needs --layer-axis" in err


def test_bad_layer_axis(capsys, stack):
    path, ypath, _, _ = stack
    code, _, err = run_cli(
        capsys, "analyze", path, "--labels", ypath, "--layer-axis", 3, "--no-progress"
    )
    assert code == 1
    assert "--layer-axis 3" in err
    assert "the layer axis must be one of its axes but the last" in err


def test_ignore_index_masks_and_minus_one_is_a_class(capsys, tmp_path):
    rng = np.random.default_rng(5)
    y = np.where(rng.random(300) < 0.5, 1, -1)
    z = (rng.normal(size=(300, 4)) + y[:, None]).astype(np.float64)
    np.save(tmp_path / "z.npy", z)
    np.save(tmp_path / "pm.npy", y)
    code, out, err = run_cli(
        capsys,
        "analyze",
        tmp_path / "z.npy",
        "--labels",
        tmp_path / "pm.npy",
        "--bins",
        10,
        "--json",
        "--no-progress",
    )
    assert code == 0, err
    row = json.loads(out)["arrays"][0]["report"]["rows"][0]
    assert row["n_rows"] == 300  # ±1 labels: every row kept
    want = softent.information(z, y, n_bins=10)
    assert row["mutual_information"] == pytest.approx(want.mutual_information, rel=1e-10)
    hf = y.copy()
    hf[::3] = -100
    np.save(tmp_path / "hf.npy", hf)
    code, out, err = run_cli(
        capsys,
        "analyze",
        tmp_path / "z.npy",
        "--labels",
        tmp_path / "hf.npy",
        "--ignore-index",
        -100,
        "--bins",
        10,
        "--json",
        "--no-progress",
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["settings"]["ignore_index"] == -100
    row = doc["arrays"][0]["report"]["rows"][0]
    keep = hf != -100
    assert row["n_rows"] == int(keep.sum())
    want = softent.information(z, hf, n_bins=10, ignore_index=-100)
    assert row["mutual_information"] == pytest.approx(want.mutual_information, rel=1e-10)


def test_zero_rows_raise_by_default_and_drop_counts(capsys, tmp_path):
    rng = np.random.default_rng(6)
    z = rng.normal(size=(100, 4))
    z[[7, 50]] = 0.0
    np.save(tmp_path / "z.npy", z)
    code, _, err = run_cli(capsys, "analyze", tmp_path / "z.npy", "--no-progress")
    assert code == 1
    assert "all-zero row (row 7)" in err
    assert "--zero-rows drop" in err
    assert "--zero-rows uniform" in err
    code, out, err = run_cli(
        capsys,
        "analyze",
        tmp_path / "z.npy",
        "--zero-rows",
        "drop",
        "--bins",
        10,
        "--json",
        "--no-progress",
    )
    assert code == 0, err
    arr = json.loads(out)["arrays"][0]
    assert arr["n_zero_rows_dropped"] == 2
    assert arr["n_rows"] == 98
    keep = np.ones(100, bool)
    keep[[7, 50]] = False
    want = softent.entropy(z[keep], n_bins=10)
    assert arr["report"]["rows"][0]["entropy"] == pytest.approx(want, rel=1e-10)


def test_labels_csv_column(capsys, tmp_path):
    rng = np.random.default_rng(7)
    z = rng.normal(size=(40, 3))
    np.save(tmp_path / "z.npy", z)
    a, b = np.arange(40) % 2, np.arange(40) % 5
    lines = ["a,b"] + [f"{x},{y}" for x, y in zip(a, b, strict=True)]
    (tmp_path / "l.csv").write_text("\n".join(lines) + "\n")
    code, out, err = run_cli(
        capsys,
        "analyze",
        tmp_path / "z.npy",
        "--labels",
        f"five={tmp_path / 'l.csv'}:b",
        "--bins",
        10,
        "--json",
        "--no-progress",
    )
    assert code == 0, err
    doc = json.loads(out)
    assert [s["name"] for s in doc["label_sets"]] == ["five"]
    row = doc["arrays"][0]["report"]["rows"][0]
    assert row["n_labels"] == 5
    assert row["mutual_information"] == pytest.approx(
        softent.mutual_information(z, b, n_bins=10), rel=1e-10
    )
    code, out, _ = run_cli(
        capsys,
        "analyze",
        tmp_path / "z.npy",
        "--labels",
        f"{tmp_path / 'l.csv'}:a",
        "--bins",
        10,
        "--json",
        "--no-progress",
    )
    assert code == 0
    assert [s["name"] for s in json.loads(out)["label_sets"]] == ["a"]
    code, _, err = run_cli(
        capsys,
        "analyze",
        tmp_path / "z.npy",
        "--labels",
        f"{tmp_path / 'l.csv'}:c",
        "--no-progress",
    )
    assert code == 1
    assert "has no column 'c' (columns: a, b)" in err


def test_import_softent_does_not_import_scipy_optimize():
    code = (
        "import sys, softent; "
        "print(','.join(m for m in ('scipy.optimize', 'scipy.integrate', 'scipy.special') "
        "if m in sys.modules))"
    )
    src = str(Path(softent.__file__).parents[1])
    res = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": src, "PATH": "/usr/bin:/bin"},
    )
    assert res.stdout.strip() == ""
    # and the root finder still works when first used
    assert softent.calibrate_temperature(3, 10) > 0


def test_pid_keeps_minus_one_labels_unless_asked(capsys, tmp_path):
    rng = np.random.default_rng(8)
    y = np.where(rng.random(400) < 0.5, 1, -1)
    z = np.tanh(rng.normal(size=(400, 3)) + y[:, None]).astype(np.float32)
    np.save(tmp_path / "z.npy", z)
    np.save(tmp_path / "pm.npy", y)
    argv = ["pid", tmp_path / "z.npy", "--labels", tmp_path / "pm.npy", "--neurons", "0,1"]
    code, out, err = run_cli(capsys, *argv, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["results"][0]["n_samples"] == 400
    assert doc["labels"]["masked_rows"] == 0
    code, out, err = run_cli(capsys, *argv, "--json", "--ignore-index", "-1")
    assert code == 0, err
    assert json.loads(out)["results"][0]["n_samples"] == int((y != -1).sum())
