"""Parity of softent.knn with NPEET (gregversteeg/NPEET) on the same noise-free data.

The pinned values (tests/parity/data/npeet_pins.json, made by pin_npeet.py with NPEET's
noise switched off) need no NPEET; when NPEET is importable the comparisons also run live.
Like is compared with like: NPEET works in bits (base 2) and the max-norm everywhere;
its ``mi`` is KSG-1 with marginal counts within ε − 1e-15 (softent: strictly within ε — the
same rows on tie-free data); ``cmi`` is Frenzel–Pompe; ``micd`` is NOT Ross but
|H(X) − Σ_y p(y) H(X | y)| with the Kozachenko–Leonenko entropy, so it is compared with that
expression built from softent.knn.entropy(metric='chebyshev').
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from softent.knn import conditional_mutual_information, entropy, mutual_information

DATA = Path(__file__).parent / "data"
sys.path.insert(0, str(DATA))
from pin_npeet import CASES, case_data, checksum

PINS = json.loads((DATA / "npeet_pins.json").read_text())["cases"]


def softent_value(name: str) -> float:
    """softent's number for the case, in bits, built as NPEET builds it."""
    kind, k, _, _ = CASES[name]
    d = case_data(name)
    if kind == "entropy":
        return entropy(d["x"], k=k, metric="chebyshev", base=2)
    if kind == "mi":
        return mutual_information(d["x"], d["y"], k=k, metric="chebyshev", base=2)
    if kind == "cmi":
        return conditional_mutual_information(d["x"], d["y"], d["z"], k=k, base=2)
    labels = d["labels"][:, 0]
    h = entropy(d["x"], k=k, metric="chebyshev", base=2)
    values, counts = np.unique(labels, return_counts=True)
    assert (counts > k).all()  # every label has enough rows: NPEET's fallback never runs
    h_given = sum(
        c / labels.size * entropy(d["x"][labels == v], k=k, metric="chebyshev", base=2)
        for v, c in zip(values, counts, strict=True)
    )
    return abs(h - h_given)


@pytest.mark.parametrize("name", sorted(CASES))
def test_softent_equals_npeets_pinned_values(name):
    assert checksum(case_data(name)) == pytest.approx(PINS[name]["checksum"], rel=1e-12)
    assert softent_value(name) == pytest.approx(PINS[name]["value_bits"], rel=0, abs=1e-10)


NPEET = importlib.util.find_spec("npeet") is not None


@pytest.mark.skipif(not NPEET, reason="NPEET is not importable (pins cover it)")
@pytest.mark.parametrize("name", sorted(CASES))
def test_softent_equals_npeet_live(name, monkeypatch):
    from npeet import entropy_estimators as ee

    monkeypatch.setattr(ee, "add_noise", lambda x, intens=1e-10: np.asarray(x, dtype=float))
    kind, k, _, _ = CASES[name]
    d = case_data(name)
    fn = {"entropy": ee.entropy, "mi": ee.mi, "cmi": ee.cmi, "micd": ee.micd}[kind]
    args = {"entropy": ("x",), "mi": ("x", "y"), "cmi": ("x", "y", "z"), "micd": ("x", "labels")}
    live = fn(*(d[a] for a in args[kind]), k=k)
    assert softent_value(name) == pytest.approx(live, rel=0, abs=1e-10)
