"""The statistics layer (issue 14): what permutation nulls and bootstrap replicates cost
next to the plain estimate, on :mod:`benchmarks._harness`.

Tasks (``softent`` is the statistic with its resamples; ``plain`` the same estimate
without them, so ``x softent`` = plain / softent and the cost factor is its inverse):

- ``perm``      ``softent.permutation_test(z, labels, n_permutations=R)`` (one fused
                kernel pass: the labels and R permutations of them are 1 + R label sets)
                vs ``softent.mutual_information(z, labels)`` on the same bins (one plain
                pass). Sizes (N, D, B); 17 labels, R = 200 (``--permutations``). Target:
                softent / plain <= 3 at N = 100k, D = 768, B = 100.
- ``monitor``   one epoch of ``softent.torch.LayerMonitor(bootstrap=R)`` over scikit-learn's
                digits (1,797 rows, a 64-64-32-10 tanh MLP, 3 monitored layers, a
                per-sample label set = the row index, 256-row batches, then ``record()``)
                vs the same epoch without replicates. Target: <= 5x at R = 200. Needs torch
                and scikit-learn; sizes are fixed (N = 1,797 rows, D = 64, B = 100).

``python -m benchmarks --family stats [--sizes issue]`` prints the ratios;
``benchmarks/test_bench_stats.py`` is the CI smoke form.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._harness import data, env


@dataclass(frozen=True)
class Task:
    kind: str
    candidates: tuple[str, ...]


TASKS = {
    "perm": Task("perm", ("softent", "plain")),
    "monitor": Task("monitor", ("softent", "plain")),
}
LABELS = {
    "softent": "softent with R resamples (permutation_test / LayerMonitor(bootstrap=R))",
    "plain": "the plain estimate: one pass / the monitor without replicates",
}
ROOFLINE = None
NEEDS: dict[str, str] = {}
THREAD_IMPORTS: tuple[str, ...] = ("torch",)
N_LABELS = 17
MONITOR_BATCH = 256

SIZES = {
    "quick": "perm at N=20,000, D=768, B=100; the monitor epoch",
    "issue": "perm at the issue's N=100,000, D=768, B=100; the monitor epoch",
}
GRIDS: dict[str, list[tuple[str, tuple[int, int, int]]]] = {
    "quick": [("perm", (20_000, 768, 100)), ("monitor", (1797, 64, 100))],
    "issue": [("perm", (100_000, 768, 100)), ("monitor", (1797, 64, 100))],
}


def plan(sizes: str) -> list[tuple[str, tuple[int, int, int], tuple[str, ...]]]:
    return [(t, s, TASKS[t].candidates) for t, s in GRIDS[sizes]]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--permutations", type=int, default=200, help="R of both tasks (default 200)")


def options(args: argparse.Namespace) -> dict[str, Any]:
    return {"permutations": int(args.permutations)}


@dataclass
class Inputs:
    task: str
    z: np.ndarray
    labels: np.ndarray
    n_bins: int
    resamples: int = 200
    threads: int = env.THREADS

    def head(self, rows: int) -> Inputs:
        return Inputs(
            self.task, self.z[:rows], self.labels[:rows], self.n_bins, self.resamples, self.threads
        )

    def describe(self) -> dict[str, Any]:
        return {"resamples": self.resamples}


def write_data(folder: Path, n: int, d: int, seed: int, tasks: set[str]) -> None:
    """Nothing to write: every worker draws its seeded data."""


def load_inputs(spec: dict) -> Inputs:
    n, d, b = spec["size"]
    r = int(spec.get("opts", {}).get("permutations", 200))
    if TASKS[spec["task"]].kind == "monitor":
        return Inputs(spec["task"], np.empty((0, 0)), np.empty(0), b, r, spec["threads"])
    z, labels = data.clustered(n, d, N_LABELS, spec["seed"])
    return Inputs(spec["task"], z, labels, b, r, spec["threads"])


def monitor_epoch(resamples: int, threads: int) -> Callable[[], Any]:
    """fn() running one monitored epoch over the digits (``resamples`` = R of the
    monitor's bootstrap, 0: none) and returning its recorded I(Z;x) of the last layer."""
    import torch
    from sklearn.datasets import load_digits
    from softent.torch import LayerMonitor

    x = torch.tensor(load_digits().data, dtype=torch.float32)
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(64, 64),
        torch.nn.Tanh(),
        torch.nn.Linear(64, 32),
        torch.nn.Tanh(),
        torch.nn.Linear(32, 10),
    )
    mon = LayerMonitor(
        model, ["1", "3", "4"], label_sets=["x"], bootstrap=resamples, num_threads=threads
    )
    n = x.shape[0]

    def epoch() -> Any:
        with torch.no_grad():
            for i in range(0, n, MONITOR_BATCH):
                mon.set_labels(x=np.arange(i, min(n, i + MONITOR_BATCH)))
                model(x[i : i + MONITOR_BATCH])
        rows = mon.record()
        return (float(rows[-1]["I(Z;x)"]),)

    return epoch


def candidate(name: str, x: Inputs) -> tuple[Callable[[], Any], str]:
    """(fn, note): fn() returns the statistic (a 1-tuple), the same for both candidates."""
    import softent

    t, r = x.threads, x.resamples
    if TASKS[x.task].kind == "monitor":
        fn = monitor_epoch(r if name == "softent" else 0, t)
        return fn, f"LayerMonitor(bootstrap={r if name == 'softent' else 0}), 3 layers"
    d = x.z.shape[1]
    centres = softent.spherical_bins(x.n_bins, d, 0)
    temperature = softent.Bins(centres, "cosine", 0.1).temperature  # any fixed T
    if name == "softent":
        return (
            lambda: (
                softent.permutation_test(
                    x.z,
                    x.labels,
                    n_permutations=r,
                    centres=centres,
                    temperature=temperature,
                    num_threads=t,
                ).statistic,
            )
        ), f"permutation_test, R={r}: 1 + R label sets of one pass"
    if name == "plain":
        return (
            lambda: (
                softent.mutual_information(
                    x.z, x.labels, centres=centres, temperature=temperature, num_threads=t
                ),
            )
        ), "mutual_information: one pass"
    raise ValueError(f"unknown candidate {name!r}")


def estimate(cand: str, task: str, n: int, d: int, b: int, opts: dict) -> tuple[float, float]:
    """(rough peak bytes, rough seconds on 2 cores) of a candidate."""
    r = int(opts.get("permutations", 200))
    if task == "monitor":
        return 64 << 20, 2.0
    work = float(n) * b * d * 2e-10
    if cand == "softent":
        # R x N uint8 permuted codes, R x K x B float64 histograms (twice: a thread's
        # private copy); ~0.3 ns per float64 add of a row's masses into a permuted set
        return n * r + 2 * r * N_LABELS * b * 8 + (64 << 20), work + n * r * b * 3e-10
    return 64 << 20, work


def targets(rows: list[dict]) -> list[str]:
    """PASS/MISS lines of the issue's targets, from whichever rows were measured."""
    out = []
    for row in rows:
        ratio = row.get("ratio")
        if row["candidate"] != "plain" or not ratio:
            continue
        cost = 1 / ratio
        if row["task"] == "perm":
            goal, what = 3, f"permutations N={row['n']:,} D={row['d']} B={row['b']}"
        else:
            goal, what = 5, "LayerMonitor bootstrap epoch (digits ids, 3 layers)"
        ok = cost <= goal
        out.append(f"{'PASS' if ok else 'MISS'}  {what}: {cost:.2f} x the plain cost (<= {goal})")
    return out
