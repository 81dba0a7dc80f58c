"""The knn family's comparisons (benchmarks/knn.py) as pytest-benchmark groups: joint Ross
MI against a NumPy chunked-GEMM brute force and scikit-learn's trees applied jointly, and
joint KSG-1 against scikit-learn's trees and NPEET, and softent.compat.sklearn's
per-feature mutual_info_classif against scikit-learn's (the same values to 1e-10). Every candidate's number is checked against
softent's (scikit-learn's to 1e-9: the same exact distances; the float32 GEMM brute force to
~1e-2 nats: it decides near-boundary pairs on rounded distances).

Small sizes by default (CI smoke: ``pytest benchmarks --benchmark-disable``); the issue's
sizes with ``SOFTENT_BENCH_FULL=1``. ``python -m benchmarks --family knn`` prints the same
comparisons as a table of ratios with peak memory.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import knn
from benchmarks._harness import env, peers
from benchmarks._harness.env import size

CASES = [
    ("Ross-joint", size((1500, 64, 10), (10_000, 64, 10))),
    ("Ross-joint", size((1500, 768, 10), (10_000, 768, 10))),
    ("KSG-joint", size((1500, 64, 8), (10_000, 64, 8))),
    ("sklearn-classif", size((1500, 16, 10), (10_000, 64, 10))),
]
PARAMS = [
    pytest.param(task, s, cand, id=f"{task}-{s[1]}-{cand}")
    for task, s in CASES
    for cand in knn.TASKS[task].candidates
]
TOLERANCE = {"numpy": 2e-2, "sklearn-trees": 1e-9, "sklearn": 1e-10}


@pytest.mark.parametrize(("task", "sizes", "cand"), PARAMS)
def test_knn(benchmark, task, sizes, cand):
    need = knn.NEEDS.get(cand)
    if need and not peers.available(need):
        pytest.skip(f"{need} is not installed")
    spec = {"task": task, "size": list(sizes), "seed": 0, "threads": env.THREADS}
    inputs = knn.load_inputs(spec)
    fn, _ = knn.candidate(cand, inputs)
    want, _ = knn.candidate("softent", inputs)
    benchmark.group = f"{task} N={sizes[0]} D={sizes[1]} {sizes[2]}"
    got = benchmark(fn)
    if cand in TOLERANCE:
        np.testing.assert_allclose(got, want(), rtol=0, atol=TOLERANCE[cand])
