"""Where an :class:`softent.Accumulator`'s sums live: per label set, the growing
vocabulary (:class:`softent._labels.LabelVocabulary`) and its histograms and counts.

State rows: the point estimate's n_int rows (one per internal index l), then R blocks of
n_int bootstrap replicate rows, row ``r * n_int + l`` (n_state = (1 + R) * n_int rows).

Single-row labels (per-sample ids): while every label value of a set has been seen in
exactly one row, replicate r of label k is that row's histogram times its Poisson weight
w_rk, so the set keeps only its point rows [n_int, K, B] and the weights [R, K] (R times
less memory and work than the dense [(1 + R) * n_int, K, B]); readers get the dense rows
materialised on demand, and the set becomes dense when a label value repeats.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._interop import add_columns, clone, is_torch, nbytes_of, take_columns, to_device, zeros
from .._labels import LabelVocabulary
from .bins import Bins


class LabelHistograms:
    """The sums of one label set: ``hist`` [n_state, capacity, B] float64 and ``counts``
    [capacity] int64 (N_k of the point estimate) indexed by the vocabulary's slots; slots
    0..size-1 are used, capacity grows by amortised doubling. ``hist`` is None until the
    set holds a value."""

    __slots__ = ("counts", "hist", "name", "vocab", "weights")

    def __init__(self, name: str, vocab: LabelVocabulary | None = None) -> None:
        self.name = name
        self.vocab = vocab if vocab is not None else LabelVocabulary()
        self.hist: Any = None
        self.counts: np.ndarray = np.zeros(0, np.int64)
        # [R, capacity] while the set is sparse (every label value in one row: ``hist``
        # then holds only the n_int point rows); None when dense
        self.weights: Any = None

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
        if self.hist is None:
            return 0
        return nbytes_of(self.hist) + nbytes_of(self.weights) + int(self.counts.nbytes)

    @property
    def sparse(self) -> bool:
        """True while every label value has one row and replicates are kept as weights."""
        return self.weights is not None

    def copy(self) -> LabelHistograms:
        s = LabelHistograms(self.name, self.vocab.copy())
        s.hist, s.counts, s.weights = clone(self.hist), self.counts.copy(), clone(self.weights)
        return s

    def to(self, device: int) -> None:
        if self.hist is not None:
            self.hist = to_device(self.hist, device)
        if self.weights is not None:
            self.weights = to_device(self.weights, device)

    def can_add_single(self, values: np.ndarray, counts: np.ndarray) -> bool:
        """Whether a batch's ``values`` (each in ``counts`` rows) keep this set sparse: one
        row each, none seen before, and the set empty or sparse."""
        if counts.size == 0 or int(counts.max()) != 1:
            return False
        if self.vocab.size == 0:
            return self.hist is None or self.sparse
        return self.sparse and not bool(np.isin(values, self.sorted_values).any())

    def add_single(self, values: np.ndarray, point: Any, weights: Any, device: int) -> None:
        """Add new label values with one row each (:meth:`can_add_single`): ``point``
        [n_int, K', B] their histograms, ``weights`` [R, K'] their rows' Poisson weights in
        each replicate (on ``device``)."""
        before = self.vocab.size
        slots = self.vocab.slots_for(values)
        if self.weights is None:
            self.weights = zeros((int(weights.shape[0]), 0), device)
        self._reserve(self.vocab.size, before, point.shape[0], point.shape[-1], device)
        add_columns(self.hist, slots, point)
        add_columns(self.weights, slots, weights)
        self.counts[slots] += 1

    def add(self, values: np.ndarray, hist: Any, counts: np.ndarray, device: int) -> None:
        """Add the sums of the sorted, distinct, checked ``values`` [K']: ``hist``
        [n_state, K', B] (on ``device``) and ``counts`` [K']; new values get new slots."""
        if self.sparse:
            self.hist, self.weights = self._dense(), None
        before = self.vocab.size
        slots = self.vocab.slots_for(values)
        if self.vocab.size != before:
            self._reserve(self.vocab.size, before, hist.shape[0], hist.shape[-1], device)
        add_columns(self.hist, slots, hist)
        self.counts[slots] += counts

    def _dense(self) -> Any:
        """The dense rows [(1 + R) * n_int, capacity, B] of a sparse set (a new array):
        replicate r of a one-row label is its point row times the row's weight w_rk."""
        hist, w = self.hist, self.weights
        r, (n_int, cap, b) = int(w.shape[0]), tuple(int(x) for x in hist.shape)
        reps = w[:, None, :, None] * hist[None]  # [R, n_int, cap, B]
        if is_torch(hist):
            import torch

            both = torch.cat([hist[None], reps])
        else:
            both = np.concatenate([hist[None], reps])
        return both.reshape((1 + r) * n_int, cap, b)

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
        if self.weights is not None:
            weights = zeros((int(self.weights.shape[0]), new_cap), device)
            if used:
                weights[:, :used] = self.weights[:, :used]
            self.weights = weights
        self.hist, self.counts = hist, counts

    def sorted_counts(self) -> np.ndarray:
        """counts [K] in sorted value order (no histogram is read)."""
        if self.vocab.size == 0:
            return np.zeros(0, np.int64)
        return self.counts[self.vocab.sorted_slots]

    def slot_state(self, rows: slice = slice(None)) -> tuple[Any, np.ndarray]:
        """(hist[rows, :size] [*, K, B], a view on the state's device, counts [K]) in slot
        order (order of arrival): for sums over labels, which need no sorting or copy."""
        k = self.vocab.size
        if k == 0:
            return None, np.zeros(0, np.int64)
        return self._rows(rows)[:, :k], self.counts[:k]

    def _rows(self, rows: slice) -> Any:
        """hist[rows] of the dense layout; a sparse set materialises only what is asked
        beyond its point rows."""
        if not self.sparse:
            return self.hist[rows]
        n_int = int(self.hist.shape[0])
        start, stop, step = rows.indices((1 + int(self.weights.shape[0])) * n_int)
        if step == 1 and stop <= n_int:
            return self.hist[start:stop]
        return self._dense()[rows]

    def sorted_state(self, rows: slice = slice(None)) -> tuple[np.ndarray, Any, np.ndarray]:
        """(values [K] sorted, hist[rows] [*, K, B] in that order (on the state's device),
        counts [K]). ``rows``: the state rows wanted (default all, replicates included)."""
        if self.vocab.size == 0:
            return self.vocab.sorted_values, None, np.zeros(0, np.int64)
        order = self.vocab.sorted_slots
        return self.vocab.sorted_values, take_columns(self._rows(rows), order), self.counts[order]


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
