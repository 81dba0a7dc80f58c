"""Ratios and peak extra memory of softent against its baselines, for the issues' sizes.

    python -m benchmarks                       # quick sizes, every candidate importable
    python -m benchmarks --sizes issue --json results.json
    /opt/peers/bin/python -m benchmarks --sizes targets      # with the peer packages
    python benchmarks/run.py --tasks H-cos --only softent,matmul --n 100000 --d 768 --b 100

Tasks (each compares candidates computing the same thing on the same seeded data):

- ``H-cos``     H(Z), cosine: softent.entropy vs the plain NumPy / torch formula, vs one
                bare float32 ``numpy.matmul`` of the same [N, D] x [D, B] shape (the
                roofline), vs soft-entropy's one-shot ``soft_entropy`` and accumulator.
- ``I-cos-10``  H, H(Z|L), I with 10 labels, cosine: softent.information vs the formulas,
                soft-entropy's one-shot ``soft_mutual_information`` and its
                ``SoftEntropyAccumulator``.
- ``I-cos-50k`` the same with 50,000-value token-style labels.
- ``I-euc-10``  H, H(Z|L), I with 10 labels, Euclidean (-|z - c|): softent.information vs
                the formulas and nam-entropy (``compute_all_entropy_measures`` when it
                fits in memory, else its ``EntropyAccumulator`` over 8192-row chunks).

Every candidate runs in fresh worker processes with the same thread count (OpenMP,
OpenBLAS, MKL, torch, softent ``num_threads``): one worker per (task, size) times all
its candidates one after the other, with a pause between them (first call = warm-up;
the best of the next ``--repeat`` calls is kept; a candidate whose first call took
longer than ``--slow-s`` runs once);
then one worker per candidate measures its peak extra memory: VmHWM after one call
minus VmRSS just before it (the high-water mark is reset through /proc/self/clear_refs
after the inputs exist and after a warm-up call on 1,024 rows).

Ratio = candidate time / softent time of the same task and size (> 1: softent is faster);
for the matmul roofline the table also shows softent / matmul.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: python benchmarks/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "benchmarks"

from benchmarks import _common

REPO = Path(__file__).resolve().parent.parent
RESULT_TAG = "@@softent-bench-result "
MiB = float(1 << 20)

TASKS = ("H-cos", "I-cos-10", "I-cos-50k", "I-euc-10")
TASK_INFO = _common.TASKS
#: candidates per task, in table order ("softent" first: the reference of the ratios)
CANDIDATES = {
    "H-cos": ("softent", "matmul", "numpy", "torch", "se-oneshot", "se-acc"),
    "I-cos-10": ("softent", "numpy", "torch", "se-oneshot", "se-acc"),
    "I-cos-50k": ("softent", "numpy", "torch", "se-oneshot", "se-acc"),
    "I-euc-10": ("softent", "numpy", "torch", "nam"),
}
CANDIDATE_LABELS = {
    "softent": "softent",
    "matmul": "numpy.matmul f32 (roofline)",
    "numpy": "NumPy formula (N x B)",
    "torch": "torch formula (N x B)",
    "se-oneshot": "soft-entropy one-shot",
    "se-acc": "soft-entropy accumulator",
    "nam": "nam-entropy",
}

SIZE_SETS: dict[str, list[tuple[int, int, int]]] = {
    "quick": [(10_000, 64, 100), (10_000, 768, 100), (10_000, 64, 1000)],
    "issue": [
        (n, d, b) for n in (10_000, 100_000, 1_000_000) for d in (64, 768) for b in (100, 1000)
    ]
    + [(1_000_000, 128, 1000)],
}


def target_plan() -> list[tuple[str, tuple[int, int, int], tuple[str, ...]]]:
    """(task, size, candidates) of the issue's targets only."""
    plan = [
        ("I-euc-10", (100_000, 768, 100), ("softent", "nam")),
        ("I-cos-10", (100_000, 768, 100), ("softent", "se-oneshot", "se-acc")),
        ("I-cos-50k", (100_000, 768, 100), ("softent", "se-acc")),
    ]
    plan += [
        ("H-cos", (100_000, d, b), ("softent", "matmul")) for d in (768, 64) for b in (100, 1000)
    ]
    plan += [(task, (1_000_000, 128, 1000), ("softent",)) for task in ("H-cos", "I-cos-10")]
    return plan


