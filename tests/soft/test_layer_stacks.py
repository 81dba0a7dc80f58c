"""Layer stacks in the Python API: [N, L, D], [L, N, D] and [L, B, T, D] with
``layer_axis=`` give one result per layer, in order, each equal to the call on that
layer's rows (and to the plain reference)."""

from __future__ import annotations

import numpy as np
import pytest
import reference.masking as ref
import softent

T = 0.1


@pytest.fixture
def stack():
    """(z [L=3, B=6, T=7, D=5] with layer-dependent signal, labels [B, T], centres)."""
    rng = np.random.default_rng(11)
    labels = rng.integers(0, 4, (6, 7))
    means = rng.normal(0, 2.0, (4, 5))
    z = np.stack([means[labels] * s + rng.normal(0, 1.0, (6, 7, 5)) for s in (0.2, 1.0, 3.0)])
    return z, labels, rng.normal(0, 2.0, (13, 5))


@pytest.mark.parametrize(
    ("layout", "layer_axis"), [("LBTD", 0), ("LND", 0), ("NLD", 1), ("NLD", -2)]
)
def test_one_result_per_layer_equal_to_the_reference(stack, layout, layer_axis):
    z4, labels, centres = stack
    y = labels.reshape(-1)
    z = {
        "LBTD": z4,
        "LND": z4.reshape(3, 42, 5),
        "NLD": np.ascontiguousarray(z4.reshape(3, 42, 5).transpose(1, 0, 2)),
    }[layout]
    lab = labels if layout == "LBTD" else y
    got = softent.information(z, lab, centres=centres, temperature=T, layer_axis=layer_axis)
    assert isinstance(got, list)
    assert len(got) == 3
    for info, rows in zip(got, ref.layer_slices(z, layer_axis % z.ndim), strict=True):
        h, _hc, mi = ref.information(rows, y, centres, T)
        assert info.histogram.n_rows == 42
        assert info.mutual_information == pytest.approx(mi, rel=1e-10)
        assert info.entropy == pytest.approx(h, rel=1e-10)
    mis = [g.mutual_information for g in got]
    assert mis == sorted(mis)  # the fixture's signal grows with depth: order is kept
    mi_list = softent.mutual_information(
        z, lab, centres=centres, temperature=T, layer_axis=layer_axis
    )
    assert mi_list == pytest.approx(mis, rel=1e-12)


def test_report_of_a_stack_has_one_row_per_label_set_and_layer(stack):
    z4, labels, centres = stack
    other = np.arange(42).reshape(6, 7) % 3
    rep = softent.report(
        z4, {"y": labels, "o": other}, centres=centres, temperature=T, layer_axis=0
    )
    assert rep.internal_shape == (3,)
    assert [(r["label_set"], r["index"]) for r in rep.rows] == [
        (s, (i,)) for s in ("y", "o") for i in range(3)
    ]
    for r in rep.rows:
        lab = (labels if r["label_set"] == "y" else other).reshape(-1)
        _, _, mi = ref.information(z4[r["index"][0]].reshape(42, 5), lab, centres, T)
        assert r["mutual_information"] == pytest.approx(mi, rel=1e-10)
    assert "index" in rep.format_table()


def test_masks_follow_the_row_axes_of_a_stack(stack):
    z4, labels, centres = stack
    mask = np.ones((6, 7), bool)
    mask[:, 5:] = False  # padding positions
    got = softent.information(z4, labels, centres=centres, temperature=T, layer_axis=0, mask=mask)
    for info, layer in zip(got, z4, strict=True):
        _, _, mi = ref.information(layer[mask], labels[mask], centres, T)
        assert info.histogram.n_rows == int(mask.sum())
        assert info.mutual_information == pytest.approx(mi, rel=1e-10)


def test_stacks_without_layer_axis_and_bad_axes_are_refused(stack):
    z4, labels, centres = stack
    with pytest.raises(ValueError, match=r"pass layer_axis="):
        softent.information(z4, labels, centres=centres)
    with pytest.raises(
        ValueError, match=r"layer_axis must be an int axis of z other than the last"
    ):
        softent.information(z4, labels, centres=centres, layer_axis=3)
    with pytest.raises(ValueError, match=r"layer_axis must be"):
        softent.information(z4, labels, centres=centres, layer_axis=4)
    with pytest.raises(TypeError, match=r"layer_axis must be"):
        softent.information(z4, labels, centres=centres, layer_axis="0")
    with pytest.raises(ValueError, match=r"labels must be one label per row of the layer stack"):
        softent.information(z4, labels[:, :3], centres=centres, layer_axis=0)
    with pytest.raises(ValueError, match=r"a layer stack of 3 or more axes"):
        softent.information(z4[0, 0], labels[0], centres=centres, layer_axis=0)


def test_torch_stack_of_hidden_states_works_as_given():
    torch = pytest.importorskip("torch")
    g = torch.Generator().manual_seed(0)
    hidden = tuple(torch.randn(4, 6, 8, generator=g) for _ in range(3))  # 3 x [B, T, D]
    labels = torch.randint(0, 3, (4, 6), generator=g)
    got = softent.information(torch.stack(hidden), labels, n_bins=10, layer_axis=0)
    for info, h in zip(got, hidden, strict=True):
        want = softent.information(h.reshape(24, 8), labels.reshape(-1), n_bins=10)
        assert isinstance(info.mutual_information, torch.Tensor)
        assert float(info.mutual_information) == pytest.approx(
            float(want.mutual_information), rel=1e-6
        )


def test_report_refuses_layer_axis_for_an_accumulator_source(stack):
    z4, labels, centres = stack
    acc = softent.Accumulator(centres, temperature=T).update(
        z4[0].reshape(42, 5), labels.reshape(-1)
    )
    with pytest.raises(ValueError, match=r"layer_axis must be left at its default"):
        softent.report(acc, layer_axis=0)


@pytest.mark.parametrize("interval", ["basic", "percentile"])
def test_a_layer_stack_report_keeps_every_statistics_option(stack, interval):
    """interval=, permutations= and their seeds reach every layer's report (each layer's
    rows equal the report of that layer alone)."""
    z4, labels, centres = stack
    kw = {
        "centres": centres,
        "temperature": T,
        "bootstrap": 30,
        "bootstrap_seed": 3,
        "interval": interval,
        "permutations": 40,
        "permutation_seed": 5,
    }
    got = softent.report(z4, {"y": labels}, layer_axis=0, **kw)
    assert got.interval == interval
    for li in range(3):
        want = softent.report(z4[li].reshape(42, 5), {"y": labels.reshape(-1)}, **kw).rows[0]
        row = got.rows[li]
        assert row["index"] == (li,)
        for key in ("mutual_information_ci", "mi_null_mean", "mi_pvalue", "mi_corrected"):
            assert row[key] == pytest.approx(want[key], rel=1e-9), key
