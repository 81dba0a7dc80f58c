"""Online soft histograms: stream batches (from several workers or machines) and get the
numbers the batch functions give on the concatenated data.

An :class:`Accumulator` holds, per "internal" index l (layers/heads sharing the centres):

- ``total`` [*I, B]: Σ_i q_ib over every row streamed (what :meth:`Accumulator.entropy`
  uses without a label set);
- per named label set s: ``hist`` [*I, K_s, B] (Σ over the rows of each label value) and
  ``counts`` [K_s] (N_k), with the label values seen so far (the vocabulary grows as new
  values arrive; every value is a class, -1 included: ``update(..., ignore_index=)`` masks).

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

This module is the class's face and its write side (update, merge); the other jobs live
beside it: argument checks (``_accumulator_args``), the per-label-set sums and growing
vocabularies (``_accumulator_store``, ``softent._labels``), the kernel passes
(``_accumulator_passes``), reading results (``_accumulator_results``), state dict and
files (``_accumulator_state``, ``_state_io``), the all-reduce protocol
(``_accumulator_reduce``, ``softent._mergeable``) and the progress bar
(``softent._progress``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from typing import Any, Literal

import numpy as np

from .. import _progress
from .._checks import check_bootstrap, check_fits, check_threads, fail
from .._interop import (
    as_float_rows,
    clone,
    device_of,
    nbytes_of,
    parse_device,
    take_rows,
    to_device,
    zeros,
)
from .._labels import check_mask, checked_label_values, encode_labels
from .._mergeable import locked, new_lock
from ._accumulator_args import (
    API,
    DEFAULT_LABEL_SET,
    check_internal,
    check_label_set_names,
    check_nonfinite,
    check_same_bins,
    check_z,
    named_labels,
    resolve_bins,
)
from ._accumulator_passes import (
    EncodedSet,
    bootstrap_pass,
    check_replicates_fit,
    permutation_pass,
    permuted_codes,
    plain_pass,
    row_weights,
)
from ._accumulator_reduce import AccumulatorReduction
from ._accumulator_results import AccumulatorResults
from ._accumulator_state import AccumulatorPersistence
from ._accumulator_store import LabelHistograms
from ._kernel import finite_rows
from .bins import Bins, Seed

__all__ = ["DEFAULT_LABEL_SET", "Accumulator"]


def _reoffset(sets: list[EncodedSet]) -> tuple[list[EncodedSet], int]:
    """``sets`` laid out one after another from histogram row 0: (sets, total rows)."""
    out, k = [], 0
    for e in sets:
        out.append(e._replace(offset=k))
        k += len(e.values)
    return out, k


class Accumulator(AccumulatorResults, AccumulatorPersistence, AccumulatorReduction):
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
        num_threads: OpenMP threads of each update (default: all), at most the CPUs
            this process may use; 1 in a process forked after softent was imported.
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
        permutations: R >= 0 label permutations kept alongside each label set's
            histograms (default 0: none), for :meth:`permutation_test` and
            ``softent.report(acc)``'s null columns. Each update permutes every label set
            among its labelled rows R times and adds the permuted histograms in the same
            kernel pass (R more label sets of the pass). Streaming rule: a batch is
            permuted within itself (a stratified permutation test, strata = the update
            batches): exact when the rows are exchangeable within each batch under "the
            labels carry no information about z" (i.i.d. rows, a shuffled loader). Batches
            grouped by label (each batch one label) leave nothing to permute: the null then
            equals the statistic and p = 1 (conservative, never falsely significant). One
            update of all rows (the batch functions) is the ordinary permutation test.
            Costs R times each label set's state memory.
        permutation_seed: seed of the permutations, an int in [0, 2**64): batch b's
            permutations depend only on (seed, its stream position, the set's name).

    State (float64): all-rows totals [*I, B] and, per label set, histograms [*I, K, B] and
    counts [K] (plus R replicates of each histogram with ``bootstrap``); they live where the
    data of the first update lived (host memory, or the CUDA device of a torch tensor) and
    are fetched to the host only for results.

    One accumulator may be written from several threads (e.g. forward hooks under
    ``torch.nn.DataParallel``): ``update``, ``merge``, ``reset``, ``to``,
    ``load_state_dict``, ``state_dict`` and ``all_reduce`` hold a per-object lock, so every
    row is counted once. ``merge(acc)`` with itself is refused (merge ``acc.copy()``).
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
        permutations: int = 0,
        permutation_seed: int = 0,
    ) -> None:
        self._lock = new_lock(self)
        self._bins = resolve_bins(centres, n_bins, dim, seed, box, metric, temperature)
        self._fingerprint = self._bins.fingerprint()
        self._threads = check_threads(API, num_threads)
        self._bootstrap, self._bootstrap_seed = check_bootstrap(API, bootstrap, bootstrap_seed)
        check_replicates_fit(API, self._bootstrap, self._bins.n_bins)
        self._permutations, self._permutation_seed = check_bootstrap(
            API, permutations, permutation_seed, "permutations", "permutation_seed"
        )
        check_replicates_fit(API, self._permutations, self._bins.n_bins, arg="permutations")
        self._declared = check_label_set_names(label_sets)
        self._internal: tuple[int, ...] | None = None
        if internal_shape is not None:
            self._internal = check_internal(internal_shape)
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
    def permutations(self) -> int:
        """R, the label permutations kept per label set (0: none)."""
        return self._permutations

    @property
    def permutation_seed(self) -> int:
        """The seed of this accumulator's label permutations."""
        return self._permutation_seed

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
        sets = [*self._sets.values(), *self._perm_sets.values()]
        return nbytes_of(self._total) + sum(s.nbytes for s in sets)

    def __repr__(self) -> str:
        boot = (
            f", bootstrap={self._bootstrap}, bootstrap_seed={self._bootstrap_seed}"
            if self._bootstrap
            else ""
        )
        if self._permutations:
            boot += f", permutations={self._permutations}"
        return (
            f"Accumulator(n_bins={self._bins.n_bins}, dim={self._bins.dim}, metric={self.metric!r}, "
            f"temperature={self.temperature:.6g}, n_rows={self._n_rows}, label_sets={list(self._sets)}, "
            f"internal_shape={self._internal}, device={self.device!r}{boot})"
        )

    @property
    def _n_state(self) -> int:
        """Leading rows of the state arrays: the point estimate's n_internal, then R blocks
        of n_internal replicate rows (row r * n_internal + l)."""
        return (1 + self._bootstrap) * self._n_internal

    # ------------------------------------------------------------------ state

    def __getstate__(self) -> dict[str, Any]:
        """Pickle/deepcopy without the lock (a process-local object)."""
        state = self.__dict__.copy()
        state.pop("_lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = new_lock(self)

    @locked
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
        self._sets: dict[str, LabelHistograms] = {
            name: LabelHistograms(name) for name in self._declared or ()
        }
        # per label set: the R permuted histograms [R * n_internal, K, B] (row r * n_int + l)
        self._perm_sets: dict[str, LabelHistograms] = {}
        return self

    def copy(self) -> Accumulator:
        """An independent copy (same bins, same state, same device)."""
        with self._lock:
            other = Accumulator.__new__(Accumulator)
            other.__dict__.update(self.__dict__)
            other._lock = new_lock(other)
            other._total = clone(self._total)
            other._sets = {name: s.copy() for name, s in self._sets.items()}
            other._perm_sets = {name: s.copy() for name, s in self._perm_sets.items()}
        return other

    @locked
    def to(self, device: Any) -> Accumulator:
        """Move the histograms to ``device`` ('cpu', 'cuda', 'cuda:k', a torch.device or an
        int, -1 = host). Later updates from elsewhere are added into them there."""
        dev = parse_device(device, f"{API}.to")
        if self._device is not None and self._total is not None:
            self._total = to_device(self._total, dev)
        for s in (*self._sets.values(), *self._perm_sets.values()):
            s.to(dev)
        self._device = dev
        return self

    def _place(self, device: int) -> None:
        """Fix the state's device at the first data and allocate the totals."""
        if self._device is None:
            self._device = device
        if self._total is None:
            self._total = zeros((self._n_state, self._bins.n_bins), self._device)

    def _checked_values(self, name: str, values: np.ndarray, api: str, arg: str) -> np.ndarray:
        """The sorted distinct values of one batch, normalised (int64 / str / bytes), after
        checking they are of the kind the set already holds (before any state changes)."""
        s = self._sets.get(name)
        return checked_label_values(values, None if s is None else s.kind, api, arg, name)

    def _set(self, name: str, api: str) -> LabelHistograms:
        if name not in self._sets:
            if self._declared is not None:
                fail(
                    api,
                    "labels",
                    f"keyed by the declared label sets {list(self._declared)}",
                    repr(name),
                )
            self._sets[name] = LabelHistograms(name)
        return self._sets[name]

    # ------------------------------------------------------------------ update

    @locked
    def update(
        self,
        z: Any,
        labels: Any = None,
        *,
        ignore_index: int | str | None = None,
        mask: Any = None,
        nonfinite: Literal["raise", "drop"] = "raise",
    ) -> Accumulator:
        """Add the rows of ``z`` [N, D] (or [N, *I, D]: internal indices accumulated
        separately, e.g. I = (L,) layers sharing the centres) in one kernel pass.

        Args:
            z: [N, D] or [N, *I, D] float array (NumPy, torch CPU/CUDA, ``__dlpack__``).
                N = 0 is a no-op. Not kept: only its soft histograms are.
            labels: None, one [N] array (integers or strings; every value a class), or a
                dict {name: [N] array} of label sets, e.g. {"token": ..., "pos": ...}, all
                accumulated in the same kernel pass. Label values may be new at any batch.
                A label set missing from a batch counts as masked for its rows.
            ignore_index: a label value (e.g. -100) whose rows are masked for the label set
                that has it there (left out of that set's histograms; the H(Z) of the
                unlabelled total keeps them). None: no masking.
            mask: [N] bool, True keeps the row: False rows are left out entirely (as
                ``nonfinite='drop'`` leaves out a NaN row).
            nonfinite: 'raise' (default: ValueError naming the first bad row; the state is
                unchanged) or 'drop' (rows with NaN/Inf are left out, see ``n_dropped``).

        Returns: self.
        """
        api = f"{API}.update"
        check_nonfinite(api, nonfinite)
        z, n, internal = check_z(z, self._bins.dim, self._internal, api)
        named = named_labels(labels, n, self._declared, tuple(self._sets), api)
        keep = check_mask(api, mask, n)
        if keep is not None and not keep.all():  # masked rows are left out, as NaN rows are
            z, n = take_rows(z, keep), int(keep.sum())
            named = {k: v[keep] for k, v in named.items()}
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
                rows = take_rows(rows, np.repeat(keep, n_int))
                named = {k: v[keep] for k, v in named.items()}
                n = int(keep.sum())
                if n == 0:
                    self._internal = internal
                    self._n_dropped += n_dropped
                    return self

        # Encode each label set of this batch to local dense codes 0..K'-1 (sorted values);
        # their histogram rows follow one another (offset) in the kernel's output.
        encoded: list[EncodedSet] = []
        k_tot = 0
        for name, arr in named.items():
            codes = encode_labels(
                arr, n, api, f"labels[{name!r}]", ignore_index=ignore_index, allow_all_masked=True
            )
            if codes.n_labels == 0:
                continue  # all rows masked for this set in this batch
            values = self._checked_values(name, codes.values, api, f"labels[{name!r}]")
            encoded.append(EncodedSet(name, values, codes.codes, codes.counts, k_tot))
            k_tot += codes.n_labels

        permuted = None
        if self._permutations:  # drawn before the pass: the state is untouched on failure
            self._check_permutations_fit(encoded, math.prod(internal), api)
            permuted = [
                permuted_codes(
                    e.codes, self._permutations, self._permutation_seed, self._n_rows, e.name
                )
                for e in encoded
            ]
        # Bootstrap: a set whose label values are new and one row each (per-sample ids)
        # keeps its replicates as the rows' weights (_accumulator_store); the others are
        # summed densely in the replicated pass.
        single: list[EncodedSet] = []
        if self._bootstrap and permuted is None:
            dense: list[EncodedSet] = []
            for e in encoded:
                s = self._sets.get(e.name)
                ok = s.can_add_single(e.values, e.counts) if s is not None else e.counts.max() == 1
                (single if ok else dense).append(e)
            if single:
                encoded, k_tot = _reoffset(dense)
        try:
            perm = single_local = None
            if single:
                single, k_single = _reoffset(single)
                _, single_local = plain_pass(
                    api, rows, n, self._bins, self._threads, single, k_single
                )
                w = row_weights(
                    api, n, self._bootstrap, self._bootstrap_seed, self._n_rows, self._threads
                )
            if permuted is not None:
                total, local, perm = permutation_pass(
                    api, rows, n, self._bins, self._threads, encoded, k_tot, permuted
                )
            if self._bootstrap:
                total, local = bootstrap_pass(
                    api,
                    rows,
                    n,
                    self._bins,
                    self._threads,
                    encoded,
                    k_tot,
                    self._bootstrap,
                    self._bootstrap_seed,
                    self._n_rows,
                )
            elif permuted is None:
                total, local = plain_pass(api, rows, n, self._bins, self._threads, encoded, k_tot)
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
            total = to_device(total, self._device)
            local = to_device(local, self._device)
            perm = None if perm is None else to_device(perm, self._device)
            if single_local is not None:
                single_local = to_device(single_local, self._device)
        self._total += total
        for name in named:
            self._set(name, api)
        for e in encoded:
            self._sets[e.name].add(
                e.values, local[:, e.offset : e.offset + len(e.values)], e.counts, self._device
            )
            if perm is not None:
                self._perm_sets.setdefault(e.name, LabelHistograms(e.name)).add(
                    e.values, perm[:, e.offset : e.offset + len(e.values)], e.counts, self._device
                )
        if single:
            for e in single:
                row_of = np.empty(len(e.values), np.int64)  # the one row of each label code
                labelled = np.flatnonzero(e.codes >= 0)
                row_of[e.codes[labelled]] = labelled
                self._sets[e.name].add_single(
                    e.values,
                    single_local[:, e.offset : e.offset + len(e.values)],
                    to_device(np.ascontiguousarray(w[:, row_of]), self._device),
                    self._device,
                )
        self._n_rows += n
        self._n_dropped += n_dropped
        if self._bootstrap:
            self._seeds |= {self._bootstrap_seed}
        return self

    def _check_permutations_fit(self, encoded: list[EncodedSet], n_int: int, api: str) -> None:
        """Refuse up front a batch after which the permuted histograms (R x n_int x K x B
        float64 per label set, growing by doubling) could not fit in memory."""
        r, b = self._permutations, self._bins.n_bins
        labels = 0
        for e in encoded:
            s = self._perm_sets.get(e.name)
            labels += 2 * ((0 if s is None else s.size) + len(e.values))  # room to double
        check_fits(
            api,
            "permutations",
            f"{r} (R x {n_int} internal x up to {labels} label slots x {b} bins of float64 "
            "permuted histograms)",
            r * n_int * labels * b * 8,
        )

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
        api = f"{API}.update_from"
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

        With permutations both must keep the same number R and the same
        ``permutation_seed``: each worker's batches are permuted within themselves, so the
        merged permuted histograms are the sums of the workers' (a permutation test
        stratified by batch over all their rows).
        """
        api = f"{API}.merge"
        if not isinstance(other, Accumulator):
            fail(api, "other", "a softent.Accumulator", type(other).__name__, TypeError)
        if other is self:
            fail(
                api,
                "other",
                "another Accumulator (merging a state with itself would count every row twice;"
                " merge acc.copy() to do that on purpose)",
                "this accumulator itself",
            )
        with ExitStack() as stack:  # both locks, always in the same order: no deadlock
            for acc in sorted((self, other), key=id):
                stack.enter_context(acc._lock)
            return self._merge(other, api)

    def _merge(self, other: Accumulator, api: str) -> Accumulator:
        check_same_bins(
            api, "other", self._bins, self._fingerprint, other._bins, other._fingerprint
        )
        if (
            other._internal is not None
            and self._internal is not None
            and other._internal != self._internal
        ):
            fail(api, "other", f"of internal shape {self._internal}", other._internal)
        if other._bootstrap != self._bootstrap:
            fail(
                api,
                "other",
                f"an Accumulator with bootstrap={self._bootstrap} replicates like this one",
                f"bootstrap={other._bootstrap}",
            )
        if (other._permutations, other._permutation_seed) != (
            self._permutations,
            self._permutation_seed,
        ):
            fail(
                api,
                "other",
                f"an Accumulator with permutations={self._permutations} and permutation_seed="
                f"{self._permutation_seed} like this one (each worker permutes its batches "
                "within themselves by that seed: the sums add only under one rule)",
                f"permutations={other._permutations}, permutation_seed={other._permutation_seed}",
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
        self._total += to_device(other._total, self._device)
        for name, s in other._sets.items():
            mine = self._set(name, api)
            if s.size == 0:
                continue
            values, hist, counts = s.sorted_state()
            mine.add(values, to_device(hist, self._device), counts, self._device)
        for name, s in other._perm_sets.items():
            if s.size:  # replicate r of the merge: each worker's batches permuted within
                values, hist, counts = s.sorted_state()
                self._perm_sets.setdefault(name, LabelHistograms(name)).add(
                    values, to_device(hist, self._device), counts, self._device
                )
        self._n_rows += other._n_rows
        self._n_dropped += other._n_dropped
        self._seeds |= other._seeds
        return self

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

        The same as ``softent.torch.distributed.all_reduce(acc, group)``.
        """
        from .._mergeable import all_reduce  # imports torch: only when called

        # all_reduce holds self._lock (softent.torch.distributed.all_reduce takes the same path)
        return all_reduce(self, group, api=f"{API}.all_reduce")  # type: ignore[no-any-return]
