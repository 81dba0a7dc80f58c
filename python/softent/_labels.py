"""Label encoding, growing vocabularies of streamed label sets, and the histogram-row
layout of label codes. Encoding: any integers or strings -> dense codes 0..K-1 (-1 = masked row)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._checks import fail
from ._interop import arange, astype, namespace, to_numpy

#: Integer labels whose range is at most this many times N use the O(N) bincount path
#: instead of sorting (np.unique): token ids, class ids.
_DENSE_RANGE_FACTOR = 4


@dataclass(frozen=True)
class LabelCodes:
    """Dense label codes for one label set.

    ``values[k]`` is the k-th label value present (sorted); ``codes[i]`` in 0..K-1 or -1
    when row i is masked; ``counts[k]`` = N_k, the number of rows with label ``values[k]``.
    """

    values: np.ndarray  # [K]
    codes: np.ndarray  # [N] int32
    counts: np.ndarray  # [K] int64

    @property
    def n_labels(self) -> int:
        return int(self.values.shape[0])


def encode_labels(labels: Any, n_rows: int, api: str, name: str = "labels") -> LabelCodes:
    """Map ``labels`` ([N] integers or strings; -1 masks an integer label) to dense codes."""
    layout = str(getattr(labels, "layout", "torch.strided"))
    if layout != "torch.strided":  # sparse (COO, CSR...) tensors: torch cannot view them
        fail(api, name, "a dense (strided) tensor or array", f"a {layout} tensor", TypeError)
    arr = to_numpy(labels)
    if arr.ndim != 1:
        fail(api, name, f"a 1-D array of length N={n_rows}", f"shape {arr.shape}")
    if arr.shape[0] != n_rows:
        fail(api, name, f"one label per row of z (length N={n_rows})", f"length {arr.shape[0]}")
    kind = arr.dtype.kind
    if kind == "b":
        arr = arr.astype(np.int64)
        kind = "i"
    if kind in "iu":
        return _encode_integers(arr, api, name)
    if kind in "UST" or (kind == "O" and all(isinstance(v, (str, bytes)) for v in arr)):
        values, codes = np.unique(arr, return_inverse=True)
        counts = np.bincount(codes, minlength=values.shape[0]).astype(np.int64)
        return LabelCodes(values, codes.astype(np.int32), counts)
    fail(api, name, "integers (-1 = masked) or strings", f"dtype {arr.dtype}", TypeError)


def _encode_integers(arr: np.ndarray, api: str, name: str) -> LabelCodes:
    masked = arr == -1 if arr.dtype.kind == "i" else np.zeros(arr.shape, bool)
    n = arr.shape[0]
    valid = arr[~masked] if masked.any() else arr
    if valid.size == 0:
        fail(api, name, "not all masked (-1)", f"{n} masked rows")
    lo, hi = int(valid.min()), int(valid.max())
    if lo >= 0 and hi < _DENSE_RANGE_FACTOR * n + 1024:
        counts_full = np.bincount(valid, minlength=hi + 1)
        values = np.flatnonzero(counts_full)
        lut = np.full(hi + 2, -1, np.int32)  # the extra last slot maps the mask (-1) to -1
        lut[values] = np.arange(values.shape[0], dtype=np.int32)
        codes = lut[np.where(masked, hi + 1, arr)]
        return LabelCodes(values.astype(arr.dtype), codes, counts_full[values].astype(np.int64))
    values, inverse = np.unique(valid, return_inverse=True)
    codes = np.full(n, -1, np.int32)
    codes[~masked] = inverse
    counts = np.bincount(inverse, minlength=values.shape[0]).astype(np.int64)
    return LabelCodes(values, codes, counts)


def histogram_slots(codes: Any, offset: int, stride: int | None = None, repeats: int = 1) -> Any:
    """THE label-code -> histogram-row layout of the soft kernels (cpp params/soft.h):
    row ``offset + code`` for a label code >= 0, -1 for a masked row (code -1).

    ``codes`` [N] (NumPy or torch; int). With ``repeats`` = L > 1 (rows that carry L
    internal positions each, e.g. layers), row i's L flattened entries go to
    ``offset + code + l * stride`` for l < L. Returns int32 [N * L], same library and
    memory as codes (traceable by ``torch.compile``).
    """
    xp = namespace(codes)
    c = astype(codes, "int64")
    rows = c + offset
    masked = c < 0
    if repeats > 1:
        rows = rows[:, None] + arange(repeats, c)[None, :] * int(stride or 0)
        return astype(xp.where(masked[:, None], -1, rows).reshape(-1), "int32")
    return astype(xp.where(masked, -1, rows), "int32")


# ----------------------------------------------------------------------------- growing vocabularies
# A streamed label set meets its values a batch at a time. Its state keeps one slot per
# value in order of arrival (so growing never moves the rows already summed) and the
# sorted values beside their slots (so results come out in np.unique's order, as the
# batch API's, and a new batch's values are found by binary search).

#: the kinds of label values a set can hold ('i' integers, 'U' str, 'S' bytes)
LABEL_KIND_NAMES = {"i": "integers", "U": "strings", "S": "bytes"}


def label_kind(values: np.ndarray) -> str:
    """'i' (integers), 'U' (str) or 'S' (bytes) for the values of one label set (any other
    dtype kind is returned as is, for the error message)."""
    k = values.dtype.kind
    if k in "iub":
        return "i"
    if k in "US":
        return k
    if k == "O":  # object arrays of str/bytes (encode_labels accepted them)
        return "U" if all(isinstance(v, str) for v in values) else "S"
    return k


def label_dtype(kind: str | None) -> Any:
    """The NumPy dtype that stores values of ``kind`` (None: no value seen, int64)."""
    return {"i": np.int64, "U": str, "S": bytes}.get(kind or "i", np.int64)


def checked_label_values(
    values: np.ndarray, have: str | None, api: str, arg: str, set_name: str
) -> np.ndarray:
    """Distinct ``values`` of one batch normalised (int64, str or bytes), after checking
    they are of the kind ``have`` that label set ``set_name`` already holds (None: any)."""
    kind = label_kind(values)
    if have is not None and kind != have:
        fail(
            api,
            arg,
            f"{LABEL_KIND_NAMES[have]} like the earlier values of label set {set_name!r}",
            LABEL_KIND_NAMES.get(kind, str(values.dtype)),
            TypeError,
        )
    if kind == "i":
        if values.dtype.kind == "u" and values.size and int(values.max()) > np.iinfo(np.int64).max:
            fail(api, arg, "integers that fit in int64", f"{int(values.max())}")
        return values.astype(np.int64)
    if values.dtype.kind == "O":
        return values.astype(str) if kind == "U" else values.astype(bytes)
    return values


class LabelVocabulary:
    """The values of one streamed label set -> state slots 0..size-1, in order of arrival.

    ``sorted_values`` [size] (sorted) and ``sorted_slots`` [size] (the slot of each) give
    the reporting order; ``kind`` is fixed by the first values ('i', 'U', 'S'; None before).
    """

    __slots__ = ("kind", "size", "sorted_slots", "sorted_values")

    def __init__(self, kind: str | None = None) -> None:
        self.kind = kind
        self.sorted_values: np.ndarray = np.empty(0, np.int64)
        self.sorted_slots: np.ndarray = np.empty(0, np.int64)
        self.size = 0

    @classmethod
    def from_sorted(cls, kind: str | None, values: np.ndarray) -> LabelVocabulary:
        """A vocabulary whose slots are the positions of ``values`` (sorted, distinct):
        how a state read from a file or reduced across ranks is laid out."""
        v = cls(kind)
        if len(values):
            v.sorted_values = values
            v.sorted_slots = np.arange(len(values), dtype=np.int64)
            v.size = len(values)
        return v

    def copy(self) -> LabelVocabulary:
        v = LabelVocabulary(self.kind)
        v.sorted_values, v.sorted_slots = self.sorted_values.copy(), self.sorted_slots.copy()
        v.size = self.size
        return v

    def slots_for(self, values: np.ndarray) -> np.ndarray:
        """Slots [K'] of the sorted, distinct, normalised ``values`` (see
        :func:`checked_label_values`); values not seen before get the next free slots
        (``size`` grows by their number: the caller makes room for them)."""
        if self.kind is None:
            self.kind = label_kind(values)
        k = self.size
        pos = np.searchsorted(self.sorted_values, values) if k else np.zeros(len(values), np.int64)
        found = np.zeros(len(values), bool)
        if k:
            inside = pos < k
            found[inside] = self.sorted_values[pos[inside]] == values[inside]
        slots = np.empty(len(values), np.int64)
        slots[found] = self.sorted_slots[pos[found]]
        n_new = int((~found).sum())
        if n_new:
            new_slots = np.arange(k, k + n_new, dtype=np.int64)
            slots[~found] = new_slots
            # Insert at the positions found above (in the old array): O(K), order kept.
            dtype = np.result_type(self.sorted_values, values) if k else values.dtype
            self.sorted_values = np.insert(
                self.sorted_values.astype(dtype), pos[~found], values[~found]
            )
            self.sorted_slots = np.insert(self.sorted_slots, pos[~found], new_slots)
            self.size = k + n_new
        return slots


def union_vocabularies(
    per_worker: Sequence[Mapping[str, tuple[str | None, Sequence[Any]]]], api: str
) -> tuple[list[str], dict[str, str | None], dict[str, np.ndarray]]:
    """Unite the label sets of several workers (ranks), each {name: (kind, values)}.

    Returns (names in order of first appearance, {name: kind}, {name: sorted union of the
    values}); every worker computing it from the same inputs gets the same layout. A set
    holding integers on one worker and strings on another is refused (ValueError)."""
    names: list[str] = []
    kinds: dict[str, str | None] = {}
    vocab: dict[str, set] = {}
    for sets in per_worker:
        for name, (kind, values) in sets.items():
            if name not in vocab:
                names.append(name)
                vocab[name] = set()
                kinds[name] = None
            if kind is not None:
                if kinds[name] is None:
                    kinds[name] = kind
                elif kinds[name] != kind:
                    fail(
                        api,
                        f"label set {name!r}",
                        "of one kind (integers or strings) on every rank",
                        "both",
                    )
                vocab[name].update(values)
    union = {n: np.array(sorted(vocab[n]), dtype=label_dtype(kinds[n])) for n in names}
    return names, kinds, union
