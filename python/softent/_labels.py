"""Label encoding, growing vocabularies of streamed label sets, and the histogram-row
layout of label codes. Encoding: any integers or strings -> dense codes 0..K-1.

Every label value is a class, -1 included (softent < 0.2 read -1 as "masked": see
CHANGELOG.md). Rows are masked only when asked, with ``ignore_index=`` (a label value, e.g.
Hugging Face's -100) or a boolean ``mask=`` (True keeps the row); internally a masked row
gets the code -1, which the kernels skip (:func:`histogram_slots`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np

from ._checks import fail, is_int
from ._interop import arange, astype, namespace, to_numpy

#: Integer labels whose range is at most this many times N use the O(N) bincount path
#: instead of sorting (np.unique): token ids, class ids.
_DENSE_RANGE_FACTOR = 4


@dataclass(frozen=True)
class LabelCodes:
    """Dense label codes for one label set.

    ``values[k]`` is the k-th label value present (sorted); ``codes[i]`` in 0..K-1, or -1
    when row i was masked (``ignore_index=`` / ``mask=``); ``counts[k]`` = N_k, the number of rows with label ``values[k]``.
    """

    values: np.ndarray  # [K]
    codes: np.ndarray  # [N] int32
    counts: np.ndarray  # [K] int64

    @property
    def n_labels(self) -> int:
        return int(self.values.shape[0])


def check_ignore_index(api: str, ignore_index: Any) -> Any:
    """None, an int (not a bool) or a str: the label value whose rows are masked."""
    if ignore_index is None or is_int(ignore_index) or isinstance(ignore_index, (str, bytes)):
        return ignore_index
    fail(
        api,
        "ignore_index",
        "None, an int label value (e.g. -100) or a str",
        repr(ignore_index),
        TypeError,
    )


def check_mask(api: str, mask: Any, n_rows: int, name: str = "mask") -> np.ndarray | None:
    """None, or ``mask`` as a host bool array [N] (True keeps the row). A torch or NumPy
    bool array of length N; integer 0/1 arrays are refused (they are easily label codes)."""
    if mask is None:
        return None
    arr = to_numpy(mask, api, name)
    if arr.dtype != np.bool_:
        fail(api, name, "a boolean array (True keeps the row)", f"dtype {arr.dtype}", TypeError)
    if arr.ndim != 1 or arr.shape[0] != n_rows:
        fail(api, name, f"a 1-D boolean array of length N={n_rows}", f"shape {arr.shape}")
    return arr


def keep_rows(
    api: str,
    labels: Any,
    n_rows: int,
    *,
    ignore_index: Any = None,
    mask: Any = None,
    name: str = "labels",
) -> np.ndarray | None:
    """The rows to keep [N] (host bool), or None when no masking was asked (both None).

    A row is left out when ``mask`` is False there or its label equals ``ignore_index``.
    Refuses a mask that leaves no row (ValueError naming ``mask``/``ignore_index``)."""
    ignore_index = check_ignore_index(api, ignore_index)
    keep = check_mask(api, mask, n_rows)
    if ignore_index is None:
        if keep is not None and not keep.any():
            refuse_all_masked(api, n_rows, None)
        return keep
    if labels is None:
        fail(api, "ignore_index", "None when no labels are given", repr(ignore_index))
    arr = to_numpy(labels, api, name)
    if arr.ndim != 1 or arr.shape[0] != n_rows:
        fail(api, name, f"a 1-D array of length N={n_rows}", f"shape {arr.shape}")
    hit = _equals(arr, ignore_index)
    keep = ~hit if keep is None else keep & ~hit
    if not keep.any():
        refuse_all_masked(api, n_rows, ignore_index)
    return keep


def refuse_all_masked(api: str, n_rows: int, ignore_index: Any) -> NoReturn:
    """The one error for masking that leaves no row (naming ``ignore_index`` when given,
    else ``mask``)."""
    if ignore_index is None:
        fail(api, "mask", "True for at least one row", f"all {n_rows} rows False")
    fail(
        api,
        "ignore_index",
        "a value that leaves some rows (with mask=, if given)",
        f"{ignore_index!r}, which masks all {n_rows} rows",
    )


def _equals(arr: np.ndarray, value: Any) -> np.ndarray:
    """[N] bool: arr == value, False throughout when the kinds differ (an int never equals
    a string label), without NumPy's elementwise-comparison warnings."""
    kind = arr.dtype.kind
    if is_int(value):
        if kind in "iub":
            return arr == value
        if kind == "O":
            return np.array([is_int(v) and v == value for v in arr], dtype=bool)
        return np.zeros(arr.shape, bool)
    if kind in "US" or kind == "O":
        return np.array([v == value for v in arr.tolist()], dtype=bool)
    return np.zeros(arr.shape, bool)


