"""``softent.pid.decompose``: a partial information decomposition of samples or a pmf,
by any measure, on the redundancy lattice of its n sources."""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import combinations
from typing import Any

import numpy as np

from .._checks import check_base, check_choice, check_fits, check_threads, fail
from .._interop import parse_device
from . import broja, imin, sx
from ._mobius import mobius_rows
from .lattice import Lattice, lattice
from .pmf import Pmf, from_samples, from_table
from .redundancy import Redundancies, Redundancy
from .result import Decomposition, LocalAtoms

#: a measure: (pmf, lattice, target=, outcome=, num_threads=) -> its redundancy function
Measure = Callable[..., Redundancies]

MEASURES: dict[str, Measure] = {
    "sx": sx.redundancy,
    "imin": imin.redundancy,
    "broja": broja.redundancy,
}

_API = "pid.decompose"


def as_pmf(sources: Any, target: Any = None, *, api: str = _API) -> Pmf:
    """The joint pmf a decomposition reads: of samples (``sources`` a list of n code
    arrays [N] or [N, m], ``target`` [N] codes), or of a given pmf (``target`` None and
    ``sources`` a :class:`Pmf`, a dict ``{(s_1, ..., s_n, t): p}``, an array with n + 1
    axes, the last the target, or a dit Distribution)."""
    if target is None:
        return from_table(sources, api)
    return from_samples(sources, target, api)


def _pointwise(api: str, pointwise: Any) -> str:
    if pointwise is False or pointwise is None:
        return "none"
    if pointwise is True:
        return "outcome"
    if pointwise == "target":
        return "target"
    fail(api, "pointwise", "False, True (each outcome) or 'target'", repr(pointwise))


def _local(
    keys: np.ndarray,
    probs: np.ndarray,
    red: Redundancy,
    lat: Lattice,
    scale: float,
) -> LocalAtoms:
    def atoms(r: np.ndarray | None) -> np.ndarray | None:
        if r is None:
            return None
        a = mobius_rows(lat, r)
        a *= scale
        return a

    return LocalAtoms(
        keys, probs, atoms(red.value), atoms(red.informative), atoms(red.misinformative)
    )


def _keys(pmf: Pmf, column: int) -> np.ndarray:
    v = pmf.values[column]
    return np.arange(pmf.sizes[column]) if v is None else np.asarray(v)


def outcome_keys(pmf: Pmf, lo: int, hi: int) -> np.ndarray:
    """The outcomes lo .. hi - 1 of ``pmf`` [hi - lo, n + 1] by their values (each
    variable's own values where it has them, its codes otherwise): an integer array when
    every column's values are numbers, an object array otherwise."""
    codes = pmf.codes[lo:hi]
    cols = [_keys(pmf, j)[codes[:, j]] for j in range(codes.shape[1])]
    if all(c.dtype.kind in "biuf" for c in cols):
        return np.stack(cols, axis=1) if cols else codes.copy()
    out = np.empty(codes.shape, dtype=object)
    for j, c in enumerate(cols):
        out[:, j] = c  # an object array assigns its elements (tuples stay whole)
    return out


def parse_measure_device(api: str, name: str, device: Any) -> int:
    """-1 (the CPU) or the CUDA device index of ``device``; only SxPID has a CUDA kernel."""
    dev = parse_device(device, api)
    if dev >= 0 and name != "sx":
        fail(api, "device", f"'cpu' for measure={name!r} (only 'sx' runs on CUDA)", repr(device))
    return dev


def _shannon(pmf: Pmf) -> tuple[float, tuple[float, ...], tuple[float, ...], tuple[float, ...]]:
    """I(T:S), I(T:S_i), I(T:S_{-i}) and C_k = mean_{|A|=k} H(T|S_A), nats."""
    n = pmf.n_sources
    h_t = pmf.entropy([n])
    cond = {}
    for k in range(n + 1):
        for a in combinations(range(n), k):
            cond[a] = pmf.entropy([*a, n]) - pmf.entropy(list(a))
    every = tuple(range(n))
    mi = h_t - cond[every]
    single = tuple(h_t - cond[(i,)] for i in range(n))
    rest = tuple(h_t - cond[tuple(j for j in every if j != i)] for i in range(n))
    ck = tuple(float(np.mean([cond[a] for a in combinations(range(n), k)])) for k in range(n + 1))
    return mi, single, rest, ck


