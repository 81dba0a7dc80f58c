"""Partial information decomposition (PID) of quantised layers.

How the information n sources (neurons, or groups of neurons) carry about a target (the
label) splits into redundant, unique and synergistic parts, on the redundancy lattice of
Williams & Beer (2010): :func:`decompose` for samples or a pmf, by the shared-exclusion
PID (SxPID; Makkeh, Gutknecht & Wibral 2021) as nninfo uses it (Ehrlich et al. 2023),
with its representational complexity and Shannon invariants on the result;
:func:`pointwise` streams the atoms at each outcome in bounded memory.

Units: nats by default, ``base=2`` for bits.
"""

from __future__ import annotations

from .decompose import MEASURES, as_pmf, decompose
from .lattice import MAX_SOURCES, Antichain, Lattice, lattice, node_name
from .pmf import Pmf
from .pointwise import pointwise
from .result import Decomposition, LocalAtoms

__all__ = [
    "MAX_SOURCES",
    "MEASURES",
    "Antichain",
    "Decomposition",
    "Lattice",
    "LocalAtoms",
    "Pmf",
    "as_pmf",
    "decompose",
    "lattice",
    "node_name",
    "pointwise",
]
