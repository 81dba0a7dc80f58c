"""The floor every family stands on: Shannon entropy of masses, and unit conversion
(nats -> any base)."""

from __future__ import annotations

import math

import numpy as np

from .._checks import check_base


def entropy_of_masses(masses: np.ndarray) -> np.ndarray:
    """H = -Σ_b p_b ln p_b (nats) of p = masses / masses.sum(-1), over the last axis,
    with 0 ln 0 = 0. ``masses`` [..., B] non-negative float64; returns [...]."""
    m = np.asarray(masses, dtype=np.float64)
    total = m.sum(axis=-1, keepdims=True)
    p = np.divide(m, total, out=np.zeros_like(m), where=total > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log(p), 0.0)
    return terms.sum(axis=-1)


def to_base(nats: np.ndarray | float, base: float, api: str) -> np.ndarray:
    """Convert nats to units of ``base`` (2: bits, e: nats, 10: hartleys)."""
    b = check_base(api, base)
    return np.asarray(nats) if b == math.e else np.asarray(nats) / math.log(b)
