"""SxPID (softent.pid.decompose, measure="sx") against known answers and a plain
reference.

Known answers: the pointwise truth tables of the reference package's gate tests (Abzinger/
SxPID, testing/test_gates.py, every active test: the two-source gates XOR, AND, UNQ, RND,
COPY, (S1, XOR), (S2, XOR), PwUnq, RndErr, RndUnqXor, SUM, ReducedOr, RndXor and Williams &
Beer's examples A, B, C; the three-source TriHash, TriRnd, DblXor and XorCopy),
transcribed below in that file's lattice order and checked at 1e-12 bits through the public
decompose(..., base=2, pointwise=True). The file's XorDup, XorLoss, AndDup and XorMultiCoal
tests are commented out there and carry one placeholder table for all four (not their
values); XorDup (T = S1 xor S2, S3 = S1) is checked against the reference instead.

Reference: tests/reference/pid_sx.py (the union probabilities summed over all outcomes, as
the reference package's probu_one_rlz; its own antichains and Möbius inversion).
"""

from __future__ import annotations

import math
from fractions import Fraction
from itertools import product

import numpy as np
import pytest
from cases import CUDA_READY
from reference import pid_sx as ref
from softent import pid

#: the lattice orders of testing/test_gates.py ("old lattice order")
ORDER = {
    2: [((1,),), ((2,),), ((1, 2),), ((1,), (2,))],
    3: [
        ((1,),),
        ((2,),),
        ((3,),),
        ((1, 2),),
        ((1, 3),),
        ((2, 3),),
        ((1, 2, 3),),
        ((1,), (2,)),
        ((1,), (3,)),
        ((1,), (2, 3)),
        ((2,), (3,)),
        ((2,), (1, 3)),
        ((3,), (1, 2)),
        ((1, 2), (1, 3)),
        ((1, 2), (2, 3)),
        ((1, 3), (2, 3)),
        ((1,), (2,), (3,)),
        ((1, 2), (1, 3), (2, 3)),
    ],
}

#: RndUnqXor: S1 = (r, a, x1), S2 = (r, b, x2), T = (r, a, b, x1 xor x2), all 32 equally likely
_RND_UNQ_XOR = {
    ((r, a, x1), (r, b, x2), (r, a, b, x1 ^ x2)): "1/32"
    for r, a, b, x1, x2 in product("rR", "aA", "bB", (0, 1), (0, 1))
}
#: RndXor: S1 = (r, x1), S2 = (r, x2), T = (r, x1 xor x2)
_RND_XOR = {((r, x1), (r, x2), (r, x1 ^ x2)): "1/8" for r, x1, x2 in product("rR", (0, 1), (0, 1))}

