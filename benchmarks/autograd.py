"""Forward + backward of a differentiable I(Z;L) loss: softent.torch against plain torch
autograd and nam-entropy's differentiable path, on the same seeded data, in one run.

    python -m benchmarks.autograd                          # N=100k, D=768, B=100, 10 labels
    /opt/peers/bin/python -m benchmarks.autograd --nam-n 10000   # with nam-entropy
    python -m benchmarks.autograd --memory                 # + peak extra memory, N=1M D=128 B=1000

Candidates (each returns the loss I(Z;L) = H(Z) - H(Z|L) in nats and fills z.grad):

- ``softent``          softent.torch.information (fused C++ forward and backward kernels;
                       the forward keeps its [N, B] dots for the backward when they fit in
                       64 MiB, see softent.torch.set_backward_cache_bytes)
- ``softent-recompute``  the same with the cache off (the backward recomputes every tile)
- ``torch``            the best plain torch a user writes by hand: scores by one matmul
                       (cosine) or torch.cdist (Euclidean, its matmul path), softmax,
                       per-label sums by index_add, entropies; autograd does the rest
- ``nam``              nam-entropy 0.2.0's differentiable path: ``soft_bin(z, B,
                       online_bins=C.view(B, 1, D), dist_fn='euclidean',
                       smoothing_fn='softmax', smoothing_temp=T)`` then ``entropy`` of the
                       mean assignment overall and per label (its h.py). Its cdist expands
                       the centres N times (~8·N·B·D bytes, twice that with the graph), so
                       it runs at ``--nam-n`` rows (N=100k would need ~120 GB)

Times: the best of ``--repeat`` calls after one warm-up; forward and backward timed apart.
Memory (``--memory``): each candidate in a fresh process; VmHWM during forward + backward
minus VmRSS before (inputs allocated, high-water mark reset through /proc/self/clear_refs),
also shown without z.grad itself (N x D: the result any implementation returns). The
plain-torch candidate runs at N=200k there (N=1M would need ~12 GB).
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "benchmarks"

from benchmarks import _common

CANDIDATES = ("softent", "softent-recompute", "torch", "nam")
RESULT_TAG = "@@softent-autograd "


def setup(n: int, d: int, b: int, metric: str, seed: int = 0) -> tuple[Any, Any, Any, float]:
    """(z [n, d] float32 tensor, labels [n] int64 tensor, centres [b, d] float32, T)."""
    import torch

    z, labels = _common.cached_clustered(n, d, seed=seed)
    if metric == "cosine":
        centres, t = _common.cosine_setup(d, b, seed)
    else:
        centres, t = _common.euclidean_setup(z, b, seed)
    return (
        torch.from_numpy(z.copy()),
        torch.from_numpy(labels.astype("int64")),
        torch.as_tensor(centres, dtype=torch.float32),
        float(t),
    )


def _entropy(masses: Any) -> Any:
    p = masses / masses.sum(-1, keepdim=True)
    return -(p * torch_log(p)).sum(-1)


def torch_log(p: Any) -> Any:
    import torch

    return torch.log(p.clamp_min(1e-30))


def torch_mi(z: Any, labels: Any, centres: Any, metric: str, t: float, k: int) -> Any:
    """Plain torch I(Z;L) (nats), every N x B intermediate materialised by autograd."""
    import torch

    if metric == "cosine":
        s = (
            torch.nn.functional.normalize(z, dim=1)
            @ torch.nn.functional.normalize(centres, dim=1).T
        )
    else:
        s = -torch.cdist(z, centres)
    q = torch.softmax(s / t, dim=1)
    per = torch.zeros((k, q.shape[1]), dtype=q.dtype).index_add(0, labels, q)
    counts = torch.bincount(labels, minlength=k).to(q.dtype)
    h = _entropy(per.sum(0))
    return h - (counts / counts.sum() * _entropy(per)).sum()


def nam_mi(z: Any, labels: Any, centres: Any, metric: str, t: float, k: int) -> Any:
    """nam-entropy's differentiable soft_bin + entropy (h.py), Euclidean, our centres."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from nam_entropy import h as nam_h
    b, d = centres.shape
    scores, _ = nam_h.soft_bin(
        z,
        b,
        online_bins=centres.view(b, 1, d),
        dist_fn=metric,
        n_heads=1,
        smoothing_fn="softmax",
        smoothing_temp=t,
    )
    scores = scores.reshape(z.shape[0], b)
    hz = nam_h.entropy(scores.mean(0))
    hc = 0.0
    for v in range(k):
        rows = labels == v
        hc = hc + rows.float().mean() * nam_h.entropy(scores[rows].mean(0))
    return hz - hc


def candidate(
    name: str, z: Any, labels: Any, centres: Any, metric: str, t: float
) -> Callable[[], tuple[Any, Any]]:
    """fn() -> (loss tensor, z with .grad requiring a backward): call loss.backward()."""

    import softent.torch as st

    k = int(labels.max()) + 1

    def leaf() -> Any:
        return z.detach().requires_grad_()

    if name in ("softent", "softent-recompute"):
        threads = _common.THREADS

        def fn() -> tuple[Any, Any]:
            zz = leaf()
            previous = st.set_backward_cache_bytes(0) if name == "softent-recompute" else None
            try:
                info = st.information(
                    zz, labels, centres=centres, metric=metric, temperature=t, num_threads=threads
                )
            finally:
                if previous is not None:
                    st.set_backward_cache_bytes(previous)
            return info.mutual_information, zz

        return fn
    impl = {"torch": torch_mi, "nam": nam_mi}[name]

    def fn2() -> tuple[Any, Any]:
        zz = leaf()
        return impl(zz, labels, centres, metric, t, k), zz

    return fn2


