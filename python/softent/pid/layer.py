"""nninfo's pipeline as one call: quantise chosen neurons of a layer, count the joint pmf of
their values with the label, decompose it (Ehrlich, Schneider, Priesemann, Wibral &
Makkeh, "A measure of the complexity of neural representations based on partial
information decomposition", TMLR 2023; Priesemann-Group/nninfo).

nninfo's analysis of a layer, step by step (file and function in its repository):

1. ``nninfo/model/quantization.py``, ``Q3Quantizer.__call__``: every activation is
   rounded to one of L equidistant levels between the activation function's limits,
   q(x) = round((x - lo) / Δ)·Δ + lo, Δ = (hi - lo) / (L - 1) (``limits`` from
   ``ACTIV_FUNCS_BINNING_LIMITS`` in ``nninfo/model/neural_network.py``: tanh (-1, 1),
   sigmoid (0, 1)); :func:`softent.discrete.quantise.levels` returns the level index.
2. ``nninfo/analysis/binning.py``, ``Binning.apply`` / ``get_pdf`` (``binning_method``
   "none" in the paper's scripts): the plug-in pmf of the tuples (source values...,
   label) over the data set, each source one neuron (or a group of neurons).
3. ``nninfo/analysis/pid_measurement.py``, ``_perform_sxpid_average``: the SxPID of that
   pmf (here :func:`softent.pid.decompose`), then
   ``nninfo/postprocessing/pid_postprocessing.py``: degree-of-synergy atoms and the
   representational complexity (:attr:`Decomposition.complexity`).

The codes are level indices, not level values: a bijection of the values, so the pmf, and
every PID quantity, is the same.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._checks import check_base, check_choice, check_int, fail, is_int
from .._interop import as_float_rows, finite_rows, is_torch, to_numpy
from ..discrete import quantise
from ..discrete.counting import encode
from .decompose import decompose
from .lattice import MAX_SOURCES, Antichain
from .result import Decomposition

#: how activations become codes: nninfo's levels, equal-width or equal-mass bins
QUANTISERS: tuple[str, ...] = ("levels", "equal_width", "quantile")
#: the named activation ranges (nninfo's ``ACTIV_FUNCS_BINNING_LIMITS``)
NAMED_LIMITS: dict[str, tuple[float, float]] = {
    "tanh": (-1.0, 1.0),
    "hardtanh": (-1.0, 1.0),
    "sigmoid": (0.0, 1.0),
    "softmax": (0.0, 1.0),
}

_API = "pid.layer_complexity"


@dataclass(frozen=True, repr=False)
class LayerPID:
    """The PID of the label's information in chosen neurons of one layer.

    ``decomposition``: the :class:`Decomposition` (atoms, SxPID parts, Shannon
    quantities); its main values are also attributes here (``complexity``, ``atoms``,
    ``mutual_information``, ``degree_atoms``, ``redundancy_degree``,
    ``vulnerability_degree``, ``reing_differences``). The quantiser spec: ``neurons``
    (the 0-based columns of each source), ``quantiser``, ``levels`` (L levels or bins),
    ``limits`` (one (lo, hi) per source neuron, in ``neurons`` order flattened; None for
    quantile bins), ``n_samples`` N.
    """

    decomposition: Decomposition
    neurons: tuple[tuple[int, ...], ...]
    quantiser: str
    levels: int
    limits: tuple[tuple[float, float], ...] | None
    n_samples: int

    @property
    def atoms(self) -> Mapping[Antichain, float]:
        """The PID atoms by antichain (see :attr:`Decomposition.atoms`)."""
        return self.decomposition.atoms

    @property
    def complexity(self) -> float | None:
        """Representational complexity C (:attr:`Decomposition.complexity`)."""
        return self.decomposition.complexity

    @property
    def mutual_information(self) -> float:
        """I(T : S_1, ..., S_n) in the result's unit."""
        return self.decomposition.mutual_information

    @property
    def degree_atoms(self) -> dict[int, float]:
        """Π_m, m = 1..n (:attr:`Decomposition.degree_atoms`)."""
        return self.decomposition.degree_atoms

    @property
    def redundancy_degree(self) -> float | None:
        """r̄ (:attr:`Decomposition.redundancy_degree`)."""
        return self.decomposition.redundancy_degree

    @property
    def vulnerability_degree(self) -> float | None:
        """v̄ (:attr:`Decomposition.vulnerability_degree`)."""
        return self.decomposition.vulnerability_degree

    @property
    def reing_differences(self) -> dict[int, float]:
        """C(k-1 ‖ k) (:attr:`Decomposition.reing_differences`)."""
        return self.decomposition.reing_differences

    @property
    def unit(self) -> str:
        return self.decomposition.unit

    def table(self) -> str:
        """The atoms table (:meth:`Decomposition.table`) and the summaries below it."""
        d = self.decomposition

        def num(v: float | None) -> str:
            return "None" if v is None else f"{v:.6g}"

        lines = [
            d.table(),
            "",
            f"neurons (sources)     {', '.join(_source_name(s) for s in self.neurons)}",
            f"quantiser             {self._spec()}",
            f"samples, outcomes     {self.n_samples:,}, {d.n_outcomes:,}",
            f"I(T:S)                {d.mutual_information:.6g} {d.unit}",
            f"complexity C          {num(d.complexity)}",
            "degree atoms Π_m      "
            + ", ".join(f"{m}: {v:.6g}" for m, v in d.degree_atoms.items()),
            f"redundancy degree r̄   {num(d.redundancy_degree)}",
            f"vulnerability deg. v̄  {num(d.vulnerability_degree)}",
        ]
        return "\n".join(lines)

    def _spec(self) -> str:
        if self.limits is None:
            return f"{self.quantiser}, {self.levels} bins from the data"
        distinct = sorted(set(self.limits))
        lim = (
            f"limits ({distinct[0][0]:g}, {distinct[0][1]:g})"
            if len(distinct) == 1
            else "per-neuron limits"
        )
        return f"{self.quantiser}, {self.levels} {'levels' if self.quantiser == 'levels' else 'bins'}, {lim}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the decomposition's :meth:`Decomposition.as_dict` and the spec."""
        return {
            **self.decomposition.as_dict(),
            "neurons": [list(s) for s in self.neurons],
            "quantiser": self.quantiser,
            "levels": self.levels,
            "limits": None if self.limits is None else [list(x) for x in self.limits],
            "n_samples": self.n_samples,
        }

    def __repr__(self) -> str:
        c = self.complexity
        return (
            f"LayerPID(neurons={[list(s) for s in self.neurons]}, {self.quantiser} L={self.levels}, "
            f"I={self.mutual_information:.6g} {self.unit}, "
            f"complexity={'None' if c is None else f'{c:.4g}'})"
        )