def warn_masking(api: str, keep: np.ndarray | None, labels: Any = None) -> None:
    """A UserWarning when the masking asked for (``keep`` [N]) left out most (> 50 %) of
    the rows, or left one label value: results then rest on few rows, or I(Z;L) = 0."""
    if keep is None:
        return
    import warnings

    n, kept = int(keep.shape[0]), int(keep.sum())
    if n - kept > n / 2:
        warnings.warn(
            f"softent.{api}: masking (mask=/ignore_index=) left out {n - kept} of {n} rows "
            f"({100 * (n - kept) / n:.0f}%); the estimates use the {kept} rows left",
            UserWarning,
            stacklevel=3,
        )
    if labels is not None:
        left = np.unique(to_numpy(labels)[keep])
        if left.shape[0] == 1:
            warnings.warn(
                f"softent.{api}: masking (mask=/ignore_index=) left one label value "
                f"({left.tolist()[0]!r}) in {kept} rows: H(Z|L) = H(Z) and I(Z;L) = 0",
                UserWarning,
                stacklevel=3,
            )


def encode_labels(
    labels: Any,
    n_rows: int,
    api: str,
    name: str = "labels",
    *,
    ignore_index: Any = None,
    mask: Any = None,
    allow_all_masked: bool = False,
) -> LabelCodes:
    """Map ``labels`` ([N] integers or strings; every value a class, -1 included) to dense
    codes. Rows whose label equals ``ignore_index``, or where ``mask`` [N] (bool) is False,
    get code -1 (masked: the kernels skip them). All rows masked is refused unless
    ``allow_all_masked`` (a streamed batch: then K = 0)."""
    if isinstance(labels, LabelCodes):  # encoded already (a caller that masked per set)
        if labels.codes.shape[0] != n_rows:
            fail(api, name, f"one label per row of z (length N={n_rows})", labels.codes.shape[0])
        return labels
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
    is_str = kind in "UST" or (kind == "O" and all(isinstance(v, (str, bytes)) for v in arr))
    if kind not in "iu" and not is_str:
        fail(api, name, "integers or strings", f"dtype {arr.dtype}", TypeError)
    masked: np.ndarray | None = None
    if ignore_index is not None or mask is not None:
        ignore_index = check_ignore_index(api, ignore_index)
        m = check_mask(api, mask, n_rows)
        masked = np.zeros(n_rows, bool) if m is None else ~m
        if ignore_index is not None:
            masked |= _equals(arr, ignore_index)
        if masked.all() and n_rows:
            if allow_all_masked:
                return LabelCodes(arr[:0], np.full(n_rows, -1, np.int32), np.zeros(0, np.int64))
            refuse_all_masked(api, n_rows, ignore_index)
        if not masked.any():
            masked = None
    if kind in "iu":
        return _encode_integers(arr, masked)
    valid = arr if masked is None else arr[~masked]
    values, inverse = np.unique(valid, return_inverse=True)
    counts = np.bincount(inverse, minlength=values.shape[0]).astype(np.int64)
    if masked is None:
        return LabelCodes(values, inverse.astype(np.int32), counts)
    codes = np.full(n_rows, -1, np.int32)
    codes[~masked] = inverse
    return LabelCodes(values, codes, counts)


def _encode_integers(arr: np.ndarray, masked: np.ndarray | None) -> LabelCodes:
    n = arr.shape[0]
    valid = arr if masked is None else arr[~masked]
    if valid.size == 0:  # N = 0 (a streamed empty batch)
        return LabelCodes(arr[:0], np.zeros(0, np.int32), np.zeros(0, np.int64))
    lo, hi = int(valid.min()), int(valid.max())
    if lo >= 0 and hi < _DENSE_RANGE_FACTOR * n + 1024:
        counts_full = np.bincount(valid, minlength=hi + 1)
        values = np.flatnonzero(counts_full)
        lut = np.full(hi + 2, -1, np.int32)  # the extra last slot maps a masked row to -1
        lut[values] = np.arange(values.shape[0], dtype=np.int32)
        codes = lut[arr if masked is None else np.where(masked, hi + 1, arr)]
        return LabelCodes(values.astype(arr.dtype), codes, counts_full[values].astype(np.int64))
    values, inverse = np.unique(valid, return_inverse=True)
    counts = np.bincount(inverse, minlength=values.shape[0]).astype(np.int64)
    if masked is None:
        return LabelCodes(values, inverse.astype(np.int32), counts)
    codes = np.full(n, -1, np.int32)
    codes[~masked] = inverse
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
