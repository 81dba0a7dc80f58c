"""Per-token rows of a transformer's hidden states, with token, position and word labels.

A Hugging Face model called with ``output_hidden_states=True`` returns ``hidden_states``:
a tuple of L tensors [B, T, D] (embeddings, then each layer), padded to T positions;
``attention_mask`` [B, T] marks the real tokens. :func:`token_rows` keeps the real tokens
(and, given ``word_ids``, leaves out the special tokens that belong to no word, such as
[CLS] and [SEP]) and returns their vectors for every layer as one stack [L, N, D] with one
label per row: ready for ``softent.information(rows.z, rows.labels["word"], layer_axis=0)``
or ``softent.report(rows.z, rows.labels, layer_axis=0)``. transformers is not needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .._checks import fail
from .._interop import to_numpy

_API = "torch.token_rows"


@dataclass(frozen=True)
class TokenRows:
    """The kept tokens of a batch: ``z`` [L, N, D] (layer l's row i is token i's vector
    at layer l; same device and dtype as the hidden states, detached), ``labels`` {name:
    [N] int64}: ``position`` (the token's index among its sequence's real tokens: left
    padding does not shift it), ``token`` (its id, when ``input_ids`` were given) and
    ``word`` (its word's index in its sequence, when ``word_ids`` were given; the
    word-pieces of one word share it). ``sequence`` [N] and ``index`` [N]: the batch row
    and padded position each row came from (``per_sequence[rows.sequence]`` labels the
    tokens by a sentence-level label such as a topic)."""

    z: torch.Tensor
    labels: dict[str, np.ndarray]
    sequence: np.ndarray
    index: np.ndarray

    @property
    def n_layers(self) -> int:
        return int(self.z.shape[0])

    @property
    def n_rows(self) -> int:
        return int(self.z.shape[1])

    def layer(self, i: int) -> torch.Tensor:
        """[N, D] rows of layer ``i``."""
        return self.z[i]

    def __repr__(self) -> str:
        return (
            f"TokenRows(layers={self.n_layers}, rows={self.n_rows}, dim={int(self.z.shape[2])}, "
            f"labels={list(self.labels)})"
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-able summary (shapes and label names; no arrays)."""
        return {
            "n_layers": self.n_layers,
            "n_rows": self.n_rows,
            "dim": int(self.z.shape[2]),
            "labels": list(self.labels),
        }


def _stack(hidden_states: Any) -> torch.Tensor:
    if isinstance(hidden_states, torch.Tensor):
        h = hidden_states if hidden_states.ndim == 4 else hidden_states.unsqueeze(0)
    elif isinstance(hidden_states, Sequence) and hidden_states:
        if not all(isinstance(t, torch.Tensor) for t in hidden_states):
            fail(
                _API, "hidden_states", "a tuple/list of [B, T, D] tensors", "other items", TypeError
            )
        shapes = {tuple(t.shape) for t in hidden_states}
        if len(shapes) != 1:
            fail(_API, "hidden_states", "tensors of one shape [B, T, D]", sorted(shapes))
        h = torch.stack([t.detach() for t in hidden_states])
    else:
        fail(
            _API,
            "hidden_states",
            "a tuple/list of [B, T, D] tensors (outputs.hidden_states) or one [L, B, T, D] or "
            "[B, T, D] tensor",
            type(hidden_states).__name__,
            TypeError,
        )
    if h.ndim != 4:
        fail(_API, "hidden_states", "layers of shape [B, T, D]", f"shape {tuple(h.shape)[1:]}")
    if not h.is_floating_point():
        fail(_API, "hidden_states", "floating-point tensors", h.dtype, TypeError)
    return h.detach()


def _word_array(word_ids: Any, b: int, t: int) -> np.ndarray:
    """[B, T] int64 word ids, -1 where a position has none (None in Hugging Face's
    ``encoding.word_ids(i)`` lists)."""
    if isinstance(word_ids, (torch.Tensor, np.ndarray)):
        arr = to_numpy(word_ids, _API, "word_ids")
        if arr.dtype.kind not in "iu":
            fail(
                _API, "word_ids", "integers (-1: no word) or lists with None", arr.dtype, TypeError
            )
        arr = arr.astype(np.int64)
    else:
        if not isinstance(word_ids, Sequence) or len(word_ids) != b:
            fail(_API, "word_ids", f"one list per sequence ({b})", type(word_ids).__name__)
        arr = np.full((b, t), -1, np.int64)
        for i, seq in enumerate(word_ids):
            if len(seq) != t:
                fail(_API, "word_ids", f"lists of length T={t}", f"length {len(seq)} at {i}")
            arr[i] = [-1 if w is None else int(w) for w in seq]
    if arr.shape != (b, t):
        fail(_API, "word_ids", f"shape ({b}, {t})", f"shape {arr.shape}")
    return arr


def token_rows(
    hidden_states: Any,
    attention_mask: Any,
    word_ids: Any = None,
    *,
    input_ids: Any = None,
) -> TokenRows:
    """Per-token rows of every layer, with ``position``, ``token`` and ``word`` labels.

    Args:
        hidden_states: ``outputs.hidden_states`` (a tuple of L tensors [B, T, D]), a stack
            [L, B, T, D], or one layer [B, T, D].
        attention_mask: [B, T] (0/1 or bool; tensor or array): the real tokens.
        word_ids: optional, per sequence the word of each position: Hugging Face's
            ``[enc.word_ids(i) for i in range(B)]`` (None for special tokens) or a [B, T]
            int array (-1 for none). Given, positions without a word are left out.
        input_ids: optional [B, T] token ids: adds the ``token`` label set.

    Returns:
        :class:`TokenRows` (``z`` [L, N, D], ``labels``, ``sequence``, ``index``).
    """
    h = _stack(hidden_states)
    _, b, t, _ = (int(s) for s in h.shape)
    mask = to_numpy(attention_mask, _API, "attention_mask")
    if mask.shape != (b, t):
        fail(_API, "attention_mask", f"shape ({b}, {t}) (batch, positions)", f"shape {mask.shape}")
    if mask.dtype.kind not in "biu":
        fail(_API, "attention_mask", "0/1 integers or booleans", mask.dtype, TypeError)
    keep = mask.astype(bool)
    words = None
    if word_ids is not None:
        words = _word_array(word_ids, b, t)
        keep &= words >= 0
    if not keep.any():
        fail(_API, "attention_mask", "at least one real token (with a word, if word_ids)", "none")
    seq, idx = np.nonzero(keep)
    # position among the sequence's real tokens: robust to left padding
    position = (np.cumsum(mask.astype(bool), axis=1) - 1)[seq, idx].astype(np.int64)
    labels: dict[str, np.ndarray] = {}
    if input_ids is not None:
        ids = to_numpy(input_ids, _API, "input_ids")
        if ids.shape != (b, t) or ids.dtype.kind not in "iu":
            fail(_API, "input_ids", f"integers of shape ({b}, {t})", f"{ids.dtype} {ids.shape}")
        labels["token"] = ids[seq, idx].astype(np.int64)
    labels["position"] = position
    if words is not None:
        labels["word"] = words[seq, idx]
    rows = h[:, torch.as_tensor(seq, device=h.device), torch.as_tensor(idx, device=h.device)]
    return TokenRows(rows, labels, seq.astype(np.int64), idx.astype(np.int64))
