"""``softent analyze``: stream an activation file through :class:`softent.Accumulator` and
report every measure (:func:`softent.report`) per array (and per layer of [N, L, D] arrays).

Memory is bounded by the chunk, not by N: rows are read ``chunk_rows`` at a time (views of
a memory map where the format allows, see :mod:`softent._files`) and only the float64
histograms are kept (B floats per label value and label set). Labels are held in memory
(one value per row).

Bins are fixed before the stream starts, so that every chunk is binned identically:

- cosine / dot: ``spherical_bins(n_bins, D, seed)``, as the batch API;
- euclidean / sqeuclidean: uniform in the data's per-dimension [min, max] box, drawn
  exactly as ``box_bins(z, n_bins, seed)``; the box comes from a first chunked pass over
  the file (so the file is read twice). ``--centres FILE.npy`` skips that pass.

``--estimator knn`` (:func:`analyze_file_knn`) reads the same files and label sets but
estimates I(Z; L) per label set with the joint kNN estimator of :mod:`softent.knn` (Ross
2014, euclidean by default), which needs all rows in memory at once (it is not a sum over
rows): the rows are read chunk by chunk into one float32/float64 array.

A bootstrap (``bootstrap`` = R) is streamed too, in the same kernel pass: the accumulators
keep R Poisson-bootstrap replicates (``Accumulator(bootstrap=R, bootstrap_seed=s)``) whose
weights depend on (seed, stream position, replicate), so the intervals are those of
``softent.report(z, ..., bootstrap=R)`` on the (finite) rows of the whole array.

Permutations (``permutations`` = R) are streamed the same way
(``Accumulator(permutations=R, permutation_seed=s)``): each chunk's labels are permuted
within the chunk (a permutation test stratified by chunk; one chunk holding every row is
``softent.report(z, ..., permutations=R)``), giving the report's null columns. Several
bin-centre seeds (``seeds``) stream every chunk into one accumulator per seed (one read of
the file) and add the report's seed mean and spread columns, as ``softent.report(z, ...,
seeds=[...])``: the first seed's accumulator keeps the bootstrap replicates, every seed's
the permutations.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import _progress
from .._interop import to_host_rows
from ..soft.accumulator import Accumulator
from ..soft.report import with_seed_spread
from .files import ArraySource, InputError, LabelSet, open_activations, read_labels

#: default chunk size: about this many bytes of activations per chunk
CHUNK_BYTES = 32 << 20
#: at most this many rows of a 2-D input are kept for its scatter plot
SCATTER_ROWS = 5000


@dataclass
class AnalyzeOptions:
    """Settings of one ``softent analyze`` run (the CLI's options)."""

    n_bins: int = 100
    metric: str = "cosine"
    temperature: float | str = "auto"
    seed: int = 0
    centres: Path | None = None
    chunk_rows: int | None = None
    bootstrap: int = 0
    bootstrap_seed: int = 0
    confidence: float = 0.95
    base: float = math.e
    weighting: str = "weighted"
    input_set: str | None = None
    output_set: str | None = None
    drop_nonfinite: bool = False
    num_threads: int | None = None
    progress: bool | None = None  # None: when stderr is a terminal
    ignore_index: int | str | None = None
    zero_rows: str = "raise"
    layer_axis: int | None = None
    permutations: int = 0
    permutation_seed: int = 0
    interval: str = "basic"
    seeds: list[int] | None = None  # bin-centre seeds (None: ``seed`` alone)


@dataclass
class ArrayResult:
    """The analysis of one array (or one layer of an [N, L, D] array)."""

    name: str
    source: ArraySource
    layer: int | None
    accumulator: Accumulator
    report: Any  # softent.Report
    scatter: tuple[np.ndarray, dict[str, np.ndarray]] | None = None
    plots: list[str] = field(default_factory=list)
    n_zero_dropped: int = 0  # all-zero rows left out by --zero-rows drop

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "array": self.source.name,
            "layer": self.layer,
            "shape": list(self.source.shape),
            "dtype": self.source.dtype,
            "n_rows": self.accumulator.n_rows,
            "n_dropped": self.accumulator.n_dropped,
            "n_zero_rows_dropped": self.n_zero_dropped,
            "report": self.report.to_dict(),
            "plots": list(self.plots),
        }


