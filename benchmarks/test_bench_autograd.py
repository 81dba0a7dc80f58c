"""Forward + backward of a differentiable I(Z;L) loss (softent.torch) against plain torch
autograd and nam-entropy's differentiable soft_bin + entropy, on the same data.

One pytest-benchmark group per (metric, size); members (:data:`benchmarks.soft.GRAD_CANDIDATES`):
``softent`` (fused C++ backward, dots kept for the backward when they fit),
``softent-recompute`` (no cache: every tile recomputed), ``torch`` (the plain torch
reference of tests/reference/soft.py under autograd), ``nam`` (nam-entropy, Euclidean only,
small N: its cdist needs ~8·N·B·D bytes).
Every member's loss and gradient are checked against softent's. The table with
backward/forward ratios and peak memory: ``python -m benchmarks.autograd --memory``.
"""

from __future__ import annotations

import functools
import warnings

import pytest

from benchmarks import soft
from benchmarks._harness.env import size

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

torch = pytest.importorskip("torch")

SIZES = size([(2_000, 64, 100)], [(100_000, 768, 100), (10_000, 768, 100)])
IDS = [f"N{n}-D{d}-B{b}" for n, d, b in SIZES]


@functools.lru_cache(maxsize=4)
def reference(n: int, d: int, b: int, metric: str) -> tuple[float, object]:
    z, labels, centres, t = soft.grad_setup(n, d, b, metric)
    loss, zz = soft.grad_candidate("softent", z, labels, centres, metric, t)()
    loss.backward()
    return float(loss.detach()), zz.grad.clone()


@pytest.mark.parametrize("nbd", SIZES, ids=IDS)
@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
@pytest.mark.parametrize("cand", soft.GRAD_CANDIDATES)
def test_forward_backward(benchmark, timed, threads, cand, metric, nbd):
    n, d, b = nbd
    if cand == "nam":
        if metric != "euclidean":
            pytest.skip("the issue compares nam-entropy's Euclidean path")
        if n * b * d > 1e9:
            pytest.skip("nam-entropy's cdist would need ~8*N*B*D bytes (>8 GB) here")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pytest.importorskip("nam_entropy")
    z, labels, centres, t = soft.grad_setup(n, d, b, metric)
    benchmark.group = f"forward+backward I(Z;L) {metric}, 10 labels, N={n} D={d} B={b}"
    fn = soft.grad_candidate(cand, z, labels, centres, metric, t)

    def step():
        loss, zz = fn()
        loss.backward()
        return float(loss.detach()), zz.grad

    loss, grad = timed(step)
    want_loss, want_grad = reference(n, d, b, metric)
    assert loss == pytest.approx(want_loss, rel=1e-4, abs=1e-6)
    assert float((grad - want_grad).norm() / want_grad.norm()) < 1e-3
