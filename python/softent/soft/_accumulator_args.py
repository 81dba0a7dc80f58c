"""What :class:`softent.Accumulator` accepts: its bins spec, label-set names, internal
shape, the z and labels of a batch; and how two bins are described when they differ.

Every check raises through :func:`softent._checks.fail` before any state changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._checks import fail, is_int
from .._interop import as_array, is_floating, to_numpy
from .bins import Bins, Seed, _rng, check_centres_fit, make_bins

API = "Accumulator"
#: the name of the label set when update() is given one array and no names were declared
DEFAULT_LABEL_SET = "labels"


def resolve_bins(
    centres: Any,
    n_bins: int,
    dim: int | None,
    seed: Seed,
    box: Any,
    metric: str | None,
    temperature: float | str | None,
) -> Bins:
    """The :class:`softent.Bins` of ``Accumulator(...)``: a Bins as given (copied), explicit
    centres [B, D], centres uniform in ``box`` [D] (Euclidean), or spherical bins [B, D]."""
    api = API
    if isinstance(centres, Bins):
        if box is not None:
            fail(api, "box", "None when centres is a Bins", "a box")
        if metric is not None and metric != centres.metric:
            fail(api, "metric", f"the Bins' metric {centres.metric!r} (or None)", repr(metric))
        if temperature is not None and (
            isinstance(temperature, str) or float(temperature) != centres.temperature
        ):
            fail(
                api,
                "temperature",
                f"the Bins' temperature {centres.temperature!r} (or None)",
                repr(temperature),
            )
        return Bins(
            np.array(centres.centres, dtype=np.float64), centres.metric, centres.temperature
        )
    metric = "cosine" if metric is None else metric
    temperature = "auto" if temperature is None else temperature
    if centres is not None:
        if box is not None:
            fail(api, "box", "None when centres are given", "a box")
        c = to_numpy(centres, api, "centres")
        if c.ndim != 2:
            fail(api, "centres", "a 2-D array [B, D]", f"shape {c.shape}")
        return make_bins(
            api, None, int(c.shape[1]), centres=centres, metric=metric, temperature=temperature
        )
    if box is not None:
        return _box_bins(box, n_bins, dim, seed, metric, temperature)
    if metric in ("euclidean", "sqeuclidean"):
        fail(
            api,
            "centres",
            f"given, or box=(lo, hi), for metric={metric!r} (a stream has no bounding box "
            "until it ends; box=(z.min(0), z.max(0)) reproduces box_bins(z))",
            None,
        )
    if dim is None:
        fail(api, "dim", "an int >= 1 (the feature dimension D) when centres are not given", None)
    return make_bins(
        api, None, check_dim(dim), n_bins=n_bins, metric=metric, temperature=temperature, seed=seed
    )


def _box_bins(
    box: Any, n_bins: Any, dim: int | None, seed: Seed, metric: str, temperature: Any
) -> Bins:
    """B centres uniform in the box (lo, hi) of scalars or [D] arrays, as box_bins draws them."""
    api = API
    if not isinstance(box, (tuple, list)) or len(box) != 2:
        fail(api, "box", "a pair (lo, hi) of scalars or [D] arrays", repr(box))
    lo, hi = (np.asarray(to_numpy(v), dtype=np.float64) for v in box)
    if lo.ndim > 1 or hi.ndim > 1:
        fail(
            api,
            "box",
            "a pair (lo, hi) of scalars or [D] arrays",
            f"shapes {lo.shape}, {hi.shape}",
        )
    d = dim if dim is not None else max(lo.size if lo.ndim else 1, hi.size if hi.ndim else 1)
    d = check_dim(d)
    try:
        lo, hi = np.broadcast_to(lo, (d,)), np.broadcast_to(hi, (d,))
    except ValueError:
        fail(
            api,
            "box",
            f"(lo, hi) of scalars or [D] arrays with D={d}",
            f"shapes {lo.shape}, {hi.shape}",
        )
    if not (np.isfinite(lo).all() and np.isfinite(hi).all() and (hi >= lo).all()):
        fail(api, "box", "finite with lo <= hi", "non-finite or reversed bounds")
    if not is_int(n_bins) or n_bins < 1:
        fail(api, "n_bins", "an int >= 1", repr(n_bins))
    check_centres_fit(api, int(n_bins), d)
    c = _rng(seed, api).uniform(lo, hi, size=(int(n_bins), d))
    return make_bins(api, None, d, centres=c, metric=metric, temperature=temperature)


def check_dim(dim: Any) -> int:
    """D, the feature dimension: an int >= 1."""
    if not is_int(dim) or dim < 1:
        fail(API, "dim", "an int >= 1 (the feature dimension D)", repr(dim))
    return int(dim)


def check_internal(shape: Any) -> tuple[int, ...]:
    """I of z [N, *I, D]: a sequence of ints >= 1."""
    try:
        t = tuple(int(s) for s in shape)
    except TypeError:
        fail(API, "internal_shape", "a sequence of ints >= 1", repr(shape), TypeError)
    if not all(s >= 1 for s in t):
        fail(API, "internal_shape", "a sequence of ints >= 1", repr(shape))
    return t


def check_label_set_names(label_sets: Any) -> tuple[str, ...] | None:
    """The declared label sets: None, or one name / distinct non-empty names."""
    if label_sets is None:
        return None
    names = (label_sets,) if isinstance(label_sets, str) else tuple(label_sets)
    if (
        not names
        or not all(isinstance(s, str) and s for s in names)
        or len(set(names)) != len(names)
    ):
        fail(
            API,
            "label_sets",
            "a name or a sequence of distinct non-empty names",
            repr(label_sets),
        )
    return names


def check_nonfinite(api: str, nonfinite: Any) -> None:
    if nonfinite not in ("raise", "drop"):
        fail(api, "nonfinite", "'raise' or 'drop'", repr(nonfinite))


def check_z(
    z: Any, dim: int, internal: tuple[int, ...] | None, api: str
) -> tuple[Any, int, tuple[int, ...]]:
    """(z as a NumPy array or torch tensor, N, I) of a batch z [N, *I, D]; I must equal the
    accumulator's ``internal`` once known. N = 0 is allowed (a no-op) for float arrays."""
    z = as_array(z, api, "z")
    shape = tuple(int(s) for s in z.shape)
    if len(shape) < 2 or shape[-1] != dim:
        fail(
            api,
            "z",
            f"[N, D] or [N, *internal, D] with D={dim} (the centres' dimension)",
            f"shape {shape}",
        )
    batch_internal = shape[1:-1]
    if internal is not None and batch_internal != internal:
        fail(
            api,
            "z",
            f"[N, *I, D] with internal shape I={internal} as before",
            f"shape {shape}",
        )
    if any(s == 0 for s in batch_internal):
        fail(api, "z", "internal dimensions >= 1", f"shape {shape}")
    if shape[0] == 0 and not is_floating(z):  # a no-op, but still only for float arrays
        fail(api, "z", "a floating-point array", z.dtype, TypeError)
    return z, shape[0], batch_internal


