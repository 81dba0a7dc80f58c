"""What a PID measure hands to :func:`softent.pid.decompose`: its redundancy function
I_∩(α) on every lattice node, in nats, averaged over the pmf and optionally per target
value and per outcome. The atoms are its Möbius inverse (:meth:`Lattice.mobius`), taken
once by the caller, whatever the measure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Redundancy:
    """I_∩ [..., L] on the lattice nodes (nats) and, for measures that split it (SxPID),
    its informative and misinformative parts (I_∩ = informative - misinformative), each
    [..., L] or None."""

    value: np.ndarray
    informative: np.ndarray | None = None
    misinformative: np.ndarray | None = None

    @classmethod
    def split(cls, informative: np.ndarray, misinformative: np.ndarray) -> Redundancy:
        """The redundancy of an informative and a misinformative part."""
        return cls(informative - misinformative, informative, misinformative)


@dataclass(frozen=True)
class Redundancies:
    """A measure's output: ``average`` [L]; ``target`` [T, L] conditional on each target
    value t (averaged over p(s | t)), or None; ``outcome`` [K, L] at each outcome of the
    pmf (its local, pointwise value), or None."""

    average: Redundancy
    target: Redundancy | None = None
    outcome: Redundancy | None = None
