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

Computed by the ``sx_local`` kernel (cpp/src/cpu/pid.cpp, cpp/src/cuda/pid.cu; math in
cpp/include/softent/math/pid.h): per outcome, the agreement histogram h(m) (the probability
of agreeing with it on exactly the sources m) is the superset Möbius transform of its
subset marginals (:meth:`Pmf.subset_masses`), and P(𝔞) of every node is a sum of h over the
node's up-set, a few table lookups. O(K 2^n (n + L)) for K outcomes and L nodes.
"""

from __future__ import annotations

import numpy as np

from . import _kernel
from .lattice import Lattice
from .pmf import Pmf
from .redundancy import Redundancies, Redundancy


def redundancy(
    pmf: Pmf,
    lattice: Lattice,
    *,
    target: bool,
    outcome: bool,
    num_threads: int,
    device: int = -1,
) -> Redundancies:
    """SxPID's I_∩ (nats) averaged over ``pmf``, per target value when ``target``, per
    outcome when ``outcome``. ``device``: -1 the CPU, k CUDA device k."""
    masses, _ = pmf.subset_masses(num_threads or None)
    sp, sm, lp, lm = _kernel.sx_local(
        pmf.codes,
        pmf.probs,
        pmf.sizes[-1],
        masses,
        lattice.upsets,
        per_target=target,
        local=outcome,
        num_threads=num_threads,
        device=device,
    )
    assert sp is not None
    assert sm is not None
    average = Redundancy.split(sp.sum(axis=0), sm.sum(axis=0))
    per_target = None
    if target:
        # the class sums are Σ_{s} p(s, t) i(s, t): divide by p(t) for the p(s | t) average
        p_t = np.bincount(pmf.codes[:, -1], weights=pmf.probs, minlength=pmf.sizes[-1])
        per_target = Redundancy.split(sp / p_t[:, None], sm / p_t[:, None])
    per_outcome = None
    if outcome:
        assert lp is not None
        assert lm is not None
        per_outcome = Redundancy.split(lp, lm)
    return Redundancies(average, per_target, per_outcome)


def local(
    pmf: Pmf, lattice: Lattice, lo: int, hi: int, *, num_threads: int, device: int = -1
) -> Redundancy:
    """SxPID's local i_∩ = i⁺ - i⁻ (nats) at the outcomes lo .. hi - 1 of ``pmf``: [hi - lo,
    L] each (rows in the pmf's order)."""
    masses, _ = pmf.subset_masses(num_threads or None)
    _, _, lp, lm = _kernel.sx_local(
        pmf.codes,
        pmf.probs,
        pmf.sizes[-1],
        masses,
        lattice.upsets,
        sums=False,
        local=True,
        rows=(lo, hi),
        num_threads=num_threads,
        device=device,
    )
    assert lp is not None
    assert lm is not None
    return Redundancy.split(lp, lm)
