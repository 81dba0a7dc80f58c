"""The parts of a family module (see :mod:`benchmarks._harness`) that most families share:
a family without options of its own imports ``add_arguments`` and ``options`` from here,
and one whose ``--sizes`` sets are plain grids builds its ``plan`` with :func:`grid_plan`."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import Any

#: (task, (N, D, B), candidates) rows of a plan
Plan = list[tuple[str, tuple[int, int, int], tuple[str, ...]]]


def grid_plan(
    tasks: Mapping[str, Any], grids: Mapping[str, list[tuple[str, tuple[int, int, int]]]]
) -> Callable[[str], Plan]:
    """``plan(sizes)``: each (task, size) of ``grids[sizes]`` with every candidate of the
    task (``tasks[task].candidates``)."""

    def plan(sizes: str) -> Plan:
        """(task, (N, D, B), candidates) of a --sizes choice."""
        return [(t, s, tasks[t].candidates) for t, s in grids[sizes]]

    return plan


def add_arguments(p: argparse.ArgumentParser) -> None:
    """No family-specific options."""


def options(args: argparse.Namespace) -> dict[str, Any]:
    """No family-specific options: nothing to hand to the workers."""
    return {}
