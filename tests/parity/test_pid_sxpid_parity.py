"""Parity of softent.pid.decompose (SxPID) with the reference ``sxpid`` package
(Abzinger/SxPID, the code nninfo calls) for 4 and 5 sources, on pinned values.

The package is not on PyPI and costs ~1 s of CPU per outcome at 5 sources, so its
averaged atoms (pi+, pi-, pi in bits) on four seeded pmfs are pinned in
tests/parity/data/sxpid_pins.json by tests/parity/data/pin_sxpid.py (which records the
commit it ran). Every node's atom and its informative and misinformative parts agree to
1e-10 bits. Nodes are matched as sets of sets: the package writes an antichain's sets in
its own order ('{12}{3}' where softent writes '{3}{12}').
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from softent import pid

DATA = Path(__file__).parent / "data"
PINS = json.loads((DATA / "sxpid_pins.json").read_text())


def _sets(name: str) -> frozenset:
    """'{12}{3}' -> {{1, 2}, {3}} (indices are single digits for n <= 5)."""
    parts = name.strip("{}").split("}{")
    return frozenset(frozenset(int(c) for c in part) for part in parts)


def _case(name: str) -> tuple[dict, dict]:
    case = PINS["cases"][name]
    pmf = {tuple(outcome): p for outcome, p in case["pmf"]}
    return pmf, {_sets(k): v for k, v in case["atoms"].items()}


def test_the_pins_are_the_pmfs_the_script_builds():
    sys.path.insert(0, str(DATA))
    try:
        import pin_sxpid
    finally:
        sys.path.remove(str(DATA))
    built = pin_sxpid.cases()
    assert sorted(built) == sorted(PINS["cases"])
    for name, pmf in built.items():
        pinned, _ = _case(name)
        assert pinned.keys() == pmf.keys()
        np.testing.assert_array_equal([pinned[k] for k in pmf], list(pmf.values()))


@pytest.mark.parametrize("name", sorted(PINS["cases"]))
def test_atoms_and_parts_match_the_sxpid_package(name):
    pmf, expected = _case(name)
    r = pid.decompose(pmf, base=2)
    n = r.n_sources
    assert n in (4, 5)
    assert len(expected) == len(r.nodes) == len(pid.lattice(n))
    for node in r.nodes:
        plus, minus, atom = expected[frozenset(frozenset(a) for a in node)]
        assert r.informative[node] == pytest.approx(plus, abs=1e-10), node
        assert r.misinformative[node] == pytest.approx(minus, abs=1e-10), node
        assert r.atoms[node] == pytest.approx(atom, abs=1e-10), node
