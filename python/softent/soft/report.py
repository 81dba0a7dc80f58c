"""``softent.report``: every measure of :mod:`softent.measures` for every label set, in one
call, as a tidy table (text, pandas) and as JSON-able dicts, with optional bootstrap
confidence intervals (basic, bias-corrected, by default), permutation nulls of I(Z;L)
(null mean, p-value, null-corrected estimate) and the spread over bin-centre seeds.

For an array ``z`` all label sets are accumulated in one fused kernel pass (a
:class:`softent.Accumulator` on the bins the batch API would use for ``z``); an
Accumulator that was streamed is reported as it stands, with intervals from its own
bootstrap replicates when it keeps them (``Accumulator(..., bootstrap=R)``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .._checks import (
    Weighting,
    check_base,
    check_choice,
    check_fits,
    check_int,
    check_probability,
    check_seed,
    check_threads,
    check_weighting,
    fail,
)
from .._interop import as_float_rows, to_numpy
from .._labels import encode_labels
from .._stats import (
    INTERVALS,
    PermutationResult,
    bootstrap_interval,
    interval_excludes,
    mean_and_spread,
    units_name,
)
from ._kernel import ZeroRows, finite_rows
from .accumulator import DEFAULT_LABEL_SET, Accumulator
from .bins import Bins, Metric, Seed, make_bins
from .bootstrap import iter_poisson_bootstrap
from .histogram import SoftHistogram, select_label_sets
from .layers import flat_label_sets, flat_labels, split_layers
from .measures import MEASURE_KEYS, measures_from_masses, replicate_set_measures

__all__ = ["Report", "report"]

_API = "report"
#: column headers of :meth:`Report.format_table`, in table order
_HEADERS: dict[str, str] = {
    "label_set": "label set",
    "index": "index",
    "n_rows": "rows",
    "n_labels": "labels",
    "entropy": "H(Z)",
    "conditional_entropy": "H(Z|L)",
    "mutual_information": "I(Z;L)",
    "label_entropy": "H(L)",
    "efficiency": "efficiency",
    "regularity": "regularity",
    "variation": "variation",
    "disentanglement": "disentangl.",
    "normalised_mi": "I/H(L)",
    "optimality": "optimality",
    "mi_null_mean": "E[I null]",
    "mi_pvalue": "p",
    "mi_corrected": "I-E[null]",
    "mutual_information_seed_mean": "I seeds mean",
    "mutual_information_seed_sd": "I seeds sd",
}
#: the estimator every report row names (with its N, B, T, D: never compare out of context)
ESTIMATOR = "soft-bin (Conklin 2025)"
#: the quantities whose mean and spread over bin-centre seeds a seeded report adds
_SEED_KEYS = ("entropy", "conditional_entropy", "mutual_information", "mi_corrected")
#: marks an interval that excludes its estimate in the text table
EXCLUDES_MARK = "!"
#: information quantities (units of ``base``); every other measure is a unitless ratio
_UNIT_KEYS = (
    "entropy",
    "conditional_entropy",
    "mutual_information",
    "label_entropy",
    "disentanglement",
)


def _units(base: float) -> str:
    return units_name(base)


def _json_value(v: Any) -> Any:
    """Plain JSON data: NaN/inf -> None (strict JSON has no NaN), NumPy scalars -> Python,
    tuples -> lists."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, (list, tuple)):
        return [_json_value(x) for x in v]
    if isinstance(v, (int, np.integer)):
        return int(v)
    f = float(v)
    return f if math.isfinite(f) else None


