"""The redundancy lattice of n sources (Williams & Beer 2010), as bitmasks.

A node is an antichain α of non-empty source sets (no set inside another), written as
nninfo and the ``sxpid`` reference write it: a tuple of sorted tuples of 1-based source
indices, ``((1,), (2,))`` the redundancy of two sources, ``((1, 2),)`` their synergy.
β ≼ α when every set of α contains a set of β. The lattice has 4, 18, 166 and 7579 nodes
for n = 2, 3, 4, 5 (Dedekind numbers minus two).

Each node is stored as its **up-set** in the Boolean lattice of source sets: the set of
source masks m (bit i-1 for source i) that contain some a ∈ α, as one integer whose bit m
is set for each such mask. Everything the decompositions need is a bit operation on it:

- SxPID's event 𝔞 = ∪_{a∈α} {S_a = s_a} holds for another outcome exactly when the mask
  of sources it agrees on lies in the up-set, so P(𝔞) = Σ_{m ∈ U(α)} h_s(m) with h_s the
  agreement histogram of s (see :mod:`softent.pid.sx`);
- β ≼ α  ⟺  U(α) ⊆ U(β);
- the nodes form the distributive lattice of non-empty up-sets under reverse inclusion,
  whose Möbius function is (-1)^|A| on U ∪ A for A a set of masks that can be added to U
  together (the maximal masks outside U), zero elsewhere (Stanley, *Enumerative
  Combinatorics* I, Example 3.9.6). So the atoms π = Möbius inverse of a redundancy
  function I_∩ are a signed sum over at most 2^C(n, n/2) nodes each — no dense L × L
  matrix is built (7579² for n = 5).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np

from .._checks import check_int

#: the largest number of sources a lattice is built for (n = 6 has 7,828,352 nodes)
MAX_SOURCES = 5

Antichain = tuple[tuple[int, ...], ...]


def _sets(mask: int, n: int) -> tuple[int, ...]:
    return tuple(i + 1 for i in range(n) if mask >> i & 1)


def _up_sets(n: int) -> list[int]:
    """Every non-empty up-set of the non-empty subsets of n sources, as bit sets over the
    masks 1 .. 2^n - 1, by deciding each mask from the largest to the smallest: a mask may
    join only when every one-larger superset already has."""
    full = (1 << n) - 1
    order = sorted(range(1, full + 1), key=lambda m: (-m.bit_count(), m))
    supersets = [[m | 1 << i for i in range(n) if not m >> i & 1] for m in range(full + 1)]
    out: list[int] = []

    def walk(k: int, upset: int) -> None:
        if k == len(order):
            if upset:
                out.append(upset)
            return
        m = order[k]
        walk(k + 1, upset)
        if all(upset >> s & 1 for s in supersets[m]):
            walk(k + 1, upset | 1 << m)

    walk(0, 0)
    return out


def _minimal(upset: int, n: int) -> tuple[int, ...]:
    """The minimal masks of an up-set: its antichain."""
    members = [m for m in range(1, 1 << n) if upset >> m & 1]
    return tuple(m for m in members if not any(o != m and o & m == o for o in members))


@dataclass(frozen=True, repr=False)
class Lattice:
    """The redundancy lattice of ``n`` sources (build it with :func:`lattice`).

    ``nodes`` [L] antichains in a linear extension of ≼ (every node after all nodes below
    it: the redundancy of all single sources first, the full synergy last); ``upsets`` [L]
    uint64 the up-set bitmask of each node (bit m: source mask m); ``degree`` [L] int the
    degree of synergy m(α) = min_{a∈α} |a| (nninfo). ``index[node]`` is a node's position.
    """

    n: int
    nodes: tuple[Antichain, ...]
    upsets: np.ndarray
    degree: np.ndarray
    index: dict[Antichain, int] = field(compare=False)
    # the sparse Möbius inverse: atom j = Σ_t sign[t] · value[terms[t]] over t in
    # offsets[j] .. offsets[j+1]
    _terms: np.ndarray = field(compare=False)
    _signs: np.ndarray = field(compare=False)
    _offsets: np.ndarray = field(compare=False)

    def __len__(self) -> int:
        return len(self.nodes)

    def __repr__(self) -> str:
        return f"Lattice(n={self.n}, nodes={len(self.nodes)})"

    def below(self, beta: Antichain, alpha: Antichain) -> bool:
        """β ≼ α: every set of α contains a set of β."""
        ub, ua = (int(self.upsets[self.index[_canonical(x, self.n)]]) for x in (beta, alpha))
        return ua & ub == ua

    def down_set(self, alpha: Antichain) -> tuple[Antichain, ...]:
        """Every node β ≼ α (α included), in lattice order."""
        ua = int(self.upsets[self.index[_canonical(alpha, self.n)]])
        return tuple(
            b for b, ub in zip(self.nodes, self.upsets.tolist(), strict=True) if ua & ub == ua
        )

    def mobius(self, redundancy: Any) -> np.ndarray:
        """The atoms π [..., L] of a redundancy function I_∩ [..., L] given on the nodes in
        lattice order: the unique π with I_∩(α) = Σ_{β ≼ α} π(β) (float64)."""
        r = np.asarray(redundancy, dtype=np.float64)
        terms = r[..., self._terms] * self._signs
        return np.add.reduceat(terms, self._offsets[:-1], axis=-1)

    def zeta(self, atoms: Any) -> np.ndarray:
        """The inverse of :meth:`mobius`: I_∩(α) = Σ_{β ≼ α} π(β), [..., L] (float64)."""
        a = np.asarray(atoms, dtype=np.float64)
        u = self.upsets.astype(np.uint64)
        below = (u[None, :] & u[:, None]) == u[:, None]  # [α, β]: β ≼ α
        return a @ below.T.astype(np.float64)


def _canonical(node: Any, n: int) -> Antichain:
    try:
        sets = tuple(tuple(sorted(int(i) for i in a)) for a in node)
    except TypeError:
        raise TypeError(
            f"an antichain is a tuple of tuples of source indices, got {node!r}"
        ) from None
    return tuple(sorted(sets, key=lambda a: (len(a), a)))


def _node(minimal: tuple[int, ...], n: int) -> Antichain:
    return tuple(sorted((_sets(m, n) for m in minimal), key=lambda a: (len(a), a)))


@functools.cache
def _build(n: int) -> Lattice:
    ups = _up_sets(n)
    # Larger up-sets are lower in the lattice: sorting by size (descending) is a linear
    # extension of ≼; ties by the antichain for a stable, readable order.
    nodes_ups = sorted(
        ((_node(_minimal(u, n), n), u) for u in ups),
        key=lambda t: (-t[1].bit_count(), [len(a) for a in t[0]], t[0]),
    )
    nodes = tuple(t[0] for t in nodes_ups)
    upsets = np.array([t[1] for t in nodes_ups], dtype=np.uint64)
    index = {node: i for i, node in enumerate(nodes)}
    by_upset = {u: i for i, (_, u) in enumerate(nodes_ups)}
    full = (1 << n) - 1
    terms: list[int] = []
    signs: list[float] = []
    offsets = [0]
    for _, u in nodes_ups:
        # the masks that may join U (alone or together): outside U, every superset inside
        addable = [
            m
            for m in range(1, full + 1)
            if not u >> m & 1
            and all(u >> s & 1 for s in range(1, full + 1) if s != m and s & m == m)
        ]
        for k in range(len(addable) + 1):
            for extra in combinations(addable, k):
                v = u
                for m in extra:
                    v |= 1 << m
                terms.append(by_upset[v])
                signs.append(-1.0 if k % 2 else 1.0)
        offsets.append(len(terms))
    degree = np.array([min(len(a) for a in node) for node in nodes], dtype=np.int64)
    return Lattice(
        n,
        nodes,
        upsets,
        degree,
        index,
        np.array(terms, dtype=np.int64),
        np.array(signs, dtype=np.float64),
        np.array(offsets, dtype=np.int64),
    )


def lattice(n: int) -> Lattice:
    """The redundancy lattice of ``n`` sources, 1 <= n <= 5 (built once per n, cached:
    about 0.3 s for n = 5)."""
    return _build(check_int("pid.lattice", "n", n, lo=1, hi=MAX_SOURCES))


def node_name(node: Antichain) -> str:
    """``((1,), (2, 3))`` -> ``'{1}{23}'`` (the reference ``sxpid`` tables' notation;
    indices above 9 are comma-separated)."""
    sep = "," if any(i > 9 for a in node for i in a) else ""
    return "".join("{" + sep.join(str(i) for i in a) + "}" for a in node)
