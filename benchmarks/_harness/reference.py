"""The plain reference of a family (``tests/reference/<family>.py``, docs/design.md §7), the
"formula" baseline of the benchmarks.

The tests import it as the top-level package ``reference`` (pytest puts ``tests/`` on
``sys.path``); this puts ``tests/`` there too, so that ``pytest tests benchmarks`` holds
one copy of it, and checks that the module found is the checkout's.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

TESTS = Path(__file__).resolve().parents[2] / "tests"


def load(family: str) -> ModuleType:
    """``reference.<family>`` from this checkout's ``tests/reference/``."""
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    module = importlib.import_module(f"reference.{family}")
    where = Path(module.__file__).resolve()
    if TESTS not in where.parents:
        raise ImportError(f"reference.{family} resolved to {where}, not under {TESTS}")
    return module