def decompose(
    sources: Any,
    target: Any = None,
    *,
    measure: str = "sx",
    base: float = math.e,
    pointwise: bool | str = False,
    num_threads: int | None = None,
    device: Any = "cpu",
) -> Decomposition:
    """Partial information decomposition of I(T : S_1, ..., S_n), n = 1..5 sources.

    ``sources``: a list of n code arrays ([N] or [N, m]: a source may be several neurons,
    whose joint value is its outcome; integers, bools or strings; NumPy, torch or lists)
    with ``target`` [N] codes — the plug-in pmf of the N samples is decomposed; or, with
    ``target`` None, a pmf: a dict ``{(s_1, ..., s_n, t): p}`` (the ``sxpid``/nninfo
    form), an array with n + 1 axes (the last the target), a dit Distribution, or a
    :class:`Pmf`. Quantise continuous activations first (:func:`softent.discrete.quantise`).

    ``measure``: ``"sx"`` the shared-exclusion PID (Makkeh, Gutknecht & Wibral 2021),
    the one nninfo uses, with its informative and misinformative parts and both pointwise
    modes; ``"imin"`` Williams & Beer's (2010) I_min (``pointwise="target"`` gives the
    specific-information atoms of each target value; no per-outcome form); ``"broja"``
    the unique information of Bertschinger et al. (2014), two sources only, no pointwise
    form (its solver's certified gap: :func:`unique_information`). ``base``: 2 for the
    bits the PID literature reports, e (nats) by default. ``pointwise``: ``"target"``
    adds the atoms at each target value (``result.per_target``), ``True`` at each outcome
    (``result.per_outcome``: outcomes × nodes floats, refused up front when it would not
    fit in memory).
    ``num_threads``: CPU threads of the kernel (None: OpenMP's default).
    ``device``: where SxPID's kernel runs, ``"cpu"`` or a CUDA device (``"cuda"``,
    ``"cuda:k"``, a torch.device; the pmf is built on the host and the results come back
    to it). Streamed per-outcome values in bounded memory: :func:`softent.pid.pointwise`.

    Returns a :class:`Decomposition` (atoms by antichain, SxPID's informative and
    misinformative parts, representational complexity, Shannon invariants).
    """
    api = _API
    name = check_choice(api, "measure", measure, tuple(MEASURES))
    b = check_base(api, base)
    mode = _pointwise(api, pointwise)
    nt = check_threads(api, num_threads)
    dev = parse_measure_device(api, name, device)
    pmf = as_pmf(sources, target, api=api)
    lat = lattice(pmf.n_sources)
    if mode == "outcome":
        check_fits(
            api, "pointwise", f"{len(pmf)} outcomes x {len(lat)} nodes", 8 * 8 * len(pmf) * len(lat)
        )
    extra = {"device": dev} if dev >= 0 else {}  # only SxPID takes one (checked above)
    red = MEASURES[name](
        pmf, lat, target=mode == "target", outcome=mode == "outcome", num_threads=nt, **extra
    )
    scale = 1.0 / math.log(b)

    def atoms_of(r: np.ndarray | None) -> dict | None:
        if r is None:
            return None
        return dict(zip(lat.nodes, (lat.mobius(r) * scale).tolist(), strict=True))

    mi, single, rest, ck = _shannon(pmf)
    per_target = per_outcome = None
    if red.target is not None:
        t_probs = np.bincount(pmf.codes[:, -1], weights=pmf.probs)
        per_target = _local(_keys(pmf, pmf.n_sources), t_probs, red.target, lat, scale)
    if red.outcome is not None:
        keys = outcome_keys(pmf, 0, len(pmf))
        per_outcome = _local(keys, pmf.probs.copy(), red.outcome, lat, scale)
    return Decomposition(
        measure=name,
        n_sources=pmf.n_sources,
        base=b,
        nodes=lat.nodes,
        atoms=atoms_of(red.average.value),
        informative=atoms_of(red.average.informative),
        misinformative=atoms_of(red.average.misinformative),
        mutual_information=mi * scale,
        source_information=tuple(v * scale for v in single),
        complement_information=tuple(v * scale for v in rest),
        conditional_entropies=tuple(v * scale for v in ck),
        n_outcomes=len(pmf),
        n_samples=pmf.n_samples,
        per_target=per_target,
        per_outcome=per_outcome,
    )
