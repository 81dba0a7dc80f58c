"""The I_min redundancy of Williams & Beer (2010, "Nonnegative decomposition of
multivariate information", arXiv:1004.2515, eq. 2-3): the expected minimum specific
information the sets of an antichain carry about each target value,

    I(T=t; S_a) = Σ_{s_a} p(s_a | t) ln[p(t | s_a) / p(t)]      (specific information)
    I_∩(α)      = Σ_t p(t) min_{a∈α} I(T=t; S_a).

The specific information of every source subset is computed once ([T, 2^n], from the
subset marginals of the pmf's outcomes), then each node takes a minimum over its minimal
sets. The per-target values (``pointwise="target"``) are the specific-information
redundancies min_{a∈α} I(T=t; S_a) themselves. I_min has no per-outcome (local) form:
``pointwise=True`` is refused.
"""

from __future__ import annotations

import numpy as np

from .._checks import fail
from .lattice import Lattice
from .pmf import Pmf
from .redundancy import Redundancies, Redundancy

_API = "pid.decompose"


def _group_mass(pmf: Pmf, columns: list[int]) -> np.ndarray:
    """[K] the mass of the projection of each outcome onto ``columns`` (0-based; the target
    is column n): P(X_columns = x_columns) at every row."""
    if np.prod([float(pmf.sizes[j]) for j in columns]) < 2.0**62:
        key = np.zeros(len(pmf), dtype=np.int64)
        for j in columns:
            key = key * pmf.sizes[j] + pmf.codes[:, j]
        inverse = np.unique(key, return_inverse=True)[1]
    else:  # a mixed-radix key would overflow int64
        inverse = np.unique(pmf.codes[:, columns], axis=0, return_inverse=True)[1]
    inverse = inverse.reshape(-1)
    return np.bincount(inverse, weights=pmf.probs)[inverse]


def specific_information(pmf: Pmf) -> np.ndarray:
    """[T, 2^n] I(T=t; S_A) in nats for every target code t and source subset mask A (bit
    i-1: source i; A = 0 gives 0): Σ_{s_A} p(s_A | t) ln[p(s_A, t) / (p(s_A) p(t))],
    summed over the outcomes of target t (their p(s, t) / p(t) weights the constant log
    of their projection)."""
    n = pmf.n_sources
    t = pmf.codes[:, -1]
    p_t = np.bincount(t, weights=pmf.probs, minlength=pmf.sizes[-1])
    out = np.zeros((pmf.sizes[-1], 1 << n))
    p_t_row = p_t[t]
    weight = pmf.probs / p_t_row
    for mask in range(1, 1 << n):
        cols = [i for i in range(n) if mask >> i & 1]
        g_s = _group_mass(pmf, cols)
        g_st = _group_mass(pmf, [*cols, n])
        # one logarithm of the ratio: exact zeros where a source says nothing (XOR)
        out[:, mask] = np.bincount(
            t, weights=weight * np.log(g_st / (g_s * p_t_row)), minlength=pmf.sizes[-1]
        )
    return out


def _node_masks(lattice: Lattice) -> np.ndarray:
    """[L, W] the source masks of each node's sets, padded with the node's first set."""
    width = max(len(node) for node in lattice.nodes)
    masks = np.empty((len(lattice), width), dtype=np.int64)
    for j, node in enumerate(lattice.nodes):
        ms = [sum(1 << (i - 1) for i in a) for a in node]
        masks[j] = ms + [ms[0]] * (width - len(ms))
    return masks


def redundancy(
    pmf: Pmf, lattice: Lattice, *, target: bool, outcome: bool, num_threads: int
) -> Redundancies:
    """I_min's I_∩ (nats) on every node of ``lattice``, averaged over p(t), and per target
    value when ``target`` (the minimum specific information at each t)."""
    del num_threads  # a NumPy computation of [T, 2^n] values: nothing to parallelise
    if outcome:
        fail(
            _API,
            "pointwise",
            "False or 'target' for measure='imin' (I_min is defined per target value, "
            "it has no per-outcome form)",
            "True",
        )
    spec = specific_information(pmf)
    per_t = spec[:, _node_masks(lattice)].min(axis=-1)  # [T, L]
    p_t = np.bincount(pmf.codes[:, -1], weights=pmf.probs, minlength=pmf.sizes[-1])
    average = Redundancy(p_t @ per_t)
    return Redundancies(average, Redundancy(per_t) if target else None, None)
