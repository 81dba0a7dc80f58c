"""The shared-exclusion PID, SxPID (Makkeh, Gutknecht & Wibral 2021, Phys. Rev. E 103,
032149): a pointwise redundancy from the probability of the union of the sources'
agreement events.

At an outcome (s, t) and a node α, 𝔞 = ∪_{a∈α} {S_a = s_a} ("some set of α shows its
value") and

    i⁺(α) = -log P(𝔞)            (informative: how unlikely the shared event is)
    i⁻(α) = -log P(𝔞 | t)        (misinformative: how unlikely it is given the target)
    i_∩(α) = i⁺ - i⁻ = log P(𝔞 | t) / P(𝔞)

Both parts are monotone on the lattice, so their atoms π⁺, π⁻ are non-negative; π = π⁺ -
π⁻ may be negative (misinformative atoms: the reference package's convention). Averages
weight each outcome by p(s, t); the target-pointwise values by p(s | t).
"""

from __future__ import annotations

import numpy as np

from . import _kernel
from .lattice import Lattice
from .pmf import Pmf
from .redundancy import Redundancies, Redundancy


def _by_target(pmf: Pmf, local: np.ndarray) -> np.ndarray:
    t = pmf.codes[:, -1]
    sums = np.zeros((pmf.sizes[-1], local.shape[1]))
    np.add.at(sums, t, pmf.probs[:, None] * local)
    return sums / np.bincount(t, weights=pmf.probs)[:, None]


def redundancy(
    pmf: Pmf, lattice: Lattice, *, target: bool, outcome: bool, num_threads: int
) -> Redundancies:
    """SxPID's I_∩ (nats) averaged over ``pmf``, per target value when ``target``, per
    outcome when ``outcome``."""
    plus, minus = _kernel.sx_local(pmf, lattice.upsets, num_threads)
    average = Redundancy.split(pmf.probs @ plus, pmf.probs @ minus)
    per_target = Redundancy.split(_by_target(pmf, plus), _by_target(pmf, minus)) if target else None
    per_outcome = Redundancy.split(plus, minus) if outcome else None
    return Redundancies(average, per_target, per_outcome)
