"""Streaming (softent.Accumulator.update over row chunks) against the batch call on the same data.

Each pytest-benchmark ``group`` is one task at one size; its members:

- ``batch``   one ``softent.soft_histogram`` call on all N rows (the histograms every
              estimator is computed from)
- ``stream``  a fresh ``softent.Accumulator`` updated with consecutive ``chunk``-row
              slices of the same array (views: no copies), then ``result()``

Tasks: ``H`` (no labels), ``I-10`` (10 labels), ``I-50k`` (50,000-value token labels).
Cosine bins (spherical, soft-entropy's calibrated temperature), float32 activations.
Sizes: small by default (CI smoke: ``pytest benchmarks --benchmark-disable``); the issue's
N = 1,000,000, D = 768, B = 100 in 8192-row chunks with ``SOFTENT_BENCH_FULL=1`` (3 GB of
activations). The target: stream / batch <= 1.1.

``python benchmarks/test_bench_streaming.py [--full] [--rounds R] [--tasks H,I-10]`` prints
the ratio measured in one process, the two calls alternating (median of R rounds each,
:func:`benchmarks._harness.timing.time_calls`).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from benchmarks import soft
from benchmarks._harness import data, env, timing
from benchmarks._harness.env import size

#: (N, D, B, chunk rows)
SIZES = size([(20_000, 64, 100, 1024), (20_000, 768, 100, 1024)], [(1_000_000, 768, 100, 8192)])
IDS = [f"N{n}-D{d}-B{b}-chunk{c}" for n, d, b, c in SIZES]
TASKS = ("H", "I-10", "I-50k")


@functools.lru_cache(maxsize=4)
def inputs(
    task: str, n: int, d: int, b: int
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, float]:
    """(z [n, d] float32, labels or None, centres [b, d], temperature), cached per session."""
    z, labels10 = data.cached_clustered(n, d)
    labels = {"H": None, "I-10": labels10, "I-50k": None}[task]
    if task == "I-50k":
        labels = data.token_labels(n, 50_000)
    centres, t = soft.cosine_setup(d, b)
    return z, labels, centres, t


def candidates(
    task: str, n: int, d: int, b: int, chunk: int, threads: int
) -> dict[str, Callable[[], Any]]:
    """{'batch': fn, 'stream': fn}; each fn returns the SoftHistogram of all rows."""
    import softent

    z, labels, centres, t = inputs(task, n, d, b)

    def batch() -> Any:
        return softent.soft_histogram(
            z, labels, centres=centres, temperature=t, num_threads=threads
        )

    def stream() -> Any:
        acc = softent.Accumulator(centres, temperature=t, num_threads=threads)
        for i in range(0, n, chunk):
            acc.update(z[i : i + chunk], None if labels is None else labels[i : i + chunk])
        return acc.result()

    return {"batch": batch, "stream": stream}


def check(got: Any, want: Any) -> None:
    """Float32 rows: the two paths agree to 1e-6 relative (float64 histograms)."""
    assert got.entropy() == pytest.approx(want.entropy(), rel=1e-6)
    if want.per_label is not None:
        assert got.mutual_information() == pytest.approx(want.mutual_information(), rel=1e-6)
        np.testing.assert_array_equal(got.counts, want.counts)


@pytest.mark.parametrize("nbdc", SIZES, ids=IDS)
@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("cand", ["batch", "stream"])
def test_streaming_vs_batch(benchmark, timed, threads, cand, task, nbdc):
    n, d, b, chunk = nbdc
    if task == "I-50k" and n < 100_000 and d > 64:
        pytest.skip("one small token-label size is enough for the smoke run")
    benchmark.group = f"stream vs batch: {task}, N={n} D={d} B={b}, {chunk}-row chunks"
    benchmark.extra_info.update({"threads": threads, "chunk": chunk})
    fns = candidates(task, n, d, b, chunk, threads)
    out = timed(fns[cand], rounds=size(3, 3))
    check(out, fns["batch"]() if cand == "stream" else out)


def main(argv: list[str] | None = None) -> None:
    import argparse
    import os

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--full", action="store_true", help="the issue's size (N=1M, D=768, B=100, 8192-row chunks)"
    )
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--tasks", default="H,I-10")
    args = p.parse_args(argv)
    if args.full:
        os.environ["SOFTENT_BENCH_FULL"] = "1"
    sizes = [(1_000_000, 768, 100, 8192)] if args.full else SIZES
    threads = env.pin_threads()
    import softent

    box = env.machine()
    print(
        f"# {box['cpu']}, {box['cores']} cores, {threads} threads, softent {softent.__version__}, "
        f"median of {args.rounds} alternating rounds"
    )
    print(
        f"{'task':6} {'N':>8} {'D':>4} {'B':>4} {'chunk':>6} {'batch s':>8} {'stream s':>9} "
        f"{'stream/batch':>12}"
    )
    for n, d, b, chunk in sizes:
        for task in args.tasks.split(","):
            fns = candidates(task, n, d, b, chunk, threads)
            res = timing.time_calls(fns, args.rounds)  # the warm-up calls make the data
            check(res["stream"]["value"], res["batch"]["value"])
            tb, ts = res["batch"]["time_s"], res["stream"]["time_s"]
            print(
                f"{task:6} {n:>8} {d:>4} {b:>4} {chunk:>6} {tb:>8.3f} {ts:>9.3f} {ts / tb:>12.3f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
