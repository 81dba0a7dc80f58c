"""Every public function of every softent family, as a strategy of generated :class:`Call`.

``TARGETS[name]`` draws one call of the public function (or one short scenario of a
stateful object: an ``Accumulator`` or ``Counts`` updated, merged, saved, loaded and read)
with arguments from :mod:`fuzz_strategies`. ``FAMILY[name]`` says which family it
belongs to. test_fuzz.py runs a few deterministic examples of each in CI; long_run.py
runs thousands, in child processes.
"""

from __future__ import annotations

import dataclasses
import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import softent
import softent.compat.sklearn
import softent.discrete as sd
import softent.knn
import softent.pid
import softent.torch as stt
import torch
from fuzz_core import Call
from fuzz_strategies import (
    alphas,
    arrays_or_junk,
    bases,
    bools,
    code_arrays,
    estimators,
    float_arrays,
    label_arrays,
    lay_out,
    metrics,
    mostly,
    nonfinites,
    optional_sizes,
    prob_tables,
    probabilities,
    seeds,
    seeds_arg,
    sizes,
    temperatures,
    thread_counts,
    weight_arrays,
    weightings,
)
from hypothesis import strategies as st

TARGETS: dict[str, st.SearchStrategy] = {}
FAMILY: dict[str, str] = {}

NUMBER = (float, np.ndarray, torch.Tensor)
#: the ratio measures, NaN where undefined (documented in softent/soft/measures.py: B = 1,
#: H(Z) = 0, one label value, I = 0), and the bootstrap columns, NaN from one replicate
RATIOS = ("efficiency", "regularity", "variation", "disentanglement", "normalised_mi", "optimality")
BOOTSTRAP_COLUMNS = ("_se", "_bias")


def target(name: str, family: str):
    def register(fn):
        TARGETS[name] = st.composite(fn)()
        FAMILY[name] = family
        return fn

    return register


def rows(x: Any) -> int:
    """Rows of whatever ``x`` is (0 when it has none), to size matching labels."""
    try:
        return len(x) if not isinstance(x, (str, bytes)) else 0
    except TypeError:
        return 0


def soft_kwargs(draw: Any, torch_front: bool = False, base: bool = True) -> dict[str, Any]:
    """The keyword arguments every soft-bin function shares, each present or not."""
    kw: dict[str, Any] = {}
    options = {
        "n_bins": sizes(1, 48),
        "metric": metrics(),
        "temperature": temperatures(),
        "seed": seeds_arg(),
        "num_threads": thread_counts(),
    }
    if base:
        options["base"] = bases()
    if not torch_front:
        options["nonfinite"] = nonfinites()
    for key, strategy in options.items():
        if draw(st.booleans()):
            kw[key] = draw(strategy)
    if draw(st.sampled_from(range(6))) == 5:
        kw["centres"] = draw(arrays_or_junk(float_arrays(max_rows=12)))
    return kw


def valid_z(draw: Any, n_max: int = 48) -> np.ndarray:
    rng = np.random.default_rng(draw(seeds))
    return rng.normal(0, 1, (draw(st.integers(2, n_max)), draw(st.integers(1, 6))))


def valid_hist(
    draw: Any, labels: bool = True, z: Any = None, kw: dict | None = None
) -> softent.SoftHistogram:
    """A soft histogram of plausible data (the measures' argument), labels sometimes odd."""
    z = valid_z(draw) if z is None else z
    lab = draw(label_arrays(len(z))) if labels else None
    if kw is None:
        kw = {"n_bins": draw(st.integers(1, 24)), "temperature": draw(st.floats(0.05, 3.0))}
    try:
        return softent.soft_histogram(z, lab, **kw)
    except (TypeError, ValueError):  # labels refused: the measure still gets a histogram
        return softent.soft_histogram(z, np.arange(len(z)) % 3, **kw)


# ----------------------------------------------------------------------------- soft family


@target("softent.entropy", "soft")
def _entropy(draw):
    z = draw(arrays_or_junk(float_arrays()))
    return Call("softent.entropy", softent.entropy, (z,), soft_kwargs(draw), NUMBER)


for _name, _fn in (
    ("conditional_entropy", softent.conditional_entropy),
    ("mutual_information", softent.mutual_information),
    ("information", softent.information),
):

    def _labelled(draw, _name=_name, _fn=_fn):
        z = draw(arrays_or_junk(float_arrays()))
        labels = draw(arrays_or_junk(label_arrays(rows(z))))
        kw = soft_kwargs(draw)
        expect = (softent.Information,) if _name == "information" else NUMBER
        if draw(st.booleans()):
            kw["weighting"] = draw(weightings())
        return Call(f"softent.{_name}", _fn, (z, labels), kw, expect)

    TARGETS[f"softent.{_name}"] = st.composite(_labelled)()
    FAMILY[f"softent.{_name}"] = "soft"


@target("softent.soft_histogram", "soft")
def _soft_histogram(draw):
    z = draw(arrays_or_junk(float_arrays()))
    labels = draw(st.one_of(st.none(), label_arrays(rows(z))))
    kw = soft_kwargs(draw, base=False)
    if draw(st.booleans()):
        kw["tile_rows"] = draw(optional_sizes(1, 64))
    return Call(
        "softent.soft_histogram", softent.soft_histogram, (z, labels), kw, (softent.SoftHistogram,)
    )


def _hist_methods(hist: softent.SoftHistogram, base: Any, weighting: Any) -> dict[str, Any]:
    return {
        "entropy": hist.entropy(base),
        "label_entropies": hist.label_entropies(base),
        "conditional_entropy": hist.conditional_entropy(base, weighting),
        "mutual_information": hist.mutual_information(base, weighting),
        "information": hist.information(base, weighting),
    }


@target("softent.SoftHistogram.methods", "soft")
def _hist_m(draw):
    return Call(
        "softent.SoftHistogram.methods",
        _hist_methods,
        (valid_hist(draw), draw(bases()), draw(weightings())),
        {},
        (dict,),
    )


@target("softent.spherical_bins", "soft")
def _spherical_bins(draw):
    return Call(
        "softent.spherical_bins",
        softent.spherical_bins,
        (draw(sizes(1, 48)), draw(sizes(1, 8)), draw(seeds_arg())),
        {},
        (np.ndarray,),
    )


@target("softent.box_bins", "soft")
def _box_bins(draw):
    return Call(
        "softent.box_bins",
        softent.box_bins,
        (draw(arrays_or_junk(float_arrays())), draw(sizes(1, 48)), draw(seeds_arg())),
        {},
        (np.ndarray,),
    )


@target("softent.calibrate_temperature", "soft")
def _calibrate(draw):
    method = draw(st.one_of(st.just("vmf"), st.sampled_from(["VMF", "", "auto", None, 3])))
    return Call(
        "softent.calibrate_temperature",
        softent.calibrate_temperature,
        (draw(sizes(1, 64)), draw(sizes(1, 200)), method),
        {},
        (float,),
    )


TARGETS["softent.build_info"] = st.just(
    Call("softent.build_info", softent.build_info, (), {}, (dict,))
)
FAMILY["softent.build_info"] = "soft"


MEASURES_HIST = {
    "efficiency": (softent.efficiency, ()),
    "regularity": (softent.regularity, ("weighting",)),
    "variation": (softent.variation, ("weighting",)),
    "disentanglement": (softent.disentanglement, ("base",)),
    "normalised_mi": (softent.normalised_mi, ("weighting",)),
    "label_entropy": (softent.label_entropy, ("base",)),
    "all_measures": (softent.all_measures, ("base", "weighting")),
}


@target("softent.measures", "soft")
def _measures(draw):
    name = draw(st.sampled_from(sorted(MEASURES_HIST)))
    fn, keys = MEASURES_HIST[name]
    hist = valid_hist(draw, labels=draw(st.sampled_from(range(5))) < 4)
    kw = {k: draw(bases() if k == "base" else weightings()) for k in keys if draw(st.booleans())}
    expect = (dict,) if name == "all_measures" else (float, type(None))
    nan_ok = RATIOS if name == "all_measures" else ("*",) if name in RATIOS else ()
    return Call(f"softent.{name}", fn, (hist,), kw, expect, nan_ok=nan_ok)


@target("softent.optimality", "soft")
def _optimality(draw):
    z = valid_z(draw)
    kw = {"n_bins": draw(st.integers(1, 24)), "temperature": draw(st.floats(0.05, 3.0))}
    a, b = valid_hist(draw, z=z, kw=kw), valid_hist(draw, z=z, kw=kw)  # on the same bins
    kw = {"weighting": draw(weightings())} if draw(st.booleans()) else {}
    return Call(
        "softent.optimality", softent.optimality, (a, b), kw, (float, type(None)), nan_ok=("*",)
    )


@target("softent.measures_from_masses", "soft")
def _measures_from_masses(draw):
    rng = np.random.default_rng(draw(seeds))
    b, k = draw(st.integers(1, 12)), draw(st.integers(1, 5))
    counts = rng.integers(1, 20, k).astype(np.float64)
    per_label = rng.random((k, b)) * counts[:, None]
    total = per_label.sum(0)
    kind = draw(
        st.sampled_from(
            ["ok"] * 5
            + [
                "negative",
                "nan",
                "inf",
                "zeros",
                "shape",
                "subnormal",
                "huge",
                "no_labels",
                "mismatch",
            ]
        )
    )
    if kind == "negative":
        per_label[0, 0] = -1.0
    elif kind == "nan":
        total[0] = np.nan
    elif kind == "inf":
        counts[0] = np.inf
    elif kind == "zeros":
        per_label[:] = 0.0
        total[:] = 0.0
    elif kind == "shape":
        per_label = per_label[:, :-1] if b > 1 else per_label.T
    elif kind == "subnormal":
        per_label *= 5e-324
        total = per_label.sum(0)
    elif kind == "huge":
        per_label *= 1e300
        total = per_label.sum(0)
    elif kind == "no_labels":
        per_label = counts = None
    elif kind == "mismatch":
        total = total * 2.0
    kw = {}
    if draw(st.booleans()):
        kw["base"] = draw(bases())
    if draw(st.booleans()):
        kw["weighting"] = draw(weightings())
    return Call(
        "softent.measures_from_masses",
        softent.measures_from_masses,
        (total, per_label, counts),
        kw,
        (dict,),
        nan_ok=RATIOS,
    )


