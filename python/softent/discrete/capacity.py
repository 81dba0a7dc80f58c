"""Channel capacity: of a discrete memoryless channel (Blahut–Arimoto), of the scalar
Gaussian channel, and of a linear layer y = W x + n read as parallel Gaussian channels
(water-filling over W's singular values).

Capacities are in units of ``base`` (nats by default, ``base=2``: bits) per channel use.

Sources: Blahut, "Computation of channel capacity and rate-distortion functions", IEEE
Trans. IT 18(4), 1972; Arimoto, "An algorithm for computing the capacity of arbitrary
discrete memoryless channels", IEEE Trans. IT 18(1), 1972; Shannon, "A mathematical theory
of communication", 1948 (the Gaussian channel); Cover & Thomas, *Elements of Information
Theory*, 2nd ed., §7.1 (examples), §9.4 (parallel Gaussian channels, water-filling);
Telatar, "Capacity of multi-antenna Gaussian channels", Eur. Trans. Telecomm. 10(6), 1999.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .._checks import check_base, check_choice, check_fits, check_int, fail
from .._interop import is_torch, to_numpy
from ._masses import unit_name

#: a channel matrix's rows must sum to 1 within this (absolute); they are then renormalised
ROW_SUM_TOL = 1e-9

#: q[y] below this is read as this inside the logarithm: an output no input reaches (an
#: all-zero column) contributes W log(W/q) = 0 (W = 0 there), and an input whose
#: probability underflowed to 0 sees a large divergence, which the next update corrects
_TINY = 1e-300

Allocation = Literal["water_filling", "equal"]
ALLOCATIONS: tuple[str, ...] = ("water_filling", "equal")


# ----------------------------------------------------------------------------- validators


def _check_real(api: str, arg: str, value: Any, *, positive: bool) -> float:
    """A finite real number, > 0 (``positive``) or >= 0, as a Python float."""
    expected = "a finite number > 0" if positive else "a finite number >= 0"
    if isinstance(value, (bool, str, bytes)) or not (
        isinstance(value, (int, float, np.integer, np.floating))
    ):
        fail(api, arg, expected, repr(value), TypeError)
    v = float(value)
    if not math.isfinite(v) or v < 0 or (positive and v == 0):
        fail(api, arg, expected, v)
    return v


def _check_matrix(api: str, arg: str, w: Any) -> Any:
    """``w`` as a 2-D non-empty finite real matrix: a float64 NumPy array, or a float32/64
    torch tensor kept as it is (in its autograd graph)."""
    if is_torch(w):
        import torch

        if w.dtype not in (torch.float32, torch.float64):
            fail(api, arg, "a float32 or float64 tensor", w.dtype, TypeError)
        if w.device.type not in ("cpu", "cuda"):
            fail(api, arg, "on the CPU or a CUDA device", w.device, RuntimeError)
        finite = bool(torch.isfinite(w).all()) if w.numel() else True
    else:
        a = to_numpy(w, api, arg)
        if a.dtype.kind not in "iuf":
            fail(api, arg, "a real (integer or floating-point) array", a.dtype, TypeError)
        w = a.astype(np.float64, copy=False)
        finite = bool(np.isfinite(w).all())
    if w.ndim != 2:
        fail(api, arg, "a 2-D matrix", f"shape {tuple(w.shape)}")
    if w.shape[0] == 0 or w.shape[1] == 0:
        fail(api, arg, "non-empty (both sides >= 1)", f"shape {tuple(w.shape)}")
    if not finite:
        fail(api, arg, "finite (no NaN/Inf)", "NaN/Inf values")
    return w


def _check_channel(api: str, w: Any) -> np.ndarray:
    """p(y|x) [X, Y] as float64 NumPy rows that sum to 1 exactly (after the check)."""
    a = to_numpy(w, api, "p_y_given_x")
    a = np.array(_check_matrix(api, "p_y_given_x", a), dtype=np.float64)
    if (a < 0).any():
        fail(api, "p_y_given_x", "non-negative", f"negative entries (min {a.min():.6g})")
    sums = a.sum(axis=1)
    bad = np.flatnonzero(np.abs(sums - 1.0) > ROW_SUM_TOL)
    if bad.size:
        x = int(bad[0])
        fail(
            api,
            "p_y_given_x",
            f"rows p(.|x) that sum to 1 (within {ROW_SUM_TOL:g})",
            f"row {x} summing to {float(sums[x])!r}",
        )
    return a / sums[:, None]


# ----------------------------------------------------------------------------- Blahut–Arimoto


@dataclass(frozen=True)
class ChannelCapacity:
    """The capacity of a discrete memoryless channel p(y|x), from :func:`channel_capacity`.

    ``capacity`` C in units of ``base``: I(X;Y) under ``input_distribution``, a rate the
    channel achieves, with the true capacity in [capacity, capacity + gap];
    ``input_distribution`` [X] the capacity-achieving p(x) found, ``output_distribution``
    [Y] q(y) = Σ_x p(x) p(y|x); ``iterations`` the Blahut–Arimoto updates made; ``gap``
    (units of ``base``) the certified bound max_x D(p(.|x) ‖ q) − I(X;Y); ``converged``
    True when gap <= ``tol``.
    """

    capacity: float
    input_distribution: np.ndarray
    output_distribution: np.ndarray
    iterations: int
    gap: float
    converged: bool
    base: float
    tol: float

    def __repr__(self) -> str:
        state = "converged" if self.converged else "NOT converged"
        return (
            f"ChannelCapacity(C={self.capacity:.6g} {unit_name(self.base)}, "
            f"X={self.input_distribution.shape[0]}, Y={self.output_distribution.shape[0]}, "
            f"iterations={self.iterations}, gap={self.gap:.3g}, {state})"
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-able dict (floats, lists)."""
        return {
            "capacity": float(self.capacity),
            "input_distribution": self.input_distribution.tolist(),
            "output_distribution": self.output_distribution.tolist(),
            "iterations": int(self.iterations),
            "gap": float(self.gap),
            "converged": bool(self.converged),
            "base": float(self.base),
            "tol": float(self.tol),
        }


