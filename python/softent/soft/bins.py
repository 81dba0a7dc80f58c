"""Soft bins: centres [B, D], the score (metric) and the temperature that turn them into
soft assignments q_ib = softmax_b(s(z_i, c_b) / T) (Conklin 2025, §5.4).

Centres are reproducible from a seed with NumPy's ``default_rng``, so that any other
package (or another run) can regenerate exactly the same centres. Every path that makes
bins (the batch functions, the Accumulator, the differentiable torch functions) validates
centres and temperatures here.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from .._checks import check_fits, fail, is_int
from .._interop import as_float_rows, is_torch, namespace, on_device, to_numpy
from .calibration import calibrate_temperature

Seed = int | np.random.Generator
Metric = Literal["euclidean", "sqeuclidean", "cosine", "dot"]
#: must match enum class Metric in cpp/include/softent/math/metric.h
METRIC_CODES: dict[str, int] = {"euclidean": 0, "sqeuclidean": 1, "cosine": 2, "dot": 3}
#: the metrics whose scores depend only on z - c (math::translation_invariant in
#: cpp/include/softent/math/metric.h): the kernels read them relative to an origin
TRANSLATION_INVARIANT = frozenset({"euclidean", "sqeuclidean"})
#: the smallest temperature accepted: the smallest normal float64 (its 1/T, the kernels'
#: scale, is finite; a subnormal T's is not)
MIN_TEMPERATURE = float(np.finfo(np.float64).tiny)


def _rng(seed: Seed, api: str) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if is_int(seed) and seed >= 0:
        return np.random.default_rng(int(seed))
    fail(api, "seed", "a non-negative int or a numpy.random.Generator", repr(seed), TypeError)


def _check_count(api: str, name: str, value: Any) -> int:
    # ValueError for a non-int too (n_bins=2.5): what these arguments have always raised
    if not is_int(value) or value < 1:
        fail(api, name, "an int >= 1", repr(value))
    return int(value)


def check_centres_fit(api: str, n_bins: int, dim: int) -> None:
    """Refuse up front B x D centres that would not fit in memory (float64, and the
    temporary their draw needs)."""
    check_fits(api, "n_bins", f"{n_bins} (centres [{n_bins}, {dim}])", 2 * n_bins * dim * 8)


def check_metric(api: str, metric: Any) -> str:
    """``metric`` if it is one of :data:`METRIC_CODES`, else a ValueError listing them."""
    # a str first: a list or dict is unhashable, and the lookup would raise its own TypeError
    if not isinstance(metric, str) or metric not in METRIC_CODES:
        fail(api, "metric", f"one of {sorted(METRIC_CODES)}", repr(metric))
    return str(metric)


def check_centres(api: str, centres: Any, dim: int, metric: str, *, values: bool = True) -> None:
    """Refuse centres [B, D] (2-D float NumPy array or tensor, from
    :func:`softent._interop.as_float_rows`) whose D is not the data's ``dim``, and, when
    ``values`` (data-dependent checks: off under ``torch.compile``), non-finite centres
    or zero rows for 'cosine'."""
    if centres.shape[1] != dim:
        fail(
            api,
            "centres",
            f"[B, D] with D={dim} (the data's dimension)",
            f"shape {tuple(centres.shape)}",
        )
    if not values:
        return
    xp = namespace(centres)
    if not bool(xp.isfinite(centres).all()):
        fail(api, "centres", "finite (no NaN/Inf)", "non-finite values")
    # a zero row has no direction; a tiny one (1e-170, whose squared norm underflows) has one
    if metric == "cosine" and not bool((_row_max_abs(centres) > 0).all()):
        fail(api, "centres", "non-zero rows for metric='cosine'", "a zero row")


def _row_max_abs(x: Any) -> Any:
    """max_k |x_bk| of each row of ``x`` [B, D] -> [B, 1] (detached for a tensor), from two
    reductions: no [B, D] temporary (B may be millions of centres)."""
    if is_torch(x):
        import torch

        x = x.detach()
        return torch.maximum(x.amax(dim=1, keepdim=True), -x.amin(dim=1, keepdim=True))
    return np.maximum(x.max(axis=1, keepdims=True), -x.min(axis=1, keepdims=True))


def unit_rows(c: Any) -> Any:
    """The rows of ``c`` [B, D] (finite, non-zero: :func:`check_centres`) divided by their
    Euclidean norms, in c's library and dtype (differentiable for a tensor), whatever their
    scale: each row is first multiplied by the power of two 2^-e that brings its largest
    magnitude into [0.5, 1) (exact, and a constant: c/||c|| is scale-invariant, so values
    and gradients are those of c/||c||), so that neither a tiny row (1e-170 in float64,
    1e-23 in float32, whose squares underflow to a zero norm) nor a huge one (whose norm
    overflows to inf, making the row 0) loses its direction. For rows of ordinary scale
    the result is c/||c|| to rounding (bitwise for a tensor). One [B, D] result and, for
    NumPy, no [B, D] temporaries."""
    if is_torch(c):
        import torch

        _, e = torch.frexp(_row_max_abs(c))
        # in two steps: 2^-e alone overflows for subnormal rows (2^1069; torch.ldexp is a
        # plain product with 2^n)
        half = torch.div(-e, 2, rounding_mode="floor")
        one = torch.ones_like(e, dtype=c.dtype)
        scaled = c * torch.ldexp(one, half) * torch.ldexp(one, -e - half)
        return scaled / scaled.norm(dim=1, keepdim=True)
    c = np.asarray(c)
    _, e = np.frexp(_row_max_abs(c))
    scaled = np.ldexp(c, -e)
    scaled /= np.sqrt(np.einsum("ij,ij->i", scaled, scaled))[:, None]
    return scaled


def check_temperature(api: str, temperature: Any) -> float | None:
    """A finite temperature T > 0 as a float, or None for 'auto'."""
    if isinstance(temperature, str):
        if temperature != "auto":
            fail(api, "temperature", "a float > 0 or 'auto'", repr(temperature))
        return None
    try:
        t = float(temperature)
    except (TypeError, ValueError):
        fail(api, "temperature", "a float > 0 or 'auto'", repr(temperature), TypeError)
    except OverflowError:  # an int beyond the float range (10**400)
        fail(api, "temperature", "finite and > 0", f"an int of {len(str(temperature))} digits")
    if not (math.isfinite(t) and t > 0):
        fail(api, "temperature", "finite and > 0", t)
    if t < MIN_TEMPERATURE:
        # the kernels take 1/T in float64: for a subnormal T it may be inf
        fail(api, "temperature", f">= {MIN_TEMPERATURE:.4g} (so that 1/T is finite)", t)
    return t


def spherical_bins(n_bins: int, dim: int, seed: Seed = 0) -> np.ndarray:
    """``n_bins`` centres drawn uniformly on the unit sphere S^{dim-1}.

    Exactly ``default_rng(seed).standard_normal((n_bins, dim))`` with rows normalised:
    the reference points of soft-entropy's NumPy backend for the same seed.

    Returns: float64 array [n_bins, dim] of unit vectors.
    """
    n_bins = _check_count("spherical_bins", "n_bins", n_bins)
    dim = _check_count("spherical_bins", "dim", dim)
    check_centres_fit("spherical_bins", n_bins, dim)
    g = _rng(seed, "spherical_bins").standard_normal((n_bins, dim))
    return g / np.linalg.norm(g, axis=1, keepdims=True)


def box_bins(z: Any, n_bins: int, seed: Seed = 0) -> np.ndarray:
    """``n_bins`` centres uniform in the per-dimension [min, max] box of ``z`` [N, D].

    Exactly ``default_rng(seed).uniform(z.min(0), z.max(0), size=(n_bins, D))`` in
    float64 (nam-entropy's ``bin_type='uniform'`` draws from the same box).

    Returns: float64 array [n_bins, D].
    """
    n_bins = _check_count("box_bins", "n_bins", n_bins)
    rows = to_numpy(as_float_rows(z, "box_bins", "z"))
    # min/max in the data's own dtype (exact), then float64: no float64 copy of z [N, D]
    lo = rows.min(axis=0).astype(np.float64)
    hi = rows.max(axis=0).astype(np.float64)
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
        fail("box_bins", "z", "finite (no NaN/Inf)", "non-finite values")
    check_centres_fit("box_bins", n_bins, rows.shape[1])
    return _rng(seed, "box_bins").uniform(lo, hi, size=(n_bins, rows.shape[1]))


def auto_temperature(metric: str, centres: np.ndarray) -> float:
    """The temperature used for ``temperature="auto"`` (see :func:`softent.soft_histogram`)
    for float64 ``centres`` [B, D]: dimensionless for 'cosine', in the scores' units else."""
    n_bins, dim = centres.shape
    if n_bins < 2:
        return 1.0  # one bin: every row is assigned to it whatever T is
    eps = calibrate_temperature(max(dim, 2), n_bins, "vmf")
    if metric == "cosine":
        return eps
    # centres near the float64 limit: no NumPy warning escapes, and a temperature that
    # overflows comes back as inf, which make_bins refuses
    with np.errstate(over="ignore", invalid="ignore"):
        if metric == "dot":
            scale = _rms_row_norm(centres)
            return eps * (scale * scale) if scale > 0 else 1.0  # * not **: inf, not OverflowError
        # (sq)euclidean: the spread r of the centres about their mean plays the radius of
        # the unit sphere. On the sphere cos/eps = -|z-c|^2/(2 eps) + const, so the squared
        # distance needs T = 2 eps r^2; linearising |z-c| around the typical distance
        # sqrt(2) r gives T = eps r / sqrt(2) for the unsquared distance.
        mean = centres.mean(axis=0)
        if not np.isfinite(mean).all():  # their sum overflows: the midpoint of their range
            mean = centres.min(axis=0) / 2 + centres.max(axis=0) / 2
        r = _rms_row_norm(centres - mean)
        if r == 0:
            return 1.0
        return 2 * eps * (r * r) if metric == "sqeuclidean" else eps * r / math.sqrt(2)


def _rms_row_norm(x: np.ndarray) -> float:
    """sqrt(mean_b ||x_b||^2) of the rows of ``x`` [B, D]; where the squares overflow,
    the same from x scaled by its largest magnitude (inf only if the result is)."""
    with np.errstate(over="ignore", invalid="ignore"):
        r = float(np.sqrt(np.mean(np.sum(x**2, axis=1))))
        if math.isfinite(r):
            return r
        m = float(np.abs(x).max())
        if not math.isfinite(m) or m == 0:
            return r
        return m * float(np.sqrt(np.mean(np.sum((x / m) ** 2, axis=1))))


@dataclass(frozen=True)
class Bins:
    """Bin centres with the metric and temperature that turn them into soft bins.

    ``centres`` [B, D] float64 exactly as given or generated (not normalised);
    ``temperature`` > 0 (divides the scores). Kernel-ready copies are cached per dtype/device.
    """

    centres: np.ndarray
    metric: str
    temperature: float
    _prepared: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        # a public constructor: validated like every other path that makes bins, and the
        # centres held as a float64 copy (a frozen Bins never sees the caller's later edits)
        api = "Bins"
        metric = check_metric(api, self.metric)
        t = check_temperature(api, self.temperature)
        if t is None:
            fail(api, "temperature", "a float > 0 (a Bins holds a resolved temperature)", "'auto'")
        c = np.array(to_numpy(as_float_rows(self.centres, api, "centres")), dtype=np.float64)
        check_centres(api, c, c.shape[1], metric)
        object.__setattr__(self, "centres", c)
        object.__setattr__(self, "metric", metric)
        object.__setattr__(self, "temperature", t)

    @property
    def n_bins(self) -> int:
        return int(self.centres.shape[0])

    @property
    def dim(self) -> int:
        return int(self.centres.shape[1])

    def __repr__(self) -> str:
        return (
            f"Bins(B={self.n_bins}, D={self.dim}, {self.metric}, T={self.temperature:.4g}, "
            f"fingerprint={self.fingerprint()[:12]})"
        )

    def fingerprint(self) -> str:
        """A hash of centres (bytes), metric and temperature: equal iff the bins are identical."""
        h = hashlib.sha256()
        h.update(np.ascontiguousarray(self.centres, dtype=np.float64).tobytes())
        h.update(f"{self.centres.shape}|{self.metric}|{self.temperature!r}".encode())
        return h.hexdigest()

    def prepared(self, dtype_code: int, device: int) -> tuple[Any, Any, Any]:
        """(centres [B, D] in the kernel dtype, unit rows for cosine; ||c||^2 [B] float64;
        origin [D] in the kernel dtype or None) in the memory of ``device`` (-1 = host).

        For the translation-invariant metrics (euclidean, sqeuclidean) the centres come
        relative to ``origin``, the centres' mean (computed in float64, then rounded to the
        kernel dtype), and the kernels read every row as z - origin (SoftHistParams::origin):
        the scores are then computed from differences of the data's own size, not from
        ||z||^2 - 2<z, c> + ||c||^2 at the data's offset, which cancels catastrophically."""
        key = (dtype_code, device)
        if key not in self._prepared:
            dtype = np.float64 if dtype_code == 1 else np.float32
            c = self.centres
            origin = None
            # centres near the float64 (or, for float32 data, float32) limit overflow in the
            # sums below: no NumPy warning escapes; an inf centre or ||c||^2 reaches the
            # kernels, whose scores then refuse the rows (never a finite wrong number)
            with np.errstate(over="ignore", invalid="ignore"):
                if self.metric == "cosine":
                    c = unit_rows(c)
                elif self.metric in TRANSLATION_INVARIANT:
                    mean = c.mean(axis=0)
                    if not np.isfinite(mean).all():
                        # their sum overflows: the midpoint of their range, also a point
                        # among them (any common origin gives the same z - c)
                        mean = c.min(axis=0) / 2 + c.max(axis=0) / 2
                    origin = np.ascontiguousarray(mean, dtype=dtype)
                    c = c - origin.astype(np.float64)
                c = np.ascontiguousarray(c, dtype=dtype)
                csq = np.ascontiguousarray(np.sum(c.astype(np.float64) ** 2, axis=1))
            self._prepared[key] = (
                on_device(c, device),
                on_device(csq, device),
                None if origin is None else on_device(origin, device),
            )
        return self._prepared[key]


def make_bins(
    api: str,
    z: Any | None,
    dim: int,
    *,
    centres: Any = None,
    n_bins: int = 100,
    metric: str = "cosine",
    temperature: float | str = "auto",
    seed: Seed = 0,
) -> Bins:
    """Resolve the shared keyword arguments into :class:`Bins` (validating each). ``z``
    [N, D] (or None) is needed only for the default centres of the Euclidean metrics
    (:func:`box_bins`); ``dim`` is D."""
    metric = check_metric(api, metric)
    if centres is None:
        n_bins = _check_count(api, "n_bins", n_bins)
        if metric in ("euclidean", "sqeuclidean"):
            if z is None:
                fail(
                    api,
                    "centres",
                    "given for Euclidean metrics without data (or use box_bins)",
                    None,
                )
            c = box_bins(z, n_bins, seed)
        else:
            c = spherical_bins(n_bins, dim, seed)
    else:
        c = to_numpy(as_float_rows(centres, api, "centres")).astype(np.float64)
        check_centres(api, c, dim, metric)
    t = check_temperature(api, temperature)
    return Bins(c, metric, checked_auto_temperature(api, metric, c) if t is None else t)


def checked_auto_temperature(api: str, metric: str, centres: np.ndarray) -> float:
    """:func:`auto_temperature`, refused (naming ``temperature``) where it is no usable
    temperature: below :data:`MIN_TEMPERATURE` or inf (T = eps · scale² of centres whose
    scale under- or overflows float64)."""
    t = auto_temperature(metric, centres)
    if not MIN_TEMPERATURE <= t < math.inf:
        fail(
            api,
            "temperature",
            f"given explicitly for these centres (their 'auto' temperature, {t:.3g}, is "
            f"not a finite float64 >= {MIN_TEMPERATURE:.4g}: the centres' scale is too "
            f"{'large' if t > 1 else 'small'})",
            "'auto'",
        )
    return t
