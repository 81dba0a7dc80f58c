"""benchmarks/compat_dse.py as a pytest-benchmark group (CI smoke with
``--benchmark-disable``: tiny sizes, a few seconds): DSE and DSMI of softent.compat.dse_dsmi
and dse-dsmi 1.1 (when installed) on the same seeded data, the values equal to 1e-10. The
issue's sizes, each candidate in its own process with its threads set:
``python -m benchmarks.compat_dse``."""

from __future__ import annotations

import warnings

import pytest
from softent.compat import dse_dsmi as compat

from benchmarks import compat_dse
from benchmarks._harness import peers

SIZES = {"dse": (300, 16), "dsmi": (400, 16)}


def call(mod, task, x, labels):
    if task == "dse":
        return float(mod.diffusion_spectral_entropy(x))
    return float(mod.diffusion_spectral_mutual_information(x, labels.reshape(-1, 1))[0])


@pytest.mark.parametrize("task", sorted(SIZES))
@pytest.mark.parametrize("cand", ["softent.compat", "dse-dsmi"])
def test_compat_dse(benchmark, task, cand):
    n, d = SIZES[task]
    x, labels = compat_dse.data(n, d, 4, 0)
    want = call(compat, task, x, labels)
    benchmark.group = f"dse-dsmi {task} N={n} D={d}"
    if cand == "softent.compat":
        assert benchmark(call, compat, task, x, labels) == want
        return
    if not peers.available("dse_dsmi"):
        pytest.skip("dse-dsmi is not installed")
    peer = peers.load("dse_dsmi")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dse-dsmi's own warnings, its calls only
        got = benchmark(call, peer, task, x, labels)
    assert got == pytest.approx(want, abs=1e-10)