@dataclass(frozen=True)
class Report:
    """The measures of one :func:`softent.report` call.

    ``rows``: one dict per label set (and per internal index when the source has internal
    dimensions) with keys ``label_set``, [``index``], ``n_rows`` (labelled rows), ``n_labels``
    (K), ``entropy`` H(Z), ``conditional_entropy`` H(Z|L), ``mutual_information`` I(Z;L),
    ``efficiency``, ``regularity``, ``variation``, ``disentanglement``, ``normalised_mi``,
    ``label_entropy`` H(L), [``optimality``], and with a bootstrap ``<key>_ci`` = [lo, hi]
    (``interval``: 'basic' or 'percentile'), ``<key>_se`` and ``<key>_bias`` for each of
    those numbers. With permutations, label rows also carry ``mi_null_mean``,
    ``mi_null_std``, ``mi_null_q95``, ``mi_pvalue`` and ``mi_corrected`` = I - E[I_null];
    with several centre seeds, ``<key>_seed_mean`` and ``<key>_seed_sd`` of H(Z), H(Z|L),
    I(Z;L) (and mi_corrected). Every row names its context: ``estimator``, ``n_bins`` (B),
    ``temperature`` (T), ``dim`` (D) besides ``n_rows`` (N). H, I and disentanglement are
    in units of ``base``; the rest are unitless ratios (:mod:`softent.measures`). NaN marks
    an undefined value, None a measure that does not apply (label measures of the
    unlabelled row, when there is no label set).
    """

    rows: list[dict[str, Any]]
    bins: Bins
    base: float
    weighting: str
    input_set: str | None = None
    output_set: str | None = None
    bootstrap: int = 0
    confidence: float = 0.95
    bootstrap_seed: int = 0
    centres_seed: int | None = None
    internal_shape: tuple[int, ...] = ()
    interval: str = "basic"
    permutations: int = 0
    permutation_seed: int = 0
    seeds: tuple[int, ...] = ()

    @property
    def units(self) -> str:
        """'nats', 'bits', 'hartleys' or 'log base b': the unit of H, I, disentanglement."""
        return _units(self.base)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict (plain floats, ints, str, lists; NaN -> None) with the
        rows and the metadata needed to reproduce or compare them: units, weighting, the
        bins (n_bins, metric, temperature, dim, fingerprint, seed of generated centres),
        the input/output sets and the bootstrap settings."""
        from .._core import build_info

        return {
            "softent_version": str(build_info()["version"]),
            "base": float(self.base),
            "units": self.units,
            "weighting": self.weighting,
            "bins": {
                "n_bins": self.bins.n_bins,
                "metric": self.bins.metric,
                "temperature": float(self.bins.temperature),
                "dim": self.bins.dim,
                "fingerprint": self.bins.fingerprint(),
                "seed": self.centres_seed,
            },
            "input_set": self.input_set,
            "output_set": self.output_set,
            "bootstrap": None
            if not self.bootstrap
            else {
                "n_resamples": self.bootstrap,
                "confidence": self.confidence,
                "seed": self.bootstrap_seed,
                "method": "poisson",
                "interval": self.interval,
            },
            "permutations": None
            if not self.permutations
            else {"n_permutations": self.permutations, "seed": self.permutation_seed},
            "seeds": list(self.seeds) or None,
            "internal_shape": list(self.internal_shape),
            "rows": [{k: _json_value(v) for k, v in row.items()} for row in self.rows],
        }

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame``, one row per entry of :attr:`rows`; each interval
        ``<key>_ci`` becomes two columns ``<key>_lo`` and ``<key>_hi``. Needs pandas."""
        try:
            import pandas as pd
        except ImportError as e:
            raise ImportError(
                "softent.Report.to_pandas needs pandas (pip install pandas); "
                "Report.rows and Report.to_dict() work without it"
            ) from e
        flat = []
        for row in self.rows:
            out: dict[str, Any] = {}
            for k, v in row.items():
                if k.endswith("_ci"):
                    out[f"{k[:-3]}_lo"], out[f"{k[:-3]}_hi"] = v
                else:
                    out[k] = v
            flat.append(out)
        return pd.DataFrame(flat)

    def format_table(self, digits: int = 4) -> str:
        """A fixed-width text table of :attr:`rows` (numbers with ``digits`` decimals; with
        a bootstrap, each row's intervals on the line below it)."""
        keys = [k for k in _HEADERS if any(k in row for row in self.rows)]

        def cell(v: Any) -> str:
            if v is None:
                return "-"
            if isinstance(v, (int, np.integer)):
                return str(int(v))
            if isinstance(v, str):
                return v
            if isinstance(v, (tuple, list)) and all(isinstance(x, (int, np.integer)) for x in v):
                return ",".join(str(int(x)) for x in v)
            text = f"{float(v):.{digits}f}"
            # -0.0 and tiny negatives (plug-in noise, -1e-17) round to '-0.0000': print 0
            return text[1:] if text.startswith("-") and float(text) == 0 else text

        def mark(row: dict[str, Any], k: str) -> str:
            return EXCLUDES_MARK if interval_excludes(row.get(k), row.get(f"{k}_ci")) else ""

        lines_per_row = []
        for row in self.rows:
            top = [
                "(all rows)" if k == "label_set" and row[k] is None else cell(row.get(k))
                for k in keys
            ]
            bottom = [
                "[" + ", ".join(cell(x) for x in row[f"{k}_ci"]) + "]" + mark(row, k)
                if f"{k}_ci" in row
                else ""
                for k in keys
            ]
            lines_per_row.append((top, bottom))
        widths = [len(_HEADERS[k]) for k in keys]
        for top, bottom in lines_per_row:
            widths = [max(w, len(a), len(b)) for w, a, b in zip(widths, top, bottom, strict=True)]

        def line(cells: list[str]) -> str:
            # text left-aligned (label set), numbers right-aligned so decimals line up
            return "  ".join(
                c.ljust(w) if k == "label_set" else c.rjust(w)
                for k, c, w in zip(keys, cells, widths, strict=True)
            ).rstrip()

        b = self.bins
        head = [
            (
                f"softent report: B={b.n_bins} {b.metric} bins, T={b.temperature:.6g}, D={b.dim}, "
                f"fingerprint {b.fingerprint()[:12]}"
            ),
            (
                f"H(Z), H(Z|L), I(Z;L), H(L), disentanglement in {self.units}; other columns are ratios "
                f"(weighting={self.weighting})"
            ),
        ]
        if self.input_set is not None:
            head.append(f"optimality = I({self.output_set};Z) / I({self.input_set};Z)")
        head[0] += f"; estimator {ESTIMATOR}"
        head.append(
            "soft-bin MI grows with B and 1/T: compare numbers only at equal B, T, D "
            "(docs/statistics.md)"
        )
        if self.bootstrap:
            kind = "basic (bias-corrected)" if self.interval == "basic" else "percentile"
            head.append(
                f"[lo, hi]: {self.confidence:.0%} {kind} intervals over {self.bootstrap} "
                f"Poisson bootstrap resamples of the rows (seed {self.bootstrap_seed}); "
                f"{EXCLUDES_MARK} = the interval excludes its estimate (resampling bias)"
            )
        if self.permutations:
            head.append(
                f"E[I null], p: I(Z;L) over {self.permutations} label permutations (seed "
                f"{self.permutation_seed}); I-E[null] = the null-corrected I(Z;L); "
                "p = (1 + #{null >= I}) / (1 + R)"
            )
        if self.seeds:
            head.append(
                f"I seeds mean/sd: over {len(self.seeds)} bin-centre seeds {list(self.seeds)} "
                f"(one pass each; the other columns are seed {self.seeds[0]}'s)"
            )
        out = [*head, "", line([_HEADERS[k] for k in keys]), line(["-" * w for w in widths])]
        for top, bottom in lines_per_row:
            out.append(line(top))
            if self.bootstrap:
                out.append(line(bottom))
        return "\n".join(out)

    def __str__(self) -> str:
        return self.format_table()

    def __repr__(self) -> str:
        sets = list(dict.fromkeys(row["label_set"] for row in self.rows))
        extra = f", permutations={self.permutations}" if self.permutations else ""
        extra += f", seeds={len(self.seeds)}" if self.seeds else ""
        return (
            f"Report(label_sets={sets}, units={self.units!r}, "
            f"n_bins={self.bins.n_bins}, metric={self.bins.metric!r}, bootstrap={self.bootstrap}"
            f"{extra})"
        )


