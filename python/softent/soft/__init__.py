"""The soft-bin estimator family (Conklin 2025, §5.4): fused soft histograms of [N, D]
activations against B bin centres, and what is computed from them — H(Z), H(Z|L),
I(Z;L), the measures, the report, the permutation test and the streaming
:class:`Accumulator`.

``softent.entropy`` & co. at the top level are these functions: the documented default
estimator.
"""

from __future__ import annotations

from .accumulator import Accumulator
from .bins import Bins, box_bins, spherical_bins
from .calibration import calibrate_temperature
from .estimators import Information, conditional_entropy, entropy, information, mutual_information
from .histogram import SoftHistogram, soft_histogram
from .measures import (
    all_measures,
    disentanglement,
    efficiency,
    label_entropy,
    measures_from_masses,
    normalised_mi,
    optimality,
    regularity,
    variation,
)
from .permutation import permutation_test
from .report import Report, report

__all__ = [
    "Accumulator",
    "Bins",
    "Information",
    "Report",
    "SoftHistogram",
    "all_measures",
    "box_bins",
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
