"""The PID measures of softent.pid.decompose: I_min (Williams & Beer 2010) and BROJA
(Bertschinger et al. 2014), with the identities every measure (SxPID included) obeys.

Known answers: the two-source gates' closed forms in bits (XOR, AND, UNQ, RDN, COPY, SUM
and the noisy RndErr gate of the SxPID reference repository; Williams & Beer 2010,
Bertschinger et al. 2014, Griffith & Koch 2014 tabulate them). Random pmfs: I_min against
the plain loop-over-outcomes reference, BROJA against SciPy's SLSQP on the joint table
(tests/reference/pid_measures.py) and against the feasibility and optimality of the
distribution its solver returns. Identities for any pmf and measure: the atoms sum to
I(T:S), the atoms below each single source sum to I(T:S_i), and r̄, v̄ and Reing's
differences on the result equal their Shannon formulas."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from reference import pid_measures as ref
from softent.pid import MEASURES, decompose, lattice, unique_information

LOG2 = math.log(2)
H14 = -(0.25 * math.log2(0.25) + 0.75 * math.log2(0.75))  # h(1/4) = 0.8112781... bits

GATES = {
    "xor": {(0, 0, 0): 0.25, (0, 1, 1): 0.25, (1, 0, 1): 0.25, (1, 1, 0): 0.25},
    "and": {(0, 0, 0): 0.25, (0, 1, 0): 0.25, (1, 0, 0): 0.25, (1, 1, 1): 0.25},
    "unq": {(0, 0, 0): 0.25, (0, 1, 0): 0.25, (1, 0, 1): 0.25, (1, 1, 1): 0.25},
    "rdn": {(0, 0, 0): 0.5, (1, 1, 1): 0.5},
    "copy": {(a, b, (a, b)): 0.25 for a in (0, 1) for b in (0, 1)},
    "sum": {(a, b, a + b): 0.25 for a in (0, 1) for b in (0, 1)},
    # T = S1, S2 = S1 with probability 3/4 (demo_gates.py of the SxPID repository)
    "rnderr": {(0, 0, 0): 3 / 8, (1, 1, 1): 3 / 8, (0, 1, 0): 1 / 8, (1, 0, 1): 1 / 8},
}

# (shared {1}{2}, unique {1}, unique {2}, synergy {12}) in bits
IMIN_BITS = {
    "xor": (0.0, 0.0, 0.0, 1.0),
    "and": (H14 - 0.5, 0.0, 0.0, 0.5),
    "unq": (0.0, 1.0, 0.0, 0.0),
    "rdn": (1.0, 0.0, 0.0, 0.0),
    "copy": (1.0, 0.0, 0.0, 1.0),  # I_min's known flaw: COPY of independent bits
    "sum": (0.5, 0.0, 0.0, 1.0),
    "rnderr": (1.0 - H14, H14, 0.0, 0.0),
}
BROJA_BITS = {
    "xor": (0.0, 0.0, 0.0, 1.0),
    "and": (H14 - 0.5, 0.0, 0.0, 0.5),
    "unq": (0.0, 1.0, 0.0, 0.0),
    "rdn": (1.0, 0.0, 0.0, 0.0),
    "copy": (0.0, 1.0, 1.0, 0.0),  # independent sources share nothing under BROJA
    "sum": (0.5, 0.0, 0.0, 1.0),
    "rnderr": (1.0 - H14, H14, 0.0, 0.0),
}
ORDER = (((1,), (2,)), ((1,),), ((2,),), ((1, 2),))


def random_pmf(sizes, seed, zeros=0.0) -> dict:
    """{outcome: p} over the product of ``sizes`` (last: the target), Dirichlet(1) masses,
    about a fraction ``zeros`` of them emptied."""
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(int(np.prod(sizes))))
    if zeros:
        p[rng.random(p.size) < zeros] = 0.0
        p /= p.sum()
    return {
        tuple(int(i) for i in np.unravel_index(k, sizes)): float(v)
        for k, v in enumerate(p)
        if v > 0
    }


RANDOM = {
    "n1": ((3, 3), 1, 0.0),
    "n2": ((3, 2, 3), 2, 0.0),
    "n2_sparse": ((3, 3, 4), 3, 0.5),
    "n3": ((2, 3, 2, 3), 4, 0.0),
    "n3_sparse": ((3, 2, 2, 2), 5, 0.4),
    "n4": ((2, 2, 2, 2, 3), 6, 0.3),
}

# ----------------------------------------------------------------------------- gates


@pytest.mark.parametrize("gate", sorted(GATES))
def test_imin_on_the_gates_matches_the_closed_forms(gate):
    d = decompose(GATES[gate], measure="imin", base=2)
    got = [d.atoms[node] for node in ORDER]
    np.testing.assert_allclose(got, IMIN_BITS[gate], rtol=0, atol=1e-12)
    assert d.informative is None
    assert d.misinformative is None


@pytest.mark.parametrize("gate", sorted(GATES))
def test_broja_on_the_gates_matches_the_closed_forms(gate):
    d = decompose(GATES[gate], measure="broja", base=2)
    got = [d.atoms[node] for node in ORDER]
    np.testing.assert_allclose(got, BROJA_BITS[gate], rtol=0, atol=1e-12)
    u = unique_information(GATES[gate], base=2)
    assert u.gap <= 1e-12
    assert (u.shared, *u.unique, u.synergy) == pytest.approx(BROJA_BITS[gate], abs=1e-12)


def test_imin_per_target_on_and_is_the_specific_information():
    """AND: at t = 1 each source's specific information is 1 bit, all of it redundant;
    at t = 0 it is (2/3) log2(4/3) + (1/3) log2(2/3) for both."""
    d = decompose(GATES["and"], measure="imin", base=2, pointwise="target")
    pt = d.per_target
    assert pt.keys.tolist() == [0, 1]
    np.testing.assert_allclose(pt.probs, [0.75, 0.25])
    s0 = 2 / 3 * math.log2(4 / 3) + 1 / 3 * math.log2(2 / 3)
    lat = lattice(2)
    red = {0: [s0, s0, s0, math.log2(1 / 0.75)], 1: [1.0, 1.0, 1.0, 2.0]}
    for row, t in enumerate((0, 1)):
        np.testing.assert_allclose(pt.atoms[row], lat.mobius(red[t]), rtol=0, atol=1e-12)
    # the average over p(t) of the per-target atoms is the atoms
    avg = pt.probs @ pt.atoms
    np.testing.assert_allclose(avg, [d.atoms[node] for node in d.nodes], atol=1e-12)


# ----------------------------------------------------------------------------- I_min


@pytest.mark.parametrize("case", sorted(RANDOM))
def test_imin_equals_the_reference_on_random_pmfs(case):
    pmf = random_pmf(*RANDOM[case])
    d = decompose(pmf, measure="imin", pointwise="target")
    expected = ref.imin_atoms(pmf)
    assert set(d.atoms) == set(expected)
    for node, v in expected.items():
        assert d.atoms[node] == pytest.approx(v, abs=1e-12), node
    per_t = ref.imin_target_atoms(pmf)
    assert d.per_target.keys.tolist() == sorted(per_t)
    for row, t in enumerate(sorted(per_t)):
        for j, node in enumerate(d.nodes):
            assert d.per_target.atoms[row, j] == pytest.approx(per_t[t][node], abs=1e-12)


def test_imin_five_sources_on_sampled_nodes():
    """n = 5: the redundancy I_∩(α) = Σ_{β ≼ α} π(β) at sampled nodes equals the
    reference's I_min(α) (no dense 7579² inverse in the reference)."""
    pmf = random_pmf((2, 2, 2, 2, 2, 3), 7, 0.5)
    d = decompose(pmf, measure="imin")
    lat = lattice(5)
    rng = np.random.default_rng(7)
    for k in rng.choice(len(lat), 25, replace=False):
        alpha = lat.nodes[k]
        total = sum(d.atoms[b] for b in lat.down_set(alpha))
        assert total == pytest.approx(ref.imin_redundancy(pmf, alpha), abs=1e-12)


