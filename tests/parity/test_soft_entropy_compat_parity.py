"""softent.compat.soft_entropy against soft-entropy 0.1.5 on seeded data: every public
function and the accumulator, from the values pinned by data/pin_soft_entropy.py (no peer
needed) and live when soft_entropy is importable.

Tolerances: 1e-10 relative for the NumPy one-shot functions and find_eps (float64, the
same points and temperature; soft-entropy is correct there); float32 inputs (its torch
backend, its accumulators' float32 points and sums) to the float32 rounding of its own
arithmetic (documented in docs/coming-from/soft-entropy.md).
"""

from __future__ import annotations

import importlib.util
import inspect
import itertools
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from reference import compat as reference
from softent.compat import soft_entropy as compat

DATA = Path(__file__).parent / "data"
sys.path.insert(0, str(DATA))
from pin_soft_entropy import CHUNKS, FIND_EPS, NUMPY_CALLS, TORCH_CALLS, case_data, second_sets

PINS = json.loads((DATA / "soft_entropy_0.1.5.json").read_text())
LIVE = importlib.util.find_spec("soft_entropy") is not None
live = pytest.mark.skipif(not LIVE, reason="soft-entropy is not installed")


def _accumulate(acc, backend):
    import torch

    z, labels = case_data()
    for lo, hi in itertools.pairwise(CHUNKS):
        batch = z[lo:hi] if backend == "numpy" else torch.tensor(z[lo:hi], dtype=torch.float32)
        acc.update(batch, second_sets(labels[lo:hi]))
    return acc


@pytest.mark.parametrize("call", PINS["numpy"], ids=lambda c: f"B{c['n_bins']}-{c['calibration']}")
def test_numpy_functions_equal_the_pinned_values(call):
    z, labels = case_data()
    args = (call["n_bins"], call["seed"], call["calibration"])
    assert compat.soft_entropy(z, *args) == pytest.approx(call["entropy"], rel=1e-10)
    mi = compat.soft_mutual_information(z, labels, *args)
    assert mi == pytest.approx(call["mutual_information"], rel=1e-10)
    assert call["mutual_information"] > 0.05  # informative labels, -1 among them


def test_pinned_cases_are_the_pin_scripts():
    assert [(c["n_bins"], c["seed"], c["calibration"]) for c in PINS["numpy"]] == NUMPY_CALLS
    assert [(c["n_bins"], c["seed"]) for c in PINS["torch"]] == TORCH_CALLS
    assert [(m, d) for m, d, _ in PINS["find_eps"]] == FIND_EPS


@pytest.mark.parametrize(("m", "d", "eps"), PINS["find_eps"])
def test_find_eps_equals_the_pinned_roots(m, d, eps):
    assert compat.find_eps(m, d) == pytest.approx(eps, rel=1e-10)


@pytest.mark.parametrize("call", PINS["torch"], ids=lambda c: f"B{c['n_bins']}")
def test_torch_functions_equal_the_pinned_values(call):
    torch = pytest.importorskip("torch")
    z, labels = case_data()
    zt = torch.tensor(z, dtype=torch.float32)
    h = compat.pytorch_soft_entropy(zt, call["n_bins"], call["seed"])
    mi = compat.pytorch_soft_mutual_information(zt, torch.tensor(labels), call["n_bins"])
    assert isinstance(h, torch.Tensor)
    assert h.dtype == torch.float32
    assert h.ndim == 0
    # soft-entropy computes in float32 throughout (softent sums in float64)
    assert float(h) == pytest.approx(call["entropy"], rel=2e-6)
    assert float(mi) == pytest.approx(call["mutual_information"], rel=2e-5)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_accumulator_equals_the_pinned_results(backend):
    pytest.importorskip("torch")
    pin = PINS["accumulator"][backend]
    acc = _accumulate(
        compat.SoftEntropyAccumulator(24, pin["n_bins"], pin["seed"], backend), backend
    )
    assert acc.temp == pytest.approx(pin["temp"], rel=1e-10)
    w = acc.w if backend == "numpy" else acc.w.cpu().numpy()
    assert float(np.asarray(w, dtype=np.float64).sum()) == pytest.approx(pin["w_sum"], rel=1e-12)
    # numpy: soft-entropy's float32 points with their float32 norms; torch: float32 scores
    rel = 1e-7 if backend == "numpy" else 1e-5
    got = acc.results()
    assert list(got) == list(pin["results"])
    for key, want in pin["results"].items():
        assert got[key] == pytest.approx(want, rel=rel), key
    cond = acc.conditional_entropy()
    for name, pairs in pin["conditional_entropy"].items():
        assert [int(v) for v in cond[name]] == [v for v, _ in pairs]  # same order of values
        np.testing.assert_allclose(list(cond[name].values()), [h for _, h in pairs], rtol=rel)