def _report_calls(source: Any, label_sets: Any, kw: dict[str, Any]) -> dict[str, Any]:
    r = softent.report(source, label_sets, **kw)
    return {
        "dict": r.to_dict(),
        "table": r.format_table(),
        "str": str(r),
        "pandas": r.to_pandas().to_dict(),
    }


@target("softent.report", "soft")
def _report(draw):
    z = draw(arrays_or_junk(float_arrays(max_rows=40)))
    n = rows(z)
    kind = draw(st.sampled_from(["dict", "dict", "array", "none", "names"]))
    if kind == "dict":
        label_sets = {
            name: draw(label_arrays(n)) for name in draw(st.sampled_from([["x"], ["x", "y"]]))
        }
    elif kind == "array":
        label_sets = draw(label_arrays(n))
    elif kind == "names":
        label_sets = draw(st.sampled_from(["x", ["x", "y"], [""], {"": [1]}, {3: [1]}]))
    else:
        label_sets = None
    kw: dict[str, Any] = {}
    for key, strategy in {
        "bootstrap": sizes(0, 3),
        "confidence": probabilities(),
        "bootstrap_seed": seeds_arg(),
        "base": bases(),
        "weighting": weightings(),
        "n_bins": sizes(1, 24),
        "metric": metrics(),
        "temperature": temperatures(),
        "num_threads": thread_counts(),
    }.items():
        if draw(st.sampled_from(range(3))) == 2:
            kw[key] = draw(strategy)
    if draw(st.booleans()):  # an optimality row: both names, sometimes odd ones
        kw["input_set"] = draw(st.sampled_from(["x", "x", "y", "z", 3]))
        kw["output_set"] = draw(st.sampled_from(["y", "y", "x", "z"]))
    return Call(
        "softent.report",
        _report_calls,
        (z, label_sets, kw),
        {},
        (dict,),
        nan_ok=RATIOS + BOOTSTRAP_COLUMNS,
    )


def _accumulator_scenario(
    init: dict[str, Any],
    batches: list[tuple[Any, Any, str]],
    other_batches: list[tuple[Any, Any, str]] | None,
    self_merge: bool,
    base: Any,
    weighting: Any,
    device: Any = "cpu",
    stream: bool = False,
) -> dict[str, Any]:
    """Build, update (or update_from), move, merge, copy, save, load and read an
    Accumulator; every result out."""
    acc = softent.Accumulator(**init)
    acc.to(device)  # only "cpu" / -1 / torch.device("cpu") exist in a CPU-only build
    if stream:
        acc.update_from(((z, labels) for z, labels, _ in batches), nonfinite=batches[0][2])
    else:
        for z, labels, nonfinite in batches:
            acc.update(z, labels, nonfinite=nonfinite)
    if self_merge:
        acc.merge(acc)
    if other_batches is not None:
        other = softent.Accumulator(**init)
        for z, labels, nonfinite in other_batches:
            other.update(z, labels, nonfinite=nonfinite)
        acc.merge(other)
    out: dict[str, Any] = {"n_rows": acc.n_rows}
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "state.npz"
        acc.save(path)
        loaded = softent.Accumulator.load(path)
    out["loaded_entropy"] = loaded.entropy(base=base)
    out["copy_state"] = softent.Accumulator.from_state_dict(acc.copy().state_dict()).entropy()
    out["entropy"] = acc.entropy(base=base)
    for name in acc.label_sets:
        out[f"mi[{name}]"] = acc.mutual_information(name, base=base, weighting=weighting)
        out[f"ch[{name}]"] = acc.conditional_entropy(name, base=base, weighting=weighting)
        out[f"le[{name}]"] = acc.label_entropies(name, base=base)
        out[f"info[{name}]"] = acc.information(name, base=base, weighting=weighting)
        out[f"report[{name}]"] = softent.report(acc, name).to_dict()
    if acc.bootstrap:
        out["replicates"] = acc.replicate_measures(base=base, weighting=weighting)
        out["replicate_histograms"] = acc.replicate_histograms()
    out["result"] = acc.result()
    return out


@target("softent.Accumulator", "soft")
def _accumulator(draw):
    d = draw(st.integers(1, 6))
    init: dict[str, Any] = {"dim": d} if draw(st.sampled_from(range(10))) < 9 else {}
    for key, strategy in {
        "n_bins": sizes(1, 24),
        "seed": seeds_arg(),
        "metric": metrics(),
        "temperature": temperatures(),
        "num_threads": thread_counts(),
        "bootstrap": sizes(0, 3),
        "bootstrap_seed": seeds_arg(),
        "internal_shape": st.sampled_from([None, (), (2,), (0,), (-1,), (2**40, 2**40), "2"]),
        "label_sets": mostly(
            st.sampled_from([None, "y", ["y"], ["y", "w"]]),
            st.sampled_from([[""], [3], ["y", "y"], "", b"y"]),
        ),
    }.items():
        if draw(st.sampled_from(range(4))) == 3:
            init[key] = draw(strategy)
    if draw(st.sampled_from(range(12))) == 11:
        init["dim"] = draw(sizes(1, 6))  # maybe not the batches' D
    if draw(st.sampled_from(range(8))) == 7:
        init["centres"] = draw(arrays_or_junk(float_arrays(max_rows=12)))
    if draw(st.sampled_from(range(8))) == 7:
        init["box"] = draw(st.sampled_from([(-1.0, 1.0), (1.0, -1.0), (0, 0), (np.nan, 1), "x"]))
    elif init.get("metric") in ("euclidean", "sqeuclidean") and "centres" not in init:
        init["box"] = (-3.0, 3.0)  # a stream needs fixed centres for these metrics

    def batch(rng_seed: int) -> tuple[Any, Any, str]:
        rng = np.random.default_rng(rng_seed)
        n = draw(st.integers(0, 40)) if draw(st.booleans()) else draw(st.integers(8, 40))
        z = (
            rng.normal(0, 1, (n, d))
            if draw(st.sampled_from(range(6))) < 5
            else draw(float_arrays())
        )
        sets = init.get("label_sets")
        if sets is None or draw(st.sampled_from(range(5))) == 4:
            labels = draw(st.one_of(st.none(), label_arrays(rows(z))))
        else:
            names = [sets] if isinstance(sets, str) else list(sets)
            labels = {str(s): draw(label_arrays(rows(z))) for s in names if draw(st.booleans())}
        return z, labels, draw(nonfinites())

    batches = [batch(draw(seeds)) for _ in range(draw(st.integers(1, 2)))]
    others = [batch(draw(seeds))] if draw(st.booleans()) else None
    device = draw(
        mostly(
            st.sampled_from(["cpu", -1, torch.device("cpu")]),
            st.sampled_from(["cuda:0", "cuda", 0, "meta", "tpu", None, 1.5]),
            0.8,
        )
    )
    stream = draw(st.booleans())
    return Call(
        "softent.Accumulator",
        _accumulator_scenario,
        (
            init,
            batches,
            others,
            draw(st.sampled_from(range(10))) == 9,
            draw(bases()),
            draw(weightings()),
            device,
            stream,
        ),
        {},
        (dict,),
        nan_ok=RATIOS + BOOTSTRAP_COLUMNS,
    )


@target("softent.Bins", "soft")
def _bins(draw):
    def make(centres: Any, metric: Any, temperature: Any) -> dict[str, Any]:
        b = softent.Bins(centres, metric, temperature)
        return {"fingerprint": b.fingerprint(), "repr": repr(b)}

    return Call(
        "softent.Bins",
        make,
        (
            draw(arrays_or_junk(float_arrays(max_rows=12))),
            draw(metrics()),
            draw(mostly(st.floats(0.05, 5.0), temperatures())),
        ),
        {},
        (dict,),
    )


# ----------------------------------------------------------------------------- softent.torch


def _torch_labels(draw: Any, n: int) -> Any:
    labels = draw(label_arrays(n))
    if draw(st.booleans()) and isinstance(labels, np.ndarray) and labels.dtype.kind in "iu":
        return torch.from_numpy(labels.astype(np.int64))
    return labels


for _name in ("entropy", "conditional_entropy", "mutual_information", "information"):

    def _torch_fn(draw, _name=_name):
        z = draw(arrays_or_junk(float_arrays(torch_only=draw(st.sampled_from(range(4))) < 3)))
        kw = soft_kwargs(draw, torch_front=True)
        if kw.get("temperature") == "auto" and draw(st.booleans()):
            kw["temperature"] = torch.tensor(
                draw(st.sampled_from([0.3, 1e-160, 1e-300, 5.0])),
                dtype=torch.float64,
                requires_grad=True,
            )
        args: tuple = (z,)
        if _name != "entropy":
            args = (z, _torch_labels(draw, rows(z)))
            if draw(st.booleans()):
                kw["n_labels"] = draw(optional_sizes(1, 8))
            if draw(st.booleans()):
                kw["weighting"] = draw(weightings())
        expect = (stt.TorchInformation,) if _name == "information" else (torch.Tensor,)
        return Call(f"softent.torch.{_name}", getattr(stt, _name), args, kw, expect)

    TARGETS[f"softent.torch.{_name}"] = st.composite(_torch_fn)()
    FAMILY[f"softent.torch.{_name}"] = "torch"