def test_imin_refuses_the_per_outcome_mode():
    with pytest.raises(ValueError, match=r"softent\.pid\.decompose: pointwise must be .*imin"):
        decompose(GATES["xor"], measure="imin", pointwise=True)


# ----------------------------------------------------------------------------- BROJA

BROJA_CASES = {
    "222": ((2, 2, 2), 11, 0.0),
    "222_sparse": ((2, 2, 2), 12, 0.4),
    "323": ((3, 2, 3), 13, 0.0),
    "333_sparse": ((3, 3, 3), 14, 0.4),
    "243": ((2, 4, 3), 15, 0.2),
}


@pytest.mark.parametrize("case", sorted(BROJA_CASES))
def test_broja_equals_the_slsqp_reference(case):
    pmf = random_pmf(*BROJA_CASES[case])
    expected = ref.broja(pmf)
    u = unique_information(pmf)
    assert u.gap <= 1e-12
    got = {"shared": u.shared, "unique1": u.unique[0], "unique2": u.unique[1]}
    got["synergy"] = u.synergy
    for key, v in got.items():
        assert v == pytest.approx(expected[key], abs=1e-9), key
    # a minimum: never above what a general-purpose solver found
    assert u.unique[0] <= expected["unique1"] + 1e-12
    d = decompose(pmf, measure="broja")
    assert [d.atoms[n] for n in ORDER] == pytest.approx([u.shared, *u.unique, u.synergy], abs=1e-15)