# ----------------------------------------------------------------------------- validation


def _array_label_sets(label_sets: Any, n: int) -> dict[str, np.ndarray]:
    """{name: [N] host array} for an array source (validated: names, shapes, dtypes)."""
    if label_sets is None:
        return {}
    if isinstance(label_sets, Mapping):
        items = list(label_sets.items())
        if not items:
            fail(
                _API,
                "label_sets",
                "None, one [N] array or a non-empty dict {name: [N] array}",
                "an empty dict",
            )
    elif isinstance(label_sets, (str, bytes)):
        fail(
            _API,
            "label_sets",
            "one [N] array or a dict {name: [N] array} for an array source",
            f"the name {label_sets!r} (names select the label sets of an Accumulator)",
            TypeError,
        )
    else:
        items = [(DEFAULT_LABEL_SET, label_sets)]
    out: dict[str, np.ndarray] = {}
    for name, arr in items:
        if not isinstance(name, str) or not name:
            fail(_API, "label_sets", "a dict keyed by non-empty str names", repr(name), TypeError)
        arg = f"label_sets[{name!r}]" if isinstance(label_sets, Mapping) else "label_sets"
        a = to_numpy(arr)
        if a.ndim != 1 or a.shape[0] != n:
            fail(
                _API,
                arg,
                f"a 1-D array with one label per row of source (length N={n})",
                f"shape {a.shape}",
            )
        encode_labels(a, n, _API, arg)  # dtype (ints/strings) and "not all masked"
        out[name] = a
    return out


def _accumulator_label_sets(acc: Accumulator, label_sets: Any) -> list[str]:
    if label_sets is None:
        names = list(acc.label_sets)
    elif isinstance(label_sets, str):
        names = [label_sets]
    elif (
        isinstance(label_sets, Sequence)
        and not isinstance(label_sets, bytes)
        and all(isinstance(s, str) for s in label_sets)
    ):
        names = list(label_sets)
    else:
        fail(
            _API,
            "label_sets",
            "None, a name or a sequence of names for an Accumulator source",
            type(label_sets).__name__,
            TypeError,
        )
    for name in names:
        if name not in acc.label_sets:
            fail(
                _API,
                "label_sets",
                f"names among the Accumulator's label sets {list(acc.label_sets)}",
                repr(name),
            )
        if int(acc.counts(name).sum()) == 0:
            fail(
                _API,
                "label_sets",
                "label sets with at least one labelled row",
                f"{name!r} with none",
            )
    if len(set(names)) != len(names):
        fail(_API, "label_sets", "distinct names", names)
    return names