# ============================================================================ worker side


def _proc_status() -> dict[str, int]:
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                out[key] = int(value.split()[0]) * 1024
    return out


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def load_inputs(spec: dict) -> _common.Inputs:
    import numpy as np

    _n, _d, b = spec["size"]
    data = Path(spec["data_dir"])
    kind = TASK_INFO[spec["task"]][1]
    z = np.load(data / "z.npy")
    labels10 = np.load(data / "labels10.npy") if kind == "10" else None
    labels50k = np.load(data / "labels50k.npy") if kind == "50k" else None
    return _common.task_inputs(
        spec["task"], z, labels10, b, spec["seed"], labels50k, spec["threads"], spec.get("opts")
    )


def _values(out: Any) -> list[float] | None:
    if out is None:
        return None
    return [float(v) for v in out]


def worker_time(spec: dict) -> dict:
    ctx = load_inputs(spec)
    cands = spec["candidates"]
    fns, notes, times, values, errors = {}, {}, {c: [] for c in cands}, {}, {}
    for c in cands:
        try:
            fns[c], notes[c] = _common.candidate(c, ctx)
        except Exception as e:  # noqa: BLE001  (a peer that cannot run this size)
            errors[c] = f"{type(e).__name__}: {e}"[:300]
    slow = spec["slow_s"]
    # Candidates run one after the other, each with its warm-up and its rounds, with a
    # pause in between: thread pools (OpenBLAS, libgomp, torch) keep spinning for a while
    # after a call, and on a 2-core machine that steals time from the next candidate.
    for c in cands:
        time.sleep(spec.get("pause_s", 0.5))
        for rnd in range(1 + spec["repeat"]):
            if c not in fns or (rnd > 0 and times[c][0] > slow):
                break
            try:
                t0 = time.perf_counter()
                out = fns[c]()
                times[c].append(time.perf_counter() - t0)
                if rnd == 0:
                    values[c] = _values(out)
            except Exception as e:  # noqa: BLE001
                errors[c] = f"{type(e).__name__}: {e}"[:300]
                del fns[c]
        fns.pop(c, None)  # free what the candidate holds (buffers, tensors)
    result = {}
    for c in cands:
        ts = times[c]
        best = (min(ts[1:]) if len(ts) > 1 else ts[0]) if ts else None
        result[c] = {
            "time_s": best,
            "times_s": ts,
            "note": notes.get(c, ""),
            "values": values.get(c),
            "error": errors.get(c),
            "single_run": len(ts) == 1,
        }
    return {
        "candidates": result,
        "temperature": ctx.temperature,
        "threads": _common.describe_threads(),
    }


def worker_memory(spec: dict) -> dict:
    import gc

    ctx = load_inputs(spec)
    (cand,) = spec["candidates"]
    warm, _ = _common.candidate(cand, ctx.head(min(1024, ctx.z.shape[0])))
    warm()
    fn, note = _common.candidate(cand, ctx)
    del warm
    gc.collect()
    exact = _reset_peak()
    before = _proc_status()
    base = before["VmRSS"] if exact else before["VmHWM"]
    fn()
    after = _proc_status()
    return {
        "extra_mib": max(0, after["VmHWM"] - base) / MiB,
        "rss_before_mib": before["VmRSS"] / MiB,
        "hwm_after_mib": after["VmHWM"] / MiB,
        "hwm_reset": exact,
        "note": note,
    }


def worker_main(arg: str) -> None:
    spec = json.loads(arg)
    _common.pin_threads(spec["threads"])
    if "torch" in spec.get("imports", ()):
        import torch

        torch.set_num_threads(spec["threads"])
    fn = worker_time if spec["mode"] == "time" else worker_memory
    out = fn(spec)
    sys.stdout.write("\n" + RESULT_TAG + json.dumps(out) + "\n")
    sys.stdout.flush()


# ============================================================================ parent side


def mem_available() -> int:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 8 << 30