@pytest.mark.parametrize("case", sorted(BROJA_CASES))
def test_broja_optimum_is_feasible_and_attains_the_unique_information(case):
    pmf = random_pmf(*BROJA_CASES[case])
    u = unique_information(pmf)
    q = {
        tuple(int(c) for c in row): float(p)
        for row, p in zip(u.optimum.codes, u.optimum.probs, strict=True)
    }
    # the input's codes are its values here (0 .. K-1 present in each column)
    for cols in ([0, 2], [1, 2]):
        want, have = ref.marginal(pmf, cols), ref.marginal(q, cols)
        assert set(have) <= set(want)
        for key, p in want.items():
            assert have.get(key, 0.0) == pytest.approx(p, abs=1e-13)
    assert ref.conditional_mutual_information(q, [0], [2], [1]) == pytest.approx(
        u.unique[0], abs=1e-12
    )
    assert ref.conditional_mutual_information(q, [1], [2], [0]) == pytest.approx(
        u.unique[1], abs=1e-12
    )
    # and no feasible point does better: random points of Δ_P (mixtures of P and Q*)
    for lam in (0.0, 0.3, 0.7):
        mix = {k: lam * pmf.get(k, 0.0) + (1 - lam) * q.get(k, 0.0) for k in set(pmf) | set(q)}
        mix = {k: v for k, v in mix.items() if v > 0}
        assert ref.conditional_mutual_information(mix, [0], [2], [1]) >= u.unique[0] - 1e-12


def test_broja_is_symmetric_in_the_sources_and_non_negative():
    pmf = random_pmf((3, 2, 3), 21, 0.2)
    swapped = {(s2, s1, t): p for (s1, s2, t), p in pmf.items()}
    a, b = unique_information(pmf), unique_information(swapped)
    assert a.unique == pytest.approx(b.unique[::-1], abs=1e-12)
    assert a.shared == pytest.approx(b.shared, abs=1e-12)
    assert a.synergy == pytest.approx(b.synergy, abs=1e-12)
    for v in (a.shared, *a.unique, a.synergy):
        assert v >= -a.gap - 1e-15


def test_broja_units_and_result_form():
    pmf = random_pmf((3, 3, 2), 22)
    nats, bits = unique_information(pmf), unique_information(pmf, base=2)
    assert bits.unit == "bits"
    assert nats.unit == "nats"
    assert bits.shared == pytest.approx(nats.shared / LOG2, abs=1e-14)
    assert bits.unique == pytest.approx(tuple(v / LOG2 for v in nats.unique), abs=1e-14)
    assert bits.mutual_information == pytest.approx(
        ref.mutual_information(pmf, [0, 1], [2]) / LOG2, abs=1e-13
    )
    total = bits.shared + sum(bits.unique) + bits.synergy
    assert total == pytest.approx(bits.mutual_information, abs=1e-13)
    json.dumps(bits.as_dict())
    assert "UniqueInformation(" in repr(bits)
    assert "\n" not in repr(bits)


