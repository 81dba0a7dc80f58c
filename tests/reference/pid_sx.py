"""Plain reference for SxPID (Makkeh, Gutknecht & Wibral 2021, Phys. Rev. E 103, 032149):
straight from the definition, slow on purpose, independent of softent's bitmask lattice
and kernels.

Nodes are antichains of non-empty source sets (tuples of sorted tuples of 1-based
indices), enumerated here by brute force; β ≼ α when every set of α contains a set of β
(Williams & Beer 2010). At an outcome o = (s, t) and a node α the shared-exclusion event is
𝔞 = ∪_{a∈α} {S_a = s_a}; its probability is summed over ALL outcomes of the pmf, an outcome
counting when it agrees with o on every source of some a ∈ α (as the reference package's
``PDF.probu_one_rlz`` does with boolean masks), and

    i⁺(α) = -ln P(𝔞),   i⁻(α) = -ln P(𝔞 | t) = ln p(t) - ln P(𝔞, T = t),

in nats. Atoms are the Möbius inverse on ≼, solved node by node (π(α) = I(α) - Σ_{β≺α}
π(β)); averages weight outcomes by p(s, t), target-pointwise values by p(s | t).
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np

Antichain = tuple[tuple[int, ...], ...]


def _subsets(n: int) -> list[tuple[int, ...]]:
    return [c for k in range(1, n + 1) for c in combinations(range(1, n + 1), k)]


def antichains(n: int) -> list[Antichain]:
    """Every non-empty antichain of non-empty subsets of {1..n}, each as sorted tuples
    (sets by (size, elements))."""
    sets = _subsets(n)
    out: list[Antichain] = []

    def extend(start: int, chosen: list[tuple[int, ...]]) -> None:
        if chosen:
            out.append(tuple(sorted(chosen, key=lambda a: (len(a), a))))
        for i in range(start, len(sets)):
            a = set(sets[i])
            if all(not (a <= set(b) or set(b) <= a) for b in chosen):
                extend(i + 1, [*chosen, sets[i]])

    extend(0, [])
    return out


def below(beta: Antichain, alpha: Antichain) -> bool:
    """β ≼ α: every set of α contains a set of β."""
    return all(any(set(b) <= set(a) for b in beta) for a in alpha)


def _upset_bits(alpha: Antichain, n: int) -> int:
    """The source masks (bit i-1 for source i) containing some set of α, as one int: the
    reference's own encoding, used only by :func:`zeta` to compare many nodes fast."""
    bits = 0
    for m in range(1, 1 << n):
        members = {i + 1 for i in range(n) if m >> i & 1}
        if any(set(a) <= members for a in alpha):
            bits |= 1 << m
    return bits


def zeta(nodes: list[Antichain], atoms: np.ndarray, n: int) -> np.ndarray:
    """I(α) = Σ_{β≼α} π(β) for ``atoms`` [..., L] on ``nodes`` (any order). β ≼ α exactly
    when α's up-set lies in β's (checked here against :func:`below` on small n)."""
    ups = np.array([_upset_bits(a, n) for a in nodes], dtype=object)
    u = np.array([int(x) for x in ups], dtype=np.uint64)
    le = (u[None, :] & u[:, None]) == u[:, None]  # [α, β]: β ≼ α
    return np.asarray(atoms, dtype=np.float64) @ le.T.astype(np.float64)


def mobius(nodes: list[Antichain], values: np.ndarray) -> np.ndarray:
    """π [..., L] with I(α) = Σ_{β≼α} π(β), solved from the bottom up with :func:`below`
    (quadratic in the nodes: n <= 4)."""
    v = np.asarray(values, dtype=np.float64)
    order = sorted(range(len(nodes)), key=lambda j: sum(1 for b in nodes if below(b, nodes[j])))
    pi = np.zeros_like(v)
    for j in order:
        lower = [k for k in range(len(nodes)) if k != j and below(nodes[k], nodes[j])]
        pi[..., j] = v[..., j] - pi[..., lower].sum(axis=-1)
    return pi


def _rows(pmf: Any) -> tuple[list[tuple[Any, ...]], np.ndarray]:
    if isinstance(pmf, dict):
        return list(pmf.keys()), np.array(list(pmf.values()), dtype=np.float64)
    table = np.asarray(pmf, dtype=np.float64)
    idx = [tuple(int(i) for i in ix) for ix in np.argwhere(table > 0)]
    return idx, np.array([table[ix] for ix in idx])


def local(pmf: Any, nodes: list[Antichain]) -> dict[str, Any]:
    """i⁺ and i⁻ [K, L] (nats) at each outcome of ``pmf`` (a dict {(s_1..s_n, t): p} or an
    array with n + 1 axes), outcomes in the dict's (or C) order: {'outcomes', 'probs',
    'plus', 'minus'}."""
    outcomes, probs = _rows(pmf)
    keep = probs > 0
    outcomes = [o for o, k in zip(outcomes, keep, strict=True) if k]
    probs = probs[keep]
    n = len(outcomes[0]) - 1
    sets = _subsets(n)
    member = np.array([[a in alpha for a in sets] for alpha in nodes], dtype=np.float64)
    plus = np.empty((len(outcomes), len(nodes)))
    minus = np.empty_like(plus)
    for k, o in enumerate(outcomes):
        eq = np.array([[r[i] == o[i] for i in range(n + 1)] for r in outcomes])  # [K, n+1]
        # sat[a, r]: outcome r shows o's values on every source of a
        sat = np.array([eq[:, [i - 1 for i in a]].all(axis=1) for a in sets], dtype=np.float64)
        event = (member @ sat) > 0  # [L, K]: the union over a ∈ α
        same_t = eq[:, n]
        p_union = event @ probs
        p_union_t = (event & same_t[None, :]) @ probs
        p_t = probs[same_t].sum()
        plus[k] = -np.log(p_union)
        minus[k] = np.log(p_t) - np.log(p_union_t)
    return {"outcomes": outcomes, "probs": probs, "plus": plus, "minus": minus}


def decomposition(pmf: Any, n: int, *, atoms: bool = True) -> dict[str, Any]:
    """The SxPID of ``pmf`` (nats): {'nodes', 'outcomes', 'probs', 'plus', 'minus' (local
    [K, L]), 'redundancy', 'informative', 'misinformative' (averaged I_∩ [L]),
    'target_redundancy' {t: [L]} (p(s | t)-weighted), and with ``atoms`` (n <= 4)
    'atoms', 'atoms_plus', 'atoms_minus' [L] and 'local_atoms' [K, L]}."""
    nodes = antichains(n)
    loc = local(pmf, nodes)
    p = loc["probs"]
    plus, minus = loc["plus"], loc["minus"]
    out = dict(loc)
    out["nodes"] = nodes
    out["informative"] = p @ plus
    out["misinformative"] = p @ minus
    out["redundancy"] = out["informative"] - out["misinformative"]
    by_t: dict[Any, np.ndarray] = {}
    for t in {o[-1] for o in loc["outcomes"]}:
        rows = [k for k, o in enumerate(loc["outcomes"]) if o[-1] == t]
        w = p[rows] / p[rows].sum()
        by_t[t] = w @ (plus[rows] - minus[rows])
    out["target_redundancy"] = by_t
    if atoms:
        out["atoms_plus"] = mobius(nodes, out["informative"])
        out["atoms_minus"] = mobius(nodes, out["misinformative"])
        out["atoms"] = out["atoms_plus"] - out["atoms_minus"]
        out["local_atoms"] = mobius(nodes, plus - minus)
    return out
