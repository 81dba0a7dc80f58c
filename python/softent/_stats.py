"""Resampling statistics shared by every family's reports and monitors."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def percentile_interval(values: Any, confidence: float) -> tuple[float, float]:
    """The [lo, hi] percentile interval of the finite ``values`` at ``confidence``; (NaN, NaN)
    when none is finite. A replicate where a measure is undefined (e.g. one label value
    left) adds no information about its spread: the interval uses the others."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return math.nan, math.nan
    alpha = 50.0 * (1.0 - confidence)
    lo, hi = np.percentile(v, [alpha, 100.0 - alpha])
    return float(lo), float(hi)