def test_broja_constant_target_and_single_outcome_sources():
    zero = unique_information({(0, 0, 0): 0.25, (0, 1, 0): 0.25, (1, 0, 0): 0.5})
    assert (zero.shared, *zero.unique, zero.synergy) == pytest.approx((0, 0, 0, 0), abs=1e-12)
    one = unique_information({(0, 0, 0): 0.5, (0, 0, 1): 0.5})
    assert (one.shared, *one.unique, one.synergy) == pytest.approx((0, 0, 0, 0), abs=1e-12)


@pytest.mark.parametrize("n", [1, 3])
def test_broja_refuses_other_than_two_sources(n):
    pmf = random_pmf((2,) * (n + 1), 30)
    with pytest.raises(ValueError, match=r"softent\.pid\.decompose: sources must be two sources"):
        decompose(pmf, measure="broja")
    with pytest.raises(ValueError, match=r"softent\.pid\.unique_information: sources must be"):
        unique_information(pmf)


@pytest.mark.parametrize("pointwise", [True, "target"])
def test_broja_refuses_pointwise_modes(pointwise):
    with pytest.raises(ValueError, match=r"softent\.pid\.decompose: pointwise must be False"):
        decompose(GATES["and"], measure="broja", pointwise=pointwise)


def test_broja_refuses_alphabets_too_large_for_its_solver():
    rng = np.random.default_rng(0)
    s1, s2, t = rng.integers(0, 20, 5000), rng.integers(0, 20, 5000), rng.integers(0, 8, 5000)
    with pytest.raises(ValueError, match=r"sources must be alphabets small enough"):
        unique_information([s1, s2], t)


# ----------------------------------------------------------------------------- identities


def _identity_cases():
    for measure in MEASURES:
        for case, (sizes, _, _) in RANDOM.items():
            n = len(sizes) - 1
            if measure == "broja" and n != 2:
                continue
            yield measure, case


@pytest.mark.parametrize(("measure", "case"), list(_identity_cases()))
def test_shannon_identities_of_every_measure(measure, case):
    pmf = random_pmf(*RANDOM[case])
    n = len(next(iter(pmf))) - 1
    d = decompose(pmf, measure=measure)
    mi = ref.mutual_information(pmf, range(n), [n])
    assert sum(d.atoms.values()) == pytest.approx(mi, abs=1e-12)
    assert d.mutual_information == pytest.approx(mi, abs=1e-12)
    lat = lattice(n)
    for i in range(1, n + 1):
        below_i = sum(d.atoms[b] for b in lat.down_set(((i,),)))
        assert below_i == pytest.approx(ref.mutual_information(pmf, [i - 1], [n]), abs=1e-12)
    assert d.redundancy_degree == pytest.approx(ref.redundancy_degree(pmf), abs=1e-11)
    assert d.vulnerability_degree == pytest.approx(ref.vulnerability_degree(pmf), abs=1e-11)
    expected = ref.reing_differences(pmf)
    assert d.reing_differences == pytest.approx(expected, abs=1e-12)
    # complexity from the degree atoms, as nninfo defines it
    c = sum(m * v for m, v in d.degree_atoms.items()) / sum(d.atoms.values())
    assert d.complexity == pytest.approx(c, abs=1e-12)


@pytest.mark.parametrize("measure", sorted(MEASURES))
def test_bits_are_nats_over_ln2(measure):
    pmf = random_pmf((2, 3, 3), 40)
    nats, bits = decompose(pmf, measure=measure), decompose(pmf, measure=measure, base=2)
    for node in nats.nodes:
        assert bits.atoms[node] == pytest.approx(nats.atoms[node] / LOG2, abs=1e-13)
    assert bits.complexity == pytest.approx(nats.complexity, abs=1e-12)
