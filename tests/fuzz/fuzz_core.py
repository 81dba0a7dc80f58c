"""The property every fuzzed call of softent's public API must satisfy, as one judge.

A call either
- returns a result of the documented type whose every number is finite (+inf only where the
  function documents it, e.g. KL(p‖q) where q = 0 < p; never NaN, never -inf there either),
  and, for a torch result that carries a gradient, a finite gradient, or
- raises TypeError / ValueError / MemoryError / RuntimeError / FileNotFoundError whose
  message starts with ``"softent."`` (the project's form ``softent.<api>: <arg> must be ...``),

and in both cases leaves every input it was given unchanged (values, dtype, shape) and warns
nothing. :func:`judge` runs one :class:`Call` and says which of these held; the CI tests
assert on its verdict and the long run (long_run.py) counts the verdicts.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch

#: the exception types softent may raise for bad input (docs/design.md §6); anything else is a bug
ALLOWED_EXCEPTIONS = (TypeError, ValueError, MemoryError, RuntimeError, FileNotFoundError)
#: the verdicts that are fine; every other verdict is a finding
GOOD = ("ok", "refused")
#: every verdict a finding can have, in the order the long run's summary lists them
FINDINGS = (
    "unexpected_exception",  # an exception type outside ALLOWED_EXCEPTIONS
    "bad_message",  # an allowed type whose message does not start with "softent."
    "nan_result",  # a NaN (or an undocumented ±inf) anywhere in the result or its gradient
    "wrong_type",  # a result of another type than the function documents
    "modified_input",  # an input differs after the call
    "warning",  # the call warned (pytest runs with filterwarnings=error)
)


@dataclasses.dataclass
class Call:
    """One generated call: ``fn(*args, **kwargs)``.

    ``expect``: the result types the function documents (None: not checked).
    ``allow_inf``: +inf is a documented result (KL, cross-entropy, self-information).
    ``label``: the public function (or scenario) exercised, for the long run's tallies.
    ``lenient``: see the field.
    """

    label: str
    fn: Callable[..., Any]
    args: tuple = ()
    kwargs: dict = dataclasses.field(default_factory=dict)
    expect: tuple | None = None
    allow_inf: bool = False
    #: the result is documented as unspecified (``validate=False`` on invalid values): only
    #: the exception and input rules apply, not the finite-result (and gradient) one
    lenient: bool = False
    #: where a NaN is documented: ``"*"`` (the whole result, e.g. ``efficiency`` is NaN when
    #: B = 1), or dict keys (a key equal to one, or starting with one and "_", or ending
    #: with one that starts with "_": "_se")
    nan_ok: tuple[str, ...] = ()

    def __repr__(self) -> str:
        parts = [describe(a) for a in self.args]
        parts += [f"{k}={describe(v)}" for k, v in self.kwargs.items()]
        return f"{self.label}({', '.join(parts)})"


def describe(v: Any, depth: int = 0) -> str:
    """A short, reproducible description of an argument (arrays by dtype, shape, strides and
    a few values) for reports."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # printing huge values warns in NumPy's arrayprint
        return _describe(v, depth)


def _tiny(a: np.ndarray) -> str:
    """ ", tiny=<m>" with the smallest non-zero magnitude of a float array when it is below
    1e-30 (subnormal and near-subnormal values break naive arithmetic; the values shown are
    only the first six), else ""."""
    mag = np.abs(a[np.isfinite(a) & (a != 0)].astype(np.float64)) if a.size else a
    return f", tiny={float(mag.min()):.3g}" if mag.size and mag.min() < 1e-30 else ""


