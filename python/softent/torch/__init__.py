"""softent's torch integration (imported only when torch is installed).

Differentiable estimators: :func:`entropy`, :func:`conditional_entropy`,
:func:`mutual_information` and :func:`information` return 0-d tensors whose gradients
(to z, and to tensor centres and temperature) come from fused C++ backward kernels, via
the ``torch.ops.softent.soft_histogram`` custom operator (``torch.compile``-able).

Training-time monitoring: :class:`LayerMonitor` streams named layers' activations into
:class:`softent.Accumulator` objects through forward hooks; :func:`information_plane`
turns its history into (I(X;T), I(T;Y)) per layer. :class:`PIDMonitor` records the
partial information decomposition and representational complexity of chosen neurons of
layers at training checkpoints (:func:`softent.pid.layer_complexity`).

Transformers: :func:`token_rows` turns ``hidden_states`` + ``attention_mask`` (+
``word_ids``) into per-token rows [L, N, D] with token, position and word labels.

Data-parallel training: :func:`softent.torch.distributed.all_reduce` sums any mergeable
accumulator over the ranks of a process group.
"""

from __future__ import annotations

from ..soft.differentiable import (
    TorchInformation,
    conditional_entropy,
    entropy,
    information,
    mutual_information,
    set_backward_cache_bytes,
)
from . import distributed
from .monitor import InformationPlane, LayerMonitor, information_plane
from .pid_monitor import PIDMonitor
from .tokens import TokenRows, token_rows

__all__ = [
    "InformationPlane",
    "LayerMonitor",
    "PIDMonitor",
    "TokenRows",
    "TorchInformation",
    "conditional_entropy",
    "distributed",
    "entropy",
    "information",
    "information_plane",
    "mutual_information",
    "set_backward_cache_bytes",
    "token_rows",
]
