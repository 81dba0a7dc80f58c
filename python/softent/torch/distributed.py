"""Data-parallel reduction of streamed statistics with torch.distributed.

:func:`all_reduce` sums any mergeable accumulator (:class:`softent.Accumulator`, and the
accumulators of later families) over the ranks of a process group, in place on every
rank: the ranks' specs (fingerprints) and settings are compared first, label
vocabularies are united, then the sums travel as one float64 and one int64 buffer (gloo
on the host, nccl on ``torch.cuda.current_device()``).

The algorithm lives in :mod:`softent._mergeable`, below the families, so that
``Accumulator.all_reduce()`` can use it without importing ``softent.torch``; this module
is its public name.
"""

from __future__ import annotations

from typing import Any

from .._mergeable import Mergeable, SumLayout
from .._mergeable import all_reduce as _all_reduce

__all__ = ["Mergeable", "SumLayout", "all_reduce"]


def all_reduce(obj: Any, group: Any = None) -> Any:
    """Sum ``obj``'s state over every rank of ``group`` (default: the world), in place;
    returns ``obj``.

    Collective: every rank of the group calls it, after
    ``torch.distributed.init_process_group``. ``obj`` is a :class:`Mergeable`, e.g. a
    :class:`softent.Accumulator` (then the same as ``obj.all_reduce(group)``). A mismatch
    between ranks (other bins, internal shapes, bootstrap settings, label kinds) raises
    the same ValueError on every rank before any sum moves. Afterwards every rank holds
    the global state: reduce once per window of data.
    """
    return _all_reduce(obj, group, api="torch.distributed.all_reduce")