@target("softent.torch.information_plane", "torch")
def _information_plane(draw):
    rng = np.random.default_rng(draw(seeds))
    n = draw(st.sampled_from(range(6)))
    history = [
        {
            "step": i,
            "layer": draw(st.sampled_from(["a", "b"])),
            "x": float(rng.random()),
            "y": draw(st.sampled_from([float(rng.random()), math.nan, None, "1", -1.0])),
        }
        for i in range(n)
    ]
    if draw(st.sampled_from(range(5))) == 4:
        history = draw(st.sampled_from([None, "x", [1, 2], [{}]]))
    x = draw(st.sampled_from(["x", "x", "y", "missing", 3]))
    return Call(
        "softent.torch.information_plane", stt.information_plane, (history, x, "y"), {}, (dict,)
    )


def _cache_bytes(nbytes: Any) -> int:
    """Set the backward cache and put the previous value back (it is process-global)."""
    previous = stt.set_backward_cache_bytes(nbytes)
    stt.set_backward_cache_bytes(previous)
    return previous


@target("softent.torch.set_backward_cache_bytes", "torch")
def _backward_cache(draw):
    return Call(
        "softent.torch.set_backward_cache_bytes", _cache_bytes, (draw(sizes(0, 2**26)),), {}, (int,)
    )


def _monitor_scenario(layers: Any, kw: dict[str, Any], x: Any, labels: Any) -> dict[str, Any]:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    model = model.to(x.dtype)  # the model takes its input's dtype: softent's side is fuzzed
    mon = stt.LayerMonitor(model, layers, **kw)
    try:
        out = {}
        for step in range(2):
            mon.set_labels(labels)
            with torch.no_grad():
                model(x)
            out[f"record{step}"] = mon.record(step)
        out["curves"] = mon.curves("mutual_information")
        out["pandas"] = mon.to_pandas().to_dict()
        return out
    finally:
        mon.close()


@target("softent.torch.LayerMonitor", "torch")
def _monitor(draw):
    rng = np.random.default_rng(draw(seeds))
    n = draw(st.integers(1, 24))
    x = torch.from_numpy(rng.normal(0, 1, (n, 4)))
    x = draw(st.sampled_from([x.float(), x.float(), x.double(), x.half()]))
    layers = draw(
        mostly(
            st.sampled_from([["0"], ["0", "2"], ["1"]]),
            st.sampled_from([["missing"], [], "0", [0]]),
        )
    )
    kw: dict[str, Any] = {}
    for key, strategy in {
        "n_bins": sizes(1, 16),
        "metric": metrics(),
        "temperature": temperatures(),
        "every": optional_sizes(1, 3),
        "sample_every": sizes(1, 2),
        "flatten": mostly(
            st.sampled_from(["tokens", "sample", "mean", "first", "last"]),
            st.sampled_from(["bogus", 3]),
        ),
        "base": bases(),
        "weighting": weightings(),
        "bootstrap": sizes(0, 2),
        "num_threads": thread_counts(),
    }.items():
        if draw(st.sampled_from(range(4))) == 3:
            kw[key] = draw(strategy)
    labels = draw(st.one_of(st.none(), label_arrays(n)))
    return Call(
        "softent.torch.LayerMonitor",
        _monitor_scenario,
        (layers, kw, x, labels),
        {},
        (dict,),
        nan_ok=RATIOS + BOOTSTRAP_COLUMNS,
    )


# ----------------------------------------------------------------------------- discrete: tables


def table_kwargs(draw: Any, keys: tuple[str, ...]) -> tuple[dict[str, Any], bool]:
    kw: dict[str, Any] = {}
    options = {
        "base": bases(),
        "normalize": bools(),
        "validate": st.one_of(st.just(True), bools()),
        "axis": mostly(
            st.sampled_from([-1, -1, -1, 0]),
            st.sampled_from([2, -3, 1.0, "0", None, (0, 1), (0, 0)]),
        ),
        "given": mostly(st.sampled_from([-2, -1, 0, 1]), st.sampled_from([2, 1.0, "x"])),
        "reduction": st.sampled_from([None, "mean", "sum", "none", "avg", 1]),
    }
    for key in keys:
        if draw(st.booleans()):
            kw[key] = draw(options[key])
    # validate=False: the result on invalid values is unspecified (tables.py docstring)
    lenient = kw.get("validate", True) is False
    return kw, lenient


TABLE_1 = {
    "entropy": ("base", "normalize", "validate", "axis"),
    "self_information": ("base", "validate"),
}
TABLE_2D = {
    "joint_entropy": ("base", "normalize", "validate"),
    "conditional_entropy": ("base", "normalize", "validate", "given"),
    "mutual_information": ("base", "normalize", "validate"),
}
TABLE_PQ = {
    "kl_divergence": ("base", "normalize", "validate", "axis"),
    "cross_entropy": ("base", "normalize", "validate", "axis", "reduction"),
    "js_divergence": ("base", "normalize", "validate", "axis"),
}
INF_DOCUMENTED = {"kl_divergence", "cross_entropy", "self_information"}


def _table_target(name: str, keys: tuple[str, ...], kind: str):
    fn = getattr(sd, name)

    def draw_call(draw):
        kw, lenient = table_kwargs(draw, keys)
        if kind == "1":
            args: tuple = (draw(arrays_or_junk(prob_tables(ndim=draw(st.sampled_from([1, 2]))))),)
        elif kind == "2d":
            args = (draw(arrays_or_junk(prob_tables(ndim=2))),)
        else:
            ndim = draw(st.sampled_from([1, 1, 2]))
            p = draw(arrays_or_junk(prob_tables(ndim=ndim)))
            if name == "cross_entropy" and draw(st.sampled_from(range(4))) == 3:
                # the classification form: integer class ids, one per row of p
                rng = np.random.default_rng(draw(seeds))
                shape = getattr(p, "shape", (0,))
                c = shape[-1] if len(shape) else 1
                lo, hi = (-1, c + 1) if draw(st.sampled_from(range(4))) == 3 else (0, c)
                ids = np.asarray(rng.integers(lo, max(hi, lo + 1), shape[:-1]))
                q: Any = torch.from_numpy(ids) if isinstance(p, torch.Tensor) else ids
                kw.pop("validate", None)  # torch raises its own error for ids out of range
                lenient = False
            else:
                # mostly a q that fits p (same shape, same library), else any table
                fits = hasattr(p, "shape") and draw(st.sampled_from(range(5))) < 4
                q = draw(
                    prob_tables(shape=tuple(p.shape), torch_layout=isinstance(p, torch.Tensor))
                    if fits
                    else arrays_or_junk(prob_tables(ndim=ndim))
                )
            args = (p, q)
        return Call(
            f"softent.discrete.{name}",
            fn,
            args,
            kw,
            NUMBER,
            allow_inf=name in INF_DOCUMENTED,
            lenient=lenient,
        )

    TARGETS[f"softent.discrete.{name}"] = st.composite(draw_call)()
    FAMILY[f"softent.discrete.{name}"] = "discrete"


for _name, _keys in TABLE_1.items():
    _table_target(_name, _keys, "1")
for _name, _keys in TABLE_2D.items():
    _table_target(_name, _keys, "2d")
for _name, _keys in TABLE_PQ.items():
    _table_target(_name, _keys, "pq")


# ----------------------------------------------------------------------------- discrete: estimate


def estimate_kwargs(draw: Any, n: int, alphabet: str | None) -> dict[str, Any]:
    kw: dict[str, Any] = {}
    options: dict[str, st.SearchStrategy] = {
        "estimator": estimators(),
        "weights": weight_arrays(n),
        "base": bases(),
        "num_threads": thread_counts(),
    }
    if alphabet == "size":
        options["alphabet_size"] = optional_sizes(1, 32)
    elif alphabet == "sizes":
        options["alphabet_sizes"] = st.one_of(
            st.none(),
            st.tuples(optional_sizes(1, 32), optional_sizes(1, 32)),
            st.sampled_from([(1,), 3, "x", (None, None, None)]),
        )
    for key, strategy in options.items():
        if draw(st.booleans()):
            kw[key] = draw(strategy)
    # alpha is the Dirichlet prior: with estimator='dirichlet' (and, rarely, without)
    if kw.get("estimator") == "dirichlet" or draw(st.sampled_from(range(10))) == 9:
        kw["alpha"] = draw(alphas())
    return kw


ESTIMATE = {
    "entropy": (1, "size", (float,)),
    "joint_entropy": (2, None, (float,)),
    "conditional_entropy": (2, None, (float,)),
    "mutual_information": (2, None, (float,)),
    "conditional_mutual_information": (3, None, (float,)),
    "information": (2, "sizes", (sd.DiscreteInformation,)),
    "mutual_information_matrix": (-1, None, (np.ndarray, float, torch.Tensor)),
}


def _estimate_target(name: str, n_args: int, alphabet: str | None, expect: tuple) -> None:
    fn = getattr(sd.estimate, name)

    def draw_call(draw):
        n = draw(st.integers(0, 64))
        if n_args == -1:  # [N, C] columns, and optionally y
            args: tuple = (draw(arrays_or_junk(code_arrays(n, cols=True, min_cols=2))),)
            if draw(st.booleans()):
                args += (draw(code_arrays(n + draw(st.sampled_from([0, 0, 0, 1])))),)
        else:
            args = tuple(
                draw(
                    arrays_or_junk(
                        code_arrays(max(0, n + draw(st.sampled_from([0] * 8 + [1, -1]))))
                    )
                )
                for _ in range(n_args)
            )
        return Call(
            f"softent.discrete.estimate.{name}",
            fn,
            args,
            estimate_kwargs(draw, n, alphabet),
            expect,
        )

    TARGETS[f"softent.discrete.estimate.{name}"] = st.composite(draw_call)()
    FAMILY[f"softent.discrete.estimate.{name}"] = "discrete"


