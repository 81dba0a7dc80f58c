"""Modules imported on first use: SciPy's subpackages cost most of ``import softent``
(scipy.optimize ~1 s, pulled in by scipy.integrate too; scipy.special ~0.3 s) while only a
few functions need them (a root finder, a quadrature, special functions)."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for the module ``name``: the first attribute read imports it (later reads
    are a ``sys.modules`` lookup), so ``special.digamma(x)`` reads as usual."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def _module(self) -> ModuleType:
        return importlib.import_module(self._name)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._module(), attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"