#: name: (n, pmf {outcome: p}, pointwise atoms in bits {outcome or 'all': 2^atom per node of
#: ORDER[n]}), from testing/test_gates.py (values written log2(x) there, x here)
GATES = {
    "xor": (
        2,
        {(0, 0, 0): "1/4", (0, 1, 1): "1/4", (1, 0, 1): "1/4", (1, 1, 0): "1/4"},
        {"all": ("3/2", "3/2", "4/3", "2/3")},
    ),
    "and": (
        2,
        {(0, 0, 0): "1/4", (0, 1, 0): "1/4", (1, 0, 0): "1/4", (1, 1, 1): "1/4"},
        {
            (0, 0, 0): ("1", "1", "1", "4/3"),
            (0, 1, 0): ("3/2", "3/4", "4/3", "8/9"),
            (1, 0, 0): ("3/4", "3/2", "4/3", "8/9"),
            (1, 1, 1): ("3/2", "3/2", "4/3", "4/3"),
        },
    ),
    "unq": (
        2,
        {(0, 0, 0): "1/4", (0, 1, 0): "1/4", (1, 0, 1): "1/4", (1, 1, 1): "1/4"},
        {"all": ("3/2", "3/4", "4/3", "4/3")},
    ),
    "rnd": (
        2,
        {(0, 0, 0): "1/2", (1, 1, 1): "1/2"},
        {"all": ("1", "1", "1", "2")},
    ),
    "copy": (
        2,
        {
            (0, 0, (0, 0)): "1/4",
            (0, 1, (0, 1)): "1/4",
            (1, 0, (1, 0)): "1/4",
            (1, 1, (1, 1)): "1/4",
        },
        {"all": ("3/2", "3/2", "4/3", "4/3")},
    ),
    "s1xor": (
        2,
        {
            (0, 0, (0, 0)): "1/4",
            (0, 1, (0, 1)): "1/4",
            (1, 0, (1, 1)): "1/4",
            (1, 1, (1, 0)): "1/4",
        },
        {"all": ("3/2", "3/2", "4/3", "4/3")},
    ),
    "s2xor": (
        2,
        {
            (0, 0, (0, 0)): "1/4",
            (0, 1, (1, 1)): "1/4",
            (1, 0, (0, 1)): "1/4",
            (1, 1, (1, 0)): "1/4",
        },
        {"all": ("3/2", "3/2", "4/3", "4/3")},
    ),
    "pwunq": (
        2,
        {(0, 1, 1): "1/4", (1, 0, 1): "1/4", (0, 2, 2): "1/4", (2, 0, 2): "1/4"},
        {
            (0, 1, 1): ("1", "2", "1", "1"),
            (1, 0, 1): ("2", "1", "1", "1"),
            (0, 2, 2): ("1", "2", "1", "1"),
            (2, 0, 2): ("2", "1", "1", "1"),
        },
    ),
    "rnderr": (
        2,
        {(0, 0, 0): "3/8", (1, 1, 1): "3/8", (0, 1, 0): "1/8", (1, 0, 1): "1/8"},
        {
            (0, 0, 0): ("5/4", "15/16", "16/15", "8/5"),
            (1, 1, 1): ("5/4", "15/16", "16/15", "8/5"),
            (0, 1, 0): ("7/4", "7/16", "16/7", "8/7"),
            (1, 0, 1): ("7/4", "7/16", "16/7", "8/7"),
        },
    ),
    "rndunqxor": (
        2,
        _RND_UNQ_XOR,
        {"all": ("7/4", "7/4", "16/7", "16/7")},
    ),
    "sum": (
        2,
        {(0, 0, 0): "1/4", (0, 1, 1): "1/4", (1, 0, 1): "1/4", (1, 1, 2): "1/4"},
        {
            (0, 0, 0): ("3/2", "3/2", "4/3", "4/3"),
            (0, 1, 1): ("3/2", "3/2", "4/3", "2/3"),
            (1, 0, 1): ("3/2", "3/2", "4/3", "2/3"),
            (1, 1, 2): ("3/2", "3/2", "4/3", "4/3"),
        },
    ),
    "reduor": (
        2,
        {(0, 0, 0): "1/2", (0, 1, 1): "1/4", (1, 0, 1): "1/4"},
        {
            (0, 0, 0): ("4/3", "4/3", "9/8", "1"),
            (0, 1, 1): ("1", "3", "1", "2/3"),
            (1, 0, 1): ("3", "1", "1", "2/3"),
        },
    ),
    "rndxor": (
        2,
        _RND_XOR,
        {"all": ("3/2", "3/2", "4/3", "4/3")},
    ),
    "wbA": (
        2,
        {(0, 0, 0): "1/3", (0, 1, 1): "1/3", (1, 0, 2): "1/3"},
        {
            (0, 0, 0): ("3/2", "3/2", "4/3", "1"),
            (0, 1, 1): ("1", "2", "1", "3/2"),
            (1, 0, 2): ("2", "1", "1", "3/2"),
        },
    ),
    "wbB": (
        2,
        {(0, 0, 0): "1/4", (0, 1, 1): "1/4", (1, 0, 2): "1/4", (1, 1, 1): "1/4"},
        {
            (0, 0, 0): ("3/2", "3/2", "4/3", "4/3"),
            (0, 1, 1): ("3/4", "3/2", "4/3", "4/3"),
            (1, 0, 2): ("3/2", "3/2", "4/3", "4/3"),
            (1, 1, 1): ("3/4", "3/2", "4/3", "4/3"),
        },
    ),
    "wbC": (
        2,
        {
            (0, 0, 0): "1/6",
            (0, 1, 1): "1/6",
            (0, 1, 2): "1/6",
            (1, 0, 2): "1/6",
            (1, 1, 0): "1/6",
            (1, 1, 1): "1/6",
        },
        {
            (0, 0, 0): ("4/3", "2", "3/2", "3/4"),
            (0, 1, 1): ("5/6", "5/4", "6/5", "6/5"),
            (0, 1, 2): ("5/3", "5/4", "6/5", "3/5"),
            (1, 0, 2): ("4/3", "2", "3/2", "3/4"),
            (1, 1, 0): ("5/3", "5/4", "6/5", "3/5"),
            (1, 1, 1): ("5/6", "5/4", "6/5", "6/5"),
        },
    ),
    "trihash": (
        3,
        {
            (0, 0, 0, 0): "1/8",
            (0, 0, 1, 1): "1/8",
            (0, 1, 0, 1): "1/8",
            (0, 1, 1, 0): "1/8",
            (1, 0, 0, 1): "1/8",
            (1, 0, 1, 0): "1/8",
            (1, 1, 0, 0): "1/8",
            (1, 1, 1, 1): "1/8",
        },
        {
            "all": (
                "5/4",
                "5/4",
                "5/4",
                "9/8",
                "9/8",
                "9/8",
                "32/27",
                "7/8",
                "7/8",
                "32/35",
                "7/8",
                "32/35",
                "32/35",
                "16/15",
                "16/15",
                "16/15",
                "8/7",
                "875/1024",
            )
        },
    ),
    "trirnd": (
        3,
        {(0, 0, 0, 0): "1/2", (1, 1, 1, 1): "1/2"},
        {
            "all": (
                "1",
                "1",
                "1",
                "1",
                "1",
                "1",
                "1",
                "1",
                "1",
                "1",
                "1",
                "1",
                "1",
                "1",
                "1",
                "1",
                "2",
                "1",
            )
        },
    ),
    "dblxor": (
        3,
        {
            (0, 0, 0, (0, 0)): "1/8",
            (0, 0, 1, (0, 1)): "1/8",
            (0, 1, 0, (1, 1)): "1/8",
            (0, 1, 1, (1, 0)): "1/8",
            (1, 0, 0, (1, 0)): "1/8",
            (1, 0, 1, (1, 1)): "1/8",
            (1, 1, 0, (0, 1)): "1/8",
            (1, 1, 1, (0, 0)): "1/8",
        },
        {
            "all": (
                "5/4",
                "5/4",
                "5/4",
                "9/8",
                "9/8",
                "9/8",
                "32/27",
                "7/6",
                "7/6",
                "36/35",
                "7/6",
                "36/35",
                "36/35",
                "16/15",
                "16/15",
                "16/15",
                "4/7",
                "875/864",
            )
        },
    ),
    "xorcopy": (
        3,
        {
            (0, 0, 0, (0, 0, 0)): "1/4",
            (0, 1, 1, (0, 1, 1)): "1/4",
            (1, 0, 1, (1, 0, 1)): "1/4",
            (1, 1, 0, (1, 1, 0)): "1/4",
        },
        {
            "all": (
                "1",
                "1",
                "1",
                "1",
                "1",
                "1",
                "1",
                "4/3",
                "4/3",
                "9/8",
                "4/3",
                "9/8",
                "9/8",
                "1",
                "1",
                "1",
                "1",
                "32/27",
            )
        },
    ),
}


