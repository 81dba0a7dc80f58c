"""softent.pid.layer_complexity / layer_complexities: nninfo's pipeline as one call.

Known answers (a neuron that copies the label, two copies, XOR of two binary neurons),
equality with the steps done by hand (quantise the chosen columns, decompose) for every
quantiser and neuron grouping, torch = NumPy, the input left as it was, and every bad
input. Parity with nninfo's own quantiser and binning is in test_quantiser_parity.py.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import softent.pid as P
from softent.discrete import quantise


def layer(n=3000, d=6, k=5, seed=0, noise=0.7):
    """tanh activations [n, d] whose columns depend on labels in 0..k-1."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    w = rng.normal(0, 1.2, (k, d))
    return np.tanh(w[y] + rng.normal(0, noise, (n, d))), y


def by_hand(acts, y, groups, codes_of, **kw):
    cols = [j for g in groups for j in g]
    codes = codes_of(acts[:, cols])
    parts, start = [], 0
    for g in groups:
        block = codes[:, start : start + len(g)]
        parts.append(block[:, 0] if len(g) == 1 else block)
        start += len(g)
    return P.decompose(parts, y, **kw)


def assert_same(res, dec, tol=1e-12):
    assert res.decomposition.nodes == dec.nodes
    for node in dec.nodes:
        assert res.atoms[node] == pytest.approx(dec.atoms[node], abs=tol)
    assert res.mutual_information == pytest.approx(dec.mutual_information, abs=tol)
    assert res.complexity == pytest.approx(dec.complexity, abs=tol)


# ----------------------------------------------------------------------------- known answers


def test_one_neuron_copying_the_label_has_complexity_one_and_i_equal_h():
    y = np.repeat(np.arange(8), 5)  # 8 equiprobable labels
    acts = (-1 + y * (2 / 7))[:, None]  # exactly the 8 tanh levels
    res = P.layer_complexity(acts, y, base=2)
    assert res.mutual_information == pytest.approx(3.0, abs=1e-12)
    assert res.complexity == pytest.approx(1.0, abs=1e-12)
    assert res.atoms[((1,),)] == pytest.approx(3.0, abs=1e-12)


def test_two_copies_are_pure_redundancy():
    y = np.repeat(np.arange(4), 3)
    v = -1 + y * (2 / 7)
    res = P.layer_complexity(np.stack([v, v], 1), y, base=2)
    assert res.atoms[((1,), (2,))] == pytest.approx(2.0, abs=1e-12)
    for node in (((1,),), ((2,),), ((1, 2),)):
        assert res.atoms[node] == pytest.approx(0.0, abs=1e-12)
    assert res.complexity == pytest.approx(1.0, abs=1e-12)
    assert res.redundancy_degree == pytest.approx(2.0, abs=1e-12)


def test_xor_of_two_binary_neurons_has_sxpid_xor_atoms():
    # SxPID of XOR (Makkeh et al. 2021): redundancy log2(2/3), unique log2(3/2) each,
    # synergy log2(4/3), so C = (Π_1 + 2 Π_2) / 1 bit = 1 + log2(4/3)
    s = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    acts = np.where(s == 1, 1.0, -1.0)
    y = s[:, 0] ^ s[:, 1]
    res = P.layer_complexity(acts, y, base=2)
    assert res.atoms[((1,), (2,))] == pytest.approx(math.log2(2 / 3), abs=1e-12)
    assert res.atoms[((1,),)] == pytest.approx(math.log2(3 / 2), abs=1e-12)
    assert res.atoms[((2,),)] == pytest.approx(math.log2(3 / 2), abs=1e-12)
    assert res.atoms[((1, 2),)] == pytest.approx(math.log2(4 / 3), abs=1e-12)
    assert res.complexity == pytest.approx(1 + math.log2(4 / 3), abs=1e-12)
    # Π_1 = redundancy + both uniques: the negative redundancy counts in C
    assert res.degree_atoms[1] == pytest.approx(math.log2(3 / 2), abs=1e-12)


