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

A family module (registered in :data:`FAMILIES`) provides: ``TASKS`` (task -> candidates,
softent first), ``LABELS`` (candidate -> table label), ``NEEDS`` (candidate -> module it
imports), ``SIZE_SETS`` (``--sizes`` name -> list of (N, D, B)), ``plan(sizes, tasks)``
(for named sets that are not a grid, or None), ``add_arguments(parser)`` and
``options(args)`` (its own CLI options), ``write_data(folder, n, d, seed, tasks)``,
``load_inputs(spec)`` (an object with ``head(rows)`` and ``describe()``),
``candidate(name, inputs) -> (fn, note)``, ``estimate(cand, task, n, d, b, opts) ->
(bytes, seconds)`` and ``targets(rows) -> lines``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from benchmarks._harness import env as env  # first: thread variables before numpy

#: --family name -> its task module
FAMILIES = {"soft": "benchmarks.soft"}


def family(name: str) -> ModuleType:
    """The task module of a family; an unknown name is a ValueError listing the known."""
    if name not in FAMILIES:
        raise ValueError(f"unknown family {name!r} (known: {', '.join(FAMILIES)})")
    return importlib.import_module(FAMILIES[name])