for _name, (_n, _alphabet, _expect) in ESTIMATE.items():
    _estimate_target(_name, _n, _alphabet, _expect)


# ----------------------------------------------------------------------------- discrete: counting


def _counting_kw(draw: Any, n: int, dense: bool = False) -> dict[str, Any]:
    kw: dict[str, Any] = {}
    if draw(st.booleans()):
        kw["weights"] = draw(weight_arrays(n))
    if draw(st.booleans()):
        kw["num_threads"] = draw(thread_counts())
    if dense and draw(st.booleans()):
        kw["max_dense_bytes"] = draw(optional_sizes(0, 4096))
    return kw


@target("softent.discrete.counting.histogram", "discrete")
def _histogram(draw):
    n = draw(st.integers(0, 64))
    return Call(
        "softent.discrete.counting.histogram",
        sd.counting.histogram,
        (draw(arrays_or_junk(code_arrays(n))),),
        _counting_kw(draw, n),
        None,
    )


def _joint_counts_nonzero(x: Any, y: Any, **kw: Any) -> tuple:
    jc = sd.counting.joint_counts(x, y, **kw)
    return jc, jc.nonzero()


@target("softent.discrete.counting.joint_counts", "discrete")
def _joint_counts(draw):
    n = draw(st.integers(0, 64))
    x = draw(arrays_or_junk(code_arrays(n)))
    y = draw(arrays_or_junk(code_arrays(n + draw(st.sampled_from([0, 0, 0, 1])))))
    return Call(
        "softent.discrete.counting.joint_counts",
        _joint_counts_nonzero,
        (x, y),
        _counting_kw(draw, n, dense=True),
        (tuple,),
    )


@target("softent.discrete.counting.column_tables", "discrete")
def _column_tables(draw):
    n = draw(st.integers(0, 48))
    x = draw(arrays_or_junk(code_arrays(n, cols=True)))
    y = draw(arrays_or_junk(code_arrays(n)))
    return Call(
        "softent.discrete.counting.column_tables",
        sd.counting.column_tables,
        (x, y),
        _counting_kw(draw, n),
        (sd.counting.ColumnTables,),
    )


@target("softent.discrete.counting.pair_tables", "discrete")
def _pair_tables(draw):
    n = draw(st.integers(0, 48))
    x = draw(arrays_or_junk(code_arrays(n, cols=True)))
    pairs = draw(
        st.sampled_from(
            [
                *[None] * 6,
                *[[(0, 1)]] * 3,
                np.array([[0, 0]]),
                [(0, 9)],
                [(-1, 0)],
                np.zeros((0, 2), int),
                [(0,)],
                "all",
                np.array([[0.5, 1]]),
            ]
        )
    )
    return Call(
        "softent.discrete.counting.pair_tables",
        sd.counting.pair_tables,
        (x, pairs),
        _counting_kw(draw, n),
        (sd.counting.PairTables,),
    )


@target("softent.discrete.counting.encode", "discrete")
def _encode(draw):
    kw = {"name": draw(st.sampled_from(["x", "labels"]))} if draw(st.booleans()) else {}
    return Call(
        "softent.discrete.counting.encode",
        sd.counting.encode,
        (draw(arrays_or_junk(code_arrays(cols=draw(st.booleans())))),),
        kw,
        (sd.counting.Encoded,),
    )


def _counts_scenario(
    batches: list[tuple[Any, Any, Any]],
    other: list[tuple[Any, Any, Any]] | None,
    self_merge: bool,
    read: dict[str, Any],
) -> dict[str, Any]:
    c = sd.Counts()
    for x, y, w in batches:
        c.update(x, y, weights=w)
    if self_merge:
        c.merge(c)
    if other is not None:
        o = sd.Counts()
        for x, y, w in other:
            o.update(x, y, weights=w)
        c.merge(o)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "counts.npz"
        c.save(path)
        loaded = sd.Counts.load(path)
    out = {
        "n": c.n,
        "counts_x": c.counts_x(),
        "entropy": c.entropy(**read),
        "loaded": loaded.entropy(**read),
        "state": sd.Counts.from_state_dict(c.state_dict()).entropy(**read),
    }
    if c.paired:
        info_kw = {k: v for k, v in read.items() if k != "alphabet_size"}
        out["counts_y"] = c.counts_y()
        out["joint"] = c.joint()
        out["information"] = c.information(**info_kw)
        out["mi"] = c.mutual_information(**info_kw)
    return out


@target("softent.discrete.Counts", "discrete")
def _counts(draw):
    paired = draw(st.booleans())

    def batch():
        n = draw(st.integers(0, 40))
        x = draw(code_arrays(n))
        y = draw(code_arrays(n + draw(st.sampled_from([0] * 8 + [1])))) if paired else None
        return x, y, draw(weight_arrays(n)) if draw(st.sampled_from(range(8))) == 7 else None

    batches = [batch() for _ in range(draw(st.integers(1, 3)))]
    other = [batch()] if draw(st.booleans()) else None
    read = {
        k: v
        for k, v in estimate_kwargs(draw, 0, "size").items()
        if k in ("estimator", "alpha", "alphabet_size", "base")
    }
    return Call(
        "softent.discrete.Counts",
        _counts_scenario,
        (batches, other, draw(st.sampled_from(range(10))) == 9, read),
        {},
        (dict,),
    )


# ----------------------------------------------------------------------------- discrete: quantise


def _ranges():
    return mostly(
        st.sampled_from([(-3.0, 3.0), (-1, 1)]),
        st.sampled_from(
            [
                None,
                (1.0, -1.0),
                (0.0, 0.0),
                (np.nan, 1.0),
                (-np.inf, 1.0),
                (0, 1e308),
                "x",
                (1,),
                (-1e-300, 1e-300),
            ]
        ),
    )


def _out_of_range():
    return mostly(st.sampled_from(["raise", "clip"]), st.sampled_from(["wrap", None]))


@target("softent.discrete.quantise.equal_width", "discrete")
def _equal_width(draw):
    kw: dict[str, Any] = {}
    if draw(st.booleans()):
        kw["range"] = draw(_ranges())
    if draw(st.booleans()):
        kw["out_of_range"] = draw(_out_of_range())
    return Call(
        "softent.discrete.quantise.equal_width",
        sd.quantise.equal_width,
        (draw(arrays_or_junk(float_arrays())), draw(sizes(1, 64))),
        kw,
        None,
    )


@target("softent.discrete.quantise.levels", "discrete")
def _levels(draw):
    kw: dict[str, Any] = {"limits": draw(_ranges())}
    if draw(st.booleans()):
        kw["out_of_range"] = draw(_out_of_range())
    return Call(
        "softent.discrete.quantise.levels",
        sd.quantise.levels,
        (draw(arrays_or_junk(float_arrays())), draw(sizes(1, 300))),
        kw,
        None,
    )


@target("softent.discrete.quantise.quantile", "discrete")
def _quantile(draw):
    return Call(
        "softent.discrete.quantise.quantile",
        sd.quantise.quantile,
        (draw(arrays_or_junk(float_arrays())), draw(sizes(1, 64))),
        {},
        None,
    )


@target("softent.discrete.quantise.dequantise", "discrete")
def _dequantise(draw):
    return Call(
        "softent.discrete.quantise.dequantise",
        sd.quantise.dequantise,
        (draw(arrays_or_junk(code_arrays())), draw(sizes(2, 300)), draw(_ranges())),
        {},
        None,
    )


@target("softent.discrete.quantise.code_dtype", "discrete")
def _code_dtype(draw):
    return Call(
        "softent.discrete.quantise.code_dtype",
        sd.quantise.code_dtype,
        (draw(sizes(1, 2**40)),),
        {},
        (np.dtype,),
    )


# ----------------------------------------------------------------------------- discrete: capacity


def _positive_reals():
    return st.one_of(
        st.floats(1e-6, 1e6),
        st.sampled_from([0.0, -1.0, math.nan, math.inf, 1e-320, 1e308, "1", None]),
    )


@target("softent.discrete.channel_capacity", "discrete")
def _channel_capacity(draw):
    rng = np.random.default_rng(draw(seeds))
    x, y = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    m = rng.dirichlet(np.ones(y) * draw(st.sampled_from([0.1, 1.0])), size=x)
    m = draw(
        st.sampled_from(
            [
                m,
                m,
                m,
                m * 2,
                -m,
                m.T,
                m[0],
                np.eye(x),
                np.full((x, y), np.nan),
                np.zeros((0, y)),
                "x",
            ]
        )
    )
    kw: dict[str, Any] = {}
    if draw(st.booleans()):
        kw["tol"] = draw(st.sampled_from([1e-12, 1e-6, 0.0, -1.0, math.nan, 1.0, "x"]))
    if draw(st.booleans()):
        kw["max_iter"] = draw(
            st.one_of(st.integers(1, 2000), st.sampled_from([0, -1, 1.5, "10", None, 2**64]))
        )
    if draw(st.booleans()):
        kw["base"] = draw(bases())
    return Call(
        "softent.discrete.channel_capacity", sd.channel_capacity, (m,), kw, (sd.ChannelCapacity,)
    )


