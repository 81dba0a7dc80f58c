"""softent's torch integration (imported only when torch is installed).

Training-time monitoring: :class:`LayerMonitor` streams named layers' activations into
:class:`softent.Accumulator` objects through forward hooks; :func:`information_plane`
turns its history into (I(X;T), I(T;Y)) per layer.
"""

from __future__ import annotations

from .monitor import InformationPlane, LayerMonitor, information_plane

__all__ = ["InformationPlane", "LayerMonitor", "information_plane"]
