"""The long fuzz run: ≥ 10,000 generated calls over every public function of every family,
in child processes, with a JSON summary.

    PYTHONPATH=python python tests/fuzz/long_run.py --calls 10000 --json fuzz.json

The calls are split into batches (one public function, one Hypothesis seed, ``--batch``
examples); each batch runs in a fresh ``python`` child (``subprocess``: a new interpreter,
not a fork), ``--workers`` at a time. A child that dies by a signal or an abort is a
**crash**, one that makes no progress for ``--timeout`` seconds is killed and counted
as a **hang**; either way the call it had started is named (each child writes the call it is
about to make to a progress file first). Every call is judged by ``fuzz_core.judge``; the
summary counts calls, verdicts and findings per function and lists each finding with its
call. Known, unfixed findings (known_findings.py) are counted apart.

A batch is reproducible: ``long_run.py --child FUNCTION SEED N --verbose`` reruns it and
prints every call before making it.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import contextlib
import datetime
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: seconds a child may take to import softent, torch and Hypothesis before its first call
STARTUP_S = 300.0

# ----------------------------------------------------------------------------- child


def child(name: str, seed: int, n: int, out: Path | None, verbose: bool) -> None:
    """Run ``n`` generated calls of ``name`` (Hypothesis seed ``seed``): one JSON line per
    call into ``out`` (written before the call: "start", and after: the verdict)."""
    sys.path.insert(0, str(HERE))
    from fuzz_core import judge
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed
    from known_findings import known

    if name.startswith("selftest."):  # test_fuzz.py checks that crashes and hangs are caught
        strategy = selftest_strategy(name)
    else:
        from fuzz_targets import TARGETS

        strategy = TARGETS[name]

    sink = open(out, "a", buffering=1, encoding="utf-8") if out else None  # noqa: SIM115
    index = 0

    @hseed(seed)
    @settings(
        max_examples=n,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(call):
        nonlocal index
        text = repr(call)
        if verbose:
            print(f"[{index}] {text}", flush=True)
        if sink:
            sink.write(json.dumps({"start": index, "call": text[:2000]}) + "\n")
            sink.flush()
        t0 = time.perf_counter()
        verdict = judge(call)
        seconds = time.perf_counter() - t0
        k = None if verdict.good else known(call, verdict)
        record = {"i": index, "kind": verdict.kind, "s": round(seconds, 4)}
        if not verdict.good:
            record |= {"detail": verdict.detail[:600], "call": text[:2000]}
            record["known"] = k.key if k else None
        if verbose:
            print(f"    -> {verdict.kind} {verdict.detail[:300]}", flush=True)
        if sink:
            sink.write(json.dumps(record) + "\n")
        index += 1

    run()
    if sink:
        sink.write(json.dumps({"done": index}) + "\n")
        sink.close()


def selftest_strategy(name: str):
    """Calls that kill the child (``selftest.abort``: SIGABRT, as a failed allocation inside
    an OpenMP region would) or never return (``selftest.hang``) at the third call."""
    import signal

    from fuzz_core import Call
    from hypothesis import strategies as st

    made = 0

    def fn(i: int) -> float:
        nonlocal made
        made += 1
        if made == 3:
            if name == "selftest.abort":
                os.kill(os.getpid(), signal.SIGABRT)
            time.sleep(3600)
        return float(i)

    return st.integers(0, 10**6).map(lambda i: Call(name, fn, (i,)))


# ----------------------------------------------------------------------------- parent


def batch_seed(base: int, name: str, i: int) -> int:
    digest = hashlib.sha256(f"{base}:{name}:{i}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def run_batch(name: str, seed: int, n: int, timeout: float, workdir: Path) -> dict:
    """One child; what it recorded, and how it ended."""
    out = workdir / f"{name}.{seed}.jsonl"
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        name,
        str(seed),
        str(n),
        "--out",
        str(out),
    ]
    t0 = time.perf_counter()
    err = workdir / f"{name}.{seed}.stderr"
    with open(err, "w+", encoding="utf-8") as stderr_file:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=stderr_file)
        # a hang: no progress (a new line in the progress file) for ``timeout`` seconds once
        # the calls have begun (STARTUP_S for the interpreter's imports before the first)
        last_size, last_change, killed = -1, time.monotonic(), False
        while proc.poll() is None:
            size = out.stat().st_size if out.exists() else 0
            if size != last_size:
                last_size, last_change = size, time.monotonic()
            elif time.monotonic() - last_change > (timeout if size else max(timeout, STARTUP_S)):
                proc.kill()
                proc.wait()
                killed = True
                break
            time.sleep(0.1)
        rc = None if killed else proc.returncode
        ended = "hang" if killed else "exit"
        stderr_file.seek(0)
        stderr = stderr_file.read()
    lines = []
    if out.exists():
        for line in out.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(json.JSONDecodeError):  # a killed child's last line
                lines.append(json.loads(line))
    records = [r for r in lines if "kind" in r]
    done = any("done" in r for r in lines)
    started = [r for r in lines if "start" in r]
    last = started[-1] if started else None
    if ended == "exit" and not done:
        # died by a signal (rc < 0), os._exit / abort, or a harness error (Python traceback)
        ended = "crash" if rc is None or rc < 0 or "Traceback" not in stderr else "harness_error"
    elif ended == "exit" and rc != 0:
        ended = "crash"  # every call returned, then the interpreter died (at exit, teardown)
    in_flight = last if last and (not records or records[-1]["i"] < last["start"]) else None
    return {
        "name": name,
        "seed": seed,
        "n": n,
        "ended": ended,
        "rc": rc,
        "records": records,
        "in_flight": in_flight["call"] if in_flight and ended != "exit" else None,
        "stderr": stderr[-3000:] if ended != "exit" else "",
        "wall_s": round(time.perf_counter() - t0, 2),
    }


def machine() -> dict:
    import numpy
    import softent
    import torch

    info = softent.build_info()
    return {
        "platform": platform.platform(),
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "torch": torch.__version__,
        "softent": info.get("version"),
        "openmp": info.get("openmp"),
        "cuda": info.get("cuda"),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=10000, help="at least this many calls")
    ap.add_argument("--batch", type=int, default=200, help="calls per child process")
    ap.add_argument("--workers", type=int, default=2, help="children at a time")
    ap.add_argument(
        "--timeout", type=float, default=120.0, help="seconds without progress (a hang)"
    )
    ap.add_argument("--seed", type=int, default=0, help="base seed of every batch")
    ap.add_argument("--only", default="", help="comma-separated function names (default: all)")
    ap.add_argument("--json", type=Path, default=Path("fuzz_long_run.json"))
    ap.add_argument("--child", nargs=3, metavar=("FUNCTION", "SEED", "N"))
    ap.add_argument("--out", type=Path)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    if args.child:
        name, seed, n = args.child
        child(name, int(seed), int(n), args.out, args.verbose)
        return 0

    sys.path.insert(0, str(HERE))
    from fuzz_core import FINDINGS
    from fuzz_targets import FAMILY, TARGETS

    names = sorted(TARGETS) if not args.only else args.only.split(",")
    want = dict.fromkeys(names, -(-args.calls // len(names)))
    calls: collections.Counter = collections.Counter()
    batches_done: collections.Counter = collections.Counter()
    exhausted: set[str] = set()
    results: list[dict] = []
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="softent-fuzz-") as tmp:
        workdir = Path(tmp)
        # rounds: a batch may end early (a crash, or Hypothesis exhausting a small space:
        # build_info has one call), so top up, with new seeds, the functions still short of
        # their share; an exhausted function's share goes to the others
        for _round in range(6):
            short = sum(max(0, want[x] - calls[x]) for x in exhausted)
            others = [x for x in names if x not in exhausted]
            for x in exhausted:
                want[x] = calls[x]
            for x in others:
                want[x] += -(-short // len(others))
            jobs = []
            for name in names:
                missing = want[name] - calls[name]
                while missing > 0:
                    n = min(args.batch, missing)
                    jobs.append((name, batch_seed(args.seed, name, batches_done[name]), n))
                    batches_done[name] += 1
                    missing -= n
            if not jobs:
                break
            with concurrent.futures.ThreadPoolExecutor(args.workers) as pool:
                futures = [pool.submit(run_batch, *job, args.timeout, workdir) for job in jobs]
                for f in concurrent.futures.as_completed(futures):
                    r = f.result()
                    results.append(r)
                    calls[r["name"]] += len(r["records"]) + (1 if r["in_flight"] else 0)
                    if r["ended"] == "exit" and len(r["records"]) < r["n"]:
                        exhausted.add(r["name"])
                    print(
                        f"{r['name']}: {len(r['records'])} calls, {r['ended']}, "
                        f"{r['wall_s']} s  (total {sum(calls.values())})",
                        flush=True,
                    )

    per_function: dict[str, dict] = {}
    findings, known_counts, known_examples = [], collections.Counter(), {}
    crashes, hangs, harness = [], [], []
    for r in results:
        pf = per_function.setdefault(
            r["name"],
            {"family": FAMILY[r["name"]], "calls": 0, "ok": 0, "refused": 0, "max_call_s": 0.0},
        )
        for rec in r["records"]:
            pf["calls"] += 1
            pf[rec["kind"]] = pf.get(rec["kind"], 0) + 1
            pf["max_call_s"] = max(pf["max_call_s"], rec["s"])
            if rec["kind"] in FINDINGS:
                if rec.get("known"):
                    known_counts[rec["known"]] += 1
                    known_examples.setdefault(
                        rec["known"],
                        {"function": r["name"], "detail": rec["detail"], "call": rec["call"]},
                    )
                else:
                    findings.append(
                        {
                            "function": r["name"],
                            "kind": rec["kind"],
                            "detail": rec["detail"],
                            "call": rec["call"],
                            "batch": [r["name"], r["seed"], r["n"]],
                        }
                    )
        entry = {
            "function": r["name"],
            "batch": [r["name"], r["seed"], r["n"]],
            "call": r["in_flight"],
            "rc": r["rc"],
            "stderr": r["stderr"],
        }
        if r["ended"] == "crash":
            pf["calls"] += 1
            crashes.append(entry)
        elif r["ended"] == "hang":
            pf["calls"] += 1
            hangs.append(entry)
        elif r["ended"] == "harness_error":
            harness.append(entry)
    totals = collections.Counter()
    for pf in per_function.values():
        for k in ("ok", "refused", *FINDINGS):
            totals[k] += pf.get(k, 0)
    summary = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine(),
        "wall_s": round(time.time() - t0, 1),
        "calls": sum(pf["calls"] for pf in per_function.values()),
        "functions": len(per_function),
        "families": sorted({pf["family"] for pf in per_function.values()}),
        "crashes": crashes,
        "hangs": hangs,
        "harness_errors": harness,
        "verdicts": dict(totals),
        "findings": findings,
        "known_findings": dict(known_counts),
        "known_examples": known_examples,
        "per_function": dict(sorted(per_function.items())),
    }
    args.json.write_text(json.dumps(summary, indent=1, default=str), encoding="utf-8")
    print(
        f"{summary['calls']} calls over {summary['functions']} functions in "
        f"{summary['wall_s']} s: {len(crashes)} crashes, {len(hangs)} hangs, "
        f"{len(harness)} harness errors, {len(findings)} new findings, "
        f"{sum(known_counts.values())} known; verdicts {dict(totals)} -> {args.json}"
    )
    return 0 if not (crashes or hangs or harness or findings) else 1


if __name__ == "__main__":
    sys.exit(main())
