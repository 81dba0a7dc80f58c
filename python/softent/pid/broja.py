"""BROJA: the unique information of two sources (Bertschinger, Rauh, Olbrich, Jost & Ay
2014, "Quantifying unique information", Entropy 16, 2161; eq. 3 and Lemma 4),

    UI(T : S1 \\ S2) = min_{Q ∈ Δ_P} I_Q(T : S1 | S2),
    Δ_P = {Q : Q(s1, t) = P(s1, t), Q(s2, t) = P(s2, t)},

and SI = I(T:S1) - UI(T:S1\\S2), UI(T:S2\\S1) = I(T:S2) - SI, CI = I(T:S1,S2) - UI1 - UI2
- SI. On Δ_P, I_Q(T:S1|S2) = H_P(T|S2) - H_Q(T|S1,S2), so one optimum Q* (the maximiser
of the concave H_Q(T|S1,S2)) gives every atom.

The solver: Q lives on the cells (s1, s2, t) with P(s1, t) > 0 and P(s2, t) > 0; for each t
the cells form an r_t × c_t table with fixed row and column sums (a transportation
polytope), parametrised as Q = Q0 + N θ with Q0 = P(s1,t) P(s2,t) / P(t) (strictly inside)
and N an orthonormal (Helmert ⊗ Helmert) basis of each table's null space. Newton's method
on the log-barrier problem min τ f(Q) - Σ ln Q, f(Q) = -H_Q(T|S1,S2) = Σ Q ln(Q / Q(s1,s2)),
with its exact gradient and Hessian, follows the central path τ → ∞ (Boyd & Vandenberghe,
*Convex Optimization*, §11.3). Each centre yields a point of the Lagrange dual

    max_ν Σ P(s1,t) ν1(s1,t) + Σ P(s2,t) ν2(s2,t)
    s.t. Σ_t exp(ν1(s1,t) + ν2(s2,t)) <= 1 for every pair (s1, s2)

(f is a sum of 1-homogeneous terms per pair, whose conjugates are the indicators of
these constraints), hence a certified gap f(Q) - dual >= f(Q) - f(Q*) >= 0; the path is
followed until that gap is below 1e-13 nats (``gap`` on the result). Every atom's error
is at most the gap.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg
import scipy.sparse

from .._checks import check_base, fail
from ..discrete import unit_name
from .lattice import Lattice
from .pmf import Pmf, _canonical_rows, from_samples, from_table
from .redundancy import Redundancies, Redundancy

_API = "pid.decompose"

#: the most free parameters Σ_t (r_t - 1)(c_t - 1) the dense Newton solver takes
#: (a Newton step costs about cells · parameters² flops)
MAX_FREE = 2000

#: the certified duality gap (nats) at which the central path is left
_GAP = 1e-13
#: a larger gap at the end of the path is an error, not a result
_REQUIRED = 1e-9


@functools.cache
def _helmert(r: int) -> np.ndarray:
    """[r, r - 1] orthonormal columns orthogonal to the all-ones vector."""
    h = np.zeros((r, r - 1))
    for k in range(1, r):
        h[:k, k - 1] = 1.0 / math.sqrt(k * (k + 1))
        h[k, k - 1] = -k / math.sqrt(k * (k + 1))
    return h


@dataclass(frozen=True)
class _Problem:
    """The cells of Δ_P and their structure (all [D] unless said)."""

    cell_t: np.ndarray  # target code of each cell
    i1: np.ndarray  # index of its (s1, t) constraint, 0 .. R1 - 1
    i2: np.ndarray  # index of its (s2, t) constraint, 0 .. R2 - 1
    pair: np.ndarray  # index of its (s1, s2) pair, 0 .. n_pairs - 1
    n_pairs: int
    p13: np.ndarray  # [R1] P(s1, t)
    p23: np.ndarray  # [R2] P(s2, t)
    s1: np.ndarray  # [R1] the s1 code of each (s1, t) constraint
    s2: np.ndarray  # [R2]
    q0: np.ndarray  # the product point P(s1,t) P(s2,t) / P(t)
    t1: np.ndarray  # [R1] the t of each (s1, t) constraint
    free: np.ndarray  # indices of the cells in tables with a null space (r_t, c_t >= 2)
    free_blocks: tuple[tuple[int, int], ...]  # the cell ranges [lo, hi) of those tables
    free_rows: tuple[tuple[int, int], ...]  # their ranges among the free cells
    free_cols: tuple[tuple[int, int], ...]  # their columns of the basis
    basis: scipy.sparse.csr_matrix  # [len(free), m] orthonormal null-space basis there
    block_bases: tuple[np.ndarray, ...]  # its dense diagonal blocks, one per table


def _marginal(codes: np.ndarray, probs: np.ndarray, col: int, sizes: tuple[int, ...]) -> Any:
    """The (s, t) pairs present, sorted by t then s: (s [R], t [R], P(s, t) [R])."""
    n_t = sizes[-1]
    key = codes[:, -1] * sizes[col] + codes[:, col]
    uniq, inverse = np.unique(key, return_inverse=True)
    mass = np.bincount(inverse.reshape(-1), weights=probs)
    return uniq % sizes[col], uniq // sizes[col], mass, n_t


def _problem(pmf: Pmf, api: str) -> _Problem:
    codes, probs, sizes = pmf.codes, pmf.probs, pmf.sizes
    s1, t1, p13, n_t = _marginal(codes, probs, 0, sizes)
    s2, t2, p23, _ = _marginal(codes, probs, 1, sizes)
    r = np.bincount(t1, minlength=n_t)
    c = np.bincount(t2, minlength=n_t)
    m_t = (r - 1) * (c - 1)
    m = int(m_t.sum())
    if m > MAX_FREE:
        fail(
            api,
            "sources",
            f"alphabets small enough for BROJA's dense solver (at most {MAX_FREE} free "
            "parameters Σ_t (|S1 given t| - 1)(|S2 given t| - 1))",
            f"{m} free parameters",
        )
    start1 = np.concatenate([[0], np.cumsum(r)[:-1]])
    start2 = np.concatenate([[0], np.cumsum(c)[:-1]])
    per_t = r * c
    cell_t = np.repeat(np.arange(n_t), per_t)
    within = np.arange(cell_t.size) - np.repeat(np.cumsum(per_t) - per_t, per_t)
    i1 = start1[cell_t] + within // c[cell_t]
    i2 = start2[cell_t] + within % c[cell_t]
    p_t = np.bincount(t1, weights=p13, minlength=n_t)
    q0 = p13[i1] * p23[i2] / p_t[cell_t]
    pair = np.unique(s1[i1] * sizes[1] + s2[i2], return_inverse=True)[1].reshape(-1)
    free_t = np.flatnonzero(m_t > 0)
    free = np.flatnonzero(m_t[cell_t] > 0)
    rows, cols, block_bases = [], [], []
    row = col = 0
    for t in free_t:
        block = np.kron(_helmert(int(r[t])), _helmert(int(c[t])))
        block_bases.append(block)
        rows.append((row, row + block.shape[0]))
        cols.append((col, col + block.shape[1]))
        row += block.shape[0]
        col += block.shape[1]
    # block diagonal: sparse, so no dense cells × parameters matrix is ever built
    basis = scipy.sparse.block_diag(block_bases, format="csr") if block_bases else None
    ends = np.cumsum(per_t)
    blocks = tuple((int(ends[t] - per_t[t]), int(ends[t])) for t in free_t)
    return _Problem(
        cell_t,
        i1,
        i2,
        pair,
        int(pair.max()) + 1,
        p13,
        p23,
        s1,
        s2,
        q0,
        t1,
        free,
        blocks,
        tuple(rows),
        tuple(cols),
        basis,
        tuple(block_bases),
    )


def _pair_mass(pr: _Problem, q: np.ndarray) -> np.ndarray:
    return np.bincount(pr.pair, weights=q, minlength=pr.n_pairs)


def _objective(pr: _Problem, q: np.ndarray) -> float:
    """f(Q) = Σ Q ln(Q / Q(s1, s2)) = -H_Q(T | S1, S2), nats (0 ln 0 = 0)."""
    qp = _pair_mass(pr, q)[pr.pair]
    pos = q > 0
    return float(np.sum(q[pos] * np.log(q[pos] / qp[pos])))


def _dual(pr: _Problem, z: np.ndarray, weight: np.ndarray) -> float:
    """A lower bound on min f: the dual objective at the ν whose y = ν1(s1,t) + ν2(s2,t)
    fits ``z`` [D] in each t table, by least squares weighted by ``weight`` [D] (the
    cells of the optimum's support fit exactly, those it leaves empty take the rest of the
    misfit: by complementary slackness the dual only needs y = ln Q*(t | s1, s2) where Q* >
    0), shifted down until every pair's constraint Σ_t exp(y) <= 1 holds."""
    n1, n2 = pr.p13.size, pr.p23.size
    n_t = int(pr.cell_t.max()) + 1
    # tables without free cells (one row or one column) fit any z exactly by the
    # additive two-way fit: row means + column means - grand mean
    row = np.bincount(pr.i1, weights=z, minlength=n1) / np.bincount(pr.i1, minlength=n1)
    col = np.bincount(pr.i2, weights=z, minlength=n2) / np.bincount(pr.i2, minlength=n2)
    grand = np.bincount(pr.cell_t, weights=z, minlength=n_t) / np.bincount(pr.cell_t)
    nu1 = row - grand[pr.t1]
    nu2 = col.copy()
    for lo, hi in pr.free_blocks:
        i1, i2 = pr.i1[lo:hi], pr.i2[lo:hi]
        a0, b0 = int(i1.min()), int(i2.min())
        r, c = int(i1.max()) - a0 + 1, int(i2.max()) - b0 + 1
        design = np.zeros((hi - lo, r + c))
        design[np.arange(hi - lo), i1 - a0] = 1.0
        design[np.arange(hi - lo), r + i2 - b0] = 1.0
        sw = np.sqrt(weight[lo:hi] / weight[lo:hi].max())
        sol = np.linalg.lstsq(design * sw[:, None], z[lo:hi] * sw, rcond=None)[0]
        nu1[a0 : a0 + r] = sol[:r]
        nu2[b0 : b0 + c] = sol[r:]
    y = nu1[pr.i1] + nu2[pr.i2]
    top = np.full(pr.n_pairs, -np.inf)
    np.maximum.at(top, pr.pair, y)
    lse = top + np.log(np.bincount(pr.pair, weights=np.exp(y - top[pr.pair])))
    shift = max(float(lse.max()), 0.0)
    return float(pr.p13 @ nu1 + pr.p23 @ nu2) - shift


