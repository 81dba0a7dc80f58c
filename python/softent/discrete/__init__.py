"""The floor under every estimator family: information of masses and counts.

Every family's last step (the entropy of histogram masses, the conversion of nats to
another base) is written here once.
"""

from __future__ import annotations

from ._masses import entropy_of_masses, to_base

__all__ = ["entropy_of_masses", "to_base"]
