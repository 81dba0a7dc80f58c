"""Summing a streamed statistic over the ranks of a torch.distributed group, for any
accumulator that follows the small protocol :class:`Mergeable` (docs/design.md §5: a statistic
that is a sum is streamed by an accumulator with update / merge / all_reduce / save / load).

The reduction, for every rank of the group (a collective: every rank calls it):

1. gather every rank's :meth:`Mergeable.reduce_meta` (plain data: fingerprint, settings,
   label vocabularies) with ``all_gather_object``;
2. :meth:`Mergeable.reduce_layout` checks they agree and returns the :class:`SumLayout`:
   the named arrays to sum, in one layout every rank derives alike from the same metas
   (e.g. histogram rows for the union of the ranks' label vocabularies). A mismatch
   raises the same error on every rank, before any array moves, so no rank hangs;
3. :meth:`Mergeable.reduce_write` writes this rank's sums into zeroed views of one
   float64 and one int64 buffer, the buffers are summed (two ``all_reduce`` calls), and
   :meth:`Mergeable.reduce_read` takes the sums back as the object's state.

Layering: this module is shared (it imports no family and no ``softent.torch``) and
imports the torch library only inside :func:`all_reduce`, so a family's accumulator can
offer ``acc.all_reduce()`` without importing ``softent.torch``, and
``softent.torch.distributed.all_reduce`` is this function under its public name.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np

from ._checks import fail

#: the dtypes a SumLayout's arrays may have (one buffer each)
SUM_DTYPES = ("float64", "int64")


_F = TypeVar("_F", bound=Callable[..., Any])

#: every object holding a lock from :func:`new_lock` (weakly: no object is kept alive)
_LOCK_OWNERS: weakref.WeakSet = weakref.WeakSet()


def new_lock(owner: Any) -> threading.RLock:
    """A ``threading.RLock`` for ``owner._lock`` that a forked child replaces with a fresh
    one: a lock another thread held at the ``fork`` would otherwise stay held in the child
    forever (its first update would deadlock)."""
    _LOCK_OWNERS.add(owner)
    return threading.RLock()


def _fresh_locks_in_child() -> None:
    for owner in list(_LOCK_OWNERS):
        owner._lock = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_fresh_locks_in_child)


def locked(method: _F) -> _F:
    """Run ``method`` holding its object's ``_lock`` (a ``threading.RLock``): an
    accumulator updated from several threads (e.g. forward hooks under
    ``torch.nn.DataParallel``) sums every row once. :func:`all_reduce` holds it too."""

    @functools.wraps(method)
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return run  # type: ignore[return-value]


@dataclass(frozen=True)
class SumLayout:
    """What one reduction sums: ``arrays`` {name: (shape, 'float64' | 'int64')} in a fixed
    order, and a ``context`` the object keeps for reading them back (e.g. the united
    vocabularies). Every rank must build the same layout from the same metas."""

    arrays: dict[str, tuple[tuple[int, ...], str]]
    context: Any = field(default=None, compare=False)

    def sizes(self) -> dict[str, int]:
        """Elements of each buffer, by dtype."""
        out = dict.fromkeys(SUM_DTYPES, 0)
        for shape, dtype in self.arrays.values():
            out[dtype] += int(np.prod(shape, dtype=np.int64))
        return out

    def views(self, buffers: dict[str, Any]) -> dict[str, Any]:
        """{name: a view of its slice of ``buffers[dtype]`` (1-D NumPy arrays or torch
        tensors) with its shape}, in the order of ``arrays``."""
        offset = dict.fromkeys(SUM_DTYPES, 0)
        out = {}
        for name, (shape, dtype) in self.arrays.items():
            n = int(np.prod(shape, dtype=np.int64))
            out[name] = buffers[dtype][offset[dtype] : offset[dtype] + n].reshape(shape)
            offset[dtype] += n
        return out


@runtime_checkable
class Mergeable(Protocol):
    """An accumulator whose state is a sum that :func:`all_reduce` can add over ranks."""

    def reduce_meta(self) -> dict[str, Any]:
        """Plain picklable data sent to every rank: whatever must agree across ranks
        (fingerprint of the spec, settings) and what the layout depends on (vocabularies)."""
        ...

    def reduce_layout(self, metas: list[dict[str, Any]], api: str) -> SumLayout | None:
        """Check the ranks' ``metas`` (rank order) agree, raising the project's error
        through ``softent._checks.fail`` otherwise; return the layout of the sums, or None
        when no rank holds data (the object then just adopts what it must from the
        others, e.g. their label-set names)."""
        ...

    def reduce_write(self, layout: SumLayout, views: dict[str, Any]) -> None:
        """Add this rank's sums into the zeroed ``views`` (NumPy arrays, or torch tensors on
        the collective's CUDA device) of the layout's arrays."""
        ...

    def reduce_read(self, layout: SumLayout, views: dict[str, Any]) -> None:
        """Replace the state by the summed ``views`` (the same kinds of arrays)."""
        ...


def all_reduce(obj: Any, group: Any = None, *, api: str = "torch.distributed.all_reduce") -> Any:
    """Sum ``obj``'s state over the ranks of ``group`` (torch.distributed; default: the
    world), in place on every rank; returns ``obj``.

    ``obj``: a :class:`Mergeable` (e.g. :class:`softent.Accumulator`). Collective: every
    rank of the group calls it. Works with gloo (host buffers) and nccl (buffers on
    ``torch.cuda.current_device()``). Afterwards every rank holds the global sums.
    """
    if not isinstance(obj, Mergeable):
        fail(
            api,
            "obj",
            "a mergeable accumulator (reduce_meta, reduce_layout, reduce_write, reduce_read)",
            type(obj).__name__,
            TypeError,
        )
    # an object guarding its state with a lock (softent.Accumulator) holds it throughout
    with getattr(obj, "_lock", None) or contextlib.nullcontext():
        return _all_reduce(obj, group, api)


def _all_reduce(obj: Any, group: Any, api: str) -> Any:
    import torch
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        fail(
            api,
            "torch.distributed",
            "initialised (torch.distributed.init_process_group)",
            "no process group",
            RuntimeError,
        )
    metas: list[Any] = [None] * dist.get_world_size(group)
    dist.all_gather_object(metas, obj.reduce_meta(), group=group)
    layout = obj.reduce_layout(metas, api)
    if layout is None:
        return obj
    nccl = str(dist.get_backend(group)) == "nccl"
    dev = torch.device("cuda", torch.cuda.current_device()) if nccl else torch.device("cpu")
    sizes = layout.sizes()
    # float sums are written where the collective runs; the (small) int sums on the host
    fbuf = torch.zeros(sizes["float64"], dtype=torch.float64, device=dev)
    ibuf = torch.zeros(sizes["int64"], dtype=torch.int64)
    obj.reduce_write(layout, layout.views(_as_arrays(fbuf, ibuf)))
    ibuf = ibuf.to(dev)
    dist.all_reduce(fbuf, op=dist.ReduceOp.SUM, group=group)
    dist.all_reduce(ibuf, op=dist.ReduceOp.SUM, group=group)
    obj.reduce_read(layout, layout.views(_as_arrays(fbuf, ibuf.cpu())))
    return obj


def _as_arrays(fbuf: Any, ibuf: Any) -> dict[str, Any]:
    """The buffers as the objects see them: host tensors as NumPy views (no copy), CUDA
    tensors as they are."""
    return {
        "float64": fbuf.numpy() if fbuf.device.type == "cpu" else fbuf,
        "int64": ibuf.numpy(),
    }
