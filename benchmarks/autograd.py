"""Forward + backward of a differentiable I(Z;L) loss: the soft family's differentiable
task set (:func:`benchmarks.soft.grad_candidate`) on the harness, in one run.

    python -m benchmarks.autograd                          # N=100k, D=768, B=100, 10 labels
    /opt/peers/bin/python -m benchmarks.autograd --nam-n 10000   # with nam-entropy
    python -m benchmarks.autograd --memory                 # + peak extra memory, N=1M D=128 B=1000

Candidates (each returns the loss I(Z;L) = H(Z) - H(Z|L) in nats and fills z.grad):

- ``softent``            softent.torch.information (fused C++ forward and backward kernels;
                         the forward keeps its [N, B] dots for the backward when they fit
                         in 64 MiB, see softent.torch.set_backward_cache_bytes)
- ``softent-recompute``  the same with the cache off (the backward recomputes every tile)
- ``torch``              the plain torch reference (tests/reference/soft.py: scores by one
                         matmul or torch.cdist, softmax, per-label sums by index_add,
                         entropies) under autograd
- ``nam``                nam-entropy 0.2.0's differentiable ``soft_bin`` + ``entropy`` (its
                         h.py) with our centres; its cdist expands the centres N times
                         (~8·N·B·D bytes, twice that with the graph), so it runs at
                         ``--nam-n`` rows (N=100k would need ~120 GB)

Times: the median of ``--repeat`` alternating rounds after one warm-up call each
(:func:`benchmarks._harness.timing.time_calls`); forward and backward timed apart.
Memory (``--memory``): each candidate in a fresh worker process; VmHWM during forward +
backward minus VmRSS before (inputs allocated, high-water mark reset), also shown
without z.grad itself (N x D: the result any implementation returns). The plain-torch
candidate runs at N=200k there (N=1M would need ~12 GB).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: python benchmarks/autograd.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import soft
from benchmarks._harness import env, memory, peers, timing, workers


def step(fn: Callable[[], tuple[Any, Any]]) -> Callable[[], dict[str, float]]:
    """One forward + backward of a candidate, each phase timed."""

    def run() -> dict[str, float]:
        t0 = time.perf_counter()
        loss, zz = fn()
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        return {
            "forward": t1 - t0,
            "backward": t2 - t1,
            "loss": float(loss.detach()),
            "grad_norm": float(zz.grad.norm()),
        }

    return run


def measure(n: int, d: int, b: int, metric: str, cands: tuple[str, ...], repeat: int) -> list[dict]:
    """Rows of forward, backward and total medians; ratio = total / softent's total."""
    z, labels, centres, t = soft.grad_setup(n, d, b, metric)
    fns = {c: step(soft.grad_candidate(c, z, labels, centres, metric, t)) for c in cands}
    # nam-entropy takes seconds where softent takes milliseconds: one call after its warm-up
    res = timing.time_calls(fns, repeat, pause_s=0.3, slow_s=5.0, keep_outputs=True)
    rows = []
    for c in cands:
        r = res[c]
        if r["error"]:
            rows.append({"n": n, "d": d, "b": b, "metric": metric, "candidate": c, **r})
            continue
        timed = r["outputs"][1:] or r["outputs"]
        fwd = statistics.median(o["forward"] for o in timed)
        bwd = statistics.median(o["backward"] for o in timed)
        rows.append(
            {
                "task": f"I(Z;L) {metric}, N={n}",
                "n": n,
                "d": d,
                "b": b,
                "metric": metric,
                "candidate": c,
                "forward": fwd,
                "backward": bwd,
                "total": r["time_s"],
                "loss": timed[-1]["loss"],
                "grad_norm": timed[-1]["grad_norm"],
                "backward_over_forward": bwd / fwd,
            }
        )
    base = next((row for row in rows if row["candidate"] == "softent"), None)
    for row in rows:
        if base and "total" in row:
            row["ratio"] = row["total"] / base["total"]
    return rows


def memory_worker(spec: dict) -> dict:
    """Peak extra memory of one forward + backward (in a fresh worker process)."""
    z, labels, centres, t = soft.grad_setup(spec["n"], spec["d"], spec["b"], spec["metric"])
    small = soft.grad_candidate(spec["cand"], z[:1024], labels[:1024], centres, spec["metric"], t)
    out, _ = small()
    out.backward()  # warm-up: libraries loaded, thread pools started
    fn = soft.grad_candidate(spec["cand"], z, labels, centres, spec["metric"], t)

    def forward_backward() -> Any:
        loss, zz = fn()
        loss.backward()
        return zz

    zz, info = memory.peak_extra(forward_backward)
    # z.grad [N, D] is the result every implementation must return: reported apart.
    grad = zz.grad.element_size() * zz.grad.numel()
    extra = info["extra_bytes"]
    return {"extra_bytes": extra, "grad_bytes": grad, "extra_beyond_grad_bytes": extra - grad}


def run_memory(cand: str, n: int, d: int, b: int, metric: str, timeout: float = 600) -> dict:
    spec = {
        "call": "benchmarks.autograd:memory_worker",
        "imports": ["torch"],
        "threads": env.THREADS,
        "cand": cand,
        "n": n,
        "d": d,
        "b": b,
        "metric": metric,
    }
    return workers.run_worker(sys.executable, spec, timeout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.autograd", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--d", type=int, default=768)
    parser.add_argument("--b", type=int, default=100)
    parser.add_argument(
        "--nam-n",
        type=int,
        default=10_000,
        help="rows for nam-entropy (and its softent/torch twins)",
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--memory", action="store_true", help="also peak extra memory at N=1M, D=128, B=1000"
    )
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)
    env.pin_threads()
    import torch

    torch.set_num_threads(env.THREADS)
    rows: list[dict] = []
    groups = [
        (args.n, m, ("softent", "softent-recompute", "torch")) for m in ("euclidean", "cosine")
    ]
    if peers.available("nam_entropy"):
        groups.append((args.nam_n, "euclidean", ("softent", "torch", "nam")))
    for n, metric, cands in groups:
        for row in measure(n, args.d, args.b, metric, cands, args.repeat):
            rows.append(row)
            if "total" not in row:
                print(f"I(Z;L) {metric}, N={n} {row['candidate']:18s} {row['error']}", flush=True)
                continue
            print(
                f"{row['task']:28s} {row['candidate']:18s} fwd {row['forward']:8.3f} s  "
                f"bwd {row['backward']:8.3f} s  total {row['total']:8.3f} s  "
                f"x{row['ratio']:7.2f} of softent  bwd/fwd {row['backward_over_forward']:.2f}  "
                f"loss {row['loss']:.6f}",
                flush=True,
            )
    if args.memory:
        for cand, n in (("softent", 1_000_000), ("softent", 200_000), ("torch", 200_000)):
            m = run_memory(cand, n, 128, 1000, "cosine")
            rows.append({"task": f"memory N={n} D=128 B=1000 cosine", "candidate": cand, **m})
            what = (
                f"+{m['extra_bytes'] / 2**20:.1f} MiB "
                f"(+{m['extra_beyond_grad_bytes'] / 2**20:.1f} MiB beyond z.grad)"
                if "extra_bytes" in m
                else m["error"]
            )
            print(f"memory N={n} D=128 B=1000 {cand:18s} {what}", flush=True)
    if args.json:
        doc = {"threads": env.THREADS, "machine": env.machine(), "rows": rows}
        Path(args.json).write_text(json.dumps(doc, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
