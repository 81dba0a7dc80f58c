"""Training-time monitoring: stream layer activations into soft histograms with forward hooks.

:class:`LayerMonitor` registers forward hooks on named submodules of a ``torch.nn.Module``;
each monitored forward pass adds every layer's activations (flattened to rows as you
choose) to one :class:`softent.Accumulator` per layer, in one kernel pass for all label
sets, without keeping the activations. :meth:`LayerMonitor.record` closes a window (a
step, an epoch) and appends one table row per layer with H(Z), H(Z|L) and I(Z;L) for
every label set; :func:`information_plane` turns the history into (I(X;T), I(T;Y))
curves per layer.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .._checks import (
    check_base,
    check_bootstrap,
    check_probability,
    check_weighting,
    fail,
    is_int,
)
from .._interop import to_numpy
from .._labels import check_ignore_index
from .._stats import basic_interval
from ..soft._kernel import check_zero_rows, zero_row_keep
from ..soft.accumulator import Accumulator

_API = "torch.LayerMonitor"
FLATTEN_MODES = ("tokens", "sample", "mean", "first", "last")
Flatten = str | Callable[[Any], Any]
#: where a layer output keeps its features: the last axis of [batch, D] ('features') or of
#: [batch, *positions, D] ('tokens'), axis 1 of [batch, C, *spatial] ('channels'), or all of
#: a sample's entries ('flatten': one row per sample)
LAYOUTS = ("features", "tokens", "channels", "flatten")


def entropy_column(label_set: str | None = None) -> str:
    """Table column names: ``"H"`` (all rows), ``"H(Z|s)"`` and ``"I(Z;s)"`` for label set s."""
    return "H" if label_set is None else f"H(Z|{label_set})"


def information_column(label_set: str) -> str:
    return f"I(Z;{label_set})"


class HookedMonitor:
    """What every monitor of forward hooks shares: ``enabled``, the hook handles, pausing,
    closing and the context-manager protocol (``with Monitor(...) as m``)."""

    enabled: bool
    _handles: list[Any]

    @contextlib.contextmanager
    def paused(self) -> Iterator[Any]:
        """Forward passes inside this block are not monitored (e.g. evaluation)."""
        enabled, self.enabled = self.enabled, False
        try:
            yield self
        finally:
            self.enabled = enabled

    def close(self) -> None:
        """Remove every hook (idempotent). What was recorded is kept."""
        for h in self._handles:
            h.remove()
        self._handles.clear()

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran (no hook left)."""
        return not self._handles

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LayerMonitor(HookedMonitor):
    """Forward hooks that stream layer activations into per-layer soft histograms.

    Example (labels of each batch are given before its forward pass)::

        mon = softent.torch.LayerMonitor(model, ["fc1", "fc2", "out"], label_sets=["x", "y"])
        with mon:
            for epoch in range(epochs):
                for idx, xb, yb in loader:
                    mon.set_labels(x=idx, y=yb)  # sample ids and classes of this batch
                    loss = loss_fn(model(xb), yb)
                    ...
                mon.record(step=epoch)  # one row per layer: H, H(Z|x), I(Z;x), H(Z|y), I(Z;y)
        planes = mon.information_plane(x="x", y="y")  # {layer: (steps, I(X;T), I(T;Y))}

    Args:
        model: the module whose forward passes are monitored (a forward pass is one call
            of ``model``; calls of submodules alone are not monitored).
        layers: names of submodules (as in ``model.named_modules()``; ``""`` = model).
            A module returning a tuple/list is represented by its first tensor.
        label_sets: names of the label sets given to :meth:`set_labels` (optional).
        every: record a table automatically after every ``every`` monitored forward passes
            (``step`` = the number of forward passes so far); None (default): only when you
            call :meth:`record` (e.g. at each epoch end).
        sample_every: stream only every k-th forward pass (cheaper monitoring).
        layout: where a layer output keeps its features (one name, or {layer: name}):
            'features' ([batch, D]: one row per sample; any other shape is refused),
            'tokens' ([batch, *P, D], e.g. a transformer's [batch, T, D]: the last axis),
            'channels' ([batch, C, *S], e.g. a conv map [B, C, H, W]: C features at every
            position of S) or 'flatten' (every entry of a sample: one row [prod(rest)] per
            sample). None (default): 'features' for 1-D/2-D outputs, 'tokens' for 3-D;
            a 4-D or wider output is refused until a layout is given (the last axis of
            [B, C, H, W] is not its features: 10 images of 8 channels on 8 x 8 pixels
            are 10 rows x 512 ('flatten') or 640 rows x 8 ('channels'), never 640 x 8
            taken along W). The positions of 'tokens'/'channels' then become rows as
            ``flatten`` says.
        flatten: how a layer output [batch, *P, D] becomes rows [N, D]: 'tokens' (default:
            every position is a row, N = batch·prod(P)), 'sample' (a sample's whole output
            is one vector: [batch, prod(P)·D]), 'mean' (mean over positions), 'first' /
            'last' (position 0 / -1 of dim 1), or a callable(output) -> [N, D]; or a dict
            {layer: mode}. Per-sample labels [batch] are repeated for each position;
            per-position labels [batch, *P] are flattened.
        n_bins, metric, temperature, seed: the bins of every layer, as
            :class:`softent.Accumulator` (spherical bins of each layer's width by default).
        centres: optional {layer: [B, D] centres} (needed for Euclidean metrics).
        base: units of the table (e: nats, default; 2: bits). weighting: of H(Z|L).
        num_threads: OpenMP threads of each update, at most the CPUs this process may
            use; 1 in a process forked after softent was imported.
        bootstrap: R > 0 keeps R Poisson-bootstrap replicates in every layer's accumulator
            (:class:`softent.Accumulator` ``bootstrap``; (1 + R) times the memory) and adds
            ``<column>_lo`` / ``<column>_hi`` basic (bias-corrected) intervals to each recorded row.
            Rows of one forward pass share their weights across layers when each layer
            gives the same rows (one stream position per row).
        bootstrap_seed: seed of the weights; with ``record(all_reduce=True)`` give each rank
            its own (e.g. ``base + rank``), as :meth:`softent.Accumulator.all_reduce` requires.
        confidence: coverage of those intervals (default 0.95).
        ignore_index: a label value (e.g. -100, Hugging Face's "ignore") whose rows are
            masked for the label set that has it (:meth:`softent.Accumulator.update`).
            None (default): every label value is a class, -1 included.
        zero_rows: all-zero rows under cosine bins (dead ReLUs, padding): 'raise'
            (default), 'drop' (left out, with a UserWarning giving their number) or
            'uniform' (the uniform assignment 1/B), as :func:`softent.information`.

    Hooks are removed by :meth:`close` (or leaving a ``with`` block). Memory: one
    accumulator per layer (B floats per label value); activations are never kept.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        layers: Sequence[str],
        *,
        label_sets: Sequence[str] | None = None,
        every: int | None = None,
        sample_every: int = 1,
        flatten: Flatten | Mapping[str, Flatten] = "tokens",
        layout: str | Mapping[str, str] | None = None,
        n_bins: int = 100,
        metric: str = "cosine",
        temperature: float | str = "auto",
        seed: int = 0,
        centres: Mapping[str, Any] | None = None,
        base: float = math.e,
        weighting: str = "weighted",
        num_threads: int | None = None,
        bootstrap: int = 0,
        bootstrap_seed: int = 0,
        confidence: float = 0.95,
        ignore_index: int | str | None = None,
        zero_rows: str = "raise",
    ) -> None:
        if not isinstance(model, torch.nn.Module):
            fail(_API, "model", "a torch.nn.Module", type(model).__name__, TypeError)
        if isinstance(layers, str) or not isinstance(layers, Sequence) or not layers:
            fail(_API, "layers", "a non-empty list of submodule names", repr(layers), TypeError)
        modules = dict(model.named_modules())
        missing = [name for name in layers if name not in modules]
        if missing:
            known = [n for n in modules if n][:20]
            fail(_API, "layers", f"names of submodules of the model (e.g. {known})", missing)
        if len(set(layers)) != len(layers):
            fail(_API, "layers", "distinct names", list(layers))
        for name, value in (("every", every), ("sample_every", sample_every)):
            optional = name == "every"  # every=None: record only when asked
            if (value is None and not optional) or (
                value is not None and (not is_int(value) or value < 1)
            ):
                fail(
                    _API,
                    name,
                    "None or an int >= 1" if name == "every" else "an int >= 1",
                    repr(value),
                )
        self._flatten = {
            name: _check_flatten(
                flatten[name]
                if isinstance(flatten, Mapping) and name in flatten
                else ("tokens" if isinstance(flatten, Mapping) else flatten)
            )
            for name in layers
        }
        self._layout = {
            name: _check_layout(layout.get(name) if isinstance(layout, Mapping) else layout, name)
            for name in layers
        }
        if isinstance(layout, Mapping):
            extra = [k for k in layout if k not in layers]
            if extra:
                fail(_API, "layout", f"keyed by monitored layers {list(layers)}", extra)
        self.ignore_index = check_ignore_index(_API, ignore_index)
        self.zero_rows = check_zero_rows(_API, zero_rows)
        self._centres = dict(centres or {})
        if metric in ("euclidean", "sqeuclidean"):
            lacking = [name for name in layers if name not in self._centres]
            if lacking:
                fail(
                    _API,
                    "centres",
                    f"given for every layer with metric={metric!r} ({{layer: [B, D]}})",
                    f"none for {lacking}",
                )
        bootstrap, bootstrap_seed = check_bootstrap(_API, bootstrap, bootstrap_seed)
        self.bootstrap = bootstrap
        self.confidence = check_probability(_API, "confidence", confidence)
        self._spec = {
            "n_bins": n_bins,
            "metric": metric,
            "temperature": temperature,
            "seed": seed,
            "label_sets": None if label_sets is None else list(label_sets),
            "num_threads": num_threads,
            "bootstrap": bootstrap,
            "bootstrap_seed": bootstrap_seed,
        }
        if not self._centres:  # fail now, not in the first forward pass, on a bad bins spec
            Accumulator(
                n_bins=n_bins,
                dim=1,
                metric=metric,
                temperature=temperature,
                seed=seed,
                label_sets=label_sets,
                num_threads=num_threads,
            )
        # checked here, not at the first record(): a bad unit should not cost an epoch
        self.base = check_base(_API, base)
        self.weighting = check_weighting(_API, weighting)
        self.layers: tuple[str, ...] = tuple(layers)
        self.every, self.sample_every = every, int(sample_every)
        self.accumulators: dict[str, Accumulator] = {}
        self.history: list[dict[str, Any]] = []
        self.forwards = 0  # monitored forward passes of the model so far
        self.enabled = True
        self._labels: dict[str, Any] | None = None
        self._mask: np.ndarray | None = None
        self._sampled = False
        self._model = model
        self._handles: list[Any] = []
        for name in layers:
            self._handles.append(modules[name].register_forward_hook(self._layer_hook(name)))
        self._handles.append(model.register_forward_pre_hook(self._begin, prepend=True))
        self._handles.append(model.register_forward_hook(self._end))

    # ------------------------------------------------------------------ hooks

    def _begin(self, module: Any, args: Any) -> None:
        self._sampled = self.enabled and self.forwards % self.sample_every == 0
        if self.enabled:
            self.forwards += 1

    def _end(self, module: Any, args: Any, output: Any) -> None:
        # labels and the mask apply to one forward pass
        self._sampled, self._labels, self._mask = False, None, None
        if self.enabled and self.every is not None and self.forwards % self.every == 0:
            self.record(step=self.forwards)

    def _layer_hook(self, name: str) -> Callable[..., None]:
        def hook(module: Any, args: Any, output: Any) -> None:
            if self._sampled:
                with torch.no_grad():
                    self._stream(name, output)

        return hook

    def _stream(self, name: str, output: Any) -> None:
        out = _first_tensor(output, name)
        mode = self._flatten[name]
        if not callable(mode):
            out, mode = _apply_layout(out, self._layout[name], mode, name)
        rows = mode(out) if callable(mode) else _flatten_rows(out, mode)
        if not isinstance(rows, torch.Tensor) or rows.ndim != 2:
            fail(
                _API,
                "flatten",
                f"a callable returning [N, D] rows for layer {name!r}",
                f"{type(rows).__name__} of shape {tuple(getattr(rows, 'shape', ()))}",
            )
        labels = None
        if self._labels:
            labels = {
                k: _broadcast_labels(v, out, rows.shape[0], mode, name, k)
                for k, v in self._labels.items()
            }
        acc = self.accumulators.get(name)
        if acc is None:
            spec = dict(self._spec)
            acc = Accumulator(
                self._centres.get(name),
                dim=None if name in self._centres else int(rows.shape[1]),
                **spec,
            )
            self.accumulators[name] = acc
        if self._mask is not None:  # set_mask: rows left out of this layer's stream
            keep = _broadcast_labels(self._mask, out, rows.shape[0], mode, name, "mask")
            if not keep.all():
                rows = rows[torch.as_tensor(keep, device=rows.device)]
                labels = None if labels is None else {k: v[keep] for k, v in labels.items()}
        if self._spec["metric"] == "cosine" and self.zero_rows != "uniform":
            keep = zero_row_keep(
                _API, rows, "cosine", self.zero_rows, f"the rows of layer {name!r}"
            )
            if keep is not None:
                rows = rows[torch.as_tensor(keep, device=rows.device)]
                labels = None if labels is None else {k: v[keep] for k, v in labels.items()}
        acc.update(rows, labels, ignore_index=self.ignore_index)

    # ------------------------------------------------------------------ user API

    def set_labels(self, labels: Any = None, /, **sets: Any) -> None:
        """Labels of the rows of the next forward pass: ``set_labels(y=y, x=idx)``, a dict,
        or one array when there is one label set. Each is [batch] (repeated over the
        positions of a layer's output) or [batch, *P] (one per position); every value is a
        class unless it is the monitor's ``ignore_index``.
        They apply to exactly one forward pass of the model."""
        named: dict[str, Any] = dict(sets)
        if labels is not None:
            if isinstance(labels, Mapping):
                named.update(labels)
            else:
                declared = self._spec["label_sets"]
                if not declared or len(declared) != 1:
                    fail(
                        f"{_API}.set_labels",
                        "labels",
                        "keyword label sets (name=array) unless exactly one label set was declared",
                        "one array",
                    )
                named[declared[0]] = labels
        declared = self._spec["label_sets"]
        if declared is not None:
            unknown = [k for k in named if k not in declared]
            if unknown:
                fail(
                    f"{_API}.set_labels",
                    "labels",
                    f"among the declared label sets {declared}",
                    unknown,
                )
        self._labels = {
            k: (to_numpy(v) if isinstance(v, torch.Tensor) else np.asarray(v))
            for k, v in named.items()
        }

    def set_mask(self, mask: Any) -> None:
        """Rows of the next forward pass to keep: a bool [batch] (per sample) or [batch, *P]
        (per position, e.g. a Hugging Face ``attention_mask.bool()``), broadcast over a
        layer's rows as labels are. False rows are left out of every column (H too).
        Applies to exactly one forward pass of the model, like :meth:`set_labels`."""
        arr = to_numpy(mask) if isinstance(mask, torch.Tensor) else np.asarray(mask)
        if arr.dtype != np.bool_:
            fail(
                f"{_API}.set_mask",
                "mask",
                "a boolean array (True keeps the row)",
                f"dtype {arr.dtype}",
                TypeError,
            )
        self._mask = arr

    def record(
        self, step: Any = None, *, all_reduce: bool = False, group: Any = None
    ) -> list[dict[str, Any]]:
        """Close the current window: one row per layer that saw rows, appended to
        :attr:`history` and returned; the accumulators start again from zero.

        Row: ``step`` (default: forward passes so far), ``layer``, ``rows`` (N),
        ``H`` (all rows), and per label set s with labelled rows ``H(Z|s)`` and ``I(Z;s)``
        (over the rows labelled in s), in units of ``base``; with ``bootstrap`` also
        ``<column>_lo`` and ``<column>_hi`` for each of those (basic bootstrap intervals,
        2θ - percentiles, over the window's replicates: as ``softent.report``'s default).

        all_reduce: sum each layer's histograms over the ranks of ``group``
        (:meth:`softent.Accumulator.all_reduce`) first, for data-parallel training: every
        rank must call it, after at least one monitored forward pass.
        """
        step = self.forwards if step is None else step
        rows: list[dict[str, Any]] = []
        for name in self.layers:
            acc = self.accumulators.get(name)
            if all_reduce:
                if acc is None:
                    fail(
                        f"{_API}.record",
                        "all_reduce",
                        f"used after layer {name!r} saw a forward pass on every rank",
                        "no accumulator on this rank",
                    )
                acc.all_reduce(group)
            if acc is None or acc.n_rows == 0:
                continue
            row: dict[str, Any] = {
                "step": step,
                "layer": name,
                "rows": acc.n_rows,
                "H": acc.entropy(base=self.base),
            }
            labelled = [s for s in acc.label_sets if acc.counts(s).sum() > 0]
            for s in labelled:
                h = acc.result(s)
                row[entropy_column(s)] = h.conditional_entropy(self.base, self.weighting)  # type: ignore[arg-type]
                row[information_column(s)] = h.mutual_information(self.base, self.weighting)  # type: ignore[arg-type]
            if self.bootstrap:
                row.update(self._intervals(acc, labelled, row))
            rows.append(row)
            acc.reset()
        self.history.extend(rows)
        return rows

    def _intervals(
        self, acc: Accumulator, label_sets: list[str], row: dict[str, Any]
    ) -> dict[str, float]:
        """``<column>_lo``/``_hi`` of H, H(Z|s), I(Z;s) over the accumulator's replicates
        (the measures of softent.report: weighted counts, labels absent from a replicate
        left out; replicates where a value is undefined are skipped)."""
        reps = acc.replicate_measures(
            label_sets,
            base=self.base,
            weighting=self.weighting,  # type: ignore[arg-type]
            measures=("entropy", "conditional_entropy", "mutual_information"),
        )
        values = {"H": [m[0]["entropy"] for m in reps[None]]}
        for s in label_sets:
            values[entropy_column(s)] = [m[0]["conditional_entropy"] for m in reps[s]]
            values[information_column(s)] = [m[0]["mutual_information"] for m in reps[s]]
        out: dict[str, float] = {}
        for column, vals in values.items():
            out[f"{column}_lo"], out[f"{column}_hi"] = basic_interval(
                row[column], vals, self.confidence
            )
        return out

    def curves(self, column: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """{layer: (steps, values)} of one table column over :attr:`history`, e.g.
        ``curves("I(Z;y)")`` (rows lacking the column are skipped)."""
        out: dict[str, tuple[list, list]] = {}
        for row in self.history:
            if column in row:
                steps, values = out.setdefault(row["layer"], ([], []))
                steps.append(row["step"])
                values.append(row[column])
        return {k: (np.asarray(s), np.asarray(v, dtype=np.float64)) for k, (s, v) in out.items()}

    def information_plane(self, x: str = "x", y: str = "y") -> dict[str, InformationPlane]:
        """:func:`information_plane` of :attr:`history`."""
        return information_plane(self.history, x=x, y=y)

    def to_pandas(self) -> Any:
        """:attr:`history` as a pandas DataFrame (needs pandas)."""
        import pandas as pd

        return pd.DataFrame(self.history)

    def close(self) -> None:
        """Remove every hook (idempotent). Accumulators and history are kept."""
        super().close()
        self._labels = None
        self._mask = None

    def __repr__(self) -> str:
        return f"LayerMonitor(layers={list(self.layers)}, forwards={self.forwards}, records={len(self.history)}, closed={self.closed})"


@dataclass(frozen=True)
class InformationPlane:
    """One layer's trajectory in the information plane: ``steps`` [R], ``i_xt`` [R]
    I(X;T) and ``i_ty`` [R] I(T;Y), in the units of the monitor's ``base``."""

    steps: np.ndarray
    i_xt: np.ndarray
    i_ty: np.ndarray

    def as_array(self) -> np.ndarray:
        """[R, 2] rows (I(X;T), I(T;Y))."""
        return np.stack([self.i_xt, self.i_ty], axis=1)


def information_plane(
    history: Sequence[Mapping[str, Any]], x: str = "x", y: str = "y"
) -> dict[str, InformationPlane]:
    """(I(X;T), I(T;Y)) per layer over training, from a :class:`LayerMonitor` history.

    ``x``: the input-label set (e.g. the sample index of each row: I(X;T) is then the
    information the layer's soft bins keep about which input it saw); ``y``: the
    output-label set (the class). Only records where both were labelled count.
    Returns {layer: :class:`InformationPlane`}.
    """
    api = "torch.information_plane"
    for arg, value in (("x", x), ("y", y)):
        if not isinstance(value, str):
            fail(api, arg, "a label set name (a str)", repr(value), TypeError)
    if isinstance(history, (str, bytes, Mapping)) or not isinstance(history, Iterable):
        fail(
            api,
            "history",
            "a sequence of records (dicts, as LayerMonitor.history)",
            type(history).__name__,
            TypeError,
        )
    cx, cy = information_column(x), information_column(y)
    acc: dict[str, tuple[list, list, list]] = {}
    for i, row in enumerate(history):
        if not isinstance(row, Mapping):
            fail(api, f"history[{i}]", "a record (a dict)", type(row).__name__, TypeError)
        if cx in row and cy in row:
            for key in ("layer", "step"):
                if key not in row:
                    fail(api, f"history[{i}]", f"a record with a {key!r} entry", list(row))
            s, a, b = acc.setdefault(row["layer"], ([], [], []))
            s.append(row["step"])
            for col, out in ((cx, a), (cy, b)):
                v = row[col]
                if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
                    fail(api, f"history[{i}][{col!r}]", "a number", repr(v), TypeError)
                out.append(float(v))
    return {
        k: InformationPlane(np.asarray(s), np.asarray(a, np.float64), np.asarray(b, np.float64))
        for k, (s, a, b) in acc.items()
    }


# ----------------------------------------------------------------------------- helpers


def _check_flatten(mode: Any, api: str = _API) -> Flatten:
    if callable(mode) or mode in FLATTEN_MODES:
        return mode
    fail(api, "flatten", f"one of {list(FLATTEN_MODES)}, a callable or a dict of them", repr(mode))


def _check_layout(layout: Any, layer: str) -> str | None:
    if layout is None or (isinstance(layout, str) and layout in LAYOUTS):
        return layout
    fail(
        _API,
        "layout",
        f"None, one of {list(LAYOUTS)} or a dict {{layer: layout}}",
        f"{layout!r} for layer {layer!r}",
    )


def _apply_layout(out: torch.Tensor, layout: str | None, mode: str, layer: str) -> tuple[Any, str]:
    """(output as [batch, *positions, features], flatten mode) for ``layout``; refuses an
    output whose feature axis the layout leaves ambiguous or contradicts."""
    nd = out.ndim
    shape = tuple(out.shape)
    if layout == "flatten":
        return out.reshape(shape[0], -1) if nd > 1 else out.reshape(-1, 1), "tokens"
    if layout == "channels":
        if nd < 3:
            fail(
                _API,
                f"layout of layer {layer!r}",
                "'channels' for an output [batch, C, *spatial] (3-D or more)",
                f"output {shape}",
            )
        return out.movedim(1, -1), mode
    if layout == "features" and nd > 2:
        fail(
            _API,
            f"layout of layer {layer!r}",
            "'features' for an output [batch, D] only (use 'tokens', 'channels' or 'flatten' "
            "for wider outputs)",
            f"output {shape}",
        )
    if layout is None and nd >= 4 and mode != "sample":
        b, c = shape[0], shape[1]
        rest = math.prod(shape[2:])
        fail(
            _API,
            f"layout of layer {layer!r}",
            f"given for a {nd}-D output {shape}: which axis holds the features is ambiguous "
            f"('channels': [B, C, *spatial], {b * rest} rows x {c} features; 'flatten': "
            f"{b} rows x {math.prod(shape[1:])}; 'tokens': the last axis, "
            f"{math.prod(shape[:-1])} rows x {shape[-1]})",
            "None",
        )
    return out, mode


def _first_tensor(output: Any, name: str, api: str = _API) -> torch.Tensor:
    if isinstance(output, torch.Tensor):
        return output.detach()
    if isinstance(output, (tuple, list)):
        for item in output:
            if isinstance(item, torch.Tensor):
                return item.detach()
    fail(
        api,
        f"layer {name!r}",
        "a module returning a tensor (or a tuple/list starting with one; else "
        "pass flatten=callable)",
        type(output).__name__,
        TypeError,
    )


def _flatten_rows(out: torch.Tensor, mode: str) -> torch.Tensor:
    if out.ndim == 1:
        return out.reshape(-1, 1)
    if out.ndim == 2 or mode == "tokens":
        return out.reshape(-1, out.shape[-1])
    if mode == "sample":
        return out.reshape(out.shape[0], -1)
    if mode == "mean":
        return (
            out.float().mean(dim=tuple(range(1, out.ndim - 1)))
            if out.dtype in (torch.float16, torch.bfloat16)
            else out.mean(dim=tuple(range(1, out.ndim - 1)))
        )
    sel = out[:, 0] if mode == "first" else out[:, -1]
    return sel.reshape(sel.shape[0], -1) if sel.ndim > 2 else sel


def _broadcast_labels(
    labels: np.ndarray,
    out: torch.Tensor,
    n_rows: int,
    mode: Any,
    layer: str,
    name: str,
    api: str = _API,
) -> np.ndarray:
    if labels.ndim == 1 and labels.shape[0] == n_rows:
        return labels
    batch = int(out.shape[0]) if out.ndim else 1
    if labels.shape[:1] == (batch,) and n_rows % batch == 0:
        if labels.ndim == 1:
            return np.repeat(labels, n_rows // batch)
        if labels.size == n_rows:
            return labels.reshape(-1)
    fail(
        api,
        f"labels[{name!r}]",
        f"[batch={batch}] or [batch, *positions] matching the {n_rows} rows of layer "
        f"{layer!r} (output {tuple(out.shape)}, flatten={mode if isinstance(mode, str) else 'callable'})",
        f"shape {labels.shape}",
    )
