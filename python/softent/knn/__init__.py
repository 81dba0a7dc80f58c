"""k-nearest-neighbour information estimators of continuous representations, joint over
every column, on an exact tiled brute-force neighbour kernel (C++/OpenMP, CUDA).

- :func:`entropy`: Kozachenko–Leonenko differential entropy.
- :func:`mutual_information`: KSG-1 / KSG-2 (continuous y) or Ross 2014 (discrete labels).
- :func:`conditional_mutual_information`: Frenzel–Pompe.
- :func:`information`: the mutual information as a :class:`KnnInformation` record.
- :func:`permutation_test`: a shuffle test of I = 0 (:class:`PermutationTest`).
- :func:`feature_mutual_information`: I(x_j; y) per column (scikit-learn's quantity), by
  sorting, columns in parallel.
- The kernel itself (:mod:`.neighbours`): :func:`nearest_neighbours` (exact k nearest
  rows), :func:`radius_counts` (rows within a radius, optionally per group) and
  :func:`group_neighbour_counts` (Ross's per-group radius and all-group count, one pass).

Units: nats by default, ``base=2`` for bits. NumPy in -> floats / NumPy out; torch in ->
torch out on the same device. These estimators are not sums over rows: they cannot be
streamed; subsample very large N.
"""

from __future__ import annotations

from . import estimators, features, neighbours
from .estimators import (
    KnnInformation,
    PermutationTest,
    conditional_mutual_information,
    entropy,
    information,
    mutual_information,
    permutation_test,
)
from .features import feature_mutual_information
from .neighbours import (
    GroupCounts,
    Neighbours,
    group_neighbour_counts,
    nearest_neighbours,
    radius_counts,
)

__all__ = [
    "GroupCounts",
    "KnnInformation",
    "Neighbours",
    "PermutationTest",
    "conditional_mutual_information",
    "entropy",
    "estimators",
    "feature_mutual_information",
    "features",
    "group_neighbour_counts",
    "information",
    "mutual_information",
    "nearest_neighbours",
    "neighbours",
    "permutation_test",
    "radius_counts",
]
