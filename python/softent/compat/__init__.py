"""Peer-compatible front doors: the signatures of the packages users come from, computed by
softent's kernels. Each submodule only translates arguments (DESIGN.md §1).

- :mod:`softent.compat.sklearn`: ``mutual_info_classif``, ``mutual_info_regression``.
"""

from __future__ import annotations

from . import sklearn

__all__ = ["sklearn"]