def _pmf(spec: dict) -> dict:
    return {k: float(Fraction(v)) for k, v in spec.items()}


def _rows(result: pid.Decomposition) -> dict:
    keys = result.per_outcome.keys
    return {tuple(keys[i]): i for i in range(keys.shape[0])}


@pytest.mark.parametrize("name", sorted(GATES))
def test_gate_pointwise_atoms_match_the_reference_package_truth_tables(name):
    n, spec, truth = GATES[name]
    gate = _pmf(spec)
    result = pid.decompose(gate, base=2, pointwise=True)
    rows = _rows(result)
    assert set(rows) == set(gate)
    index = {node: j for j, node in enumerate(result.nodes)}
    for outcome in gate:
        expected = np.log2([float(Fraction(x)) for x in truth.get(outcome, truth.get("all"))])
        got = result.per_outcome.atoms[rows[outcome], [index[a] for a in ORDER[n]]]
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12, err_msg=f"{name} {outcome}")


@pytest.mark.parametrize("name", sorted(GATES))
def test_gate_averages_are_the_probability_weighted_pointwise_atoms(name):
    _, spec, _ = GATES[name]
    result = pid.decompose(_pmf(spec), base=2, pointwise=True)
    local = result.per_outcome
    for part, mapping in (
        (local.atoms, result.atoms),
        (local.informative, result.informative),
        (local.misinformative, result.misinformative),
    ):
        average = local.probs @ part
        np.testing.assert_allclose(
            [mapping[node] for node in result.nodes], average, rtol=0, atol=1e-12
        )


