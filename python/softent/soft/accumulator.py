"""Online soft histograms: stream batches (from several workers or machines) and get the
numbers the batch functions give on the concatenated data.

An :class:`Accumulator` holds, per "internal" index l (layers/heads sharing the centres):

- ``total`` [*I, B]: Σ_i q_ib over every row streamed (what :meth:`Accumulator.entropy`
  uses without a label set);
- per named label set s: ``hist`` [*I, K_s, B] (Σ over the rows of each label value) and
  ``counts`` [K_s] (N_k), with the label values seen so far (the vocabulary grows as new
  values arrive; -1 masks an integer label).

All of them are float64 sums of the kernel's soft assignments q_ib = softmax_b(s(z_i,
c_b)/T), computed by the same fused kernel as :func:`softent.soft_histogram` (one pass per
update for every label set and every internal index). Results are produced by
:class:`softent.SoftHistogram`, so the entropy math is the batch API's.

With ``bootstrap=R`` every state array also holds R Poisson(1)-bootstrap replicates of
those sums, as extra leading rows: the state row of internal index l in replicate r is
``r * n_internal + l`` (r = 0 the point estimate). A row's weights depend only on
(bootstrap_seed, its position in the stream = ``n_rows`` before it was added, r), the
draw of :func:`softent.histogram.poisson_bootstrap`, so any chunking of a stream gives the
replicates of that function on the concatenated rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from .. import _progress
from .._checks import check_base, fail
from .._interop import as_float_rows, device_of, is_torch, to_numpy
from .._labels import encode_labels
from .bins import Seed, _rng
from .histogram import (
    Bins,
    SoftHistogram,
    Weighting,
    accumulate,
    check_threads,
    finite_rows,
    make_bins,
    new_hist,
)

_API = "Accumulator"
#: the name of the label set when update() is given one array and no names were declared
DEFAULT_LABEL_SET = "labels"
_KIND_NAMES = {"i": "integers", "U": "strings", "S": "bytes"}
#: _add_rows loops over leading state rows up to this many (2-D gathers), else one 3-D gather
_GATHER_LOOP_ROWS = 16


# ----------------------------------------------------------------------------- array helpers
# State arrays are float64 NumPy arrays (host) or torch tensors on one CUDA device.


def _zeros(shape: tuple[int, ...], device: int) -> Any:
    if device < 0:
        return np.zeros(shape, dtype=np.float64)
    import torch

    return torch.zeros(shape, dtype=torch.float64, device=f"cuda:{device}")


def _to_device(arr: Any, device: int) -> Any:
    """``arr`` (NumPy or torch float64) in the memory of ``device`` (-1 = host NumPy)."""
    if device < 0:
        return to_numpy(arr) if is_torch(arr) else arr
    import torch

    return torch.as_tensor(arr, dtype=torch.float64, device=f"cuda:{device}")


def _host(arr: Any) -> np.ndarray:
    return np.array(to_numpy(arr), dtype=np.float64, copy=True)


def _add_rows(dst: Any, idx: np.ndarray, src: Any) -> None:
    """dst[:, idx, :] += src, for distinct ``idx`` (dst [L, cap, B], src [L, len(idx), B])."""
    if (
        len(idx)
        and int(idx[-1]) - int(idx[0]) == len(idx) - 1
        and (len(idx) == 1 or bool((np.diff(idx) == 1).all()))
    ):
        # consecutive slots (the usual case: a vocabulary in order of arrival): one slice add
        dst[:, int(idx[0]) : int(idx[-1]) + 1] += src
    elif is_torch(dst):
        import torch

        dst.index_add_(1, torch.as_tensor(idx, dtype=torch.int64, device=dst.device), src)
    elif dst.shape[0] <= _GATHER_LOOP_ROWS:
        for d2, s2 in zip(dst, src, strict=True):  # 2-D row gathers are ~4x faster than 3-D ones
            d2[idx] += s2
    else:  # many leading rows (bootstrap replicates): one 3-D gather, no Python loop over them
        dst[:, idx] += src


def _reshape(arr: Any, shape: tuple[int, ...]) -> Any:
    return arr.reshape(shape)


def _label_kind(values: np.ndarray) -> str:
    """'i' (integers), 'U' (str) or 'S' (bytes) for the sorted values of one batch."""
    k = values.dtype.kind
    if k in "iub":
        return "i"
    if k in "US":
        return k
    if k == "O":  # object arrays of str/bytes (encode_labels accepted them)
        return "U" if all(isinstance(v, str) for v in values) else "S"
    return k


def _normalise_values(values: np.ndarray, kind: str, api: str, name: str) -> np.ndarray:
    if kind == "i":
        if values.dtype.kind == "u" and values.size and int(values.max()) > np.iinfo(np.int64).max:
            fail(api, name, "integers that fit in int64", f"{int(values.max())}")
        return values.astype(np.int64)
    if values.dtype.kind == "O":
        return values.astype(str) if kind == "U" else values.astype(bytes)
    return values


# ----------------------------------------------------------------------------- label sets


@dataclass
class _LabelSet:
    """Vocabulary (value -> slot, in order of arrival) and histograms of one label set.

    ``hist`` [(1 + R) * L, capacity, B] (R bootstrap replicates after the point
    estimate's L rows) and ``counts`` [capacity] (point estimate) are indexed by slot; slots
    0..size-1 are used. ``sorted_values``/``sorted_slots`` give the value order (the
    order in which results are reported, as the batch API's ``np.unique``)."""

    name: str
    kind: str | None = None
    sorted_values: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    sorted_slots: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    size: int = 0
    hist: Any = None
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def slots_for(self, values: np.ndarray, n_state: int, n_bins: int, device: int) -> np.ndarray:
        """Slots [K'] of the sorted, distinct, normalised ``values`` (checked by
        ``Accumulator._checked_values``); new values get new slots (the histograms grow,
        with amortised doubling)."""
        if self.kind is None:
            self.kind = _label_kind(values)
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
            self.reserve(k + n_new, n_state, n_bins, device)
            self.size = k + n_new
        return slots

    def reserve(self, size: int, n_state: int, n_bins: int, device: int) -> None:
        cap = 0 if self.hist is None else int(self.hist.shape[1])
        if size <= cap:
            return
        new_cap = max(size, 2 * cap, 16)
        hist = _zeros((n_state, new_cap, n_bins), device)
        counts = np.zeros(new_cap, np.int64)
        if self.size:
            hist[:, : self.size] = self.hist[:, : self.size]
            counts[: self.size] = self.counts[: self.size]
        self.hist, self.counts = hist, counts

    def sorted_state(self, rows: slice = slice(None)) -> tuple[np.ndarray, Any, np.ndarray]:
        """(values [K] sorted, hist[rows] [*, K, B] in that order (on the state's device),
        counts [K]). ``rows``: the state rows wanted (default all, replicates included)."""
        order = self.sorted_slots
        if self.size == 0:
            return self.sorted_values, None, np.zeros(0, np.int64)
        if is_torch(self.hist):
            import torch

            h = self.hist[rows].index_select(1, torch.as_tensor(order, device=self.hist.device))
        else:
            h = self.hist[rows][:, order]
        return self.sorted_values, h, self.counts[order]


# ----------------------------------------------------------------------------- the accumulator


class Accumulator:
    """An online soft histogram: ``update`` with batches, ``merge`` across workers,
    ``all_reduce`` across ranks, ``save``/``load``, and the batch API's numbers.

    Construction mirrors the batch API (:func:`softent.soft_histogram`)::

        acc = Accumulator(centres, metric="cosine", temperature="auto")  # explicit centres [B, D]
        acc = Accumulator(n_bins=100, dim=768, seed=0)  # spherical bins, as softent.entropy(z)
        acc = Accumulator(n_bins=100, box=(lo, hi), metric="euclidean")  # uniform in a given box
        acc = Accumulator(bins)  # a softent.Bins (e.g. soft_histogram(...).bins)

    Euclidean metrics need ``centres`` or ``box``: the batch default (the data's bounding
    box) does not exist before a stream ends, and the first batch's box would make
    workers disagree. ``box=(z.min(0), z.max(0))`` gives ``box_bins(z, n_bins, seed)``.

    Args:
        centres: [B, D] bin centres, or a :class:`softent.Bins`.
        n_bins, dim, seed: the bins spec when ``centres`` is not given: B, D, and the seed
            of :func:`softent.spherical_bins` (or of the uniform draw in ``box``).
        box: (lo, hi) scalars or [D] arrays: Euclidean centres uniform in that box.
        metric: 'cosine' (default), 'euclidean', 'sqeuclidean', 'dot'.
        temperature: T > 0 or 'auto' (default; see :func:`softent.soft_histogram`).
        label_sets: names of the label sets (optional). When given, ``update`` refuses
            other names; otherwise sets are created as they first appear (rows streamed
            before a set appeared count as masked for it).
        internal_shape: shape I of the internal dimensions of z [N, *I, D] (optional:
            taken from the first batch otherwise).
        num_threads: OpenMP threads of each update (default: all).
        bootstrap: R >= 0 Poisson(1)-bootstrap replicates kept alongside the histograms
            (default 0: none). Each update adds its rows into every replicate in the same
            kernel pass, with the weights :func:`softent.histogram.poisson_bootstrap` gives
            those rows at their position in the stream, so ``softent.report(acc)`` has
            the intervals of ``softent.report(z, bootstrap=R, bootstrap_seed=...)`` on the
            concatenated rows. A row of z [N, *I, D] is one resampling unit: its internal
            indices share its weight. Costs (1 + R) times the state memory.
        bootstrap_seed: seed of the weights, an int in [0, 2**64). Workers whose
            accumulators are merged (``merge``, ``all_reduce``) need distinct seeds, e.g.
            ``base + rank``: with equal seeds their i-th rows get the same weights.

    State (float64): all-rows totals [*I, B] and, per label set, histograms [*I, K, B] and
    counts [K] (plus R replicates of each histogram with ``bootstrap``); they live where the
    data of the first update lived (host memory, or the CUDA device of a torch tensor) and
    are fetched to the host only for results.
    """

    def __init__(
        self,
        centres: Any = None,
        *,
        n_bins: int = 100,
        dim: int | None = None,
        seed: Seed = 0,
        box: tuple[Any, Any] | None = None,
        metric: str | None = None,
        temperature: float | str | None = None,
        label_sets: str | Sequence[str] | None = None,
        internal_shape: Sequence[int] | None = None,
        num_threads: int | None = None,
        bootstrap: int = 0,
        bootstrap_seed: int = 0,
    ) -> None:
        self._bins = _resolve_bins(centres, n_bins, dim, seed, box, metric, temperature)
        self._fingerprint = self._bins.fingerprint()
        self._threads = check_threads(_API, num_threads)
        self._bootstrap, self._bootstrap_seed = _check_bootstrap(_API, bootstrap, bootstrap_seed)
        self._declared: tuple[str, ...] | None = None
        if label_sets is not None:
            names = (label_sets,) if isinstance(label_sets, str) else tuple(label_sets)
            if (
                not names
                or not all(isinstance(s, str) and s for s in names)
                or len(set(names)) != len(names)
            ):
                fail(
                    _API,
                    "label_sets",
                    "a name or a sequence of distinct non-empty names",
                    repr(label_sets),
                )
            self._declared = names
        self._internal: tuple[int, ...] | None = None
        if internal_shape is not None:
            self._internal = _check_internal(internal_shape)
        self.reset()

    # ------------------------------------------------------------------ properties

    @property
    def bins(self) -> Bins:
        """The :class:`softent.Bins` (centres [B, D], metric, temperature)."""
        return self._bins

    @property
    def centres(self) -> np.ndarray:
        return self._bins.centres

    @property
    def metric(self) -> str:
        return self._bins.metric

    @property
    def temperature(self) -> float:
        return self._bins.temperature

    @property
    def fingerprint(self) -> str:
        """sha256 of centres, metric and temperature (:meth:`softent.Bins.fingerprint`)."""
        return self._fingerprint

    @property
    def n_rows(self) -> int:
        """Rows streamed so far (over all updates and merges; dropped rows excluded)."""
        return self._n_rows

    @property
    def n_dropped(self) -> int:
        """Rows dropped by ``nonfinite='drop'``."""
        return self._n_dropped

    @property
    def bootstrap(self) -> int:
        """R, the Poisson-bootstrap replicates kept (0: none)."""
        return self._bootstrap

    @property
    def bootstrap_seed(self) -> int:
        """The seed of this accumulator's bootstrap weights (int in [0, 2**64))."""
        return self._bootstrap_seed

    @property
    def label_sets(self) -> tuple[str, ...]:
        """Names of the label sets (declared, or seen so far)."""
        return tuple(self._sets)

    @property
    def internal_shape(self) -> tuple[int, ...] | None:
        """I of z [N, *I, D] (``()`` for [N, D]); None before the first batch."""
        return self._internal

    @property
    def device(self) -> str | None:
        """Where the histograms live: 'cpu', 'cuda:k', or None before the first batch."""
        if self._device is None:
            return None
        return "cpu" if self._device < 0 else f"cuda:{self._device}"

    @property
    def nbytes(self) -> int:
        """Bytes held by the histograms and counts (capacity included)."""
        n = (
            0
            if self._total is None
            else int(self._total.numel() * 8 if is_torch(self._total) else self._total.nbytes)
        )
        for s in self._sets.values():
            if s.hist is not None:
                n += int(s.hist.numel() * 8 if is_torch(s.hist) else s.hist.nbytes) + int(
                    s.counts.nbytes
                )
        return n

    def __repr__(self) -> str:
        boot = (
            f", bootstrap={self._bootstrap}, bootstrap_seed={self._bootstrap_seed}"
            if self._bootstrap
            else ""
        )
        return (
            f"Accumulator(n_bins={self._bins.n_bins}, dim={self._bins.dim}, metric={self.metric!r}, "
            f"temperature={self.temperature:.6g}, n_rows={self._n_rows}, label_sets={list(self._sets)}, "
            f"internal_shape={self._internal}, device={self.device!r}{boot})"
        )

    @property
    def _n_internal(self) -> int:
        return math.prod(self._internal) if self._internal else 1

    @property
    def _n_state(self) -> int:
        """Leading rows of the state arrays: the point estimate's n_internal, then R blocks
        of n_internal replicate rows (row r * n_internal + l)."""
        return (1 + self._bootstrap) * self._n_internal

    # ------------------------------------------------------------------ state

    def reset(self) -> Accumulator:
        """Forget every row (keeps the bins, the declared label sets, the internal shape and
        the bootstrap settings; the bootstrap weights start again at stream position 0)."""
        self._device: int | None = None
        self._total: Any = None
        self._n_rows = 0
        self._n_dropped = 0
        # bootstrap seeds whose weighted rows are in the state (this one's and merged ones'):
        # two states sharing one would resample their i-th rows alike
        self._seeds: frozenset[int] = frozenset()
        self._sets: dict[str, _LabelSet] = {}
        for name in self._declared or ():
            self._sets[name] = _LabelSet(name)
        return self

    def copy(self) -> Accumulator:
        """An independent copy (same bins, same state, same device)."""
        other = Accumulator.__new__(Accumulator)
        other.__dict__.update(self.__dict__)
        other._sets = {}
        other._total = (
            None
            if self._total is None
            else self._total.clone()
            if is_torch(self._total)
            else self._total.copy()
        )
        for name, s in self._sets.items():
            t = _LabelSet(
                name,
                s.kind,
                s.sorted_values.copy(),
                s.sorted_slots.copy(),
                s.size,
                None,
                s.counts.copy(),
            )
            if s.hist is not None:
                t.hist = s.hist.clone() if is_torch(s.hist) else s.hist.copy()
            other._sets[name] = t
        return other

    def to(self, device: Any) -> Accumulator:
        """Move the histograms to ``device`` ('cpu', 'cuda', 'cuda:k', a torch.device or an
        int, -1 = host). Later updates from elsewhere are added into them there."""
        dev = _parse_device(device)
        if self._device is not None and self._total is not None:
            self._total = _to_device(self._total, dev)
        for s in self._sets.values():
            if s.hist is not None:
                s.hist = _to_device(s.hist, dev)
        self._device = dev
        return self

    def _place(self, device: int) -> None:
        """Fix the state's device at the first data and allocate the totals."""
        if self._device is None:
            self._device = device
        if self._total is None:
            self._total = _zeros((self._n_state, self._bins.n_bins), self._device)

    def _checked_values(self, name: str, values: np.ndarray, api: str, arg: str) -> np.ndarray:
        """The sorted distinct values of one batch, normalised (int64 / str / bytes), after
        checking they are of the kind the set already holds (before any state changes)."""
        kind = _label_kind(values)
        s = self._sets.get(name)
        if s is not None and s.kind is not None and kind != s.kind:
            fail(
                api,
                arg,
                f"{_KIND_NAMES[s.kind]} like the earlier values of label set {name!r}",
                _KIND_NAMES.get(kind, str(values.dtype)),
                TypeError,
            )
        return _normalise_values(values, kind, api, arg)

    def _set(self, name: str, api: str) -> _LabelSet:
        if name not in self._sets:
            if self._declared is not None:
                fail(
                    api,
                    "labels",
                    f"keyed by the declared label sets {list(self._declared)}",
                    repr(name),
                )
            self._sets[name] = _LabelSet(name)
        return self._sets[name]

    # ------------------------------------------------------------------ update

    def update(
        self, z: Any, labels: Any = None, *, nonfinite: Literal["raise", "drop"] = "raise"
    ) -> Accumulator:
        """Add the rows of ``z`` [N, D] (or [N, *I, D]: internal indices accumulated
        separately, e.g. I = (L,) layers sharing the centres) in one kernel pass.

        Args:
            z: [N, D] or [N, *I, D] float array (NumPy, torch CPU/CUDA, ``__dlpack__``).
                N = 0 is a no-op. Not kept: only its soft histograms are.
            labels: None, one [N] array (integers, -1 = masked, or strings), or a dict
                {name: [N] array} of label sets, e.g. {"token": ..., "pos": ...}, all
                accumulated in the same kernel pass. Label values may be new at any batch.
                A label set missing from a batch counts as masked for its rows.
            nonfinite: 'raise' (default: ValueError naming the first bad row; the state is
                unchanged) or 'drop' (rows with NaN/Inf are left out, see ``n_dropped``).

        Returns: self.
        """
        api = f"{_API}.update"
        if nonfinite not in ("raise", "drop"):
            fail(api, "nonfinite", "'raise' or 'drop'", repr(nonfinite))
        z, n, internal = self._check_z(z, api)
        named = self._named_labels(labels, n, api)
        if n == 0:
            return self
        n_int, d = math.prod(internal), self._bins.dim
        rows = z.reshape(n * n_int, d) if n_int > 1 or z.ndim != 2 else z
        rows = as_float_rows(rows, api, "z")
        n_dropped = 0
        if nonfinite == "drop":
            keep = np.asarray(finite_rows(rows)).reshape(n, n_int).all(axis=1)
            n_dropped = int(n - keep.sum())
            if n_dropped:
                keep_rows = np.repeat(keep, n_int)
                if is_torch(rows):
                    import torch

                    rows = rows[torch.as_tensor(keep_rows, device=rows.device)]
                else:
                    rows = rows[keep_rows]
                named = {k: v[keep] for k, v in named.items()}
                n = int(keep.sum())
                if n == 0:
                    self._internal = internal
                    self._n_dropped += n_dropped
                    return self

        # Encode each label set of this batch to local dense codes 0..K'-1 (sorted values).
        encoded: list[
            tuple[str, np.ndarray, np.ndarray, np.ndarray, int]
        ] = []  # name, values, codes, counts, offset
        k_tot = 0
        for name, arr in named.items():
            if arr.dtype.kind == "i" and bool((arr == -1).all()):
                continue  # all rows masked for this set in this batch
            codes = encode_labels(arr, n, api, f"labels[{name!r}]")
            values = self._checked_values(name, codes.values, api, f"labels[{name!r}]")
            encoded.append((name, values, codes.codes, codes.counts, k_tot))
            k_tot += codes.n_labels

        try:
            if self._bootstrap:
                total, local = self._bootstrap_pass(api, rows, n, internal, encoded, k_tot)
            else:
                total, local = self._plain_pass(api, rows, n, n_int, encoded, k_tot)
        except ValueError:
            if n_int > 1:  # name the batch row (and internal index), not the flattened row
                bad = np.flatnonzero(~np.asarray(finite_rows(rows)))
                if bad.size:
                    i, rest = divmod(int(bad[0]), n_int)
                    where = tuple(int(x) for x in np.unravel_index(rest, internal))
                    fail(
                        api,
                        "z",
                        "finite (or pass nonfinite='drop')",
                        f"NaN/Inf in row {i} (internal index {where})",
                    )
            raise

        # The batch succeeded: grow the vocabularies and add into the state.
        self._internal = internal
        self._place(device_of(rows))
        if device_of(rows) != self._device:
            total = _to_device(total, self._device)
            local = _to_device(local, self._device)
        self._total += total
        for name in named:
            self._set(name, api)
        for name, values, _, counts, off in encoded:
            s = self._set(name, api)
            slots_g = s.slots_for(values, self._n_state, self._bins.n_bins, self._device)
            _add_rows(s.hist, slots_g, local[:, off : off + len(values)])
            s.counts[slots_g] += counts
        self._n_rows += n
        self._n_dropped += n_dropped
        if self._bootstrap:
            self._seeds |= {self._bootstrap_seed}
        return self

    def _plain_pass(
        self, api: str, rows: Any, n: int, n_int: int, encoded: list, k_tot: int
    ) -> tuple[Any, Any]:
        """One kernel pass over the flattened rows [N * n_int, D] of a batch, without
        replicates: (totals [n_int, B], label histograms [n_int, k_tot, B]) on rows' device."""
        base = 1 if n_int == 1 else 1 + n_int
        n_hist = base + n_int * k_tot
        if n_hist >= 2**31:
            fail(
                api,
                "labels",
                f"fewer than {2**31} (internal x label) histogram rows per batch",
                n_hist,
            )
        slot_rows: list[np.ndarray] = []
        if n_int > 1:  # route each flattened row (i, l) to the totals of its internal index l
            slot_rows.append(np.tile(np.arange(1, n_int + 1, dtype=np.int32), n))
        for _, _, codes, _, off in encoded:
            if n_int == 1:
                sl = np.where(codes >= 0, base + off + codes, -1)
            else:
                per = (base + off + codes.astype(np.int64))[:, None] + (np.arange(n_int) * k_tot)[
                    None, :
                ]
                sl = np.where(codes[:, None] >= 0, per, -1).ravel()
            slot_rows.append(sl.astype(np.int32, copy=False))
        slots = np.stack(slot_rows) if slot_rows else None
        hist = new_hist(rows, n_hist, self._bins.n_bins)
        accumulate(api, rows, self._bins, slots, hist, num_threads=self._threads)
        total = hist[0:1] if n_int == 1 else hist[1 : 1 + n_int]
        return total, _reshape(hist[base:], (n_int, k_tot, self._bins.n_bins))

    def _bootstrap_pass(
        self, api: str, rows: Any, n: int, internal: tuple[int, ...], encoded: list, k_tot: int
    ) -> tuple[Any, Any]:
        """The kernel passes of a batch with R replicates: (totals [(1+R) * n_int, B], label
        histograms [(1+R) * n_int, k_tot, B]) in state row order r * n_int + l.

        The kernel weights its row j by a draw for (seed, row_offset + j, r). One pass over
        the flattened rows [N * n_int, D] would give the internal indices of one sample
        different weights; a pass per internal index over the strided view z[:, l]
        [N, D] gives row i the draw of its stream position (n_rows + i) at every index,
        as poisson_bootstrap(z_all[:, l]) does: a sample is resampled with all its layers.
        Each pass fills every replicate and every label set at once."""
        n_int, b, r = math.prod(internal), self._bins.n_bins, self._bootstrap
        n_hist = 1 + k_tot  # row 0: the index's total; 1 + off + code: label rows
        if (1 + r) * n_hist >= 2**31:
            fail(
                api,
                "labels",
                f"fewer than {2**31} (replicate x label) histogram rows per batch",
                (1 + r) * n_hist,
            )
        slots = None
        if encoded:  # labels are per sample: the same slots at every internal index
            slots = np.stack(
                [np.where(codes >= 0, 1 + off + codes, -1) for _, _, codes, _, off in encoded]
            )
            slots = slots.astype(np.int32, copy=False)
        hist = new_hist(rows, n_int * (1 + r) * n_hist, b)
        per_index = hist.reshape(n_int, (1 + r) * n_hist, b)  # each [l] a contiguous kernel output
        samples = rows.reshape(n, n_int, rows.shape[1])
        for l in range(n_int):
            accumulate(
                api,
                samples[:, l],
                self._bins,
                slots,
                per_index[l],
                num_threads=self._threads,
                replicates=r,
                replicate_seed=self._bootstrap_seed,
                row_offset=self._n_rows,
            )
        # [n_int, 1+R, n_hist, B] -> [(1+R) * n_int, n_hist, B]: state row order r * n_int + l
        blocks = hist.reshape(n_int, 1 + r, n_hist, b)
        blocks = blocks.transpose(0, 1) if is_torch(blocks) else blocks.swapaxes(0, 1)
        blocks = blocks.reshape((1 + r) * n_int, n_hist, b)
        return blocks[:, 0], blocks[:, 1:]

    def update_from(
        self,
        batches: Iterable[Any],
        *,
        progress: bool | None = None,
        total: int | None = None,
        nonfinite: Literal["raise", "drop"] = "raise",
    ) -> Accumulator:
        """``update`` with every item of ``batches``: arrays z, or (z, labels) pairs.

        progress: a tqdm bar counting rows (``total`` rows when given). None (default):
        only when stderr is a terminal and tqdm is installed; True: always (needs tqdm);
        False: never. Returns self.
        """
        api = f"{_API}.update_from"
        with _progress.progress(progress, total, api=api) as bar:
            for item in batches:
                if isinstance(item, tuple):
                    if len(item) != 2:
                        fail(
                            api,
                            "batches",
                            "arrays z or (z, labels) pairs",
                            f"a tuple of length {len(item)}",
                        )
                    z, labels = item
                else:
                    z, labels = item, None
                before = self._n_rows + self._n_dropped
                self.update(z, labels, nonfinite=nonfinite)
                bar.update(self._n_rows + self._n_dropped - before)
        return self

    def _check_z(self, z: Any, api: str) -> tuple[Any, int, tuple[int, ...]]:
        if not is_torch(z):
            if not isinstance(z, np.ndarray) and hasattr(z, "__dlpack__"):
                z = np.from_dlpack(z)
            z = np.asarray(z)
        shape = tuple(int(s) for s in z.shape)
        d = self._bins.dim
        if len(shape) < 2 or shape[-1] != d:
            fail(
                api,
                "z",
                f"[N, D] or [N, *internal, D] with D={d} (the centres' dimension)",
                f"shape {shape}",
            )
        internal = shape[1:-1]
        if self._internal is not None and internal != self._internal:
            fail(
                api,
                "z",
                f"[N, *I, D] with internal shape I={self._internal} as before",
                f"shape {shape}",
            )
        if any(s == 0 for s in internal):
            fail(api, "z", "internal dimensions >= 1", f"shape {shape}")
        if shape[0] == 0:  # a no-op, but still only for float arrays
            fp = z.is_floating_point() if is_torch(z) else z.dtype.kind == "f"
            if not fp:
                fail(api, "z", "a floating-point array", z.dtype, TypeError)
        return z, shape[0], internal

    def _named_labels(self, labels: Any, n: int, api: str) -> dict[str, np.ndarray]:
        """{name: [N] host array} for the label sets of this batch (validated)."""
        if labels is None:
            return {}
        if isinstance(labels, Mapping):
            items = list(labels.items())
            for name, _ in items:
                if not isinstance(name, str) or not name:
                    fail(
                        api, "labels", "a dict keyed by non-empty str names", repr(name), TypeError
                    )
                if self._declared is not None and name not in self._declared:
                    fail(
                        api,
                        "labels",
                        f"keyed by the declared label sets {list(self._declared)}",
                        repr(name),
                    )
        else:
            names = self._declared if self._declared is not None else tuple(self._sets)
            if len(names) > 1:
                fail(
                    api,
                    "labels",
                    f"a dict {{name: [N] labels}} (this Accumulator has label sets {list(names)})",
                    "one array",
                )
            items = [(names[0] if names else DEFAULT_LABEL_SET, labels)]
        out: dict[str, np.ndarray] = {}
        for name, arr in items:
            a = to_numpy(arr) if is_torch(arr) else np.asarray(arr)
            if a.ndim != 1 or a.shape[0] != n:
                fail(
                    api,
                    f"labels[{name!r}]",
                    f"a 1-D array with one label per row of z (length N={n})",
                    f"shape {a.shape}",
                )
            if n and a.dtype.kind not in "iubUSO":
                fail(
                    api,
                    f"labels[{name!r}]",
                    "integers (-1 = masked) or strings",
                    f"dtype {a.dtype}",
                    TypeError,
                )
            if a.dtype.kind == "b":
                a = a.astype(np.int64)
            out[name] = a
        return out

    # ------------------------------------------------------------------ merge

    def merge(self, other: Accumulator) -> Accumulator:
        """Add ``other``'s rows into this accumulator (``other`` is unchanged).

        Refused (ValueError) unless both have identical centres, metric and temperature
        (their fingerprints) and the same internal shape. Label sets and vocabularies are
        united; results do not depend on the order of merges (up to float64 rounding of
        the sums). Returns self.

        With bootstrap replicates both must keep the same number R and have different
        ``bootstrap_seed`` s (give each worker its own, e.g. ``base + rank``): replicate r
        of the merge is then the sum of independent resamples of each worker's rows.
        Equal seeds would weight every worker's i-th row alike (correlated resamples,
        intervals too narrow) and are refused. This accumulator keeps its own seed.
        """
        api = f"{_API}.merge"
        if not isinstance(other, Accumulator):
            fail(api, "other", "a softent.Accumulator", type(other).__name__, TypeError)
        self._check_compatible(api, "other", other._bins, other._fingerprint, other._internal)
        if other._bootstrap != self._bootstrap:
            fail(
                api,
                "other",
                f"an Accumulator with bootstrap={self._bootstrap} replicates like this one",
                f"bootstrap={other._bootstrap}",
            )
        shared = sorted(self._seeds & other._seeds)
        if self._bootstrap and shared:
            fail(
                api,
                "other",
                "an Accumulator whose rows were resampled with other bootstrap seeds than this "
                "one's (give each worker its own, e.g. bootstrap_seed=base + rank: equal seeds weight every "
                "worker's i-th row alike; merging a worker twice also shares its seed)",
                f"rows of bootstrap_seed {shared} in both",
            )
        if self._declared is not None:
            extra = [s for s in other._sets if s not in self._declared]
            if extra:
                fail(api, "other", f"label sets among {list(self._declared)}", extra)
        for name, s in other._sets.items():
            if s.size:
                self._checked_values(name, s.sorted_values[:1], api, f"other[{name!r}]")
        if self._internal is None:
            self._internal = other._internal
        if other._total is None:
            for name in other._sets:  # sets without rows yet
                self._set(name, api)
            self._n_dropped += other._n_dropped
            return self
        self._place(other._device if other._device is not None else -1)
        self._total += _to_device(other._total, self._device)
        for name, s in other._sets.items():
            mine = self._set(name, api)
            if s.size == 0:
                continue
            values, hist, counts = s.sorted_state()
            slots = mine.slots_for(values, self._n_state, self._bins.n_bins, self._device)
            _add_rows(mine.hist, slots, _to_device(hist, self._device))
            mine.counts[slots] += counts
        self._n_rows += other._n_rows
        self._n_dropped += other._n_dropped
        self._seeds |= other._seeds
        return self

    def _check_compatible(
        self, api: str, arg: str, bins: Bins, fingerprint: str, internal: tuple[int, ...] | None
    ) -> None:
        if fingerprint != self._fingerprint:
            fail(
                api,
                arg,
                f"built on identical bins (fingerprint {self._fingerprint[:16]}...: "
                f"{_describe_bins(self._bins)})",
                f"fingerprint {fingerprint[:16]}... "
                f"({_describe_bins(bins)}{_bins_difference(self._bins, bins)})",
            )
        if internal is not None and self._internal is not None and internal != self._internal:
            fail(api, arg, f"of internal shape {self._internal}", internal)

    # ------------------------------------------------------------------ distributed

    def all_reduce(self, group: Any = None) -> Accumulator:
        """Sum the histograms of every rank of ``group`` (torch.distributed; default: the
        world) into every rank's accumulator, in place. Returns self.

        Collective: every rank of the group must call it. The fingerprints, internal
        shapes and label kinds are compared first (all ranks raise the same ValueError on a
        mismatch); vocabularies are united. Works with gloo (CPU tensors) and nccl (CUDA
        tensors on ``torch.cuda.current_device()``). Afterwards each rank holds the global
        state: call it once per window of data (``reset()`` before streaming the next
        window), or the other ranks' rows are counted again.

        With bootstrap replicates every rank must keep the same R and have its own
        ``bootstrap_seed`` (e.g. ``base + rank``; equal seeds would weight the i-th row of
        every rank alike): refused otherwise, on every rank. Replicate r of the result is
        the sum of the ranks' independent resamples. Each rank keeps its own seed.
        """
        api = f"{_API}.all_reduce"
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
        world = dist.get_world_size(group)
        meta = {
            "fingerprint": self._fingerprint,
            "bins": _describe_bins(self._bins),
            "internal": None if self._internal is None else list(self._internal),
            "sets": {n: (s.kind, s.sorted_values.tolist()) for n, s in self._sets.items()},
            "bootstrap": self._bootstrap,
            "bootstrap_seeds": sorted(self._seeds),
        }
        metas: list[Any] = [None] * world
        dist.all_gather_object(metas, meta, group=group)
        prints = [m["fingerprint"] for m in metas]
        if len(set(prints)) > 1:
            bad = [r for r, p in enumerate(prints) if p != prints[0]]
            fail(
                api,
                "every rank",
                f"built on identical bins (rank 0: {metas[0]['bins']})",
                f"different bins on ranks {bad} (rank {bad[0]}: {metas[bad[0]]['bins']})",
            )
        reps = [m["bootstrap"] for m in metas]
        if len(set(reps)) > 1:
            fail(
                api,
                "every rank",
                f"built with one number of bootstrap replicates (rank 0: bootstrap={reps[0]})",
                f"bootstrap={reps} on ranks 0..{world - 1}",
            )
        seeds_of = [set(m["bootstrap_seeds"]) for m in metas]
        if reps[0]:
            shared = [
                r
                for r, sd in enumerate(seeds_of)
                if any(sd & o for q, o in enumerate(seeds_of) if q != r)
            ]
            if shared:
                fail(
                    api,
                    "every rank",
                    "given its own bootstrap_seed (e.g. Accumulator(..., bootstrap_seed=base + "
                    "rank): equal seeds weight the i-th row of every rank alike)",
                    f"rows of one bootstrap seed on ranks {shared} ({[sorted(seeds_of[r]) for r in shared]})",
                )
        shapes = {tuple(m["internal"]) for m in metas if m["internal"] is not None}
        if len(shapes) > 1:
            fail(api, "every rank", "of one internal shape", sorted(shapes))
        internal = shapes.pop() if shapes else None
        names: list[str] = []
        kinds: dict[str, str] = {}
        vocab: dict[str, set] = {}
        for m in metas:
            for name, (kind, values) in m["sets"].items():
                if name not in vocab:
                    names.append(name)
                    vocab[name] = set()
                if kind is not None:
                    if kinds.setdefault(name, kind) != kind:
                        fail(
                            api,
                            f"label set {name!r}",
                            "of one kind (integers or strings) on every rank",
                            "both",
                        )
                    vocab[name].update(values)
        if internal is None:  # no rank has seen data: nothing to sum
            for name in names:
                self._set(name, api)
            return self
        self._internal = internal
        n_state, b = self._n_state, self._bins.n_bins  # state rows: point estimate and replicates
        union = {n: np.array(sorted(vocab[n]), dtype=_dtype_of_kind(kinds.get(n))) for n in names}

        # Each rank writes its state in the union layout; one float64 and one int64 buffer.
        nccl = str(dist.get_backend(group)) == "nccl"
        dev = torch.device("cuda", torch.cuda.current_device()) if nccl else torch.device("cpu")
        sizes = [n_state * b] + [n_state * len(union[n]) * b for n in names]
        fbuf = torch.zeros(sum(sizes), dtype=torch.float64, device=dev)
        ibuf = torch.zeros(2 + sum(len(union[n]) for n in names), dtype=torch.int64)
        if self._total is not None:
            fbuf[: sizes[0]] = torch.as_tensor(self._total, device=dev).reshape(-1)
        ibuf[0], ibuf[1] = self._n_rows, self._n_dropped
        fo, io = sizes[0], 2
        for name, size in zip(names, sizes[1:], strict=True):
            s = self._sets.get(name)
            k = len(union[name])
            if s is not None and s.size:
                values, hist, counts = s.sorted_state()
                pos = torch.as_tensor(np.searchsorted(union[name], values), device=dev)
                view = fbuf[fo : fo + size].view(n_state, k, b)
                view.index_copy_(1, pos, torch.as_tensor(hist, device=dev))
                ibuf[io : io + k].index_copy_(0, pos.cpu(), torch.as_tensor(counts))
            fo, io = fo + size, io + k
        ibuf = ibuf.to(dev)
        dist.all_reduce(fbuf, op=dist.ReduceOp.SUM, group=group)
        dist.all_reduce(ibuf, op=dist.ReduceOp.SUM, group=group)

        target = self._device if self._device is not None else (dev.index if nccl else -1)
        fhost = fbuf if target >= 0 else fbuf.cpu().numpy()
        ihost = ibuf.cpu().numpy()
        self._device = target
        self._total = _to_device(fhost[: sizes[0]].reshape(n_state, b), target)
        self._n_rows, self._n_dropped = int(ihost[0]), int(ihost[1])
        self._seeds = frozenset().union(*seeds_of)
        fo, io = sizes[0], 2
        for name, size in zip(names, sizes[1:], strict=True):
            k = len(union[name])
            s = _LabelSet(name, kinds.get(name))
            if k:
                s.sorted_values = union[name]
                s.sorted_slots = np.arange(k, dtype=np.int64)
                s.size = k
                s.hist = _to_device(fhost[fo : fo + size].reshape(n_state, k, b), target)
                s.counts = ihost[io : io + k].astype(np.int64)
            self._sets[name] = s
            fo, io = fo + size, io + k
        return self

    # ------------------------------------------------------------------ results

    def _resolve_set(self, label_set: str | None, api: str) -> str:
        if label_set is None:
            if len(self._sets) != 1:
                fail(
                    api,
                    "label_set",
                    f"one of {list(self._sets)} (None only when there is exactly one label set)",
                    None,
                )
            return next(iter(self._sets))
        if label_set not in self._sets:
            fail(api, "label_set", f"one of {list(self._sets)}", repr(label_set))
        return label_set

    def _flat_index(self, index: Any, api: str) -> int:
        internal = self._internal or ()
        if index is None:
            if internal:
                fail(api, "index", f"an index into the internal shape {internal}", None)
            return 0
        idx = (index,) if isinstance(index, (int, np.integer)) else tuple(index)
        if len(idx) != len(internal) or not all(
            0 <= int(i) < s for i, s in zip(idx, internal, strict=True)
        ):
            fail(api, "index", f"an index into the internal shape {internal}", repr(index))
        return int(np.ravel_multi_index(tuple(int(i) for i in idx), internal)) if internal else 0

    def _require_rows(self, api: str) -> None:
        if self._n_rows == 0 or self._total is None:
            fail(api, "the accumulator", "non-empty (update it with data first)", "0 rows")

    def _histograms(self, label_set: str | None, api: str, all_rows: bool) -> list[SoftHistogram]:
        """One SoftHistogram per internal index (flattened): all rows (``all_rows``) or the
        rows labelled in ``label_set``."""
        self._require_rows(api)
        n_int = self._n_internal
        total = _host(self._total[:n_int])  # the point estimate's rows (replicates follow)
        if all_rows:
            return [
                SoftHistogram(total[l], None, None, None, self._bins, self._n_rows, self._n_dropped)
                for l in range(n_int)
            ]
        name = self._resolve_set(label_set, api)
        s = self._sets[name]
        values, hist, counts = s.sorted_state(slice(0, n_int))
        if s.size == 0 or counts.sum() == 0:
            fail(
                api,
                "label_set",
                "a label set with at least one labelled row",
                f"{name!r} with none",
            )
        per = _host(hist)
        n_lab = int(counts.sum())
        return [
            SoftHistogram(
                per[l].sum(axis=0), per[l], counts, values, self._bins, n_lab, self._n_dropped
            )
            for l in range(n_int)
        ]

    def _shaped(self, values: list[Any]) -> Any:
        if not self._internal:
            return values[0]
        arr = np.asarray(values)
        return arr.reshape(self._internal + arr.shape[1:])

    def result(self, label_set: str | None = None, *, index: Any = None) -> SoftHistogram:
        """The :class:`softent.SoftHistogram` of the rows streamed so far, as
        :func:`softent.soft_histogram` gives on the concatenated data.

        label_set: None -> the only label set (or all rows when there is none); a name ->
        that set's histograms (its masked rows left out, as in the batch API);
        ``""`` -> all rows, unlabelled. index: the internal index (with internal dims).
        """
        api = f"{_API}.result"
        flat = self._flat_index(index, api)
        if label_set == "" or (label_set is None and not self._sets):
            return self._histograms(None, api, True)[flat]
        return self._histograms(label_set, api, False)[flat]

    def entropy(self, label_set: str | None = None, *, base: float = math.e) -> Any:
        """H(Z) in units of ``base`` (e: nats, 2: bits): of every row streamed (default), or
        of the rows labelled in ``label_set`` (the H(Z) of that set's I(Z;L)).
        A float, or an array of the internal shape."""
        api = f"{_API}.entropy"
        check_base(api, base)
        hs = self._histograms(label_set, api, label_set is None)
        return self._shaped([h.entropy(base) for h in hs])

    def conditional_entropy(
        self,
        label_set: str | None = None,
        *,
        base: float = math.e,
        weighting: Weighting = "weighted",
    ) -> Any:
        """H(Z|L) = Σ_k w_k H(Z|L=k) of ``label_set`` (None: the only set); w_k = N_k/N
        ('weighted') or 1/K ('uniform'). A float, or an array of the internal shape."""
        api = f"{_API}.conditional_entropy"
        check_base(api, base)
        _check_weighting(api, weighting)
        return self._shaped(
            [
                h.conditional_entropy(base, weighting)
                for h in self._histograms(label_set, api, False)
            ]
        )

    def mutual_information(
        self,
        label_set: str | None = None,
        *,
        base: float = math.e,
        weighting: Weighting = "weighted",
    ) -> Any:
        """I(Z;L) = H(Z) - H(Z|L) over the rows labelled in ``label_set`` (None: the only
        set), in units of ``base``. A float, or an array of the internal shape."""
        api = f"{_API}.mutual_information"
        check_base(api, base)
        _check_weighting(api, weighting)
        return self._shaped(
            [h.mutual_information(base, weighting) for h in self._histograms(label_set, api, False)]
        )

    def label_entropies(self, label_set: str | None = None, *, base: float = math.e) -> np.ndarray:
        """[K] H(Z | L = k) (or [*I, K]), in the order of :meth:`label_values`."""
        api = f"{_API}.label_entropies"
        check_base(api, base)
        return self._shaped(
            [h.label_entropies(base) for h in self._histograms(label_set, api, False)]
        )

    def label_values(self, label_set: str | None = None) -> np.ndarray:
        """[K] the label values seen in ``label_set``, sorted (the batch API's order)."""
        s = self._sets[self._resolve_set(label_set, f"{_API}.label_values")]
        return s.sorted_values.copy()

    def counts(self, label_set: str | None = None) -> np.ndarray:
        """[K] N_k, the rows of each label value (order of :meth:`label_values`)."""
        s = self._sets[self._resolve_set(label_set, f"{_API}.counts")]
        return s.sorted_state()[2].copy()

    def information(
        self,
        label_set: str | None = None,
        *,
        index: Any = None,
        base: float = math.e,
        weighting: Weighting = "weighted",
    ) -> Any:
        """:class:`softent.Information` of ``label_set`` (as :func:`softent.information`
        on the concatenated data), for one internal index."""
        from .estimators import Information

        api = f"{_API}.information"
        b = check_base(api, base)
        _check_weighting(api, weighting)
        h = self._histograms(label_set, api, False)[self._flat_index(index, api)]
        hz, hzl = h.entropy(b), h.conditional_entropy(b, weighting)
        return Information(
            hz, hzl, hz - hzl, h.label_entropies(b), h.label_values, h.counts, b, weighting, h
        )  # type: ignore[arg-type]

    def replicate_histograms(
        self, label_set: str | Sequence[str] | None = None, *, index: Any = None
    ) -> list[dict[str, Any]]:
        """The R bootstrap replicates of the histograms of one internal index, in the shape
        :func:`softent.histogram.poisson_bootstrap` returns (needs ``bootstrap=R > 0``).

        Args:
            label_set: None (every label set), a name, or a sequence of names.
            index: the internal index (with internal dims), as in :meth:`result`.

        Returns:
            R dicts {"total": [B] float64 (every row streamed, weighted), "sets": {name:
            (values [K] sorted, per_label [K, B] float64, counts [K] float64 = the weighted
            row counts, per_label.sum(axis=1))}}: masses, not normalised. Streamed in any
            chunking (from one accumulator), replicate r equals ``poisson_bootstrap(z_all,
            ..., seed=bootstrap_seed)[r]`` on the concatenated rows (of ``z_all[:, *index]``
            with internal dims); after merges, the sum of each worker's replicate r.
        """
        api = f"{_API}.replicate_histograms"
        flat = self._flat_index(index, api)
        names = self._replicate_names(label_set, api)
        total, sets = self._replicate_arrays(names, api)
        out = []
        for r in range(self._bootstrap):
            rep_sets = {}
            for name, (values, per) in sets.items():
                rep_sets[name] = (values, per[r, flat], per[r, flat].sum(axis=1))
            out.append({"total": total[r, flat], "sets": rep_sets})
        return out

    def _replicate_names(self, label_set: str | Sequence[str] | None, api: str) -> list[str]:
        if label_set is None:
            return list(self._sets)
        names = [label_set] if isinstance(label_set, str) else list(label_set)
        for name in names:
            if not isinstance(name, str) or name not in self._sets:
                fail(api, "label_set", f"None, or names among {list(self._sets)}", repr(name))
        return names

    def _replicate_arrays(
        self, names: Sequence[str], api: str
    ) -> tuple[np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]]]:
        """Host copies of the replicate rows: (total [R, n_int, B], {name: (values [K]
        sorted, hist [R, n_int, K, B])}); refused without replicates or rows."""
        if not self._bootstrap:
            fail(
                api,
                "the accumulator",
                "built with bootstrap replicates (Accumulator(..., bootstrap=R))",
                "bootstrap=0",
            )
        self._require_rows(api)
        r, n_int, b = self._bootstrap, self._n_internal, self._bins.n_bins
        total = _host(self._total[n_int:]).reshape(r, n_int, b)
        sets = {}
        for name in names:
            s = self._sets[name]
            values, hist, _ = s.sorted_state(slice(n_int, None))
            per = (
                np.zeros((r, n_int, 0, b))
                if hist is None
                else _host(hist).reshape(r, n_int, s.size, b)
            )
            sets[name] = (values.copy(), per)
        return total, sets

    # ------------------------------------------------------------------ persistence

    def state_dict(self) -> dict[str, Any]:
        """The whole state as plain data (host NumPy arrays, str, int, float; no pickle
        needed): the format of :meth:`save`, see :mod:`softent._state_io`."""
        from ._state_io import FORMAT, VERSION

        sets = {}
        r, b, internal = self._bootstrap, self._bins.n_bins, tuple(self._internal or ())
        for name, s in self._sets.items():
            values, hist, counts = s.sorted_state()
            shape = (*internal, s.size, b)
            # state rows r * n_int + l -> [1 + R, *I, K, B]: the point estimate, then replicates
            both = (
                _host(hist).reshape((1 + r, *shape))
                if hist is not None
                else np.zeros((1 + r, *shape))
            )
            sets[name] = {
                "kind": s.kind,
                "values": values.copy(),
                "hist": both[0],
                "counts": counts.astype(np.int64),
                "hist_replicates": both[1:],
            }
        total = total_reps = None
        if self._total is not None:
            both = _host(self._total).reshape((1 + r, *internal, b))
            total, total_reps = both[0], both[1:]
        return {
            "format": FORMAT,
            "version": VERSION,
            "fingerprint": self._fingerprint,
            "centres": self._bins.centres.copy(),
            "metric": self.metric,
            "temperature": self.temperature,
            "internal_shape": None if self._internal is None else list(self._internal),
            "declared_label_sets": None if self._declared is None else list(self._declared),
            "n_rows": self._n_rows,
            "n_dropped": self._n_dropped,
            "total": total,
            "label_sets": sets,
            "bootstrap": r,
            "bootstrap_seed": self._bootstrap_seed,
            "bootstrap_seeds": sorted(self._seeds),
            "total_replicates": total_reps,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> Accumulator:
        """Replace this accumulator's state by ``state`` (from :meth:`state_dict` or a
        file), bootstrap settings included. Refused unless it was written for identical
        bins (fingerprint). Returns self."""
        from ._state_io import check_state

        api = f"{_API}.load_state_dict"
        st = check_state(state, api)
        self._check_compatible(
            api,
            "state",
            Bins(st["centres"], st["metric"], st["temperature"]),
            st["fingerprint"],
            None,
        )
        self._apply_state(st)
        return self

    def _apply_state(self, st: Mapping[str, Any]) -> None:
        device = -1 if self._device is None else self._device
        internal = None if st["internal_shape"] is None else tuple(st["internal_shape"])
        declared = None if st["declared_label_sets"] is None else tuple(st["declared_label_sets"])
        self._internal, self._declared = internal, declared
        n_int = math.prod(internal) if internal else 1
        b, r = self._bins.n_bins, int(st["bootstrap"])
        self._bootstrap, self._bootstrap_seed = r, int(st["bootstrap_seed"])
        self._seeds = frozenset(st["bootstrap_seeds"])
        n_state = (1 + r) * n_int

        def rows(point: Any, reps: Any, shape: tuple[int, ...]) -> np.ndarray:
            # [*I, ...] and [R, *I, ...] -> state rows [(1 + R) * n_int, ...] (r * n_int + l)
            point = np.asarray(point, np.float64).reshape(1, -1)
            both = np.concatenate([point, np.asarray(reps, np.float64).reshape(r, point.shape[1])])
            return both.reshape(n_state, *shape)

        self._n_rows, self._n_dropped = int(st["n_rows"]), int(st["n_dropped"])
        self._device = None if st["total"] is None else device
        self._total = None
        if st["total"] is not None:
            self._total = _to_device(rows(st["total"], st["total_replicates"], (b,)), device)
        self._sets = {}
        for name, d in st["label_sets"].items():
            s = _LabelSet(name, d["kind"])
            k = len(d["values"])
            if k:
                s.sorted_values = np.asarray(d["values"]).copy()
                s.sorted_slots = np.arange(k, dtype=np.int64)
                s.size = k
                s.hist = _to_device(rows(d["hist"], d["hist_replicates"], (k, b)), device)
                s.counts = np.array(d["counts"], np.int64)
            self._sets[name] = s

    @classmethod
    def from_state_dict(
        cls, state: Mapping[str, Any], *, num_threads: int | None = None
    ) -> Accumulator:
        """A new accumulator with the bins and the state of ``state``."""
        from ._state_io import check_state

        st = check_state(state, f"{_API}.from_state_dict")
        acc = cls(
            st["centres"],
            metric=st["metric"],
            temperature=st["temperature"],
            num_threads=num_threads,
            bootstrap=st["bootstrap"],
            bootstrap_seed=st["bootstrap_seed"],
        )
        if acc._fingerprint != st["fingerprint"]:
            fail(
                f"{_API}.from_state_dict",
                "state",
                "consistent (its fingerprint matches its centres, metric, temperature)",
                "a different fingerprint (corrupt or edited)",
            )
        acc._apply_state(st)
        return acc

    def save(self, path: str | Any) -> None:
        """Write the state to ``path`` atomically (a temporary file in the same folder,
        fsync, then rename over ``path``): a crash mid-save leaves the previous file
        intact. Format: :mod:`softent._state_io` (versioned npz + JSON header, no pickle)."""
        from ._state_io import write_state

        write_state(path, self.state_dict())

    @classmethod
    def load(
        cls, path: str | Any, *, like: Any = None, num_threads: int | None = None
    ) -> Accumulator:
        """Read an accumulator written by :meth:`save`.

        like: optional Accumulator, Bins or fingerprint str: refuse (ValueError) a file
        written for other bins. Files of another format or a newer version are refused.
        """
        from ._state_io import read_state

        api = f"{_API}.load"
        st = read_state(path, api)
        acc = cls.from_state_dict(st, num_threads=num_threads)
        if like is not None:
            if isinstance(like, Accumulator):
                want, bins = like._fingerprint, like._bins
            elif isinstance(like, Bins):
                want, bins = like.fingerprint(), like
            elif isinstance(like, str):
                want, bins = like, None
            else:
                fail(
                    api,
                    "like",
                    "an Accumulator, a Bins or a fingerprint str",
                    type(like).__name__,
                    TypeError,
                )
            if want != acc._fingerprint:
                expected = f"written for identical bins (fingerprint {want[:16]}...)"
                if bins is not None:
                    expected = f"written for identical bins ({_describe_bins(bins)})"
                fail(
                    api,
                    "path",
                    expected,
                    f"a file for {_describe_bins(acc._bins)}{_bins_difference(bins, acc._bins) if bins is not None else ''}"
                    f" (fingerprint {acc._fingerprint[:16]}...)",
                )
        return acc


# ----------------------------------------------------------------------------- helpers


def _resolve_bins(
    centres: Any,
    n_bins: int,
    dim: int | None,
    seed: Seed,
    box: Any,
    metric: str | None,
    temperature: float | str | None,
) -> Bins:
    api = _API
    if isinstance(centres, Bins):
        if box is not None:
            fail(api, "box", "None when centres is a Bins", "a box")
        if metric is not None and metric != centres.metric:
            fail(api, "metric", f"the Bins' metric {centres.metric!r} (or None)", repr(metric))
        if temperature is not None and (
            isinstance(temperature, str) or float(temperature) != centres.temperature
        ):
            fail(
                api,
                "temperature",
                f"the Bins' temperature {centres.temperature!r} (or None)",
                repr(temperature),
            )
        return Bins(
            np.array(centres.centres, dtype=np.float64), centres.metric, centres.temperature
        )
    metric = "cosine" if metric is None else metric
    temperature = "auto" if temperature is None else temperature
    if centres is not None:
        if box is not None:
            fail(api, "box", "None when centres are given", "a box")
        c = to_numpy(centres)
        if c.ndim != 2:
            fail(api, "centres", "a 2-D array [B, D]", f"shape {c.shape}")
        return make_bins(
            api, None, int(c.shape[1]), centres=centres, metric=metric, temperature=temperature
        )
    if box is not None:
        if not isinstance(box, (tuple, list)) or len(box) != 2:
            fail(api, "box", "a pair (lo, hi) of scalars or [D] arrays", repr(box))
        lo, hi = (np.asarray(to_numpy(v), dtype=np.float64) for v in box)
        if lo.ndim > 1 or hi.ndim > 1:
            fail(
                api,
                "box",
                "a pair (lo, hi) of scalars or [D] arrays",
                f"shapes {lo.shape}, {hi.shape}",
            )
        d = dim if dim is not None else max(lo.size if lo.ndim else 1, hi.size if hi.ndim else 1)
        d = _check_dim(d)
        try:
            lo, hi = np.broadcast_to(lo, (d,)), np.broadcast_to(hi, (d,))
        except ValueError:
            fail(
                api,
                "box",
                f"(lo, hi) of scalars or [D] arrays with D={d}",
                f"shapes {lo.shape}, {hi.shape}",
            )
        if not (np.isfinite(lo).all() and np.isfinite(hi).all() and (hi >= lo).all()):
            fail(api, "box", "finite with lo <= hi", "non-finite or reversed bounds")
        if not isinstance(n_bins, (int, np.integer)) or isinstance(n_bins, bool) or n_bins < 1:
            fail(api, "n_bins", "an int >= 1", repr(n_bins))
        c = _rng(seed, api).uniform(lo, hi, size=(int(n_bins), d))
        return make_bins(api, None, d, centres=c, metric=metric, temperature=temperature)
    if metric in ("euclidean", "sqeuclidean"):
        fail(
            api,
            "centres",
            f"given, or box=(lo, hi), for metric={metric!r} (a stream has no bounding box "
            "until it ends; box=(z.min(0), z.max(0)) reproduces box_bins(z))",
            None,
        )
    if dim is None:
        fail(api, "dim", "an int >= 1 (the feature dimension D) when centres are not given", None)
    return make_bins(
        api, None, _check_dim(dim), n_bins=n_bins, metric=metric, temperature=temperature, seed=seed
    )


def _check_bootstrap(api: str, bootstrap: Any, seed: Any) -> tuple[int, int]:
    for arg, value in (("bootstrap", bootstrap), ("bootstrap_seed", seed)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
            fail(
                api,
                arg,
                "an int >= 0" if arg == "bootstrap" else "an int in [0, 2**64)",
                repr(value),
                TypeError,
            )
    if bootstrap < 0:
        fail(api, "bootstrap", "an int >= 0", repr(bootstrap))
    if not 0 <= seed < 2**64:
        fail(api, "bootstrap_seed", "an int in [0, 2**64)", repr(seed))
    return int(bootstrap), int(seed)


def _check_dim(dim: Any) -> int:
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool) or dim < 1:
        fail(_API, "dim", "an int >= 1 (the feature dimension D)", repr(dim))
    return int(dim)


def _check_internal(shape: Any) -> tuple[int, ...]:
    try:
        t = tuple(int(s) for s in shape)
    except TypeError:
        fail(_API, "internal_shape", "a sequence of ints >= 1", repr(shape), TypeError)
    if not all(s >= 1 for s in t):
        fail(_API, "internal_shape", "a sequence of ints >= 1", repr(shape))
    return t


def _check_weighting(api: str, weighting: Any) -> None:
    if weighting not in ("weighted", "uniform"):
        fail(api, "weighting", "'weighted' or 'uniform'", repr(weighting))


def _dtype_of_kind(kind: str | None) -> Any:
    return {"i": np.int64, "U": str, "S": bytes}.get(kind or "i", np.int64)


def _parse_device(device: Any) -> int:
    if isinstance(device, (int, np.integer)) and not isinstance(device, bool):
        return -1 if device < 0 else int(device)
    text = str(device)
    if text == "cpu":
        return -1
    if text == "cuda":
        import torch

        return int(torch.cuda.current_device())
    if text.startswith("cuda:") and text[5:].isdigit():
        return int(text[5:])
    fail(f"{_API}.to", "device", "'cpu', 'cuda', 'cuda:k', a torch.device or an int", repr(device))


def _describe_bins(bins: Bins) -> str:
    return (
        f"B={bins.n_bins}, D={bins.dim}, metric={bins.metric!r}, temperature={bins.temperature!r}"
    )


def _bins_difference(a: Bins, b: Bins) -> str:
    """'' or '; <what differs>' for error messages."""
    diffs = []
    if a.centres.shape != b.centres.shape:
        diffs.append("centres shape")
    elif not np.array_equal(a.centres, b.centres):
        diffs.append("centres")
    if a.metric != b.metric:
        diffs.append("metric")
    if a.temperature != b.temperature:
        diffs.append("temperature")
    return f"; different {', '.join(diffs)}" if diffs else ""
