"""``softent analyze --estimator knn``: the same activation and label files as the soft
estimator, the joint kNN I(Z; L) per label set — equal to softent.knn.information on the
same rows — in the text table, --json and --out report.json; layers of [N, L, D] arrays,
.npz keys, non-finite rows (refused or dropped), a permutation p-value, and one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from cases import run_cli
from softent.knn import information


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 240)
    z = (rng.normal(size=(240, 5)) + 1.5 * labels[:, None]).astype(np.float32)
    other = rng.integers(0, 2, 240)
    np.save(tmp_path / "acts.npy", z)
    np.save(tmp_path / "cls.npy", labels)
    (tmp_path / "noise.txt").write_text("\n".join(map(str, other)) + "\n")
    return tmp_path, z, labels, other


def test_json_equals_the_library(capsys, files):
    d, z, labels, other = files
    code, out, err = run_cli(
        capsys, "analyze", d / "acts.npy", "--labels", d / "cls.npy", d / "noise.txt",
        "--estimator", "knn", "--k", 4, "--json", "--threads", 1,
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert doc["settings"]["estimator"] == "knn"
    got = doc["arrays"][0]["knn"]
    want = information(z, labels, k=4)
    assert got["cls"]["value"] == pytest.approx(float(want.value), abs=1e-12)
    assert got["cls"]["estimator"] == "ross"
    assert got["cls"]["n"] == 240
    assert got["noise"]["value"] == pytest.approx(
        float(information(z, other, k=4).value), abs=1e-12
    )
    assert got["cls"]["value"] > 0.5 > abs(got["noise"]["value"])


def test_table_out_bits_and_permutations(capsys, files, tmp_path):
    d, z, labels, _ = files
    out_dir = tmp_path / "res"
    code, out, err = run_cli(
        capsys, "analyze", d / "acts.npy", "--labels", f"y={d / 'cls.npy'}", "--estimator",
        "knn", "--bits", "--permutations", 9, "--out", out_dir, "--knn-metric", "chebyshev",
    )  # fmt: skip
    assert code == 0, err
    assert "y" in out
    assert "bits, ross, k=3, chebyshev, N=240, 3 labels, p = 0.1" in out
    doc = json.loads((out_dir / "report.json").read_text())
    entry = doc["arrays"][0]["knn"]["y"]
    want = information(z, labels, metric="chebyshev", base=2)
    assert entry["value"] == pytest.approx(float(want.value), abs=1e-12)
    assert entry["p_value"] == pytest.approx(0.1)
    assert entry["unit"] == "bits"


def test_layers_npz_and_nonfinite_rows(capsys, tmp_path):
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 150)
    layers = rng.normal(size=(150, 2, 3)) + labels[:, None, None] * np.array([[0.0], [2.0]])
    layers[7, 0, 1] = np.nan
    np.savez(tmp_path / "acts.npz", hidden=layers, ids=np.arange(150))
    np.save(tmp_path / "y.npy", labels)
    args = ("analyze", tmp_path / "acts.npz", "--key", "hidden", "--labels", tmp_path / "y.npy",
            "--estimator", "knn", "--json")  # fmt: skip
    code, _, err = run_cli(capsys, *args)
    assert code == 1
    assert "row 7" in err
    assert "Traceback" not in err
    code, out, err = run_cli(capsys, *args, "--drop-nonfinite")
    assert code == 0, err
    arrays = json.loads(out)["arrays"]
    assert [a["layer"] for a in arrays] == [0, 1]
    for a in arrays:  # rows are dropped per layer: the NaN is in layer 0 only
        keep = np.isfinite(layers[:, a["layer"]]).all(axis=1)
        z = layers[keep, a["layer"]].astype(np.float64)
        assert a["n_dropped"] == (1 if a["layer"] == 0 else 0)
        assert a["knn"]["y"]["value"] == pytest.approx(
            float(information(z, labels[keep]).value), abs=1e-12
        )
    assert arrays[1]["knn"]["y"]["value"] > arrays[0]["knn"]["y"]["value"]


def test_errors_are_one_line(capsys, files):
    d, *_ = files
    code, _, err = run_cli(capsys, "analyze", d / "acts.npy", "--estimator", "knn")
    assert code == 1
    assert "needs --labels" in err
    code, _, err = run_cli(
        capsys, "analyze", d / "acts.npy", "--labels", d / "cls.npy", "--estimator", "knn",
        "--bootstrap", 5,
    )  # fmt: skip
    assert code == 1
    assert "--bootstrap apply to --estimator soft only" in err
    code, _, err = run_cli(
        capsys, "analyze", d / "acts.npy", "--labels", d / "cls.npy", "--estimator", "knn",
        "--k", 500,
    )  # fmt: skip
    assert code == 1
    assert "softent.knn.information: k must be" in err
