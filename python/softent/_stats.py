"""Resampling statistics shared by every family's reports, monitors and tests: bootstrap
intervals (basic, percentile), permutation p-values, null summaries and the null-corrected
estimate, and the result class of a permutation test.

Nothing here knows an estimator: a family computes its statistic on the data and on R
label permutations (or R bootstrap resamples) and hands the numbers to these functions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from ._checks import fail

__all__ = [
    "INTERVALS",
    "NULL_QUANTILES",
    "NullSummary",
    "PermutationResult",
    "basic_interval",
    "bootstrap_interval",
    "interval_excludes",
    "percentile_interval",
    "permutation_pvalue",
]

#: the bootstrap interval methods: ``basic`` (default, bias-corrected) and ``percentile``
INTERVALS = ("basic", "percentile")
Interval = Literal["basic", "percentile"]
#: the quantiles of a permutation null that results report
NULL_QUANTILES = (0.05, 0.5, 0.95)


def _finite(values: Any) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    return v[np.isfinite(v)]


def percentile_interval(values: Any, confidence: float) -> tuple[float, float]:
    """The [lo, hi] percentile interval of the finite ``values`` at ``confidence``; (NaN, NaN)
    when none is finite. A replicate where a measure is undefined (e.g. one label value
    left) adds no information about its spread: the interval uses the others.

    Efron & Tibshirani 1993, *An Introduction to the Bootstrap*, §13.3. It is centred on
    the replicates, not on the estimate: for a plug-in information estimate (biased
    upward, and a resample more so) it can lie entirely above the estimate."""
    v = _finite(values)
    if v.size == 0:
        return math.nan, math.nan
    alpha = 50.0 * (1.0 - confidence)
    lo, hi = np.percentile(v, [alpha, 100.0 - alpha])
    return float(lo), float(hi)


def basic_interval(estimate: float, values: Any, confidence: float) -> tuple[float, float]:
    """The basic (reverse-percentile) bootstrap interval [2θ - q_hi, 2θ - q_lo] of the
    estimate θ, q the percentiles of the finite replicate ``values`` at ``confidence``;
    (NaN, NaN) when θ is not finite or no replicate is.

    Davison & Hinkley 1997, *Bootstrap Methods and their Application*, eq. 5.6: the
    bootstrap's bias (mean of the replicates minus θ) estimates the estimator's, so the
    interval is shifted down by it. For plug-in information this corrects the upward
    bias the percentile interval doubles; the interval can reach below 0 when θ is
    mostly bias."""
    theta = float(estimate)
    lo, hi = percentile_interval(values, confidence)
    if not math.isfinite(theta) or math.isnan(lo):
        return math.nan, math.nan
    return 2.0 * theta - hi, 2.0 * theta - lo


def bootstrap_interval(
    estimate: float, values: Any, confidence: float, method: str = "basic"
) -> tuple[float, float]:
    """:func:`basic_interval` (``method='basic'``) or :func:`percentile_interval`."""
    if method == "basic":
        return basic_interval(estimate, values, confidence)
    if method == "percentile":
        return percentile_interval(values, confidence)
    fail("bootstrap_interval", "method", "one of 'basic', 'percentile'", repr(method))


def interval_excludes(estimate: Any, interval: Any) -> bool:
    """True when the finite ``estimate`` lies outside the finite [lo, hi] ``interval``: a
    sign that the resampling distribution is far from centred on the estimate (bias), which
    tables mark so that such an interval is not read as a confidence statement."""
    if estimate is None or interval is None:
        return False
    lo, hi = (float(x) for x in interval)
    e = float(estimate)
    if not (math.isfinite(e) and math.isfinite(lo) and math.isfinite(hi)):
        return False
    return e < lo or e > hi


def permutation_pvalue(statistic: float, null: Any) -> float:
    """(1 + #{null >= statistic}) / (1 + R) over the R permutation statistics ``null``:
    the permutation p-value with the +1 correction (Phipson & Smyth 2010, Stat. Appl.
    Genet. Mol. Biol. 9(1), eq. 2), never 0, exact (valid) under exchangeability.
    A non-finite null value counts as >= (conservative); NaN for a non-finite statistic."""
    s = float(statistic)
    v = np.asarray(null, dtype=np.float64).reshape(-1)
    if not math.isfinite(s) or v.size == 0:
        return math.nan
    # values equal up to rounding count as ties (>=): a shuffle that changes nothing (one
    # label value, constant rows) must not make the data look significant
    tol = 1e-12 * max(1.0, abs(s))
    exceed = int((~np.isfinite(v)).sum() + (v[np.isfinite(v)] >= s - tol).sum())
    return (1 + exceed) / (1 + v.size)


class NullSummary:
    """What every permutation result offers, from its ``statistic`` and ``null`` [R]
    (a mixin: a family's result class provides those two attributes)."""

    statistic: Any
    null: np.ndarray

    @property
    def pvalue(self) -> float:
        """:func:`permutation_pvalue`: (1 + #{null >= statistic}) / (1 + R)."""
        return permutation_pvalue(float(self.statistic), self.null)

    @property
    def null_mean(self) -> float:
        """E[I_null], the mean of the finite null values: the estimator's value when the
        labels carry no information (its bias at this N, K and bins)."""
        v = _finite(self.null)
        return float(v.mean()) if v.size else math.nan

    @property
    def null_std(self) -> float:
        """The standard deviation of the finite null values (ddof=1)."""
        v = _finite(self.null)
        return float(v.std(ddof=1)) if v.size > 1 else math.nan

    @property
    def corrected(self) -> float:
        """The null-corrected estimate ``statistic - null_mean``: the information beyond
        what shuffled labels give (≈ 0 for unrelated labels; can be slightly negative)."""
        return float(self.statistic) - self.null_mean

    def null_quantile(self, q: float) -> float:
        """The q-quantile (linear interpolation) of the finite null values."""
        v = _finite(self.null)
        return float(np.quantile(v, q)) if v.size else math.nan

    @property
    def null_quantiles(self) -> dict[float, float]:
        """{q: quantile} of the null for q in :data:`NULL_QUANTILES` (0.05, 0.5, 0.95)."""
        return {q: self.null_quantile(q) for q in NULL_QUANTILES}


@dataclass(frozen=True, repr=False)
class PermutationResult(NullSummary):
    """A permutation test of "the labels carry no information about z", in units of
    ``base``.

    ``statistic``: the estimate on the data; ``null`` [R] float64: the same estimate with
    the labels permuted over the rows (each margin kept, the pairing broken), so it carries
    the estimator's bias at this N, number of labels and bins. Derived: ``pvalue`` (+1
    corrected), ``null_mean``, ``null_std``, ``null_quantiles``, ``corrected`` =
    statistic - null_mean, ``n_permutations``. ``estimator``: what was estimated;
    ``seed``: the permutations' seed; ``context``: what makes the number comparable
    (rows N, label values K, bins B, temperature T, dimension D, metric...).
    """

    statistic: float
    null: np.ndarray
    base: float = math.e
    estimator: str = ""
    seed: int = 0
    context: Mapping[str, Any] = field(default_factory=dict)

    @property
    def units(self) -> str:
        return units_name(self.base)

    @property
    def n_permutations(self) -> int:
        """R, the permutations of the null."""
        return int(np.asarray(self.null).size)

    def __repr__(self) -> str:
        return (
            f"PermutationResult(statistic={self.statistic:.4g}, null_mean={self.null_mean:.4g}, "
            f"corrected={self.corrected:.4g}, p={self.pvalue:.4g}, "
            f"permutations={self.n_permutations}, {self.units})"
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-able dict: the numbers, the null's summary and quantiles, the settings (the
        null itself as a list)."""
        return {
            "statistic": float(self.statistic),
            "null_mean": self.null_mean,
            "null_std": self.null_std,
            "null_quantiles": {str(q): v for q, v in self.null_quantiles.items()},
            "pvalue": self.pvalue,
            "corrected": self.corrected,
            "n_permutations": self.n_permutations,
            "seed": int(self.seed),
            "base": float(self.base),
            "units": self.units,
            "estimator": self.estimator,
            "context": dict(self.context),
            "null": np.asarray(self.null, dtype=np.float64).tolist(),
        }


def units_name(base: float) -> str:
    """'nats', 'bits', 'hartleys' or 'log base b'."""
    if base == math.e:
        return "nats"
    if base == 2:
        return "bits"
    if base == 10:
        return "hartleys"
    return f"log base {base:g}"


def mean_and_spread(values: Any) -> tuple[float, float]:
    """(mean, standard deviation with ddof=1) of the finite ``values`` (NaN when too few):
    what a report says of one number across bin-centre seeds."""
    v = _finite(values)
    mean = float(v.mean()) if v.size else math.nan
    return mean, float(v.std(ddof=1)) if v.size > 1 else math.nan