# ----------------------------------------------------------------------------- = by hand


@pytest.mark.parametrize(
    "neurons",
    [[0, 1, 2], [4, 1], [[0, 1], [2, 3], 5], [[5, 0, 3]], (2,), np.array([3, 0, 1, 2])],
)
def test_levels_tanh_equals_quantise_then_decompose(neurons):
    acts, y = layer()
    groups = [tuple(g) if isinstance(g, list) else (int(g),) for g in list(neurons)]
    res = P.layer_complexity(acts, y, neurons=neurons, levels=8, limits="tanh")
    dec = by_hand(acts, y, groups, lambda a: quantise.levels(a, 8, limits=(-1, 1)))
    assert_same(res, dec)
    assert res.neurons == tuple(groups)
    assert res.limits == ((-1.0, 1.0),) * sum(len(g) for g in groups)
    assert res.n_samples == len(y)


def test_neurons_none_takes_every_column_of_a_small_layer():
    acts, y = layer(d=4)
    res = P.layer_complexity(acts, y, levels=4)
    dec = by_hand(
        acts, y, [(0,), (1,), (2,), (3,)], lambda a: quantise.levels(a, 4, limits=(-1, 1))
    )
    assert_same(res, dec)


def test_sigmoid_and_explicit_limits():
    acts, y = layer()
    sig = (acts + 1) / 2
    res = P.layer_complexity(sig, y, neurons=[0, 1, 2], limits="sigmoid", levels=5)
    dec = by_hand(sig, y, [(0,), (1,), (2,)], lambda a: quantise.levels(a, 5, limits=(0, 1)))
    assert_same(res, dec)
    res2 = P.layer_complexity(sig, y, neurons=[0, 1, 2], limits=(0.0, 1.0), levels=5)
    assert_same(res2, dec)


def test_data_limits_use_each_neurons_range():
    acts, y = layer()
    res = P.layer_complexity(acts, y, neurons=[1, 3], limits="data", levels=6)
    want = [(float(acts[:, j].min()), float(acts[:, j].max())) for j in (1, 3)]
    assert res.limits == tuple(want)

    def codes(a):
        return np.stack([quantise.levels(a[:, i], 6, limits=want[i]) for i in range(a.shape[1])], 1)

    assert_same(res, by_hand(acts, y, [(1,), (3,)], codes))


def test_equal_width_and_quantile_quantisers():
    acts, y = layer()
    res = P.layer_complexity(acts, y, neurons=[0, 2, 4], quantiser="equal_width", levels=6)
    dec = by_hand(acts, y, [(0,), (2,), (4,)], lambda a: quantise.equal_width(a, 6, range=(-1, 1)))
    assert_same(res, dec)
    res = P.layer_complexity(acts, y, neurons=[0, 2, 4], quantiser="quantile", levels=4)
    assert res.limits is None
    assert_same(res, by_hand(acts, y, [(0,), (2,), (4,)], lambda a: quantise.quantile(a, 4)))
    res = P.layer_complexity(
        acts, y, neurons=[0, 2], quantiser="equal_width", levels=3, limits="data"
    )
    dec = by_hand(acts, y, [(0,), (2,)], lambda a: quantise.equal_width(a, 3))
    assert_same(res, dec)


def test_clip_maps_out_of_range_values_to_the_end_levels():
    acts, y = layer()
    wide = acts * 1.5
    res = P.layer_complexity(wide, y, neurons=[0, 1], out_of_range="clip")
    dec = by_hand(
        wide, y, [(0,), (1,)], lambda a: quantise.levels(a, 8, limits=(-1, 1), out_of_range="clip")
    )
    assert_same(res, dec)


