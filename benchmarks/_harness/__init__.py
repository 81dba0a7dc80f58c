"""The one benchmark harness; the families' task modules (``benchmarks/<family>.py``) are
built on it. Importing it exports the thread count (:mod:`.env`) before numpy is loaded.

- :mod:`.env`: sizes (``SOFTENT_BENCH_FULL``), the one thread count of every candidate,
  the machine's description.
- :mod:`.data`: seeded activations and labels shared by every family.
- :mod:`.timing`: alternating rounds and medians.
- :mod:`.memory`: peak extra memory of one call (VmHWM after minus VmRSS before).
- :mod:`.workers`: fresh worker processes (time or memory) and their result protocol.
- :mod:`.table`: the ratio table and the ``--json`` document.
- :mod:`.peers`: importing the optional peer packages (here or in another interpreter).
- :mod:`.reference`: the plain reference of a family, from ``tests/reference/``.
- :mod:`.cli`: ``python -m benchmarks [--family F]``.
- :mod:`.defaults`: the family parts most share (a grid ``plan``, no options of its own).

A family module (registered in :data:`FAMILIES`) provides:

- ``TASKS``: task -> an object with ``candidates`` (table order, ``"softent"`` first: the
  reference of the ratios); ``LABELS``: candidate -> its name in the table; ``ROOFLINE``:
  the candidate shown as softent / it; ``NEEDS``: candidate -> the optional module it
  imports (probed in the workers' interpreter; absent: the row says so);
- ``SIZES``: ``--sizes`` name -> help; ``plan(sizes)`` -> [(task, (N, D, B), candidates)];
- ``add_arguments(parser)`` and ``options(args)`` -> dict: its own options, handed to
  the workers as ``spec["opts"]``;
- ``write_data(folder, n, d, seed, tasks)`` (parent) and ``load_inputs(spec)`` (worker:
  an object with ``head(rows)`` and ``describe()``); ``candidate(name, inputs)`` ->
  (fn, note), fn() returning the values compared with softent's;
- ``estimate(cand, task, n, d, b, opts)`` -> (bytes, seconds), to skip what cannot fit or
  would take too long; ``targets(rows)`` -> PASS/MISS lines.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from benchmarks._harness import env as env  # first: thread variables before numpy

#: --family name -> its task module
FAMILIES = {
    "soft": "benchmarks.soft",
    "discrete": "benchmarks.discrete",
    "knn": "benchmarks.knn",  # nearest-neighbour estimators
    "pid": "benchmarks.pid",  # partial information decomposition
    "stats": "benchmarks.stats",  # permutation nulls and bootstrap replicates vs plain
    "spectral": "benchmarks.spectral",  # diffusion spectral entropy and MI
}


def family(name: str) -> ModuleType:
    """The task module of a family; an unknown name is a ValueError listing the known."""
    if name not in FAMILIES:
        raise ValueError(f"unknown family {name!r} (known: {', '.join(FAMILIES)})")
    return importlib.import_module(FAMILIES[name])
