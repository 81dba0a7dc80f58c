"""softent: fast, exact soft-bin entropy and mutual information of neural representations.

Defaults follow the published method (Conklin 2025, §5.4): spherical (cosine) bins,
B = 100 centres from ``spherical_bins(100, D, seed=0)``, the vMF-calibrated temperature,
natural logarithms (nats; pass ``base=2`` for bits).
"""

from __future__ import annotations

# Load OpenBLAS (symbols scipy_*) into the process before the extension that links it.
import scipy_openblas32 as _scipy_openblas32  # noqa: F401  (import order matters)

from ._core import build_info as _build_info
from ._stats import PermutationResult
from ._version import __version__ as __version__
from .soft import (
    Accumulator,
    Bins,
    Information,
    Report,
    SoftHistogram,
    all_measures,
    box_bins,
    calibrate_temperature,
    conditional_entropy,
    disentanglement,
    efficiency,
    entropy,
    information,
    label_entropy,
    measures_from_masses,
    mutual_information,
    normalised_mi,
    optimality,
    permutation_test,
    regularity,
    report,
    soft_histogram,
    spherical_bins,
    variation,
)


def build_info() -> dict:
    """How this softent was built: ``version``, ``cuda`` (compiled with CUDA),
    ``cuda_archs``, ``cuda_runtime``, ``cuda_available`` (a driver and device are present),
    ``cuda_device_count``, ``openmp``, ``threads`` (OpenMP default), ``blas``.
    Paste it into bug reports."""
    return dict(_build_info())


__all__ = [
    "Accumulator",
    "Bins",
    "Information",
    "PermutationResult",
    "Report",
    "SoftHistogram",
    "all_measures",
    "box_bins",
    "build_info",
    "calibrate_temperature",
    "conditional_entropy",
    "disentanglement",
    "efficiency",
    "entropy",
    "information",
    "label_entropy",
    "measures_from_masses",
    "mutual_information",
    "normalised_mi",
    "optimality",
    "permutation_test",
    "regularity",
    "report",
    "soft_histogram",
    "spherical_bins",
    "variation",
]