def test_xor_closed_forms_in_bits():
    """XOR: redundancy log2(2/3), unique log2(3/2) each, synergy log2(4/3) (Makkeh et al.
    2021, Table I); the informative parts are the atoms of i+ alone."""
    _, spec, _ = GATES["xor"]
    r = pid.decompose(_pmf(spec), base=2)
    assert r.atoms[((1,), (2,))] == pytest.approx(math.log2(2 / 3), abs=1e-12)
    assert r.atoms[((1,),)] == pytest.approx(math.log2(3 / 2), abs=1e-12)
    assert r.atoms[((2,),)] == pytest.approx(math.log2(3 / 2), abs=1e-12)
    assert r.atoms[((1, 2),)] == pytest.approx(math.log2(4 / 3), abs=1e-12)
    assert r.mutual_information == pytest.approx(1.0, abs=1e-12)
    assert sum(r.atoms.values()) == pytest.approx(1.0, abs=1e-12)


def test_xor_with_a_duplicated_source_matches_the_reference():
    xordup = {(0, 0, 0, 0): 0.25, (0, 1, 0, 1): 0.25, (1, 0, 1, 1): 0.25, (1, 1, 1, 0): 0.25}
    expected = ref.decomposition(xordup, 3)
    r = pid.decompose(xordup, pointwise=True)
    for node, v in zip(expected["nodes"], expected["atoms"], strict=True):
        assert r.atoms[node] == pytest.approx(v, abs=1e-12)
    rows = _rows(r)
    index = [r.nodes.index(node) for node in expected["nodes"]]
    for k, outcome in enumerate(expected["outcomes"]):
        np.testing.assert_allclose(
            r.per_outcome.atoms[rows[outcome], index], expected["local_atoms"][k], atol=1e-12
        )


# ---- random pmfs against the reference ---------------------------------------------------------
def _random_table(n: int, seed: int, zeros: float = 0.3) -> np.ndarray:
    """A pmf over n sources and a target with small alphabets and some zero cells."""
    rng = np.random.default_rng(seed)
    sizes = [int(rng.integers(2, 4)) for _ in range(n)] + [int(rng.integers(2, 4))]
    if n == 5:
        sizes = [2] * 5 + [3]  # keeps the reference's K^2 L work small
    t = rng.random(sizes) ** 2
    t[rng.random(sizes) < zeros] = 0.0
    return t / t.sum()


