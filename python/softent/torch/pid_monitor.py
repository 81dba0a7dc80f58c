"""Training-time PID: the representational complexity of chosen neurons of named layers at
training checkpoints (nninfo's analysis, Ehrlich et al. 2023, while the model trains).

:class:`PIDMonitor` registers forward hooks on named submodules (the row and label
plumbing is :class:`softent.torch.LayerMonitor`'s: the same ``flatten`` modes and label
broadcasting); every monitored forward pass copies out the chosen neurons' activations
(only those: N x k floats per layer) with their labels, and :meth:`PIDMonitor.record`
(or :meth:`PIDMonitor.measure`, which runs an evaluation set through the model first)
turns each layer's rows into :func:`softent.pid.layer_complexity` — quantise, count,
decompose — and appends one history row per layer. :func:`softent.plots.plot_pid_history`
draws C and the degree-of-synergy atoms against the step.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from .._checks import check_base, check_choice, check_int, fail, is_int
from .._interop import to_numpy
from ..discrete import quantise
from ..pid.decompose import MEASURES
from ..pid.layer import QUANTISERS, LayerPID, layer_complexity
from . import monitor as _plumbing

_API = "torch.PIDMonitor"


class PIDMonitor(_plumbing.HookedMonitor):
    """Forward hooks that record the PID of chosen neurons of layers over training.

    Example (the nninfo setting: at each checkpoint, the whole evaluation set)::

        mon = softent.torch.PIDMonitor(model, ["fc3", "fc4"], neurons=[0, 1, 2, 3, 4],
                                       levels=8, limits="tanh", base=2)
        for epoch in range(epochs):
            train_one_epoch(model)
            mon.measure(x_eval, y_eval, step=epoch)   # one row per layer: C, I, Π_m
        softent.plots.plot_pid_history(mon, path="complexity.png")

    or streamed from the training batches themselves (labels given before each pass)::

        with mon:
            for xb, yb in loader:
                mon.set_labels(yb)
                loss = loss_fn(model(xb), yb)
                ...
            mon.record(step=epoch)

    Args:
        model: the module whose forward passes are monitored (a pass is one call of
            ``model``).
        layers: names of submodules (``model.named_modules()``), or {name: module} (each
            module must be a submodule of ``model``).
        neurons: the sources of every layer (a list of column indices, or a list of lists:
            one source of several neurons; :func:`softent.pid.layer_complexity`), or
            {layer: choice}; None: every column of a layer of at most 5 neurons.
        labels: the labels [N] of the rows of every monitored forward pass, when each pass
            sees the same rows (an evaluation set), or a callable ``labels(*inputs)``
            called with the model's positional inputs at each pass. Without them only the
            passes given labels are kept: :meth:`set_labels` before a pass, or
            :meth:`measure` (so training steps between checkpoints cost nothing).
        levels, limits, quantiser, out_of_range, measure, base: as
            :func:`softent.pid.layer_complexity` (nninfo: 8 levels of the tanh range).
        every: record automatically after every ``every`` monitored forward passes (step =
            passes so far); None (default): when :meth:`record` / :meth:`measure` is called.
        flatten: how a layer output [batch, *P, D] becomes rows [N, D]
            (:class:`LayerMonitor`'s modes; default 'tokens').
        num_threads: CPU threads of each decomposition.

    Memory: the chosen columns of the rows seen since the last record (float64), per
    layer; nothing else of the activations is kept. Hooks are removed by :meth:`close`
    (or leaving a ``with`` block).
    """

    def __init__(
        self,
        model: torch.nn.Module,
        layers: Sequence[str] | Mapping[str, torch.nn.Module],
        *,
        neurons: Any = None,
        labels: Any = None,
        levels: int = 8,
        limits: str | tuple[float, float] | None = None,
        quantiser: str = "levels",
        out_of_range: str = "raise",
        measure: str = "sx",
        base: float = math.e,
        every: int | None = None,
        flatten: Any = "tokens",
        num_threads: int | None = None,
    ) -> None:
        if not isinstance(model, torch.nn.Module):
            fail(_API, "model", "a torch.nn.Module", type(model).__name__, TypeError)
        modules = dict(model.named_modules())
        if isinstance(layers, Mapping):
            by_id = {id(m): n for n, m in modules.items()}
            names = []
            for key, mod in layers.items():
                if id(mod) not in by_id:
                    fail(_API, "layers", "submodules of the model", f"{key!r} is not one")
                names.append(key)
            targets = dict(zip(names, layers.values(), strict=True))
        else:
            if isinstance(layers, str) or not isinstance(layers, Sequence) or not layers:
                fail(_API, "layers", "a non-empty list of submodule names", repr(layers), TypeError)
            missing = [n for n in layers if n not in modules]
            if missing:
                known = [n for n in modules if n][:20]
                fail(_API, "layers", f"names of submodules of the model (e.g. {known})", missing)
            targets = {n: modules[n] for n in layers}
        if not targets or len(targets) != len(layers):
            fail(_API, "layers", "distinct, non-empty", list(layers))
        if isinstance(neurons, Mapping):
            unknown = [k for k in neurons if k not in targets]
            if unknown:
                fail(_API, "neurons", f"keyed by the monitored layers {list(targets)}", unknown)
        if every is not None and (not is_int(every) or every < 1):
            fail(_API, "every", "None or an int >= 1", repr(every))
        # the options layer_complexity would refuse: refused now, not after an epoch
        kind = check_choice(_API, "quantiser", quantiser, QUANTISERS)
        check_int(_API, "levels", levels, lo=2 if kind == "levels" else 1, hi=quantise.MAX_BINS)
        check_choice(_API, "out_of_range", out_of_range, quantise.OUT_OF_RANGE)
        check_choice(_API, "measure", measure, tuple(MEASURES))
        self.base = check_base(_API, base)
        self._flatten = {n: _plumbing._check_flatten(flatten, _API) for n in targets}
        self._fixed_labels = None if labels is None or callable(labels) else _as_labels(labels)
        self._labels_fn = labels if callable(labels) else None
        self._options = {
            "levels": levels,
            "limits": limits,
            "quantiser": kind,
            "out_of_range": out_of_range,
            "measure": measure,
            "base": self.base,
            "num_threads": num_threads,
        }
        self._neurons = neurons
        self.layers: tuple[str, ...] = tuple(targets)
        self.every = every
        self.history: list[dict[str, Any]] = []
        self.forwards = 0
        self.enabled = True
        self._rows: dict[str, list[np.ndarray]] = {n: [] for n in targets}
        self._row_labels: dict[str, list[np.ndarray]] = {n: [] for n in targets}
        self._pass_labels: np.ndarray | None = None
        self._active = False
        self._model = model
        self._handles = [m.register_forward_hook(self._layer_hook(n)) for n, m in targets.items()]
        self._handles.append(model.register_forward_pre_hook(self._begin, prepend=True))
        self._handles.append(model.register_forward_hook(self._end))

    # ------------------------------------------------------------------ hooks

    def _begin(self, module: Any, args: Any) -> None:
        self._active = self.enabled
        if not self.enabled:
            return
        self.forwards += 1
        if self._labels_fn is not None:
            self._pass_labels = _as_labels(self._labels_fn(*args))

    def _end(self, module: Any, args: Any, output: Any) -> None:
        was = self._active
        self._active, self._pass_labels = False, None  # labels apply to one forward pass
        if was and self.every is not None and self.forwards % self.every == 0:
            self.record(step=self.forwards)

    def _layer_hook(self, name: str) -> Callable[..., None]:
        def hook(module: Any, args: Any, output: Any) -> None:
            if self._active:
                with torch.no_grad():
                    self._collect(name, output)

        return hook

    def _collect(self, name: str, output: Any) -> None:
        out = _plumbing._first_tensor(output, name, _API)
        mode = self._flatten[name]
        rows = mode(out) if callable(mode) else _plumbing._flatten_rows(out, mode)
        if not isinstance(rows, torch.Tensor) or rows.ndim != 2:
            fail(
                _API,
                "flatten",
                f"a callable returning [N, D] rows for layer {name!r}",
                f"{type(rows).__name__} of shape {tuple(getattr(rows, 'shape', ()))}",
            )
        labels = self._pass_labels if self._pass_labels is not None else self._fixed_labels
        if labels is None:
            return  # a pass without labels (a training step between checkpoints): not kept
        labels = _plumbing._broadcast_labels(
            labels, out, int(rows.shape[0]), mode, name, "labels", _API
        )
        cols = self._columns(name, int(rows.shape[1]))
        picked = rows if cols is None else rows[:, cols]
        if picked.dtype in (torch.float16, torch.bfloat16):
            picked = picked.float()  # NumPy has no bfloat16
        self._rows[name].append(to_numpy(picked).astype(np.float64))
        self._row_labels[name].append(np.asarray(labels))

    def _columns(self, name: str, d: int) -> list[int] | None:
        spec = self._neurons.get(name) if isinstance(self._neurons, Mapping) else self._neurons
        if spec is None:
            return None
        flat = []
        for s in spec:
            flat.extend([s] if is_int(s) else list(s))
        bad = [j for j in flat if not is_int(j) or not 0 <= int(j) < d]
        if bad:
            fail(
                _API,
                "neurons",
                f"column indices in 0..{d - 1} (layer {name!r} has {d} columns)",
                bad,
            )
        return [int(j) for j in flat]

    def _local_neurons(self, name: str) -> Any:
        """The sources in the columns kept (0..k-1, in the order given)."""
        spec = self._neurons.get(name) if isinstance(self._neurons, Mapping) else self._neurons
        if spec is None:
            return None
        out, i = [], 0
        for s in spec:
            if is_int(s):
                out.append(i)
                i += 1
            else:
                out.append(list(range(i, i + len(s))))
                i += len(s)
        return out

    def _given_neurons(self, name: str) -> tuple[tuple[int, ...], ...] | None:
        spec = self._neurons.get(name) if isinstance(self._neurons, Mapping) else self._neurons
        if spec is None:
            return None
        return tuple((int(s),) if is_int(s) else tuple(int(j) for j in s) for s in spec)

    # ------------------------------------------------------------------ user API

    def set_labels(self, labels: Any) -> None:
        """The labels [batch] (or [batch, *P], one per position) of the rows of the next
        forward pass (they apply to exactly one pass)."""
        self._pass_labels = _as_labels(labels)

    def record(self, step: Any = None) -> list[dict[str, Any]]:
        """Decompose each layer's rows seen since the last record: one history row per
        layer that saw rows, appended to :attr:`history` and returned; the rows are then
        dropped.

        Row: ``step`` (default: forward passes so far), ``layer``, ``rows`` (N),
        ``outcomes`` (distinct (sources, label) outcomes), ``complexity`` (C, None when
        I = 0), ``I`` (I(T:S)), ``degree_atoms`` {m: Π_m}, ``redundancy_degree``,
        ``vulnerability_degree``, ``unit``, and ``result``: the :class:`LayerPID` (every
        atom). Values in units of ``base``.
        """
        step = self.forwards if step is None else step
        out: list[dict[str, Any]] = []
        for name in self.layers:
            if not self._rows[name]:
                continue
            x = np.concatenate(self._rows[name])
            y = np.concatenate(self._row_labels[name])
            self._rows[name], self._row_labels[name] = [], []
            res = layer_complexity(x, y, neurons=self._local_neurons(name), **self._options)
            given = self._given_neurons(name)
            if given is not None:  # the layer's columns, not the kept block's
                res = LayerPID(
                    res.decomposition, given, res.quantiser, res.levels, res.limits, res.n_samples
                )
            out.append(
                {
                    "step": step,
                    "layer": name,
                    "rows": res.n_samples,
                    "outcomes": res.decomposition.n_outcomes,
                    "complexity": res.complexity,
                    "I": res.mutual_information,
                    "degree_atoms": res.degree_atoms,
                    "redundancy_degree": res.redundancy_degree,
                    "vulnerability_degree": res.vulnerability_degree,
                    "unit": res.unit,
                    "result": res,
                }
            )
        self.history.extend(out)
        return out

    def measure(
        self, inputs: Any, labels: Any, step: Any = None, *, batch_size: int | None = None
    ) -> list[dict[str, Any]]:
        """Run ``inputs`` through the model (no gradients; ``batch_size`` rows at a time,
        default all) with ``labels`` [N], then :meth:`record` them: nninfo's analysis of a
        checkpoint on a fixed data set. Rows collected before (from training passes) are
        dropped first. ``inputs``: a tensor [N, ...] (or a tuple of tensors, each split
        along dim 0). The model's train/eval mode is left as it is."""
        api = f"{_API}.measure"
        for name in self.layers:
            self._rows[name], self._row_labels[name] = [], []
        args = inputs if isinstance(inputs, (tuple, list)) else (inputs,)
        if not args or not all(isinstance(a, torch.Tensor) for a in args):
            fail(
                api,
                "inputs",
                "a tensor [N, ...] or a tuple of them",
                type(inputs).__name__,
                TypeError,
            )
        n = int(args[0].shape[0])
        y = _as_labels(labels)
        if y.shape[0] != n:
            fail(api, "labels", f"{n} labels (one per input row)", f"{y.shape[0]}")
        size = n if batch_size is None else check_int(api, "batch_size", batch_size, lo=1)
        model = self._model_of()
        every, self.every = self.every, None  # one record for the whole set
        enabled, self.enabled = self.enabled, True
        try:
            with torch.no_grad():
                for lo in range(0, n, size):
                    self._pass_labels = y[lo : lo + size]
                    model(*(a[lo : lo + size] for a in args))
        finally:
            self.every, self.enabled, self._pass_labels = every, enabled, None
        return self.record(step)

    def _model_of(self) -> torch.nn.Module:
        if self.closed:
            fail(
                f"{_API}.measure",
                "the monitor",
                "open (its hooks are removed)",
                "closed",
                RuntimeError,
            )
        return self._model

    def curves(self, column: str = "complexity") -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """{layer: (steps, values)} of one history column (``"complexity"``, ``"I"``,
        ``"redundancy_degree"``, ...; None values are NaN)."""
        acc: dict[str, tuple[list, list]] = {}
        for row in self.history:
            if column in row:
                s, v = acc.setdefault(row["layer"], ([], []))
                s.append(row["step"])
                v.append(np.nan if row[column] is None else row[column])
        return {k: (np.asarray(s), np.asarray(v, dtype=np.float64)) for k, (s, v) in acc.items()}

    def to_pandas(self) -> Any:
        """:attr:`history` as a pandas DataFrame, one column per degree atom ``Pi_m``
        (needs pandas)."""
        import pandas as pd

        rows = []
        for r in self.history:
            flat = {k: v for k, v in r.items() if k not in ("degree_atoms", "result")}
            flat.update({f"Pi_{m}": v for m, v in r["degree_atoms"].items()})
            rows.append(flat)
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return (
            f"PIDMonitor(layers={list(self.layers)}, forwards={self.forwards}, "
            f"records={len(self.history)}, closed={self.closed})"
        )


def _as_labels(labels: Any) -> np.ndarray:
    arr = to_numpy(labels) if isinstance(labels, torch.Tensor) else np.asarray(labels)
    if arr.ndim == 0 or arr.dtype.kind in "fc":
        fail(
            _API,
            "labels",
            "[N] integer or string labels",
            f"dtype {arr.dtype}, shape {arr.shape}",
            TypeError,
        )
    return arr
