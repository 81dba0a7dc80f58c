"""SxPID's local redundancies at every outcome of a pmf and every lattice node.

NumPy version of the kernel (to be replaced by the C++/CUDA op): per outcome, the
probability that another outcome agrees with it on exactly the source set m (its agreement
histogram h_s, and h_st among the outcomes with the same target), from the subset
marginals g(A) = P(S_A = s_A) by a superset Möbius transform; then P(𝔞) of each node is
the sum of h over the node's up-set.
"""

from __future__ import annotations

import numpy as np

from .pmf import Pmf

_CHUNK = 1024


def _group_mass(codes: np.ndarray, probs: np.ndarray) -> np.ndarray:
    if codes.shape[1] == 0:
        return np.ones(codes.shape[0])
    _, inverse = np.unique(codes, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    return np.bincount(inverse, weights=probs)[inverse]


def _agreement(g: np.ndarray, n: int) -> np.ndarray:
    h = g.copy()
    for i in range(n):
        bit = 1 << i
        for a in range(1 << n):
            if not a & bit:
                h[:, a] -= h[:, a | bit]
    return h


def sx_local(pmf: Pmf, upsets: np.ndarray, num_threads: int) -> tuple[np.ndarray, np.ndarray]:
    """(i⁺ [K, L], i⁻ [K, L]) in nats: i⁺ = -ln P(𝔞), i⁻ = -ln P(𝔞 | t) at each outcome
    (s, t) of ``pmf`` and each node of up-set ``upsets`` [L] (Makkeh et al. 2021, eq. 12)."""
    del num_threads
    codes, probs, n = pmf.codes, pmf.probs, pmf.n_sources
    m = 1 << n
    g_s = np.empty((len(probs), m))
    g_st = np.empty((len(probs), m))
    for a in range(m):
        cols = [i for i in range(n) if a >> i & 1]
        g_s[:, a] = _group_mass(codes[:, cols], probs)
        g_st[:, a] = _group_mass(codes[:, [*cols, n]], probs)
    p_t = g_st[:, 0].copy()
    h_s, h_st = _agreement(g_s, n), _agreement(g_st, n)
    member = ((upsets[None, :] >> np.arange(m, dtype=np.uint64)[:, None]) & np.uint64(1)).astype(
        np.float64
    )
    plus = np.empty((len(probs), upsets.size))
    minus = np.empty_like(plus)
    for lo in range(0, len(probs), _CHUNK):
        hi = lo + _CHUNK
        plus[lo:hi] = -np.log(h_s[lo:hi] @ member)
        minus[lo:hi] = np.log(p_t[lo:hi, None]) - np.log(h_st[lo:hi] @ member)
    return plus, minus