def _source_name(cols: tuple[int, ...]) -> str:
    return str(cols[0]) if len(cols) == 1 else "(" + " ".join(map(str, cols)) + ")"


def _sources(api: str, neurons: Any, d: int) -> tuple[tuple[int, ...], ...]:
    """The neurons of each source: None (every column), [i, ...] (one neuron per source)
    or [[i, j], ...] (a source of several neurons), checked against D columns."""
    expected = (
        f"None, a list of 1 to {MAX_SOURCES} neuron indices in 0..{d - 1}, or a list of "
        "lists (each list the neurons of one source)"
    )
    if neurons is None:
        if d > MAX_SOURCES:
            fail(
                api,
                "neurons",
                f"given when the layer has more than {MAX_SOURCES} neurons (a PID has 1 to "
                f"{MAX_SOURCES} sources: choose them, e.g. neurons=[0, 1, 2, 3])",
                f"None for a layer of {d} neurons",
            )
        return tuple((j,) for j in range(d))
    if is_torch(neurons) or isinstance(neurons, np.ndarray):
        neurons = to_numpy(neurons).tolist()
    if isinstance(neurons, (str, bytes)) or not isinstance(neurons, Sequence):
        fail(api, "neurons", expected, repr(neurons), TypeError)
    out: list[tuple[int, ...]] = []
    for item in neurons:
        group = [item] if is_int(item) else item
        if isinstance(group, (str, bytes)) or not isinstance(group, Sequence) or not group:
            fail(api, "neurons", expected, repr(neurons), TypeError)
        cols = []
        for j in group:
            if not is_int(j):
                fail(api, "neurons", expected, f"{j!r} in {neurons!r}", TypeError)
            if not 0 <= int(j) < d:
                fail(api, "neurons", f"indices in 0..{d - 1} (the layer's columns)", int(j))
            cols.append(int(j))
        out.append(tuple(cols))
    if not 1 <= len(out) <= MAX_SOURCES:
        fail(api, "neurons", f"1 to {MAX_SOURCES} sources", f"{len(out)} sources")
    flat = [j for s in out for j in s]
    if len(set(flat)) != len(flat):
        dup = sorted({j for j in flat if flat.count(j) > 1})
        fail(api, "neurons", "distinct neurons (each in one source)", f"{dup} more than once")
    return tuple(out)


