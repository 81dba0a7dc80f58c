"""Sizes, threads and the machine: what every benchmark prints next to its numbers.

- :func:`size` picks the small (CI smoke) or the full value of a size from
  ``SOFTENT_BENCH_FULL``.
- :data:`THREADS` is the one thread count given to every candidate
  (``SOFTENT_BENCH_THREADS``, default: all cores); importing this module exports it to
  OpenMP/OpenBLAS/MKL (without overriding what the user exported) before they are
  loaded; :func:`pin_threads` sets it everywhere, torch included once imported.
"""

from __future__ import annotations

import os
import platform
import sys
from typing import Any

#: environment variables read by the thread pools of OpenMP, OpenBLAS, MKL, numexpr
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def full() -> bool:
    """True when ``SOFTENT_BENCH_FULL`` is set to anything but '', '0', 'false', 'no'."""
    return os.environ.get("SOFTENT_BENCH_FULL", "").strip().lower() not in ("", "0", "false", "no")


def size(small: Any, full_value: Any) -> Any:
    """``full_value`` under ``SOFTENT_BENCH_FULL=1``, else ``small`` (CI smoke sizes)."""
    return full_value if full() else small


def default_threads() -> int:
    value = os.environ.get("SOFTENT_BENCH_THREADS", "").strip()
    if value:
        return max(1, int(value))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


#: the thread count every candidate gets (softent num_threads, torch, BLAS, OpenMP)
THREADS = default_threads()

for _var in THREAD_ENV:
    os.environ.setdefault(_var, str(THREADS))


def pin_threads(n: int | None = None, *, override: bool = True) -> int:
    """Give every thread pool ``n`` threads (default :data:`THREADS`); returns ``n``.

    The environment variables only take effect for libraries loaded afterwards (the
    worker processes get them before anything is imported); torch is also set at run
    time when it is already imported. ``override=False`` keeps what the user exported.
    """
    n = THREADS if n is None else int(n)
    for var in THREAD_ENV:
        if override or var not in os.environ:
            os.environ[var] = str(n)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(n)
    return n


def describe_threads() -> dict[str, Any]:
    """The thread settings in force, for printing next to every number."""
    info: dict[str, Any] = {var: os.environ.get(var) for var in THREAD_ENV}
    torch = sys.modules.get("torch")
    if torch is not None:
        info["torch.get_num_threads()"] = torch.get_num_threads()
    return info


def machine() -> dict[str, Any]:
    """CPU model, cores, memory, platform and Python version."""
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


def mem_available() -> int:
    """MemAvailable in bytes (8 GiB where /proc/meminfo is missing)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 8 << 30
