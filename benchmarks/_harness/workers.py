"""Fresh worker processes: every (task, size) is timed in one, every peak-memory
measurement gets its own, so that nothing one candidate loaded or allocated counts for
another.

The parent calls :func:`run_worker` with a JSON spec; the worker
(``python -m benchmarks._harness.workers SPEC``) sets the thread count before importing
anything, runs the spec and prints one line ``RESULT_TAG + json``. Specs:

- ``{"mode": "time", "family", "candidates", "repeat", "pause_s", "slow_s", ...}``: the
  family's ``load_inputs(spec)`` and ``candidate(name, inputs)``, timed by
  :func:`benchmarks._harness.timing.time_calls`;
- ``{"mode": "memory", "family", "candidates": [one], ...}``: a warm-up call on 1,024 rows,
  then :func:`benchmarks._harness.memory.peak_extra` of one call on all of them;
- ``{"call": "module:function", ...}``: ``function(spec)``, for task sets that measure
  something else (``benchmarks.autograd``).
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
RESULT_TAG = "@@softent-bench-result "
MiB = float(1 << 20)


def run_worker(python: str, spec: dict, timeout: float) -> dict:
    """Run ``spec`` in a fresh ``python`` with ``spec['threads']`` threads everywhere;
    its result, or ``{'error': why}``."""
    from benchmarks._harness.env import THREAD_ENV

    env = dict(os.environ)
    for var in THREAD_ENV:
        env[var] = str(spec["threads"])
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    cmd = [python, "-m", "benchmarks._harness.workers", json.dumps(spec)]
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


def _floats(out: Any) -> list[float] | None:
    return None if out is None else [float(v) for v in out]


def time_worker(spec: dict) -> dict:
    from benchmarks._harness import env, family, timing

    fam = family(spec["family"])
    inputs = fam.load_inputs(spec)
    fns, notes, errors = {}, {}, {}
    for c in spec["candidates"]:
        try:
            fns[c], notes[c] = fam.candidate(c, inputs)
        except Exception as e:  # noqa: BLE001  (a peer that cannot run this size)
            errors[c] = f"{type(e).__name__}: {e}"[:300]
    res = timing.time_calls(fns, spec["repeat"], spec.get("pause_s", 0.3), spec["slow_s"])
    out = {}
    for c in spec["candidates"]:
        r = res.get(c, {"times_s": [], "time_s": None, "best_s": None, "value": None})
        out[c] = {
            "time_s": r["time_s"],
            "best_s": r["best_s"],
            "times_s": r["times_s"],
            "note": notes.get(c, ""),
            "values": _floats(r["value"]),
            "error": errors.get(c) or r.get("error"),
            "single_run": len(r["times_s"]) == 1,
        }
    return {"candidates": out, **inputs.describe(), "threads": env.describe_threads()}


def memory_worker(spec: dict) -> dict:
    from benchmarks._harness import family, memory

    fam = family(spec["family"])
    inputs = fam.load_inputs(spec)
    (cand,) = spec["candidates"]
    warm, _ = fam.candidate(cand, inputs.head(1024))
    warm()
    fn, note = fam.candidate(cand, inputs)
    del warm
    _, info = memory.peak_extra(fn)
    return {
        "extra_mib": info["extra_bytes"] / MiB,
        "rss_before_mib": info["rss_before_bytes"] / MiB,
        "hwm_after_mib": info["hwm_after_bytes"] / MiB,
        "hwm_reset": info["hwm_reset"],
        "note": note,
    }


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    from benchmarks._harness import env

    env.pin_threads(spec["threads"])
    if "torch" in spec.get("imports", ()):
        import torch

        torch.set_num_threads(spec["threads"])
    if "call" in spec:
        module, name = spec["call"].split(":")
        out = getattr(importlib.import_module(module), name)(spec)
    else:
        out = {"time": time_worker, "memory": memory_worker}[spec["mode"]](spec)
    sys.stdout.write("\n" + RESULT_TAG + json.dumps(out) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