def estimate(cand: str, task: str, n: int, d: int, b: int, opts: dict) -> tuple[float, float]:
    """(rough peak bytes, rough seconds on 2 cores) of a candidate, to skip the ones that
    cannot fit or take far too long. Calibrated on this project's 2-core machine."""
    nb, nd = n * b, n * d
    labels50k = task == "I-cos-50k"
    if cand in ("softent", "matmul"):
        return (nb * 4 if cand == "matmul" else 64 << 20), n * b * d * 1.5e-11
    if cand == "numpy":
        extra = nb * 4 * (5 if labels50k else 4) + nd * 4
        return extra, n * b * d * 2e-11 + nb * 2e-9
    if cand == "torch":
        return nb * 4 * 4 + nd * 4, n * b * d * 2e-11 + nb * 1e-9
    if cand == "se-oneshot":
        per_label = 50_000 * 2e-3 if labels50k else 0
        return nd * 8 * 2 + nb * 8 * 4, n * b * d * 6e-11 * (
            2 if task != "H-cos" else 1
        ) + per_label
    if cand == "se-acc":
        chunk = opts.get("se_chunk") or n
        return min(n, chunk) * (d * 8 * 2 + b * 8 * 4), n * b * d * 4e-11 + (
            2.0 if labels50k else 0
        )
    if cand == "nam":
        batch = 2 * n * b * d * 4
        if batch <= opts["max_bytes"]:
            return batch, n * b * d * 7.5e-9 / 8
        chunk = opts.get("nam_chunk", 8192)
        return 2 * min(n, chunk) * b * d * 4, n * b * d * 7.8e-9
    return 0, 0


def peer_available(python: str, module: str) -> bool:
    code = f"import importlib.util, sys; sys.exit(0 if importlib.util.find_spec({module!r}) else 1)"
    return subprocess.run([python, "-c", code], check=False, capture_output=True).returncode == 0


def run_worker(python: str, spec: dict, timeout: float) -> dict:
    env = dict(os.environ)
    for var in _common.THREAD_ENV:
        env[var] = str(spec["threads"])
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    cmd = [python, "-m", "benchmarks.run", "--_worker", json.dumps(spec)]
    try:
        p = subprocess.run(
            cmd, check=False, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    for line in reversed(p.stdout.splitlines()):
        if line.startswith(RESULT_TAG):
            return json.loads(line[len(RESULT_TAG) :])
    tail = (p.stderr or p.stdout).strip().splitlines()[-3:]
    why = "killed (out of memory?)" if p.returncode in (-9, 137) else f"exit {p.returncode}"
    return {"error": f"worker {why}: {' | '.join(tail)}"[:400]}


def write_data(dir_: Path, n: int, d: int, seed: int, need50k: bool) -> None:
    import numpy as np

    z, labels = _common.clustered(n, d, 10, seed)
    np.save(dir_ / "z.npy", z)
    np.save(dir_ / "labels10.npy", labels)
    if need50k:
        np.save(dir_ / "labels50k.npy", _common.token_labels(n, 50_000, seed + 1))


def fmt_time(t: float | None) -> str:
    if t is None:
        return "-"
    return f"{t:.3g}" if t < 100 else f"{t:.0f}"


def rel_diff(a: list[float] | None, b: list[float] | None) -> float | None:
    if not a or not b:
        return None
    diffs = [
        abs(x - y) / max(abs(a[0]), 1e-12)
        for x, y in zip(a, b, strict=False)
        if not (math.isnan(x) or math.isnan(y))
    ]
    return max(diffs) if diffs else None


def print_table(rows: list[dict], out=sys.stdout) -> None:
    head = (
        "task",
        "N",
        "D",
        "B",
        "candidate",
        "time s",
        "x softent",
        "extra MiB",
        "max rel diff",
        "note",
    )
    lines = [head]
    for r in rows:
        ratio = r.get("ratio")
        rtxt = "-" if ratio is None else (f"{ratio:.3g}" if ratio < 100 else f"{ratio:.0f}")
        if r["candidate"] == "matmul" and ratio:
            rtxt += f" (softent/matmul {1 / ratio:.2f})"
        mem = r.get("extra_mib")
        diff = r.get("rel_diff")
        note = r.get("skipped") or r.get("error") or r.get("note") or ""
        if r.get("single_run"):
            note = ("1 run; " + note).strip("; ")
        lines.append(
            (
                r["task"],
                f"{r['n']:,}",
                str(r["d"]),
                str(r["b"]),
                CANDIDATE_LABELS[r["candidate"]],
                fmt_time(r.get("time_s")),
                rtxt,
                "-" if mem is None else f"{mem:.0f}",
                "-" if diff is None else f"{diff:.1e}",
                note,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head) - 1)]
    for i, line in enumerate(lines):
        cells = [
            c.rjust(w) if j in (1, 2, 3, 5, 6, 7, 8) else c.ljust(w)
            for j, (c, w) in enumerate(zip(line, widths, strict=False))
        ]
        print("  ".join(cells) + "  " + line[-1], file=out)
        if i == 0:
            print("-" * (sum(widths) + 2 * len(widths) + 4), file=out)
    out.flush()