def named_labels(
    labels: Any,
    n: int,
    declared: tuple[str, ...] | None,
    known: Sequence[str],
    api: str,
) -> dict[str, np.ndarray]:
    """{name: [N] host array} for the label sets of one batch (validated: names against the
    ``declared`` sets, lengths, dtypes). One array (not a dict) goes to the only set
    (declared, or ``known`` so far), else to :data:`DEFAULT_LABEL_SET`."""
    if labels is None:
        return {}
    if isinstance(labels, Mapping):
        items = list(labels.items())
        for name, _ in items:
            if not isinstance(name, str) or not name:
                fail(api, "labels", "a dict keyed by non-empty str names", repr(name), TypeError)
            if declared is not None and name not in declared:
                fail(
                    api, "labels", f"keyed by the declared label sets {list(declared)}", repr(name)
                )
    else:
        names = declared if declared is not None else tuple(known)
        if len(names) > 1:
            fail(
                api,
                "labels",
                f"a dict {{name: [N] labels}} (this Accumulator has label sets {list(names)})",
                "one array",
            )
        items = [(names[0] if names else DEFAULT_LABEL_SET, labels)]
    out: dict[str, np.ndarray] = {}
    for name, arr in items:
        a = to_numpy(arr, api, f"labels[{name!r}]")
        if a.ndim != 1 or a.shape[0] != n:
            fail(
                api,
                f"labels[{name!r}]",
                f"a 1-D array with one label per row of z (length N={n})",
                f"shape {a.shape}",
            )
        if n and a.dtype.kind not in "iubUSO":
            fail(
                api,
                f"labels[{name!r}]",
                "integers or strings",
                f"dtype {a.dtype}",
                TypeError,
            )
        if a.dtype.kind == "b":
            a = a.astype(np.int64)
        out[name] = a
    return out


def describe_bins(bins: Bins) -> str:
    """'B=.., D=.., metric=.., temperature=..' for error messages."""
    return (
        f"B={bins.n_bins}, D={bins.dim}, metric={bins.metric!r}, temperature={bins.temperature!r}"
    )


def bins_difference(a: Bins, b: Bins) -> str:
    """'' or '; different <what>' for error messages."""
    diffs = []
    if a.centres.shape != b.centres.shape:
        diffs.append("centres shape")
    elif not np.array_equal(a.centres, b.centres):
        diffs.append("centres")
    if a.metric != b.metric:
        diffs.append("metric")
    if a.temperature != b.temperature:
        diffs.append("temperature")
    return f"; different {', '.join(diffs)}" if diffs else ""


def check_same_bins(
    api: str, arg: str, mine: Bins, my_fingerprint: str, other: Bins, fingerprint: str
) -> None:
    """Refuse (ValueError) sums made on other bins than ``mine``: their fingerprints differ."""
    if fingerprint != my_fingerprint:
        fail(
            api,
            arg,
            f"built on identical bins (fingerprint {my_fingerprint[:16]}...: "
            f"{describe_bins(mine)})",
            f"fingerprint {fingerprint[:16]}... ({describe_bins(other)}{bins_difference(mine, other)})",
        )