def _check_io_sets(names: list[str], input_set: Any, output_set: Any) -> None:
    if (input_set is None) != (output_set is None):
        missing = "output_set" if output_set is None else "input_set"
        fail(
            _API,
            missing,
            "given together with " + ("input_set" if missing == "output_set" else "output_set"),
            None,
        )
    for arg, v in (("input_set", input_set), ("output_set", output_set)):
        if v is not None and v not in names:
            fail(_API, arg, f"one of the label sets {names}", repr(v))


# ----------------------------------------------------------------------------- rows


def _values(
    hist_total: np.ndarray,
    per: np.ndarray | None,
    counts: np.ndarray | None,
    base: float,
    weighting: str,
) -> dict[str, float | None]:
    return measures_from_masses(hist_total, per, counts, base=base, weighting=weighting, _api=_API)  # type: ignore[arg-type]


def _point_rows(
    hists: list[tuple[str | None, tuple[int, ...] | None, SoftHistogram]],
    base: float,
    weighting: str,
    input_set: str | None,
    output_set: str | None,
) -> list[dict[str, Any]]:
    rows = []
    for name, index, h in hists:
        row: dict[str, Any] = {"label_set": name}
        if index is not None:
            row["index"] = tuple(int(i) for i in index)
        row["n_rows"] = int(h.n_rows)
        row["n_labels"] = None if h.counts is None else int(h.counts.shape[0])
        row.update(_values(h.total, h.per_label, h.counts, base, weighting))
        rows.append(row)
    if input_set is not None:
        _add_optimality(rows, input_set, output_set)
    return rows


def _add_optimality(rows: list[dict[str, Any]], input_set: str, output_set: Any) -> None:
    """optimality = I(output;Z)/I(input;Z) of each internal index, in every row of that index
    (a property of the representation and the pair of sets, not of one set)."""
    by_index: dict[Any, dict[str, Any]] = {}
    for row in rows:
        by_index.setdefault(row.get("index"), {})[row["label_set"]] = row
    for group in by_index.values():
        ix, iy = group[input_set]["mutual_information"], group[output_set]["mutual_information"]
        value = float(iy / ix) if ix != 0 else math.nan
        for row in group.values():
            row["optimality"] = value


def add_intervals(
    rows: list[dict[str, Any]],
    replicates: list[list[dict[str, float | None]]],
    confidence: float,
    input_set: str | None,
    output_set: str | None,
    method: str = "basic",
) -> None:
    """Add ``<key>_ci`` = [lo, hi] intervals (``method``: 'basic' = 2θ - percentiles,
    the default, or 'percentile'; :func:`softent._stats.bootstrap_interval`), ``<key>_se``
    (the replicates' standard deviation) and ``<key>_bias`` (their mean minus the estimate)
    to ``rows`` from per-replicate values (``replicates[r][j]`` = the measures of row j in
    replicate r).

    Plug-in information estimates are biased upward on finite samples and a resample is
    biased further, so for a label unrelated to z the percentile interval of I(Z;L) can
    lie above the estimate; the basic interval moves down by the bootstrap's estimate of
    that bias (``_bias``)."""
    keys = [k for k in (*MEASURE_KEYS, "optimality") if k in rows[0]]
    if input_set is not None:
        for reps in replicates:  # optimality per replicate: both sets share its row weights
            shadow = [{**rows[j], **reps[j]} for j in range(len(rows))]
            _add_optimality(shadow, input_set, output_set)
            for j in range(len(rows)):
                reps[j]["optimality"] = shadow[j]["optimality"]
    for j, row in enumerate(rows):
        for k in keys:
            if row[k] is None:
                continue
            vals = np.array([reps[j][k] for reps in replicates], dtype=np.float64)
            vals = vals[np.isfinite(vals)]
            row[f"{k}_ci"] = list(bootstrap_interval(row[k], vals, confidence, method))
            row[f"{k}_se"] = float(vals.std(ddof=1)) if vals.size > 1 else math.nan
            row[f"{k}_bias"] = float(vals.mean() - row[k]) if vals.size else math.nan