def channel_capacity(
    p_y_given_x: Any,
    *,
    tol: float = 1e-12,
    max_iter: int = 100_000,
    base: float = math.e,
) -> ChannelCapacity:
    """C = max_{p(x)} I(X;Y) of the discrete memoryless channel ``p_y_given_x`` [X, Y]
    (row x is p(.|x)), by the Blahut–Arimoto algorithm (Blahut 1972; Arimoto 1972).

    From the uniform p(x), each update is p(x) <- p(x) exp(D_x) / Σ_x' p(x') exp(D_x'),
    with D_x = D(p(.|x) ‖ q) = Σ_y p(y|x) log(p(y|x) / q(y)) and q = Σ_x p(x) p(.|x)
    (computed in log space; 0 log 0 = 0, so zeros in the channel are fine). For every p,
    I(p) = Σ_x p(x) D_x <= C <= max_x D_x (the upper bound of Blahut 1972; Cover & Thomas
    §10.8), so the iteration stops as soon as the certified gap max_x D_x − I(p) <= ``tol``
    (in units of ``base``) and reports capacity = I(p).

    Not converged after ``max_iter`` updates (a channel whose optimum puts zero mass on an
    input with D_x = C converges slowly): no warning and no error; the result says
    ``converged=False`` and its ``gap`` still bounds the error (C lies in [capacity,
    capacity + gap]). Check ``converged`` or raise ``max_iter`` / ``tol``.

    ``p_y_given_x``: [X, Y] non-negative, finite, each row summing to 1 within
    :data:`ROW_SUM_TOL` (rows are then renormalised exactly). NumPy (or anything array-like,
    torch tensors included, read on the host) in; floats and NumPy arrays out.
    """
    api = "discrete.channel_capacity"
    b = check_base(api, base)
    tol = _check_real(api, "tol", tol, positive=True)
    max_iter = check_int(api, "max_iter", max_iter, lo=1)
    w = _check_channel(api, p_y_given_x)
    # the channel, its logarithm and two temporaries of its size, in float64
    check_fits(api, "p_y_given_x", f"shape {w.shape}", 4 * 8 * w.size)
    n_in = w.shape[0]
    log_b = math.log(b)
    tol_nats = tol * log_b

    # Σ_y p(y|x) log p(y|x) per input, with 0 log 0 = 0
    positive = w > 0
    w_log_w = np.where(positive, w * np.log(np.where(positive, w, 1.0)), 0.0).sum(axis=1)
    log_p = np.full(n_in, -math.log(n_in))
    iterations = 0
    while True:
        p = np.exp(log_p)
        q = p @ w
        d = w_log_w - w @ np.log(np.maximum(q, _TINY))  # D(p(.|x) || q) [X]
        info = float(p @ d)
        gap = max(float(d.max()) - info, 0.0)  # rounding can make it -1e-17
        if gap <= tol_nats or iterations == max_iter:
            break
        log_p = log_p + d
        log_p -= np.logaddexp.reduce(log_p)  # normalised in log space: no underflow to 0 mass
        iterations += 1
    return ChannelCapacity(
        capacity=info / log_b,
        input_distribution=p,
        output_distribution=q,
        iterations=iterations,
        gap=gap / log_b,
        converged=gap <= tol_nats,
        base=b,
        tol=tol,
    )


