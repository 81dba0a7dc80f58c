"""softent.compat.nam_entropy: nam-entropy 0.2.0's batch function, soft_bin, get_bins and
accumulator on softent's kernels — checked against the plain reference
(tests/reference/compat.py) on seeded data and given bins, for the documented differences
(its broken defaults, label subsets, merges of other bins) and errors. Parity with
nam-entropy itself: tests/parity/test_nam_entropy_compat_parity.py.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from reference import compat as reference
from softent.compat import nam_entropy as compat

torch = pytest.importorskip("torch")

LABELS = ["w", "x", "y", "z"]


def _data(n=400, d=6, seed=0, present=(0, 1, 2, 3)):
    rng = np.random.default_rng(seed)
    index = np.asarray(present)[rng.integers(0, len(present), n)]
    z = rng.normal(0, 1.3, (4, d))[index] + rng.normal(size=(n, d))
    bins = rng.uniform(z.min(0), z.max(0), size=(9, d))
    return z, index, bins


def _check(out, ref, rel=1e-10):
    m = out["output_metrics"]
    assert isinstance(m["entropy"], float)
    assert m["entropy"] == pytest.approx(ref["entropy"], rel=rel)
    assert m["conditional_entropy"] == pytest.approx(ref["conditional_entropy"], rel=rel)
    assert m["mutual_information"] == pytest.approx(ref["mutual_information"], rel=rel, abs=1e-14)
    assert m["label_entropy_dict"]["total_population"] == m["entropy"]
    for name, want in zip(LABELS, ref["label_entropies"], strict=True):
        got = m["label_entropy_dict"][name]
        assert got is None if want is None else got == pytest.approx(want, rel=rel)
    inter = out["intermediate_data"]
    p_total = inter["prob_dist_for_total_population_tensor"].double().numpy()
    np.testing.assert_allclose(p_total, ref["p_total"], rtol=rel, atol=1e-15)
    p_by = inter["prob_dist_by_label_tensor"].double().numpy()
    np.testing.assert_allclose(p_by, ref["p_by_label"], rtol=rel, atol=1e-15)


@pytest.mark.parametrize("dist_fn", ["euclidean", "cosine", "cosine_5", "dot"])
@pytest.mark.parametrize("weighting", ["weighted", "uniform"])
def test_batch_function_equals_the_reference_on_given_bins(dist_fn, weighting):
    z, index, bins = _data(seed=len(dist_fn))
    out = compat.compute_all_entropy_measures(
        torch.tensor(z),
        torch.tensor(index),
        LABELS,
        9,
        dist_fn=dist_fn,
        smoothing_fn="softmax",
        smoothing_temp=0.4,
        conditional_entropy_label_weighting=weighting,
        online_bins=torch.tensor(bins).view(9, 1, 6),
    )
    ref = reference.nam_measures(z, index, 4, bins, dist_fn, 0.4, weighting)
    _check(out, ref)
    assert ref["mutual_information"] > 0.02
    assert out["intermediate_data"]["tmp_bins"].shape == (9, 1, 6)


def test_defaults_use_the_softmax_and_draw_uniform_bins_from_torchs_generator():
    z, index, _ = _data()
    zt = torch.tensor(z)
    torch.manual_seed(21)
    out = compat.compute_all_entropy_measures(zt, torch.tensor(index), LABELS)
    bins = out["intermediate_data"]["tmp_bins"]
    torch.manual_seed(21)  # nam-entropy's draw: Uniform(min, max).sample([10])
    want = torch.distributions.Uniform(zt.min(0).values, zt.max(0).values).sample([10])
    torch.testing.assert_close(bins.view(10, 6), want, rtol=0, atol=0)
    ref = reference.nam_measures(z, index, 4, want.numpy(), "euclidean", 1.0)
    _check(out, ref)  # smoothing_fn='None' (nam-entropy: H = -inf, I = NaN) is the softmax


def test_a_label_without_rows_has_weight_zero_and_no_entropy():
    z, index, bins = _data(present=(0, 1, 3))  # nam-entropy: NaN (0/0) for "y"
    for weighting in ("weighted", "uniform"):
        out = compat.compute_all_entropy_measures(
            torch.tensor(z),
            torch.tensor(index),
            LABELS,
            smoothing_fn="softmax",
            conditional_entropy_label_weighting=weighting,
            online_bins=torch.tensor(bins),
        )
        assert out["output_metrics"]["label_entropy_dict"]["y"] is None
        _check(out, reference.nam_measures(z, index, 4, bins, "euclidean", 1.0, weighting))
    # the largest label absent too (nam-entropy: shape errors)
    z, index, bins = _data(present=(0, 1))
    out = compat.compute_all_entropy_measures(
        z, index, LABELS, online_bins=bins, smoothing_fn="softmax"
    )
    _check(out, reference.nam_measures(z, index, 4, bins, "euclidean", 1.0))


def test_discrete_smoothing_is_the_hard_argmax():
    z, index, bins = _data()
    out = compat.compute_all_entropy_measures(
        z, index, LABELS, online_bins=bins, dist_fn="cosine", smoothing_fn="discrete"
    )
    _check(out, reference.nam_measures(z, index, 4, bins, "cosine", 0))


def test_float32_numpy_and_two_dimensional_bins_are_accepted():
    z, index, bins = _data()
    out = compat.compute_all_entropy_measures(
        z.astype(np.float32), index, LABELS, online_bins=bins, smoothing_fn="softmax"
    )
    assert out["intermediate_data"]["prob_dist_by_label_tensor"].dtype == torch.float32
    _check(out, reference.nam_measures(z, index, 4, bins, "euclidean", 1.0), rel=1e-5)


def test_inputs_are_not_modified():
    z, index, bins = _data()
    zt, it, bt = torch.tensor(z), torch.tensor(index), torch.tensor(bins)
    copies = [t.clone() for t in (zt, it, bt)]
    compat.compute_all_entropy_measures(zt, it, LABELS, online_bins=bt, smoothing_fn="softmax")
    compat.soft_bin(zt, 9, online_bins=bt, smoothing_fn="softmax")
    acc = compat.EntropyAccumulator(9, LABELS, smoothing_fn="softmax")
    acc.update(zt, it)
    for t, c in zip((zt, it, bt), copies, strict=True):
        assert torch.equal(t, c)


@pytest.mark.parametrize(
    ("kwargs", "arg", "exc"),
    [
        ({"data_label_indices_tensor": np.full(400, 4)}, "data_label_indices_tensor", ValueError),
        ({"data_label_indices_tensor": np.full(400, -1)}, "data_label_indices_tensor", ValueError),
        ({"data_label_indices_tensor": np.zeros(400)}, "data_label_indices_tensor", TypeError),
        (
            {"data_label_indices_tensor": np.zeros(399, int)},
            "data_label_indices_tensor",
            ValueError,
        ),
        ({"data_embeddings_tensor": np.zeros(400)}, "data_embeddings_tensor", ValueError),
        ({"n_heads": 2}, "n_heads", ValueError),
        ({"smoothing_fn": "sparsemax"}, "smoothing_fn", ValueError),
        ({"dist_fn": "cluster"}, "dist_fn", ValueError),
        ({"bin_type": "cluster"}, "bin_type", ValueError),
        ({"smoothing_temp": 0.0}, "smoothing_temp", ValueError),
        ({"smoothing_temp": "hot"}, "smoothing_temp", TypeError),
        ({"conditional_entropy_label_weighting": "equal"}, "conditional_entropy", ValueError),
        ({"online_bins": np.zeros((9, 1, 5))}, "online_bins", ValueError),
        ({"label_list": []}, "label_list", ValueError),
        ({"n_bins": 0}, "n_bins", ValueError),
    ],
)
def test_bad_arguments_are_refused_naming_them(kwargs, arg, exc):
    z, index, _ = _data()
    call = {
        "data_embeddings_tensor": z,
        "data_label_indices_tensor": index,
        "label_list": LABELS,
    } | kwargs
    with pytest.raises(exc, match=f"softent.compat.nam_entropy.*: {arg}"):
        compat.compute_all_entropy_measures(**call)


# --------------------------------------------------------------------------- soft_bin, get_bins


@pytest.mark.parametrize(("dist_fn", "heads"), [("euclidean", 1), ("cosine", 3), ("dot", 2)])
def test_soft_bin_rows_are_the_reference_assignments(dist_fn, heads):
    z, _, _ = _data(n=50)
    torch.manual_seed(2)
    scores, bins = compat.soft_bin(
        torch.tensor(z),
        9,
        dist_fn=dist_fn,
        bin_type="unit_sphere",
        n_heads=heads,
        smoothing_fn="softmax",
        smoothing_temp=0.3,
    )
    assert scores.shape == (50, heads, 9)
    assert bins.shape == (9, heads, 6 // heads)
    for h in range(heads):
        cols = slice(h * 6 // heads, (h + 1) * 6 // heads)
        want = reference.nam_assignments(z[:, cols], bins[:, h].numpy(), dist_fn, 0.3)
        np.testing.assert_allclose(scores[:, h].numpy(), want, rtol=1e-10, atol=1e-15)


def test_soft_bin_refuses_what_nam_entropy_ignores_and_gradients():
    z, _, bins = _data(n=20)
    zt = torch.tensor(z)
    with pytest.raises(ValueError, match="bins, centers, sub_mean and online_var must be left"):
        compat.soft_bin(zt, 9, bins=torch.tensor(bins))
    with pytest.raises(ValueError, match=r"set_var must be 1\.0"):
        compat.soft_bin(zt, 9, set_var=2.0)
    with pytest.raises(ValueError, match="all_representations must be a tensor that does not"):
        compat.soft_bin(zt.requires_grad_(), 9)
    with torch.no_grad():
        assert compat.soft_bin(zt, 9, online_bins=torch.tensor(bins))[0].shape == (20, 1, 9)


def test_get_bins_grids_span_the_data_box():
    z, _, _ = _data()
    zt = torch.tensor(z)
    lo, hi = zt.min(0).values, zt.max(0).values
    grid = compat.get_bins(zt, "unit_cube_by_interpolation", 7, 1)[:, 0]
    assert grid.shape == (7, 6)  # nam-entropy makes 6 points for 7 bins and crashes
    torch.testing.assert_close(grid[0], lo)
    torch.testing.assert_close(grid[-1], hi)
    cells = compat.get_bins(zt, "unit_cube_by_bins", 4, 1)[:, 0]
    torch.testing.assert_close(cells[0], lo + (hi - lo) / 8, rtol=1e-6, atol=1e-6)
    flat = zt.clone()
    flat[:, 2] = 3.0  # a constant coordinate (torch's Uniform refuses low == high)
    torch.manual_seed(0)
    assert (compat.get_bins(flat, "uniform", 5, 1)[:, 0, 2] == 3.0).all()
    torch.manual_seed(0)
    want = torch.randn((5, 6))
    torch.manual_seed(0)
    torch.testing.assert_close(compat.get_bins(zt, "standard_normal", 5, 1)[:, 0], want.double())
    with pytest.raises(ValueError, match="n_heads must be an int >= 1 dividing D=6"):
        compat.get_bins(zt, "uniform", 5, 4)


# --------------------------------------------------------------------------- accumulator


def _acc(**kw):
    args = {"dist_fn": "cosine", "smoothing_fn": "softmax", "smoothing_temp": 0.5} | kw
    return compat.EntropyAccumulator(9, LABELS, **args)


def _stream(acc, z, index, cuts=(0, 90, 91, 250, 400)):
    for lo, hi in itertools.pairwise(cuts):
        acc.update(torch.tensor(z[lo:hi]), torch.tensor(index[lo:hi]))
    return acc


@pytest.mark.parametrize("weighting", ["weighted", "uniform"])
def test_accumulator_equals_the_batch_function_and_the_reference(weighting):
    z, index, _ = _data(present=(0, 2, 3))
    torch.manual_seed(5)
    acc = _stream(_acc(embedding_dim=6, bin_type="unit_sphere"), z, index)
    bins = acc.bins.view(9, 6).double().numpy()
    out = acc.compute_metrics(weighting)
    _check(out, reference.nam_measures(z, index, 4, bins, "cosine", 0.5, weighting))
    batch = compat.compute_all_entropy_measures(
        z,
        index,
        LABELS,
        9,
        dist_fn="cosine",
        smoothing_fn="softmax",
        smoothing_temp=0.5,
        conditional_entropy_label_weighting=weighting,
        online_bins=acc.bins,
    )
    assert out["output_metrics"]["entropy"] == pytest.approx(
        batch["output_metrics"]["entropy"], rel=1e-12
    )
    assert acc.total_count == 400


def test_accumulator_draws_data_bins_from_its_first_batch():
    z, index, _ = _data()
    torch.manual_seed(8)
    acc = _stream(_acc(dist_fn="euclidean"), z, index)
    torch.manual_seed(8)
    first = compat.get_bins(torch.tensor(z[:90]), "uniform", 9, 1)
    torch.testing.assert_close(acc.bins, first, rtol=0, atol=0)


def test_merge_equals_one_accumulator_and_refuses_other_bins():
    z, index, _ = _data()
    torch.manual_seed(3)
    whole = _stream(_acc(embedding_dim=6, bin_type="unit_sphere"), z, index)
    torch.manual_seed(3)
    a = _stream(_acc(embedding_dim=6, bin_type="unit_sphere"), z[:150], index[:150], (0, 150))
    torch.manual_seed(3)
    b = _stream(_acc(embedding_dim=6, bin_type="unit_sphere"), z[150:], index[150:], (0, 250))
    empty = _acc()
    empty.merge(a)  # an empty accumulator adopts the other's bins and state
    empty.merge(b)
    for m in (empty.compute_metrics(), whole.compute_metrics()):
        assert m["output_metrics"]["mutual_information"] == pytest.approx(
            whole.compute_metrics()["output_metrics"]["mutual_information"], rel=1e-12
        )
    torch.manual_seed(4)  # other bins: nam-entropy would add the histograms silently
    other = _stream(_acc(embedding_dim=6, bin_type="unit_sphere"), z, index)
    with pytest.raises(ValueError, match="other must be an accumulator with the same bins"):
        a.merge(other)
    with pytest.raises(ValueError, match="other must be an accumulator with the same dist_fn"):
        a.merge(_acc(smoothing_temp=0.3))
    with pytest.raises(ValueError, match="other must be an accumulator with the same n_bins"):
        a.merge(compat.EntropyAccumulator(9, ["p", "q"]))
    with pytest.raises(ValueError, match="other must be another accumulator"):
        a.merge(a)


def test_state_dict_round_trip_and_nam_entropys_own_float32_state():
    z, index, _ = _data()
    torch.manual_seed(6)
    acc = _stream(_acc(embedding_dim=6, bin_type="unit_sphere"), z, index)
    state = acc.get_state_dict()
    assert state["total_scores_sum"].shape == (9,)
    assert state["label_scores_sum"].shape == (4, 9)
    back = compat.EntropyAccumulator.from_state_dict(state)
    assert back.compute_metrics()["output_metrics"] == acc.compute_metrics()["output_metrics"]
    # a state as nam-entropy writes it: sums in the data's dtype
    theirs = state | {
        "total_scores_sum": state["total_scores_sum"].float(),
        "label_scores_sum": state["label_scores_sum"].float(),
    }
    m = compat.EntropyAccumulator.from_state_dict(theirs).compute_metrics()["output_metrics"]
    # (H(Z) of the labelled rows: the sum of its per-label histograms)
    p = state["label_scores_sum"].float().double().numpy().sum(axis=0)
    assert m["entropy"] == pytest.approx(reference.soft.shannon(p), rel=1e-12)
    empty = compat.EntropyAccumulator.from_state_dict(_acc().get_state_dict())
    with pytest.raises(ValueError, match="the accumulator must be non-empty"):
        empty.compute_metrics()


def test_a_refused_update_changes_nothing():
    z, index, _ = _data()
    torch.manual_seed(6)
    acc = _stream(_acc(embedding_dim=6, bin_type="unit_sphere"), z, index)
    before = acc.compute_metrics()["output_metrics"]
    with pytest.raises(ValueError, match="index_tensor must be indices into label_list"):
        acc.update(torch.tensor(z[:10]), torch.tensor(index[:10] + 4))
    bad = torch.tensor(z[:10])
    bad[2, 1] = float("nan")
    with pytest.raises(ValueError, match="row 2"):
        acc.update(bad, torch.tensor(index[:10]))
    with pytest.raises(ValueError, match=r"data_tensor must be \[N, 6\]"):
        acc.update(torch.zeros(10, 5), torch.tensor(index[:10]))
    assert acc.compute_metrics()["output_metrics"] == before
    assert acc.total_count == 400
