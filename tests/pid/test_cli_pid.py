"""``softent pid``: the numbers equal softent.pid.layer_complexity on the same rows (-1
labels left out, as ``softent analyze`` masks them), every activation/label format the
analyze loaders read, neuron groups, units, JSON, and one-line errors."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
import softent.pid as P
from cases import one_line_error, run_cli


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(11)
    n, d, k = 2001, 8, 6
    y = rng.integers(0, k, n)
    w = rng.normal(0, 1.2, (k, d))
    z = np.tanh(w[y] + rng.normal(0, 0.8, (n, d))).astype(np.float32)
    y_masked = y.copy()
    y_masked[[3, 50, 700]] = -1  # left out with --ignore-index -1 (IGNORE)
    return z, y_masked


IGNORE = ["--ignore-index", "-1"]


def same(doc_result, res, tol=1e-12):
    assert doc_result["complexity"] == pytest.approx(res.complexity, abs=tol)
    assert doc_result["mutual_information"] == pytest.approx(res.mutual_information, abs=tol)
    for name, v in res.as_dict()["atoms"].items():
        assert doc_result["atoms"][name] == pytest.approx(v, abs=tol)
    assert doc_result["redundancy_degree"] == pytest.approx(res.redundancy_degree, abs=tol)
    assert doc_result["vulnerability_degree"] == pytest.approx(res.vulnerability_degree, abs=tol)


def test_help(capsys):
    code, out, err = run_cli(capsys, "pid", "--help")
    assert code == 0
    assert out.startswith("usage: softent pid")
    assert "--neurons" in out
    assert err == ""


def test_npy_json_equals_layer_complexity_on_the_unmasked_rows(capsys, tmp_path, data):
    z, y = data
    np.save(tmp_path / "acts.npy", z)
    np.save(tmp_path / "y.npy", y)
    code, out, err = run_cli(
        capsys, "pid", tmp_path / "acts.npy", "--labels", tmp_path / "y.npy",
        "--neurons", "0,3,5", "--json", *IGNORE,
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    keep = y != -1
    want = P.layer_complexity(z[keep], y[keep], neurons=[0, 3, 5])
    (r,) = doc["results"]
    same(r, want)
    assert r["neurons"] == [[0], [3], [5]]
    assert r["n_samples"] == int(keep.sum())
    assert doc["labels"]["masked_rows"] == 3
    assert r["unit"] == "nats"


def test_table_output_groups_bits_and_options(capsys, tmp_path, data):
    z, y = data
    np.save(tmp_path / "acts.npy", z)
    (tmp_path / "y.txt").write_text("\n".join(map(str, y)) + "\n")
    argv = ["pid", tmp_path / "acts.npy", "--labels", tmp_path / "y.txt", "--neurons", "6+1,2"]
    argv += IGNORE
    code, out, err = run_cli(capsys, *argv, "--bits", "--levels", "4")
    assert code == 0, err
    keep = y != -1
    want = P.layer_complexity(z[keep], y[keep], neurons=[[6, 1], 2], levels=4, base=2)
    assert "neurons 6+1, 2;" in out
    assert f"complexity C          {want.complexity:.6g}" in out
    assert f"I(T:S)                {want.mutual_information:.6g} bits" in out
    assert "{1}{2}" in out
    assert "3 rows with label -1 left out" in out
    code, out2, _ = run_cli(capsys, *argv, "--base", "2", "--levels", "4")
    assert code == 0
    assert out2.split("(")[0] == out.split("(")[0]  # identical up to the timing line
    code, out, err = run_cli(capsys, *argv, "--quantiser", "quantile", "--levels", "3", "--json")
    assert code == 0, err
    same(
        json.loads(out)["results"][0],
        P.layer_complexity(z[keep], y[keep], neurons=[[6, 1], 2], quantiser="quantile", levels=3),
    )
    code, out, err = run_cli(
        capsys, *argv, "--limits=-0.5,0.5", "--clip", "--measure", "sx", "--threads", "1", "--json"
    )
    assert code == 0, err
    same(
        json.loads(out)["results"][0],
        P.layer_complexity(
            z[keep], y[keep], neurons=[[6, 1], 2], limits=(-0.5, 0.5), out_of_range="clip"
        ),
    )


def test_npz_arrays_layers_key_and_csv_target(capsys, tmp_path, data):
    z, y = data
    stacked = np.stack([z, -z[:, ::-1]], axis=1)  # [N, 2, D]
    np.savez(tmp_path / "acts.npz", fc1=z[:, :4], both=stacked, ids=np.arange(len(z)))
    (tmp_path / "labels.csv").write_text(
        "cls,parity\n" + "\n".join(f"{a},{a % 2 if a >= 0 else -1}" for a in y) + "\n"
    )
    keep = y != -1
    argv = ["pid", tmp_path / "acts.npz", "--labels", tmp_path / "labels.csv", "--target", "cls"]
    argv += IGNORE
    code, out, err = run_cli(capsys, *argv, "--neurons", "0,1", "--json")
    assert code == 0, err
    doc = json.loads(out)
    names = [r["name"] for r in doc["results"]]
    assert names == ["fc1", "both[0]", "both[1]"]
    same(doc["results"][0], P.layer_complexity(z[keep, :4], y[keep], neurons=[0, 1]))
    same(doc["results"][2], P.layer_complexity(-z[keep, ::-1], y[keep], neurons=[0, 1]))
    assert any("ids" in s for s in doc["skipped_arrays"])
    code, out, err = run_cli(
        capsys, *argv, "--key", "both", "--layer", "1", "--neurons", "2,3", "--json"
    )
    assert code == 0, err
    (r,) = json.loads(out)["results"]
    assert r["name"] == "both[1]"
    same(r, P.layer_complexity(-z[keep, ::-1], y[keep], neurons=[2, 3]))
    code, out, err = run_cli(capsys, "pid", tmp_path / "acts.npz", "--key", "fc1",
                             "--labels", tmp_path / "labels.csv", "--target", "parity", "--json",
                             *IGNORE)  # fmt: skip
    assert code == 0, err
    par = np.where(y >= 0, y % 2, -1)
    same(json.loads(out)["results"][0], P.layer_complexity(z[keep, :4], par[keep]))


def test_pt_file(capsys, tmp_path, data):
    torch = pytest.importorskip("torch")
    z, y = data
    torch.save({"h": torch.from_numpy(z)}, tmp_path / "acts.pt")
    np.save(tmp_path / "y.npy", y)
    code, out, err = run_cli(
        capsys, "pid", tmp_path / "acts.pt", "--labels", tmp_path / "y.npy",
        "--neurons", "1,2", "--json", *IGNORE,
    )  # fmt: skip
    assert code == 0, err
    keep = y != -1
    same(json.loads(out)["results"][0], P.layer_complexity(z[keep], y[keep], neurons=[1, 2]))


def test_errors_are_one_line(capsys, tmp_path, data):
    z, y = data
    np.save(tmp_path / "acts.npy", z)
    np.save(tmp_path / "y.npy", y)
    np.save(tmp_path / "short.npy", y[:-1])
    np.save(tmp_path / "masked.npy", np.full(len(y), -1))
    bad = z.copy()
    bad[9, 2] = np.nan
    np.save(tmp_path / "nan.npy", bad)
    (tmp_path / "two.csv").write_text("a,b\n" + "\n".join("1,2" for _ in y) + "\n")
    acts, labels = tmp_path / "acts.npy", tmp_path / "y.npy"
    cases = [
        (["--labels", labels], 1, "has 8 columns: choose 1 to 5 sources with --neurons"),
        (["--labels", labels, "--neurons", "0,8"], 1, "column 8 is not in 0..7"),
        (["--labels", labels, "--neurons", "0,1+0"], 1, "each neuron may be in one source"),
        (["--labels", labels, "--neurons", "0,1,2,3,4,5"], 1, "1 to 5 sources, got 6"),
        (["--labels", labels, "--neurons", "a,b"], 2, "--neurons: must be comma-separated"),
        (["--labels", labels, "--neurons", "0", "--limits", "relu"], 2, "--limits: must be one of"),
        (["--labels", labels, "--neurons", "0", "--limits=1,0"], 2, "LO < HI"),
        (["--labels", labels, "--neurons", "0", "--base", "1"], 2, "--base: must be a number > 1"),
        (["--labels", labels, "--neurons", "0", "--levels", "1"], 1, "levels must be an int"),
        (["--labels", labels, "--neurons", "0", "--limits=0,0.5"], 1, "inside limits [0, 0.5]"),
        (
            ["--labels", tmp_path / "short.npy", "--neurons", "0"],
            1,
            "2000 labels for the 2001 rows",
        ),
        (
            ["--labels", tmp_path / "masked.npy", "--neurons", "0", *IGNORE],
            1,
            "every row is masked (--ignore-index -1)",
        ),
        (["--labels", tmp_path / "two.csv", "--neurons", "0"], 1, "holds 2 label sets (a, b)"),
        (
            ["--labels", tmp_path / "two.csv", "--target", "c", "--neurons", "0"],
            1,
            "'c' is not one",
        ),
        (["--labels", labels, "--neurons", "0", "--layer", "0"], 1, "--layer 0: array 'acts'"),
        (["--labels", tmp_path / "nope.npy", "--neurons", "0"], 1, "no such file"),
        ([], 2, "the following arguments are required: --labels"),
    ]
    for extra, want_code, message in cases:
        code, _, err = run_cli(capsys, "pid", acts, *extra)
        assert code == want_code, (extra, err)
        assert message in one_line_error(err, "softent pid: error: "), (extra, err)
    code, _, err = run_cli(
        capsys, "pid", tmp_path / "nan.npy", "--labels", labels, "--neurons", "1,2"
    )
    assert code == 1
    assert "has NaN/Inf in row 9 of the chosen neurons" in one_line_error(
        err, "softent pid: error: "
    )
    code, _, err = run_cli(
        capsys, "pid", tmp_path / "nan.npy", "--labels", labels, "--neurons", "0,1"
    )
    assert code == 0, err  # the NaN is in a column not chosen


def test_console_entry_point(tmp_path, data):
    z, y = data
    np.save(tmp_path / "acts.npy", z)
    np.save(tmp_path / "y.npy", y)
    proc = subprocess.run(
        [sys.executable, "-m", "softent.cli", "pid", str(tmp_path / "acts.npy"),
         "--labels", str(tmp_path / "y.npy"), "--neurons", "0,1,2,3", "--json"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)["results"][0]
    assert r["n_sources"] == 4
    assert math.isfinite(r["complexity"])
