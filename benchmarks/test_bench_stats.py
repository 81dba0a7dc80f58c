"""The statistics layer's costs (benchmarks/stats.py) as pytest-benchmark groups: a
permutation test with R = 200 label permutations in one fused pass against one plain pass,
and a LayerMonitor epoch with R = 200 bootstrap replicates of a per-sample label set
against the same epoch without. Both candidates return the same statistic (checked).

Small sizes by default (CI smoke: ``pytest benchmarks --benchmark-disable``); the issue's
N = 100,000, D = 768, B = 100 with ``SOFTENT_BENCH_FULL=1``. ``python -m benchmarks
--family stats`` prints the cost ratios against the targets (<= 3x and <= 5x).
"""

from __future__ import annotations

import pytest

from benchmarks import stats
from benchmarks._harness import env
from benchmarks._harness.env import size

PERM = size((4000, 128, 50), (100_000, 768, 100))


@pytest.mark.parametrize("cand", stats.TASKS["perm"].candidates)
def test_permutations(benchmark, cand):
    spec = {"task": "perm", "size": list(PERM), "seed": 0, "threads": env.THREADS}
    inputs = stats.load_inputs(spec)
    fn, _ = stats.candidate(cand, inputs)
    want, _ = stats.candidate("plain", inputs)
    benchmark.group = f"perm N={PERM[0]} D={PERM[1]} B={PERM[2]} R=200"
    got = benchmark(fn)
    assert got[0] == pytest.approx(want()[0], rel=1e-9)


@pytest.mark.parametrize("cand", stats.TASKS["monitor"].candidates)
def test_monitor_replicates(benchmark, cand):
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    spec = {"task": "monitor", "size": [1797, 64, 100], "seed": 0, "threads": env.THREADS}
    fn, _ = stats.candidate(cand, stats.load_inputs(spec))
    benchmark.group = "monitor epoch, digits ids, 3 layers, R=200"
    got = benchmark(fn)
    assert got[0] > 0
