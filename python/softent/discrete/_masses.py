"""The floor every family stands on: Shannon entropy of masses, the label weights of a
conditional entropy, and unit conversion (nats -> any base).

Written once against the array namespace (:func:`softent._interop.namespace`): the same
formula runs on NumPy arrays (float64 results) and on torch tensors, differentiably and
under ``torch.compile``. Masses are any non-negative weights (counts, soft-histogram sums,
bootstrap-weighted sums); they are normalised here.

These functions are public (``softent.discrete``), so they check their arguments as every
public function does: types and shapes always (cheap, and static under ``torch.compile``),
values (finite, >= 0, sums that neither overflow nor vanish) when ``validate=True``, the
default. An estimator whose masses come from its own kernels passes ``validate=False``
and pays nothing (as ``softent.discrete.tables``: on a CUDA tensor the value checks cost
one host synchronisation; under ``torch.compile`` they are skipped).
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np

from .._checks import check_base, check_weighting, fail, is_int
from .._interop import as_array, as_float64, is_torch, namespace


def _check_api(api: Any, where: str) -> str:
    if not isinstance(api, str):
        fail(where, "api", "a str (the caller's name, used in messages)", repr(api), TypeError)
    return api


def _masses(api: str, name: str, masses: Any, ndim: int | None = None) -> Any:
    """``masses`` as a float64 NumPy array or a floating torch tensor (an integer tensor as
    float64), refusing every other type (TypeError) and, with ``ndim``, another rank; a
    0-d input is refused too (masses have a bin axis)."""
    if is_torch(masses):
        import torch

        dt = masses.dtype
        if dt == torch.bool or dt.is_complex:
            fail(api, name, "real masses (a floating-point or integer tensor)", dt, TypeError)
        m = masses if dt.is_floating_point else masses.to(torch.float64)
    else:
        if isinstance(masses, (str, bytes)) or masses is None:
            fail(api, name, "an array of masses", repr(masses), TypeError)
        a = as_array(masses, api, name)
        if a.dtype.kind not in "iuf":
            fail(api, name, "real masses (a floating-point or integer array)", a.dtype, TypeError)
        m = np.asarray(a, dtype=np.float64)
    if m.ndim == 0 or (ndim is not None and m.ndim != ndim):
        want = f"a {ndim}-D array" if ndim is not None else "an array of at least 1 dimension"
        fail(api, name, f"{want} of masses", f"shape {tuple(m.shape)}")
    return m


def _same_library(api: str, first: Any, name: str, other: Any) -> None:
    """``other`` in ``first``'s library (both NumPy or both torch) and memory."""
    if is_torch(first) != is_torch(other):
        kind = "a torch tensor" if is_torch(first) else "a NumPy array"
        fail(api, name, f"{kind} (as the masses are)", type(other).__name__, TypeError)
    if is_torch(first) and first.device != other.device:
        fail(api, name, f"on the masses' device ({first.device})", other.device)


def _compiling() -> bool:
    """True while torch.compile traces (data-dependent checks would break the graph)."""
    torch = sys.modules.get("torch")
    return bool(torch is not None and torch.compiler.is_compiling())


def _check_values(api: str, name: str, m: Any, *, positive_total: bool = False) -> None:
    """Refuse NaN/Inf or negative masses, sums over the last axis that overflow float64
    and, with ``positive_total``, a total that is not > 0 (one host synchronisation for a
    tensor)."""
    if is_torch(m):
        if _compiling():
            return
        import torch

        v = m.detach().to(torch.float64)
        finite = torch.isfinite(v)
        stats = torch.stack(
            [
                (~finite).sum().to(torch.float64),
                (v < 0).sum().to(torch.float64),
                torch.where(finite, v, 0).min() if v.numel() else v.new_zeros(()),
                (~torch.isfinite(v.sum(-1))).sum().to(torch.float64),
                v.sum(),
            ]
        ).tolist()
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            finite = np.isfinite(m)
            sums = m.sum(-1)
            stats = [
                float((~finite).sum()),
                float((m < 0).sum()),
                float(np.where(finite, m, 0).min()) if m.size else 0.0,
                float((~np.isfinite(sums)).sum()),
                float(m.sum()),
            ]
    n_bad, n_neg, lo, n_overflow, total = stats
    expected = "finite masses >= 0"
    if n_bad:
        fail(api, name, expected, f"{int(n_bad)} NaN/Inf values")
    if n_neg:
        fail(api, name, expected, f"{int(n_neg)} negative values (min {lo:.6g})")
    if n_overflow:
        fail(
            api,
            name,
            "masses whose sums are finite float64 numbers (scale them down)",
            f"{int(n_overflow)} sums that overflow",
        )
    if positive_total and not total > 0:
        fail(api, name, "masses with a positive total", f"a total of {total!r}")


def entropy_of_masses(masses: Any, *, validate: bool = True) -> Any:
    """H = -Σ_b p_b ln p_b (nats) of p = masses / masses.sum(-1), over the last axis,
    with 0 ln 0 = 0 and H = 0 for an all-zero row.

    ``masses`` [..., B] non-negative: a NumPy array (or array-like; computed in float64) or
    a torch tensor (in its floating dtype, float64 for an integer one; differentiable, and
    traceable by ``torch.compile``). Returns [...] in the same library.
    ``validate``: refuse NaN/Inf or negative masses and sums that overflow (see the module
    docstring); types and shapes are checked always.
    """
    api = "discrete.entropy_of_masses"
    m = _masses(api, "masses", masses)
    if validate:
        _check_values(api, "masses", m)
    return _entropy_nats(m)


