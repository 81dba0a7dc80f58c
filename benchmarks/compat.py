"""In-place acceleration, side by side in the same run: each peer's own call, unpatched and
then under ``softent.compat.<peer>.patched()`` (the same call expression: the peer's module
attribute is looked up at every call), on the same seeded data.

    python -m benchmarks.compat            # small sizes (seconds)
    SOFTENT_BENCH_FULL=1 python -m benchmarks.compat --repeat 1   # the issue's sizes
    python -m benchmarks.compat --json     # for machines

Run it with an interpreter that has the peers (soft-entropy, nam-entropy, scikit-learn);
a missing peer's rows say so. Every patched value is compared with the peer's (column
``max rel diff``). Threads: ``SOFTENT_BENCH_THREADS`` (default all cores) for every
candidate, torch included. benchmarks/test_bench_compat.py runs the same cases as a CI
smoke test (``pytest benchmarks --benchmark-disable``).
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks._harness import env, peers
from benchmarks._harness.timing import time_calls


@dataclass(frozen=True)
class Case:
    """One peer call: ``make(n, d, b)`` returns a function calling the peer through its
    module attribute (so that a patch takes effect) and returning numbers to compare."""

    name: str
    peer: str  # the import name of the package patched
    compat: str  # the softent.compat module that patches it
    size: tuple[int, int, int]  # (N, D, B) small
    full: tuple[int, int, int]  # (N, D, B) under SOFTENT_BENCH_FULL
    make: Callable[[int, int, int], Callable[[], Any]]
    rtol: float  # patched vs peer: float32 arithmetic on one side or the other (documented)

    def sizes(self) -> tuple[int, int, int]:
        return env.size(self.size, self.full)


def _clusters(n: int, d: int, k: int = 10, seed: int = 0, dtype: Any = np.float32):
    rng = np.random.default_rng([15, seed])
    labels = rng.integers(0, k, n)
    z = rng.normal(size=(k, d))[labels] + rng.normal(size=(n, d))
    return z.astype(dtype), labels


def _soft_entropy_h(n: int, d: int, b: int) -> Callable[[], Any]:
    z, _ = _clusters(n, d)
    sn = peers.load("soft_entropy.numpy")
    return lambda: float(sn.soft_entropy(z, b))


def _soft_entropy_mi(n: int, d: int, b: int) -> Callable[[], Any]:
    z, labels = _clusters(n, d)
    sn = peers.load("soft_entropy.numpy")
    return lambda: float(sn.soft_mutual_information(z, labels, b))


def _soft_entropy_torch(n: int, d: int, b: int) -> Callable[[], Any]:
    import torch

    z, labels = _clusters(n, d)
    zt, lt = torch.from_numpy(z), torch.from_numpy(labels)
    sp = peers.load("soft_entropy.pytorch")
    return lambda: (float(sp.soft_entropy(zt, b)), float(sp.soft_mutual_information(zt, lt, b)))


def _soft_entropy_accumulator(n: int, d: int, b: int) -> Callable[[], Any]:
    z, labels = _clusters(n, d)
    package = peers.load("soft_entropy")
    step = 8192

    def run() -> Any:
        acc = package.SoftEntropyAccumulator(d, n_bins=b)
        for lo in range(0, n, step):
            acc.update(z[lo : lo + step], {"cls": labels[lo : lo + step]})
        return [acc.results()[k] for k in ("H(Z)", "I(X;Z)/cls")]

    return run


def _nam_batch(dist_fn: str) -> Callable[[int, int, int], Callable[[], Any]]:
    def make(n: int, d: int, b: int) -> Callable[[], Any]:
        import torch

        z, labels = _clusters(n, d)
        zt, lt = torch.from_numpy(z), torch.from_numpy(labels)
        rng = np.random.default_rng(1)
        bins = rng.uniform(z.min(0), z.max(0), (b, d)).astype(np.float32)
        bt = torch.from_numpy(bins).view(b, 1, d)
        package = peers.load("nam_entropy")
        temp = 1.0 if dist_fn == "euclidean" else 0.1

        def run() -> Any:
            out = package.compute_all_entropy_measures(
                zt,
                lt,
                list(range(10)),
                b,
                dist_fn=dist_fn,
                smoothing_fn="softmax",
                smoothing_temp=temp,
                online_bins=bt,
            )["output_metrics"]
            return [out["entropy"], out["mutual_information"]]

        return run

    return make


def _nam_accumulator(n: int, d: int, b: int) -> Callable[[], Any]:
    import torch

    z, labels = _clusters(n, d)
    zt, lt = torch.from_numpy(z), torch.from_numpy(labels)
    package = peers.load("nam_entropy")
    step = 8192

    def run() -> Any:
        torch.manual_seed(0)  # the same unit-sphere bins, patched or not
        acc = package.EntropyAccumulator(
            b,
            list(range(10)),
            embedding_dim=d,
            dist_fn="cosine",
            bin_type="unit_sphere",
            smoothing_fn="softmax",
            smoothing_temp=0.1,
        )
        for lo in range(0, n, step):
            acc.update(zt[lo : lo + step], lt[lo : lo + step])
        out = acc.compute_metrics()["output_metrics"]
        return [out["entropy"], out["mutual_information"]]

    return run


def _sklearn_classif(n: int, d: int, b: int) -> Callable[[], Any]:
    del b
    z, labels = _clusters(n, d, dtype=np.float64)
    fs = peers.load("sklearn.feature_selection")
    return lambda: fs.mutual_info_classif(z, labels, random_state=0)


# (N, D, B) small, and under SOFTENT_BENCH_FULL
_SOFT = ((5000, 128, 100), (100_000, 768, 100))
_STREAM = ((20000, 128, 100), (100_000, 768, 100))  # the accumulators' 8192-row batches
_NAM = ((2000, 128, 100), (10_000, 768, 100))
_SKLEARN = ((1000, 8, 0), (10_000, 64, 0))

# peer (its import name and its softent.compat module's): (call, sizes, make, rtol) rows;
# a case's name is "<peer>.<call>"
_TABLE: dict[str, list[tuple[str, tuple[tuple[int, int, int], ...], Any, float]]] = {
    "soft_entropy": [
        ("numpy.soft_entropy", _SOFT, _soft_entropy_h, 1e-8),
        ("numpy.soft_mutual_information (10 labels)", _SOFT, _soft_entropy_mi, 1e-7),
        ("pytorch H + I (10 labels)", _SOFT, _soft_entropy_torch, 1e-4),
        ("SoftEntropyAccumulator (8192-row batches)", _STREAM, _soft_entropy_accumulator, 1e-5),
    ],
    "nam_entropy": [
        ("compute_all_entropy_measures euclidean", _NAM, _nam_batch("euclidean"), 1e-4),
        ("compute_all_entropy_measures cosine", _NAM, _nam_batch("cosine"), 1e-4),
        ("EntropyAccumulator cosine (8192-row batches)", _STREAM, _nam_accumulator, 1e-4),
    ],
    "sklearn": [
        ("feature_selection.mutual_info_classif", _SKLEARN, _sklearn_classif, 1e-9),
    ],
}
CASES = [
    Case(f"{peer}.{call}", peer, peer, sizes[0], sizes[1], make, rtol)
    for peer, rows in _TABLE.items()
    for call, sizes, make, rtol in rows
]


def compat_module(case: Case) -> Any:
    import importlib

    return importlib.import_module(f"softent.compat.{case.compat}")


def patched(case: Case, fn: Callable[[], Any]) -> Callable[[], Any]:
    """``fn`` run under ``softent.compat.<peer>.patched()``."""
    module = compat_module(case)

    def run() -> Any:
        with module.patched():
            return fn()

    return run


def max_rel_diff(a: Any, b: Any) -> float:
    x = np.asarray(a, dtype=np.float64).ravel()
    y = np.asarray(b, dtype=np.float64).ravel()
    scale = np.maximum(np.abs(x), 1e-12)
    return float(np.max(np.abs(x - y) / scale))


def run_case(case: Case, repeat: int) -> dict[str, Any]:
    n, d, b = case.sizes()
    row: dict[str, Any] = {"case": case.name, "N": n, "D": d, "B": b}
    if not peers.available(case.peer):
        row["error"] = f"{case.peer} is not installed"
        return row
    fn = case.make(n, d, b)
    res = time_calls({"peer": fn, "patched": patched(case, fn)}, repeat=repeat, slow_s=120)
    for name in ("peer", "patched"):
        if res[name]["error"]:
            row["error"] = f"{name}: {res[name]['error']}"
            return row
    row["peer_s"] = res["peer"]["time_s"]
    row["patched_s"] = res["patched"]["time_s"]
    row["speedup"] = row["peer_s"] / row["patched_s"]
    row["max_rel_diff"] = max_rel_diff(res["peer"]["value"], res["patched"]["value"])
    return row


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| peer call | N, D, B | unpatched | patched | speed-up | max rel diff |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        size = f"{r['N']:,}, {r['D']}, {r['B']}"
        if "error" in r:
            lines.append(f"| {r['case']} | {size} | {r['error']} | | | |")
            continue
        lines.append(
            f"| {r['case']} | {size} | {r['peer_s']:.3g} s | {r['patched_s']:.3g} s | "
            f"{r['speedup']:.1f}x | {r['max_rel_diff']:.1e} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds (median)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    args = parser.parse_args(argv)
    env.pin_threads()
    rows = [run_case(c, args.repeat) for c in CASES if args.only in c.name]
    meta = {
        "machine": env.machine(),
        "threads": env.describe_threads(),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "full": env.full(),
    }
    if args.json:
        print(json.dumps({"meta": meta, "rows": rows}, indent=1, default=str))
        return
    print(table(rows))
    cpu = meta["machine"]["cpu"]
    print(
        f"\n{cpu}, {meta['machine']['cores']} cores, {env.THREADS} threads, load average "
        f"{meta['load_avg']}, {'full' if meta['full'] else 'small'} sizes; medians of "
        f"{args.repeat} rounds after a warm-up call"
    )


if __name__ == "__main__":
    main()
