"""Live parity with dse-dsmi 1.1 (PyPI ``dse-dsmi``; in the ``test`` extra): every case of
tests/parity/data/pin_dse_dsmi.py run by dse-dsmi and by softent.compat.dse_dsmi in this
process, equal to 1e-10 — the kNN adjacency's defective eigenvalues included, as both sides
call the same LAPACK here — and dse-dsmi still equal to the pins. Skipped when dse_dsmi is
not importable (the pinned comparison in tests/compat/test_compat_dse_dsmi.py runs anyway).

``import dse_dsmi`` runs ``warnings.filterwarnings("ignore")``: it is imported inside
``warnings.catch_warnings()``, which restores the filters (pytest runs with
filterwarnings=error), and its calls run with their warnings ignored locally (its float16
copy of complex eigenvalues warns).
"""

from __future__ import annotations

import json
import random
import sys
import warnings
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
from softent.compat import dse_dsmi

DATA = Path(__file__).parent / "data"
sys.path.insert(0, str(DATA))
from pin_dse_dsmi import CASES, run_case

PINS = json.loads((DATA / "dse_dsmi_pins.json").read_text())


@pytest.fixture(scope="module")
def peer():
    with warnings.catch_warnings():
        try:
            import dse_dsmi as peer
        except ImportError:
            pytest.skip("dse-dsmi is not installed (pip install dse-dsmi==1.1)")
    try:
        v = metadata.version("dse-dsmi")
    except metadata.PackageNotFoundError:
        v = "1.1"  # an uninstalled checkout on the path
    if v != "1.1":
        pytest.skip(f"the pins are dse-dsmi 1.1's, installed: {v}")
    return peer


@pytest.fixture
def global_rngs():
    state_py, state_np = random.getstate(), np.random.get_state()  # noqa: NPY002
    yield
    random.setstate(state_py)
    np.random.set_state(state_np)  # noqa: NPY002


@pytest.mark.parametrize("name", sorted(CASES))
def test_live_equals_dse_dsmi(peer, name, tmp_path, global_rngs):
    if CASES[name][3].get("reference") == "vectors":
        pytest.importorskip("sklearn")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dse-dsmi's own warnings, this call only
        theirs = run_case(peer, name, str(tmp_path / "theirs"))
    ours = run_case(dse_dsmi, name, str(tmp_path / "ours"))
    for key in ("value", "loaded"):
        if key in theirs:
            assert ours[key] == pytest.approx(theirs[key], abs=1e-10, rel=0), key
            tol = 1e-6 if "knn" in name else 1e-10  # pins from another machine's LAPACK
            assert theirs[key] == pytest.approx(PINS[name][key], abs=tol, rel=0), key
    if "clusters" in theirs:
        assert ours["clusters"] == theirs["clusters"]