def _describe(v: Any, depth: int) -> str:
    if isinstance(v, np.ndarray):
        flat = v.reshape(-1)[:6] if v.size else v.reshape(-1)
        vals = (
            np.array2string(flat, precision=4, threshold=6)
            if v.dtype != object
            else repr(list(flat))
        )
        tiny = _tiny(v) if v.dtype.kind == "f" else ""
        return f"ndarray({v.dtype.str}, shape={v.shape}, strides={v.strides}, {vals}...{tiny})"
    if isinstance(v, torch.Tensor):
        extra = " neg" if v.is_neg() else ""
        extra += " requires_grad" if v.requires_grad else ""
        flat = v.detach().reshape(-1)[:6].resolve_neg().tolist() if v.numel() else []
        tiny = (
            _tiny(v.detach().resolve_neg().double().cpu().numpy()) if v.is_floating_point() else ""
        )
        return (
            f"tensor({v.dtype}, shape={tuple(v.shape)}, stride={v.stride()}{extra}, {flat}..."
            f"{tiny})"
        )
    if depth < 2 and isinstance(v, Mapping):
        return "{" + ", ".join(f"{k!r}: {describe(x, depth + 1)}" for k, x in v.items()) + "}"
    if depth < 2 and isinstance(v, (list, tuple)) and len(v) <= 8:
        inner = ", ".join(describe(x, depth + 1) for x in v)
        return f"[{inner}]" if isinstance(v, list) else f"({inner})"
    r = repr(v)
    return r if len(r) <= 120 else r[:117] + "..."


# ----------------------------------------------------------------------------- inputs unchanged


