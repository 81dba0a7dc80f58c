"""The "3,000 PIDs" experiment of nninfo's paper, end to end, timed.

Ehrlich et al. (TMLR 2023), Fig. 3.B (nninfo's ``tmlr_scripts/1_tmlr_mnist_8levels_onehot``):
a 784-50-10-5-5-5-10 tanh network trained on MNIST, 20 runs x 50 log-spaced checkpoints
x the three 5-neuron layers = 3,000 five-source SxPIDs of the 60,000 training samples,
each layer's neurons quantised to 8 levels of the tanh range (``Q3Quantizer``, applied in
the forward pass of every hidden layer), the label the target, then the representational
complexity C of each. The paper computed them "on a scientific compute cluster over
several days".

This script does the same with softent on data it can ship: a seeded 10-class Gaussian
mixture in 20 dimensions (N = 60,000 by default) instead of MNIST, a 20-50-10-5-5-5-10
tanh network (torch, SGD, batch 64, cross-entropy), checkpoints log-spaced over
``--steps`` training steps, the analysis forward pass quantised at every hidden layer as
nninfo's, and ``softent.pid.layer_complexity`` on layers 3, 4 and 5. The PIDs run in order
run -> checkpoint -> layer; ``--count`` takes the first ones (checkpoints per run:
min(50, ceil(count / 3)), runs as needed), so ``--count 3000`` is the paper's grid.

    python -m benchmarks.pid_experiment --count 30 --json pid_experiment.json
    python -m benchmarks.pid_experiment            # the full 3,000

Prints every PID (run, step, layer, distinct outcomes, seconds, C, I), the total time and
the time per PID (training and the analysis forward passes are timed apart), and writes a
JSON summary with ``--json``. Needs torch.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

#: the paper's grid: runs x checkpoints x layers
PAPER = (20, 50, 3)
LEVELS = 8
LIMITS = (-1.0, 1.0)
WIDTHS = (50, 10, 5, 5, 5)  # hidden layers; the PIDs are of the 5-neuron layers 3, 4, 5
ANALYSED = (2, 3, 4)  # 0-based hidden layer indices of layers L3, L4, L5


def data(n: int, dim: int = 20, classes: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A seeded Gaussian mixture: x = means[y] + N(0, I), means ~ N(0, 1.5^2 I)."""
    rng = np.random.default_rng([0xE7, seed])
    y = rng.integers(0, classes, n)
    means = rng.normal(0.0, 1.5, (classes, dim))
    x = means[y] + rng.normal(size=(n, dim))
    return x.astype(np.float32), y


def q3(t: Any) -> Any:
    """nninfo's Q3Quantizer(8, (-1, 1)): round((x - lo) / Δ)·Δ + lo."""
    import torch

    scale = (LIMITS[1] - LIMITS[0]) / (LEVELS - 1)
    return torch.round((t - LIMITS[0]) / scale) * scale + LIMITS[0]


def network(dim: int, classes: int, seed: int) -> Any:
    import torch

    torch.manual_seed(seed)
    sizes = (dim, *WIDTHS)
    hidden = [torch.nn.Linear(a, b) for a, b in itertools.pairwise(sizes)]
    for layer in hidden:
        torch.nn.init.xavier_uniform_(layer.weight)  # nninfo's 'xavier'
    return torch.nn.ModuleList([*hidden, torch.nn.Linear(WIDTHS[-1], classes)])


def forward(net: Any, x: Any, quantise: bool) -> tuple[Any, list[Any]]:
    """Logits and the hidden activations (quantised at every hidden layer when asked, as
    nninfo's analysis forward pass)."""
    import torch

    acts = []
    h = x
    for layer in net[:-1]:
        h = torch.tanh(layer(h))
        if quantise:
            h = q3(h)
        acts.append(h)
    return net[-1](h), acts