def _bootstrap_replicates(
    z: Any,
    named: dict[str, np.ndarray],
    bins: Bins,
    n_resamples: int,
    seed: int,
    threads: int,
    base: float,
    weighting: str,
    set_order: list[str | None],
) -> list[list[dict[str, float | None]]]:
    # the replicates from fused kernel passes over z (one unless R x labels x B is large:
    # token-style label sets), on the point estimate's centres, consumed one at a time
    reps = iter_poisson_bootstrap(
        z, named, bins, n_resamples, seed=seed, num_threads=threads, api=_API
    )
    out = []
    for rep in reps:
        values = []
        for name in set_order:
            if name is None:
                values.append(_values(np.asarray(rep["total"]), None, None, base, weighting))
            else:
                _, per, counts = rep["sets"][name]
                values.append(
                    replicate_set_measures(per, counts, base=base, weighting=weighting, _api=_API)
                )  # type: ignore[arg-type]
        out.append(values)
    return out


def _accumulator_replicates(
    acc: Accumulator, names: list[str], n_index: int, base: float, weighting: str
) -> list[list[dict[str, float | None]]]:
    """Per-replicate measures of an Accumulator's streamed replicates, in the row order of
    the report (label sets, then internal indices in C order)."""
    m = acc.replicate_measures(names, base=base, weighting=weighting, all_rows=not names)  # type: ignore[arg-type]
    keys: list[str | None] = list(names) or [None]
    return [
        [m[key][r][flat] for key in keys for flat in range(n_index)] for r in range(acc.bootstrap)
    ]


# ----------------------------------------------------------------------------- report


#: bytes a replicate's measures take in memory per report row (a dict of ~10 floats)
_REPLICATE_ROW_BYTES = 1024


def _n_report_sets(label_sets: Any) -> int:
    """How many label sets a report will have (at least 1), for the size check only."""
    return max(1, len(label_sets)) if isinstance(label_sets, Mapping) else 1