@dataclass(frozen=True)
class _Optimum:
    q: np.ndarray  # [D] Q* on the cells
    f: float  # f(Q*) = -H_Q*(T | S1, S2), nats
    gap: float  # certified f(Q*) - min f, nats
    newton_steps: int


def _slope(pr: _Problem, q: np.ndarray, dq: np.ndarray, s: float, tau: float) -> float:
    """d/ds of the barrier objective τ f(q) - Σ ln q along q + s dq (dq on the free cells):
    exact from the gradient, where the objective's own values lose the digits a step
    changes once τ f is large."""
    trial = q.copy()
    trial[pr.free] += s * dq
    qf = trial[pr.free]
    qp = _pair_mass(pr, trial)[pr.pair[pr.free]]
    return float(dq @ (tau * np.log(qf / qp) - 1.0 / qf))


def _newton(pr: _Problem, q: np.ndarray, tau: float, bn: Any, fpairs: np.ndarray) -> Any:
    """(step in null coordinates, Newton decrement²) of τ f - Σ ln q at q: the Hessian is
    block diagonal over the t tables (diag(τ/q + 1/q²) on each table's basis) minus the
    pair-coupling term τ (B N)ᵀ diag(1/Q(s1,s2)) (B N)."""
    free, basis = pr.free, pr.basis
    qp = _pair_mass(pr, q)
    qf = q[free]
    g = basis.T @ (tau * np.log(qf / qp[pr.pair[free]]) - 1.0 / qf)
    w = tau / qf + 1.0 / qf**2
    if isinstance(bn, np.ndarray):
        h = -tau * (bn.T / qp[fpairs]) @ bn
    else:
        h = -tau * (bn.T @ scipy.sparse.diags(1.0 / qp[fpairs]) @ bn).toarray()
    for nb, (lo, hi), (c0, c1) in zip(pr.block_bases, pr.free_rows, pr.free_cols, strict=True):
        h[c0:c1, c0:c1] += (nb.T * w[lo:hi]) @ nb
    try:
        step = -scipy.linalg.cho_solve(scipy.linalg.cho_factor(h), g)
    except np.linalg.LinAlgError:  # not positive definite in floating point
        step = -np.linalg.lstsq(h, g, rcond=None)[0]
    return step, float(-g @ step)


