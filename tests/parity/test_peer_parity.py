"""Parity with the peer packages on the same centres and temperature.

Pinned values (no peer needed): soft-entropy 0.1.5's reference values from docs/peers.md
(its NumPy backend, defaults, seed 0) and nam-entropy 0.2.0's outputs produced by
tests/parity/data/pin_nam_entropy.py. When a peer is importable the same comparisons also run
live against it.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import softent

DATA = Path(__file__).parent / "data"
sys.path.insert(0, str(DATA))
from pin_nam_entropy import CASES, nam_case


def soft_entropy_dataset() -> tuple[np.ndarray, np.ndarray]:
    rs = np.random.RandomState(0)
    centres = rs.normal(0, 5, (4, 16))
    labels = np.repeat(np.arange(4), 250)
    return centres[labels] + rs.normal(0, 1, (1000, 16)), labels


# soft-entropy 0.1.5, numpy backend, seed 0 (docs/peers.md): eps, H and I in nats
SOFT_ENTROPY = {
    10: (0.08413518156288391, 1.949151124152839, 0.7792344268408974),
    100: (0.046182537243135514, 2.8088776214698927, 1.3716024863444687),
}


@pytest.mark.parametrize("n_bins", sorted(SOFT_ENTROPY))
def test_soft_entropy_pinned(n_bins):
    eps, h, mi = SOFT_ENTROPY[n_bins]
    z, labels = soft_entropy_dataset()
    assert softent.calibrate_temperature(16, n_bins, "vmf_bound") == pytest.approx(eps, rel=1e-9)
    # its reference points are default_rng(seed).standard_normal((B, D)) normalised
    info = softent.information(z, labels, n_bins=n_bins, seed=0, temperature=eps)
    assert info.entropy == pytest.approx(h, rel=1e-9)
    # soft-entropy clamps q at 1e-9 inside its logarithm: agreement to ~1e-9
    assert info.mutual_information == pytest.approx(mi, rel=1e-8)
    assert info.entropy / math.log(n_bins) == pytest.approx(
        h / math.log(n_bins), rel=1e-9
    )  # its "efficiency"


def test_soft_entropy_live():
    if importlib.util.find_spec("soft_entropy") is None:
        pytest.skip("soft-entropy is not installed")
    from soft_entropy.numpy import soft_entropy, soft_mutual_information

    z, labels = soft_entropy_dataset()
    h_eff = soft_entropy(z, n_bins=100, seed=0)
    mi_eff = soft_mutual_information(z, labels, n_bins=100, seed=0)
    eps = softent.calibrate_temperature(16, 100, "vmf_bound")
    info = softent.information(z, labels, n_bins=100, seed=0, temperature=eps)
    assert info.entropy == pytest.approx(float(h_eff) * math.log(100), rel=1e-8)
    assert info.mutual_information == pytest.approx(float(mi_eff) * math.log(100), rel=1e-7)


def _nam_pinned() -> dict:
    return json.loads((DATA / "nam_entropy_0.2.0.json").read_text())


@pytest.mark.parametrize("case", sorted(CASES))
def test_nam_entropy_pinned(case):
    z, labels, centres = nam_case()
    _, _, metric, temperature = CASES[case]
    expected = _nam_pinned()[f"{case}-weighted"]
    info = softent.information(
        z.astype(np.float64), labels, centres=centres, metric=metric, temperature=temperature
    )
    # nam-entropy guards its logarithms with small epsilons: agreement to ~1e-9
    assert info.entropy == pytest.approx(expected["entropy"], rel=1e-8)
    assert info.conditional_entropy == pytest.approx(expected["conditional_entropy"], rel=1e-8)
    assert info.mutual_information == pytest.approx(expected["mutual_information"], rel=1e-7)


@pytest.mark.parametrize("case", sorted(CASES))
def test_nam_entropy_live(case):
    if importlib.util.find_spec("nam_entropy") is None:
        pytest.skip("nam-entropy is not installed")
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():  # its import uses the deprecated torch.jit.script
        warnings.simplefilter("ignore")
        from nam_entropy import compute_all_entropy_measures

    z, labels, centres = nam_case()
    dist, bins, metric, temperature = CASES[case]
    out = compute_all_entropy_measures(
        torch.tensor(z),
        torch.tensor(labels),
        list(range(4)),
        20,
        dist_fn=dist,
        bin_type=bins,
        smoothing_fn="softmax",
        smoothing_temp=temperature,
        online_bins=torch.tensor(centres).view(20, 1, 8),
    )["output_metrics"]
    info = softent.information(z, labels, centres=centres, metric=metric, temperature=temperature)
    # nam-entropy computes in float32
    assert info.entropy == pytest.approx(float(out["entropy"]), rel=1e-5)
    assert info.conditional_entropy == pytest.approx(float(out["conditional_entropy"]), rel=1e-5)
    assert info.mutual_information == pytest.approx(
        float(out["mutual_information"]), rel=1e-4, abs=1e-6
    )