def _entropy_nats(m: Any) -> Any:
    xp = namespace(m)
    total = m.sum(-1, keepdims=True)
    p = m / xp.where(total > 0, total, 1.0)
    # log(1) = 0 stands in at the zero cells: 0 ln 0 = 0 with a finite gradient (0 there)
    # in every dtype, where a floor such as 1e-300 would round to 0 in float32 (NaN).
    # Negated before the sum (the same value, bit for bit): an all-zero row sums +0.0 terms.
    return (-(p * xp.log(xp.where(p > 0, p, 1.0)))).sum(-1)


def label_weights(counts: Any, weighting: str, api: str, *, validate: bool = True) -> Any:
    """The weights w_k of H(Z|L) = Σ_k w_k H(Z | L = k), from the row counts ``counts``
    [K] (integers, or summed bootstrap weights): N_k / N for 'weighted', 1/K' over the K'
    labels with N_k > 0 for 'uniform'. [K] float64 in counts' library.

    ``api``: the caller's name, used in messages. ``validate``: refuse NaN/Inf or negative
    counts and a total that is not > 0 (the weights would be NaN)."""
    api = _check_api(api, "discrete.label_weights")
    check_weighting(api, weighting)
    c = _masses(api, "counts", counts, ndim=1)
    if validate:
        _check_values(api, "counts", c, positive_total=True)
    if weighting == "weighted":
        c = as_float64(c)
        return c / c.sum()
    present = as_float64(c > 0)
    return present / present.sum()


def information_of_masses(
    per_label: Any,
    counts: Any,
    weighting: str,
    api: str,
    total: Any = None,
    base: float = math.e,
    *,
    validate: bool = True,
) -> tuple[Any, Any, Any]:
    """(H(Z), H(Z|L), [K] H(Z | L = k)) in units of ``base`` (nats by default) from
    per-label masses ``per_label`` [K, B] and row counts ``counts`` [K] (see
    :func:`label_weights`); I(Z;L) = H(Z) - H(Z|L).

    H(Z) is taken over ``total`` [B] when given, else over the labelled rows
    (``per_label.sum(0)``: a masked row belongs to no label). NumPy or torch throughout,
    one library for every argument (0-d results in the input's library). ``api``: the
    caller's name, used in messages; ``validate`` as :func:`entropy_of_masses` (and
    :func:`label_weights` for ``counts``)."""
    api = _check_api(api, "discrete.information_of_masses")
    b = check_base(api, base)
    per = _masses(api, "per_label", per_label, ndim=2)
    c = _masses(api, "counts", counts, ndim=1)
    _same_library(api, per, "counts", c)
    if c.shape[0] != per.shape[0]:
        fail(api, "counts", f"[K] with K={per.shape[0]} (per_label's rows)", tuple(c.shape))
    tot = None
    if total is not None:
        tot = _masses(api, "total", total, ndim=1)
        _same_library(api, per, "total", tot)
        if tot.shape[0] != per.shape[1]:
            fail(api, "total", f"[B] with B={per.shape[1]} (per_label's columns)", tuple(tot.shape))
    if validate:
        _check_values(api, "per_label", per)
        _check_values(api, "counts", c, positive_total=True)
        if tot is not None:
            _check_values(api, "total", tot)
    h = _entropy_nats(per.sum(0) if tot is None else tot)
    h_k = _entropy_nats(per)
    hc = (label_weights(c, weighting, api, validate=False) * h_k).sum()
    if b == math.e:
        return h, hc, h_k
    log_b = math.log(b)
    return h / log_b, hc / log_b, h_k / log_b


def unit_name(base: float) -> str:
    """What a result in units of ``base`` is called: 'nats' (e), 'bits' (2), else
    '(log base b)'. ``base`` as every ``base=`` argument (> 1, finite)."""
    b = check_base("discrete.unit_name", base)
    return {math.e: "nats", 2.0: "bits"}.get(b, f"(log base {b:g})")


def to_base(nats: Any, base: float, api: str) -> Any:
    """Convert nats to units of ``base`` (2: bits, e: nats, 10: hartleys). A NumPy array
    or float comes back as a NumPy array, a tensor as a tensor (differentiably). ``nats``
    must be real (a number, a real array, a floating tensor); NaN in gives NaN out. ``api``:
    the caller's name, used in messages."""
    api = _check_api(api, "discrete.to_base")
    b = check_base(api, base)
    if is_torch(nats):
        if nats.dtype.is_complex or nats.dtype == sys.modules["torch"].bool:
            fail(api, "nats", "a real tensor", nats.dtype, TypeError)
        x = nats
    else:
        if isinstance(nats, bool) or not (
            is_int(nats) or isinstance(nats, (float, np.floating, np.ndarray, list, tuple))
        ):
            fail(api, "nats", "a real number or array", repr(nats)[:80], TypeError)
        x = as_array(nats, api, "nats")
        if x.dtype.kind not in "iuf":
            fail(api, "nats", "a real number or array", f"dtype {x.dtype}", TypeError)
    return x if b == math.e else x / math.log(b)