def _solve(pr: _Problem) -> _Optimum:
    """Follow the central path of min τ f - Σ ln q (τ × 10 per stage) until the certified
    duality gap is below ``_GAP`` nats."""
    q = pr.q0.copy()
    if pr.basis is None:  # Δ_P is the single point P
        return _Optimum(q, _objective(pr, q), 0.0, 0)
    free, basis = pr.free, pr.basis
    # pairs that hold a free cell, and the sum of the basis rows of each pair's free cells
    fpairs, fpair = np.unique(pr.pair[free], return_inverse=True)
    fpair = fpair.reshape(-1)
    to_pairs = scipy.sparse.csr_matrix(
        (np.ones(free.size), (fpair, np.arange(free.size))), shape=(fpairs.size, free.size)
    )
    bn = (to_pairs @ basis).tocsr()  # constant: the pair sums of the directions
    if bn.nnz > 0.1 * bn.shape[0] * bn.shape[1]:
        bn = bn.toarray()  # a pair with cells in most tables: dense products are faster
    tau = float(free.size)  # the first centre's gap, about cells / τ, is then ~1 nat
    steps = 0
    best_q, best_f, lower = q.copy(), _objective(pr, q), -math.inf
    previous = None
    for _ in range(40):
        if previous is not None:
            # predictor: the central path is about Q* + c/τ, so the centre at 10τ is near
            # q + (q - q_previous) / 10 (exact for the cells that vanish like 1/τ)
            dq = (q[free] - previous) / 10.0
            shrink = dq < 0
            s = 1.0
            if shrink.any():
                s = min(1.0, 0.9 * float(np.min(-q[free][shrink] / dq[shrink])))
            previous = q[free].copy()
            q[free] += s * dq
        else:
            previous = q[free].copy()
        least, stalled = math.inf, 0
        for _ in range(100):  # centring: Newton with a line search on the slope
            step, dec = _newton(pr, q, tau, bn, fpairs)
            steps += 1
            # stop at the centre, or where rounding (of τ f's gradient at large τ) keeps
            # the decrement from falling any further
            if not dec > 1e-13:  # also stops on a NaN decrement
                break
            stalled = stalled + 1 if dec < 1e-6 and dec > 0.5 * least else 0
            least = min(least, dec)
            if stalled >= 4:
                break
            dq = basis @ step
            qf = q[free]
            shrink = dq < 0
            s = 1.0 if dec < 0.0625 else 1.0 / (1.0 + math.sqrt(dec))  # damped Newton
            if shrink.any():
                s = min(s, 0.99 * float(np.min(-qf[shrink] / dq[shrink])))
            # the barrier objective is convex along the ray, with slope -dec at 0: a slope at
            # s below dec / 2 means it decreased (exactly so for its quadratic model)
            for _ in range(60):
                if _slope(pr, q, dq, s, tau) <= 0.5 * dec:
                    break
                s *= 0.5
            q[free] = qf + s * dq
        qf = q[free]
        # two dual points: the central path's (ν with y = ln Q(t|s1,s2) - 1/(τ Q) on the
        # free cells) and complementary slackness's limit (y = ln Q(t|s1,s2)); any dual
        # point bounds min f from below, so the best bound of every stage is kept
        z = np.log(q / _pair_mass(pr, q)[pr.pair])
        lower = max(lower, _dual(pr, z, q))
        z[free] -= 1.0 / (tau * qf)
        lower = max(lower, _dual(pr, z, q))
        f = _objective(pr, q)
        if f < best_f:
            best_q, best_f = q.copy(), f
        if best_f - lower <= _GAP or tau > 1e18:
            break
        tau *= 10.0
    return _Optimum(best_q, best_f, max(best_f - lower, 0.0), steps)