@contextmanager
def progress_bar(enabled: bool | None, total: int, desc: str) -> Iterator[Any]:
    """The bar of one pass over a file (:func:`softent._progress.progress`, erased when
    done); ``--progress`` without tqdm is a one-line CLI error."""
    try:
        bar = _progress.progress_bar(enabled, total, desc=desc, leave=False)
    except RuntimeError as exc:
        raise InputError(f"--progress needs tqdm ({_progress.INSTALL_HINT})") from exc
    try:
        yield bar
    finally:
        bar.close()


def default_chunk_rows(source: ArraySource) -> int:
    return int(max(256, min(65536, CHUNK_BYTES // max(source.row_bytes, 1))))


def load_label_sets(specs: Sequence[str]) -> list[LabelSet]:
    sets: list[LabelSet] = []
    for spec in specs:
        for ls in read_labels(spec):
            if any(s.name == ls.name for s in sets):
                raise InputError(
                    f"--labels: two label sets are named {ls.name!r}; name them with NAME=FILE"
                )
            sets.append(ls)
    return sets


def as_layer_rows(source: ArraySource, layer_axis: int | None, path: Path) -> ArraySource:
    """``source`` as [N, D] or [N, L, D] (rows first, the layers on axis 1): a layer
    stack whose layers run along ``layer_axis`` ([L, N, D] or [L, B, T, D] with 0) is read
    whole and rearranged (rows are the other axes but the last, flattened in C order, as
    :func:`softent.information` does with ``layer_axis``); [N, L, D] with axis 1 streams."""
    nd = len(source.shape)
    if layer_axis is None:
        return source
    if not -nd <= layer_axis < nd or layer_axis % nd == nd - 1:
        raise InputError(
            f"--layer-axis {layer_axis}: array {source.name!r} of {path} has shape "
            f"{list(source.shape)}; the layer axis must be one of its axes but the last "
            f"(the features): 0..{nd - 2}"
        )
    axis = layer_axis % nd
    if nd == 3 and axis == 1:
        return source
    whole = np.concatenate([to_host_rows(c) for c in source.chunks(max(1, source.n_rows))])
    stacked = np.moveaxis(whole, axis, -2)  # [..rows.., L, D]
    arr = np.ascontiguousarray(stacked.reshape(-1, *stacked.shape[-2:]))

    def chunks(rows: int) -> Iterator[np.ndarray]:
        for i in range(0, arr.shape[0], rows):
            yield arr[i : i + rows]

    return ArraySource(source.name, tuple(arr.shape), source.dtype, chunks)


def _layers(source: ArraySource) -> list[int | None]:
    return [None] if len(source.shape) == 2 else list(range(source.shape[1]))


def _rows_of(chunk: Any, layer: int | None) -> Any:
    return chunk if layer is None else chunk[:, layer]


def _box(
    source: ArraySource, rows: int, opts: AnalyzeOptions, path: Path
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per layer (lo [D], hi [D]) float64 of the finite rows: the first pass of Euclidean bins."""
    layers = _layers(source)
    d = source.shape[-1]
    lo = [np.full(d, np.inf) for _ in layers]
    hi = [np.full(d, -np.inf) for _ in layers]
    with progress_bar(opts.progress, source.n_rows, f"{source.name}: box") as bar:
        start = 0
        for chunk in source.chunks(rows):
            c = to_host_rows(chunk)
            for j, layer in enumerate(layers):
                r = np.asarray(_rows_of(c, layer), dtype=np.float64)
                ok = np.isfinite(r).all(axis=1)
                if not ok.all():
                    if not opts.drop_nonfinite:
                        raise InputError(
                            _nonfinite_message(path, source, start + int(np.argmin(ok)), layer)
                        )
                    r = r[ok]
                if r.shape[0]:
                    np.minimum(lo[j], r.min(axis=0), out=lo[j])
                    np.maximum(hi[j], r.max(axis=0), out=hi[j])
            start += c.shape[0]
            bar.update(c.shape[0])
    for j in range(len(layers)):
        if not np.isfinite(lo[j]).all():
            raise InputError(f"{path}: array {source.name!r} has no finite rows")
    return list(zip(lo, hi, strict=True))


def _nonfinite_message(path: Path, source: ArraySource, row: int, layer: int | None) -> str:
    where = f"row {row}" if layer is None else f"row {row}, layer {layer}"
    return f"{path}: array {source.name!r} has NaN/Inf in {where}; pass --drop-nonfinite to leave such rows out"


def _accumulators(
    source: ArraySource,
    opts: AnalyzeOptions,
    names: list[str],
    boxes: list[tuple[np.ndarray, np.ndarray]] | None,
    seed: int,
    replicates: bool,
) -> list[Accumulator]:
    """One accumulator per layer on the bins of ``seed`` (``boxes``: the Euclidean metrics'
    per-layer data box, from :func:`_box`); with the bootstrap replicates when
    ``replicates`` (the first seed's), with the permutations always."""
    d = int(source.shape[-1])
    common: dict[str, Any] = {
        "metric": opts.metric,
        "temperature": opts.temperature,
        "label_sets": names or None,
        "num_threads": opts.num_threads,
        "bootstrap": opts.bootstrap if replicates else 0,
        "bootstrap_seed": opts.bootstrap_seed,
        "permutations": opts.permutations,
        "permutation_seed": opts.permutation_seed,
    }
    layers = _layers(source)
    if opts.centres is not None:
        try:
            c = np.load(opts.centres, allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise InputError(f"--centres {opts.centres}: not a readable .npy file ({exc})") from exc
        if c.ndim != 2 or c.shape[1] != d:
            raise InputError(
                f"--centres {opts.centres}: centres must be [B, D] with D={d} (array {source.name!r}), "
                f"got shape {c.shape}"
            )
        return [Accumulator(c, **common) for _ in layers]
    if boxes is not None:
        return [Accumulator(n_bins=opts.n_bins, box=box, seed=seed, **common) for box in boxes]
    acc = Accumulator(n_bins=opts.n_bins, dim=d, seed=seed, **common)
    # Spherical bins do not depend on the data: every layer shares them (copies: own state).
    return [acc] + [acc.copy() for _ in layers[1:]]


def _check_bootstrap_size(label_sets: list[LabelSet], opts: AnalyzeOptions, n_bins: int) -> None:
    """Refuse --bootstrap R whose replicate histograms (R x label values x B float64 per
    layer) would not fit in memory, before streaming anything."""
    from ..soft.bootstrap import MAX_BOOTSTRAP_BYTES

    n_hist = 1
    for ls in label_sets:
        v = np.asarray(ls.values)
        n_hist += len(np.unique(v[v != -1] if v.dtype.kind in "iu" else v))
    if (1 + opts.bootstrap) * n_hist * n_bins * 8 > MAX_BOOTSTRAP_BYTES:
        raise InputError(
            f"--bootstrap {opts.bootstrap}: the replicate histograms ({opts.bootstrap} x {n_hist} label "
            f"rows x {n_bins} bins) would not fit in {MAX_BOOTSTRAP_BYTES >> 30} GiB; use fewer "
            "resamples"
        )


def _check_label_rows(sources: Sequence[Any], label_sets: Sequence[Any], path: Any) -> None:
    """Every label set has one label per row of every array of the file."""
    for source in sources:
        for ls in label_sets:
            if ls.values.shape[0] != source.n_rows:
                hint = " after its header row" if ls.header_rows else ""
                raise InputError(
                    f"--labels {ls.path}: {ls.values.shape[0]} labels{hint} for the {source.n_rows} rows "
                    f"of array {source.name!r} in {path} (one label per row is needed)"
                )


def analyze_file(
    path: Path, label_specs: Sequence[str], key: str | None, opts: AnalyzeOptions, log: Any = None
) -> tuple[list[ArrayResult], list[str], list[LabelSet]]:
    """Analyse every usable array of ``path`` (or the one named ``key``).

    Returns (results, skipped array descriptions, label sets).
    """
    import softent

    sources, skipped = open_activations(path, key, opts.layer_axis)
    sources = [as_layer_rows(s, opts.layer_axis, path) for s in sources]
    label_sets = load_label_sets(label_specs)
    names = [ls.name for ls in label_sets]
    for arg, value in (("--input-set", opts.input_set), ("--output-set", opts.output_set)):
        if value is not None and value not in names:
            raise InputError(
                f"{arg} {value!r} is not one of the label sets ({', '.join(names) or 'none given'})"
            )
    if (opts.input_set is None) != (opts.output_set is None):
        raise InputError(
            "--input-set and --output-set go together (optimality = I(output;Z) / I(input;Z))"
        )
    _check_label_rows(sources, label_sets, path)
    results: list[ArrayResult] = []
    for source in sources:
        rows = opts.chunk_rows or default_chunk_rows(source)
        layers = _layers(source)
        seeds = opts.seeds or [opts.seed]
        boxes = None
        if opts.centres is None and opts.metric in ("euclidean", "sqeuclidean"):
            boxes = _box(source, rows, opts, path)  # one first pass for every seed
        by_seed = [
            _accumulators(source, opts, names, boxes, s, replicates=i == 0)
            for i, s in enumerate(seeds)
        ]
        accs = by_seed[0]
        if opts.bootstrap:
            _check_bootstrap_size(label_sets, opts, accs[0].bins.n_bins)
        want_scatter = len(source.shape) == 2 and source.shape[1] == 2
        stride = max(1, math.ceil(source.n_rows / SCATTER_ROWS))
        kept: list[np.ndarray] = []
        kept_labels: dict[str, list[np.ndarray]] = {n: [] for n in names}
        t0 = time.perf_counter()
        zero_dropped = [0] * len(layers)
        with progress_bar(opts.progress, source.n_rows, source.name) as bar:
            start = 0
            for chunk in source.chunks(rows):
                n = int(chunk.shape[0])
                labels = {ls.name: np.asarray(ls.values[start : start + n]) for ls in label_sets}
                for j, layer in enumerate(layers):
                    z = _rows_of(chunk, layer)
                    z, lab, n_zero = _zero_rows(z, labels, opts, path, source, start, layer)
                    zero_dropped[j] += n_zero
                    try:
                        for seed_accs in by_seed:  # the chunk is read once for every seed
                            seed_accs[j].update(
                                z,
                                lab or None,
                                ignore_index=opts.ignore_index,
                                nonfinite="drop" if opts.drop_nonfinite else "raise",
                            )
                    except ValueError as exc:
                        bad = _first_nonfinite(z)
                        if bad is not None:
                            raise InputError(
                                _nonfinite_message(path, source, start + bad, layer)
                            ) from exc
                        raise
                if want_scatter:
                    first = (-start) % stride  # rows start + first, + stride, ... (a global stride)
                    c = to_host_rows(chunk)
                    kept.append(np.array(c[first::stride], dtype=np.float64))
                    for nm in names:
                        kept_labels[nm].append(labels[nm][first::stride])
                start += n
                bar.update(n)
        seconds = time.perf_counter() - t0
        for j, layer in enumerate(layers):
            acc = accs[j]
            if acc.n_rows == 0:
                raise InputError(f"{path}: array {source.name!r} has no finite rows")
            use = [n for n in names if int(acc.counts(n).sum()) > 0]
            unlabeled = [n for n in names if n not in use]
            if unlabeled:
                raise InputError(
                    f"--labels: label set(s) {', '.join(map(repr, unlabeled))} mask every row "
                    f"(--ignore-index {opts.ignore_index}) of array {source.name!r}"
                )
            same = {
                "input_set": opts.input_set,
                "output_set": opts.output_set,
                "base": opts.base,
                "weighting": opts.weighting,
                "num_threads": opts.num_threads,
            }
            rep = softent.report(
                acc, use or None, confidence=opts.confidence, interval=opts.interval, **same
            )
            if opts.seeds:  # every seed's numbers, as softent.report(z, ..., seeds=...)
                others = [softent.report(a[j], use or None, **same) for a in by_seed[1:]]
                rep = with_seed_spread(rep, others, seeds)
            if opts.centres is None:  # the bins were generated from the seed: record it
                rep = dataclasses.replace(rep, centres_seed=seeds[0])
            name = source.name if layer is None else f"{source.name}[{layer}]"
            scatter = None
            if want_scatter and kept:
                scatter = (
                    np.concatenate(kept),
                    {n: np.concatenate(v) for n, v in kept_labels.items()},
                )
            results.append(
                ArrayResult(name, source, layer, acc, rep, scatter, n_zero_dropped=zero_dropped[j])
            )
        if log is not None:
            log(
                f"{source.name}: {source.n_rows:,} rows x {list(source.shape[1:])} streamed in {seconds:.2f} s "
                f"({rows:,}-row chunks)"
            )
    return results, skipped, label_sets


def _zero_rows(
    z: Any,
    labels: dict[str, np.ndarray],
    opts: AnalyzeOptions,
    path: Path,
    source: ArraySource,
    start: int,
    layer: int | None,
) -> tuple[Any, dict[str, np.ndarray], int]:
    """The chunk's rows and labels after the --zero-rows policy (cosine bins only: a zero
    vector has no direction), and how many rows it left out. 'raise' names the file row;
    'drop' leaves them out (counted in the report: ``n_zero_rows_dropped``); 'uniform'
    keeps them."""
    if opts.metric != "cosine" or opts.zero_rows == "uniform":
        return z, labels, 0
    from ..soft._kernel import zero_rows_of

    zero = zero_rows_of(to_host_rows(z))
    if not zero.any():
        return z, labels, 0
    if opts.zero_rows == "raise":
        where = f"row {start + int(np.argmax(zero))}"
        where += "" if layer is None else f", layer {layer}"
        raise InputError(
            f"{path}: array {source.name!r} has an all-zero row ({where}) under cosine bins (a "
            "zero vector has no direction); pass --zero-rows drop to leave such rows out or "
            "--zero-rows uniform to give them the uniform assignment 1/B"
        )
    keep = ~zero
    return to_host_rows(z)[keep], {k: v[keep] for k, v in labels.items()}, int(zero.sum())


def _first_nonfinite(z: Any) -> int | None:
    ok = np.isfinite(to_host_rows(z)).reshape(z.shape[0], -1).all(axis=1)
    return None if ok.all() else int(np.argmin(ok))


def write_plots(results: list[ArrayResult], out: Path, max_labels: int = 12) -> list[str]:
    """Bin-occupancy bars per array and label set, and the scatter of 2-D inputs, as PNGs
    in ``out``. Returns the file names written."""
    from .. import plots

    written: list[str] = []
    for r in results:
        stem = _safe(r.name)
        label_sets = [s for s in r.accumulator.label_sets if int(r.accumulator.counts(s).sum()) > 0]
        for s in label_sets or [None]:
            fname = f"occupancy_{stem}.png" if s is None else f"occupancy_{stem}_{_safe(s)}.png"
            plots.bin_occupancy(
                r.accumulator.result("" if s is None else s),
                max_labels=max_labels,
                title=f"{r.name}: bin occupancy" + ("" if s is None else f" by {s}"),
                path=out / fname,
            )
            r.plots.append(fname)
            written.append(fname)
        if r.scatter is not None:
            z2, labs = r.scatter
            first = label_sets[0] if label_sets else None
            fname = f"scatter_{stem}.png"
            plots.scatter_2d(
                z2,
                r.accumulator.result("" if first is None else first),
                labels=None if first is None else labs[first],
                path=out / fname,
                title=f"{r.name}: data and bins",
            )
            r.plots.append(fname)
            written.append(fname)
    return written


def layer_summary(results: list[ArrayResult]) -> dict[str, list[dict[str, Any]]]:
    """{array: [one row per layer: layer, rows, H, and I(Z;s) per label set, with
    permutations also I-E[null](Z;s) and p(Z;s), with several centre seeds I-seeds-sd(Z;s)]}
    for the arrays with layers (the layers x label-sets summary; report rows without an
    index)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        if r.layer is None:
            continue
        row: dict[str, Any] = {"layer": r.layer, "rows": r.accumulator.n_rows}
        for rep_row in r.report.rows:
            if rep_row.get("label_set") is None:
                row["H"] = rep_row["entropy"]
            else:
                row.setdefault("H", rep_row["entropy"])
                name = rep_row["label_set"]
                row[f"I(Z;{name})"] = rep_row["mutual_information"]
                # the statistics the report carries, so that layers compare in context
                if "mi_corrected" in rep_row:
                    row[f"I-E[null](Z;{name})"] = rep_row["mi_corrected"]
                    row[f"p(Z;{name})"] = rep_row["mi_pvalue"]
                if "mutual_information_seed_sd" in rep_row:
                    row[f"I-seeds-sd(Z;{name})"] = rep_row["mutual_information_seed_sd"]
        out.setdefault(r.source.name, []).append(row)
    return out


def format_layer_summary(name: str, rows: list[dict[str, Any]], units: str) -> str:
    """A fixed-width layers x label-sets table of :func:`layer_summary` rows."""
    cols = list(dict.fromkeys(k for row in rows for k in row))
    text = [
        [str(row.get(c, "")) if c in ("layer", "rows") else _num(row.get(c)) for c in cols]
        for row in rows
    ]
    widths = [max(len(c), *(len(t[i]) for t in text)) for i, c in enumerate(cols)]
    lines = [
        f"== {name}: layers x label sets (H and I in {units}) ==",
        "  ".join(c.rjust(w) for c, w in zip(cols, widths, strict=True)),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(t.rjust(w) for t, w in zip(row, widths, strict=True)) for row in text]
    return "\n".join(lines)


def _num(v: Any) -> str:
    if v is None:
        return "-"
    text = f"{float(v):.4f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text  # never '-0.0000'


def write_layer_curves(results: list[ArrayResult], out: Path, units: str) -> list[str]:
    """One PNG per array with layers: H and I(Z;s) of every label set against the layer
    (:func:`softent.plots.layer_curves`, one line per array)."""
    from .. import plots

    written = []
    for name, rows in layer_summary(results).items():
        if len(rows) < 2:
            continue
        history = [{**row, "step": row["layer"], "layer": name} for row in rows]
        fname = f"layers_{_safe(name)}.png"
        plots.layer_curves(
            history,
            unit=units,
            x_label="layer",
            legend_title="array",
            title=f"{name}: information across layers",
            path=out / fname,
        )
        written.append(fname)
    return written


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)


# ----------------------------------------------------------------------------- --estimator knn
@dataclass
class KnnOptions:
    """Settings of ``softent analyze --estimator knn``."""

    k: int = 3
    metric: str = "euclidean"
    base: float = math.e
    permutations: int = 0
    seed: int = 0
    chunk_rows: int | None = None
    drop_nonfinite: bool = False
    num_threads: int | None = None


@dataclass
class KnnArrayResult:
    """The kNN analysis of one array (or layer): one estimate per label set."""

    name: str
    source: ArraySource
    layer: int | None
    n_rows: int
    n_dropped: int
    estimates: dict[str, Any]  # label set -> softent.knn.KnnInformation
    tests: dict[str, Any]  # label set -> softent.knn.PermutationTest (permutations > 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "array": self.source.name,
            "layer": self.layer,
            "shape": list(self.source.shape),
            "dtype": self.source.dtype,
            "n_rows": self.n_rows,
            "n_dropped": self.n_dropped,
            "knn": {
                name: {
                    **est.as_dict(),
                    **(
                        {
                            "p_value": self.tests[name].p_value,
                            "permutations": self.tests[name].n_permutations,
                        }
                        if name in self.tests
                        else {}
                    ),
                }
                for name, est in self.estimates.items()
            },
        }

    def format_table(self) -> str:
        unit = {math.e: "nats", 2.0: "bits"}
        lines = [f"{'label set':<20} {'I(Z;L)':>10}  estimator"]
        for name, est in self.estimates.items():
            p = f", p = {self.tests[name].p_value:.3g}" if name in self.tests else ""
            lines.append(
                f"{name:<20} {_num(est.value):>10}  {unit.get(est.base, 'units')}, {est.estimator}, "
                f"k={est.k}, {est.metric}, N={est.n}, {est.n_labels} labels{p}"
            )
        return "\n".join(lines)


def _whole(source: ArraySource, rows: int, layer: int | None) -> np.ndarray:
    """Every row of the array (or layer) in memory, as float32 (float64 stays float64)."""
    dtype = np.float64 if source.dtype == "float64" else np.float32
    width = int(np.prod(source.shape[2:] if layer is not None else source.shape[1:]))
    out = np.empty((source.n_rows, width), dtype=dtype)
    start = 0
    for chunk in source.chunks(rows):
        part = to_host_rows(_rows_of(chunk, layer))
        n = int(part.shape[0])
        out[start : start + n] = np.asarray(part, dtype=dtype).reshape(n, width)
        start += n
    return out


def analyze_file_knn(
    path: Path, label_specs: Sequence[str], key: str | None, opts: KnnOptions, log: Any = None
) -> tuple[list[KnnArrayResult], list[str], list[LabelSet]]:
    """``softent analyze --estimator knn``: I(Z; L) of every usable array of ``path`` (or
    the one named ``key``; each layer of [N, L, D] arrays) with every label set, by
    :func:`softent.knn.information` (joint over all columns; Ross for the labels).

    Returns (results, skipped array descriptions, label sets).
    """
    from .. import knn

    sources, skipped = open_activations(path, key)
    label_sets = load_label_sets(label_specs)
    if not label_sets:
        raise InputError("--estimator knn needs --labels: it estimates I(Z; L) per label set")
    _check_label_rows(sources, label_sets, path)
    results: list[KnnArrayResult] = []
    for source in sources:
        rows = opts.chunk_rows or default_chunk_rows(source)
        for layer in _layers(source):
            t0 = time.perf_counter()
            z = _whole(source, rows, layer)
            ok = np.isfinite(z).all(axis=1)
            if not ok.all():
                if not opts.drop_nonfinite:
                    raise InputError(_nonfinite_message(path, source, int(np.argmin(ok)), layer))
                z = z[ok]
            if z.shape[0] < 2:
                raise InputError(f"{path}: array {source.name!r} has fewer than 2 finite rows")
            estimates: dict[str, Any] = {}
            tests: dict[str, Any] = {}
            for ls in label_sets:
                labels = np.asarray(ls.values)[ok]
                estimates[ls.name] = knn.information(
                    z,
                    labels,
                    k=opts.k,
                    metric=opts.metric,
                    base=opts.base,
                    discrete_y=True,
                    num_threads=opts.num_threads,
                )
                if opts.permutations:
                    tests[ls.name] = knn.permutation_test(
                        z,
                        labels,
                        n_permutations=opts.permutations,
                        seed=opts.seed,
                        k=opts.k,
                        metric=opts.metric,
                        base=opts.base,
                        discrete_y=True,
                        num_threads=opts.num_threads,
                    )
            name = source.name if layer is None else f"{source.name}[{layer}]"
            results.append(
                KnnArrayResult(
                    name, source, layer, int(z.shape[0]), int((~ok).sum()), estimates, tests
                )
            )
            if log is not None:
                log(
                    f"{name}: {z.shape[0]:,} rows x {z.shape[1]} columns, kNN in {time.perf_counter() - t0:.2f} s"
                )
    return results, skipped, label_sets
