"""Produce the dit PID values pinned in tests/parity/data/dit_pid_pins.json, compared with
softent.pid.decompose by tests/parity/test_pid_dit_parity.py.

Run with an interpreter that has dit installed (not softent: the script imports only
NumPy and dit), e.g.::

    /work/peers_discrete/bin/pip install dit          # dit 2.3 made the pinned file
    /work/peers_discrete/bin/python tests/parity/data/pin_dit_pid.py \\
        > tests/parity/data/dit_pid_pins.json

The pmfs are the two-source logic gates of :data:`GATES` and seeded random pmfs of
:func:`random_pmf` (n = 2 and 3 sources, small alphabets, some with zeros); each is
stored in the file with dit's atoms, so the test reads the very same probabilities.

dit's conventions, as met here: variables are 0-based positions of the outcome tuple, the
target the last, so dit's node ``((0,), (1,))`` is softent's ``((1,), (2,))`` (every index
+ 1; the same tuple-of-sorted-tuples form otherwise); values are in bits; ``get_pi`` is
the atom (the Möbius inverse of ``get_red``), with SxPID's sign convention (atoms may be
negative) unchanged. PID_BROJA (two sources only) solves an optimisation: by default with
SciPy's SLSQP from a random start (``method="auto"`` picks "scipy" for joint alphabets
below 64) whose accuracy varies from run to run (the XOR gate's unique atoms came out
as 7.7e-4 bits instead of 0 in one unseeded run); the pins use a seeded generator,
``maxiter=100000``, and also record the admUI solver's values (``method="admui"``), so
the test can compare softent with the better of the two (BROJA's unique information is a
minimum: the smaller unique atom is the more accurate one).
"""

from __future__ import annotations

import json
import sys
import warnings
from importlib.metadata import version
from itertools import combinations

import numpy as np

#: two-source gates {(s1, s2, t): p} (Williams & Beer 2010; Griffith & Koch 2014; the
#: SxPID reference repository's demo_gates.py for RndErr)
GATES: dict[str, dict[tuple[int, ...], float]] = {
    "xor": {(0, 0, 0): 0.25, (0, 1, 1): 0.25, (1, 0, 1): 0.25, (1, 1, 0): 0.25},
    "and": {(0, 0, 0): 0.25, (0, 1, 0): 0.25, (1, 0, 0): 0.25, (1, 1, 1): 0.25},
    "unq": {(0, 0, 0): 0.25, (0, 1, 0): 0.25, (1, 0, 1): 0.25, (1, 1, 1): 0.25},
    "rdn": {(0, 0, 0): 0.5, (1, 1, 1): 0.5},
    "copy": {(0, 0, 0): 0.25, (0, 1, 1): 0.25, (1, 0, 2): 0.25, (1, 1, 3): 0.25},
    "sum": {(0, 0, 0): 0.25, (0, 1, 1): 0.25, (1, 0, 1): 0.25, (1, 1, 2): 0.25},
    "rnderr": {(0, 0, 0): 3 / 8, (1, 1, 1): 3 / 8, (0, 1, 0): 1 / 8, (1, 0, 1): 1 / 8},
}

#: random pmfs: name -> (alphabet sizes of the sources and the target, seed, fraction of
#: the joint outcomes set to zero)
RANDOM: dict[str, tuple[tuple[int, ...], int, float]] = {
    "n2_222": ((2, 2, 2), 0, 0.0),
    "n2_323": ((3, 2, 3), 1, 0.0),
    "n2_334_sparse": ((3, 3, 4), 2, 0.5),
    "n2_243": ((2, 4, 3), 3, 0.2),
    "n3_2222": ((2, 2, 2, 2), 4, 0.0),
    "n3_2322_sparse": ((2, 3, 2, 2), 5, 0.4),
    "n3_2223": ((2, 2, 2, 3), 6, 0.0),
}


def random_pmf(sizes: tuple[int, ...], seed: int, zeros: float) -> dict:
    """{outcome: p} over the product of ``sizes`` (the last the target): Dirichlet(1)
    masses, a fraction ``zeros`` of the outcomes emptied, renormalised."""
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


def ours(node: tuple) -> list[list[int]]:
    """dit's node (0-based source positions) as softent's (1-based), sorted the same way."""
    sets = sorted((tuple(sorted(i + 1 for i in a)) for a in node), key=lambda a: (len(a), a))
    return [list(a) for a in sets]


def dit_nodes(n: int) -> list[tuple]:
    """Every node of the n-source lattice in dit's form: non-empty antichains of non-empty
    sets of 0-based source positions, each set sorted, the sets sorted by (size, set)
    (dit's own canonical order, so ``get_pi`` finds them)."""
    subsets = [c for k in range(1, n + 1) for c in combinations(range(n), k)]
    out: list[tuple] = []

    def grow(start: int, chosen: list[tuple]) -> None:
        if chosen:
            out.append(tuple(sorted(chosen, key=lambda a: (len(a), a))))
        for k in range(start, len(subsets)):
            a = set(subsets[k])
            if all(not (a <= set(b) or set(b) <= a) for b in chosen):
                grow(k + 1, [*chosen, subsets[k]])

    grow(0, [])
    return out


def dit_atoms(measure: type, dist, n: int, **kwargs) -> list[dict]:
    pid = measure(dist, **kwargs)
    return [
        {"dit": repr(node), "ours": ours(node), "atom": float(pid.get_pi(node))}
        for node in dit_nodes(n)
    ]


def main() -> None:
    import dit
    from dit.pid import PID_BROJA, PID_SX, PID_WB

    cases = {**{f"gate_{k}": v for k, v in GATES.items()}}
    cases.update({k: random_pmf(*v) for k, v in RANDOM.items()})
    out: dict = {"dit": version("dit"), "numpy": version("numpy"), "unit": "bits", "cases": {}}
    for name, pmf in cases.items():
        outcomes = list(pmf)
        dist = dit.Distribution(outcomes, [pmf[o] for o in outcomes])
        n = len(outcomes[0]) - 1
        entry: dict = {
            "n_sources": n,
            "pmf": [[list(o), p] for o, p in pmf.items()],
            "sx": dit_atoms(PID_SX, dist, n),
            "imin": dit_atoms(PID_WB, dist, n),
        }
        if n == 2:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                entry["broja"] = dit_atoms(
                    PID_BROJA, dist, n, method="scipy", maxiter=100000, rng=np.random.default_rng(0)
                )
                entry["broja_admui"] = dit_atoms(PID_BROJA, dist, n, method="admui", maxiter=100000)
        out["cases"][name] = entry
        print(name, file=sys.stderr)
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
