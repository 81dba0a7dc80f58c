"""The PID family's comparisons (benchmarks/pid.py) as pytest-benchmark groups: SxPID of a
random pmf (softent against dit PID_SX and the reference sxpid where importable) and the
nninfo-like layer (softent's whole layer_complexity call, sxpid on nninfo's pmf). Every
candidate's atoms are checked against softent's. Plus the helpers of the extrapolation and
of the reference package's Möbius file, and the "3,000 PIDs" script end to end at a tiny
count.

Small sizes by default (CI smoke: ``pytest benchmarks --benchmark-disable``); the issue's
sizes with ``SOFTENT_BENCH_FULL=1``. ``python -m benchmarks --family pid`` prints the
table; ``python -m benchmarks.pid extrapolate`` the peers at the issue's sizes.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks import pid
from benchmarks._harness import env, peers
from benchmarks._harness.env import size

CASES = [
    ("SX-pmf", size((16, 3, 2), (4096, 3, 8))),
    ("SX-pmf", size((27, 2, 3), (1024, 4, 4))),
    ("SX-layer", size((3000, 3, 4), (60_000, 4, 10))),
]
PARAMS = [
    pytest.param(task, s, cand, id=f"{task}-{s[1]}-{s[2]}-{cand}")
    for task, s in CASES
    for cand in pid.TASKS[task].candidates
]


@pytest.mark.parametrize(("task", "sizes", "cand"), PARAMS)
def test_pid(benchmark, task, sizes, cand):
    need = pid.NEEDS.get(cand)
    if need and not peers.available(need):
        pytest.skip(f"{need} is not installed")
    if cand == "dit" and pid.estimate(cand, task, *sizes, {})[1] > 60:
        pytest.skip("dit would take minutes at this size")
    spec = {"task": task, "size": list(sizes), "seed": 0, "threads": env.THREADS}
    inputs = pid.load_inputs(spec)
    fn, _ = pid.candidate(cand, inputs)
    want, _ = pid.candidate("softent", inputs)
    benchmark.group = f"{task} N={sizes[0]} n={sizes[1]} B={sizes[2]}"
    got = benchmark(fn)
    assert got == pytest.approx(want(), abs=1e-10)


def test_atoms_sum_to_the_mutual_information_of_the_inputs():
    import softent.pid as P

    table = pid.random_pmf(2, 3)
    res = P.decompose(table)
    assert sum(res.atoms.values()) == pytest.approx(res.mutual_information, abs=1e-12)
    z, y = pid.layer_data(2000, 3, 4)
    codes = pid.layer_codes(z)
    assert codes.min() >= 0
    assert codes.max() <= pid.LEVELS - 1
    pdf = pid.nninfo_pdf(codes, y)
    assert sum(pdf.values()) == pytest.approx(1.0)
    assert pid.outcomes("SX-layer", 2000, 3, 4) == len(pdf)
    by_pmf = P.decompose(pdf)
    by_layer = P.layer_complexity(z, y, levels=pid.LEVELS)
    for node in by_pmf.nodes:
        assert by_layer.atoms[node] == pytest.approx(by_pmf.atoms[node], abs=1e-12)


def test_sxpid_moebius_file_inverts_the_zeta_matrix(tmp_path):
    import softent.pid as P

    # lattices.pkl's form: {n: {antichain: children}}, in an order of its own
    lattices = {}
    for n in (2, 3):
        nodes = list(P.lattice(n).nodes)
        order = np.random.default_rng(n).permutation(len(nodes))
        lattices[n] = {tuple(reversed(nodes[i])): [] for i in order}
    (tmp_path / "lattices.pkl").write_bytes(pickle.dumps(lattices))
    pid.sxpid_moebius(tmp_path / "lattices.pkl", tmp_path / "moebius.pkl")
    moebius = pickle.loads((tmp_path / "moebius.pkl").read_bytes())
    for n in (2, 3):
        achains, matrix = moebius[n]
        assert achains == list(lattices[n])
        lat = P.lattice(n)
        rng = np.random.default_rng(0)
        atoms = rng.normal(size=len(lat))
        red = lat.zeta(atoms)  # I∩ in softent's order
        where = [lat.index[pid._canonical(a)] for a in achains]
        np.testing.assert_allclose(matrix.astype(float) @ red[where], atoms[where], atol=1e-12)


def test_targets_and_estimates():
    rows = [
        {"task": "SX-layer", "n": 60_000, "d": 4, "b": 10, "candidate": "softent", "time_s": 0.01},
        {"task": "SX-layer", "n": 60_000, "d": 5, "b": 10, "candidate": "softent", "time_s": 2.0},
        {"task": "SX-pmf", "n": 16, "d": 3, "b": 2, "candidate": "dit", "ratio": 5000.0},
    ]
    lines = pid.targets(rows)
    assert lines[0].startswith("PASS  4-neuron")
    assert lines[1].startswith("MISS  5-neuron")
    assert lines[2].startswith("PASS  SxPID n=3, alphabet 2")
    assert pid.estimate("dit", "SX-pmf", 4096, 3, 8, {})[1] > 3600
    assert pid.estimate("softent", "SX-pmf", 16, 3, 2, {})[1] < 1


def test_pid_experiment_runs_end_to_end(tmp_path):
    out = tmp_path / "summary.json"
    repo = Path(__file__).resolve().parent.parent
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.pid_experiment", "--count", "4", "--samples", "1500",
         "--sources", "3", "--steps", "20", "--json", str(out)],
        cwd=repo, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    assert doc["count"] == 4
    assert len(doc["pids"]) == 4
    assert doc["total_s"] >= sum(p["seconds"] for p in doc["pids"]) * 0.99
    assert all(p["n_sources"] == 3 for p in doc["pids"])
    assert "per PID" in proc.stdout
