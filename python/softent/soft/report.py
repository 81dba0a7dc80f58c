"""``softent.report``: every measure of :mod:`softent.measures` for every label set, in one
call, as a tidy table (text, pandas) and as JSON-able dicts, with optional bootstrap
confidence intervals.

For an array ``z`` all label sets are accumulated in one fused kernel pass (a
:class:`softent.Accumulator` on the bins the batch API would use for ``z``); an
Accumulator that was streamed is reported as it stands, with intervals from its own
bootstrap replicates when it keeps them (``Accumulator(..., bootstrap=R)``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .._checks import (
    Weighting,
    check_base,
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
from .._stats import percentile_interval
from ._kernel import ZeroRows, finite_rows
from .accumulator import DEFAULT_LABEL_SET, Accumulator
from .bins import Bins, Metric, Seed, make_bins
from .bootstrap import iter_poisson_bootstrap
from .estimators import select_label_sets
from .histogram import SoftHistogram
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
}
#: information quantities (units of ``base``); every other measure is a unitless ratio
_UNIT_KEYS = (
    "entropy",
    "conditional_entropy",
    "mutual_information",
    "label_entropy",
    "disentanglement",
)


def _units(base: float) -> str:
    if base == math.e:
        return "nats"
    if base == 2:
        return "bits"
    if base == 10:
        return "hartleys"
    return f"log base {base:g}"


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
    for each of those numbers. H, I and disentanglement are in units of ``base``; the rest
    are unitless ratios (:mod:`softent.measures`). NaN marks an undefined value, None a
    measure that does not apply (label measures of the unlabelled row, when there is no
    label set).
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
            },
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

        lines_per_row = []
        for row in self.rows:
            top = [
                "(all rows)" if k == "label_set" and row[k] is None else cell(row.get(k))
                for k in keys
            ]
            bottom = [
                "[" + ", ".join(cell(x) for x in row[f"{k}_ci"]) + "]" if f"{k}_ci" in row else ""
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
        if self.bootstrap:
            head.append(
                f"[lo, hi]: {self.confidence:.0%} percentile intervals over {self.bootstrap} "
                f"Poisson bootstrap resamples of the rows (seed {self.bootstrap_seed})"
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
        return (
            f"Report(label_sets={sets}, units={self.units!r}, "
            f"n_bins={self.bins.n_bins}, metric={self.bins.metric!r}, bootstrap={self.bootstrap})"
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
) -> None:
    """Add ``<key>_ci`` = [lo, hi] percentile intervals, ``<key>_se`` (the replicates'
    standard deviation) and ``<key>_bias`` (their mean minus the estimate) to ``rows`` from
    per-replicate values (``replicates[r][j]`` = the measures of row j in replicate r).

    Plug-in information estimates are biased upward on finite samples and a resample is
    biased further, so for a label unrelated to z the interval of I(Z;L) can lie above the
    estimate; ``_bias`` shows by how much (estimate - bias is the bias-corrected value)."""
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
            row[f"{k}_ci"] = list(percentile_interval(vals, confidence))
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
        bootstrap: R > 0 adds ``<key>_ci`` = [lo, hi] to every number: percentile
            intervals over R Poisson(1) bootstrap resamples of the rows, binned on the same
            centres (one fused kernel pass computes every replicate). An Accumulator no
            longer has its rows: it is reported with intervals when it was built with
            ``bootstrap=R`` (its streamed replicates; pass 0 or that R here), and
            ``bootstrap > 0`` is refused for one built without.
        confidence: coverage of the intervals (default 0.95).
        bootstrap_seed: seed of the resampling weights (they depend only on the seed, the
            row index and the replicate). For an Accumulator: 0 or its own
            ``bootstrap_seed`` (its replicates are drawn already; after merges they hold
            every worker's resamples and the report records this accumulator's seed).
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
    common = {
        "base": b,
        "weighting": str(weighting),
        "input_set": input_set,
        "output_set": output_set,
        "bootstrap": n_res,
        "confidence": conf,
        "bootstrap_seed": boot_seed,
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
            add_intervals(rows, reps, conf, input_set, output_set)
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
        kw = {
            "input_set": input_set,
            "output_set": output_set,
            "bootstrap": n_res,
            "confidence": conf,
            "bootstrap_seed": boot_seed,
            "base": b,
            "weighting": weighting,
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
    acc = Accumulator(bins, label_sets=names or None, num_threads=threads or None)
    acc.update(z, named or None, ignore_index=ignore_index)  # every set in one kernel pass
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
        add_intervals(rows, reps, conf, input_set, output_set)
    centres_seed = int(seed) if centres is None and isinstance(seed, (int, np.integer)) else None
    return Report(rows, bins, centres_seed=centres_seed, **common)
