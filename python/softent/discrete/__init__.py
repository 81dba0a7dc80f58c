"""The floor under every estimator family: information of masses and counts.

Every family's last step (the entropy of histogram masses, the label weights of a
conditional entropy, the conversion of nats to another base) is written here once, for
NumPy and torch alike.
"""

from __future__ import annotations

from . import estimate
from ._compose import DiscreteInformation
from ._masses import (
    entropy_of_masses,
    information_of_masses,
    label_weights,
    to_base,
    unit_name,
)
from .counts import Counts

__all__ = [
    "Counts",
    "DiscreteInformation",
    "estimate",
    "entropy_of_masses",
    "information_of_masses",
    "label_weights",
    "to_base",
    "unit_name",
]