@dataclass(frozen=True, repr=False)
class UniqueInformation:
    """BROJA's decomposition of I(T : S1, S2) (Bertschinger et al. 2014), in units of
    ``base`` (nats by default).

    ``unique`` (UI(T:S1\\S2), UI(T:S2\\S1)); ``shared`` SI; ``synergy`` CI;
    ``mutual_information`` I(T:S1,S2) = SI + UI1 + UI2 + CI; ``source_information``
    (I(T:S1), I(T:S2)); ``gap`` the certified duality gap of the optimum (the error bound
    of every atom: the unique values are at most ``gap`` above the true minimum, shared and
    synergy at most ``gap`` below); ``optimum`` the minimiser Q* as a :class:`Pmf` (codes
    as the input pmf's); ``newton_steps`` the solver's work.
    """

    base: float
    unique: tuple[float, float]
    shared: float
    synergy: float
    mutual_information: float
    source_information: tuple[float, float]
    gap: float
    optimum: Pmf
    newton_steps: int

    @property
    def unit(self) -> str:
        """'nats', 'bits', ..."""
        return unit_name(self.base)

    def __repr__(self) -> str:
        u1, u2 = self.unique
        return (
            f"UniqueInformation(unique=({u1:.6g}, {u2:.6g}), shared={self.shared:.6g}, "
            f"synergy={self.synergy:.6g}, gap={self.gap:.2g} {self.unit})"
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (the optimum as its outcomes and probabilities)."""
        return {
            "base": self.base,
            "unit": self.unit,
            "unique": list(self.unique),
            "shared": self.shared,
            "synergy": self.synergy,
            "mutual_information": self.mutual_information,
            "source_information": list(self.source_information),
            "gap": self.gap,
            "optimum": {
                "outcomes": self.optimum.codes.tolist(),
                "probs": self.optimum.probs.tolist(),
            },
            "newton_steps": self.newton_steps,
        }


def _decompose(pmf: Pmf, api: str) -> tuple[dict[str, float], _Optimum, Pmf]:
    """(SI, UI1, UI2, CI, I, I1, I2 in nats; the optimum; Q* as a Pmf) of a two-source pmf."""
    if pmf.n_sources != 2:
        fail(
            api,
            "sources",
            "two sources for measure='broja' (BROJA is defined for n = 2; use 'sx' or "
            "'imin' for more)",
            f"{pmf.n_sources} sources",
        )
    pr = _problem(pmf, api)
    opt = _solve(pr)
    if not opt.gap <= _REQUIRED:
        raise RuntimeError(
            f"softent.{api}: BROJA's solver stopped at a certified duality gap of "
            f"{opt.gap:.3g} nats, above the {_REQUIRED:g} it guarantees (please report the pmf)"
        )
    h_t = pmf.entropy([2])
    h_t1 = pmf.entropy([0, 2]) - pmf.entropy([0])
    h_t2 = pmf.entropy([1, 2]) - pmf.entropy([1])
    h_t12 = pmf.entropy([0, 1, 2]) - pmf.entropy([0, 1])
    ui1 = h_t2 + opt.f
    ui2 = h_t1 + opt.f
    i1, i2, i12 = h_t - h_t1, h_t - h_t2, h_t - h_t12
    values = {
        "shared": i1 - ui1,
        "unique1": ui1,
        "unique2": ui2,
        "synergy": i12 - (h_t + opt.f),
        "mi": i12,
        "mi1": i1,
        "mi2": i2,
    }
    keep = opt.q > 0
    codes = np.stack([pr.s1[pr.i1], pr.s2[pr.i2], pr.cell_t], axis=1)[keep]
    qc, qp = _canonical_rows(codes, opt.q[keep] / opt.q[keep].sum())
    q_pmf = Pmf(qc, qp, pmf.sizes, pmf.values, None)
    return values, opt, q_pmf


def unique_information(
    sources: Any, target: Any = None, *, base: float = math.e
) -> UniqueInformation:
    """BROJA's unique, shared and synergistic information of two sources about a target
    (Bertschinger et al. 2014), with the certified optimality gap of its solver.

    ``sources``: a list of two code arrays ([N] or [N, m]) with ``target`` [N] codes (the
    plug-in pmf of the samples), or, with ``target`` None, a two-source pmf (a dict
    ``{(s1, s2, t): p}``, an array [|S1|, |S2|, |T|], a dit Distribution or a
    :class:`Pmf`), as :func:`softent.pid.decompose` takes them. ``base``: 2 for bits, e
    (nats) by default. The same numbers as ``decompose(..., measure="broja")``.
    """
    api = "pid.unique_information"
    b = check_base(api, base)
    pmf = from_table(sources, api) if target is None else from_samples(sources, target, api)
    v, opt, q_pmf = _decompose(pmf, api)
    scale = 1.0 / math.log(b)
    return UniqueInformation(
        base=b,
        unique=(v["unique1"] * scale, v["unique2"] * scale),
        shared=v["shared"] * scale,
        synergy=v["synergy"] * scale,
        mutual_information=v["mi"] * scale,
        source_information=(v["mi1"] * scale, v["mi2"] * scale),
        gap=opt.gap * scale,
        optimum=q_pmf,
        newton_steps=opt.newton_steps,
    )


def redundancy(
    pmf: Pmf, lattice: Lattice, *, target: bool, outcome: bool, num_threads: int
) -> Redundancies:
    """BROJA's redundancy function on the two-source lattice (nats): I_∩({1}{2}) = SI,
    I_∩({1}) = I(T:S1), I_∩({2}) = I(T:S2), I_∩({12}) = I(T:S1,S2)."""
    del num_threads
    if target or outcome:
        fail(
            _API,
            "pointwise",
            "False for measure='broja' (BROJA is an optimum over distributions: it has "
            "no per-target or per-outcome form)",
            repr("target" if target else True),
        )
    v, _, _ = _decompose(pmf, _API)
    value = np.zeros(len(lattice))
    for node, x in (
        (((1,), (2,)), v["shared"]),
        (((1,),), v["mi1"]),
        (((2,),), v["mi2"]),
        (((1, 2),), v["mi"]),
    ):
        value[lattice.index[node]] = x
    return Redundancies(Redundancy(value))
