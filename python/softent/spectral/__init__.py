"""Spectral information estimators of continuous representations: entropies and mutual
information from the spectrum of the data graph, without binning (Liao et al. 2023's
diffusion spectral entropy and mutual information, the adjacency variants of dse-dsmi 1.1,
Giraldo et al. 2014's matrix Renyi entropy, RankMe), on a fused C++/OpenMP/CUDA affinity
kernel and LAPACK eigensolves.

- :func:`diffusion_spectral_entropy`, :func:`adjacency_spectral_entropy`,
  :func:`renyi_entropy`, :func:`effective_rank` -> :class:`SpectralEntropy`.
- :func:`diffusion_spectral_mutual_information`,
  :func:`adjacency_spectral_mutual_information` -> :class:`SpectralInformation`.
- The lower level (what :mod:`softent.compat.dse_dsmi` stands on): :func:`bandwidth`,
  :func:`affinity` (dense [N, N]), :func:`spectrum` (eigenvalues of the affinity),
  :func:`eigenvalues` (of any square matrix), :func:`spectral_entropy` (of given
  eigenvalues).

Units: nats by default, ``base=2`` for bits. Default bandwidth: self-tuning ``sigma="knn"``
(k = 7), see docs/spectral.md. These estimators are not sums over rows: they cannot be
streamed; subsample very large N.
"""

from __future__ import annotations

from . import entropy, graph, information, result
from .entropy import (
    adjacency_spectral_entropy,
    diffusion_spectral_entropy,
    effective_rank,
    renyi_entropy,
    spectral_entropy,
)
from .graph import Bandwidth, affinity, bandwidth, eigenvalues, spectrum
from .information import (
    adjacency_spectral_mutual_information,
    diffusion_spectral_mutual_information,
)
from .result import SpectralEntropy, SpectralInformation

__all__ = [
    "Bandwidth",
    "SpectralEntropy",
    "SpectralInformation",
    "adjacency_spectral_entropy",
    "adjacency_spectral_mutual_information",
    "affinity",
    "bandwidth",
    "diffusion_spectral_entropy",
    "diffusion_spectral_mutual_information",
    "effective_rank",
    "eigenvalues",
    "entropy",
    "graph",
    "information",
    "renyi_entropy",
    "result",
    "spectral_entropy",
    "spectrum",
]
