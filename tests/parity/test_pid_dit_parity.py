"""Parity of softent.pid.decompose with dit's PID_SX, PID_WB (I_min) and PID_BROJA on the
two-source gates and seeded random pmfs of 2 and 3 sources.

Pinned values (no dit needed): tests/parity/data/dit_pid_pins.json, made by
tests/parity/data/pin_dit_pid.py with dit 2.3 (which also records each pmf, so both sides
read the same probabilities). When dit is importable the same comparisons also run live.

dit's nodes are 0-based source positions (``((0,), (1,))``), softent's 1-based
(``((1,), (2,))``); both are in bits here. SxPID and I_min agree to 1e-10. For BROJA, dit's
admUI solver agrees to 1e-9; dit's default SLSQP solver ("scipy") does not reach the
optimum on the random pmfs (its unique atoms are 1e-3 to 3e-2 bits too large, and one
shared atom comes out negative, -0.010 bits, which a minimum over Δ_P cannot give), so
against it the test only checks that softent's unique information is not larger.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from softent.pid import decompose, lattice

DATA = Path(__file__).parent / "data"
sys.path.insert(0, str(DATA))
from pin_dit_pid import GATES, RANDOM, dit_nodes, ours

PINS = json.loads((DATA / "dit_pid_pins.json").read_text())
CASES = PINS["cases"]


def pmf_of(case: str) -> dict:
    return {tuple(o): p for o, p in CASES[case]["pmf"]}


def node(entry: dict) -> tuple:
    return tuple(tuple(a) for a in entry["ours"])


def test_pins_cover_the_gates_and_random_pmfs():
    assert set(CASES) == {f"gate_{g}" for g in GATES} | set(RANDOM)
    assert {CASES[c]["n_sources"] for c in CASES} == {2, 3}
    assert PINS["unit"] == "bits"


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("measure", ["sx", "imin"])
def test_sx_and_imin_equal_dit_pinned(case, measure):
    d = decompose(pmf_of(case), measure=measure, base=2)
    pins = CASES[case][measure]
    assert {node(e) for e in pins} == set(d.nodes)
    for e in pins:
        assert d.atoms[node(e)] == pytest.approx(e["atom"], abs=1e-10), e["dit"]


BROJA_CASES = sorted(c for c in CASES if "broja" in CASES[c])


@pytest.mark.parametrize("case", BROJA_CASES)
def test_broja_equals_dit_admui_pinned(case):
    d = decompose(pmf_of(case), measure="broja", base=2)
    for e in CASES[case]["broja_admui"]:
        assert d.atoms[node(e)] == pytest.approx(e["atom"], abs=1e-9), e["dit"]


@pytest.mark.parametrize("case", BROJA_CASES)
def test_broja_is_at_least_as_good_as_dit_slsqp_pinned(case):
    d = decompose(pmf_of(case), measure="broja", base=2)
    for e in CASES[case]["broja"]:
        if len(e["ours"]) == 1 and len(e["ours"][0]) == 1:  # a unique atom: a minimum
            assert d.atoms[node(e)] <= e["atom"] + 1e-9, e["dit"]


@pytest.mark.parametrize("n", [2, 3])
def test_dit_nodes_are_the_lattice(n):
    assert sorted(tuple(tuple(a) for a in ours(x)) for x in dit_nodes(n)) == sorted(
        lattice(n).nodes
    )


def test_node_names_map_by_adding_one():
    assert ours(((0,), (1,))) == [[1], [2]]
    assert ours(((1, 0),)) == [[1, 2]]
    assert ours(((2,), (0, 1))) == [[3], [1, 2]]


# ----------------------------------------------------------------------------- live

LIVE = importlib.util.find_spec("dit") is not None


@pytest.mark.skipif(not LIVE, reason="dit is not installed")
@pytest.mark.parametrize("case", sorted(CASES))
def test_sx_and_imin_equal_dit_live(case):
    import dit
    from dit.pid import PID_SX, PID_WB

    pmf = pmf_of(case)
    outcomes = list(pmf)
    dist = dit.Distribution(outcomes, [pmf[o] for o in outcomes])
    for measure, peer in (("sx", PID_SX), ("imin", PID_WB)):
        d = decompose(pmf, measure=measure, base=2)
        pid = peer(dist)
        for dit_node in dit_nodes(len(outcomes[0]) - 1):
            want = float(pid.get_pi(dit_node))
            assert d.atoms[tuple(tuple(a) for a in ours(dit_node))] == pytest.approx(
                want, abs=1e-10
            )


@pytest.mark.skipif(not LIVE, reason="dit is not installed")
@pytest.mark.parametrize("case", ["gate_and", "gate_rnderr", "n2_222"])
def test_broja_equals_dit_live(case):
    import dit
    from dit.pid import PID_BROJA

    pmf = pmf_of(case)
    outcomes = list(pmf)
    dist = dit.Distribution(outcomes, [pmf[o] for o in outcomes])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pid = PID_BROJA(dist, method="admui", maxiter=100000)
    d = decompose(pmf, measure="broja", base=2)
    for dit_node in dit_nodes(2):
        want = float(pid.get_pi(dit_node))
        assert d.atoms[tuple(tuple(a) for a in ours(dit_node))] == pytest.approx(want, abs=1e-8)


def test_pinned_pmfs_are_the_scripts():
    """The JSON's random pmfs are what pin_dit_pid.random_pmf makes (same seeds)."""
    from pin_dit_pid import random_pmf

    for name, spec in RANDOM.items():
        made = random_pmf(*spec)
        pinned = pmf_of(name)
        assert set(made) == set(pinned)
        np.testing.assert_allclose([made[k] for k in pinned], list(pinned.values()), rtol=1e-15)