@target("softent.discrete.gaussian_channel_capacity", "discrete")
def _gaussian_capacity(draw):
    kw = {"base": draw(bases())} if draw(st.booleans()) else {}
    return Call(
        "softent.discrete.gaussian_channel_capacity",
        sd.gaussian_channel_capacity,
        (draw(_positive_reals()), draw(_positive_reals())),
        kw,
        (float,),
    )


def _layer_capacity_documented(*args: Any, **kwargs: Any) -> Any:
    """layer_capacity, with the one documented inf (water_level when no mode carries: W
    numerically zero) read as None, so that the judge flags any other inf."""
    r = sd.layer_capacity(*args, **kwargs)
    cap = r.capacity.detach() if isinstance(r.capacity, torch.Tensor) else r.capacity
    if r.water_level == math.inf and r.active == 0 and float(cap) == 0.0:
        return dataclasses.replace(r, water_level=None)
    return r


def _water_filling_documented(*args: Any) -> Any:
    """water_filling, with its documented μ = inf (no finite level: nothing to fill) read as
    None, so that the judge flags any other inf."""
    powers, mu, k = sd.capacity.water_filling(*args)
    if mu == math.inf and k == 0 and not powers.any():
        return powers, None, k
    return powers, mu, k


@target("softent.discrete.layer_capacity", "discrete")
def _layer_capacity(draw):
    w = draw(arrays_or_junk(float_arrays(max_rows=8, max_cols=8)))
    kw: dict[str, Any] = {"power": draw(_positive_reals())}
    if draw(st.booleans()):
        kw["allocation"] = draw(st.sampled_from(["water_filling", "equal", "greedy", None]))
    if draw(st.booleans()):
        kw["base"] = draw(bases())
    return Call(
        "softent.discrete.layer_capacity",
        _layer_capacity_documented,
        (w, draw(_positive_reals())),
        kw,
        (sd.LayerCapacity,),
    )


@target("softent.discrete.capacity.water_filling", "discrete")
def _water_filling(draw):
    return Call(
        "softent.discrete.capacity.water_filling",
        _water_filling_documented,
        (draw(arrays_or_junk(float_arrays(ndim=1, positive=True))), draw(_positive_reals())),
        {},
        (tuple,),
    )


# ----------------------------------------------------------------------------- discrete: estimators


@target("softent.discrete.entropy_from_counts", "discrete")
def _entropy_from_counts(draw):
    kw = {
        k: v
        for k, v in estimate_kwargs(draw, 0, "size").items()
        if k in ("estimator", "alpha", "alphabet_size", "base")
    }
    return Call(
        "softent.discrete.entropy_from_counts",
        sd.entropy_from_counts,
        (draw(arrays_or_junk(prob_tables(counts=True))),),
        kw,
        (float,),
    )


def _profile_entropy(counts: Any, alphabet_size: Any, kw: dict[str, Any]) -> float:
    return sd.estimators.entropy_from_profile(
        sd.estimators.profile(counts, alphabet_size=alphabet_size), **kw
    )


@target("softent.discrete.estimators.profile", "discrete")
def _profile(draw):
    kw = {k: v for k, v in estimate_kwargs(draw, 0, None).items() if k in ("estimator", "alpha")}
    return Call(
        "softent.discrete.estimators.profile",
        _profile_entropy,
        (draw(arrays_or_junk(prob_tables(counts=True))), draw(optional_sizes(1, 32)), kw),
        {},
        (float,),
    )


@target("softent.discrete.estimators.mutual_information_from_table", "discrete")
def _mi_from_table(draw):
    kw = {
        k: v
        for k, v in estimate_kwargs(draw, 0, None).items()
        if k in ("estimator", "alpha", "base")
    }
    return Call(
        "softent.discrete.estimators.mutual_information_from_table",
        sd.estimators.mutual_information_from_table,
        (draw(arrays_or_junk(prob_tables(ndim=2, counts=True))),),
        kw,
        (float,),
    )


# ----------------------------------------------------------------------------- discrete: masses


@target("softent.discrete.entropy_of_masses", "discrete")
def _entropy_of_masses(draw):
    return Call(
        "softent.discrete.entropy_of_masses",
        sd.entropy_of_masses,
        (draw(arrays_or_junk(prob_tables(ndim=draw(st.sampled_from([1, 2]))))),),
        {},
        NUMBER,
    )


@target("softent.discrete.information_of_masses", "discrete")
def _information_of_masses(draw):
    per_label = draw(arrays_or_junk(prob_tables(ndim=2, counts=True)))
    counts = draw(prob_tables(ndim=1, counts=True))
    total = draw(st.one_of(st.none(), prob_tables(ndim=1, counts=True)))
    kw = {"base": draw(bases())} if draw(st.booleans()) else {}
    return Call(
        "softent.discrete.information_of_masses",
        sd.information_of_masses,
        (per_label, counts, draw(weightings()), "fuzz", total),
        kw,
        (tuple,),
    )


@target("softent.discrete.label_weights", "discrete")
def _label_weights(draw):
    return Call(
        "softent.discrete.label_weights",
        sd.label_weights,
        (draw(arrays_or_junk(prob_tables(counts=True))), draw(weightings()), "fuzz"),
        {},
        NUMBER,
    )


@target("softent.discrete.to_base", "discrete")
def _to_base(draw):
    nats = draw(st.one_of(st.floats(0, 100), arrays_or_junk(prob_tables())))
    return Call(
        "softent.discrete.to_base",
        sd.to_base,
        (nats, draw(bases()), "fuzz"),
        {},
        NUMBER,
        lenient=True,
    )  # a unit conversion: NaN in, NaN out is its contract


@target("softent.discrete.unit_name", "discrete")
def _unit_name(draw):
    return Call("softent.discrete.unit_name", sd.unit_name, (draw(bases()),), {}, (str,))


# ----------------------------------------------------------------------------- knn family
# (softent.knn and its scikit-learn front door softent.compat.sklearn). Sizes stay small,
# N <= 60 rows, D <= 6, k <= 6, so each exact O(N^2) neighbour search is fast.
#
# A kNN call is valid only when all of its arrays are at once (equal N, one library, k < N,
# enough rows per label, rows not all identical), so arrays drawn independently, each
# hostile now and then, were mostly refused (conditional_mutual_information: 4 finite
# results of 129). So about 3 calls in 4 draw one valid plan (knn_plan: library, dtype, k,
# N, labels) and every array and keyword from it, with values of every scale and with ties;
# the rest draw each argument hostile or not as before.

KNN_X = {"max_rows": 60, "max_cols": 6}


def knn_metrics() -> st.SearchStrategy:
    return mostly(
        st.sampled_from(["euclidean", "chebyshev"]), st.sampled_from(["Euclidean", "cosine", 3])
    )


