"""Partial information decomposition (PID) of quantised layers.

How the information n sources (neurons, or groups of neurons) carry about a target (the
label) splits into redundant, unique and synergistic parts, on the redundancy lattice of
Williams & Beer (2010): :func:`decompose` for samples or a pmf, with its representational
complexity and Shannon invariants on the result, by one of :data:`MEASURES`:

- ``"sx"``: the shared-exclusion PID (SxPID; Makkeh, Gutknecht & Wibral 2021) as nninfo
  uses it (Ehrlich et al. 2023), n = 1..5 sources, pointwise per target or per outcome;
- ``"imin"``: Williams & Beer's I_min (expected minimum specific information), n = 1..5,
  pointwise per target value;
- ``"broja"``: the unique information of Bertschinger, Rauh, Olbrich, Jost & Ay (2014),
  two sources, by a convex solver with a certified duality gap
  (:func:`unique_information` returns it with the optimising distribution).
:func:`pointwise` streams the SxPID atoms at each outcome in bounded memory.

Units: nats by default, ``base=2`` for bits.
"""

from __future__ import annotations

from .broja import UniqueInformation, unique_information
from .decompose import MEASURES, as_pmf, decompose
from .lattice import MAX_SOURCES, Antichain, Lattice, lattice, node_name
from .layer import LayerPID, layer_complexities, layer_complexity
from .pmf import Pmf
from .pointwise import pointwise
from .result import Decomposition, LocalAtoms

__all__ = [
    "MAX_SOURCES",
    "MEASURES",
    "Antichain",
    "Decomposition",
    "Lattice",
    "LayerPID",
    "LocalAtoms",
    "Pmf",
    "UniqueInformation",
    "as_pmf",
    "decompose",
    "lattice",
    "layer_complexities",
    "layer_complexity",
    "node_name",
    "pointwise",
    "unique_information",
]
