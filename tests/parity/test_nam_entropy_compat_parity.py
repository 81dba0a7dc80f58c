"""softent.compat.nam_entropy against nam-entropy 0.2.0 on seeded data: the batch function,
soft_bin, get_bins and the accumulator, from the values pinned by
data/pin_nam_entropy_compat.py (nam-entropy pulls ~75 packages: not a test dependency) and
live when nam_entropy is importable.

Both draw the bins from torch's global generator after the same ``torch.manual_seed``, so
the bins must be equal. Tolerances: 1e-10 where nam-entropy is correct (H(Z), the
per-label entropies and distributions, the assignments); its H(Z|L) and I weigh the labels
by N_k/N computed in float32 (~1e-8 relative), so they are compared at 1e-8 — and, at
1e-10, with H(Z|L) rebuilt from its pinned per-label entropies with exact weights.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from reference import compat as reference
from softent.compat import nam_entropy as compat

torch = pytest.importorskip("torch")

DATA = Path(__file__).parent / "data"
sys.path.insert(0, str(DATA))
from pin_nam_entropy_compat import (
    ACCUMULATORS,
    BATCH,
    LABELS,
    SOFT_BIN,
    SOFT_BIN_ROWS,
    binned,
    case_data,
    fed_accumulator,
)

PINS = json.loads((DATA / "nam_entropy_0.2.0_compat.json").read_text())
LIVE = importlib.util.find_spec("nam_entropy") is not None


def _inputs():
    z, index = case_data()
    return torch.tensor(z), torch.tensor(index)


def _exact_conditional(label_entropies, index):
    counts = np.bincount(index, minlength=len(LABELS))
    return float(np.dot(counts / counts.sum(), label_entropies))


@pytest.mark.parametrize("name", sorted(BATCH))
def test_batch_function_equals_the_pinned_values(name):
    dist, bins, smooth, temp, b, seed = BATCH[name]
    pin = PINS["batch"][name]
    z, index = _inputs()
    torch.manual_seed(seed)
    out = compat.compute_all_entropy_measures(
        z, index, LABELS, b, dist_fn=dist, bin_type=bins, smoothing_fn=smooth, smoothing_temp=temp
    )
    m, inter = out["output_metrics"], out["intermediate_data"]
    np.testing.assert_allclose(inter["tmp_bins"].reshape(b, -1).numpy(), pin["bins"], rtol=1e-15)
    # 'discrete': nam-entropy averages its int64 one-hot rows in float32 (~1e-8)
    rel = 1e-7 if smooth == "discrete" else 1e-10
    assert m["entropy"] == pytest.approx(pin["entropy"], rel=rel)
    got_h = [m["label_entropy_dict"][k] for k in LABELS]
    np.testing.assert_allclose(got_h, pin["label_entropies"], rtol=rel)
    assert m["label_entropy_dict"]["total_population"] == m["entropy"]
    p_total = inter["prob_dist_for_total_population_tensor"].numpy()
    np.testing.assert_allclose(p_total, pin["p_total"], rtol=rel)
    exact = _exact_conditional(pin["label_entropies"], case_data()[1])
    assert m["conditional_entropy"] == pytest.approx(exact, rel=rel)
    assert m["conditional_entropy"] == pytest.approx(pin["conditional_entropy"], rel=1e-7)
    assert m["mutual_information"] == pytest.approx(pin["mutual_information"], rel=1e-6)
    # and the plain formula on the same bins, to 1e-10 in every case
    ref = reference.nam_measures(
        case_data()[0], case_data()[1], 4, pin["bins"], dist, temp if smooth == "softmax" else 0
    )
    assert m["entropy"] == pytest.approx(ref["entropy"], rel=1e-10)
    assert m["conditional_entropy"] == pytest.approx(ref["conditional_entropy"], rel=1e-10)
    np.testing.assert_allclose(got_h, ref["label_entropies"], rtol=1e-10)
    np.testing.assert_allclose(p_total, ref["p_total"], rtol=1e-10, atol=1e-15)
    assert pin["mutual_information"] > 0.05


def test_its_defaults_are_broken_and_the_front_doors_are_not():
    pin = PINS["defaults"]  # smoothing_fn='None': raw negative distances as probabilities
    assert pin["entropy"] == -np.inf
    assert np.isnan(pin["mutual_information"])
    z, index = _inputs()
    torch.manual_seed(0)
    m = compat.compute_all_entropy_measures(z, index, LABELS)["output_metrics"]
    assert 0 < m["entropy"] <= np.log(10)
    assert 0 < m["mutual_information"] < m["entropy"]


@pytest.mark.parametrize("name", sorted(SOFT_BIN))
def test_soft_bin_equals_the_pinned_assignments(name):
    b, heads = SOFT_BIN[name][3:5]
    pin = PINS["soft_bin"][name]
    z, _ = _inputs()
    scores, used = binned(compat.soft_bin, z, name)
    assert tuple(scores.shape) == (SOFT_BIN_ROWS, heads, b)
    assert scores.dtype == torch.float64
    np.testing.assert_allclose(used.numpy(), pin["bins"], rtol=1e-15)
    np.testing.assert_allclose(scores.numpy(), pin["scores"], rtol=1e-10, atol=1e-15)


def test_get_bins_draws_nam_entropys_bins():
    z, _ = _inputs()
    torch.manual_seed(12)
    np.testing.assert_array_equal(
        compat.get_bins(z, "unit_sphere", 5, 2).numpy(), PINS["get_bins_unit_sphere"]
    )


def _accumulator(name):
    return fed_accumulator(compat.EntropyAccumulator, *_inputs(), name)


@pytest.mark.parametrize("name", sorted(ACCUMULATORS))
def test_accumulator_equals_the_pinned_metrics(name):
    pin = PINS["accumulator"][name]
    acc = _accumulator(name)
    np.testing.assert_allclose(acc.bins.reshape(len(pin["bins"]), -1).numpy(), pin["bins"])
    assert acc.get_state_dict()["label_counts"].tolist() == pin["label_counts"]
    for weighting in ("weighted", "uniform"):
        m = acc.compute_metrics(weighting)["output_metrics"]
        want = pin[weighting]
        assert m["entropy"] == pytest.approx(want["entropy"], rel=1e-10)
        got_h = [m["label_entropy_dict"][k] for k in LABELS]
        np.testing.assert_allclose(got_h, want["label_entropies"], rtol=1e-10)
        # uniform weights are exact in nam-entropy; N_k/N are float32 there
        rel = 1e-10 if weighting == "uniform" else 1e-8
        assert m["conditional_entropy"] == pytest.approx(want["conditional_entropy"], rel=rel)
        assert m["mutual_information"] == pytest.approx(want["mutual_information"], rel=10 * rel)


def test_signatures_are_nam_entropys():
    for name, want in PINS["signatures"].items():
        params = inspect.signature(getattr(compat, name)).parameters.values()
        got = [[p.name, repr(p.default)] for p in params]
        assert got == want, name


@pytest.mark.skipif(not LIVE, reason="nam-entropy is not installed")
@pytest.mark.parametrize("name", sorted(BATCH))
def test_live_batch_function_equals_nam_entropys(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from nam_entropy.h import compute_all_entropy_measures

    dist, bins, smooth, temp, b, seed = BATCH[name]
    z, index = _inputs()
    kw = {"dist_fn": dist, "bin_type": bins, "smoothing_fn": smooth, "smoothing_temp": temp}
    torch.manual_seed(seed)
    want = compute_all_entropy_measures(z, index, LABELS, b, **kw)["output_metrics"]
    torch.manual_seed(seed)
    got = compat.compute_all_entropy_measures(z, index, LABELS, b, **kw)["output_metrics"]
    rel = 1e-7 if smooth == "discrete" else 1e-10  # its float32 means of one-hot rows
    assert got["entropy"] == pytest.approx(want["entropy"], rel=rel)
    assert got["conditional_entropy"] == pytest.approx(want["conditional_entropy"], rel=1e-7)