def snapshot(v: Any) -> Any:
    """A deep copy of what a call could modify in place: arrays, tensors, containers."""
    if isinstance(v, np.ndarray):
        return v.copy()
    if isinstance(v, torch.Tensor):
        return v.detach().clone().resolve_neg().resolve_conj()
    if isinstance(v, Mapping):
        return {k: snapshot(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(snapshot(x) for x in v) if isinstance(v, list) else tuple(map(snapshot, v))
    try:
        return copy.deepcopy(v)
    except Exception:  # noqa: BLE001  an object that cannot be copied cannot be compared either
        return v


def _same_item(a: Any, b: Any) -> bool:
    """Two elements of object arrays: the same object, equal, or both NaN."""
    if a is b:
        return True
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001  uncomparable objects: not a finding
        return False


def same(before: Any, after: Any) -> bool:
    """Whether ``after`` (an argument after the call) still equals its snapshot."""
    if isinstance(before, np.ndarray):
        if not isinstance(after, np.ndarray):
            return False
        if before.dtype != after.dtype or before.shape != after.shape:
            return False
        if before.dtype.kind in "fcmM":
            return bool(np.array_equal(before, after, equal_nan=True))
        if before.dtype == object:
            return all(map(_same_item, before.reshape(-1).tolist(), after.reshape(-1).tolist()))
        return bool(np.array_equal(before, after))
    if isinstance(before, torch.Tensor):
        if not isinstance(after, torch.Tensor):
            return False
        a = after.detach().resolve_neg().resolve_conj()
        if before.dtype != a.dtype or before.shape != a.shape:
            return False
        if before.is_floating_point() or before.is_complex():
            nan_b, nan_a = before.isnan(), a.isnan()
            return bool(torch.equal(nan_b, nan_a)) and bool(
                torch.equal(before.masked_fill(nan_b, 0), a.masked_fill(nan_a, 0))
            )
        return bool(torch.equal(before, a))
    if isinstance(before, Mapping):
        return (
            isinstance(after, Mapping)
            and before.keys() == after.keys()
            and all(same(before[k], after[k]) for k in before)
        )
    if isinstance(before, (list, tuple)):
        return (
            type(before) is type(after)
            and len(before) == len(after)
            and all(map(same, before, after))
        )
    if isinstance(before, float) and isinstance(after, float):
        return before == after or (math.isnan(before) and math.isnan(after))
    try:
        return bool(before == after) if type(before) in (int, str, bool, bytes) else True
    except Exception:  # noqa: BLE001  an element == that raises: differs
        return True


# ----------------------------------------------------------------------------- results finite


def nonfinite(
    v: Any,
    allow_inf: bool,
    nan_ok: tuple[str, ...] = (),
    seen: set[int] | None = None,
    allow_nan: bool = False,
) -> str | None:
    """Where ``v`` holds a NaN (or a ±inf it may not hold), as a short path; None if nowhere.
    ``nan_ok``: as :attr:`Call.nan_ok`."""
    seen = set() if seen is None else seen
    allow_nan = allow_nan or "*" in nan_ok
    if id(v) in seen:
        return None
    seen.add(id(v))

    def bad_array(a: np.ndarray) -> bool:
        if a.dtype.kind not in "fc":
            return False
        if np.isnan(a).any() and not allow_nan:
            return True
        return (not allow_inf and np.isinf(a).any()) or bool((a == -np.inf).any())

    if isinstance(v, (bool, int, str, bytes)) or v is None:
        return None
    if isinstance(v, (float, np.floating, complex, np.complexfloating)):
        return "" if bad_array(np.asarray(v)) else None
    if isinstance(v, np.ndarray):
        return "" if bad_array(v) else None
    if isinstance(v, torch.Tensor):
        t = v.detach()
        if not (t.is_floating_point() or t.is_complex()):
            return None
        wide = torch.complex128 if t.is_complex() else torch.float64
        return "" if bad_array(t.resolve_neg().resolve_conj().to(wide).cpu().numpy()) else None
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        for f in dataclasses.fields(v):
            where = nonfinite(getattr(v, f.name), allow_inf, nan_ok, seen, allow_nan)
            if where is not None:
                return f".{f.name}{where}"
        return None
    if isinstance(v, Mapping):
        for k, x in v.items():
            documented = isinstance(k, str) and any(
                k == m or k.startswith(m + "_") or (m.startswith("_") and k.endswith(m))
                for m in nan_ok
            )
            where = nonfinite(x, allow_inf, nan_ok, seen, allow_nan or documented)
            if where is not None:
                return f"[{k!r}]{where}"
        return None
    if isinstance(v, (list, tuple)):
        for i, x in enumerate(v):
            where = nonfinite(x, allow_inf, nan_ok, seen, allow_nan)
            if where is not None:
                return f"[{i}]{where}"
    return None


#: the floating dtypes whose gradients softent computes in float32 and hands back cast to
#: the input's dtype: an entry beyond the dtype's range is ±inf there, as for any op
LOW_PRECISION = (torch.float16, torch.bfloat16)


def _leaves(call: Call) -> list[torch.Tensor]:
    return [
        a
        for a in [*call.args, *call.kwargs.values()]
        if isinstance(a, torch.Tensor) and a.is_leaf and a.requires_grad
    ]


def _gradients(result: Any, leaves: list[torch.Tensor]) -> tuple | None:
    """Gradients of the sum of the finite entries of ``result``'s tensors w.r.t. ``leaves``
    (None when nothing has a graph)."""
    tensors = [result] if isinstance(result, torch.Tensor) else []
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        tensors = [
            getattr(result, f.name)
            for f in dataclasses.fields(result)
            if isinstance(getattr(result, f.name), torch.Tensor)
        ]
    tensors = [t for t in tensors if t.requires_grad and t.is_floating_point()]
    if not tensors or not leaves:
        return None
    total = sum(t[torch.isfinite(t)].sum() for t in tensors)
    return torch.autograd.grad(total, leaves, allow_unused=True)


def _overflow_only(call: Call, grads: tuple, bad: list[int]) -> bool:
    """Whether every non-finite gradient entry of a float16/bfloat16 leaf (the ``bad``
    leaves) is one whose true value lies beyond that dtype's range: the same call with
    those leaves in float32 (what softent computes in) gives a finite gradient there, of
    magnitude above the dtype's largest value, and the same values cast elsewhere."""
    leaves = _leaves(call)
    if not all(leaves[i].dtype in LOW_PRECISION for i in bad):
        return False
    wide = {id(leaves[i]): leaves[i].detach().float().requires_grad_() for i in bad}

    def widen(a: Any) -> Any:
        return wide.get(id(a), a)

    try:
        result = call.fn(*map(widen, call.args), **{k: widen(v) for k, v in call.kwargs.items()})
        wide_grads = _gradients(result, [widen(a) for a in leaves])
    except Exception:  # noqa: BLE001  a float32 rerun that fails proves nothing
        return False
    if wide_grads is None:
        return False
    for i in bad:
        g, g32 = grads[i], wide_grads[i]
        if g32 is None or not torch.isfinite(g32).all():
            return False
        off = ~torch.isfinite(g)
        big = float(torch.finfo(g.dtype).max)
        if not bool((g32[off].abs() > big).all()):
            return False
        # elsewhere the cast of the float32 gradient (to the dtype's rounding: the kernels'
        # threads may sum in another order)
        scale = float(g32.abs().max())
        if not torch.allclose(g[~off].float(), g32[~off], rtol=1e-2, atol=1e-3 * scale):
            return False
    return True


def gradient_check(result: Any, call: Call) -> str | None:
    """For a torch result with a graph: backward through the sum of its finite entries and
    check every leaf input's gradient is finite (softent.torch promises no NaN gradient).
    A float16/bfloat16 leaf's gradient (computed in float32, cast to the leaf's dtype) may
    be ±inf where its true value is beyond that dtype's range, and only there
    (:func:`_overflow_only`)."""
    leaves = _leaves(call)
    grads = _gradients(result, leaves)
    if grads is None:
        return None
    bad = [
        i
        for i, g in enumerate(grads)
        if g is not None and not torch.isfinite(g).all() and not _reciprocal_overflow(leaves[i], g)
    ]
    if bad and not _overflow_only(call, grads, bad):
        return f"gradient of input {bad[0]} has NaN/Inf"
    return None


def _reciprocal_overflow(x: torch.Tensor, g: torch.Tensor) -> bool:
    """Whether every non-finite entry of the gradient ``g`` of the leaf ``x`` is ±inf (never
    NaN) at an entry whose value is non-zero and below 1 / (the dtype's largest value) in
    magnitude (a subnormal probability, say): there a derivative of log x, 1/x (or p/q of a
    KL divergence), is beyond the float range, and ±inf is its correctly rounded value
    (softent.discrete.tables documents it)."""
    off = ~torch.isfinite(g)
    if bool(torch.isnan(g).any()):
        return False
    v = x.detach().resolve_neg().resolve_conj()[off].abs().double()
    limit = 1.0 / float(torch.finfo(x.dtype).max)
    return bool(((v > 0) & (v < limit)).all())


# ----------------------------------------------------------------------------- the judge


@dataclasses.dataclass
class Verdict:
    kind: str  # "ok", "refused", or one of FINDINGS
    detail: str = ""

    @property
    def good(self) -> bool:
        return self.kind in GOOD


def judge(call: Call) -> Verdict:
    """Run ``call`` once and say whether it kept the contract (module docstring)."""
    inputs = [*call.args, *call.kwargs.values()]
    before = [snapshot(a) for a in inputs]
    verdict = Verdict("ok")
    result = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call.fn(*call.args, **call.kwargs)
        except ALLOWED_EXCEPTIONS as e:
            msg = str(e)
            if msg.startswith("softent."):
                verdict = Verdict("refused", f"{type(e).__name__}: {msg[:300]}")
            else:
                verdict = Verdict("bad_message", f"{type(e).__name__}: {msg[:300]}")
        except Exception as e:  # noqa: BLE001  every other type is a finding, never a crash of the judge
            verdict = Verdict("unexpected_exception", f"{type(e).__name__}: {str(e)[:300]}")
        if verdict.kind == "ok":
            if call.expect is not None and not isinstance(result, call.expect):
                verdict = Verdict(
                    "wrong_type",
                    f"{type(result).__name__}, documented {[t.__name__ for t in call.expect]}",
                )
            else:
                where = None if call.lenient else nonfinite(result, call.allow_inf, call.nan_ok)
                if where is not None:
                    verdict = Verdict("nan_result", f"result{where} is not finite")
                else:
                    try:
                        grad = None if call.lenient else gradient_check(result, call)
                    except Exception as e:  # noqa: BLE001  a backward that fails is a finding
                        grad = f"backward raised {type(e).__name__}: {str(e)[:200]}"
                    if grad is not None:
                        verdict = Verdict("nan_result", grad)
    for i, (b, a) in enumerate(zip(before, inputs, strict=True)):
        if not same(b, a):
            return Verdict("modified_input", f"input {i} ({describe(b)}) changed")
    if caught and verdict.good:
        w = caught[0]
        return Verdict("warning", f"{w.category.__name__}: {str(w.message)[:300]}")
    return verdict
