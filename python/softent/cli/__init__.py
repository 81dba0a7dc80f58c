"""The ``softent`` command line: ``analyze`` (activation files), ``demo`` and ``bench``.

``softent.cli.main`` is the console script's entry point; ``python -m softent.cli`` runs it.
"""

from __future__ import annotations

from .main import main

__all__ = ["main"]