def _limits(api: str, limits: Any, quantiser: str) -> tuple[float, float] | str | None:
    """(lo, hi), "data" or None (quantile bins), checked."""
    if quantiser == "quantile":
        if limits not in (None, "data"):
            fail(
                api,
                "limits",
                "None or 'data' with quantiser='quantile' (its bins come from the data)",
                repr(limits),
            )
        return None
    if limits is None:
        return NAMED_LIMITS["tanh"]
    if isinstance(limits, str):
        if limits == "data":
            return "data"
        if limits not in NAMED_LIMITS:
            fail(
                api,
                "limits",
                f"one of {[*NAMED_LIMITS, 'data']} or a pair (lo, hi)",
                repr(limits),
            )
        return NAMED_LIMITS[limits]
    try:
        lo, hi = limits
        lo, hi = float(lo), float(hi)
    except (TypeError, ValueError):
        fail(api, "limits", "a name ('tanh', 'sigmoid', 'data') or a pair (lo, hi)", repr(limits))
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        fail(api, "limits", "a pair (lo, hi) of finite numbers with lo < hi", (lo, hi))
    return lo, hi


def _labels(api: str, labels: Any, n: int) -> Any:
    """Labels [N] (ints, bools or strings; -1 is a label like any other), checked."""
    if isinstance(labels, (str, bytes)) or labels is None:
        fail(api, "labels", "[N] integer or string labels", repr(labels), TypeError)
    arr = labels if is_torch(labels) else np.asarray(labels)
    floating = bool(arr.is_floating_point()) if is_torch(arr) else arr.dtype.kind in "fc"
    if floating:
        fail(
            api,
            "labels",
            "integer or string labels (codes, not continuous values)",
            f"dtype {arr.dtype}",
            TypeError,
        )
    if arr.ndim != 1:
        fail(
            api, "labels", "1-D [N] (one label per row of activations)", f"shape {tuple(arr.shape)}"
        )
    if int(arr.shape[0]) != n:
        fail(api, "labels", f"{n} labels (one per row of activations)", f"{int(arr.shape[0])}")
    encode(arr, name="labels", api=api)  # object arrays and the like: refused here
    return arr


def _quantise(
    api: str,
    x: np.ndarray,
    quantiser: str,
    n_levels: int,
    limits: tuple[float, float] | str | None,
    out_of_range: str,
) -> tuple[np.ndarray, tuple[tuple[float, float], ...] | None]:
    """Codes [N, k] of the chosen columns x [N, k] and the (lo, hi) used per column."""
    if quantiser == "quantile":
        return np.asarray(quantise.quantile(x, n_levels)), None
    if limits == "data":
        per = tuple((float(c.min()), float(c.max())) for c in x.T)
        flat = [j for j, (lo, hi) in enumerate(per) if not lo < hi]
        if flat and quantiser == "levels":
            fail(
                api,
                "activations",
                "non-constant in each chosen neuron with limits='data' (a constant neuron has "
                "no range to divide into levels; give limits=(lo, hi))",
                f"neuron column {flat[0]} constant at {per[flat[0]][0]!r}",
            )
    else:
        per = ((limits[0], limits[1]),) * x.shape[1]  # type: ignore[index]
        lo, hi = per[0]
        if out_of_range == "raise":
            outside = (x < lo) | (x > hi)
            if outside.any():
                row, col = (int(i) for i in np.argwhere(outside)[0])
                fail(
                    api,
                    "activations",
                    f"inside limits [{lo:g}, {hi:g}] (or out_of_range='clip')",
                    f"{float(x[row, col])!r} in row {row} of the chosen neuron column {col}",
                )
    codes = np.empty(x.shape, dtype=quantise.code_dtype(n_levels))
    for j, (lo, hi) in enumerate(per):
        col = x[:, j]
        if quantiser == "levels":
            codes[:, j] = quantise.levels(col, n_levels, limits=(lo, hi), out_of_range="clip")
        elif lo < hi:
            codes[:, j] = quantise.equal_width(col, n_levels, range=(lo, hi), out_of_range="clip")
        else:
            codes[:, j] = 0  # a constant column: one bin
    return codes, per


