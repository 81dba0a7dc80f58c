"""Plain references for softent.pid's lattice and measures: a pmf is a dict
``{(s_1, ..., s_n, t): p}`` (the target last), every quantity a loop over its outcomes in
nats, the lattice enumerated from its definition and inverted as a dense matrix.

- the redundancy lattice (Williams & Beer 2010): :func:`antichains` (every non-empty
  collection of pairwise incomparable non-empty source sets), :func:`below` (β ≼ α iff
  every set of α contains a set of β), :func:`zeta_matrix` and :func:`mobius_matrix`;
- Shannon quantities: :func:`entropy`, :func:`mutual_information`,
  :func:`conditional_mutual_information`, and the invariants nninfo reads
  (:func:`redundancy_degree`, :func:`vulnerability_degree`, :func:`reing_differences`);
- I_min (Williams & Beer 2010, eq. 2-3): :func:`specific_information`,
  :func:`imin_redundancy`, :func:`imin_atoms`, :func:`imin_target_atoms`;
- BROJA (Bertschinger et al. 2014): :func:`broja`, min I_Q(T:S1|S2) over the pmfs with
  P's (S1,T) and (S2,T) marginals by SciPy's SLSQP on the joint table (a general-purpose
  solver, not softent's barrier method: accurate to about 1e-7).
"""

from __future__ import annotations

import math
from collections import defaultdict
from itertools import combinations

import numpy as np
import scipy.linalg
import scipy.optimize

Pmf = dict[tuple, float]
Node = tuple[tuple[int, ...], ...]


# ----------------------------------------------------------------------------- the lattice


def _canonical(sets) -> Node:
    return tuple(sorted((tuple(sorted(a)) for a in sets), key=lambda a: (len(a), a)))


def antichains(n: int) -> list[Node]:
    """Every non-empty antichain of non-empty subsets of {1..n}, by backtracking: a set
    joins only when it neither contains nor lies inside a set already chosen."""
    subsets = [frozenset(c) for k in range(1, n + 1) for c in combinations(range(1, n + 1), k)]
    out: list[Node] = []

    def grow(start: int, chosen: list[frozenset]) -> None:
        if chosen:
            out.append(_canonical(chosen))
        for k in range(start, len(subsets)):
            a = subsets[k]
            if all(not (a <= b or b <= a) for b in chosen):
                grow(k + 1, [*chosen, a])

    grow(0, [])
    return out


def below(beta: Node, alpha: Node) -> bool:
    """β ≼ α: every set of α contains some set of β."""
    return all(any(set(b) <= set(a) for b in beta) for a in alpha)


def zeta_matrix(nodes: list[Node]) -> np.ndarray:
    """Z [L, L]: Z[i, j] = 1 when nodes[j] ≼ nodes[i], so I_∩ = Z π."""
    return np.array([[1.0 if below(b, a) else 0.0 for b in nodes] for a in nodes])


def mobius_matrix(nodes: list[Node]) -> np.ndarray:
    """Z⁻¹ (integer entries, rounded): π = Z⁻¹ I_∩."""
    return np.rint(np.linalg.inv(zeta_matrix(nodes)))


# ----------------------------------------------------------------------------- Shannon


def marginal(pmf: Pmf, cols) -> dict[tuple, float]:
    out: dict[tuple, float] = defaultdict(float)
    for o, p in pmf.items():
        out[tuple(o[c] for c in cols)] += p
    return dict(out)


def entropy(pmf: Pmf, cols) -> float:
    return -sum(p * math.log(p) for p in marginal(pmf, cols).values() if p > 0)


def mutual_information(pmf: Pmf, a, b) -> float:
    """I(X_a : X_b), nats."""
    a, b = list(a), list(b)
    return entropy(pmf, a) + entropy(pmf, b) - entropy(pmf, a + b)


def conditional_mutual_information(pmf: Pmf, a, b, c) -> float:
    """I(X_a : X_b | X_c), nats."""
    a, b, c = list(a), list(b), list(c)
    return entropy(pmf, a + c) + entropy(pmf, b + c) - entropy(pmf, a + b + c) - entropy(pmf, c)