def test_base_measure_threads_and_string_labels():
    acts, y = layer()
    nats = P.layer_complexity(acts, y, neurons=[0, 1, 2])
    bits = P.layer_complexity(acts, y, neurons=[0, 1, 2], base=2, num_threads=1)
    assert bits.mutual_information == pytest.approx(nats.mutual_information / math.log(2))
    assert bits.complexity == pytest.approx(nats.complexity, abs=1e-12)
    named = np.array(["abcde"[i] for i in y])
    assert_same(P.layer_complexity(acts, named, neurons=[0, 1, 2]), nats.decomposition)


def test_torch_input_equals_numpy_and_nothing_is_modified():
    torch = pytest.importorskip("torch")
    acts, y = layer()
    a0, y0 = acts.copy(), y.copy()
    want = P.layer_complexity(acts, y, neurons=[[0, 1], 2])
    np.testing.assert_array_equal(acts, a0)
    np.testing.assert_array_equal(y, y0)
    t = torch.from_numpy(acts.copy())
    ty = torch.from_numpy(y.copy())
    got = P.layer_complexity(t, ty, neurons=[[0, 1], 2])
    assert_same(got, want.decomposition)
    assert torch.equal(t, torch.from_numpy(a0))
    got32 = P.layer_complexity(t.float(), ty, neurons=[[0, 1], 2])
    assert got32.mutual_information == pytest.approx(want.mutual_information, rel=1e-3)


def test_result_summaries_repr_table_and_json():
    acts, y = layer()
    res = P.layer_complexity(acts, y, neurons=[0, 1, 2], base=2)
    d = res.decomposition
    assert res.degree_atoms == d.degree_atoms
    assert res.redundancy_degree == d.redundancy_degree
    assert res.vulnerability_degree == d.vulnerability_degree
    assert res.reing_differences == d.reing_differences
    assert res.unit == "bits"
    assert "complexity" in repr(res)
    assert "LayerPID" in repr(res)
    text = res.table()
    assert "complexity C" in text
    assert "{1}{2}{3}" in text
    assert "levels, 8 levels" in text
    doc = json.loads(json.dumps(res.as_dict()))
    assert doc["neurons"] == [[0], [1], [2]]
    assert doc["complexity"] == pytest.approx(res.complexity)
    assert doc["limits"] == [[-1.0, 1.0]] * 3


def test_no_information_gives_complexity_none():
    acts, _ = layer()
    y = np.zeros(len(acts), dtype=int)
    res = P.layer_complexity(acts, y, neurons=[0, 1])
    assert res.complexity is None
    assert res.mutual_information == pytest.approx(0.0, abs=1e-12)


# ----------------------------------------------------------------------------- several layers


