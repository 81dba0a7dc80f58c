"""One message form for every user-facing error, ``softent.<api>: <arg> must be
<expected>, got <actual>``, and the validators every family shares (docs/design.md §6).

``TypeError`` for a wrong type, ``ValueError`` for a wrong value. Each validator returns
the value converted to its plain Python type.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any, Literal, NoReturn, TypeVar, get_args

import numpy as np

T = TypeVar("T")

#: how the per-label entropies are averaged into H(Z|L): by label frequency or uniformly
Weighting = Literal["weighted", "uniform"]
WEIGHTINGS: tuple[str, ...] = get_args(Weighting)


def fail(
    api: str, arg: str, expected: str, actual: object, kind: type[Exception] = ValueError
) -> NoReturn:
    """Raise ``kind`` with the project's message form."""
    raise kind(f"softent.{api}: {arg} must be {expected}, got {actual}")


def is_int(value: Any) -> bool:
    """A Python or NumPy integer, not a bool."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_int(
    api: str, arg: str, value: Any, *, lo: int | None = None, hi: int | None = None
) -> int:
    """``value`` as an int in [lo, hi] (either bound optional, both inclusive)."""
    if lo is not None and hi is not None:
        expected = f"an int in [{lo}, {hi}]"
    elif lo is not None:
        expected = f"an int >= {lo}"
    elif hi is not None:
        expected = f"an int <= {hi}"
    else:
        expected = "an int"
    if not is_int(value):
        fail(api, arg, expected, repr(value), TypeError)
    v = int(value)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        fail(api, arg, expected, v)
    return v


def check_optional_int(api: str, arg: str, value: Any, *, lo: int | None = None) -> int | None:
    """None, or ``value`` as an int >= lo."""
    return None if value is None else check_int(api, arg, value, lo=lo)


def check_choice(api: str, arg: str, value: Any, choices: Sequence[T]) -> T:
    """``value`` if it is one of ``choices`` (compared with ==), else a ValueError listing them."""
    for choice in choices:
        if isinstance(value, type(choice)) and value == choice:
            return choice
    fail(api, arg, "one of " + ", ".join(repr(c) for c in choices), repr(value))


def check_weighting(api: str, weighting: Any) -> str:
    """'weighted' (H(Z|L) = Σ_k (N_k/N) H(Z|L=k)) or 'uniform' (the plain mean over labels)."""
    if not isinstance(weighting, str) or weighting not in WEIGHTINGS:
        fail(api, "weighting", "'weighted' or 'uniform'", repr(weighting))
    return weighting


def cpu_threads() -> int:
    """The most threads a kernel runs on: the CPUs this process may use (its affinity mask,
    as OpenMP's ``omp_get_num_procs``), or 1 in a process forked after softent was imported
    (see :func:`check_threads`)."""
    if _forked:
        return 1
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):
        return max(os.cpu_count() or 1, 1)


def check_threads(api: str, num_threads: Any) -> int:
    """None (0: OpenMP's default, OMP_NUM_THREADS) or an int >= 1, clamped to
    :func:`cpu_threads` (more threads than CPUs only cost memory and thread creation; the C++
    tile loop clamps again, and to the number of tiles).

    In a process forked after softent was imported, kernels run on one thread: GNU
    OpenMP's thread pool does not survive a fork (the child's first parallel kernel would
    hang); use the 'spawn' or 'forkserver' start method for parallel workers."""
    if num_threads is None:
        return 0
    if not is_int(num_threads) or num_threads < 1:
        fail(api, "num_threads", "None or an int >= 1", repr(num_threads))
    return min(int(num_threads), cpu_threads())


#: set in a child process forked after this module was imported
_forked = False


def kernel_threads(num_threads: int) -> int:
    """What a kernel call runs on: ``num_threads`` (0: OpenMP's default) as
    :func:`check_threads` resolved it, but 1 in a process forked after softent was imported
    (resolved here, at each call: an Accumulator built before the fork is used after it)."""
    return 1 if _forked else num_threads


def _after_fork_in_child() -> None:
    global _forked
    _forked = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (MemAvailable of /proc/meminfo, else
    the free physical pages), or None where the system does not say."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


#: allocations below this are not checked (a failure there is still a MemoryError)
_ALWAYS_FITS = 256 << 20


def check_fits(api: str, arg: str, actual: object, needed_bytes: int) -> None:
    """Refuse up front (ValueError naming ``arg``) a call whose buffers would need more
    memory than is available, instead of failing inside a kernel."""
    if needed_bytes < _ALWAYS_FITS:
        return  # not worth reading /proc at every streamed update
    avail = available_memory()
    if avail is not None and needed_bytes > avail:
        gib = 1 << 30
        fail(
            api,
            arg,
            f"small enough to fit in memory (the call needs {needed_bytes / gib:.1f} GiB, "
            f"{avail / gib:.1f} GiB available)",
            actual,
        )


def check_seed(api: str, arg: str, seed: Any) -> int:
    """An int in [0, 2**64) (what the kernels' counter-based generators take)."""
    if not is_int(seed) or not 0 <= seed < 2**64:
        fail(
            api,
            arg,
            "an int in [0, 2**64)",
            repr(seed),
            TypeError if not is_int(seed) else ValueError,
        )
    return int(seed)


def check_probability(api: str, arg: str, value: Any) -> float:
    """A float strictly between 0 and 1 (a confidence level, say)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)):
        fail(api, arg, "a float in (0, 1)", repr(value), TypeError)
    v = float(value)
    if not 0.0 < v < 1.0:
        fail(api, arg, "a float in (0, 1)", v)
    return v


def check_base(api: str, base: float) -> float:
    """The logarithm base of a result: 2 (bits), e (nats, the default), 10 (hartleys)..."""
    expected = "a number > 0 and != 1 (2: bits, e: nats)"
    if isinstance(base, (str, bytes)):
        fail(api, "base", expected, repr(base), TypeError)
    try:
        b = float(base)
    except (TypeError, ValueError):
        fail(api, "base", expected, repr(base), TypeError)
    if not (math.isfinite(b) and b > 0 and b != 1):
        fail(api, "base", expected, b)
    if b < 1:
        fail(api, "base", expected + ", and > 1 (below 1 every entropy turns negative)", b)
    return b


def check_masses(
    api: str, arg: str, values: Any, expected: str = "finite masses >= 0"
) -> np.ndarray:
    """``values`` as a float64 array of histogram masses or counts: every value finite and
    >= 0 (a negative or NaN mass would give a negative or NaN entropy, MI...)."""
    a = np.asarray(values, dtype=np.float64)
    if not np.isfinite(a).all():
        fail(api, arg, expected, f"{int((~np.isfinite(a)).sum())} NaN/Inf values")
    if (a < 0).any():
        fail(api, arg, expected, f"negative values (min {float(a.min()):.6g})")
    return a


#: the smallest normal float64: a positive sum below it is subnormal
_TINY = float(np.finfo(np.float64).tiny)


def check_total(api: str, arg: str, values: Any) -> float:
    """The sum of non-negative finite ``values`` (a NumPy array, or the sum itself as a
    float), refused naming ``arg`` when it overflows float64 (inf: every share of it would
    read 0) or is subnormal (> 0 but below 2.2e-308: it has lost its digits, and its
    inverse, in a bias correction such as (K - 1) / 2N, overflows)."""
    if isinstance(values, np.ndarray):
        with np.errstate(over="ignore"):  # an overflow is the refusal below, not a warning
            total = float(values.sum())
    else:
        total = float(values)
    if not math.isfinite(total):
        fail(
            api,
            arg,
            "values whose sum is a finite float64 (below 1.8e308: scale them down)",
            "a sum that overflows",
        )
    if 0 < total < _TINY:
        fail(
            api,
            arg,
            f"values whose sum is 0 or at least {_TINY:.4g} (a normal float64: scale them up)",
            f"a subnormal sum, {total!r}",
        )
    return total


def check_bootstrap(
    api: str, bootstrap: Any, seed: Any, arg: str = "bootstrap", seed_arg: str = "bootstrap_seed"
) -> tuple[int, int]:
    """(R, seed) of a Poisson bootstrap kept while streaming: R an int >= 0 replicates (0:
    none), the seed of their weights an int in [0, 2**64). Both types are checked before
    either value."""
    if not is_int(bootstrap):
        fail(api, arg, "an int >= 0", repr(bootstrap), TypeError)
    if not is_int(seed):
        fail(api, seed_arg, "an int in [0, 2**64)", repr(seed), TypeError)
    return check_int(api, arg, bootstrap, lo=0), check_seed(api, seed_arg, seed)