def report(
    source: Any,
    label_sets: Any = None,
    *,
    input_set: str | None = None,
    output_set: str | None = None,
    bootstrap: int = 0,
    confidence: float = 0.95,
    bootstrap_seed: int = 0,
    interval: str = "basic",
    permutations: int = 0,
    permutation_seed: int = 0,
    seeds: Sequence[int] | None = None,
    n_seeds: int | None = None,
    base: float = math.e,
    weighting: Weighting = "weighted",
    centres: Any = None,
    n_bins: int = 100,
    metric: Metric = "cosine",
    temperature: float | Literal["auto"] = "auto",
    seed: Seed = 0,
    ignore_index: int | str | None = None,
    mask: Any = None,
    zero_rows: ZeroRows = "raise",
    layer_axis: int | None = None,
    num_threads: int | None = None,
) -> Report:
    """Every measure of :mod:`softent.measures` for every label set: H(Z), H(Z|L), I(Z;L),
    efficiency, regularity, variation, disentanglement, normalised MI, H(L), and
    optimality when ``input_set``/``output_set`` are given.

    Args:
        source: activations z [N, D] (NumPy, torch CPU/CUDA, ``__dlpack__``), or a
            :class:`softent.Accumulator` that has been streamed.
        label_sets: for an array: one [N] array (reported as 'labels') or a dict
            {name: [N] array} of integers or strings (every value a class), all
            accumulated in one kernel pass. For an Accumulator: None (all its label sets),
            a name or a sequence of names. Without label sets the report has one row of
            H(Z) and efficiency over all rows.
        input_set, output_set: names of the label sets X and Y of optimality I(Y;Z)/I(X;Z)
            (both or neither).
        bootstrap: R > 0 adds ``<key>_ci`` = [lo, hi] to every number: intervals over R
            Poisson(1) bootstrap resamples of the rows, binned on the same centres (one
            fused kernel pass computes every replicate). An Accumulator no
            longer has its rows: it is reported with intervals when it was built with
            ``bootstrap=R`` (its streamed replicates; pass 0 or that R here), and
            ``bootstrap > 0`` is refused for one built without.
        confidence: coverage of the intervals (default 0.95).
        bootstrap_seed: seed of the resampling weights (they depend only on the seed, the
            row index and the replicate). For an Accumulator: 0 or its own
            ``bootstrap_seed`` (its replicates are drawn already; after merges they hold
            every worker's resamples and the report records this accumulator's seed).
        interval: 'basic' (default: [2θ - q_hi, 2θ - q_lo], corrected for the bootstrap's
            estimate of the bias; Davison & Hinkley 1997 eq. 5.6) or 'percentile'
            ([q_lo, q_hi], which for plug-in information sits above the estimate). The
            table marks an interval that excludes its estimate with ``!``.
        permutations: R > 0 adds, to every label row, the permutation null of I(Z;L):
            ``mi_null_mean``, ``mi_null_std``, ``mi_null_q95``, ``mi_pvalue`` ((1 + #{null >=
            I}) / (1 + R)) and ``mi_corrected`` = I - E[I_null]
            (:func:`softent.permutation_test`). For an array the R permuted label sets ride
            the pass of the point estimate; an Accumulator source uses its streamed
            permutations (``Accumulator(..., permutations=R)``; pass 0 or that R).
        permutation_seed: seed of the permutations (an Accumulator: 0 or its own).
        seeds, n_seeds: bin-centre seeds (``n_seeds=k``: seeds ``seed, seed + 1, ...,
            seed + k - 1``) for an array source with generated centres: adds
            ``<key>_seed_mean`` and ``<key>_seed_sd`` of H(Z), H(Z|L), I(Z;L) (and of
            ``mi_corrected`` with permutations) over the seeds, one kernel pass per seed;
            every other number is the first seed's. The spread says how much of a
            difference between two numbers the choice of centres alone can make.
        base: e (nats, default) or 2 (bits) for H, I and disentanglement.
        weighting: 'weighted' (w_k = N_k/N, default) or 'uniform' (1/K) in H(Z|L).
        centres, n_bins, metric, temperature, seed: the bins for an array source, exactly
            as :func:`softent.soft_histogram` picks them (spherical bins for cosine/dot,
            uniform in the data's box for the Euclidean metrics). An Accumulator has its
            own bins; leave these at their defaults for one.
        ignore_index, mask, zero_rows: for an array source, as :func:`softent.information`
            (``ignore_index`` masks per label set: a row stays in the sets where its label is
            another value; ``mask`` and dropped zero rows leave rows out of every set).
            Leave them at their defaults for an Accumulator source.
        layer_axis: for a layer stack source ([N, L, D] with 1, [L, N, D] or [L, B, T, D]
            with 0): the axis of the layers. Each layer is reported on the same bins (made
            from the first layer's rows for the Euclidean metrics' default box), with
            ``index`` = (layer,) in every row (rows ordered by label set, then layer) and
            ``internal_shape`` = (L,), as an Accumulator with internal dimensions. Label
            sets are one per row: [rows] or shaped as the row axes ([B, T]).
        num_threads: OpenMP threads of the kernel pass (default: all), at most the CPUs
            this process may use; 1 in a process forked after softent was imported.

    Returns:
        :class:`Report` (``.rows``, ``.to_dict()``, ``.to_pandas()``, ``.format_table()``).
    """
    b = check_base(_API, base)
    check_weighting(_API, weighting)
    n_res = check_int(_API, "bootstrap", bootstrap, lo=0)
    # every replicate's measures are kept for the intervals (a dict per report row):
    # refuse up front an R whose list could not fit, rather than run until memory is gone
    check_fits(
        _API,
        "bootstrap",
        f"{n_res} (the report keeps ~{_REPLICATE_ROW_BYTES} bytes of measures per "
        "replicate and report row)",
        n_res * _REPLICATE_ROW_BYTES * _n_report_sets(label_sets),
    )
    conf = check_probability(_API, "confidence", confidence)
    boot_seed = check_seed(_API, "bootstrap_seed", bootstrap_seed)
    threads = check_threads(_API, num_threads)
    method = check_choice(_API, "interval", interval, INTERVALS)
    n_perm = check_int(_API, "permutations", permutations, lo=0, hi=2**31)
    perm_seed = check_seed(_API, "permutation_seed", permutation_seed)
    seed_list = _check_seeds(seeds, n_seeds, seed, centres)
    if seeds is not None or n_seeds is not None:
        if isinstance(source, Accumulator):
            fail(_API, "seeds", "None for an Accumulator source (it has its own bins)", "seeds")
        # every seed's report: the same estimator; only the first carries the intervals
        same: dict[str, Any] = {
            "permutations": permutations,
            "permutation_seed": permutation_seed,
            "base": base,
            "weighting": weighting,
            "n_bins": n_bins,
            "metric": metric,
            "temperature": temperature,
            "num_threads": num_threads,
        }
        first = report(
            source,
            label_sets,
            input_set=input_set,
            output_set=output_set,
            bootstrap=bootstrap,
            confidence=confidence,
            bootstrap_seed=bootstrap_seed,
            interval=interval,
            seed=seed_list[0],
            **same,
        )
        others = [report(source, label_sets, seed=s, **same) for s in seed_list[1:]]
        return with_seed_spread(first, others, seed_list)
    common = {
        "base": b,
        "weighting": str(weighting),
        "input_set": input_set,
        "output_set": output_set,
        "bootstrap": n_res,
        "confidence": conf,
        "bootstrap_seed": boot_seed,
        "interval": method,
        "permutations": n_perm,
        "permutation_seed": perm_seed,
    }

    if isinstance(source, Accumulator):
        for arg, value, default in (
            ("centres", centres, None),
            ("n_bins", n_bins, 100),
            ("metric", metric, "cosine"),
            ("temperature", temperature, "auto"),
            ("seed", seed, 0),
            ("ignore_index", ignore_index, None),
            ("mask", mask, None),
            ("zero_rows", zero_rows, "raise"),
            ("layer_axis", layer_axis, None),
        ):
            if not (value is default or (isinstance(value, type(default)) and value == default)):
                fail(
                    _API,
                    arg,
                    f"left at its default ({default!r}) for an Accumulator source (it has its own bins)",
                    repr(value),
                )
        r_acc = source.bootstrap
        if r_acc == 0 and n_res:
            fail(
                _API,
                "bootstrap",
                "0 for an Accumulator source built without replicates (its rows are gone: "
                "stream into Accumulator(..., bootstrap=R) to keep R resamples, or pass the array z)",
                n_res,
            )
        if r_acc and n_res not in (0, r_acc):
            fail(
                _API, "bootstrap", f"0 or {r_acc} (the replicates this Accumulator streamed)", n_res
            )
        if r_acc and boot_seed not in (0, source.bootstrap_seed):
            fail(
                _API,
                "bootstrap_seed",
                f"0 or {source.bootstrap_seed} (this Accumulator's; its replicates are drawn "
                "already)",
                boot_seed,
            )
        common["bootstrap"], common["bootstrap_seed"] = r_acc, source.bootstrap_seed
        p_acc = source.permutations
        if n_perm not in (0, p_acc):
            fail(
                _API,
                "permutations",
                f"0 or {p_acc} (the permutations this Accumulator streamed: "
                "Accumulator(..., permutations=R) keeps them)",
                n_perm,
            )
        if p_acc and perm_seed not in (0, source.permutation_seed):
            fail(
                _API,
                "permutation_seed",
                f"0 or {source.permutation_seed} (this Accumulator's; its permutations are "
                "drawn already)",
                perm_seed,
            )
        common["permutations"], common["permutation_seed"] = p_acc, source.permutation_seed
        if source.n_rows == 0:
            fail(_API, "source", "an Accumulator with rows (update it with data first)", "0 rows")
        names = _accumulator_label_sets(source, label_sets)
        _check_io_sets(names, input_set, output_set)
        internal = source.internal_shape or ()
        indices: list[tuple[int, ...] | None] = list(np.ndindex(*internal)) if internal else [None]
        hists: list[tuple[str | None, tuple[int, ...] | None, SoftHistogram]] = []
        for name in names or [None]:
            for idx in indices:
                h = source.result("" if name is None else name, index=idx)
                hists.append((name, idx, h))
        rows = _point_rows(hists, b, str(weighting), input_set, output_set)
        if r_acc:
            reps = _accumulator_replicates(source, names, len(indices), b, str(weighting))
            add_intervals(rows, reps, conf, input_set, output_set, method)
        if p_acc and names:
            _add_nulls(rows, source, hists, b, str(weighting))
        _add_context(rows, source.bins)
        return Report(rows, source.bins, internal_shape=tuple(internal), **common)

    if layer_axis is not None:  # one report per layer on shared bins, in one table
        layers, row_shape = split_layers(_API, source, layer_axis)
        bins = make_bins(
            _API,
            as_float_rows(layers[0], _API, "source"),
            int(layers[0].shape[1]),
            centres=centres,
            n_bins=n_bins,
            metric=metric,
            temperature=temperature,
            seed=seed,
        )
        flat = flat_label_sets(_API, label_sets, row_shape)
        mask = flat_labels(_API, mask, row_shape, "mask")
        # every statistics option of this report (common), on the shared bins
        kw = {
            **common,
            "centres": bins.centres,
            "metric": bins.metric,
            "temperature": bins.temperature,
            "ignore_index": ignore_index,
            "mask": mask,
            "zero_rows": zero_rows,
            "num_threads": num_threads,
        }
        parts = [report(layer, flat, **kw).rows for layer in layers]
        n_sets = len(parts[0]) if parts else 0
        rows = [
            dict(parts[li][si], index=(li,)) for si in range(n_sets) for li in range(len(parts))
        ]
        centres_seed = (
            int(seed) if centres is None and isinstance(seed, (int, np.integer)) else None
        )
        return Report(
            rows, bins, centres_seed=centres_seed, internal_shape=(len(layers),), **common
        )

    z = as_float_rows(source, _API, "source")
    n, dim = int(z.shape[0]), int(z.shape[1])
    bad = np.flatnonzero(~np.asarray(finite_rows(z)))
    if bad.size:
        fail(_API, "source", "finite (no NaN/Inf)", f"NaN/Inf in row {int(bad[0])}")
    named = _array_label_sets(label_sets, n)
    z, named = select_label_sets(
        _API, z, named, ignore_index=ignore_index, mask=mask, zero_rows=zero_rows, metric=metric
    )
    names = list(named)
    _check_io_sets(names, input_set, output_set)
    bins = make_bins(
        _API,
        z,
        dim,
        centres=centres,
        n_bins=n_bins,
        metric=metric,
        temperature=temperature,
        seed=seed,
    )
    if n_perm and not names:
        fail(_API, "permutations", "0 without label sets (permutations shuffle labels)", n_perm)
    acc = Accumulator(
        bins,
        label_sets=names or None,
        num_threads=threads or None,
        permutations=n_perm,
        permutation_seed=perm_seed,
    )
    # every label set (and its permutations) in one kernel pass
    acc.update(z, named or None, ignore_index=ignore_index)
    order: list[str | None] = list(names) if names else [None]
    hists = [(name, None, acc.result("" if name is None else name)) for name in order]
    rows = _point_rows(hists, b, str(weighting), input_set, output_set)
    if n_res:
        if ignore_index is not None:  # per-set masks travel as codes (masked rows: -1)
            n = int(z.shape[0])
            named = {
                k: encode_labels(v, n, _API, ignore_index=ignore_index) for k, v in named.items()
            }  # type: ignore[misc]
        reps = _bootstrap_replicates(
            z, named, bins, n_res, boot_seed, threads, b, str(weighting), order
        )
        add_intervals(rows, reps, conf, input_set, output_set, method)
    if n_perm:
        _add_nulls(rows, acc, hists, b, str(weighting))
    _add_context(rows, bins)
    centres_seed = int(seed) if centres is None and isinstance(seed, (int, np.integer)) else None
    return Report(rows, bins, centres_seed=centres_seed, **common)