def n_sources(pmf: Pmf) -> int:
    return len(next(iter(pmf))) - 1


def redundancy_degree(pmf: Pmf) -> float:
    """r̄ = Σ_i I(T:S_i) / I(T:S) (Ehrlich et al. 2023, eq. 9)."""
    n = n_sources(pmf)
    total = mutual_information(pmf, range(n), [n])
    return sum(mutual_information(pmf, [i], [n]) for i in range(n)) / total


def vulnerability_degree(pmf: Pmf) -> float:
    """v̄ = (n I(T:S) - Σ_i I(T:S_{-i})) / I(T:S) (Ehrlich et al. 2023, eq. 10)."""
    n = n_sources(pmf)
    total = mutual_information(pmf, range(n), [n])
    rest = sum(mutual_information(pmf, [j for j in range(n) if j != i], [n]) for i in range(n))
    return (n * total - rest) / total


def reing_differences(pmf: Pmf) -> dict[int, float]:
    """C_{k-1} - C_k, C_k the mean of H(T | S_A) over the k-source sets A (Reing et al.
    2021), k = 1..n."""
    n = n_sources(pmf)

    def cond(a) -> float:
        return entropy(pmf, [*a, n]) - entropy(pmf, list(a))

    c = [float(np.mean([cond(a) for a in combinations(range(n), k)])) for k in range(n + 1)]
    return {k: c[k - 1] - c[k] for k in range(1, n + 1)}


# ----------------------------------------------------------------------------- I_min


def specific_information(pmf: Pmf, t, sources) -> float:
    """I(T=t; S_A) = Σ_{s_A} p(s_A|t) ln[p(t|s_A)/p(t)], A the 1-based ``sources``."""
    n = n_sources(pmf)
    cols = [i - 1 for i in sources]
    p_t = marginal(pmf, [n])[(t,)]
    p_a = marginal(pmf, cols)
    p_at = marginal(pmf, [*cols, n])
    total = 0.0
    for key, p in p_at.items():
        if key[-1] != t:
            continue
        p_t_given_a = p / p_a[key[:-1]]
        total += (p / p_t) * math.log(p_t_given_a / p_t)
    return total


def imin_target_redundancy(pmf: Pmf, node: Node) -> dict:
    """min_{a∈α} I(T=t; S_a) for each target value t."""
    n = n_sources(pmf)
    return {t: min(specific_information(pmf, t, a) for a in node) for (t,) in marginal(pmf, [n])}


def imin_redundancy(pmf: Pmf, node: Node) -> float:
    """I_min(α) = Σ_t p(t) min_{a∈α} I(T=t; S_a)."""
    n = n_sources(pmf)
    p_t = marginal(pmf, [n])
    return sum(p_t[(t,)] * v for t, v in imin_target_redundancy(pmf, node).items())


def imin_atoms(pmf: Pmf) -> dict[Node, float]:
    nodes = antichains(n_sources(pmf))
    red = np.array([imin_redundancy(pmf, a) for a in nodes])
    return dict(zip(nodes, mobius_matrix(nodes) @ red, strict=True))


def imin_target_atoms(pmf: Pmf) -> dict:
    """{t: {node: atom}}: the Möbius inverse of the specific-information redundancy."""
    nodes = antichains(n_sources(pmf))
    mob = mobius_matrix(nodes)
    per = [imin_target_redundancy(pmf, a) for a in nodes]
    return {t: dict(zip(nodes, mob @ np.array([r[t] for r in per]), strict=True)) for t in per[0]}


# ----------------------------------------------------------------------------- BROJA


