"""The spectral family's comparisons (benchmarks/spectral.py) as pytest-benchmark groups:
softent's dense DSE against one scipy.linalg.eigh of an N x N float64 matrix and dse-dsmi
1.1 (same sigma and t: the same value to 1e-6 bits, dse-dsmi's float32 distances, when it is
installed), SLQ
against softent's dense DSE (within 4 reported standard errors), the kNN-sparsified
operator, and DSMI against dse-dsmi.

Small sizes by default (CI smoke: ``pytest benchmarks --benchmark-disable``); the issue's
sizes with ``SOFTENT_BENCH_FULL=1``. ``python -m benchmarks --family spectral`` prints the
same comparisons as a table of ratios with peak memory.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import spectral
from benchmarks._harness import env, peers
from benchmarks._harness.env import size

CASES = [
    ("DSE-dense", size((400, 64, 1), (5000, 64, 1))),
    ("DSE-dense", size((400, 768, 1), (5000, 768, 1))),
    ("DSE-lanczos", size((800, 64, 1), (20_000, 768, 1))),
    ("DSE-sparse", size((2000, 64, 1), (100_000, 768, 1))),
    ("DSMI", size((400, 64, 4), (10_000, 768, 10))),
]
PARAMS = [
    pytest.param(task, s, cand, id=f"{task}-{s[0]}-{s[1]}-{cand}")
    for task, s in CASES
    for cand in spectral.TASKS[task].candidates
]


@pytest.mark.parametrize(("task", "sizes", "cand"), PARAMS)
def test_spectral(benchmark, task, sizes, cand):
    need = spectral.NEEDS.get(cand)
    if need and not peers.available(need):
        pytest.skip(f"{need} is not installed")
    spec = {"task": task, "size": list(sizes), "seed": 0, "threads": env.THREADS}
    inputs = spectral.load_inputs(spec)
    fn, _ = spectral.candidate(cand, inputs)
    benchmark.group = f"{task} N={sizes[0]} D={sizes[1]} {sizes[2]}"
    got = benchmark(fn)
    if task == "DSE-dense" and cand == "dse-dsmi":
        want, _ = spectral.candidate("softent", inputs)
        # dse-dsmi's distances of float32 rows are float32 (scikit-learn's pairwise_distances):
        # its value moves by ~1e-8 bits; softent's distances are float64-accurate
        np.testing.assert_allclose(got, want(), rtol=0, atol=1e-6)
    if task == "DSE-lanczos" and cand == "softent":
        import softent.spectral as sp

        r = sp.diffusion_spectral_entropy(inputs.z, sigma=inputs.sigma, method="lanczos", base=2)
        dense = sp.diffusion_spectral_entropy(inputs.z, sigma=inputs.sigma, base=2)
        assert abs(r.value - dense.value) <= 4 * r.stderr
    if task == "DSE-sparse":
        assert 0 < got[0] < np.log2(sizes[0])
