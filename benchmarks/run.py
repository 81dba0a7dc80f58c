"""``python benchmarks/run.py ...`` = ``python -m benchmarks ...`` (:mod:`benchmarks._harness.cli`).

Kept as the script form of the command; ``softent bench`` also recognises a source
checkout by this file."""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python benchmarks/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._harness.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
