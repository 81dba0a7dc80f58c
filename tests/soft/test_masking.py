"""Masking only when asked (issue 14 part B): every label value is a class, -1 included;
``ignore_index=`` and ``mask=`` leave rows out, and the result then equals the call on
the pre-filtered rows, in the batch API, the torch front, the Accumulator and the report.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import reference.masking as ref
import softent
from cases import host, put

T = 0.1


@pytest.fixture
def signed(clustered):
    """(z, ±1 labels that carry information about z, centres)."""
    z, labels, centres = clustered
    return z, np.where(labels % 2 == 0, 1, -1), centres


def test_plus_minus_one_labels_keep_every_row_and_give_the_reference_mi(signed, device):
    z, y, centres = signed
    got = softent.information(put(z, device), put(y, device), centres=centres, temperature=T)
    h, _hc, mi = ref.information(z, y, centres, T)
    assert got.histogram.n_rows == len(z)
    assert host(got.counts).tolist() == [int((y == -1).sum()), int((y == 1).sum())]
    assert host(got.label_values).tolist() == [-1, 1]
    assert host(got.mutual_information) == pytest.approx(mi, rel=1e-10)
    assert host(got.entropy) == pytest.approx(h, rel=1e-10)
    assert mi > 0.05  # not the I = 0 of the old masking (one label value left)


def test_minus_one_is_a_class_in_the_accumulator_and_the_report(signed):
    z, y, centres = signed
    acc = softent.Accumulator(centres, temperature=T).update(z, y)
    _, _, mi = ref.information(z, y, centres, T)
    assert float(acc.mutual_information()) == pytest.approx(mi, rel=1e-10)
    rep = softent.report(z, {"y": y}, centres=centres, temperature=T)
    assert rep.rows[0]["n_rows"] == len(z)
    assert rep.rows[0]["mutual_information"] == pytest.approx(mi, rel=1e-10)


def _hf_labels(labels: np.ndarray) -> np.ndarray:
    y = labels.copy()
    y[::4] = -100  # Hugging Face's "ignore"
    return y


def test_ignore_index_equals_the_call_on_the_kept_rows(clustered, device):
    z, labels, centres = clustered
    y = _hf_labels(labels)
    keep = ref.kept(y, ignore_index=-100)
    got = softent.information(
        put(z, device), put(y, device), centres=centres, temperature=T, ignore_index=-100
    )
    want = softent.information(put(z[keep], device), y[keep], centres=centres, temperature=T)
    h, _hc, mi = ref.information(z, y, centres, T, ignore_index=-100)
    assert got.histogram.n_rows == int(keep.sum()) == len(z) - len(z[::4])
    assert host(got.mutual_information) == pytest.approx(host(want.mutual_information), rel=1e-12)
    assert host(got.mutual_information) == pytest.approx(mi, rel=1e-10)
    assert host(got.entropy) == pytest.approx(h, rel=1e-10)
    assert -100 not in host(got.label_values).tolist()
    # without ignore_index, -100 is one more class
    plain = softent.information(z, y, centres=centres, temperature=T)
    assert plain.label_values.tolist()[0] == -100


def test_mask_and_both_equal_the_call_on_the_kept_rows(clustered, device):
    z, labels, centres = clustered
    y = _hf_labels(labels)
    rng = np.random.default_rng(3)
    mask = rng.random(len(z)) < 0.8
    for kwargs in ({"mask": mask}, {"mask": mask, "ignore_index": -100}):
        keep = ref.kept(y, kwargs.get("ignore_index"), mask)
        got = softent.information(
            put(z, device), put(y, device), centres=centres, temperature=T, **kwargs
        )
        _h, hc, mi = ref.information(z, y, centres, T, **kwargs)
        assert got.histogram.n_rows == int(keep.sum())
        assert host(got.mutual_information) == pytest.approx(mi, rel=1e-10)
        assert host(got.conditional_entropy) == pytest.approx(hc, rel=1e-10)
    # a torch bool mask is taken as a NumPy one
    torch = pytest.importorskip("torch")
    a = softent.mutual_information(z, y, centres=centres, temperature=T, mask=torch.tensor(mask))
    b = softent.mutual_information(z, y, centres=centres, temperature=T, mask=mask)
    assert a == b


def test_entropy_takes_a_mask(clustered):
    z, _, centres = clustered
    mask = np.arange(len(z)) % 3 != 0
    got = softent.entropy(z, centres=centres, temperature=T, mask=mask)
    assert got == pytest.approx(softent.entropy(z[mask], centres=centres, temperature=T), rel=1e-12)


def test_string_labels_take_a_string_ignore_index(clustered):
    z, labels, centres = clustered
    words = np.array([f"w{v}" for v in labels])
    words[::5] = "<pad>"
    got = softent.mutual_information(z, words, centres=centres, temperature=T, ignore_index="<pad>")
    _, _, mi = ref.information(z, words, centres, T, ignore_index="<pad>")
    assert got == pytest.approx(mi, rel=1e-10)


def test_inputs_are_not_modified(clustered):
    z, labels, centres = clustered
    y = _hf_labels(labels)
    mask = np.arange(len(z)) % 5 != 0
    copies = (z.copy(), y.copy(), mask.copy())
    softent.information(z, y, centres=centres, temperature=T, ignore_index=-100, mask=mask)
    softent.report(z, {"y": y}, centres=centres, temperature=T, ignore_index=-100, mask=mask)
    for a, b in zip((z, y, mask), copies, strict=True):
        np.testing.assert_array_equal(a, b)


def test_warns_when_masking_drops_most_rows_or_leaves_one_label(clustered):
    z, labels, centres = clustered
    y = labels.copy()
    y[: int(0.6 * len(y))] = -100
    with pytest.warns(UserWarning, match=r"left out 607 of 1013 rows \(60%\)"):
        softent.information(z, y, centres=centres, temperature=T, ignore_index=-100)
    one = np.where(labels == 0, 0, -100)
    with pytest.warns(UserWarning, match="masking") as record:
        got = softent.mutual_information(z, one, centres=centres, temperature=T, ignore_index=-100)
    messages = [str(w.message) for w in record]
    assert any("left one label value (0)" in m and "I(Z;L) = 0" in m for m in messages)
    assert got == pytest.approx(0.0, abs=1e-12)
    # no warning without masking, nor for a mild mask
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        softent.information(z, labels, centres=centres, temperature=T)
        softent.information(z, labels, centres=centres, temperature=T, mask=labels != 1)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"mask": np.ones(5, bool)}, ValueError, r"mask must be a 1-D boolean array of length"),
        ({"mask": np.ones(1013, int)}, TypeError, r"mask must be a boolean array"),
        ({"mask": np.zeros(1013, bool)}, ValueError, r"mask must be True for at least one row"),
        ({"ignore_index": 1.5}, TypeError, r"ignore_index must be None, an int label value"),
        ({"ignore_index": True}, TypeError, r"ignore_index must be None, an int"),
    ],
)
def test_bad_masks_are_refused_naming_the_argument(clustered, kwargs, exc, match):
    z, labels, centres = clustered
    with pytest.raises(exc, match=match):
        softent.information(z, labels, centres=centres, temperature=T, **kwargs)


def test_all_rows_ignored_is_refused(clustered):
    z, _, centres = clustered
    with pytest.raises(ValueError, match=r"ignore_index must be a value that leaves some rows"):
        softent.information(z, np.full(len(z), 7), centres=centres, temperature=T, ignore_index=7)


def test_accumulator_update_masks_per_set_and_by_row(clustered):
    z, labels, centres = clustered
    y = _hf_labels(labels)
    other = labels % 3
    acc = softent.Accumulator(centres, temperature=T)
    for s in np.array_split(np.arange(len(z)), 4):
        acc.update(z[s], {"y": y[s], "o": other[s]}, ignore_index=-100)
    keep = y != -100
    _, _, mi_y = ref.information(z, y, centres, T, ignore_index=-100)
    _, _, mi_o = ref.information(z, other, centres, T)  # "o" has no -100: every row
    assert float(acc.mutual_information("y")) == pytest.approx(mi_y, rel=1e-10)
    assert float(acc.mutual_information("o")) == pytest.approx(mi_o, rel=1e-10)
    assert int(acc.counts("y").sum()) == int(keep.sum())
    mask = np.arange(len(z)) % 3 != 0
    by_row = softent.Accumulator(centres, temperature=T).update(z, labels, mask=mask)
    assert by_row.n_rows == int(mask.sum())
    _, _, mi = ref.information(z, labels, centres, T, mask=mask)
    assert float(by_row.mutual_information()) == pytest.approx(mi, rel=1e-10)


def test_report_passes_masks_through_with_intervals(clustered):
    z, labels, centres = clustered
    y = _hf_labels(labels)
    mask = np.arange(len(z)) % 5 != 0
    rep = softent.report(
        z,
        {"y": y, "o": labels % 3},
        centres=centres,
        temperature=T,
        ignore_index=-100,
        mask=mask,
        bootstrap=8,
    )
    keep = mask & (y != -100)
    filtered = softent.report(z[keep], {"y": y[keep]}, centres=centres, temperature=T, bootstrap=8)
    assert rep.rows[0]["n_rows"] == int(keep.sum())
    assert rep.rows[0]["mutual_information"] == pytest.approx(
        filtered.rows[0]["mutual_information"], rel=1e-12
    )
    assert rep.rows[1]["n_rows"] == int(mask.sum())  # "o" masks only by mask=
    lo, hi = rep.rows[0]["mutual_information_ci"]
    assert lo <= hi


def test_report_refuses_masks_for_an_accumulator_source(clustered):
    z, labels, centres = clustered
    acc = softent.Accumulator(centres, temperature=T).update(z, labels)
    with pytest.raises(ValueError, match=r"ignore_index must be left at its default"):
        softent.report(acc, ignore_index=-100)


def test_torch_front_masks_like_the_numpy_api(clustered):
    torch = pytest.importorskip("torch")
    import softent.torch as st

    z, labels, centres = clustered
    y = _hf_labels(labels)
    mask = np.arange(len(z)) % 5 != 0
    want = softent.information(z, y, centres=centres, temperature=T, ignore_index=-100, mask=mask)
    zt = torch.tensor(z, requires_grad=True)
    got = st.information(
        zt, torch.tensor(y), centres=centres, temperature=T, ignore_index=-100, mask=mask
    )
    assert float(got.mutual_information.detach()) == pytest.approx(
        want.mutual_information, rel=1e-10
    )
    got.mutual_information.backward()
    dropped = ~(mask & (y != -100))
    assert bool((zt.grad[torch.tensor(dropped)] == 0).all())
    # n_labels-coded labels mask in torch, with the same numbers
    codes = np.searchsorted(np.unique(labels), labels)
    codes_hf = np.where(y == -100, -100, codes)
    coded = st.information(
        torch.tensor(z),
        torch.tensor(codes_hf),
        centres=centres,
        temperature=T,
        n_labels=6,
        ignore_index=-100,
        mask=torch.tensor(mask),
    )
    assert float(coded.mutual_information) == pytest.approx(want.mutual_information, rel=1e-10)


@pytest.mark.parametrize("dtype_name", ["float32", "float64", "float16"])
def test_differentiable_results_have_the_input_dtype(clustered, dtype_name):
    torch = pytest.importorskip("torch")
    import softent.torch as st

    z, labels, centres = clustered
    dtype = getattr(torch, dtype_name)
    zt = torch.tensor(z, dtype=dtype, requires_grad=True)
    want = torch.float32 if dtype == torch.float16 else dtype
    info = st.information(zt, labels, centres=centres, temperature=T)
    for value in (info.entropy, info.conditional_entropy, info.mutual_information):
        assert value.dtype == want
    assert info.label_entropies.dtype == want
    mi = softent.mutual_information(zt, labels, centres=centres, temperature=T)
    assert mi.dtype == want  # the top-level function's differentiable path too
    assert mi.dtype == softent.mutual_information(zt.detach(), labels, centres=centres).dtype
    mi.backward()
    assert zt.grad is not None
    assert zt.grad.dtype == dtype


def test_report_tables_never_print_negative_zero(clustered):
    z, labels, centres = clustered
    rep = softent.report(z, {"y": labels}, centres=centres, temperature=T)
    row = dict(rep.rows[0], mutual_information=-1e-17, conditional_entropy=-0.0)
    tweaked = softent.Report([row], rep.bins, rep.base, rep.weighting)
    table = tweaked.format_table()
    assert "-0.0000" not in table
    assert " 0.0000" in table