def time_candidate(fn: Callable[[], tuple[Any, Any]], repeat: int) -> dict[str, float]:
    """Best forward, backward and total seconds over ``repeat`` calls after a warm-up."""
    best = {"forward": math.inf, "backward": math.inf, "total": math.inf}
    loss = grad_norm = math.nan
    for i in range(repeat + 1):
        t0 = time.perf_counter()
        out, zz = fn()
        t1 = time.perf_counter()
        out.backward()
        t2 = time.perf_counter()
        if i:
            best = {
                "forward": min(best["forward"], t1 - t0),
                "backward": min(best["backward"], t2 - t1),
                "total": min(best["total"], t2 - t0),
            }
        loss, grad_norm = float(out.detach()), float(zz.grad.norm())
    return {**best, "loss": loss, "grad_norm": grad_norm}


def memory_worker(spec: dict) -> dict:
    """Peak extra memory of one forward + backward (run in a fresh process)."""
    from benchmarks.run import _proc_status, _reset_peak

    z, labels, centres, t = setup(spec["n"], spec["d"], spec["b"], spec["metric"])
    small = candidate(spec["cand"], z[:1024], labels[:1024], centres, spec["metric"], t)
    out, _ = small()
    out.backward()  # warm-up: libraries loaded, thread pools started
    fn = candidate(spec["cand"], z, labels, centres, spec["metric"], t)
    _reset_peak()
    before = _proc_status()["VmRSS"]
    out, zz = fn()
    out.backward()
    extra = _proc_status()["VmHWM"] - before
    # z.grad [N, D] is the result every implementation must return: reported apart.
    grad = zz.grad.element_size() * zz.grad.numel()
    return {"extra_bytes": extra, "grad_bytes": grad, "extra_beyond_grad_bytes": extra - grad}


def run_memory(cand: str, n: int, d: int, b: int, metric: str, timeout: float = 600) -> dict:
    spec = json.dumps({"cand": cand, "n": n, "d": d, "b": b, "metric": metric})
    code = (
        "import json, sys; from benchmarks.autograd import memory_worker; "
        f"print({RESULT_TAG!r} + json.dumps(memory_worker(json.loads(sys.argv[1]))))"
    )
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code, spec],
            check=False,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=Path(__file__).resolve().parent.parent,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout:.0f} s"}
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_TAG):
            return json.loads(line[len(RESULT_TAG) :])
    return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1][:200]}


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
    _common.pin_threads()
    import torch

    torch.set_num_threads(_common.THREADS)
    rows: list[dict] = []

    def measure(label: str, n: int, metric: str, cands: tuple[str, ...]) -> None:
        z, labels, centres, t = setup(n, args.d, args.b, metric)
        base = None
        for cand in cands:
            if cand == "nam" and not _have("nam_entropy"):
                continue
            r = time_candidate(
                candidate(cand, z, labels, centres, metric, t), 1 if cand == "nam" else args.repeat
            )
            base = base or r
            row = {
                "task": label,
                "n": n,
                "d": args.d,
                "b": args.b,
                "metric": metric,
                "candidate": cand,
                **r,
                "ratio": r["total"] / base["total"],
                "backward_over_forward": r["backward"] / r["forward"],
            }
            rows.append(row)
            print(
                f"{label:28s} {cand:18s} fwd {r['forward']:8.3f} s  bwd {r['backward']:8.3f} s  "
                f"total {r['total']:8.3f} s  x{row['ratio']:7.2f} of softent  bwd/fwd {row['backward_over_forward']:.2f}  "
                f"loss {r['loss']:.6f}",
                flush=True,
            )

    for metric in ("euclidean", "cosine"):
        measure(
            f"I(Z;L) {metric}, N={args.n}",
            args.n,
            metric,
            ("softent", "softent-recompute", "torch"),
        )
    if _have("nam_entropy"):
        measure(
            f"I(Z;L) euclidean, N={args.nam_n}",
            args.nam_n,
            "euclidean",
            ("softent", "torch", "nam"),
        )
    if args.memory:
        for cand, n in (("softent", 1_000_000), ("softent", 200_000), ("torch", 200_000)):
            m = run_memory(cand, n, 128, 1000, "cosine")
            rows.append({"task": f"memory N={n} D=128 B=1000 cosine", "candidate": cand, **m})
            what = (
                f"+{m['extra_bytes'] / 2**20:.1f} MiB (+{m['extra_beyond_grad_bytes'] / 2**20:.1f} MiB beyond "
                f"z.grad)"
                if "extra_bytes" in m
                else m["error"]
            )
            print(f"memory N={n} D=128 B=1000 {cand:18s} {what}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"threads": _common.THREADS, "rows": rows}, indent=2))
    return 0


def _have(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


if __name__ == "__main__":
    raise SystemExit(main())
