"""softent.pid.lattice: the redundancy lattice of Williams & Beer (2010) as up-set bitmasks.

Checked against the plain reference (tests/reference/pid_measures.py), which enumerates
the antichains by backtracking and builds the dense zeta matrix from the definition
"β ≼ α iff every set of α contains a set of β": the same nodes (4, 18, 166, 7579 of
them), an order that is a linear extension of ≼, a sparse Möbius inverse equal to the
inverse of the dense zeta matrix (n = 2..4; on sampled nodes for n = 5), and
zeta ∘ mobius = identity."""

from __future__ import annotations

import numpy as np
import pytest
from reference import pid_measures as ref
from softent.pid import MAX_SOURCES, lattice, node_name

COUNTS = {1: 1, 2: 4, 3: 18, 4: 166, 5: 7579}  # Dedekind numbers minus two


@pytest.mark.parametrize("n", sorted(COUNTS))
def test_node_count_is_the_dedekind_number_minus_two(n):
    assert len(lattice(n)) == COUNTS[n]


@pytest.mark.parametrize("n", sorted(COUNTS))
def test_nodes_are_exactly_the_antichains_of_the_definition(n):
    lat = lattice(n)
    assert len(set(lat.nodes)) == len(lat.nodes)
    assert set(lat.nodes) == set(ref.antichains(n))
    assert all(lat.index[node] == i for i, node in enumerate(lat.nodes))


def test_max_sources_is_five():
    assert MAX_SOURCES == 5


@pytest.mark.parametrize("n", [2, 3, 4])
def test_order_is_a_linear_extension(n):
    nodes = lattice(n).nodes
    for i, a in enumerate(nodes):
        for b in nodes[i + 1 :]:
            assert not ref.below(b, a), (a, b)  # nothing later lies below an earlier node


def test_order_is_a_linear_extension_on_sampled_pairs_n5():
    nodes = lattice(5).nodes
    rng = np.random.default_rng(0)
    for i, j in rng.integers(0, len(nodes), (3000, 2)):
        i, j = sorted((int(i), int(j)))
        if i != j:
            assert not ref.below(nodes[j], nodes[i])
    # the bottom (all single sources) and the top (the full synergy) at the ends
    assert nodes[0] == ((1,), (2,), (3,), (4,), (5,))
    assert nodes[-1] == ((1, 2, 3, 4, 5),)


@pytest.mark.parametrize("n", [2, 3])
def test_below_and_down_set_follow_the_definition(n):
    lat = lattice(n)
    for a in lat.nodes:
        for b in lat.nodes:
            assert lat.below(b, a) == ref.below(b, a)
        assert lat.down_set(a) == tuple(b for b in lat.nodes if ref.below(b, a))


@pytest.mark.parametrize("n", [2, 3, 4])
def test_mobius_is_the_inverse_of_the_dense_zeta_matrix(n):
    lat = lattice(n)
    nodes = list(lat.nodes)
    # mobius of each unit redundancy is a column of the Möbius matrix: mobius(I) = M^T
    np.testing.assert_array_equal(lat.mobius(np.eye(len(nodes))), ref.mobius_matrix(nodes).T)
    z = ref.zeta_matrix(nodes)
    x = np.random.default_rng(n).normal(size=(3, len(nodes)))
    np.testing.assert_allclose(lat.zeta(x), x @ z.T, rtol=0, atol=1e-12)


def test_mobius_on_sampled_nodes_n5():
    """For n = 5 (no dense inverse): at sampled nodes α, the atoms of a random redundancy
    function summed over every β ≼ α (by the definition) give back I_∩(α)."""
    lat = lattice(5)
    rng = np.random.default_rng(5)
    red = rng.normal(size=len(lat))
    atoms = lat.mobius(red)
    for k in rng.choice(len(lat), 40, replace=False):
        alpha = lat.nodes[k]
        total = sum(atoms[j] for j, b in enumerate(lat.nodes) if ref.below(b, alpha))
        assert total == pytest.approx(red[k], abs=1e-10)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_zeta_of_mobius_is_the_identity(n):
    lat = lattice(n)
    x = np.random.default_rng(10 + n).normal(size=(2, len(lat)))
    np.testing.assert_allclose(lat.zeta(lat.mobius(x)), x, rtol=0, atol=1e-9)
    np.testing.assert_allclose(lat.mobius(lat.zeta(x)), x, rtol=0, atol=1e-9)


@pytest.mark.parametrize("n", [2, 3, 4])
def test_degree_of_synergy_is_the_smallest_set(n):
    lat = lattice(n)
    assert lat.degree.tolist() == [min(len(a) for a in node) for node in lat.nodes]


def test_node_names():
    assert node_name(((1,), (2,))) == "{1}{2}"
    assert node_name(((1, 2),)) == "{12}"
    assert node_name(((1,), (2, 3))) == "{1}{23}"
    assert node_name(((3,), (1, 2), (4, 5))) == "{3}{12}{45}"
    assert node_name(((1, 10),)) == "{1,10}"  # indices above 9 are comma-separated
    assert [node_name(a) for a in lattice(2).nodes] == ["{1}{2}", "{1}", "{2}", "{12}"]


def test_nodes_are_looked_up_in_any_set_order():
    lat = lattice(3)
    assert lat.below(((2,), (1,)), ((3, 1),))  # {1}{2} ≼ {13}, written unsorted
    assert lat.down_set(((3,), (2, 1))) == lat.down_set(((3,), (1, 2)))


@pytest.mark.parametrize("bad", [0, 6, -1])
def test_lattice_refuses_sizes_out_of_range(bad):
    with pytest.raises(ValueError, match=r"softent\.pid\.lattice: n must be an int in \[1, 5\]"):
        lattice(bad)


@pytest.mark.parametrize("bad", [2.0, "3", None, True])
def test_lattice_refuses_non_integers(bad):
    with pytest.raises(TypeError, match=r"softent\.pid\.lattice: n must be"):
        lattice(bad)
