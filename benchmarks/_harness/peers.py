"""Importing the optional peer packages (docs/peers.md): never at import time of the
benchmarks, always with their import-time warnings silenced, and probed without
importing them, here or in another interpreter (``--python``). Install them apart from
softent's environment; every benchmark runs without them and marks their rows."""

from __future__ import annotations

import importlib
import importlib.util
import subprocess
import warnings
from typing import Any


def available(module: str) -> bool:
    """True when ``module`` can be imported by this interpreter (without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def available_in(python: str, module: str) -> bool:
    """True when ``module`` can be imported by the interpreter ``python``."""
    code = f"import importlib.util, sys; sys.exit(0 if importlib.util.find_spec({module!r}) else 1)"
    return subprocess.run([python, "-c", code], check=False, capture_output=True).returncode == 0


def load(module: str) -> Any:
    """Import a peer module with its import-time warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return importlib.import_module(module)
