"""Information of probability tables and counts: self-information, entropy, joint and
conditional entropy, mutual information, KL divergence, cross-entropy (of two
distributions, and the classification loss of predicted probabilities and class ids) and
the Jensen-Shannon divergence.

Definitions: Cover & Thomas, *Elements of Information Theory* (2nd ed., 2006), ch. 2
(entropy, joint and conditional entropy §2.2, relative entropy and mutual information
§2.3, chain rules §2.5); Lin, "Divergence measures based on the Shannon entropy", IEEE
Trans. Inf. Theory 37(1), 1991 (Jensen-Shannon divergence); d2l.ai, "Information Theory"
(appendix: mathematics for deep learning) for the deep-learning forms.

Conventions, the same for every function here:

- **Libraries.** NumPy (or anything array-like) in: computed in float64, a Python float
  out for a single result, a float64 NumPy array for a batch. torch in: torch out, on the
  input's device, in its floating dtype (float32 for float16/bfloat16; the wider one of
  two arguments), differentiable.
- **Tables.** A floating-point table holds probabilities: every entry finite and >= 0,
  and each distribution (the cells over the distribution axes) sums to 1 within
  ``tol = min(4 · n · eps, sqrt(eps))``, n the number of cells of one distribution and eps
  the machine epsilon of the input's dtype (float64: 2.2e-16, float32: 1.2e-7,
  float16: 9.8e-4, bfloat16: 7.8e-3). It is used as it is (not renormalised).
  ``normalize=True`` divides each distribution by its total instead (any positive total).
  An integer table holds counts: normalised by each distribution's total, which must be
  > 0. Boolean and complex inputs are refused.
- **Zero cells.** 0 · log 0 = 0, and 0 · log(0/q) = 0 for any q. Where q = 0 < p,
  KL(p‖q) and the cross-entropy are +inf (never an epsilon, never an absolute value).
  Jensen-Shannon is finite always, in [0, log 2].
- **Gradients** (torch) are the exact derivatives of the formula wherever the result is
  finite, with one convention at a cell where p = 0: the term p · log p is taken as the
  constant 0 there (derivative 0 instead of its one-sided limit -inf). No gradient is NaN;
  where the result is +inf the gradient of that term is 0. Where a derivative's true value
  is beyond the float range (d(-log p)/dp = -1/p, or -p/q of KL and cross-entropy, at a
  subnormal p or q below 1 / 1.8e308 = 5.6e-309 in float64) it is -inf, its correctly
  rounded value.
- **Rounding.** Results are >= 0 (and JS <= log 2): a value rounding carried past a bound
  is set on it (torch: the value only, the gradient stays the formula's).
- **Units.** Nats by default; ``base=2`` gives bits (nats / ln 2), any base > 1 allowed.
- **validate.** ``validate=True`` (default) checks the values (NaN/Inf, negative entries,
  sums, totals, class ids in range) and raises a ValueError naming the argument. On a
  CUDA tensor that costs one host synchronisation per argument; in a training loop whose
  inputs are known good (a softmax output), ``validate=False`` skips the value checks
  (types, shapes and axes are checked always). Invalid values are then not caught: the
  result is unspecified (but no exception is raised for them, except by torch for class
  ids out of range).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from types import ModuleType
from typing import Any, Literal

import numpy as np

from .._checks import check_base, check_choice, fail, is_int
from .._interop import as_array, is_torch, namespace
from ._masses import to_base

__all__ = [
    "conditional_entropy",
    "cross_entropy",
    "entropy",
    "joint_entropy",
    "js_divergence",
    "kl_divergence",
    "mutual_information",
    "self_information",
]

Reduction = Literal["mean", "sum", "none"]
REDUCTIONS: tuple[str, ...] = ("mean", "sum", "none")

_LOG2 = math.log(2.0)


# ----------------------------------------------------------------------------- inputs


class _Table:
    """One argument converted for computing: ``x`` (NumPy float64, or a torch tensor in
    float32/float64 in the caller's graph), whether it held counts, and the machine epsilon
    of the dtype it came in."""

    __slots__ = ("counts", "dtype", "eps", "x", "xp")

    def __init__(self, x: Any, xp: ModuleType, counts: bool, eps: float, dtype: str) -> None:
        self.x, self.xp, self.counts, self.eps, self.dtype = x, xp, counts, eps, dtype


def _as_table(api: str, name: str, x: Any, *, counts_ok: bool = True) -> _Table:
    """``x`` as a :class:`_Table`; TypeError for a dtype that is neither float nor (where
    ``counts_ok``) integer, ValueError for an empty one. Nothing is copied that need not be,
    and nothing is written to: the caller's array is never modified."""
    what = (
        "a floating-point table of probabilities or an integer table of counts"
        if counts_ok
        else "a floating-point array of probabilities"
    )
    if is_torch(x):
        torch = namespace(x)
        dt = x.dtype
        if dt in (torch.float16, torch.bfloat16):
            t, counts, eps = x.float(), False, float(torch.finfo(dt).eps)
        elif dt in (torch.float32, torch.float64):
            t, counts, eps = x, False, float(torch.finfo(dt).eps)
        elif counts_ok and not (dt == torch.bool or dt.is_complex or dt.is_floating_point):
            t, counts, eps = x.to(torch.float64), True, 0.0
        else:
            fail(api, name, what, f"a tensor of dtype {dt}", TypeError)
        xp, dtype = torch, str(dt).replace("torch.", "")
        shape = tuple(t.shape)
    else:
        a = as_array(x, api, name)
        kind = a.dtype.kind
        if kind == "f":
            eps = float(np.finfo(a.dtype).eps)
            t, counts = np.asarray(a, dtype=np.float64), False
        elif kind in "iu" and counts_ok:
            t, counts, eps = np.asarray(a, dtype=np.float64), True, 0.0
        else:
            fail(api, name, what, f"an array of dtype {a.dtype}", TypeError)
        xp, dtype = np, str(a.dtype)
        shape = t.shape
    if 0 in shape:
        fail(api, name, "non-empty", f"shape {shape}")
    return _Table(t, xp, counts, eps, dtype)


def _check_axes(api: str, arg: str, axis: Any, ndim: int, name: str) -> tuple[int, ...]:
    """``axis`` (an int or a tuple of distinct ints) as sorted non-negative axes of an
    ``ndim``-D array named ``name``."""
    items = axis if isinstance(axis, tuple) else (axis,)
    if not items or not all(is_int(a) for a in items):
        fail(api, arg, "an int or a non-empty tuple of ints", repr(axis), TypeError)
    out = []
    for a in items:
        if not -ndim <= a < ndim:
            fail(api, arg, f"an axis of the {ndim}-D {name} (in [{-ndim}, {ndim - 1}])", a)
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        fail(api, arg, "distinct axes", repr(axis))
    return tuple(sorted(out))


def _check_ndim(api: str, name: str, t: _Table, at_least: int, shape_doc: str) -> None:
    if t.x.ndim < at_least:
        fail(api, name, f"at least {at_least}-D ({shape_doc})", f"shape {tuple(t.x.shape)}")


def _same_library(api: str, p: Any, name: str, other: Any) -> None:
    """Both NumPy or both torch, and tensors on one device."""
    if is_torch(p) != is_torch(other):
        kind = "a torch tensor (as p is)" if is_torch(p) else "a NumPy array (as p is)"
        fail(api, name, kind, type(other).__name__, TypeError)
    if is_torch(p) and p.device != other.device:
        fail(api, name, f"on p's device ({p.device})", other.device)


def _tolerance(t: _Table, cells: int) -> float:
    """How far from 1 the sum of one distribution of ``cells`` cells may be."""
    return min(4.0 * cells * t.eps, math.sqrt(t.eps))


def _sum(xp: ModuleType, x: Any, axes: tuple[int, ...], keepdims: bool = False) -> Any:
    if xp is np:
        return x.sum(axis=axes, keepdims=keepdims)
    return x.sum(dim=axes, keepdim=keepdims)


def _host_stats(xp: ModuleType, values: list[Any]) -> list[float]:
    """0-d results as Python floats, with one host synchronisation for tensors."""
    if xp is np:
        return [float(v) for v in values]
    torch = xp
    return torch.stack([v.to(torch.float64) for v in values]).tolist()


def _validated(
    api: str,
    name: str,
    t: _Table,
    axes: tuple[int, ...] | None,
    *,
    normalize: bool,
    validate: bool,
    where: str = "",
) -> Any:
    """The probabilities of ``t`` over ``axes`` (None: elementwise probabilities in [0, 1];
    ``where`` names them in messages, e.g. "axis -1"),
    after the value checks of the module docstring when ``validate``: counts and
    ``normalize=True`` tables divided by their totals."""
    xp, x = t.xp, t.x
    for flag, value in (("normalize", normalize), ("validate", validate)):
        if not isinstance(value, (bool, np.bool_)):
            fail(api, flag, "True or False", repr(value), TypeError)
    divide = t.counts or normalize
    if validate:
        v = x.detach() if xp is not np else x
        finite = xp.isfinite(v)
        stats = [(~finite).sum(), (v < 0).sum(), xp.where(finite, v, 0).min()]
        if axes is None:
            stats.append(xp.where(finite, v, 0).max())
        else:
            # sums in float64 whatever the dtype: the check must not add its own rounding
            # (one that overflows is refused below, not warned about)
            with np.errstate(over="ignore", invalid="ignore"):
                totals = _sum(xp, v if xp is np else v.to(xp.float64), axes)
            stats += [totals.min(), totals.max()]
        n_bad, n_neg, lo, *rest = _host_stats(xp, stats)
        if n_bad:
            fail(api, name, "finite", f"{int(n_bad)} NaN/Inf values")
        if n_neg:
            fail(api, name, ">= 0 everywhere", f"{int(n_neg)} negative values (min {lo:.6g})")
        if axes is not None and not math.isfinite(rest[1]):
            # every p = x / total would read 0: an entropy of 0, not the table's
            fail(
                api,
                name,
                f"a table whose totals over {where} are finite float64 numbers (scale it down)",
                "a total that overflows",
            )
        if axes is None:
            if rest[0] > 1:
                fail(api, name, "probabilities in [0, 1]", f"a maximum of {rest[0]!r}")
        elif divide:
            if rest[0] <= 0:
                fail(
                    api,
                    name,
                    f"a table with a positive total over {where} in every distribution "
                    "(it is divided by it)",
                    "a total of 0",
                )
        else:
            cells = math.prod(x.shape[a] for a in axes)
            tol = _tolerance(t, cells)
            worst = rest[0] if abs(rest[0] - 1) >= abs(rest[1] - 1) else rest[1]
            if abs(worst - 1) > tol:
                fail(
                    api,
                    name,
                    f"a probability table summing to 1 over {where} within {tol:.3g} "
                    f"(min(4·n·eps, sqrt(eps)) for {t.dtype}, n = {cells} cells; pass "
                    "normalize=True to divide by the total, or integer counts)",
                    f"a sum of {worst!r}",
                )
    if axes is None or not divide:
        return x
    total = _sum(xp, x, axes, keepdims=True)
    # an all-zero distribution (only past validate=False) gives zeros, not 0/0 = NaN
    return x / xp.where(total > 0, total, xp.ones_like(total))


def _finish(api: str, nats: Any, base: float) -> Any:
    """``nats`` in units of ``base``: a Python float for a 0-d NumPy result. + 0.0 turns
    the -0.0 of -log 1 or -Σ 0 into 0.0."""
    out = to_base(nats + 0.0, base, api)
    if isinstance(out, np.ndarray) and out.ndim == 0:
        return float(out)
    return out


# ----------------------------------------------------------------------------- safe terms
# Each term is written so that neither its value nor its gradient meets log(0) or 0/0:
# the logarithm reads 1 where its argument is 0 (log 1 = 0), selected by a mask.


def _safe_log(xp: ModuleType, x: Any) -> Any:
    """log x where x > 0, else 0 (both value and derivative: no -inf, no 0 · inf)."""
    return xp.log(xp.where(x > 0, x, xp.ones_like(x)))


def _plogp(xp: ModuleType, p: Any) -> Any:
    """p · log p, 0 at p = 0 (derivative there 0)."""
    return p * _safe_log(xp, p)


def _kl_terms(xp: ModuleType, p: Any, q: Any) -> Any:
    """p · (log p - log q): 0 where p = 0, +inf where q = 0 < p. Difference of logs, not
    log of the ratio: p / q overflows for a denormal q (a float32 softmax underflowing)."""
    t = p * (_safe_log(xp, p) - _safe_log(xp, q))
    return xp.where((p > 0) & (q <= 0), math.inf, t)


def _cross_terms(xp: ModuleType, p: Any, q: Any) -> Any:
    """-p · log q: 0 where p = 0 (derivative in p: -log q, or 0 where q = 0 too), +inf where
    q = 0 < p."""
    t = -p * _safe_log(xp, q)
    return xp.where((p > 0) & (q <= 0), math.inf, t)


def _clamp(xp: ModuleType, v: Any, hi: float | None = None) -> Any:
    """``v`` set on [0, hi] where rounding carried it past; for tensors the value only (the
    correction is detached: the gradient stays the formula's)."""
    if xp is np:
        return np.clip(v, 0.0, hi)
    out = v + (-v).clamp_min(0).detach()
    if hi is not None:
        out = out - (out - hi).clamp_min(0).detach()
    return out


def _quiet_unvalidated(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` with NumPy's floating-point warnings silenced when called with
    ``validate=False``: its values are then not checked and its result on invalid ones is
    unspecified, documented as raising nothing (a RuntimeWarning is an exception under
    ``-W error``). With ``validate=True`` nothing is silenced: the checks come first."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("validate", True) is False:
            with np.errstate(all="ignore"):
                return fn(*args, **kwargs)
        return fn(*args, **kwargs)

    return wrapper


# ----------------------------------------------------------------------------- public API


@_quiet_unvalidated
def self_information(p: Any, *, base: float = math.e, validate: bool = True) -> Any:
    """Self-information (surprisal) I(p) = -log p of each probability, elementwise.

    Cover & Thomas (2006) §2.1 (H(X) is the expectation of -log p(X)); d2l.ai "Information
    Theory", §Self-information (I = -log2 p; 1/64 carries 6 bits).

    Args:
        p: probabilities in [0, 1], any shape (a Python float too). Integer arrays are
            refused (counts have no probability until divided by a total).
        base: unit of the result: e (nats, default), 2 (bits).
        validate: check for NaN/Inf and values outside [0, 1] (see the module docstring).

    Returns:
        -log p in the shape of p (a float for a scalar or 0-d NumPy input); +inf where
        p = 0 (with gradient 0 there), 0 where p = 1.
    """
    api = "discrete.self_information"
    b = check_base(api, base)
    if is_int(p) or (isinstance(p, float) and not isinstance(p, np.floating)):
        p = float(p)
    t = _as_table(api, "p", p, counts_ok=False)
    x = _validated(api, "p", t, None, normalize=False, validate=validate)
    xp = t.xp
    nats = xp.where(x > 0, -_safe_log(xp, x), math.inf)
    return _finish(api, nats, b)


@_quiet_unvalidated
def entropy(
    p: Any,
    *,
    axis: int | tuple[int, ...] = -1,
    base: float = math.e,
    normalize: bool = False,
    validate: bool = True,
) -> Any:
    """Shannon entropy H(X) = -Σ_x p(x) log p(x) of each distribution in ``p``.

    Cover & Thomas (2006) §2.1, eq. H(X) = -Σ p(x) log p(x), with 0 log 0 = 0.

    Args:
        p: [..., K] probabilities (each distribution summing to 1, see the module docstring)
            or integer counts (normalised). NumPy or torch.
        axis: the distribution axis, or a tuple of axes holding one joint distribution
            (``axis=(-2, -1)`` is :func:`joint_entropy`). The other axes are a batch.
        base: e (nats, default), 2 (bits).
        normalize: divide each distribution by its total (any positive masses).
        validate: check the values (module docstring); ``False`` for training loops.

    Returns:
        H in [0, log K], shape p.shape without ``axis`` (a float for a single distribution
        of NumPy input). Gradient at a zero cell: 0 (module docstring).
    """
    api = "discrete.entropy"
    b = check_base(api, base)
    t = _as_table(api, "p", p)
    _check_ndim(api, "p", t, 1, "[..., K]")
    axes = _check_axes(api, "axis", axis, t.x.ndim, "p")
    x = _validated(api, "p", t, axes, normalize=normalize, validate=validate, where=f"axis {axis}")
    return _finish(api, _clamp(t.xp, -_sum(t.xp, _plogp(t.xp, x), axes)), b)


@_quiet_unvalidated
def joint_entropy(
    p_xy: Any, *, base: float = math.e, normalize: bool = False, validate: bool = True
) -> Any:
    """Joint entropy H(X, Y) = -Σ_{x,y} p(x, y) log p(x, y) of a table [..., X, Y].

    Cover & Thomas (2006) §2.2. The table's last two axes hold one joint distribution
    (X the rows, axis -2; Y the columns, axis -1); leading axes are a batch. Arguments as
    :func:`entropy`. Returns H(X, Y), shape p_xy.shape[:-2] (a float for one NumPy table).
    """
    api = "discrete.joint_entropy"
    b = check_base(api, base)
    t = _as_table(api, "p_xy", p_xy)
    _check_ndim(api, "p_xy", t, 2, "[..., X, Y]")
    axes = (t.x.ndim - 2, t.x.ndim - 1)
    x = _validated(
        api, "p_xy", t, axes, normalize=normalize, validate=validate, where="the last two axes"
    )
    return _finish(api, _clamp(t.xp, -_sum(t.xp, _plogp(t.xp, x), axes)), b)


def _given_axis(api: str, given: Any, ndim: int) -> int:
    """``given`` (-2 or -1, or their non-negative spellings) as -2 or -1."""
    if not is_int(given):
        fail(api, "given", "-2 (X, the rows) or -1 (Y, the columns)", repr(given), TypeError)
    if given not in (-2, -1, ndim - 2, ndim - 1):
        fail(api, "given", "-2 (X, the rows) or -1 (Y, the columns)", given)
    return -2 if given in (-2, ndim - 2) else -1


@_quiet_unvalidated
def conditional_entropy(
    p_xy: Any,
    *,
    given: int = -2,
    base: float = math.e,
    normalize: bool = False,
    validate: bool = True,
) -> Any:
    """Conditional entropy of a joint table [..., X, Y]: by default H(Y|X) =
    -Σ_{x,y} p(x, y) log p(y|x), with X the rows (axis -2) and Y the columns (axis -1).

    Cover & Thomas (2006) §2.2; p(y|x) = p(x, y) / p(x), p(x) = Σ_y p(x, y). Computed
    directly (not as H(X, Y) - H(X)), so it is exactly >= 0 and H(X, Y) = H(X) + H(Y|X)
    holds to rounding.

    Args:
        p_xy: [..., X, Y] joint probabilities (summing to 1 over the last two axes) or
            integer counts; leading axes are a batch.
        given: the axis conditioned on: -2 (default, the rows X: H(Y|X)) or -1 (the
            columns Y: H(X|Y)).
        base, normalize, validate: as :func:`entropy`.

    Returns:
        H(Y|X) (or H(X|Y)), shape p_xy.shape[:-2] (a float for one NumPy table).
    """
    api = "discrete.conditional_entropy"
    b = check_base(api, base)
    t = _as_table(api, "p_xy", p_xy)
    _check_ndim(api, "p_xy", t, 2, "[..., X, Y]")
    cond = _given_axis(api, given, t.x.ndim)
    axes = (t.x.ndim - 2, t.x.ndim - 1)
    xp = t.xp
    x = _validated(
        api, "p_xy", t, axes, normalize=normalize, validate=validate, where="the last two axes"
    )
    # the marginal of the conditioning variable: sum over the other axis
    marginal = _sum(xp, x, (x.ndim - 1 if cond == -2 else x.ndim - 2,), keepdims=True)
    return _finish(api, _clamp(xp, -_sum(xp, _kl_terms(xp, x, marginal), axes)), b)


@_quiet_unvalidated
def mutual_information(
    p_xy: Any, *, base: float = math.e, normalize: bool = False, validate: bool = True
) -> Any:
    """Mutual information I(X; Y) = Σ_{x,y} p(x, y) log[p(x, y) / (p(x) p(y))] of a joint
    table [..., X, Y] (X the rows, axis -2; Y the columns, axis -1).

    Cover & Thomas (2006) §2.3 (I = D(p(x, y) ‖ p(x) p(y)) = H(X) + H(Y) - H(X, Y)).
    Computed directly from the logs of the table and its marginals (no cancellation of
    entropies, no product of marginals that could underflow). Symmetric in X and Y.

    Args:
        p_xy: [..., X, Y] joint probabilities or integer counts (a contingency table);
            leading axes are a batch.
        base, normalize, validate: as :func:`entropy`.

    Returns:
        I >= 0, shape p_xy.shape[:-2] (a float for one NumPy table); 0 for an independent
        table.
    """
    api = "discrete.mutual_information"
    b = check_base(api, base)
    t = _as_table(api, "p_xy", p_xy)
    _check_ndim(api, "p_xy", t, 2, "[..., X, Y]")
    axes = (t.x.ndim - 2, t.x.ndim - 1)
    xp = t.xp
    x = _validated(
        api, "p_xy", t, axes, normalize=normalize, validate=validate, where="the last two axes"
    )
    log_px = _safe_log(xp, _sum(xp, x, (x.ndim - 1,), keepdims=True))
    log_py = _safe_log(xp, _sum(xp, x, (x.ndim - 2,), keepdims=True))
    # where p(x, y) > 0 both marginals are > 0: the safe logs are the true ones there
    terms = x * (_safe_log(xp, x) - log_px - log_py)
    return _finish(api, _clamp(xp, _sum(xp, terms, axes)), b)


def _pair(
    api: str,
    p: Any,
    q: Any,
    axis: Any,
    normalize: bool,
    validate: bool,
) -> tuple[ModuleType, Any, Any, int]:
    """Two distributions over ``axis`` checked and broadcast to one shape: (xp, p, q, axis
    as a non-negative axis of that shape). The distribution axis must have one size in
    both; the other axes broadcast (NumPy rules)."""
    _same_library(api, p, "q", q)
    tp, tq = _as_table(api, "p", p), _as_table(api, "q", q)
    _check_ndim(api, "p", tp, 1, "[..., K]")
    _check_ndim(api, "q", tq, 1, "[..., K]")
    if not is_int(axis):
        fail(api, "axis", "an int", repr(axis), TypeError)
    ap = _check_axes(api, "axis", axis, tp.x.ndim, "p")[0]
    aq = _check_axes(api, "axis", axis, tq.x.ndim, "q")[0]
    sp, sq = tuple(tp.x.shape), tuple(tq.x.shape)
    if sp[ap] != sq[aq]:
        fail(
            api,
            "q",
            f"of p's size along axis {axis} ({sp[ap]})",
            f"{sq[aq]} (q shape {sq}, p shape {sp})",
        )
    try:
        shape = np.broadcast_shapes(sp, sq)
    except ValueError:
        fail(api, "q", f"of a shape that broadcasts with p's {sp}", f"shape {sq}")
    x = _validated(
        api, "p", tp, (ap,), normalize=normalize, validate=validate, where=f"axis {axis}"
    )
    y = _validated(
        api, "q", tq, (aq,), normalize=normalize, validate=validate, where=f"axis {axis}"
    )
    xp = tp.xp
    if xp is np:
        x, y = np.broadcast_to(x, shape), np.broadcast_to(y, shape)
    else:
        x, y = xp.broadcast_tensors(x, y)
    return xp, x, y, int(axis) % len(shape)


@_quiet_unvalidated
def kl_divergence(
    p: Any,
    q: Any,
    *,
    axis: int = -1,
    base: float = math.e,
    normalize: bool = False,
    validate: bool = True,
) -> Any:
    """Kullback-Leibler divergence (relative entropy) D(p‖q) = Σ_x p(x) log[p(x) / q(x)].

    Cover & Thomas (2006) §2.3, with 0 log(0/q) = 0 and p log(p/0) = +inf for p > 0: the
    result is +inf wherever q = 0 < p (no epsilon, no absolute value). Equals
    ``scipy.stats.entropy(p, q)`` and ``scipy.special.rel_entr(p, q).sum()``.

    Args:
        p, q: [..., K] probabilities over ``axis`` (or integer counts), both NumPy or both
            torch on one device. ``axis`` must have one size in both; the other axes
            broadcast.
        axis: the distribution axis (an int).
        base, normalize, validate: as :func:`entropy` (applied to p and to q).

    Returns:
        D >= 0 (0 iff p = q), the broadcast shape without ``axis`` (a float for one pair of
        NumPy distributions). Gradient in p at a cell where p = 0: -log q (module docstring).
    """
    api = "discrete.kl_divergence"
    b = check_base(api, base)
    xp, x, y, a = _pair(api, p, q, axis, normalize, validate)
    return _finish(api, _clamp(xp, _sum(xp, _kl_terms(xp, x, y), (a,))), b)


@_quiet_unvalidated
def js_divergence(
    p: Any,
    q: Any,
    *,
    axis: int = -1,
    base: float = math.e,
    normalize: bool = False,
    validate: bool = True,
) -> Any:
    """Jensen-Shannon divergence JS(p, q) = ½ D(p‖m) + ½ D(q‖m), m = (p + q) / 2.

    Lin (1991). Symmetric, finite for any two distributions (m > 0 wherever p or q is),
    0 iff p = q, at most log 2 (reached by disjoint supports). log m is taken as
    log(p + q) - log 2, so a tiny p never underflows m to 0. Its square root is the
    Jensen-Shannon distance of ``scipy.spatial.distance.jensenshannon``.

    Arguments as :func:`kl_divergence`. Returns JS in [0, log 2] (in nats; [0, 1] bits).
    """
    api = "discrete.js_divergence"
    b = check_base(api, base)
    xp, x, y, a = _pair(api, p, q, axis, normalize, validate)
    s = x + y
    # D(p‖m) = Σ p (log p - log s) + log 2 Σ p, the same for q
    half = _sum(xp, _kl_terms(xp, x, s) + _kl_terms(xp, y, s), (a,)) + _LOG2 * _sum(xp, s, (a,))
    return _finish(api, _clamp(xp, 0.5 * half, _LOG2), b)


def _is_integer_dtype(api: str, name: str, x: Any) -> bool:
    if is_torch(x):
        dt = x.dtype
        return not (dt.is_floating_point or dt.is_complex or dt == namespace(x).bool)
    return as_array(x, api, name).dtype.kind in "iu"


def _reduce(xp: ModuleType, v: Any, reduction: str) -> Any:
    if reduction == "none":
        return v
    return v.sum() if reduction == "sum" else v.mean()


@_quiet_unvalidated
def cross_entropy(
    p: Any,
    q: Any,
    *,
    axis: int = -1,
    base: float = math.e,
    reduction: Reduction | None = None,
    normalize: bool = False,
    validate: bool = True,
) -> Any:
    """Cross-entropy, in one of two forms told apart by the dtype of the second argument.

    **Distributions** (q floating-point): CE(p, q) = -Σ_x p(x) log q(x) = H(p) + D(p‖q)
    over ``axis``, p the true distribution, q the model's (Goodfellow, Bengio & Courville,
    *Deep Learning* 2016, §3.13; d2l.ai "Information Theory", §Cross-Entropy). +inf
    wherever q = 0 < p.
    p and q: [..., K], both NumPy or both torch on one device; p may be integer counts
    (normalised); axis must have one size in both, other axes broadcast. Default
    ``reduction="none"``: the broadcast shape without ``axis``.

    **Classification** (q of an integer dtype): the negative log-likelihood
    -log p[i, q_i] of class ids ``q`` under predicted probabilities ``p`` [N, C] (class
    axis ``axis``; leading axes [..., C] with ids [...]), i.e. cross-entropy against
    one-hot targets (d2l's ``cross_entropy(y_hat, y)``; torch's
    ``nll_loss(log(p), q)``). ``q`` must have p's shape without ``axis`` and ids in
    [0, C); +inf where p[i, q_i] = 0. Default ``reduction="mean"`` over all samples. To
    pass counts as the second argument of the distribution form, give them as floats with
    ``normalize=True``.

    Args:
        reduction: "mean", "sum" or "none" (per distribution / per sample); None: the form's
            default above.
        axis, base, normalize, validate: as :func:`kl_divergence` (validate also checks
            the class ids' range).

    Returns:
        CE >= 0: a float for a single NumPy result (or any "mean"/"sum" of NumPy input),
        else an array / tensor.
    """
    api = "discrete.cross_entropy"
    b = check_base(api, base)
    if reduction is not None:
        check_choice(api, "reduction", reduction, REDUCTIONS)
    if _is_integer_dtype(api, "q", q):
        return _classification_ce(api, p, q, axis, b, reduction or "mean", normalize, validate)
    xp, x, y, a = _pair(api, p, q, axis, normalize, validate)
    ce = _clamp(xp, _sum(xp, _cross_terms(xp, x, y), (a,)))
    return _finish(api, _reduce(xp, ce, reduction or "none"), b)


def _classification_ce(
    api: str,
    probs: Any,
    targets: Any,
    axis: Any,
    base: float,
    reduction: str,
    normalize: bool,
    validate: bool,
) -> Any:
    _same_library(api, probs, "q", targets)
    t = _as_table(api, "p", probs)
    _check_ndim(api, "p", t, 1, "[N, C] predicted probabilities")
    if not is_int(axis):
        fail(api, "axis", "an int", repr(axis), TypeError)
    a = _check_axes(api, "axis", axis, t.x.ndim, "p")[0]
    xp = t.xp
    ids = targets if xp is not np else as_array(targets, api, "q")
    want = tuple(t.x.shape[:a]) + tuple(t.x.shape[a + 1 :])
    if tuple(ids.shape) != want:
        fail(
            api,
            "q",
            f"class ids of shape {want} (p's shape {tuple(t.x.shape)} without axis {axis})",
            f"shape {tuple(ids.shape)}",
        )
    n_classes = t.x.shape[a]
    x = _validated(api, "p", t, (a,), normalize=normalize, validate=validate, where=f"axis {axis}")
    if validate:
        lo, hi = _host_stats(xp, [ids.min(), ids.max()])
        if lo < 0 or hi >= n_classes:
            fail(api, "q", f"class ids in [0, {n_classes - 1}]", f"ids in [{lo:g}, {hi:g}]")
    index = xp.expand_dims(ids, a) if xp is np else ids.unsqueeze(a)
    if xp is np:
        picked = np.take_along_axis(x, index.astype(np.int64), axis=a)
    else:
        picked = x.gather(a, index.to(xp.int64))
    picked = picked.squeeze(a) if xp is not np else np.squeeze(picked, axis=a)
    nll = xp.where(picked > 0, -_safe_log(xp, picked), math.inf)
    return _finish(api, _reduce(xp, _clamp(xp, nll), reduction), base)
