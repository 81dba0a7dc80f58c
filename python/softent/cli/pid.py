"""``softent pid``: the partial information decomposition of the label's information in
chosen neurons of a layer (:func:`softent.pid.layer_complexity`), from the activation and
label files ``softent analyze`` reads (the same loaders, :mod:`softent.cli.files`).

Only the chosen columns are kept: the array is read in row chunks (memory-mapped where
the format allows) and each chunk's chosen columns copied out, so memory is N x (chosen
neurons) floats whatever D is. Label files follow ``softent analyze``: integer labels or
strings, every value a class; ``--ignore-index VALUE`` leaves the rows with that label out.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import shlex
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

PID_HELP = """\
Partial information decomposition (SxPID, as nninfo computes it) of the information the
chosen neurons of a layer carry about the labels: each neuron is quantised to --levels
levels between --limits (nninfo's rounding), the plug-in pmf of (neurons..., label) is
decomposed, and the atoms are printed with the representational complexity C, I(T:S) and
the degrees of redundancy r̄ and vulnerability v̄.

Every float array of the file is analysed ([N, D]; each layer of an [N, L, D] array), or
the one named by --key (and --layer). A layer with more than 5 neurons needs --neurons.

examples:
  softent pid acts.npy --labels y.npy --neurons 0,1,2,3 --levels 8 --bits
  softent pid layers.npz --key fc3 --labels y.txt --neurons 0+1,2,3 --json
  softent pid acts.pt --labels y.npy --limits=-2,2 --neurons 4,5,6
"""


def _neurons(text: str) -> list[Any]:
    """'0,1,2' -> [0, 1, 2]; '0+1,2' -> [[0, 1], 2] (a source of several neurons)."""
    out: list[Any] = []
    for part in text.split(","):
        items = part.strip().split("+")
        try:
            cols = [int(i) for i in items]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be comma-separated neuron indices, '+' joining the neurons of one "
                f"source (e.g. 0,1,2 or 0+1,2), got {text!r}"
            ) from None
        out.append(cols[0] if len(cols) == 1 else cols)
    return out


def _limits(text: str) -> str | tuple[float, float]:
    from ..pid.layer import NAMED_LIMITS

    if text in (*NAMED_LIMITS, "data"):
        return text
    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be one of {', '.join([*NAMED_LIMITS, 'data'])} or LO,HI "
            f"(write --limits=-1,1 for a negative LO), got {text!r}"
        ) from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise argparse.ArgumentTypeError(f"LO,HI must be finite with LO < HI, got {text!r}")
    return lo, hi


def _base(text: str) -> float:
    if text == "e":
        return math.e
    try:
        b = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number > 1 or 'e', got {text!r}") from None
    if not (math.isfinite(b) and b > 1):
        raise argparse.ArgumentTypeError(f"must be a number > 1 or 'e', got {text!r}")
    return b


def _ignore_value(text: str) -> int | str:
    from .files import label_value

    return label_value(text)


def add_parser(sub: Any, formatter: Any) -> argparse.ArgumentParser:
    """The ``pid`` subcommand of the ``softent`` parser."""
    from ..pid.decompose import MEASURES
    from ..pid.layer import QUANTISERS

    p = sub.add_parser(
        "pid",
        help="PID and representational complexity of chosen neurons (SxPID, as nninfo)",
        formatter_class=formatter,
        description=PID_HELP,
    )
    p.add_argument(
        "activations",
        metavar="ACTIVATIONS",
        type=Path,
        help="[N, D] activations (or [N, L, D]: L layers) in a .npy, .npz, .pt or .safetensors file",
    )
    p.add_argument(
        "--labels",
        metavar="[NAME=]FILE",
        required=True,
        help="the target: one label per row, .npy, .txt or .csv (as softent analyze)",
    )
    p.add_argument(
        "--ignore-index",
        type=_ignore_value,
        default=None,
        metavar="VALUE",
        help="a label value whose rows are left out (e.g. -1 or -100); default: none, every "
        "value is a class",
    )
    p.add_argument(
        "--target",
        metavar="NAME",
        help="the label set of a .csv with several columns (default: its only one)",
    )
    p.add_argument("--key", help="only this array of a .npz/.pt/.safetensors file")
    p.add_argument(
        "--layer", type=int, default=None, help="only this layer of an [N, L, D] array (0-based)"
    )
    p.add_argument(
        "--neurons",
        type=_neurons,
        default=None,
        help="the sources: 0-based columns, e.g. 0,1,2,3 (one neuron per source) or 0+1,2 "
        "(a source of two neurons); default every column of a layer of at most 5",
    )
    p.add_argument("--levels", type=int, default=8, help="quantisation levels L (bins) (default 8)")
    p.add_argument(
        "--limits",
        type=_limits,
        default=None,
        help="tanh (default), sigmoid, data (each neuron's min..max) or LO,HI",
    )
    p.add_argument(
        "--quantiser",
        choices=QUANTISERS,
        default="levels",
        help="levels: nninfo's rounding (default); equal_width; quantile",
    )
    p.add_argument(
        "--clip",
        action="store_true",
        help="clip values outside --limits to the end levels (default: refuse them, as nninfo)",
    )
    p.add_argument(
        "--measure", choices=tuple(MEASURES), default="sx", help="the PID measure (default sx)"
    )
    units = p.add_mutually_exclusive_group()
    units.add_argument(
        "--base", type=_base, default=math.e, help="logarithm base: e (nats, default), 2 (bits)"
    )
    units.add_argument("--bits", action="store_true", help="bits (= --base 2)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads (default: all cores)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    return p


def _read_columns(source: Any, layer: int | None, cols: list[int] | None) -> np.ndarray:
    """The chosen columns [N, k] (all [N, D] when ``cols`` is None) of one array or layer,
    read chunk by chunk."""
    from .._interop import to_host_rows
    from .analyze import default_chunk_rows

    parts = []
    for chunk in source.chunks(default_chunk_rows(source)):
        c = to_host_rows(chunk)
        c = c if layer is None else c[:, layer]
        parts.append(np.array(c if cols is None else c[:, cols], dtype=np.float64))
    return np.concatenate(parts)


def _flat(neurons: list[Any] | None) -> list[int] | None:
    if neurons is None:
        return None
    return [j for s in neurons for j in (s if isinstance(s, list) else [s])]


def run(args: argparse.Namespace, argv: Sequence[str], prog: str) -> int:
    """``softent pid``: one result per array (and layer), printed as tables or JSON."""
    from .._version import __version__
    from ..pid.layer import layer_complexity
    from .analyze import load_label_sets
    from .files import InputError, open_activations

    sources, skipped = open_activations(args.activations, args.key)
    sets = load_label_sets([args.labels])
    if args.target is not None:
        chosen = [s for s in sets if s.name == args.target]
        if not chosen:
            raise InputError(
                f"--target {args.target!r} is not one of the label sets "
                f"({', '.join(s.name for s in sets)})"
            )
        sets = chosen
    if len(sets) != 1:
        raise InputError(
            f"--labels {args.labels}: holds {len(sets)} label sets "
            f"({', '.join(s.name for s in sets)}); choose one with --target NAME"
        )
    labels = sets[0]
    values = np.asarray(labels.values)
    keep = np.ones(values.shape, dtype=bool)
    if args.ignore_index is not None:
        keep = np.array([v != args.ignore_index for v in values.tolist()], dtype=bool)
    if not keep.any():
        raise InputError(
            f"--labels {labels.path}: every row is masked (--ignore-index {args.ignore_index})"
        )
    base = 2.0 if args.bits else args.base
    results, t0 = [], time.perf_counter()
    for source in sources:
        if source.n_rows != values.shape[0]:
            raise InputError(
                f"--labels {labels.path}: {values.shape[0]} labels for the {source.n_rows} rows "
                f"of array {source.name!r} in {args.activations} (one label per row is needed)"
            )
        layers: list[int | None] = (
            [None] if len(source.shape) == 2 else list(range(source.shape[1]))
        )
        if args.layer is not None:
            if len(source.shape) != 3 or not 0 <= args.layer < source.shape[1]:
                raise InputError(
                    f"--layer {args.layer}: array {source.name!r} has shape {list(source.shape)} "
                    "(--layer picks one layer of an [N, L, D] array, 0-based)"
                )
            layers = [args.layer]
        d = int(source.shape[-1])
        cols = _flat(args.neurons)
        if cols is not None and len(set(cols)) != len(cols):
            raise InputError(f"--neurons: each neuron may be in one source only, got {cols}")
        bad = [j for j in cols or [] if not 0 <= j < d]
        if bad:
            raise InputError(
                f"--neurons: column {bad[0]} is not in 0..{d - 1} (array {source.name!r} has "
                f"{d} columns)"
            )
        if cols is None and d > 5:
            raise InputError(
                f"array {source.name!r} has {d} columns: choose 1 to 5 sources with --neurons "
                "(e.g. --neurons 0,1,2,3)"
            )
        # the chosen columns only, renumbered 0..k-1 in the order given
        local = None
        if args.neurons is not None:
            where = {j: i for i, j in enumerate(cols or [])}
            local = [
                [where[j] for j in s] if isinstance(s, list) else where[s] for s in args.neurons
            ]
        for layer in layers:
            x = _read_columns(source, layer, cols)
            finite = np.isfinite(x).all(axis=1)
            if not finite.all():
                row = int(np.argmin(finite))
                where_ = "" if layer is None else f", layer {layer}"
                raise InputError(
                    f"{args.activations}: array {source.name!r}{where_} has NaN/Inf in row {row} "
                    "of the chosen neurons"
                )
            res = layer_complexity(
                x[keep],
                values[keep],
                neurons=local,
                levels=args.levels,
                limits=args.limits,
                quantiser=args.quantiser,
                out_of_range="clip" if args.clip else "raise",
                measure=args.measure,
                base=base,
                num_threads=args.threads,
            )
            if args.neurons is not None:  # the file's columns, not the extracted block's
                given = tuple(tuple(s) if isinstance(s, list) else (s,) for s in args.neurons)
                res = dataclasses.replace(res, neurons=given)
            name = source.name if layer is None else f"{source.name}[{layer}]"
            results.append((name, layer, res))
    seconds = time.perf_counter() - t0
    masked = int((~keep).sum())
    if args.json:
        doc = {
            "command": " ".join(shlex.quote(a) for a in [prog, *argv]),
            "softent_version": __version__,
            "source": str(args.activations),
            "labels": {"name": labels.name, "file": str(labels.path), "masked_rows": masked},
            "results": [
                {"name": name, "layer": layer, **res.as_dict()} for name, layer, res in results
            ],
            "skipped_arrays": skipped,
            "seconds": seconds,
        }
        print(json.dumps(doc, indent=1))
        return 0
    for name, _, res in results:
        spec = ", ".join("+".join(map(str, s)) for s in res.neurons)
        print(f"\n== {name}: neurons {spec}; {res.n_samples:,} rows ==")
        print(res.table())
    if masked:
        print(f"\n{masked:,} rows with label {args.ignore_index} left out (--ignore-index)")
    print(f"\n({seconds:.2f} s)")
    return 0
