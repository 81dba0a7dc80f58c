"""Where an :class:`softent.Accumulator`'s sums live: per label set, the growing
vocabulary (:class:`softent._labels.LabelVocabulary`) and its histograms and counts.

State rows: the point estimate's n_int rows (one per internal index l), then R blocks of
n_int bootstrap replicate rows, row ``r * n_int + l`` (n_state = (1 + R) * n_int rows).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._interop import add_columns, clone, nbytes_of, take_columns, to_device, zeros
from .._labels import LabelVocabulary
from .bins import Bins


class LabelHistograms:
    """The sums of one label set: ``hist`` [n_state, capacity, B] float64 and ``counts``
    [capacity] int64 (N_k of the point estimate) indexed by the vocabulary's slots; slots
    0..size-1 are used, capacity grows by amortised doubling. ``hist`` is None until the
    set holds a value."""

    __slots__ = ("counts", "hist", "name", "vocab")

    def __init__(self, name: str, vocab: LabelVocabulary | None = None) -> None:
        self.name = name
        self.vocab = vocab if vocab is not None else LabelVocabulary()
        self.hist: Any = None
        self.counts: np.ndarray = np.zeros(0, np.int64)

    @classmethod
    def from_sorted(
        cls, name: str, kind: str | None, values: np.ndarray, hist: Any, counts: np.ndarray
    ) -> LabelHistograms:
        """A set laid out in value order: ``values`` [K] sorted, ``hist`` [n_state, K, B],
        ``counts`` [K] (a state read from a file or reduced across ranks)."""
        s = cls(name, LabelVocabulary.from_sorted(kind, values))
        if len(values):
            s.hist, s.counts = hist, counts
        return s

    @property
    def kind(self) -> str | None:
        return self.vocab.kind

    @property
    def size(self) -> int:
        return self.vocab.size

    @property
    def sorted_values(self) -> np.ndarray:
        return self.vocab.sorted_values

    @property
    def nbytes(self) -> int:
        return 0 if self.hist is None else nbytes_of(self.hist) + int(self.counts.nbytes)

    def copy(self) -> LabelHistograms:
        s = LabelHistograms(self.name, self.vocab.copy())
        s.hist, s.counts = clone(self.hist), self.counts.copy()
        return s

    def to(self, device: int) -> None:
        if self.hist is not None:
            self.hist = to_device(self.hist, device)

    def add(self, values: np.ndarray, hist: Any, counts: np.ndarray, device: int) -> None:
        """Add the sums of the sorted, distinct, checked ``values`` [K']: ``hist``
        [n_state, K', B] (on ``device``) and ``counts`` [K']; new values get new slots."""
        before = self.vocab.size
        slots = self.vocab.slots_for(values)
        if self.vocab.size != before:
            self._reserve(self.vocab.size, before, hist.shape[0], hist.shape[-1], device)
        add_columns(self.hist, slots, hist)
        self.counts[slots] += counts

    def _reserve(self, size: int, used: int, n_state: int, n_bins: int, device: int) -> None:
        cap = 0 if self.hist is None else int(self.hist.shape[1])
        if size <= cap:
            return
        new_cap = max(size, 2 * cap, 16)
        hist = zeros((n_state, new_cap, n_bins), device)
        counts = np.zeros(new_cap, np.int64)
        if used:
            hist[:, :used] = self.hist[:, :used]
            counts[:used] = self.counts[:used]
        self.hist, self.counts = hist, counts

    def slot_state(self, rows: slice = slice(None)) -> tuple[Any, np.ndarray]:
        """(hist[rows, :size] [*, K, B], a view on the state's device, counts [K]) in slot
        order (order of arrival): for sums over labels, which need no sorting or copy."""
        k = self.vocab.size
        if k == 0:
            return None, np.zeros(0, np.int64)
        return self.hist[rows, :k], self.counts[:k]

    def sorted_state(self, rows: slice = slice(None)) -> tuple[np.ndarray, Any, np.ndarray]:
        """(values [K] sorted, hist[rows] [*, K, B] in that order (on the state's device),
        counts [K]). ``rows``: the state rows wanted (default all, replicates included)."""
        if self.vocab.size == 0:
            return self.vocab.sorted_values, None, np.zeros(0, np.int64)
        order = self.vocab.sorted_slots
        return self.vocab.sorted_values, take_columns(self.hist[rows], order), self.counts[order]


class AccumulatorFields:
    """The state an :class:`softent.Accumulator` holds, declared once for the classes that
    implement its jobs (results, persistence, reduction) and read or write it."""

    _bins: Bins
    _fingerprint: str
    _device: int | None
    _total: Any  # [n_state, B] float64, NumPy or a CUDA tensor
    _sets: dict[str, LabelHistograms]
    _internal: tuple[int, ...] | None
    _declared: tuple[str, ...] | None
    _n_rows: int
    _n_dropped: int
    _bootstrap: int
    _bootstrap_seed: int
    _seeds: frozenset[int]
    _permutations: int
    _permutation_seed: int
    _perm_sets: dict[str, LabelHistograms]  # per set: [R * n_int, K, B] permuted sums
    _lock: Any  # threading.RLock held by every method that writes the state
