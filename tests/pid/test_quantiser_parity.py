"""Parity with nninfo's own pipeline, transcribed from its source in
tests/reference/nninfo_pipeline.py (file and function cited there):

- the quantiser: ``Q3Quantizer.__call__`` (nninfo/model/quantization.py) on the same
  activations gives exactly the level values ``dequantise(levels(x))`` (float64), the same
  codes in float32 (nninfo computes in the tensor's dtype), and rounds half-way points to
  even as ``torch.round`` does;
- the binning: ``Binning.apply`` / ``get_pdf`` with nninfo's "none" binning of the
  quantised values (the paper's scripts) and with ``FixedSizeBinning.discretize`` give the
  pmf whose PID equals ``layer_complexity``'s (atoms to 1e-12), one neuron per source and
  groups of neurons per source;
- the summaries: degree-of-synergy atoms and representational complexity
  (nninfo/postprocessing/pid_postprocessing.py), Reing's C_k differences
  (nninfo/analysis/reing.py) and the degrees of redundancy and vulnerability from
  ``_perform_deg_red``'s mutual informations (nninfo/analysis/pid_measurement.py).
"""

from __future__ import annotations

import numpy as np
import pytest
import softent.pid as P
from reference import nninfo_pipeline as ref
from softent.discrete import quantise

torch = pytest.importorskip("torch")


def activations(n=4000, d=5, k=10, seed=3):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    w = rng.normal(0, 1.0, (k, d))
    return np.tanh(w[y] + rng.normal(0, 0.8, (n, d))), y


@pytest.mark.parametrize("n_levels", [2, 4, 8, 16])
@pytest.mark.parametrize("limits", [(-1.0, 1.0), (0.0, 1.0), (-2.5, 0.5)])
def test_levels_are_nninfos_q3_values(n_levels, limits):
    lo, hi = limits
    rng = np.random.default_rng(n_levels)
    x = rng.uniform(lo, hi, (2000, 3))
    x[:4, 0] = [lo, hi, lo, hi]
    q3 = ref.q3_quantise(torch.from_numpy(x), n_levels, limits).numpy()
    codes = quantise.levels(x, n_levels, limits=limits)
    np.testing.assert_array_equal(quantise.dequantise(codes, n_levels, limits), q3)
    # float32, as nninfo computes on its float32 activations: the same levels
    q32 = ref.q3_quantise(torch.from_numpy(x.astype(np.float32)), n_levels, limits).numpy()
    scale = (hi - lo) / (n_levels - 1)
    codes32 = np.rint((q32.astype(np.float64) - lo) / scale).astype(np.int64)
    np.testing.assert_array_equal(
        quantise.levels(x.astype(np.float32), n_levels, limits=limits), codes32
    )


def test_half_way_points_round_to_even_like_torch_round():
    # L = 5 on (-1, 1): Δ = 0.5, half-way points at -0.75, -0.25, 0.25, 0.75 (exact binary)
    x = np.array([-0.75, -0.25, 0.25, 0.75])
    q3 = ref.q3_quantise(torch.from_numpy(x), 5, (-1.0, 1.0)).numpy()
    np.testing.assert_array_equal(q3, [-1.0, 0.0, 0.0, 1.0])  # 0.5 -> 0, 1.5 -> 2, ...
    np.testing.assert_array_equal(
        quantise.dequantise(quantise.levels(x, 5, limits=(-1, 1)), 5, (-1, 1)), q3
    )


def nninfo_pdf(acts, y, groups, n_levels=8, limits=(-1.0, 1.0), binning="none"):
    """The pmf nninfo's PIDMeasurement hands to SxPID: Q3 levels of every neuron (its
    network's quantiser), then the binning's tuples (sources..., label)."""
    q = ref.q3_quantise(torch.from_numpy(acts), n_levels, limits).numpy()
    act = {("L", j): q[:, j] for j in range(acts.shape[1])}
    act[("Y", 0)] = y
    groupings = [[("L", j) for j in g] for g in groups] + [[("Y", 0)]]
    if binning == "none":
        return ref.binning_pdf(act, groupings)

    def discretize(a, neuron_id):
        if neuron_id[0] == "Y":
            return a  # the label is binned as it is ("binary" limits: astype(int64))
        return ref.fixed_size_discretize(a, limits, n_levels)

    return ref.binning_pdf(act, groupings, discretize)


@pytest.mark.parametrize("binning", ["none", "fixed_size"])
@pytest.mark.parametrize("groups", [[(0,), (1,), (2,), (3,)], [(0, 1), (2,), (3, 4)], [(4,), (1,)]])
def test_layer_complexity_equals_the_pid_of_nninfos_pmf(binning, groups):
    acts, y = activations()
    pdf = nninfo_pdf(acts, y, groups, binning=binning)
    want = P.decompose(pdf, base=2)
    got = P.layer_complexity(acts, y, neurons=[list(g) for g in groups], levels=8, base=2)
    assert got.decomposition.n_outcomes == len(pdf) == want.n_outcomes
    for node in want.nodes:
        assert got.atoms[node] == pytest.approx(want.atoms[node], abs=1e-12)
    assert got.complexity == pytest.approx(want.complexity, abs=1e-12)


def test_summaries_match_nninfos_postprocessing_reing_and_deg_red():
    acts, y = activations(seed=5)
    groups = [(0,), (1,), (2,), (3,)]
    got = P.layer_complexity(acts, y, neurons=[0, 1, 2, 3], levels=8, base=2)
    # nninfo keys its result columns by str(antichain), e.g. '((1,), (2,))'
    by_string = {str(node): v for node, v in got.atoms.items()}
    dos = ref.degree_of_synergy_atoms(by_string)
    assert list(dos) == [1, 2, 3, 4]
    for m, v in dos.items():
        assert got.degree_atoms[m] == pytest.approx(v, abs=1e-12)
    assert got.complexity == pytest.approx(ref.representational_complexity(by_string), abs=1e-12)

    pdf = nninfo_pdf(acts, y, groups)
    reing = ref.reing_differences(pdf)
    for k, v in got.reing_differences.items():
        assert v == pytest.approx(reing[f"C({k - 1}||{k})"], abs=1e-12)
    total, single, rest, r_bar, v_bar = ref.deg_red(pdf)
    d = got.decomposition
    assert d.mutual_information == pytest.approx(total, abs=1e-12)
    np.testing.assert_allclose(d.source_information, single, atol=1e-12)
    np.testing.assert_allclose(d.complement_information, rest, atol=1e-12)
    assert got.redundancy_degree == pytest.approx(r_bar, abs=1e-12)
    assert got.vulnerability_degree == pytest.approx(v_bar, abs=1e-12)