def test_layer_complexities_dict_list_and_per_layer_neurons():
    a1, y = layer(seed=1)
    a2, _ = layer(seed=2)
    out = P.layer_complexities({"fc1": a1, "fc2": a2}, y, neurons=[0, 1], levels=4)
    assert list(out) == ["fc1", "fc2"]
    assert_same(out["fc2"], P.layer_complexity(a2, y, neurons=[0, 1], levels=4).decomposition)
    per = P.layer_complexities({"fc1": a1, "fc2": a2[:, :3]}, y, neurons={"fc1": [2, 3]})
    assert per["fc1"].neurons == ((2,), (3,))
    assert per["fc2"].neurons == ((0,), (1,), (2,))
    seq = P.layer_complexities([a1, a2], y, neurons=[[0, 1]])
    assert isinstance(seq, list)
    assert len(seq) == 2
    assert_same(seq[0], P.layer_complexity(a1, y, neurons=[[0, 1]]).decomposition)
    with pytest.raises(ValueError, match=r"layer_complexities: neurons must be keyed"):
        P.layer_complexities({"fc1": a1}, y, neurons={"fc3": [0]})
    with pytest.raises(ValueError, match=r"neurons must be one choice"):
        P.layer_complexities([a1], y, neurons={"fc1": [0]})
    with pytest.raises(TypeError, match=r"layers must be"):
        P.layer_complexities([], y)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"neurons": [0, 9]}, ValueError, r"neurons must be indices in 0\.\.5"),
        ({"neurons": [-1]}, ValueError, r"neurons must be indices in 0\.\.5"),
        ({"neurons": [0, 1, 2, 3, 4, 5]}, ValueError, r"1 to 5 sources, got 6 sources"),
        ({"neurons": []}, ValueError, r"1 to 5 sources, got 0"),
        ({"neurons": [0, [1, 0]]}, ValueError, r"distinct neurons .* \[0\] more than once"),
        ({"neurons": [0, []]}, TypeError, r"neurons must be None, a list"),
        ({"neurons": [0.5]}, TypeError, r"neurons must be"),
        ({"neurons": "01"}, TypeError, r"neurons must be"),
        ({"neurons": None}, ValueError, r"neurons must be given when the layer has more than 5"),
        ({"levels": 1}, ValueError, r"levels must be an int in \[2,"),
        ({"levels": 2.5}, TypeError, r"levels must be an int"),
        ({"quantiser": "kmeans"}, ValueError, r"quantiser must be one of"),
        ({"limits": "relu"}, ValueError, r"limits must be one of"),
        ({"limits": (1, 0)}, ValueError, r"lo < hi"),
        ({"limits": (0, float("inf"))}, ValueError, r"lo < hi"),
        ({"limits": 3}, ValueError, r"limits must be a name"),
        ({"quantiser": "quantile", "limits": "tanh"}, ValueError, r"None or 'data' with"),
        ({"out_of_range": "wrap"}, ValueError, r"out_of_range must be one of"),
        ({"base": 1}, ValueError, r"base must be"),
        ({"measure": "nope"}, ValueError, r"measure must be one of"),
    ],
)
def test_bad_options(kwargs, exc, match):
    acts, y = layer()
    kw = {"neurons": [0, 1], **kwargs}
    with pytest.raises(exc, match=r"softent\.pid\.(layer_complexity|decompose): .*" + match):
        P.layer_complexity(acts, y, **kw)


def test_bad_activations_and_labels():
    acts, y = layer()
    api = r"softent\.pid\.layer_complexity: "
    with pytest.raises(ValueError, match=api + r"activations must be a 2-D array"):
        P.layer_complexity(acts[:, 0], y)
    with pytest.raises(TypeError, match=api + r"activations must be a floating-point"):
        P.layer_complexity((acts * 3).astype(int), y, neurons=[0])
    with pytest.raises(ValueError, match=api + r"activations must be non-empty"):
        P.layer_complexity(acts[:0], y[:0], neurons=[0])
    bad = acts.copy()
    bad[17, 1] = np.nan
    with pytest.raises(ValueError, match=api + r"activations must be finite .* row 17"):
        P.layer_complexity(bad, y, neurons=[0, 1])
    P.layer_complexity(bad, y, neurons=[0, 2])  # a NaN outside the chosen neurons is fine
    with pytest.raises(ValueError, match=api + r"activations must be inside limits \[-1, 1\]"):
        P.layer_complexity(acts * 2, y, neurons=[0, 1])
    with pytest.raises(TypeError, match=api + r"labels must be integer or string labels"):
        P.layer_complexity(acts, y.astype(float), neurons=[0])
    with pytest.raises(ValueError, match=api + r"labels must be 3000 labels .* got 2999"):
        P.layer_complexity(acts, y[1:], neurons=[0])
    with pytest.raises(ValueError, match=api + r"labels must be 1-D"):
        P.layer_complexity(acts, y[:, None], neurons=[0])
    with pytest.raises(TypeError, match=api + r"labels must be"):
        P.layer_complexity(acts, None, neurons=[0])
    const = acts.copy()
    const[:, 2] = 0.25
    with pytest.raises(ValueError, match=api + r"activations must be non-constant"):
        P.layer_complexity(const, y, neurons=[2], limits="data")