def _check_seeds(seeds: Any, n_seeds: Any, seed: Any, centres: Any) -> list[Any]:
    """The centre seeds of a seeded report ([seed] when neither is given)."""
    if seeds is not None and n_seeds is not None:
        fail(_API, "n_seeds", "None when seeds are given", n_seeds)
    if seeds is None and n_seeds is None:
        return [seed]
    if centres is not None:
        fail(_API, "seeds", "None when centres are given (seeds draw the centres)", "seeds")
    if n_seeds is not None:
        k = check_int(_API, "n_seeds", n_seeds, lo=1, hi=10_000)
        start = check_seed(_API, "seed", seed)
        return [start + i for i in range(k)]
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence) or not seeds:
        fail(_API, "seeds", "a non-empty sequence of ints", repr(seeds), TypeError)
    out = [check_seed(_API, "seeds", s) for s in seeds]
    if len(set(out)) != len(out):
        fail(_API, "seeds", "distinct seeds", out)
    return out


def _add_context(rows: list[dict[str, Any]], bins: Bins) -> None:
    """Every row names what makes it comparable: the estimator, B, T, D (N is n_rows)."""
    for row in rows:
        row["estimator"] = ESTIMATOR
        row["n_bins"] = int(bins.n_bins)
        row["temperature"] = float(bins.temperature)
        row["dim"] = int(bins.dim)


