"""Timing: candidates called in alternating rounds, medians reported.

Every candidate is called once first (the warm-up: libraries loaded, thread pools
started; its output is the candidate's value), then ``repeat`` rounds call each candidate
once, in turn, so that a drift of the machine (another process, the clock) hits every
candidate alike. A pause precedes every call: thread pools (OpenBLAS, libgomp, torch)
keep spinning for a while after a call, and on a 2-core machine that steals time from
the next candidate.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def time_calls(
    fns: dict[str, Callable[[], Any]],
    repeat: int = 3,
    pause_s: float = 0.3,
    slow_s: float = float("inf"),
    keep_outputs: bool = False,
) -> dict[str, dict[str, Any]]:
    """Time ``fns`` (name -> fn()) in alternating rounds; per name a dict with

    ``time_s`` (median of the timed rounds; the warm-up call where there are none),
    ``best_s``, ``times_s`` (every call, warm-up first), ``value`` (the warm-up call's
    output), ``outputs`` (every call's, with ``keep_outputs``), ``single_run`` and
    ``error`` (a candidate that raises is dropped from the later rounds).

    A candidate whose warm-up took longer than ``slow_s`` is not called again.
    """
    res: dict[str, dict[str, Any]] = {
        name: {"times_s": [], "outputs": [], "error": None} for name in fns
    }
    live = dict(fns)

    def call(name: str) -> None:
        if pause_s:
            time.sleep(pause_s)
        try:
            t0 = time.perf_counter()
            out = live[name]()
            res[name]["times_s"].append(time.perf_counter() - t0)
            res[name]["outputs"].append(out)
        except Exception as e:  # noqa: BLE001  (a peer that cannot run this size)
            res[name]["error"] = f"{type(e).__name__}: {e}"[:300]
            del live[name]

    for name in list(live):
        call(name)
    for name in list(live):
        if res[name]["times_s"][0] > slow_s:
            del live[name]
    for _ in range(repeat):
        for name in list(live):
            call(name)
    for r in res.values():
        ts, outs = r["times_s"], r["outputs"]
        timed = ts[1:] or ts
        r["time_s"] = statistics.median(timed) if timed else None
        r["best_s"] = min(timed) if timed else None
        r["single_run"] = len(ts) == 1
        r["value"] = outs[0] if outs else None
        if not keep_outputs:
            del r["outputs"]
    return res
