"""Reading an :class:`softent.Accumulator`: its sums as :class:`softent.SoftHistogram`
objects, and the batch API's numbers from them (H(Z), H(Z|L), I(Z;L), per-label
entropies, :class:`softent.Information`), plus the bootstrap replicates and their measures.

A mixin of :class:`softent.Accumulator`: it reads the state the class keeps (``_total``,
``_sets``, ``_internal``, ``_bins``, ``_n_rows``, ``_n_dropped``, ``_bootstrap``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._checks import Weighting, check_base, check_weighting, fail
from .._interop import to_host, to_host_rows
from .._stats import PermutationResult
from ..discrete import entropy_of_masses
from ._accumulator_args import API
from ._accumulator_store import AccumulatorFields
from .histogram import SoftHistogram, row_entropies
from .measures import (
    MEASURE_KEYS,
    STACKED_KEYS,
    replicate_set_measures,
    stacked_from_parts,
    stacked_measures,
)


def _measure_keys(measures: Any, api: str) -> tuple[str, ...]:
    """The measure keys asked for (default: all of :data:`MEASURE_KEYS`), checked."""
    if measures is None:
        return MEASURE_KEYS
    keys = (measures,) if isinstance(measures, str) else tuple(measures)
    bad = [k for k in keys if k not in MEASURE_KEYS]
    if bad or not keys:
        fail(api, "measures", f"None or keys among {list(MEASURE_KEYS)}", repr(measures))
    return keys


class AccumulatorResults(AccumulatorFields):
    """The read side of :class:`softent.Accumulator` (see its documentation)."""

    @property
    def _n_internal(self) -> int:
        return math.prod(self._internal) if self._internal else 1

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
        total = to_host(self._total[:n_int])  # the point estimate's rows (replicates follow)
        bins = self._bins
        if all_rows:
            return [
                SoftHistogram(total[l], None, None, None, bins, self._n_rows, self._n_dropped)
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
        per = to_host(hist)
        n_lab = int(counts.sum())
        return [
            SoftHistogram(per[l].sum(axis=0), per[l], counts, values, bins, n_lab, self._n_dropped)
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
        api = f"{API}.result"
        flat = self._flat_index(index, api)
        if label_set == "" or (label_set is None and not self._sets):
            return self._histograms(None, api, True)[flat]
        return self._histograms(label_set, api, False)[flat]

    def entropy(self, label_set: str | None = None, *, base: float = math.e) -> Any:
        """H(Z) in units of ``base`` (e: nats, 2: bits): of every row streamed (default), or
        of the rows labelled in ``label_set`` (the H(Z) of that set's I(Z;L)).
        A float, or an array of the internal shape."""
        api = f"{API}.entropy"
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
        api = f"{API}.conditional_entropy"
        check_base(api, base)
        check_weighting(api, weighting)
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
        api = f"{API}.mutual_information"
        check_base(api, base)
        check_weighting(api, weighting)
        return self._shaped(
            [h.mutual_information(base, weighting) for h in self._histograms(label_set, api, False)]
        )

    def label_entropies(self, label_set: str | None = None, *, base: float = math.e) -> np.ndarray:
        """[K] H(Z | L = k) (or [*I, K]), in the order of :meth:`label_values`."""
        api = f"{API}.label_entropies"
        check_base(api, base)
        return self._shaped(
            [h.label_entropies(base) for h in self._histograms(label_set, api, False)]
        )

    def label_values(self, label_set: str | None = None) -> np.ndarray:
        """[K] the label values seen in ``label_set``, sorted (the batch API's order)."""
        s = self._sets[self._resolve_set(label_set, f"{API}.label_values")]
        return s.sorted_values.copy()

    def counts(self, label_set: str | None = None) -> np.ndarray:
        """[K] N_k, the rows of each label value (order of :meth:`label_values`)."""
        s = self._sets[self._resolve_set(label_set, f"{API}.counts")]
        return s.sorted_counts().copy()

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

        api = f"{API}.information"
        b = check_base(api, base)
        check_weighting(api, weighting)
        h = self._histograms(label_set, api, False)[self._flat_index(index, api)]
        hz, hzl = h.entropy(b), h.conditional_entropy(b, weighting)
        return Information(
            hz, hzl, hz - hzl, h.label_entropies(b), h.label_values, h.counts, b, weighting, h
        )  # type: ignore[arg-type]

    # ------------------------------------------------------------------ bootstrap replicates

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
        api = f"{API}.replicate_histograms"
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

    def replicate_measures(
        self,
        label_set: str | Sequence[str] | None = None,
        *,
        base: float = math.e,
        weighting: Weighting = "weighted",
        all_rows: bool = True,
        measures: Sequence[str] | None = None,
    ) -> dict[str | None, list[list[dict[str, float | None]]]]:
        """The measures (:func:`softent.measures_from_masses`) of every bootstrap replicate
        (needs ``bootstrap=R > 0``): what intervals are made of (``softent.report``,
        ``LayerMonitor.record``).

        Args:
            label_set: None (every label set), a name, or a sequence of names.
            base: e (nats) or 2 (bits) for H, I and disentanglement.
            weighting: 'weighted' or 'uniform' in H(Z|L).
            all_rows: also the measures of every row streamed (key None: H(Z) & co.).
            measures: the keys wanted (default: all of them). Every measure but
                disentanglement is computed for all replicates at once
                (:func:`softent.soft.measures.stacked_measures`); disentanglement, a
                divergence per label value and replicate, costs far more: leave it out
                when it is not needed (``LayerMonitor`` asks for H, H(Z|L), I(Z;L) only).

        Returns:
            {None or name: out} with ``out[r][l]`` the dict of the wanted measures of
            replicate r at flattened internal index l (C order). A label set's measures
            are over its labelled rows, counts = the replicate's weighted row counts, so a
            label absent from a replicate is left out.
        """
        api = f"{API}.replicate_measures"
        b = check_base(api, base)
        w = check_weighting(api, weighting)
        keys = _measure_keys(measures, api)
        names = self._replicate_names(label_set, api)
        self._replicate_arrays([], api)  # refuses without replicates or rows
        r, n_int, n_bins = self._bootstrap, self._n_internal, self._bins.n_bins
        out: dict[str | None, list[list[dict[str, float | None]]]] = {}
        if all_rows:
            total = to_host(self._total[n_int:]).reshape(r, n_int, n_bins)
            h = np.asarray(entropy_of_masses(total, validate=False))
            cols = {"entropy": h / math.log(b), "efficiency": h / math.log(n_bins)}
            if n_bins == 1:
                cols["efficiency"] = np.full_like(h, math.nan)
            out[None] = [
                [
                    {k: (float(cols[k][i, l]) if k in cols else None) for k in keys}
                    for l in range(n_int)
                ]
                for i in range(r)
            ]
        for name in names:
            out[name] = self._set_replicate_measures(name, keys, b, w, api)
        return out

    def _set_replicate_measures(
        self, name: str, keys: tuple[str, ...], base: float, weighting: str, api: str
    ) -> list[list[dict[str, float | None]]]:
        r, n_int, n_bins = self._bootstrap, self._n_internal, self._bins.n_bins
        s = self._sets[name]
        if s.sparse and s.size and "disentanglement" not in keys:
            return self._sparse_replicate_measures(s, keys, base, weighting)
        hist, counts = s.slot_state()
        if hist is None:
            nan = dict.fromkeys(keys, math.nan)
            return [[dict(nan) for _ in range(n_int)] for _ in range(r)]
        host = to_host_rows(hist)  # a view of a host state: the replicates are not copied
        k = host.shape[1]
        point, reps = host[:n_int], host[n_int:].reshape(r, n_int, k, n_bins)
        cols: list[dict[str, np.ndarray]] = []
        for l in range(n_int):
            single = np.full(k, math.nan)
            one = np.flatnonzero(counts == 1)
            if one.size:
                single[one] = row_entropies(point[l, one])
            cols.append(
                stacked_measures(
                    reps[:, l],
                    base=base,
                    weighting=weighting,  # type: ignore[arg-type]
                    single_row_entropies=single,
                    _api=api,
                )
            )
        out = [
            [
                {key: float(cols[l][key][i]) for key in keys if key in STACKED_KEYS}
                for l in range(n_int)
            ]
            for i in range(r)
        ]
        if "disentanglement" in keys:  # a divergence per label value: per replicate
            for i in range(r):
                for l in range(n_int):
                    m = replicate_set_measures(
                        reps[i, l],
                        base=base,
                        weighting=weighting,
                        _api=api,  # type: ignore[arg-type]
                    )
                    out[i][l]["disentanglement"] = m["disentanglement"]
        for i in range(r):  # the caller's key order
            for l in range(n_int):
                out[i][l] = {key: out[i][l][key] for key in keys}
        return out

    def _sparse_replicate_measures(
        self, s: Any, keys: tuple[str, ...], base: float, weighting: str
    ) -> list[list[dict[str, float | None]]]:
        """Replicate measures of a set whose labels have one row each: replicate r of label
        k is w_rk times its point row, so H(Z|L=k) is the point's and H(Z) of the
        replicate is the entropy of Σ_k w_rk p_k (a [R, K] x [K, B] product)."""
        r, n_int, n_bins = self._bootstrap, self._n_internal, self._bins.n_bins
        k = s.size
        point = to_host_rows(s.hist[:, :k])  # [n_int, K, B]
        w = to_host_rows(s.weights[:, :k])  # [R, K]
        cols = []
        for l in range(n_int):
            h_z = np.asarray(entropy_of_masses(w @ point[l], validate=False))
            cols.append(
                stacked_from_parts(
                    h_z,
                    w * point[l].sum(axis=1),  # Σ_b q = 1: the replicate's weighted counts
                    row_entropies(point[l]),
                    n_bins,
                    base=base,
                    weighting=weighting,  # type: ignore[arg-type]
                )
            )
        return [
            [{key: float(cols[l][key][i]) for key in keys} for l in range(n_int)] for i in range(r)
        ]

    def permutation_test(
        self,
        label_set: str | None = None,
        *,
        index: Any = None,
        base: float = math.e,
        weighting: Weighting = "weighted",
    ) -> PermutationResult:
        """The permutation test of I(Z;L) = 0 for ``label_set`` (None: the only set) from
        the streamed permutations (needs ``permutations=R > 0``): the statistic I(Z;L) of
        :meth:`mutual_information`, and the same estimate on each of the R permuted label
        histograms (each batch's labels permuted within it, see the class's
        ``permutations``). Returns a :class:`softent.PermutationResult` (``pvalue``,
        ``null_mean``, ``corrected`` = I - E[I_null], ...; units of ``base``)."""
        api = f"{API}.permutation_test"
        b = check_base(api, base)
        w = check_weighting(api, weighting)
        if not self._permutations:
            fail(
                api,
                "the accumulator",
                "built with permutations (Accumulator(..., permutations=R))",
                "permutations=0",
            )
        flat = self._flat_index(index, api)
        name = self._resolve_set(label_set, api)
        h = self._histograms(name, api, False)[flat]
        statistic = float(h.mutual_information(b, w))  # type: ignore[arg-type]
        hist, counts = self._perm_sets[name].slot_state()
        r, n_int, n_bins = self._permutations, self._n_internal, self._bins.n_bins
        per = to_host_rows(hist).reshape(r, n_int, -1, n_bins)[:, flat]
        null = stacked_measures(per, counts, base=b, weighting=w, _api=api)  # type: ignore[arg-type]
        return PermutationResult(
            statistic=statistic,
            null=np.array(null["mutual_information"], dtype=np.float64),
            base=b,
            estimator="soft-bin I(Z;L)",
            seed=self._permutation_seed,
            context={
                "label_set": name,
                "index": None if index is None else list(np.atleast_1d(index).tolist()),
                "n_rows": int(h.n_rows),
                "n_labels": int(h.counts.shape[0]),
                "n_bins": n_bins,
                "temperature": float(self._bins.temperature),
                "dim": int(self._bins.dim),
                "metric": self._bins.metric,
                "weighting": w,
                "fingerprint": self._fingerprint,
                "permutation_rule": "within each update batch",
            },
        )

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
        total = to_host(self._total[n_int:]).reshape(r, n_int, b)
        sets = {}
        for name in names:
            s = self._sets[name]
            values, hist, _ = s.sorted_state(slice(n_int, None))
            per = (
                np.zeros((r, n_int, 0, b))
                if hist is None
                else to_host(hist).reshape(r, n_int, s.size, b)
            )
            sets[name] = (values.copy(), per)
        return total, sets
