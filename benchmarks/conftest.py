"""Fixtures shared by every ``benchmarks/test_bench_*.py``, on :mod:`benchmarks._harness`.

- Sizes: ``size(small, full)`` from :mod:`benchmarks._harness.env` (full under
  ``SOFTENT_BENCH_FULL=1``; the small values keep ``pytest benchmarks --benchmark-disable``
  a CI smoke test of a few seconds).
- ``threads``: the one thread count of every candidate (:data:`env.THREADS`,
  ``SOFTENT_BENCH_THREADS``, default all cores), also given to torch.
- ``data``: :func:`benchmarks._harness.data.cached_clustered` (seeded float32 activations +
  10 labels, cached for the session).
- ``timed``: ``benchmark.pedantic`` with a fixed number of rounds (one warm-up round
  unless the call is slow), so that slow peers and fast kernels can sit in the same
  pytest-benchmark ``group``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from benchmarks._harness import data as _data
from benchmarks._harness import env


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        (
            f"softent benchmarks: {'FULL' if env.full() else 'small (CI smoke)'} sizes "
            f"(SOFTENT_BENCH_FULL), {env.THREADS} threads for every candidate "
            f"({', '.join(f'{k}={v}' for k, v in env.describe_threads().items())})"
        )
    ]


@pytest.fixture(scope="session")
def threads() -> int:
    """The one thread count of every candidate (also given to torch when it is imported)."""
    return env.pin_threads(override=False)


@pytest.fixture(scope="session")
def data() -> Callable[..., tuple[Any, Any]]:
    """``data(n, d, k=10, seed=0)`` -> (z [n, d] float32 read-only, labels [n] int64)."""
    return _data.cached_clustered


@pytest.fixture
def timed(benchmark: Any) -> Callable[..., Any]:
    """``timed(fn, rounds=None, warmup=True)`` -> fn's result, timed by pytest-benchmark.

    rounds default: ``size(3, 5)``; pass ``rounds=1, warmup=False`` for calls of a minute.
    With ``--benchmark-disable`` fn runs exactly once.
    """

    def run(fn: Callable[[], Any], rounds: int | None = None, warmup: bool = True) -> Any:
        r = rounds if rounds is not None else env.size(3, 5)
        if not benchmark.disabled:
            time.sleep(0.3)  # let the previous test's thread pools stop spinning (2 cores)
        return benchmark.pedantic(fn, rounds=r, iterations=1, warmup_rounds=1 if warmup else 0)

    return run
