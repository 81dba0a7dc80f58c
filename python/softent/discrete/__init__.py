"""Discrete information: the floor under every estimator family, and a toolbox of its own.

- Probability tables (:mod:`.tables`, re-exported here): ``self_information``,
  ``entropy``, ``joint_entropy``, ``conditional_entropy``, ``mutual_information``,
  ``kl_divergence``, ``cross_entropy`` (also predicted distributions + integer targets),
  ``js_divergence``. NumPy in -> floats; torch in -> differentiable torch out (losses).
- Samples (:mod:`.estimate`): ``estimate.entropy / joint_entropy / conditional_entropy /
  mutual_information / conditional_mutual_information / mutual_information_matrix /
  information`` of integer or string codes, with bias corrections (``estimator=``, see
  :mod:`.estimators`); :class:`Counts` streams the same counts (update / merge /
  all_reduce / save / load).
- Counting (:mod:`.counting`): the C++/CUDA kernel turning codes into dense or sparse
  histograms, all columns (or pairs) of a layer in one pass. Quantisers for continuous
  activations: :mod:`.quantise`.
- Capacity (:mod:`.capacity`): ``channel_capacity`` (Blahut–Arimoto),
  ``gaussian_channel_capacity``, ``layer_capacity`` (water-filling).
- The floor every family's last step stands on: the entropy of histogram masses, the
  label weights of a conditional entropy, unit conversion (``entropy_of_masses``,
  ``information_of_masses``, ``label_weights``, ``to_base``, ``unit_name``).

Units: nats by default, ``base=2`` for bits, everywhere.
"""

from __future__ import annotations

from . import capacity, counting, estimate, estimators, quantise, tables
from ._compose import DiscreteInformation
from ._masses import (
    entropy_of_masses,
    information_of_masses,
    label_weights,
    to_base,
    unit_name,
)
from .capacity import (
    ChannelCapacity,
    LayerCapacity,
    channel_capacity,
    gaussian_channel_capacity,
    layer_capacity,
)
from .counts import Counts
from .estimators import ESTIMATORS, entropy_from_counts
from .tables import (
    conditional_entropy,
    cross_entropy,
    entropy,
    joint_entropy,
    js_divergence,
    kl_divergence,
    mutual_information,
    self_information,
)

__all__ = [
    "ESTIMATORS",
    "ChannelCapacity",
    "Counts",
    "DiscreteInformation",
    "LayerCapacity",
    "capacity",
    "channel_capacity",
    "conditional_entropy",
    "counting",
    "cross_entropy",
    "entropy",
    "entropy_from_counts",
    "entropy_of_masses",
    "estimate",
    "estimators",
    "gaussian_channel_capacity",
    "information_of_masses",
    "joint_entropy",
    "js_divergence",
    "kl_divergence",
    "label_weights",
    "layer_capacity",
    "mutual_information",
    "quantise",
    "self_information",
    "tables",
    "to_base",
    "unit_name",
]
