"""``ignore_index=`` / ``mask=`` / ``zero_rows=`` on the low-level layer:
``softent.soft_histogram`` and ``softent.soft.bootstrap.poisson_bootstrap`` select the rows
exactly as the estimators do (same semantics, messages and warnings): a masked histogram
equals the estimators' numbers on the same masked rows and the plain NumPy reference on
the pre-filtered rows; the bootstrap's replicates are those of the pre-filtered rows (mask,
zero rows) or keep a per-set ignored row in the total only (ignore_index, as report())."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import reference.masking as ref
import softent
from cases import host, put
from reference import soft as ref_soft
from reference.bootstrap import poisson_weights
from softent.soft.bootstrap import iter_poisson_bootstrap, poisson_bootstrap

T = 0.1


@pytest.fixture
def hf(clustered):
    """(z, token labels with Hugging Face's -100 on every 5th row, a keep mask, centres)."""
    z, labels, centres = clustered
    y = labels.copy()
    y[::5] = -100
    mask = np.random.default_rng(3).random(len(z)) < 0.85
    return z, y, mask, centres


def test_ignore_index_and_mask_equal_the_estimators_on_the_same_rows(hf, device):
    z, y, mask, centres = hf
    z0, y0, m0 = z.copy(), y.copy(), mask.copy()
    kw = {"centres": centres, "temperature": T}
    for sel in ({"ignore_index": -100}, {"mask": mask}, {"ignore_index": -100, "mask": mask}):
        dev_sel = {k: put(v, device) if k == "mask" else v for k, v in sel.items()}
        h = softent.soft_histogram(put(z, device), put(y, device), **kw, **dev_sel)
        info = softent.information(put(z, device), put(y, device), **kw, **dev_sel)
        keep = ref.kept(y, sel.get("ignore_index"), sel.get("mask"))
        assert h.n_rows == int(keep.sum())
        assert h.n_dropped == 0
        assert (-100 in h.label_values.tolist()) == ("ignore_index" not in sel)
        np.testing.assert_array_equal(h.counts, host(info.counts))
        # the estimators' numbers, bit for bit: the same rows in the same kernel pass
        assert h.mutual_information() == host(info.mutual_information)
        assert h.entropy() == host(info.entropy)
        # the plain reference on the pre-filtered rows
        want_h, want_hc, want_mi = ref.information(z, y, centres, T, **sel)
        assert h.entropy() == pytest.approx(want_h, rel=1e-10)
        assert h.conditional_entropy() == pytest.approx(want_hc, rel=1e-10)
        assert h.mutual_information() == pytest.approx(want_mi, rel=1e-9)
        # and the unmasked call on the rows the selection keeps
        plain = softent.soft_histogram(z[keep], y[keep], **kw)
        np.testing.assert_allclose(h.per_label, plain.per_label, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(z, z0)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(mask, m0)


def test_string_labels_take_a_string_ignore_index_and_h_alone_takes_a_mask(clustered):
    z, labels, centres = clustered
    words = np.array(["<pad>", "a", "b", "c", "d", "e"])[labels]
    h = softent.soft_histogram(z, words, ignore_index="<pad>", centres=centres, temperature=T)
    keep = words != "<pad>"
    assert h.label_values.tolist() == ["a", "b", "c", "d", "e"]
    assert h.mutual_information() == pytest.approx(
        softent.mutual_information(z[keep], words[keep], centres=centres, temperature=T),
        rel=1e-12,
    )
    mask = labels != 0
    total = softent.soft_histogram(z, mask=mask, centres=centres, temperature=T)
    assert total.entropy() == pytest.approx(
        softent.entropy(z, mask=mask, centres=centres, temperature=T), rel=1e-12
    )
    assert total.n_rows == int(mask.sum())


def test_zero_rows_policies_match_the_estimators(clustered):
    z, labels, centres = clustered
    z = z.copy()
    z[[3, 40, 41]] = 0.0
    kw = {"centres": centres, "temperature": T}
    # the low-level default keeps the kernel's uniform assignment, as documented
    uniform = softent.soft_histogram(z, **kw)
    assert uniform.entropy() == pytest.approx(
        ref.uniform_entropy_with_zero_rows(z, centres, T), rel=1e-10
    )
    assert uniform.entropy() == softent.entropy(z, zero_rows="uniform", **kw)
    with pytest.raises(ValueError, match=r"all-zero rows? of") as got:
        softent.soft_histogram(z, labels, zero_rows="raise", **kw)
    with pytest.raises(ValueError, match=r"all-zero rows? of") as est:
        softent.mutual_information(z, labels, **kw)
    # the same message but for the function's name
    assert str(got.value).removeprefix("softent.soft_histogram") == str(est.value).removeprefix(
        "softent.mutual_information"
    )
    assert "first: row 3" in str(got.value)
    assert "zero_rows='drop'" in str(got.value)
    with pytest.warns(UserWarning, match=r"soft_histogram: zero_rows='drop' left out 3 all-zero"):
        dropped = softent.soft_histogram(z, labels, zero_rows="drop", **kw)
    nz = ~ref.zero_rows(z)
    assert dropped.n_rows == int(nz.sum())
    with pytest.warns(UserWarning, match=r"mutual_information: zero_rows='drop' left out 3"):
        want = softent.mutual_information(z, labels, zero_rows="drop", **kw)
    assert dropped.mutual_information() == want
    # other metrics score a zero row: 'raise' has nothing to refuse
    e = softent.soft_histogram(z, metric="euclidean", zero_rows="raise", **kw)
    assert e.n_rows == len(z)


def test_masking_warns_and_refuses_as_the_estimators_do(clustered):
    z, labels, centres = clustered
    kw = {"centres": centres, "temperature": T}
    most = labels < 2  # keeps about a third of the rows
    with pytest.warns(UserWarning, match=r"softent\.soft_histogram: masking .* left out"):
        softent.soft_histogram(z, labels, mask=most, **kw)
    with warnings.catch_warnings(record=True) as record:  # also: most rows left out
        warnings.simplefilter("always")
        softent.soft_histogram(z, labels, mask=labels == 4, **kw)
    assert any(
        "soft_histogram: masking (mask=/ignore_index=) left one label value (4)" in str(w.message)
        for w in record
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a light mask says nothing
        softent.soft_histogram(z, labels, mask=labels != 0, **kw)
    api = r"softent\.soft_histogram: "
    with pytest.raises(ValueError, match=api + r"mask must be True for at least one row"):
        softent.soft_histogram(z, labels, mask=np.zeros(len(z), bool), **kw)
    with pytest.raises(ValueError, match=api + r"ignore_index must be a value that leaves"):
        softent.soft_histogram(z, np.full(len(z), 7), ignore_index=7, **kw)
    with pytest.raises(ValueError, match=api + r"ignore_index must be None when no labels"):
        softent.soft_histogram(z, ignore_index=-100, **kw)
    with pytest.raises(TypeError, match=api + r"mask must be a boolean array"):
        softent.soft_histogram(z, labels, mask=np.ones(len(z), int), **kw)
    with pytest.raises(ValueError, match=api + r"mask must be a 1-D boolean array of length"):
        softent.soft_histogram(z, labels, mask=np.ones(len(z) - 1, bool), **kw)
    with pytest.raises(ValueError, match=api + r"labels must be a 1-D array with one label per"):
        softent.soft_histogram(z, labels[:10], mask=labels != 0, **kw)
    with pytest.raises(ValueError, match=api + r"zero_rows must be 'raise', 'drop' or 'uniform'"):
        softent.soft_histogram(z, labels, zero_rows="skip", **kw)


def test_mask_then_nonfinite_drop_counts_only_the_nonfinite_rows(clustered):
    z, labels, centres = clustered
    z = z.copy()
    z[[5, 6]] = np.nan
    mask = np.ones(len(z), bool)
    mask[[6, 7, 8]] = False  # row 6 is masked and non-finite
    h = softent.soft_histogram(
        z, labels, mask=mask, nonfinite="drop", centres=centres, temperature=T
    )
    assert (h.n_rows, h.n_dropped) == (len(z) - 4, 1)
    keep = mask & np.isfinite(z).all(axis=1)
    plain = softent.soft_histogram(z[keep], labels[keep], centres=centres, temperature=T)
    np.testing.assert_allclose(h.per_label, plain.per_label, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- bootstrap


def _reference_replicates(z, sets, centres, weights, ignore_index=None):
    """Per replicate: total [B] and {name: (values, per_label [K, B])}, from the materialised
    assignments: row i weighted by weights[r, i]; a row whose label in a set is
    ``ignore_index`` stays in the total and leaves that set."""
    q = ref_soft.assignments(z, centres, "cosine", T)
    out = []
    for w in weights:
        total = (w[:, None] * q).sum(axis=0)
        per = {}
        for name, lab in sets.items():
            keep = ref.kept(lab, ignore_index)
            values = sorted(set(np.asarray(lab)[keep].tolist()))
            per[name] = (
                values,
                np.array(
                    [(w[keep & (lab == v), None] * q[keep & (lab == v)]).sum(0) for v in values]
                ),
            )
        out.append((total, per))
    return out


def test_bootstrap_mask_and_zero_rows_resample_the_kept_rows(hf):
    z, y, mask, centres = hf
    z = z[:300].copy()
    y, mask = y[:300], mask[:300]
    z[[10, 11]] = 0.0
    bins = softent.Bins(centres, "cosine", T)
    sets = {"y": y, "w": y % 3}
    with pytest.warns(UserWarning, match=r"poisson_bootstrap: zero_rows='drop' left out 2"):
        got = poisson_bootstrap(z, sets, bins, 4, seed=9, mask=mask, zero_rows="drop")
    keep = mask & ~ref.zero_rows(z)
    # the kept rows renumbered 0..M-1: the replicates of z[keep], as report() draws them
    want = poisson_bootstrap(z[keep], {k: v[keep] for k, v in sets.items()}, bins, 4, seed=9)
    weights = poisson_weights(9, int(keep.sum()), 4)
    ref_reps = _reference_replicates(
        z[keep], {k: v[keep] for k, v in sets.items()}, centres, weights
    )
    for a, b, (total, per) in zip(got, want, ref_reps, strict=True):
        np.testing.assert_array_equal(a["total"], b["total"])
        np.testing.assert_allclose(a["total"], total, rtol=1e-10)
        for name in sets:
            np.testing.assert_array_equal(a["sets"][name][0], b["sets"][name][0])
            np.testing.assert_array_equal(a["sets"][name][1], b["sets"][name][1])
            assert a["sets"][name][0].tolist() == per[name][0]
            np.testing.assert_allclose(a["sets"][name][1], per[name][1], rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match=r"softent\.poisson_bootstrap: z must be free of all-zero"):
        poisson_bootstrap(z, sets, bins, 4, zero_rows="raise")


def test_bootstrap_ignore_index_masks_per_set_and_keeps_the_row_in_the_total(hf):
    z, y, _mask, centres = hf
    z, y = z[:250], y[:250]
    other = np.arange(250) % 4  # no -100 here: this set keeps every row
    bins = softent.Bins(centres, "cosine", T)
    got = poisson_bootstrap(z, {"y": y, "o": other}, bins, 3, seed=2, ignore_index=-100)
    full = poisson_bootstrap(z, {"o": other}, bins, 3, seed=2)
    ref_reps = _reference_replicates(
        z, {"y": y, "o": other}, centres, poisson_weights(2, 250, 3), ignore_index=-100
    )
    for a, b, (total, per) in zip(got, full, ref_reps, strict=True):
        np.testing.assert_array_equal(a["total"], b["total"])  # every row resampled
        np.testing.assert_array_equal(a["sets"]["o"][1], b["sets"]["o"][1])
        assert -100 not in a["sets"]["y"][0].tolist()
        assert a["sets"]["y"][0].tolist() == per["y"][0]
        np.testing.assert_allclose(a["sets"]["y"][1], per["y"][1], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(a["total"], total, rtol=1e-10)
    # the iterator is the same function, one replicate at a time
    it = list(iter_poisson_bootstrap(z, {"y": y}, bins, 3, seed=2, ignore_index=-100))
    for a, b in zip(it, got, strict=True):
        np.testing.assert_array_equal(a["sets"]["y"][1], b["sets"]["y"][1])


def test_bootstrap_masking_warns_and_refuses_naming_its_arguments(hf):
    z, y, _mask, centres = hf
    bins = softent.Bins(centres, "cosine", T)
    api = r"softent\.poisson_bootstrap: "
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        poisson_bootstrap(z, {"y": y}, bins, 2, mask=y == 1)
    messages = [str(w.message) for w in record]
    assert any(
        m.startswith("softent.poisson_bootstrap: masking") and "left out" in m for m in messages
    )
    assert any("left one label value (1)" in m for m in messages)
    with pytest.raises(ValueError, match=api + r"mask must be True for at least one row"):
        poisson_bootstrap(z, {"y": y}, bins, 2, mask=np.zeros(len(z), bool))
    with pytest.raises(ValueError, match=api + r"label_sets\['y'\] must be"):
        poisson_bootstrap(z, {"y": y[:5]}, bins, 2, mask=y != 1)
    with pytest.raises(ValueError, match=api + r"ignore_index must be a value that leaves"):
        poisson_bootstrap(z, {"y": np.full(len(z), -100)}, bins, 2, ignore_index=-100)
    with pytest.raises(ValueError, match=api + r"zero_rows must be 'raise', 'drop' or 'uniform'"):
        poisson_bootstrap(z, {"y": y}, bins, 2, zero_rows="none")