def broja(pmf: Pmf, seed: int = 0, starts: int = 3) -> dict[str, float]:
    """BROJA's atoms (nats) of a two-source pmf: min_{Q∈Δ_P} I_Q(T:S1|S2) by SLSQP over
    the full joint table [|S1|, |S2|, |T|] with the marginal equalities and 0 <= Q, from
    the product point and ``starts`` - 1 random feasible starts; the best run wins.
    Returns shared, unique1, unique2, synergy and the minimiser ``q`` (a pmf dict)."""
    vals = [sorted({o[i] for o in pmf}) for i in range(3)]
    shape = tuple(len(v) for v in vals)
    p = np.zeros(shape)
    for o, v in pmf.items():
        p[tuple(vals[i].index(o[i]) for i in range(3))] += v
    p13, p23 = p.sum(1), p.sum(0)
    rows, rhs = [], []
    for i in range(shape[0]):
        for t in range(shape[2]):
            a = np.zeros(shape)
            a[i, :, t] = 1
            rows.append(a.ravel())
            rhs.append(p13[i, t])
    for j in range(shape[1]):
        for t in range(shape[2]):
            a = np.zeros(shape)
            a[:, j, t] = 1
            rows.append(a.ravel())
            rhs.append(p23[j, t])
    # a cell whose (s1, t) or (s2, t) has no mass must stay empty (Q >= 0)
    for i, j, t in np.ndindex(shape):
        if p13[i, t] == 0 or p23[j, t] == 0:
            a = np.zeros(shape)
            a[i, j, t] = 1
            rows.append(a.ravel())
            rhs.append(0.0)
    a_eq, b_eq = np.array(rows), np.array(rhs)

    def cmi(x: np.ndarray) -> float:
        q = np.clip(x, 0, None).reshape(shape)
        q12, q2, q2t = q.sum(2), q.sum((0, 2)), q.sum(0)
        total = 0.0
        for i, j, t in np.ndindex(shape):
            if q[i, j, t] > 0:
                total += q[i, j, t] * math.log(q[i, j, t] * q2[j] / (q12[i, j] * q2t[j, t]))
        return total

    def grad(x: np.ndarray) -> np.ndarray:
        q = np.clip(x, 1e-300, None).reshape(shape)
        q12, q2, q2t = q.sum(2), q.sum((0, 2)), q.sum(0)
        g = np.log(q) + np.log(q2)[None, :, None] - np.log(q12)[:, :, None] - np.log(q2t)[None]
        return g.ravel()

    product = p13[:, None, :] * p23[None, :, :] / np.maximum(p.sum((0, 1)), 1e-300)
    x0 = product.ravel()
    # the marginal equalities are rank-deficient (both sets sum to P(t)): optimise over the
    # coordinates θ of their null space, x = x0 + N θ, under x >= 0 only
    null = scipy.linalg.null_space(a_eq)
    best = x0
    if null.shape[1]:
        rng = np.random.default_rng(seed)
        # only the cells a direction moves carry a constraint (a constant 0 >= 0 row
        # stalls SLSQP's subproblem)
        moves = np.abs(null).max(axis=1) > 1e-12
        sub = null[moves]
        for k in range(starts):
            theta0 = np.zeros(null.shape[1])
            if k:
                d = null @ rng.normal(size=null.shape[1])
                neg = d < 0
                step = 0.5 * np.min(-x0[neg] / d[neg]) if neg.any() else 1.0
                theta0 = step * (null.T @ d)
            res = scipy.optimize.minimize(
                lambda th: cmi(x0 + null @ th),
                theta0,
                jac=lambda th: null.T @ grad(x0 + null @ th),
                method="SLSQP",
                constraints=[
                    {"type": "ineq", "fun": lambda th: x0[moves] + sub @ th, "jac": lambda th: sub}
                ],
                options={"ftol": 1e-16, "maxiter": 5000},
            )
            x = np.clip(x0 + null @ res.x, 0, None)
            if np.max(np.abs(a_eq @ x - b_eq)) <= 1e-12 and cmi(x) < cmi(best):
                best = x
    q = best.reshape(shape)
    qdict = {
        (vals[0][i], vals[1][j], vals[2][t]): float(q[i, j, t])
        for i, j, t in np.ndindex(shape)
        if q[i, j, t] > 0
    }
    ui1 = conditional_mutual_information(qdict, [0], [2], [1])
    ui2 = conditional_mutual_information(qdict, [1], [2], [0])
    i1 = mutual_information(pmf, [0], [2])
    i12 = mutual_information(pmf, [0, 1], [2])
    shared = i1 - ui1
    return {
        "shared": shared,
        "unique1": ui1,
        "unique2": ui2,
        "synergy": i12 - shared - ui1 - ui2,
        "q": qdict,
    }
