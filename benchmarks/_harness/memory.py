"""Peak extra memory of one call: VmHWM after it minus VmRSS just before it, with the
high-water mark reset through /proc/self/clear_refs after the inputs exist (Linux; where
the reset is refused, the baseline is the high-water mark so far). Run it in a fresh
worker process (:mod:`.workers`), after a warm-up call on a few rows, so that nothing
else (imports, thread pools, earlier candidates) is counted."""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any


def proc_status() -> dict[str, int]:
    """{'VmRSS': bytes, 'VmHWM': bytes} of this process."""
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                out[key] = int(value.split()[0]) * 1024
    return out


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS; False where the kernel refuses."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_extra(fn: Callable[[], Any]) -> tuple[Any, dict[str, Any]]:
    """(fn's output, {'extra_bytes', 'rss_before_bytes', 'hwm_after_bytes', 'hwm_reset'})."""
    gc.collect()
    exact = reset_peak()
    before = proc_status()
    base = before["VmRSS"] if exact else before["VmHWM"]
    out = fn()
    after = proc_status()
    return out, {
        "extra_bytes": max(0, after["VmHWM"] - base),
        "rss_before_bytes": before["VmRSS"],
        "hwm_after_bytes": after["VmHWM"],
        "hwm_reset": exact,
    }
