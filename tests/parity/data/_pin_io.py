"""What the pin scripts beside it share (they run standalone, in the peer's interpreter:
``python tests/parity/data/pin_X.py [OUT.json]`` puts this folder on ``sys.path``, and the
parity tests that import a pin script insert it there too)."""

from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path
from typing import Any


def signature(obj: object) -> list[list[str]]:
    """[name, repr(default)] of each parameter: the tests compare the front door's."""
    return [[p.name, repr(p.default)] for p in inspect.signature(obj).parameters.values()]


def emit(out: Any) -> None:
    """The pins as JSON: into the file named by the first argument, else on stdout."""
    text = json.dumps(out, indent=1)
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(text + "\n")
    else:
        print(text)
