"""The discrete family's comparisons (benchmarks/discrete.py) as pytest-benchmark groups:
plug-in MI against the NumPy bincount formula and scikit-learn, every bias-corrected
estimator, the one-pass MI matrix against a loop of mutual_info_score, and the sparse
path against np.unique. Every candidate's numbers are checked against softent's.

Small sizes by default (CI smoke: ``pytest benchmarks --benchmark-disable``); the issue's
sizes with ``SOFTENT_BENCH_FULL=1``. ``python -m benchmarks --family discrete`` prints the
same comparisons as a table of ratios with peak memory.
"""

from __future__ import annotations

import pytest

from benchmarks import discrete
from benchmarks._harness import env, peers
from benchmarks._harness.env import size

CASES = [
    ("MI-plugin", size((20_000, 50, 40), (1_000_000, 1000, 1000))),
    ("MI-corrected", size((20_000, 50, 40), (1_000_000, 1000, 1000))),
    ("MI-matrix", size((5_000, 40, 10), (100_000, 1000, 10))),
    ("MI-sparse", size((20_000, 10**6, 10**6), (1_000_000, 10**6, 10**6))),
]
PARAMS = [
    pytest.param(task, s, cand, id=f"{task}-{cand}")
    for task, s in CASES
    for cand in discrete.TASKS[task].candidates
]


@pytest.mark.parametrize(("task", "sizes", "cand"), PARAMS)
def test_discrete(benchmark, task, sizes, cand):
    need = discrete.NEEDS.get(cand)
    if need and not peers.available(need):
        pytest.skip(f"{need} is not installed")
    spec = {"task": task, "size": list(sizes), "seed": 0, "threads": env.THREADS}
    inputs = discrete.load_inputs(spec)
    fn, _ = discrete.candidate(cand, inputs)
    want, _ = discrete.candidate("softent" if not cand.startswith("softent-") else cand, inputs)
    benchmark.group = f"{task} N={sizes[0]} {sizes[1]}x{sizes[2]}"
    got = benchmark(fn)
    assert got == pytest.approx(want(), rel=1e-9, abs=1e-12)
