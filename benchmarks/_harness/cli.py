"""``python -m benchmarks [--family F]``: ratios and peak extra memory of softent against
its baselines, one family's tasks at a time, as a table (``--json`` for machines).

    python -m benchmarks                       # soft family, quick sizes, every candidate importable
    python -m benchmarks --family soft --sizes issue --json results.json
    /opt/peers/bin/python -m benchmarks --sizes targets      # with the peer packages
    python -m benchmarks --tasks H-cos --only softent,matmul --n 100000 --d 768 --b 100

The inputs of each (N, D) are written once as .npy files; one fresh worker process per
(task, size) times all its candidates in alternating rounds (first call = warm-up, then
``--repeat`` rounds, the median kept; a candidate whose warm-up took longer than
``--slow-s`` runs once); then one worker per candidate measures its peak extra memory
(VmHWM after one call minus VmRSS just before it, after a warm-up call on 1,024 rows).
Every worker gets the same thread count (OpenMP, OpenBLAS, MKL, torch, softent
``num_threads``). Candidates whose modules are not importable by ``--python``, or that
are estimated to need more memory or time than allowed, are listed as skipped.

Ratio = candidate time / softent time of the same task and size (> 1: softent is faster);
for the family's roofline the table also shows softent / roofline.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks._harness import FAMILIES, env, family, peers, table, workers

DEFAULT_FAMILY = "soft"


def split_family(argv: list[str]) -> tuple[str, list[str]]:
    """(--family value, the other arguments); raises ValueError for an unknown family."""
    name, rest, i = DEFAULT_FAMILY, [], 0
    while i < len(argv):
        a = argv[i]
        if a == "--family" and i + 1 < len(argv):
            name, i = argv[i + 1], i + 2
            continue
        if a.startswith("--family="):
            name = a.split("=", 1)[1]
        else:
            rest.append(a)
        i += 1
    family(name)  # ValueError when unknown
    return name, rest


def parse_args(fam: ModuleType, name: str, argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__.split("\n\n")[0] + "\n\n" + (fam.__doc__ or ""),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--family",
        default=name,
        help=f"the task family ({', '.join(FAMILIES)}; default {DEFAULT_FAMILY})",
    )
    p.add_argument(
        "--sizes",
        choices=tuple(fam.SIZES),
        default=next(iter(fam.SIZES)),
        help="; ".join(f"{k}: {v}" for k, v in fam.SIZES.items()),
    )
    p.add_argument("--n", type=int, nargs="+", help="N values (with --d/--b: replaces --sizes)")
    p.add_argument("--d", type=int, nargs="+", help="D values")
    p.add_argument("--b", type=int, nargs="+", help="B values")
    p.add_argument(
        "--tasks", default=",".join(fam.TASKS), help=f"comma list of {','.join(fam.TASKS)}"
    )
    p.add_argument(
        "--only", help=f"comma list of candidates ({','.join(fam.LABELS)}); softent is always kept"
    )
    p.add_argument("--skip", default="", help="comma list of candidates to leave out")
    p.add_argument(
        "--threads",
        type=int,
        default=env.THREADS,
        help="threads for every candidate (default: all cores)",
    )
    p.add_argument(
        "--repeat", type=int, default=3, help="timed rounds after the warm-up (median kept)"
    )
    p.add_argument("--pause-s", type=float, default=0.3, help="pause before every timed call")
    p.add_argument(
        "--slow-s", type=float, default=20.0, help="a warm-up longer than this is not repeated"
    )
    p.add_argument(
        "--peer-max-s", type=float, default=150.0, help="skip a baseline estimated to take longer"
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
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, help="write all rows and the settings here")
    p.add_argument("--tmp", type=Path, default=None, help="where the seeded inputs are written")
    fam.add_arguments(p)
    return p.parse_args(argv)


def build_plan(fam: ModuleType, args: argparse.Namespace) -> list[tuple[str, tuple, tuple]]:
    """(task, (N, D, B), candidates) to measure, after --tasks/--only/--skip."""
    tasks = [t for t in args.tasks.split(",") if t]
    for t in tasks:
        if t not in fam.TASKS:
            raise SystemExit(f"unknown task {t!r}; choose from {tuple(fam.TASKS)}")
    only = set(args.only.split(",")) if args.only else None
    skip = set(filter(None, args.skip.split(",")))
    for c in (only or set()) | skip:
        if c not in fam.LABELS:
            raise SystemExit(f"unknown candidate {c!r}; choose from {tuple(fam.LABELS)}")

    def keep(c: str) -> bool:
        return c == "softent" or ((only is None or c in only) and c not in skip)

    if args.n or args.d or args.b:
        grid = [
            (n, d, b)
            for n in (args.n or [100_000])
            for d in (args.d or [768])
            for b in (args.b or [100])
        ]
        items = [(t, s, fam.TASKS[t].candidates) for s in grid for t in tasks]
    else:
        items = [item for item in fam.plan(args.sizes) if item[0] in tasks]
    return [(t, s, tuple(c for c in cands if keep(c))) for t, s, cands in items]


def run_group(fam, args, opts, have, task, size, cands, data_dir) -> list[dict]:
    """The rows of one task at one size: timing worker, then one memory worker each."""
    n, d, b = size
    rows = {c: {"task": task, "n": n, "d": d, "b": b, "candidate": c} for c in cands}
    runnable = []
    for c in cands:
        need = fam.NEEDS.get(c)
        if need and not have[need]:
            rows[c]["skipped"] = "not importable"
            continue
        mem, secs = fam.estimate(c, task, n, d, b, opts)
        if mem > opts["max_bytes"]:
            cap = opts["max_bytes"] / 2**30
            rows[c]["skipped"] = f"skipped: needs ~{mem / 2**30:.0f} GiB (cap {cap:.0f})"
            continue
        if c not in ("softent", fam.ROOFLINE) and secs > args.peer_max_s:
            rows[c]["skipped"] = f"skipped: est. ~{secs:.0f} s > --peer-max-s {args.peer_max_s:.0f}"
            continue
        runnable.append(c)
    base = {
        "family": args.family,
        "size": [n, d, b],
        "task": task,
        "data_dir": str(data_dir),
        "seed": args.seed,
        "threads": args.threads,
        "opts": opts,
        # the modules whose threads the worker pins when a peer runs (the soft family's
        # peers run on torch; a family says otherwise with THREAD_IMPORTS)
        "imports": (
            list(getattr(fam, "THREAD_IMPORTS", ("torch",)))
            if any(c in fam.NEEDS for c in runnable)
            else []
        ),
    }
    if runnable:
        est = sum(fam.estimate(c, task, n, d, b, opts)[1] for c in runnable)
        spec = {
            **base,
            "mode": "time",
            "candidates": runnable,
            "repeat": args.repeat,
            "pause_s": args.pause_s,
            "slow_s": args.slow_s,
        }
        res = workers.run_worker(args.python, spec, timeout=max(600.0, 10 * est))
        if "error" in res:
            for c in runnable:
                rows[c]["error"] = res["error"]
        else:
            for c, r in res["candidates"].items():
                rows[c].update({k: v for k, v in r.items() if v is not None})
            t_softent = rows["softent"].get("time_s")
            for c in runnable:
                t = rows[c].get("time_s")
                if t_softent and t:
                    rows[c]["ratio"] = t / t_softent
                if c != "softent":
                    rows[c]["rel_diff"] = table.rel_diff(
                        rows["softent"].get("values"), rows[c].get("values")
                    )
                rows[c]["temperature"] = res.get("temperature")
    if not args.no_memory:
        for c in runnable:
            if rows[c].get("error") or c == fam.ROOFLINE:
                continue
            est = fam.estimate(c, task, n, d, b, opts)[1]
            spec = {**base, "mode": "memory", "candidates": [c]}
            res = workers.run_worker(args.python, spec, timeout=max(600.0, 10 * est))
            if "error" in res:
                rows[c]["memory_error"] = res["error"]
            else:
                rows[c]["extra_mib"] = res["extra_mib"]
                rows[c]["memory"] = res
    return list(rows.values())


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        name, rest = split_family(argv)
    except ValueError as e:
        print(f"python -m benchmarks: {e}", file=sys.stderr)
        return 2
    fam = family(name)
    args = parse_args(fam, name, rest)
    plan = build_plan(fam, args)
    mem_cap = args.max_mem_gib * 2**30 if args.max_mem_gib else 0.6 * env.mem_available()
    opts: dict[str, Any] = {"max_bytes": int(mem_cap), **fam.options(args)}
    have = {m: peers.available_in(args.python, m) for m in sorted(set(fam.NEEDS.values()))}
    box = env.machine()
    settings = {
        "command": " ".join([Path(sys.executable).name, "-m", "benchmarks", *argv]),
        "family": name,
        "python": args.python,
        "threads": args.threads,
        "thread_env": dict.fromkeys(env.THREAD_ENV, str(args.threads)),
        "repeat": args.repeat,
        "timing": "median of the rounds after a warm-up, candidates alternating",
        "machine": box,
        "peers": have,
        "max_mem_gib": round(mem_cap / 2**30, 1),
        "peer_max_s": args.peer_max_s,
        **{k: v for k, v in opts.items() if k != "max_bytes"},
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    print(
        f"machine: {box['cpu']}, {box['cores']} cores, {box['mem_gib']} GiB; python {args.python}"
    )
    print(
        f"family {name}; threads: {args.threads} for every candidate (OMP_NUM_THREADS = "
        f"OPENBLAS_NUM_THREADS = MKL_NUM_THREADS = torch.set_num_threads = softent num_threads); "
        f"importable: {', '.join(f'{m} {ok}' for m, ok in have.items())}; "
        f"memory cap for candidates {mem_cap / 2**30:.1f} GiB; median of {args.repeat} "
        "alternating rounds",
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
            fam.write_data(data_dir, n, d, args.seed, {t for t, _, _ in items})
            dt = time.perf_counter() - t0
            print(f"\n# N={n:,} D={d}: seeded inputs written in {dt:.1f} s", flush=True)
            for task, size, cands in items:
                group = run_group(fam, args, opts, have, task, size, cands, data_dir)
                rows.extend(group)
                table.print_table(group, fam.LABELS, fam.ROOFLINE)
            shutil.rmtree(data_dir, ignore_errors=True)
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)
    print("\n## all results (ratio = candidate time / softent time; > 1: softent faster)")
    table.print_table(rows, fam.LABELS, fam.ROOFLINE)
    summary = fam.targets(rows)
    if summary:
        print("\n## issue targets")
        print("\n".join(summary))
    if args.json:
        table.write_json(args.json, settings, rows, summary)
        print(f"\nwrote {args.json}")
    return 0