def checkpoints(steps: int, count: int) -> list[int]:
    """``count`` distinct log-spaced steps in 0..steps (0 = the initial network)."""
    if count == 1:
        return [steps]
    logs = [steps] if count == 2 else np.geomspace(1, steps, count - 1)
    out = sorted({0, *np.unique(np.round(logs).astype(int)).tolist()})
    while len(out) < count:  # rounding merged some: fill with the largest gaps' middles
        gaps = np.diff(out)
        i = int(np.argmax(gaps))
        out.insert(i + 1, out[i] + int(gaps[i]) // 2)
    return out[:count]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.pid_experiment", description=__doc__.split("\n\n")[0]
    )
    p.add_argument(
        "--count", type=int, default=math.prod(PAPER), help="PIDs to compute (default 3000)"
    )
    p.add_argument("--samples", type=int, default=60_000, help="N, the data set (default 60,000)")
    p.add_argument("--steps", type=int, default=3000, help="training steps per run (default 3000)")
    p.add_argument(
        "--sources", type=int, default=5, help="neurons per PID (default 5: the whole layer)"
    )
    p.add_argument("--threads", type=int, default=None, help="CPU threads of each PID")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, help="write the summary here")
    args = p.parse_args(argv)
    if args.count < 1 or not 1 <= args.sources <= 5 or args.samples < 10 or args.steps < 1:
        p.error("--count >= 1, --sources in 1..5, --samples >= 10, --steps >= 1")

    import softent
    import softent.pid as P
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    per_run = min(PAPER[1], math.ceil(args.count / PAPER[2]))
    runs = math.ceil(args.count / (per_run * PAPER[2]))
    steps_at = checkpoints(args.steps, per_run)
    x_np, y_np = data(args.samples, seed=args.seed)
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    print(
        f"{args.count} PIDs: {runs} run(s) x {per_run} checkpoints (steps {steps_at[0]}..{steps_at[-1]}, "
        f"log-spaced) x layers L3-L5, {args.sources} neurons each at {LEVELS} levels, N={args.samples:,}, "
        f"10 labels; softent {softent.__version__}",
        flush=True,
    )
    pids: list[dict[str, Any]] = []
    train_s = forward_s = 0.0
    t_start = time.perf_counter()
    done = False
    for run in range(runs):
        net = network(x.shape[1], 10, seed=args.seed * 1000 + run)
        opt = torch.optim.SGD(net.parameters(), lr=0.05)
        gen = torch.Generator().manual_seed(run)
        step = 0
        for target in steps_at:
            t0 = time.perf_counter()
            while step < target:
                idx = torch.randint(0, args.samples, (64,), generator=gen)
                logits, _ = forward(net, x[idx], quantise=False)
                loss = torch.nn.functional.cross_entropy(logits, y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                step += 1
            t1 = time.perf_counter()
            with torch.no_grad():
                logits, acts = forward(net, x, quantise=True)
                accuracy = float((logits.argmax(1) == y).float().mean())
            t2 = time.perf_counter()
            train_s += t1 - t0
            forward_s += t2 - t1
            for layer in ANALYSED:
                t3 = time.perf_counter()
                res = P.layer_complexity(
                    acts[layer].numpy(),
                    y_np,
                    neurons=list(range(args.sources)),
                    levels=LEVELS,
                    limits=LIMITS,
                    base=2,
                    num_threads=args.threads,
                )
                dt = time.perf_counter() - t3
                c = res.complexity
                pids.append(
                    {
                        "run": run,
                        "step": target,
                        "layer": f"L{layer + 1}",
                        "n_sources": args.sources,
                        "outcomes": res.decomposition.n_outcomes,
                        "seconds": dt,
                        "complexity": c,
                        "mutual_information_bits": res.mutual_information,
                        "degree_atoms_bits": {str(m): v for m, v in res.degree_atoms.items()},
                        "train_accuracy": accuracy,
                    }
                )
                print(
                    f"  #{len(pids):>4}  run {run:>2}  step {target:>6}  L{layer + 1}  "
                    f"{res.decomposition.n_outcomes:>6,} outcomes  {dt:8.3f} s  "
                    f"C={'None' if c is None else f'{c:.3f}'}  I={res.mutual_information:.3f} bits  "
                    f"acc={accuracy:.3f}",
                    flush=True,
                )
                if len(pids) == args.count:
                    done = True
                    break
            if done:
                break
        if done:
            break
    total = time.perf_counter() - t_start
    pid_s = sum(r["seconds"] for r in pids)
    per = pid_s / len(pids)
    summary = {
        "count": len(pids),
        "samples": args.samples,
        "sources": args.sources,
        "levels": LEVELS,
        "runs": runs,
        "checkpoints_per_run": per_run,
        "steps": steps_at,
        "total_s": total,
        "pid_s": pid_s,
        "per_pid_s": per,
        "median_pid_s": float(np.median([r["seconds"] for r in pids])),
        "max_pid_s": max(r["seconds"] for r in pids),
        "mean_outcomes": float(np.mean([r["outcomes"] for r in pids])),
        "max_outcomes": max(r["outcomes"] for r in pids),
        "training_s": train_s,
        "analysis_forward_s": forward_s,
        "extrapolated_3000_pids_s": per * math.prod(PAPER),
        "threads": args.threads,
        "machine": platform.processor() or platform.machine(),
        "softent_version": softent.__version__,
        "command": " ".join(
            ["python -m benchmarks.pid_experiment", *(argv if argv is not None else sys.argv[1:])]
        ),
        "pids": pids,
    }
    print(
        f"\n{len(pids)} PIDs in {total:.1f} s total ({pid_s:.1f} s in the PIDs: {per:.3f} s per PID, "
        f"median {summary['median_pid_s']:.3f} s, max {summary['max_pid_s']:.3f} s; "
        f"{summary['mean_outcomes']:,.0f} outcomes on average, at most {summary['max_outcomes']:,}); "
        f"training {train_s:.1f} s, analysis forward passes {forward_s:.1f} s"
    )
    if len(pids) < math.prod(PAPER):
        e = summary["extrapolated_3000_pids_s"]
        print(f"extrapolated to 3,000 PIDs at this per-PID time: {e:,.0f} s ({e / 3600:.2f} h)")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