def knn_kwargs(draw: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    """The keywords the kNN estimators share, each present or not."""
    options = {
        "k": sizes(1, 6),
        "metric": knn_metrics(),
        "base": bases(),
        "noise": mostly(st.sampled_from([0.0, 1e-10, 1e-3]), st.sampled_from([-1.0, math.nan])),
        "seed": seeds_arg(),
        "num_threads": thread_counts(),
        "estimator": mostly(
            st.sampled_from([None, "ksg1", "ksg2", "ross"]), st.sampled_from(["KSG", "kl", 3])
        ),
        "discrete_y": st.one_of(st.none(), bools()),
        "tile_rows": optional_sizes(1, 64),
    }
    return {key: draw(options[key]) for key in keys if draw(st.booleans())}


def knn_y(draw: Any, n: int) -> Any:
    """A y for ``n`` rows: continuous [N] or [N, D], or labels."""
    if draw(st.booleans()):
        return draw(arrays_or_junk(label_arrays(n)))
    ndim = draw(st.sampled_from([1, 2]))
    y = draw(arrays_or_junk(float_arrays(ndim=ndim, max_rows=n, min_rows=n, max_cols=3)))
    return y


def knn_valid(draw: Any) -> bool:
    """Whether this call draws one valid plan (about 3 in 4) or hostile arguments."""
    return draw(st.sampled_from(range(4))) < 3


@dataclasses.dataclass(frozen=True)
class KnnPlan:
    """What makes the arrays of one kNN call valid together."""

    torch: bool  # every array a CPU tensor (else NumPy)
    dtype: str  # float64 or float32
    k: int  # 1..6
    n: int  # rows: >= k + 2, and >= k + 1 per label
    n_labels: int  # labels of a discrete y / groups (each on >= k + 1 rows)
    seed: int


def knn_plan(draw: Any) -> KnnPlan:
    k = draw(st.integers(1, 6))
    n_labels = draw(st.integers(1, 4))
    n = draw(st.integers(max(k + 2, n_labels * (k + 1)), 60))
    return KnnPlan(
        torch=draw(st.sampled_from(range(4))) == 0,
        dtype=draw(st.sampled_from(["float64", "float64", "float32"])),
        k=k,
        n=n,
        n_labels=n_labels,
        seed=draw(seeds),
    )


def knn_rows(draw: Any, plan: KnnPlan, max_cols: int = 6, ndim: int = 2) -> Any:
    """Valid float rows [N, D] (or [N]) of the plan: finite, varying, any scale, sometimes
    with ties (values rounded: equal distances), in a valid layout of the plan's library."""
    rng = np.random.default_rng([plan.seed, draw(st.integers(0, 2**16))])
    shape = (plan.n, draw(st.integers(1, max_cols)))[:ndim]
    scale = draw(st.sampled_from([1.0, 1.0, 1.0, 1e-3, 1e3, 1e-30, 1e30, 1e-170, 1e150]))
    offset = draw(st.sampled_from([0.0, 0.0, 1.0, 1e4]))
    a = rng.normal(0.0, 1.0, shape)
    if draw(st.sampled_from(range(4))) == 0:
        a = np.round(a, 1)  # ties
    a = a * scale + offset * scale
    if plan.dtype == "float32":
        # the float32 values of data near float32's limits (1e-170 is 0 there: rows then
        # identical, refused like any constant data)
        with np.errstate(over="ignore", under="ignore"):
            a = np.clip(a, -3e38, 3e38).astype(np.float32)
    if plan.torch:
        layout = draw(st.sampled_from(["torch", "torch", "torch_strided"]))
        tdt = torch.float32 if plan.dtype == "float32" else torch.float64
        return lay_out(a, layout, tdt)
    layout = draw(st.sampled_from(["c", "c", "c", "fortran", "strided", "negative", "readonly"]))
    return lay_out(a, layout)


def knn_labels(draw: Any, plan: KnnPlan) -> Any:
    """Valid labels of the plan: n_labels values, each on >= k + 1 rows; int (NumPy or
    torch, as the plan), sometimes strings or a list, sometimes a few rows masked (-1)."""
    rng = np.random.default_rng([plan.seed, 1 + draw(st.integers(0, 2**16))])
    codes = rng.permutation(np.arange(plan.n) % plan.n_labels)
    kind = draw(st.sampled_from(["int", "int", "int", "str", "list", "masked"]))
    if kind == "str":
        return np.array([f"c{c}" for c in codes])
    if kind == "list":
        return codes.tolist()
    if kind == "masked":
        # one masked row per label at most: each keeps >= k rows of its own
        first = [int(np.flatnonzero(codes == c)[0]) for c in range(plan.n_labels)]
        codes[first[: draw(st.integers(0, plan.n_labels))]] = -1
    return torch.from_numpy(codes) if plan.torch else codes


def knn_valid_y(draw: Any, plan: KnnPlan) -> tuple[Any, bool]:
    """(y, discrete): valid labels or continuous rows ([N] or [N, Dy]) of the plan."""
    if draw(st.booleans()):
        return knn_labels(draw, plan), True
    return knn_rows(draw, plan, max_cols=3, ndim=draw(st.sampled_from([1, 2]))), False


def knn_valid_kwargs(
    draw: Any, keys: tuple[str, ...], plan: KnnPlan, discrete: bool | None = None
) -> dict[str, Any]:
    """Valid keywords of the plan (k always: the default 3 may exceed N - 1 for labels),
    each other one present or not."""
    estimators_ = [None, "ross"] if discrete else [None, "ksg1", "ksg2"]
    options = {
        "metric": st.sampled_from(["euclidean", "chebyshev"]),
        "base": st.sampled_from([math.e, 2, 10.0]),
        "noise": st.sampled_from([0.0, 1e-10, 1e-3]),
        "seed": st.integers(0, 2**31),
        "num_threads": st.sampled_from([None, 1, 2]),
        "estimator": st.sampled_from(estimators_),
        "discrete_y": st.sampled_from([None, bool(discrete)]),
        "tile_rows": st.sampled_from([None, 1, 7, 64]),
    }
    kw = {key: draw(options[key]) for key in keys if key != "k" and draw(st.booleans())}
    if "k" in keys:
        kw["k"] = plan.k
    return kw


_KNN_EST_KEYS = ("k", "metric", "base", "noise", "seed", "num_threads")


@target("softent.knn.entropy", "knn")
def _knn_entropy(draw):
    if knn_valid(draw):
        plan = knn_plan(draw)
        x = knn_rows(draw, plan)
        kw = knn_valid_kwargs(draw, _KNN_EST_KEYS, plan)
        return Call("softent.knn.entropy", softent.knn.entropy, (x,), kw, NUMBER)
    x = draw(arrays_or_junk(float_arrays(**KNN_X)))
    kw = knn_kwargs(draw, _KNN_EST_KEYS)
    return Call("softent.knn.entropy", softent.knn.entropy, (x,), kw, NUMBER)


_KNN_MI_KEYS = ("k", "estimator", "metric", "discrete_y", "base", "noise", "seed", "num_threads")

for _name, _expect in (
    ("mutual_information", NUMBER),
    ("information", (softent.knn.KnnInformation,)),
):

    def _knn_mi(draw, _name=_name, _expect=_expect):
        fn = getattr(softent.knn, _name)
        if knn_valid(draw):
            plan = knn_plan(draw)
            x = knn_rows(draw, plan)
            y, discrete = knn_valid_y(draw, plan)
            kw = knn_valid_kwargs(draw, _KNN_MI_KEYS, plan, discrete)
            return Call(f"softent.knn.{_name}", fn, (x, y), kw, _expect)
        x = draw(arrays_or_junk(float_arrays(**KNN_X)))
        y = knn_y(draw, rows(x))
        kw = knn_kwargs(draw, _KNN_MI_KEYS)
        return Call(f"softent.knn.{_name}", fn, (x, y), kw, _expect)

    TARGETS[f"softent.knn.{_name}"] = st.composite(_knn_mi)()
    FAMILY[f"softent.knn.{_name}"] = "knn"


@target("softent.knn.conditional_mutual_information", "knn")
def _knn_cmi(draw):
    fn = softent.knn.conditional_mutual_information
    if knn_valid(draw):
        plan = knn_plan(draw)
        x, y, z = (knn_rows(draw, plan, max_cols=3) for _ in range(3))
        kw = knn_valid_kwargs(draw, _KNN_EST_KEYS, plan)
        return Call("softent.knn.conditional_mutual_information", fn, (x, y, z), kw, NUMBER)
    x = draw(arrays_or_junk(float_arrays(**KNN_X)))
    n = rows(x)
    y = draw(arrays_or_junk(float_arrays(max_rows=n, min_rows=n, max_cols=3)))
    z = draw(arrays_or_junk(float_arrays(max_rows=n, min_rows=n, max_cols=3)))
    kw = knn_kwargs(draw, _KNN_EST_KEYS)
    return Call("softent.knn.conditional_mutual_information", fn, (x, y, z), kw, NUMBER)


@target("softent.knn.permutation_test", "knn")
def _knn_permutation(draw):
    keys = ("k", "estimator", "metric", "discrete_y", "base", "num_threads")
    if knn_valid(draw):
        plan = knn_plan(draw)
        x = knn_rows(draw, plan)
        y, discrete = knn_valid_y(draw, plan)
        kw = knn_valid_kwargs(draw, keys, plan, discrete)
        kw["n_permutations"] = draw(st.integers(1, 5))
    else:
        x = draw(arrays_or_junk(float_arrays(**KNN_X)))
        y = knn_y(draw, rows(x))
        kw = knn_kwargs(draw, keys)
        # <= 5 shuffles: each is a whole estimate
        kw["n_permutations"] = draw(mostly(st.integers(1, 5), st.sampled_from(HOSTILE_SMALL)))
    if draw(st.booleans()):
        kw["seed"] = draw(seeds_arg())
    return Call(
        "softent.knn.permutation_test",
        softent.knn.permutation_test,
        (x, y),
        kw,
        (softent.knn.PermutationTest,),
    )


#: hostile counts that stay cheap when valid-looking (no 10**12 shuffles)
HOSTILE_SMALL = (0, -1, 1.5, "3", None, math.nan, True, np.int32(2), 2**63)


@target("softent.knn.nearest_neighbours", "knn")
def _knn_nn(draw):
    if knn_valid(draw):
        plan = knn_plan(draw)
        x = knn_rows(draw, plan)
        kw = knn_valid_kwargs(draw, ("metric", "num_threads", "tile_rows"), plan)
        k = plan.k
    else:
        x = draw(arrays_or_junk(float_arrays(**KNN_X)))
        kw = knn_kwargs(draw, ("metric", "num_threads", "tile_rows"))
        k = draw(sizes(1, 6))
    return Call(
        "softent.knn.nearest_neighbours",
        softent.knn.nearest_neighbours,
        (x, k),
        kw,
        (softent.knn.Neighbours,),
    )


def _groups(draw: Any, n: int) -> Any:
    return draw(arrays_or_junk(label_arrays(n, max_labels=4)))


def _valid_groups(draw: Any, plan: KnnPlan) -> Any:
    """Groups of the plan as non-negative ints (each on >= k + 1 >= 2 rows)."""
    rng = np.random.default_rng([plan.seed, 2])
    codes = rng.permutation(np.arange(plan.n) % plan.n_labels)
    return torch.from_numpy(codes) if plan.torch else codes


@target("softent.knn.radius_counts", "knn")
def _knn_radius(draw):
    if knn_valid(draw):
        plan = knn_plan(draw)
        x = knn_rows(draw, plan)
        # radii of the data's own scale (some 0): counts from 0 to N
        spread = float(np.ptp(np.asarray(x, dtype=np.float64))) if plan.n else 1.0
        rng = np.random.default_rng([plan.seed, 3])
        radii = rng.uniform(0.0, 0.5, plan.n) * spread
        radii[rng.random(plan.n) < 0.1] = 0.0
        if draw(st.booleans()):
            radii = float(radii[0])
        kw = knn_valid_kwargs(draw, ("metric", "num_threads", "tile_rows"), plan)
        for key in ("strict", "include_self"):
            if draw(st.booleans()):
                kw[key] = draw(st.booleans())
        if draw(st.booleans()):
            kw["groups"] = _valid_groups(draw, plan)
        return Call("softent.knn.radius_counts", softent.knn.radius_counts, (x, radii), kw, NUMBER)
    x = draw(arrays_or_junk(float_arrays(**KNN_X)))
    n = rows(x)
    radii = draw(
        st.one_of(
            st.floats(0.0, 3.0),
            float_arrays(ndim=1, max_rows=n, min_rows=n, positive=True),
            st.sampled_from([-1.0, math.nan, math.inf, "1", None]),
        )
    )
    kw = knn_kwargs(draw, ("metric", "num_threads", "tile_rows"))
    for key in ("strict", "include_self"):
        if draw(st.booleans()):
            kw[key] = draw(bools())
    if draw(st.booleans()):
        kw["groups"] = _groups(draw, n)
    return Call("softent.knn.radius_counts", softent.knn.radius_counts, (x, radii), kw, NUMBER)


@target("softent.knn.group_neighbour_counts", "knn")
def _knn_group_counts(draw):
    if knn_valid(draw):
        plan = knn_plan(draw)
        x = knn_rows(draw, plan)
        kw = knn_valid_kwargs(draw, ("metric", "num_threads", "tile_rows"), plan)
        if draw(st.booleans()):
            kw["overall"] = draw(st.sampled_from([None, 1, 8, 64]))
        args = (x, _valid_groups(draw, plan), plan.k)
    else:
        x = draw(arrays_or_junk(float_arrays(**KNN_X)))
        kw = knn_kwargs(draw, ("metric", "num_threads", "tile_rows"))
        if draw(st.booleans()):
            kw["overall"] = draw(optional_sizes(1, 64))
        args = (x, _groups(draw, rows(x)), draw(sizes(1, 6)))
    return Call(
        "softent.knn.group_neighbour_counts",
        softent.knn.group_neighbour_counts,
        args,
        kw,
        (softent.knn.GroupCounts,),
    )


@target("softent.knn.feature_mutual_information", "knn")
def _knn_features(draw):
    keys = ("k", "discrete_y", "base", "num_threads")
    if knn_valid(draw):
        plan = knn_plan(draw)
        x = knn_rows(draw, plan)
        y, discrete = knn_valid_y(draw, plan)
        if not discrete and getattr(y, "ndim", 1) == 2:
            y = y[:, 0]  # one target per row
        kw = knn_valid_kwargs(draw, keys, plan, discrete)
        args = (x, y)
    else:
        x = draw(arrays_or_junk(float_arrays(**KNN_X)))
        kw = knn_kwargs(draw, keys)
        args = (x, knn_y(draw, rows(x)))
    return Call(
        "softent.knn.feature_mutual_information",
        softent.knn.feature_mutual_information,
        args,
        kw,
        NUMBER,
    )


for _name in ("mutual_info_classif", "mutual_info_regression"):

    def _sklearn(draw, _name=_name):
        fn = getattr(softent.compat.sklearn, _name)
        if knn_valid(draw):
            plan = knn_plan(draw)
            x = knn_rows(draw, plan)
            if _name == "mutual_info_classif":
                y = knn_labels(draw, plan)
            else:
                y = knn_rows(draw, plan, ndim=1)
            options = {
                "discrete_features": st.sampled_from(["auto", False]),
                "n_neighbors": st.just(plan.k),
                "copy": st.booleans(),
                "random_state": st.one_of(st.none(), st.integers(0, 2**31)),
                "n_jobs": st.sampled_from([None, 1, 2]),
                "joint": st.booleans(),
            }
            kw = {key: draw(s) for key, s in options.items() if draw(st.booleans())}
            kw["n_neighbors"] = plan.k
            return Call(f"softent.compat.sklearn.{_name}", fn, (x, y), kw, NUMBER)
        x = draw(arrays_or_junk(float_arrays(**KNN_X)))
        n = rows(x)
        if _name == "mutual_info_classif":
            y = draw(arrays_or_junk(label_arrays(n)))
        else:
            y = draw(arrays_or_junk(float_arrays(ndim=1, max_rows=n, min_rows=n)))
        options = {
            "discrete_features": mostly(
                st.sampled_from(["auto", False, True]),
                st.sampled_from(["yes", [0], np.array([True]), 3]),
            ),
            "n_neighbors": sizes(1, 6),
            "copy": bools(),
            "random_state": st.one_of(st.none(), seeds_arg()),
            "n_jobs": st.one_of(st.none(), thread_counts()),
            "joint": bools(),
        }
        kw = {key: draw(s) for key, s in options.items() if draw(st.booleans())}
        return Call(f"softent.compat.sklearn.{_name}", fn, (x, y), kw, NUMBER)

    TARGETS[f"softent.compat.sklearn.{_name}"] = st.composite(_sklearn)()
    FAMILY[f"softent.compat.sklearn.{_name}"] = "knn"


# ----------------------------------------------------------------------------- pid family
# <= 3 sources of small alphabets (<= 4 values, <= 2 columns), N <= 60; BROJA only on
# tiny tables (2 sources, alphabets <= 3, N <= 24): its convex solver is the slow one.


@st.composite
def pid_codes(draw: Any, n: int, alphabet: int = 4, cols: bool = True) -> Any:
    """One source (or target) of ``n`` rows: small-alphabet codes, or a hostile kind."""
    if draw(st.sampled_from(range(10))) == 9:
        return draw(arrays_or_junk(code_arrays(n, max_rows=n, cols=draw(st.booleans()))))
    rng = np.random.default_rng(draw(seeds))
    a = draw(st.integers(1, alphabet))
    shape = (n, draw(st.integers(1, 2))) if cols and draw(st.booleans()) else (n,)
    codes = rng.integers(0, a, shape)
    kind = draw(st.sampled_from(["int"] * 6 + ["str", "bool", "torch", "list"]))
    if kind == "str":
        return codes.astype(str)
    if kind == "bool":
        return codes % 2 == 1
    if kind == "torch":
        return torch.from_numpy(codes)
    if kind == "list":
        return codes.tolist()
    return codes


def pid_samples(draw: Any, n_sources: tuple[int, int] = (1, 3), tiny: bool = False) -> tuple:
    """(sources, target) samples, or (a pmf, None): an array with n + 1 axes or a dict."""
    n = (
        draw(st.integers(0, 24 if tiny else 60))
        if draw(st.booleans())
        else draw(st.sampled_from([1, 2, 8, 24]))
    )
    m = draw(st.integers(*n_sources))
    alphabet = 3 if tiny else 4
    form = draw(st.sampled_from(["samples"] * 6 + ["array", "dict", "hostile"]))
    if form == "array":
        table = draw(prob_tables(shape=tuple(draw(st.integers(1, alphabet)) for _ in range(m + 1))))
        return table, None
    if form == "dict":
        rng = np.random.default_rng(draw(seeds))
        keys = {tuple(int(v) for v in rng.integers(0, alphabet, m + 1)) for _ in range(6)}
        p = rng.dirichlet(np.ones(len(keys)))
        if draw(st.sampled_from(range(5))) == 4:
            p = p * draw(st.sampled_from([2.0, -1.0, math.nan]))
        return dict(zip(sorted(keys), p.tolist(), strict=True)), None
    sources = [draw(pid_codes(n, alphabet, cols=not tiny)) for _ in range(m)]
    target_ = draw(pid_codes(n, alphabet, cols=False))
    if form == "hostile":
        junk = st.sampled_from([[], "abc", 3.0, None, [np.zeros(n)], np.zeros((n, 2))])
        if draw(st.booleans()):
            sources = draw(junk)
        else:
            target_ = draw(st.one_of(junk, label_arrays(n)))
    return sources, target_


def pid_kwargs(draw: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    options = {
        "base": bases(),
        "num_threads": thread_counts(),
        "device": mostly(st.just("cpu"), st.sampled_from(["gpu", "cuda:99", 0, None])),
        "chunk": optional_sizes(1, 64),
    }
    return {key: draw(options[key]) for key in keys if draw(st.booleans())}


@target("softent.pid.decompose", "pid")
def _pid_decompose(draw):
    measure = draw(
        mostly(st.sampled_from(["sx", "sx", "imin", "broja"]), st.sampled_from(["SX", "", 3]))
    )
    broja = measure == "broja"
    sources, target_ = pid_samples(draw, (2, 2) if broja else (1, 3), tiny=broja)
    kw = pid_kwargs(draw, ("base", "num_threads", "device"))
    kw["measure"] = measure
    if draw(st.booleans()):
        kw["pointwise"] = draw(
            mostly(st.sampled_from([False, "target", True]), st.sampled_from(["outcome", 1, None]))
        )
    return Call(
        "softent.pid.decompose",
        softent.pid.decompose,
        (sources, target_),
        kw,
        (softent.pid.Decomposition,),
    )


def _pointwise_all(sources: Any, target_: Any, **kw: Any) -> list:
    return list(softent.pid.pointwise(sources, target_, **kw))


@target("softent.pid.pointwise", "pid")
def _pid_pointwise(draw):
    sources, target_ = pid_samples(draw)
    kw = pid_kwargs(draw, ("base", "num_threads", "device", "chunk"))
    return Call("softent.pid.pointwise", _pointwise_all, (sources, target_), kw, (list,))


@target("softent.pid.unique_information", "pid")
def _pid_unique(draw):
    sources, target_ = pid_samples(draw, (2, 2), tiny=True)
    kw = pid_kwargs(draw, ("base",))
    return Call(
        "softent.pid.unique_information",
        softent.pid.unique_information,
        (sources, target_),
        kw,
        (softent.pid.UniqueInformation,),
    )


@target("softent.pid.as_pmf", "pid")
def _pid_as_pmf(draw):
    sources, target_ = pid_samples(draw)
    return Call(
        "softent.pid.as_pmf", softent.pid.as_pmf, (sources, target_), {}, (softent.pid.Pmf,)
    )


@target("softent.pid.lattice", "pid")
def _pid_lattice(draw):
    return Call(
        "softent.pid.lattice", softent.pid.lattice, (draw(sizes(1, 4)),), {}, (softent.pid.Lattice,)
    )


def layer_kwargs(draw: Any, d: int) -> dict[str, Any]:
    options = {
        "neurons": st.one_of(
            st.none(),
            st.lists(st.integers(0, max(d - 1, 0)), min_size=1, max_size=3, unique=True),
            st.lists(
                st.lists(st.integers(0, max(d - 1, 0)), min_size=1, max_size=2),
                min_size=1,
                max_size=3,
            ),
            st.sampled_from([[], [d + 3], [-1], "all", [[0, 0]]]),
        ),
        "levels": mostly(st.integers(2, 4), st.sampled_from([0, 1, -2, 10**12, 2.5, "8"])),
        "limits": mostly(
            st.sampled_from([None, "tanh", "sigmoid", "data", (-3.0, 3.0)]),
            st.sampled_from(["relu", (1.0, -1.0), (0.0, math.nan), (0.0,)]),
        ),
        "quantiser": mostly(
            st.sampled_from(["levels", "equal_width", "quantile"]), st.sampled_from(["Levels", 3])
        ),
        "out_of_range": mostly(st.sampled_from(["raise", "clip"]), st.sampled_from(["drop", 0])),
        "measure": mostly(st.sampled_from(["sx", "imin"]), st.sampled_from(["SX", ""])),
        "base": bases(),
        "num_threads": thread_counts(),
    }
    return {key: draw(s) for key, s in options.items() if draw(st.booleans())}


@target("softent.pid.layer_complexity", "pid")
def _pid_layer(draw):
    x = draw(arrays_or_junk(float_arrays(max_rows=60, max_cols=4)))
    d = x.shape[1] if hasattr(x, "shape") and len(x.shape) == 2 else 1
    labels = draw(arrays_or_junk(label_arrays(rows(x), max_labels=4)))
    return Call(
        "softent.pid.layer_complexity",
        softent.pid.layer_complexity,
        (x, labels),
        layer_kwargs(draw, d),
        (softent.pid.LayerPID,),
    )


@target("softent.pid.layer_complexities", "pid")
def _pid_layers(draw):
    n = draw(st.integers(2, 40))
    rng = np.random.default_rng(draw(seeds))
    layers = [
        draw(arrays_or_junk(float_arrays(max_rows=n, min_rows=n, max_cols=3)))
        for _ in range(draw(st.integers(1, 3)))
    ]
    if draw(st.booleans()):
        layers = {f"l{i}": a for i, a in enumerate(layers)}
    labels = rng.integers(0, draw(st.integers(1, 3)), n)
    kw = layer_kwargs(draw, 1)
    return Call(
        "softent.pid.layer_complexities",
        softent.pid.layer_complexities,
        (layers, labels),
        kw,
        (dict, list),
    )


# ----------------------------------------------------------------------------- spectral family
# (softent.spectral). Sizes stay small, N <= 40 rows, D <= 5: every dense eigensolve and
# every Lanczos run (few probes and steps) is fast.

import softent.spectral as ssp  # the family's targets live in this section

SPECTRAL_X = {"max_rows": 40, "max_cols": 5}
SPECTRAL_NUMBER = (float, np.floating)


def spectral_kwargs(draw: Any, keys: tuple[str, ...]) -> dict[str, Any]:
    """The keywords the spectral functions share, each present or not."""
    positive = st.sampled_from([0.3, 1.0, 2, 7.5, np.float32(1.5)])
    options = {
        "sigma": mostly(
            st.one_of(positive, st.sampled_from(["knn", "median"])),
            _spectral_hostile(0.0, -1.0, math.inf, math.nan, "mean", None, [1.0]),
        ),
        "k": st.one_of(st.none(), sizes(1, 6)),
        "t": mostly(positive, _spectral_hostile(0, -1.0, math.inf, math.nan, "1")),
        "alpha": mostly(positive, _spectral_hostile(0, -2.0, math.nan)),
        "base": bases(),
        "method": mostly(
            st.sampled_from(["dense", "auto", "lanczos", "sparse"]),
            st.sampled_from(["Dense", "slq", 2, None]),
        ),
        "probes": mostly(st.integers(2, 6), st.sampled_from([0, 1, -3, 2.5, "4"])),
        "steps": mostly(st.integers(1, 8), st.sampled_from([0, -1, 1.5])),
        "seed": seeds_arg(),
        "neighbours": st.one_of(st.none(), sizes(1, 8)),
        "kernel": mostly(st.sampled_from(["gaussian", "knn"]), st.sampled_from(["rbf", 1])),
        "normalise": mostly(
            st.sampled_from([None, "symmetric", "anisotropic"]), st.sampled_from(["row", 0])
        ),
        "repetitions": mostly(st.integers(0, 3), st.sampled_from([-1, 1.5, "2"])),
        "prefactor": mostly(bools(), st.sampled_from([1, "yes"])),
        "center": mostly(bools(), st.sampled_from([1, None])),
        "num_threads": thread_counts(),
    }
    return {key: draw(options[key]) for key in keys if draw(st.booleans())}


def _spectral_hostile(*values: Any) -> st.SearchStrategy:
    return st.sampled_from(list(values))


def _spectral_entropy_target(name: str, keys: tuple[str, ...]) -> None:
    def make(draw, _name=name, _keys=keys):
        x = draw(arrays_or_junk(float_arrays(**SPECTRAL_X)))
        kw = spectral_kwargs(draw, _keys)
        fn = getattr(ssp, _name)
        return Call(f"softent.spectral.{_name}", fn, (x,), kw, (ssp.SpectralEntropy,))

    TARGETS[f"softent.spectral.{name}"] = st.composite(make)()
    FAMILY[f"softent.spectral.{name}"] = "spectral"


_SLQ_KEYS = ("method", "probes", "steps", "seed", "neighbours")
for _name, _keys in (
    ("diffusion_spectral_entropy", ("sigma", "k", "t", "base", "num_threads", *_SLQ_KEYS)),
    (
        "adjacency_spectral_entropy",
        ("sigma", "k", "kernel", "normalise", "base", "method", "num_threads"),
    ),
    ("renyi_entropy", ("alpha", "sigma", "k", "base", "num_threads")),
    ("effective_rank", ("center", "num_threads")),
):
    _spectral_entropy_target(_name, _keys)


for _name, _keys in (
    (
        "diffusion_spectral_mutual_information",
        ("sigma", "k", "t", "repetitions", "seed", "base", "method", "probes", "steps"),
    ),
    (
        "adjacency_spectral_mutual_information",
        ("sigma", "k", "kernel", "normalise", "repetitions", "seed", "base", "method"),
    ),
):

    def _spectral_mi(draw, _name=_name, _keys=_keys):
        x = draw(arrays_or_junk(float_arrays(**SPECTRAL_X)))
        labels = draw(arrays_or_junk(label_arrays(rows(x), max_labels=4)))
        kw = spectral_kwargs(draw, _keys)
        fn = getattr(ssp, _name)
        return Call(f"softent.spectral.{_name}", fn, (x, labels), kw, (ssp.SpectralInformation,))

    TARGETS[f"softent.spectral.{_name}"] = st.composite(_spectral_mi)()
    FAMILY[f"softent.spectral.{_name}"] = "spectral"


@target("softent.spectral.affinity", "spectral")
def _spectral_affinity(draw):
    x = draw(arrays_or_junk(float_arrays(**SPECTRAL_X)))
    kw = spectral_kwargs(draw, ("sigma", "kernel", "k", "normalise", "prefactor", "num_threads"))
    return Call("softent.spectral.affinity", ssp.affinity, (x,), kw, (np.ndarray, torch.Tensor))


@target("softent.spectral.spectrum", "spectral")
def _spectral_spectrum(draw):
    x = draw(arrays_or_junk(float_arrays(**SPECTRAL_X)))
    kw = spectral_kwargs(draw, ("sigma", "kernel", "k", "normalise", "method", "num_threads"))
    return Call("softent.spectral.spectrum", ssp.spectrum, (x,), kw, (np.ndarray,))


@target("softent.spectral.eigenvalues", "spectral")
def _spectral_eigenvalues(draw):
    a = draw(arrays_or_junk(float_arrays(max_rows=12, max_cols=12)))
    if draw(st.booleans()) and isinstance(a, np.ndarray) and a.ndim == 2 and a.dtype.kind == "f":
        m = min(a.shape)
        a = 0.5 * a[:m, :m] + 0.5 * a[:m, :m].T  # square and symmetric (halves: no overflow)
    kw = spectral_kwargs(draw, ("num_threads",))
    return Call("softent.spectral.eigenvalues", ssp.eigenvalues, (a,), kw, (np.ndarray,))


@target("softent.spectral.spectral_entropy", "spectral")
def _spectral_of_eigenvalues(draw):
    w = draw(arrays_or_junk(float_arrays(ndim=1, max_rows=20)))
    kw = spectral_kwargs(draw, ("t", "base"))
    return Call(
        "softent.spectral.spectral_entropy", ssp.spectral_entropy, (w,), kw, SPECTRAL_NUMBER
    )


@target("softent.spectral.bandwidth", "spectral")
def _spectral_bandwidth(draw):
    x = draw(arrays_or_junk(float_arrays(**SPECTRAL_X)))
    sigma = draw(st.sampled_from(["knn", "median", 1.0, 0.0, -2.0, "x", None]))
    kw = spectral_kwargs(draw, ("k", "num_threads"))
    return Call("softent.spectral.bandwidth", ssp.bandwidth, (x, sigma), kw, (ssp.Bandwidth,))