@pytest.mark.parametrize("n", [2, 3, 4])
@pytest.mark.parametrize("seed", [0, 1])
def test_random_pmf_atoms_and_parts_match_the_reference(n, seed, device):
    table = _random_table(n, 10 * n + seed)
    expected = ref.decomposition(table, n)
    r = pid.decompose(table, pointwise=True, device=put_device(device))
    for key, mapping in (
        ("atoms", r.atoms),
        ("atoms_plus", r.informative),
        ("atoms_minus", r.misinformative),
    ):
        got = np.array([mapping[node] for node in expected["nodes"]])
        np.testing.assert_allclose(got, expected[key], rtol=0, atol=1e-10, err_msg=key)
    rows = _rows(r)
    index = [r.nodes.index(node) for node in expected["nodes"]]
    order = [rows[o] for o in expected["outcomes"]]
    np.testing.assert_allclose(
        r.per_outcome.atoms[np.ix_(order, index)], expected["local_atoms"], atol=1e-10
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_five_sources_redundancies_match_the_reference(seed, device):
    """n = 5 (7579 nodes): the reference's redundancies against the zeta transform of the
    atoms (the reference's own order relation), informative and misinformative alike."""
    table = _random_table(5, 50 + seed, zeros=0.5)
    expected = ref.decomposition(table, 5, atoms=False)
    r = pid.decompose(table, device=put_device(device))
    nodes = expected["nodes"]
    for key, mapping in (
        ("redundancy", r.atoms),
        ("informative", r.informative),
        ("misinformative", r.misinformative),
    ):
        atoms = np.array([mapping[node] for node in nodes])
        np.testing.assert_allclose(
            ref.zeta(nodes, atoms, 5), expected[key], rtol=0, atol=1e-10, err_msg=key
        )


@pytest.mark.parametrize("n", [2, 3, 4])
def test_per_target_values_are_the_p_s_given_t_averages(n, device):
    table = _random_table(n, 70 + n)
    expected = ref.decomposition(table, n)
    r = pid.decompose(table, pointwise="target", device=put_device(device))
    local = r.per_target
    assert sorted(local.keys.tolist()) == sorted(expected["target_redundancy"])
    for i, t in enumerate(local.keys.tolist()):
        atoms = ref.mobius(expected["nodes"], expected["target_redundancy"][t])
        got = local.atoms[i, [r.nodes.index(node) for node in expected["nodes"]]]
        np.testing.assert_allclose(got, atoms, atol=1e-10)
    # and the p(t)-weighted per-target atoms are the averages
    np.testing.assert_allclose(
        local.probs @ local.atoms, [r.atoms[node] for node in r.nodes], atol=1e-12
    )


# ---- samples: long runs of equal weights, identities, invariances ---------------------------
def _layer(n: int, samples: int, seed: int, levels: int = 4) -> tuple[list, np.ndarray]:
    """Quantised tanh of correlated Gaussians and labels from a noisy linear readout."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(samples, 6))
    act = np.tanh(x @ rng.normal(size=(6, n)) + 0.3 * rng.normal(size=(samples, n)))
    codes = np.clip(np.floor((act + 1) / 2 * levels), 0, levels - 1).astype(np.int64)
    labels = np.argmax(x @ rng.normal(size=(6, 3)) + rng.normal(size=(samples, 3)), axis=1)
    return [codes[:, i] for i in range(n)], labels


def put_device(device: str) -> str:
    return "cuda" if device == "cuda" else "cpu"


@pytest.mark.parametrize("n", [2, 3])
def test_samples_match_the_reference(n, device):
    """Counts give many outcomes of equal probability: the kernel sums their logs as one log
    of a product; the reference takes each log."""
    sources, labels = _layer(n, 5000, seed=n, levels=3)
    r = pid.decompose(sources, labels, device=put_device(device))
    table = {}
    for row in zip(*sources, labels, strict=True):
        key = tuple(int(v) for v in row)
        table[key] = table.get(key, 0) + 1
    table = {k: v / len(labels) for k, v in table.items()}
    expected = ref.decomposition(table, n)
    got = np.array([r.atoms[node] for node in expected["nodes"]])
    np.testing.assert_allclose(got, expected["atoms"], rtol=0, atol=1e-10)


@pytest.mark.parametrize("n", [3, 4])
def test_averages_equal_the_weighted_pointwise_values_on_samples(n, device):
    sources, labels = _layer(n, 20000, seed=10 + n)
    r = pid.decompose(sources, labels, pointwise=True, device=put_device(device))
    local = r.per_outcome
    for part, mapping in (
        (local.atoms, r.atoms),
        (local.informative, r.informative),
        (local.misinformative, r.misinformative),
    ):
        np.testing.assert_allclose(
            local.probs @ part, [mapping[node] for node in r.nodes], rtol=0, atol=1e-12
        )


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_atoms_sum_to_the_mutual_information_and_down_sets_to_each_source(n, device):
    sources, labels = _layer(n, 8000, seed=20 + n)
    r = pid.decompose(sources, labels, device=put_device(device))
    assert sum(r.atoms.values()) == pytest.approx(r.mutual_information, abs=1e-10)
    lat = pid.lattice(n)
    for i in range(n):
        below = sum(r.atoms[b] for b in lat.down_set(((i + 1,),)))
        assert below == pytest.approx(r.source_information[i], abs=1e-10)
    # the informative and misinformative parts differ by the atoms
    for node in r.nodes:
        assert r.informative[node] - r.misinformative[node] == pytest.approx(
            r.atoms[node], abs=1e-12
        )


def test_mutual_information_is_the_plug_in_estimate():
    sources, labels = _layer(3, 4000, seed=5)
    r = pid.decompose(sources, labels)
    joint = np.stack([*sources, labels], axis=1)

    def h(cols: list[int]) -> float:
        if not cols:
            return 0.0
        _, c = np.unique(joint[:, cols], axis=0, return_counts=True)
        p = c / c.sum()
        return float(-(p * np.log(p)).sum())

    mi = h([3]) + h([0, 1, 2]) - h([0, 1, 2, 3])
    assert r.mutual_information == pytest.approx(mi, abs=1e-12)
    for i in range(3):
        assert r.source_information[i] == pytest.approx(h([3]) + h([i]) - h([i, 3]), abs=1e-12)


def _atoms(r: pid.Decomposition) -> np.ndarray:
    return np.array([r.atoms[node] for node in r.nodes])


def test_invariant_to_sample_order_and_source_value_renaming(device):
    sources, labels = _layer(4, 6000, seed=3)
    base = pid.decompose(sources, labels, device=put_device(device))
    perm = np.random.default_rng(0).permutation(labels.size)
    shuffled = pid.decompose([s[perm] for s in sources], labels[perm], device=put_device(device))
    np.testing.assert_allclose(_atoms(shuffled), _atoms(base), rtol=0, atol=1e-12)
    names = np.array(["w", "x", "y", "z"])
    renamed = [names[3 - sources[0]], sources[1] * 7 + 100, *sources[2:]]
    relabelled = pid.decompose(
        renamed, np.array(["a", "b", "c"])[labels], device=put_device(device)
    )
    np.testing.assert_allclose(_atoms(relabelled), _atoms(base), rtol=0, atol=1e-12)


def test_invariant_to_the_order_of_a_pmf_dict():
    table = _random_table(3, 99)
    idx = [tuple(int(i) for i in ix) for ix in np.argwhere(table > 0)]
    forward = {k: float(table[k]) for k in idx}
    backward = {k: float(table[k]) for k in reversed(idx)}
    a, b = pid.decompose(forward), pid.decompose(backward)
    np.testing.assert_allclose(_atoms(a), _atoms(b), rtol=0, atol=1e-14)


def test_invariant_to_the_number_of_threads():
    sources, labels = _layer(5, 6000, seed=8)
    one = pid.decompose(sources, labels, num_threads=1, pointwise="target")
    two = pid.decompose(sources, labels, num_threads=2, pointwise="target")
    np.testing.assert_allclose(_atoms(one), _atoms(two), rtol=0, atol=1e-12)
    np.testing.assert_allclose(one.per_target.atoms, two.per_target.atoms, rtol=0, atol=1e-12)


# ---- streaming ------------------------------------------------------------------------------
@pytest.mark.parametrize("chunk", [1, 7, 64, None])
def test_pointwise_chunks_equal_the_per_outcome_values(chunk, device):
    sources, labels = _layer(3, 3000, seed=4)
    whole = pid.decompose(sources, labels, base=2, pointwise=True, device=put_device(device))
    chunks = list(pid.pointwise(sources, labels, chunk=chunk, base=2, device=put_device(device)))
    if chunk is not None:
        assert all(c.atoms.shape[0] <= chunk for c in chunks)
    for field in ("keys", "probs", "atoms", "informative", "misinformative"):
        streamed = np.concatenate([getattr(c, field) for c in chunks])
        np.testing.assert_allclose(
            streamed, getattr(whole.per_outcome, field), rtol=0, atol=1e-12, err_msg=field
        )


def test_pointwise_checks_its_arguments_when_called():
    sources, labels = _layer(2, 100, seed=1)
    with pytest.raises(ValueError, match="chunk"):
        pid.pointwise(sources, labels, chunk=0)
    with pytest.raises(TypeError, match="chunk"):
        pid.pointwise(sources, labels, chunk=2.5)
    with pytest.raises(ValueError, match="base"):
        pid.pointwise(sources, labels, base=1.0)
    with pytest.raises(ValueError, match="sources"):
        pid.pointwise(sources[:1], labels[:50])


def test_inputs_are_not_modified(device):
    sources, labels = _layer(3, 2000, seed=6)
    copies = [s.copy() for s in sources], labels.copy()
    table = _random_table(3, 5)
    table_copy = table.copy()
    gate = _pmf(GATES["and"][1])
    gate_copy = dict(gate)
    pid.decompose(sources, labels, pointwise=True, device=put_device(device))
    list(pid.pointwise(sources, labels, chunk=5, device=put_device(device)))
    pid.decompose(table, pointwise="target", device=put_device(device))
    pid.decompose(gate, pointwise=True, device=put_device(device))
    for s, c in zip(sources, copies[0], strict=True):
        np.testing.assert_array_equal(s, c)
    np.testing.assert_array_equal(labels, copies[1])
    np.testing.assert_array_equal(table, table_copy)
    assert gate == gate_copy


def test_a_cuda_device_is_refused_on_a_build_or_machine_without_one():
    if CUDA_READY:
        pytest.skip("CUDA is available here")
    sources, labels = _layer(2, 100, seed=1)
    with pytest.raises(RuntimeError, match="device"):
        pid.decompose(sources, labels, device="cuda")
    with pytest.raises(ValueError, match="device"):
        pid.decompose(sources, labels, device="tpu")


def test_subset_masses_are_the_marginals_at_each_outcome():
    table = _random_table(3, 11)
    p = pid.as_pmf(table)
    masses, entropies = p.subset_masses()
    assert masses.shape == (len(p), 16)
    for mask in range(16):
        cols = [j for j in range(4) if mask >> j & 1]
        marginal = table.sum(axis=tuple(j for j in range(4) if j not in cols))
        expected = marginal[tuple(p.codes[:, cols].T)] if cols else np.ones(len(p))
        np.testing.assert_allclose(masses[:, mask], expected, rtol=1e-14)
        q = marginal[marginal > 0]
        assert entropies[mask] == pytest.approx(float(-(q * np.log(q)).sum()), abs=1e-14)
    assert not masses.flags.writeable


def test_subset_masses_do_not_depend_on_the_threads():
    """Large enough (K x 2^(n+1) rows x projections) for the kernel to use two threads."""
    rng = np.random.default_rng(2)
    sources = [rng.integers(0, 8, 150_000) for _ in range(5)]
    labels = rng.integers(0, 10, 150_000)
    one = pid.as_pmf(sources, labels).subset_masses(num_threads=1)
    two = pid.as_pmf(sources, labels).subset_masses(num_threads=2)
    np.testing.assert_array_equal(one[0], two[0])
    np.testing.assert_array_equal(one[1], two[1])
    p = pid.as_pmf(sources, labels)
    # spot check: the target's marginal and source 1's at each outcome (bincount sums
    # 10^5 terms plainly, ~1e-13 off; the kernel's sums are compensated)
    t_mass = np.bincount(p.codes[:, 5], weights=p.probs)[p.codes[:, 5]]
    np.testing.assert_allclose(one[0][:, 1 << 5], t_mass, rtol=1e-12)
    s1_mass = np.bincount(p.codes[:, 0], weights=p.probs)[p.codes[:, 0]]
    np.testing.assert_allclose(one[0][:, 1], s1_mass, rtol=1e-12)