def _add_nulls(
    rows: list[dict[str, Any]],
    acc: Accumulator,
    hists: list[tuple[str | None, tuple[int, ...] | None, SoftHistogram]],
    base: float,
    weighting: str,
) -> None:
    """The permutation-null columns of every label row (:meth:`Accumulator.permutation_test`)."""
    for row, (name, index, _) in zip(rows, hists, strict=True):
        if name is None:
            continue
        res: PermutationResult = acc.permutation_test(
            name,
            index=index,
            base=base,
            weighting=weighting,  # type: ignore[arg-type]
        )
        row["mi_null_mean"] = res.null_mean
        row["mi_null_std"] = res.null_std
        row["mi_null_q95"] = res.null_quantile(0.95)
        row["mi_pvalue"] = res.pvalue
        row["mi_corrected"] = res.corrected


def with_seed_spread(first: Report, others: list[Report], seeds: list[Any]) -> Report:
    """``first`` with ``<key>_seed_mean`` / ``_seed_sd`` over the reports of every seed."""
    rows = [dict(row) for row in first.rows]
    for j, row in enumerate(rows):
        for k in _SEED_KEYS:
            if row.get(k) is None:
                continue
            vals = [row[k]] + [o.rows[j].get(k) for o in others]
            row[f"{k}_seed_mean"], row[f"{k}_seed_sd"] = mean_and_spread(
                [math.nan if v is None else v for v in vals]
            )
    return dataclasses.replace(first, rows=rows, seeds=tuple(int(s) for s in seeds))