def targets_summary(rows: list[dict]) -> list[str]:
    """The issue's targets, from whichever rows were measured."""

    def find(task, size, cand):
        for r in rows:
            if (r["task"], (r["n"], r["d"], r["b"]), r["candidate"]) == (task, size, cand):
                return r
        return None

    out = []

    def ratio_line(what, task, size, cand, goal, cmp):
        r = find(task, size, cand)
        if r is None or r.get("ratio") is None:
            return
        v = r["ratio"] if cand != "matmul" else 1 / r["ratio"]
        ok = v >= goal if cmp == ">=" else v <= goal
        out.append(f"{'PASS' if ok else 'MISS'}  {what}: {v:.3g} (target {cmp} {goal})")

    s = (100_000, 768, 100)
    ratio_line(
        "Euclidean I, 10 labels, N=100k D=768 B=100: nam-entropy / softent",
        "I-euc-10",
        s,
        "nam",
        100,
        ">=",
    )
    ratio_line(
        "Cosine I, 10 labels: soft-entropy one-shot soft_mutual_information / softent",
        "I-cos-10",
        s,
        "se-oneshot",
        3,
        ">=",
    )
    ratio_line(
        "Cosine I, 10 labels: SoftEntropyAccumulator / softent", "I-cos-10", s, "se-acc", 1, ">="
    )
    ratio_line(
        "Cosine I, 50,000 labels: SoftEntropyAccumulator / softent",
        "I-cos-50k",
        s,
        "se-acc",
        2,
        ">=",
    )
    for d, goal in ((768, 1.3), (64, 2.0)):
        for b in (100, 1000):
            ratio_line(
                f"H forward N=100k D={d} B={b}: softent / float32 matmul",
                "H-cos",
                (100_000, d, b),
                "matmul",
                goal,
                "<=",
            )
    for task in ("H-cos", "I-cos-10"):
        r = find(task, (1_000_000, 128, 1000), "softent")
        if r is not None and r.get("extra_mib") is not None:
            ok = r["extra_mib"] <= 64
            out.append(
                f"{'PASS' if ok else 'MISS'}  extra peak memory, {task}, N=1M D=128 B=1000: "
                f"{r['extra_mib']:.1f} MiB (target <= 64 MB)"
            )
    return out


