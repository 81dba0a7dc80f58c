"""Layer stacks: one array holding every layer's activations, as ``torch.stack`` of a
model's hidden states makes them ([L, N, D], [L, B, T, D]) or as a [N, L, D] export.

``layer_axis`` names the axis that indexes layers; the last axis is always the features;
every other axis indexes rows (flattened in C order: [L, B, T, D] -> L arrays [B*T, D]).
Labels are one per row: [rows] or shaped as the row axes ([B, T]), flattened the same way.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._checks import fail, is_int
from .._interop import as_array, is_torch, to_numpy


def split_layers(api: str, z: Any, layer_axis: Any) -> tuple[list[Any], tuple[int, ...]]:
    """(per-layer [N, D] views or copies of ``z`` in order, the row shape) for a stack
    ``z`` of 3 or more axes whose layers run along ``layer_axis`` (negative counts from
    the end; never the last, the features). NumPy stays NumPy, torch stays torch on its
    device."""
    arr = z if is_torch(z) else as_array(z, api, "z")
    nd = int(arr.ndim)
    if nd < 3:
        fail(
            api,
            "z",
            "a layer stack of 3 or more axes ([N, L, D], [L, N, D], [L, B, T, D]) when "
            "layer_axis is given",
            f"shape {tuple(arr.shape)}",
        )
    expected = f"an int axis of z other than the last (the features): 0..{nd - 2} or -{nd}..-2"
    if not is_int(layer_axis):
        fail(api, "layer_axis", expected, repr(layer_axis), TypeError)
    if not -nd <= int(layer_axis) < nd or int(layer_axis) % nd == nd - 1:
        fail(api, "layer_axis", expected, int(layer_axis))
    axis = int(layer_axis) % nd
    moved = arr.movedim(axis, 0) if is_torch(arr) else np.moveaxis(arr, axis, 0)
    row_shape = tuple(int(s) for s in moved.shape[1:-1])
    n, d = math.prod(row_shape), int(moved.shape[-1])
    if n == 0 or d == 0 or int(moved.shape[0]) == 0:
        fail(api, "z", "non-empty (layers, rows and features)", f"shape {tuple(arr.shape)}")
    return [moved[i].reshape(n, d) for i in range(int(moved.shape[0]))], row_shape


def flat_labels(api: str, labels: Any, row_shape: tuple[int, ...], arg: str = "labels") -> Any:
    """``labels`` [rows] or shaped as ``row_shape`` -> [rows] (host array); None stays None."""
    if labels is None:
        return None
    arr = to_numpy(labels, api, arg)
    n = math.prod(row_shape)
    if arr.shape == row_shape or (arr.ndim == 1 and arr.shape[0] == n):
        return arr.reshape(n)
    fail(
        api,
        arg,
        f"one label per row of the layer stack: shape {row_shape} or ({n},)",
        f"shape {arr.shape}",
    )


def flat_label_sets(api: str, label_sets: Any, row_shape: tuple[int, ...]) -> Any:
    """:func:`flat_labels` of one array or of each array of a dict {name: labels}."""
    if isinstance(label_sets, dict):
        return {
            k: flat_labels(api, v, row_shape, f"label_sets[{k!r}]") for k, v in label_sets.items()
        }
    return flat_labels(api, label_sets, row_shape, "label_sets")