# ----------------------------------------------------------------------------- Gaussian channels


def gaussian_channel_capacity(
    power: float, noise_variance: float, *, base: float = math.e
) -> float:
    """C = ½ log(1 + P / σ²) per real channel use (Shannon 1948; Cover & Thomas §9.1) of
    the channel Y = X + Z, Z ~ N(0, σ²), under the power constraint E[X²] <= P, in units
    of ``base`` (nats by default).

    ``power`` P: a finite number >= 0 (0 gives 0); ``noise_variance`` σ²: finite, > 0.
    """
    api = "discrete.gaussian_channel_capacity"
    b = check_base(api, base)
    p = _check_real(api, "power", power, positive=False)
    s2 = _check_real(api, "noise_variance", noise_variance, positive=True)
    snr = p / s2
    if math.isinf(snr):
        # P / σ² beyond float64 (a subnormal σ², say): the same ½ log(1 + P/σ²) from
        # logarithms, log P − log σ² + log(1 + σ²/P), each finite
        return 0.5 * (math.log(p) - math.log(s2) + math.log1p(s2 / p)) / math.log(b)
    return 0.5 * math.log1p(snr) / math.log(b)


@dataclass(frozen=True)
class LayerCapacity:
    """The capacity of a linear layer y = W x + n, from :func:`layer_capacity`.

    ``capacity`` (units of ``base``, per use of the layer): a Python float for NumPy W, a
    0-d tensor for a tensor W (differentiable w.r.t. W); ``singular_values`` [r]
    (r = min(out, in), descending) and ``powers`` [r] (the power given to each mode) in W's
    library; ``water_level`` μ (water-filling; ``None`` for equal allocation; ``inf`` when
    W is numerically zero); ``active`` the modes given power > 0; ``allocation``,
    ``noise_std``, ``power``, ``base`` as asked.
    """

    capacity: Any
    singular_values: Any
    powers: Any
    water_level: float | None
    active: int
    allocation: str
    noise_std: float
    power: float
    base: float

    def __repr__(self) -> str:
        cap = float(self.capacity.detach()) if is_torch(self.capacity) else self.capacity
        level = "" if self.water_level is None else f", water_level={self.water_level:.4g}"
        return (
            f"LayerCapacity(C={cap:.6g} {unit_name(self.base)}, {self.allocation}, "
            f"modes={len(self.singular_values)}, active={self.active}{level}, "
            f"power={self.power:.4g}, noise_std={self.noise_std:.4g})"
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-able dict (floats, lists)."""
        return {
            "capacity": float(to_numpy(self.capacity)),
            "singular_values": np.asarray(to_numpy(self.singular_values), dtype=float).tolist(),
            "powers": np.asarray(to_numpy(self.powers), dtype=float).tolist(),
            "water_level": self.water_level,
            "active": int(self.active),
            "allocation": self.allocation,
            "noise_std": self.noise_std,
            "power": self.power,
            "base": self.base,
        }


def water_filling(noise_levels: Any, power: float) -> tuple[np.ndarray, float, int]:
    """Water-filling of ``power`` over parallel Gaussian channels with noise levels
    ``noise_levels`` [m] (σ²/s_i²; ``inf`` for a mode that carries nothing): P_i =
    max(0, μ − n_i) with Σ P_i = power (Cover & Thomas §9.4).

    Exact, no bisection: with the levels sorted, n_(1) <= ... <= n_(m), the active set is
    the first k levels for the largest k with n_(k) < μ_k = (power + Σ_{i<=k} n_(i)) / k,
    and μ = μ_k. Returns (powers [m] in the given order, μ, k); with power 0, μ is the
    lowest level and k = 0; with no finite level, μ = inf and k = 0.
    """
    api = "discrete.water_filling"
    power = _check_real(api, "power", power, positive=False)
    a = to_numpy(noise_levels, api, "noise_levels")
    if a.dtype.kind not in "iuf":
        fail(api, "noise_levels", "a real (integer or floating-point) array", a.dtype, TypeError)
    n = a.astype(np.float64)
    if n.ndim != 1 or n.size == 0:
        fail(api, "noise_levels", "a non-empty 1-D array", f"shape {n.shape}")
    if np.isnan(n).any() or (n <= 0).any():
        fail(api, "noise_levels", "values > 0 (inf for an unused mode)", "NaN or values <= 0")
    return _water_filling(api, n, power)


def _water_filling(api: str, n: np.ndarray, power: float) -> tuple[np.ndarray, float, int]:
    """:func:`water_filling` of checked float64 levels ``n`` [m] (> 0, inf allowed)."""
    order = np.argsort(n, kind="stable")
    sorted_n = n[order]
    finite = int(np.isfinite(sorted_n).sum())
    powers = np.zeros_like(n)
    if finite == 0:
        return powers, math.inf, 0
    levels = sorted_n[:finite]
    ks = np.arange(1, finite + 1)
    with np.errstate(over="ignore"):  # a sum past float64: redone below in scaled units
        mu_k = (power + np.cumsum(levels)) / ks
    scale = 1.0
    if not np.isfinite(mu_k).all():
        # the same comparisons in smaller units (water filling is scale-equivariant: μ and
        # the powers scale, the active set does not): a power of 2 (exact, while nothing
        # turns subnormal) that brings finite · max(power, levels) below float64's limit
        top = max(power, float(levels[-1]))
        scale = 2.0 ** math.ceil(math.log2(finite) + math.log2(top) - 1020)
        levels = levels / scale
        mu_k = (power / scale + np.cumsum(levels)) / ks
    below = np.flatnonzero(levels < mu_k)
    k = int(below[-1]) + 1 if below.size else 0
    mu = float(mu_k[k - 1]) if k else float(levels[0])
    with np.errstate(over="ignore"):
        mu_scaled, mu = mu, mu * scale
    if not math.isfinite(mu):
        fail(
            api,
            "power",
            "small enough that the water level μ = (power + Σ_{i<=k} level_i) / k is a "
            "finite float64",
            f"{power!r} with levels up to {float(sorted_n[finite - 1]):.4g}",
        )
    powers[order[:k]] = (mu_scaled - levels[:k]) * scale
    return powers, mu, k


def _dtype_name(dtype: Any) -> str:
    return str(dtype).replace("torch.", "")


def _dtype_max(dtype: Any) -> float:
    """The largest finite value of the dtype the capacity is computed in (W's for a
    tensor, float64 for NumPy)."""
    return float(np.finfo(_dtype_name(dtype)).max)


def _check_range(
    api: str,
    s_live: np.ndarray,
    sigma: float,
    power: float,
    n_in: int,
    allocation: str,
    dtype: Any,
) -> None:
    """Refuse, naming the argument, a layer whose capacity's intermediate quantities
    (noise_std², s_1², the noise levels noise_std²/s_i², power/(in·noise_std²) for equal
    allocation; all in float64) are not finite, normal numbers, or whose results (the
    powers, in W's dtype) would not be finite: there the closed forms would give inf or a
    division by zero, not the capacity."""
    f64 = np.finfo(np.float64)
    big, small = float(f64.max), float(f64.tiny)
    name = _dtype_name(dtype)
    out_max = _dtype_max(dtype)
    if not small <= sigma * sigma <= big:
        fail(
            api,
            "noise_std",
            "a number whose square is a normal float64 (noise_std in "
            f"[{math.sqrt(small):.3g}, {math.sqrt(big):.3g}])",
            sigma,
        )
    if power > out_max:
        fail(api, "power", f"a finite {name} number (W's dtype)", power)
    if not s_live.size:
        return
    if s_live[0] > math.sqrt(big):
        fail(
            api,
            "W",
            "a matrix whose singular values square to finite float64 numbers (below "
            f"{math.sqrt(big):.3g})",
            f"a largest singular value of {float(s_live[0]):.4g}",
        )
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        levels = sigma * sigma / s_live.astype(np.float64) ** 2
    lo, hi = float(levels.min()), float(levels.max())
    if not (small <= lo and hi <= big):
        fail(
            api,
            "noise_std",
            f"such that the noise levels noise_std²/s_i² of W's {s_live.size} modes are "
            f"normal float64 numbers (in [{small:.3g}, {big:.3g}])",
            f"{sigma!r}, giving levels from {lo:.4g} to {hi:.4g}",
        )
    per_dim = power / n_in
    with np.errstate(over="ignore"):
        snr = max(per_dim / (sigma * sigma), per_dim / lo)
    if allocation == "equal" and (per_dim > out_max or snr > big):
        fail(
            api,
            "power",
            f"small enough that the power per input dimension is a finite {name} number "
            "and the largest signal-to-noise ratio s_1²·power/(in·noise_std²) a finite "
            "float64",
            f"{power!r} (in = {n_in}, noise_std = {sigma:.4g}, s_1 = {float(s_live[0]):.4g})",
        )


def layer_capacity(
    W: Any,
    noise_std: float,
    *,
    power: float,
    allocation: Allocation = "water_filling",
    base: float = math.e,
) -> LayerCapacity:
    """The capacity of a linear layer y = W x + n, W [out, in], n ~ N(0, noise_std² I_out),
    under the input power constraint E‖x‖² <= ``power``, read as parallel Gaussian channels
    over W's singular values s_1 >= ... >= s_r (r = min(out, in)): mode i carries
    y_i = s_i x_i + n_i (Cover & Thomas §9.4; Telatar 1999).

    - ``allocation="water_filling"`` (the capacity): P_i = max(0, μ − σ²/s_i²), Σ P_i =
      power, μ found exactly (:func:`water_filling`), C = Σ_i ½ log(1 + s_i² P_i / σ²).
    - ``allocation="equal"``: the rate of the isotropic input x ~ N(0, (power/in) I_in),
      equal power over the ``in`` input dimensions (what an encoder that does not know W
      achieves): C = Σ_i ½ log(1 + s_i² power / (in σ²)); ``powers`` holds power/in per
      mode (the in − r input dimensions W cannot see take the rest).

    Singular values below matrix_rank's tolerance (s_1 · max(out, in) · eps) count as zero:
    such modes carry nothing and get no power. Units of ``base`` per use of the layer.

    ``W``: a real NumPy array (float64 out: ``capacity`` a float) or a float32/float64 torch
    tensor (``torch.linalg.svdvals``; results in W's library and device, ``capacity`` a 0-d
    tensor differentiable w.r.t. W, e.g. as a regulariser: the active set is fixed at the
    current W, so the gradient is that of the smooth branch the point lies on).
    ``noise_std`` σ > 0 and ``power`` >= 0: finite numbers. A layer whose closed forms
    leave the range of the dtype they are computed in (W's for a tensor, float64 for NumPy)
    is refused naming the argument (a ValueError), never answered with inf: σ² must be a
    normal number, so must every noise level σ²/s_i² of a mode that carries, and s_1²,
    the water level μ and the largest signal-to-noise ratio must be finite.
    """
    api = "discrete.layer_capacity"
    b = check_base(api, base)
    w = _check_matrix(api, "W", W)
    sigma = _check_real(api, "noise_std", noise_std, positive=True)
    power = _check_real(api, "power", power, positive=False)
    allocation = check_choice(api, "allocation", allocation, ALLOCATIONS)
    sigma2 = sigma * sigma
    n_in = int(w.shape[1])
    log_b = math.log(b)

    torch_in = is_torch(w)
    if torch_in:
        import torch

        s = torch.linalg.svdvals(w)
        s_host = s.detach().cpu().numpy().astype(np.float64)
        eps = float(torch.finfo(w.dtype).eps)
    else:
        s = np.linalg.svd(w, compute_uv=False)
        s_host = s
        eps = float(np.finfo(np.float64).eps)
    if not np.isfinite(s_host).all():  # an SVD of entries near the float64 limit overflowed
        fail(
            api,
            "W",
            f"a matrix whose singular values are finite {_dtype_name(w.dtype)} numbers "
            "(scale it down)",
            f"singular values {s_host.tolist()[:4]}",
        )
    # eps is a power of 2: the same product as (s_1 · max) · eps, without its overflow
    cutoff = (s_host[0] if s_host.size else 0.0) * (max(w.shape) * eps)
    carries = s_host > cutoff  # a prefix: s is descending
    r_live = int(carries.sum())
    _check_range(api, s_host[:r_live], sigma, power, n_in, allocation, w.dtype)

    if allocation == "water_filling":
        with np.errstate(divide="ignore"):
            levels = np.where(carries, sigma2 / np.where(carries, s_host, 1.0) ** 2, np.inf)
        powers_host, mu, k = _water_filling(api, levels, power)
        if k and mu > _dtype_max(w.dtype):  # the powers μ - level_i, in W's dtype
            fail(
                api,
                "power",
                f"small enough that the water level μ is a finite {_dtype_name(w.dtype)} number",
                f"{power!r} (μ = {mu:.4g})",
            )
        water_level: float | None = mu
        active = k
        if torch_in:
            # the same closed form on the tensor, differentiable on the branch of the active
            # set; in float64 and from logarithms (log n_i = log σ² − 2 log s_i): a float32
            # σ²/s_i² and the derivative of log(μ / n_i) (μ / n_i²) under- or overflow
            s_act = s[:k].to(torch.float64)
            log_n = 2.0 * math.log(sigma) - 2.0 * torch.log(s_act)
            n_act = torch.exp(log_n)
            mu_t = (power + n_act.sum()) / k if k else None
            cap = (0.5 * (torch.log(mu_t) - log_n).sum()).to(w.dtype) if k else s.sum() * 0.0
            powers: Any = torch.zeros_like(s)
            if k:
                powers = torch.cat([(mu_t - n_act).to(w.dtype), torch.zeros_like(s[k:])])
        else:
            with np.errstate(over="ignore"):
                cap = float(np.sum(0.5 * np.log1p(s_host[:k] ** 2 * powers_host[:k] / sigma2)))
            if not math.isfinite(cap):
                # s_i² P_i overflowed before the division by σ²: the same sum from the
                # water level, 1 + s_i² P_i / σ² = μ / level_i (finite after _check_range)
                cap = float(np.sum(0.5 * (math.log(mu) - np.log(levels[:k]))))
            powers = powers_host
    else:
        per_dim = power / n_in
        water_level = None
        active = r_live if power > 0 else 0
        if torch_in:
            s_live = s[:r_live].to(torch.float64)  # float64 as above
            cap = (0.5 * torch.log1p(s_live**2 * (per_dim / sigma2)).sum()).to(w.dtype)
            powers = torch.full_like(s, per_dim)
        else:
            with np.errstate(over="ignore"):
                cap = float(np.sum(0.5 * np.log1p(s_host[:r_live] ** 2 * (per_dim / sigma2))))
            if not math.isfinite(cap):  # rounding past float64 at the edge of _check_range
                x_log = 2 * np.log(s_host[:r_live]) + math.log(per_dim) - math.log(sigma2)
                cap = float(np.sum(0.5 * np.logaddexp(0.0, x_log)))
            powers = np.full_like(s_host, per_dim)
    return LayerCapacity(
        capacity=cap / log_b,
        singular_values=s,
        powers=powers,
        water_level=water_level,
        active=active,
        allocation=allocation,
        noise_std=sigma,
        power=power,
        base=b,
    )


__all__ = [
    "ALLOCATIONS",
    "ROW_SUM_TOL",
    "Allocation",
    "ChannelCapacity",
    "LayerCapacity",
    "channel_capacity",
    "gaussian_channel_capacity",
    "layer_capacity",
    "water_filling",
]