def machine() -> dict:
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "mem_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--sizes",
        choices=("quick", "issue", "targets"),
        default="quick",
        help="quick: N=10k; issue: N in {10k,100k,1M} x D in {64,768} x B in {100,1000} "
        "+ (1M,128,1000); targets: only the issue's targets (default: quick)",
    )
    p.add_argument("--n", type=int, nargs="+", help="N values (with --d/--b: replaces --sizes)")
    p.add_argument("--d", type=int, nargs="+", help="D values")
    p.add_argument("--b", type=int, nargs="+", help="B values")
    p.add_argument("--tasks", default=",".join(TASKS), help=f"comma list of {','.join(TASKS)}")
    p.add_argument(
        "--only",
        help=f"comma list of candidates ({','.join(CANDIDATE_LABELS)}); softent is always kept",
    )
    p.add_argument("--skip", default="", help="comma list of candidates to leave out")
    p.add_argument(
        "--threads",
        type=int,
        default=_common.THREADS,
        help="threads for every candidate (default: all cores)",
    )
    p.add_argument(
        "--repeat", type=int, default=3, help="timed rounds after the warm-up round (best kept)"
    )
    p.add_argument(
        "--slow-s", type=float, default=20.0, help="a first call longer than this is not repeated"
    )
    p.add_argument(
        "--peer-max-s",
        type=float,
        default=150.0,
        help="skip a peer/formula estimated to take longer",
    )
    p.add_argument(
        "--max-mem-gib",
        type=float,
        default=None,
        help="skip candidates estimated to need more (default: 60%% of MemAvailable)",
    )
    p.add_argument("--no-memory", action="store_true", help="do not measure peak extra memory")
    p.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter for the workers (e.g. /opt/peers/bin/python)",
    )
    p.add_argument(
        "--se-backend",
        choices=("numpy", "torch"),
        default="numpy",
        help="soft-entropy backend (numpy: the same reference points)",
    )
    p.add_argument(
        "--se-chunk",
        type=int,
        default=None,
        help="rows per SoftEntropyAccumulator.update (default: all at once)",
    )
    p.add_argument(
        "--nam-chunk", type=int, default=8192, help="rows per nam-entropy EntropyAccumulator update"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, help="write all rows and the settings here")
    p.add_argument(
        "--tmp",
        type=Path,
        default=None,
        help="where the seeded inputs are written (default: a temp dir)",
    )
    p.add_argument("--_worker", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def build_plan(args) -> list[tuple[str, tuple[int, int, int], tuple[str, ...]]]:
    tasks = [t for t in args.tasks.split(",") if t]
    for t in tasks:
        if t not in TASKS:
            raise SystemExit(f"unknown task {t!r}; choose from {TASKS}")
    only = set(args.only.split(",")) if args.only else None
    skip = set(filter(None, args.skip.split(",")))
    for c in (only or set()) | skip:
        if c not in CANDIDATE_LABELS:
            raise SystemExit(f"unknown candidate {c!r}; choose from {tuple(CANDIDATE_LABELS)}")

    def keep(c: str) -> bool:
        return c == "softent" or ((only is None or c in only) and c not in skip)

    if args.n or args.d or args.b:
        sizes = [
            (n, d, b)
            for n in (args.n or [100_000])
            for d in (args.d or [768])
            for b in (args.b or [100])
        ]
        plan = [(t, s, CANDIDATES[t]) for s in sizes for t in tasks]
    elif args.sizes == "targets":
        plan = [p for p in target_plan() if p[0] in tasks]
    else:
        plan = [(t, s, CANDIDATES[t]) for s in SIZE_SETS[args.sizes] for t in tasks]
    return [(t, s, tuple(c for c in cands if keep(c))) for t, s, cands in plan]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args._worker:
        worker_main(args._worker)
        return 0
    plan = build_plan(args)
    max_bytes = int((args.max_mem_gib * 2**30) if args.max_mem_gib else 0.6 * mem_available())
    opts = {
        "max_bytes": max_bytes,
        "se_backend": args.se_backend,
        "se_chunk": args.se_chunk,
        "nam_chunk": args.nam_chunk,
    }
    have = {
        "se": peer_available(args.python, "soft_entropy"),
        "nam": peer_available(args.python, "nam_entropy"),
        "torch": peer_available(args.python, "torch"),
    }
    settings = {
        "command": " ".join(
            [
                Path(sys.executable).name,
                "-m",
                "benchmarks",
                *(argv if argv is not None else sys.argv[1:]),
            ]
        ),
        "python": args.python,
        "threads": args.threads,
        "thread_env": {v: str(args.threads) for v in _common.THREAD_ENV},
        "repeat": args.repeat,
        "machine": machine(),
        "peers": have,
        "max_mem_gib": round(max_bytes / 2**30, 1),
        "peer_max_s": args.peer_max_s,
        "se_backend": args.se_backend,
        "se_chunk": args.se_chunk,
        "nam_chunk": args.nam_chunk,
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    print(
        f"machine: {settings['machine']['cpu']}, {settings['machine']['cores']} cores, {settings['machine']['mem_gib']} GiB; "
        f"python {args.python}"
    )
    print(
        f"threads: {args.threads} for every candidate (OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = MKL_NUM_THREADS = "
        f"torch.set_num_threads = softent num_threads = {args.threads}); peers importable: "
        f"soft-entropy {have['se']}, nam-entropy {have['nam']}; memory cap for candidates {max_bytes / 2**30:.1f} GiB",
        flush=True,
    )

    tmp_root = Path(tempfile.mkdtemp(prefix="softent-bench-", dir=args.tmp))
    rows: list[dict] = []
    try:
        by_nd: dict[tuple[int, int], list] = {}
        for item in plan:
            by_nd.setdefault((item[1][0], item[1][1]), []).append(item)
        for (n, d), items in by_nd.items():
            data_dir = tmp_root / f"n{n}_d{d}"
            data_dir.mkdir()
            t0 = time.perf_counter()
            write_data(data_dir, n, d, args.seed, any(t == "I-cos-50k" for t, _, _ in items))
            print(
                f"\n# N={n:,} D={d}: seeded inputs written in {time.perf_counter() - t0:.1f} s",
                flush=True,
            )
            for task, (_, _, b), cands in items:
                group = run_group(args, opts, have, task, (n, d, b), cands, data_dir)
                rows.extend(group)
                print_table(group)
            shutil.rmtree(data_dir, ignore_errors=True)
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)

    print("\n## all results (ratio = candidate time / softent time; > 1: softent faster)")
    print_table(rows)
    summary = targets_summary(rows)
    if summary:
        print("\n## issue targets")
        print("\n".join(summary))
    if args.json:
        args.json.write_text(
            json.dumps({"settings": settings, "rows": rows, "targets": summary}, indent=1)
        )
        print(f"\nwrote {args.json}")
    return 0


def run_group(args, opts, have, task, size, cands, data_dir) -> list[dict]:
    n, d, b = size
    rows = {c: {"task": task, "n": n, "d": d, "b": b, "candidate": c} for c in cands}
    runnable = []
    for c in cands:
        need = {"se-oneshot": "se", "se-acc": "se", "nam": "nam", "torch": "torch"}.get(c)
        if need and not have[need]:
            rows[c]["skipped"] = "not importable"
            continue
        mem, secs = estimate(c, task, n, d, b, opts)
        if mem > opts["max_bytes"]:
            rows[c]["skipped"] = (
                f"skipped: needs ~{mem / 2**30:.0f} GiB (cap {opts['max_bytes'] / 2**30:.0f})"
            )
            continue
        if c != "softent" and c != "matmul" and secs > args.peer_max_s:
            rows[c]["skipped"] = f"skipped: est. ~{secs:.0f} s > --peer-max-s {args.peer_max_s:.0f}"
            continue
        runnable.append(c)
    base = {
        "size": [n, d, b],
        "task": task,
        "data_dir": str(data_dir),
        "seed": args.seed,
        "threads": args.threads,
        "opts": opts,
        "imports": ["torch"]
        if any(c in ("torch", "nam", "se-oneshot", "se-acc") for c in runnable)
        else [],
    }
    if runnable:
        est = sum(estimate(c, task, n, d, b, opts)[1] for c in runnable)
        res = run_worker(
            args.python,
            {
                **base,
                "mode": "time",
                "candidates": runnable,
                "repeat": args.repeat,
                "slow_s": args.slow_s,
            },
            timeout=max(600.0, 10 * est),
        )
        if "error" in res:
            for c in runnable:
                rows[c]["error"] = res["error"]
        else:
            for c, r in res["candidates"].items():
                rows[c].update({k: v for k, v in r.items() if v is not None})
            rows_t = rows["softent"].get("time_s")
            for c in runnable:
                t = rows[c].get("time_s")
                if rows_t and t:
                    rows[c]["ratio"] = t / rows_t
                rows[c]["rel_diff"] = (
                    rel_diff(rows["softent"].get("values"), rows[c].get("values"))
                    if c != "softent"
                    else None
                )
                rows[c]["temperature"] = res["temperature"]
    if not args.no_memory:
        for c in runnable:
            if rows[c].get("error") or c == "matmul":
                continue
            est = estimate(c, task, n, d, b, opts)[1]
            res = run_worker(
                args.python,
                {**base, "mode": "memory", "candidates": [c]},
                timeout=max(600.0, 10 * est),
            )
            if "error" in res:
                rows[c]["memory_error"] = res["error"]
            else:
                rows[c]["extra_mib"] = res["extra_mib"]
                rows[c]["memory"] = res
    return list(rows.values())


if __name__ == "__main__":
    raise SystemExit(main())