def layer_complexity(
    activations: Any,
    labels: Any,
    *,
    neurons: Sequence[int] | Sequence[Sequence[int]] | None = None,
    levels: int = 8,
    limits: str | tuple[float, float] | None = None,
    quantiser: str = "levels",
    out_of_range: str = "raise",
    measure: str = "sx",
    base: float = math.e,
    num_threads: int | None = None,
) -> LayerPID:
    """The PID of the label's information in 1 to 5 quantised neurons of a layer, and its
    representational complexity C, as nninfo computes them (module docstring).

    ``activations`` [N, D] floats (NumPy or torch; read, never modified); ``labels`` [N]
    integer or string labels (the target T: every value a class, -1 included).
    ``neurons``: which columns are the sources — a list of indices (one neuron per
    source, nninfo's setting), a list of lists (each inner list one source of several
    neurons, their joint value its outcome), or None for every column of a layer of at
    most 5 neurons.

    Quantiser (applied to the chosen neurons only): ``"levels"`` (default) nninfo's
    rounding to ``levels`` equidistant levels between ``limits``
    (:func:`softent.discrete.quantise.levels`); ``"equal_width"`` ``levels`` equal bins
    between ``limits``; ``"quantile"`` ``levels`` equal-mass bins per neuron (``limits``
    None). ``limits``: "tanh" (-1, 1, the default), "sigmoid" (0, 1), a pair (lo, hi), or
    "data" (each neuron's own min and max). A value outside fixed limits is refused
    (``out_of_range="raise"``, as nninfo asserts) or clipped to them (``"clip"``).

    ``measure``, ``base``, ``num_threads``: as :func:`softent.pid.decompose` (nats by
    default; ``base=2`` for the bits nninfo reports). Returns a :class:`LayerPID`.
    """
    api = _API
    kind = check_choice(api, "quantiser", quantiser, QUANTISERS)
    n_levels = check_int(
        api, "levels", levels, lo=2 if kind == "levels" else 1, hi=quantise.MAX_BINS
    )
    oor = check_choice(api, "out_of_range", out_of_range, quantise.OUT_OF_RANGE)
    check_base(api, base)
    lim = _limits(api, limits, kind)
    x = as_float_rows(activations, api, "activations")
    d = int(x.shape[1])
    sources = _sources(api, neurons, d)
    cols = [j for s in sources for j in s]
    # only the chosen columns are read (a copy: quantising never touches the input)
    chosen = np.asarray(to_numpy(x[:, cols]), dtype=np.float64)
    ok = finite_rows(chosen)
    if not ok.all():
        row = int(np.flatnonzero(~ok)[0])
        fail(
            api, "activations", "finite (no NaN/Inf) in the chosen neurons", f"NaN/Inf in row {row}"
        )
    n = int(chosen.shape[0])
    target = _labels(api, labels, n)
    codes, per = _quantise(api, chosen, kind, n_levels, lim, oor)
    parts, start = [], 0
    for s in sources:
        block = codes[:, start : start + len(s)]
        parts.append(block[:, 0] if len(s) == 1 else block)
        start += len(s)
    dec = decompose(parts, target, measure=measure, base=base, num_threads=num_threads)
    return LayerPID(dec, sources, kind, n_levels, per, n)


def layer_complexities(
    layers: Mapping[Any, Any] | Sequence[Any],
    labels: Any,
    *,
    neurons: Any = None,
    **options: Any,
) -> dict[Any, LayerPID] | list[LayerPID]:
    """:func:`layer_complexity` of several layers, or of one layer at several training
    checkpoints, with the same labels.

    ``layers``: a dict {name: activations [N, D]} (returns {name: LayerPID}) or a list of
    activation arrays (returns a list, in order). ``neurons``: one choice for every layer,
    or a dict {name: choice} (with a dict of layers; a layer missing from it uses None:
    all its neurons). ``options``: the other keywords of :func:`layer_complexity`.
    """
    api = "pid.layer_complexities"
    per_layer = isinstance(neurons, Mapping)
    if isinstance(layers, Mapping):
        if per_layer:
            unknown = [k for k in neurons if k not in layers]
            if unknown:
                fail(api, "neurons", f"keyed by the layers' names {list(layers)}", unknown)
        return {
            k: layer_complexity(
                v, labels, neurons=neurons.get(k) if per_layer else neurons, **options
            )
            for k, v in layers.items()
        }
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence) or not layers:
        fail(
            api,
            "layers",
            "a dict {name: activations} or a non-empty list of activation arrays",
            type(layers).__name__,
            TypeError,
        )
    if per_layer:
        fail(api, "neurons", "one choice for every layer when layers is a list", "a dict")
    return [layer_complexity(v, labels, neurons=neurons, **options) for v in layers]


__all__ = [
    "NAMED_LIMITS",
    "QUANTISERS",
    "LayerPID",
    "layer_complexities",
    "layer_complexity",
]
