"""softent.compat.dse_dsmi against dse-dsmi 1.1, side by side (issue 11): dense DSE at
N = 5000, D = 64 and 768 (target >= 3x dse-dsmi at 2 threads; 1 thread reported too) and
DSMI at N = 10^4, D = 768, 10 classes (target >= 5x), with dse-dsmi's defaults (sigma = 10,
t = 1, 5 repetitions). Context rows: one ``scipy.linalg.eigh(A, eigvals_only=True)`` of an
N x N float64 matrix (the floor of any exact DSE) and softent.spectral's native estimator
at the same sigma.

Every candidate runs once, in a fresh process whose BLAS/OpenMP threads are set before
NumPy loads (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS, MKL_NUM_THREADS), on the same seeded
float64 data (3-sigma blobs, ``numpy.random.default_rng(seed)``); the time excludes
imports and data generation; ``extra MiB`` is the growth of the process's peak RSS during
the call. The compat value must equal dse-dsmi's to 1e-10 (checked).

    python -m benchmarks.compat_dse                         # the issue's sizes, 2 threads
    python -m benchmarks.compat_dse --threads 1 --task dse --d 64
    python -m benchmarks.compat_dse --peer-python /path/to/venv-with-dse-dsmi/bin/python

dse-dsmi is imported in the peer's process only (``--peer-python``, default this
interpreter), so its global warning filter never reaches softent's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
CANDIDATES = {
    "dse": ("dse-dsmi", "softent.compat", "softent.spectral", "eigh"),
    "dsmi": ("dse-dsmi", "softent.compat", "softent.spectral"),
}
ROOT = Path(__file__).resolve().parents[1]


def data(n: int, d: int, classes: int, seed: int):
    import numpy as np

    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    x = rng.normal(0.0, 3.0, (classes, d))[labels] + rng.standard_normal((n, d))
    return x, labels


def _peak_kib() -> int:
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def worker(cand: str, task: str, n: int, d: int, classes: int, seed: int, threads: int) -> dict:
    """One timed call in this (fresh) process; its record."""
    import warnings

    x, labels = data(n, d, classes, seed)
    if cand == "dse-dsmi":
        with warnings.catch_warnings():
            import dse_dsmi as mod
    elif cand == "softent.compat":
        from softent.compat import dse_dsmi as mod
    if cand == "eigh":
        import numpy as np
        import scipy.linalg
        from softent.compat import dse_dsmi

        # dse-dsmi's K itself: the divide-and-conquer solver's time depends on the spectrum
        a = np.asfortranarray(dse_dsmi.compute_diffusion_matrix(x))
        before = _peak_kib()
        t0 = time.perf_counter()
        scipy.linalg.eigh(a, eigvals_only=True, overwrite_a=True, check_finite=False,
                          driver="evd")  # fmt: skip
        value = float("nan")
    elif cand == "softent.spectral":
        from softent import spectral

        before = _peak_kib()
        t0 = time.perf_counter()
        if task == "dse":
            r = spectral.diffusion_spectral_entropy(x, sigma=10.0, num_threads=threads, base=2)
        else:
            r = spectral.diffusion_spectral_mutual_information(
                x, labels, sigma=10.0, num_threads=threads, base=2
            )
        value = float(r)
    else:
        before = _peak_kib()
        t0 = time.perf_counter()
        if task == "dse":
            value = float(mod.diffusion_spectral_entropy(x))
        else:
            value = float(mod.diffusion_spectral_mutual_information(x, labels.reshape(-1, 1))[0])
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "value": value, "extra_mib": (_peak_kib() - before) / 1024}


def run(cand: str, args: argparse.Namespace, d: int) -> dict:
    env = dict(os.environ)
    for k in THREAD_ENV:
        env[k] = str(args.threads)
    python = args.peer_python if cand == "dse-dsmi" else sys.executable
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "python"), env.get("PYTHONPATH", "")])
    n = args.n or (5000 if args.task == "dse" else 10_000)
    cmd = [python, str(Path(__file__).resolve()), "--worker", cand, "--task", args.task,
           "--n", str(n), "--d", str(d), "--classes", str(args.classes),
           "--seed", str(args.seed), "--threads", str(args.threads)]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--task", choices=sorted(CANDIDATES), default=None)
    p.add_argument("--n", type=int, default=0, help="rows (default 5000 DSE, 10^4 DSMI)")
    p.add_argument("--d", type=int, default=0, help="columns (default 64 and 768 DSE, 768 DSMI)")
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--peer-python", default=sys.executable)
    p.add_argument("--only", default="", help="comma-separated candidates")
    p.add_argument("--json", action="store_true")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        rec = worker(args.worker, args.task, args.n, args.d, args.classes, args.seed, args.threads)
        print(json.dumps(rec))
        return 0
    tasks = [args.task] if args.task else ["dse", "dsmi"]
    rows = []
    for task in tasks:
        args.task = task
        dims = [args.d] if args.d else ([64, 768] if task == "dse" else [768])
        for d in dims:
            recs = {}
            for cand in CANDIDATES[task]:
                if args.only and cand not in args.only.split(","):
                    continue
                recs[cand] = run(cand, args, d)
                rows.append({"task": task, "d": d, "candidate": cand, **recs[cand]})
                print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
            peer, ours = recs.get("dse-dsmi", {}), recs.get("softent.compat", {})
            if "value" in peer and "value" in ours and abs(peer["value"] - ours["value"]) > 1e-10:
                print(f"VALUES DIFFER: {peer['value']!r} vs {ours['value']!r}", file=sys.stderr)
                return 1
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"threads={args.threads} load={os.getloadavg()[0]:.1f}")
    print(f"{'task':5s} {'D':>4s} {'candidate':18s} {'seconds':>9s} {'x dse-dsmi':>10s} "
          f"{'extra MiB':>9s} value")  # fmt: skip
    for r in rows:
        peer = next(
            (
                q
                for q in rows
                if (q["task"], q["d"], q["candidate"]) == (r["task"], r["d"], "dse-dsmi")
            ),
            {},
        )
        ratio = peer.get("seconds", float("nan")) / r["seconds"] if "seconds" in r else float("nan")
        if "error" in r:
            print(f"{r['task']:5s} {r['d']:4d} {r['candidate']:18s} error: {r['error']}")
            continue
        print(f"{r['task']:5s} {r['d']:4d} {r['candidate']:18s} {r['seconds']:9.2f} "
              f"{ratio:10.2f} {r['extra_mib']:9.0f} {r['value']:.12g}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