def test_signatures_are_soft_entropys():
    sigs = PINS["signatures"]
    for name, want in sigs.items():
        obj = getattr(compat, name)
        params = inspect.signature(obj).parameters.values()
        assert [[p.name, repr(p.default)] for p in params] == want, name


def _clip_bound(n_bins):
    """The most soft-entropy's clipped logarithm (−p ln max(p, 1e-9)) can move one
    entropy, divided by ln B: B · max_p p ln(1e-9/p) = B · 1e-9/e."""
    return n_bins * 1e-9 / math.e / math.log(n_bins)


@live
def test_live_every_function_equals_soft_entropy():
    import soft_entropy.numpy as sn
    import soft_entropy.pytorch as sp
    import torch
    from soft_entropy.temp_calibration import find_eps

    rng = np.random.default_rng(7)
    for n, d, k in ((300, 5, 3), (800, 40, 6), (2000, 128, 10)):
        labels = rng.integers(0, k, n) * 3 - 1  # -1 is a label value here
        z = rng.normal(size=(n, d)) + rng.normal(size=(k, d))[(labels + 1) // 3]
        for b, seed in ((100, 0), (17, 4)):
            eps = find_eps(b, d)
            assert compat.find_eps(b, d) == pytest.approx(eps, rel=1e-10)
            points = reference.numpy_points(b, d, seed)
            h = compat.soft_entropy(z, b, seed)
            assert h == pytest.approx(reference.soft_entropy(z, b, eps, points), rel=1e-10)
            assert h == pytest.approx(sn.soft_entropy(z, b, seed), rel=1e-10, abs=_clip_bound(b))
            mi = compat.soft_mutual_information(z, labels, b, seed)
            exact = reference.soft_mutual_information(z, labels, b, eps, points)
            assert mi == pytest.approx(exact, rel=1e-10, abs=1e-13)
            # where soft-entropy departs, it is by its clipped logarithm (d = 5: ~3e-10)
            assert mi == pytest.approx(
                sn.soft_mutual_information(z, labels, b, seed), rel=1e-10, abs=2 * _clip_bound(b)
            )
            zt = torch.tensor(z, dtype=torch.float32)
            assert float(compat.pytorch_soft_entropy(zt, b, seed)) == pytest.approx(
                float(sp.soft_entropy(zt, b, seed)), rel=1e-5
            )
        lt = torch.tensor(labels)
        assert float(compat.pytorch_soft_mutual_information(zt, lt, 20)) == pytest.approx(
            float(sp.soft_mutual_information(zt, lt, 20)), rel=1e-4, abs=1e-6
        )


@live
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_live_accumulator_equals_soft_entropys(backend):
    from soft_entropy import SoftEntropyAccumulator

    ours = _accumulate(compat.SoftEntropyAccumulator(24, 40, 3, backend), backend)
    theirs = _accumulate(SoftEntropyAccumulator(24, 40, 3, backend), backend)
    if backend == "numpy":
        np.testing.assert_array_equal(ours.w, theirs.w)  # the same float32 points
    rel = 1e-7 if backend == "numpy" else 1e-5
    for key, want in theirs.results().items():
        assert ours.results()[key] == pytest.approx(want, rel=rel), key
