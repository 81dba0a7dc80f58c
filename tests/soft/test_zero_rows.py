"""All-zero rows under cosine bins (dead ReLUs, padding): refused by default, or left out
(``zero_rows='drop'``, with a warning giving their number), or given the kernel's
uniform assignment 1/B (``zero_rows='uniform'``, the old silent behaviour)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import reference.masking as ref
import softent
from cases import host, put

T = 0.1


@pytest.fixture
def with_zeros(clustered):
    z, labels, centres = clustered
    z = z.copy()
    z[[3, 40, 41, 900]] = 0.0
    z[41] = -0.0  # a signed zero is a zero too
    return z, labels, centres


def test_zero_rows_are_refused_by_default_naming_the_other_choices(with_zeros, device):
    z, labels, centres = with_zeros
    for call in (
        lambda: softent.entropy(put(z, device), centres=centres, temperature=T),
        lambda: softent.information(put(z, device), labels, centres=centres, temperature=T),
        lambda: softent.report(z, {"y": labels}, centres=centres, temperature=T),
    ):
        with pytest.raises(ValueError, match="all-zero rows") as err:
            call()
        msg = str(err.value)
        assert "z must be free of all-zero rows under metric='cosine'" in msg
        assert "zero_rows='drop'" in msg
        assert "zero_rows='uniform'" in msg
        assert "got 4 all-zero rows of 1013 (first: row 3)" in msg


def test_drop_equals_the_call_without_them_and_says_how_many(with_zeros, device):
    z, labels, centres = with_zeros
    zero = ref.zero_rows(z)
    with pytest.warns(UserWarning, match=r"zero_rows='drop' left out 4 all-zero rows of 1013"):
        got = softent.information(
            put(z, device), labels, centres=centres, temperature=T, zero_rows="drop"
        )
    h, _hc, mi = ref.information(z[~zero], labels[~zero], centres, T)
    assert got.histogram.n_rows == 1009
    assert host(got.mutual_information) == pytest.approx(mi, rel=1e-10)
    assert host(got.entropy) == pytest.approx(h, rel=1e-10)


def test_uniform_keeps_the_kernel_behaviour(with_zeros, device):
    z, _, centres = with_zeros
    got = softent.entropy(put(z, device), centres=centres, temperature=T, zero_rows="uniform")
    assert host(got) == pytest.approx(ref.uniform_entropy_with_zero_rows(z, centres, T), rel=1e-10)
    only_zeros = softent.entropy(np.zeros((5, 4)), n_bins=8, zero_rows="uniform")
    assert only_zeros == pytest.approx(math.log(8), rel=1e-12)


def test_tiny_rows_are_not_zero_rows(clustered):
    z, _, centres = clustered
    tiny = z * 1e-30
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = softent.entropy(tiny, centres=centres, temperature=T)
    assert got == pytest.approx(softent.entropy(z, centres=centres, temperature=T), rel=1e-9)


@pytest.mark.parametrize("metric", ["euclidean", "sqeuclidean", "dot"])
def test_other_metrics_score_zero_rows_normally(with_zeros, metric):
    z, labels, centres = with_zeros
    got = softent.information(z, labels, centres=centres, metric=metric, temperature=1.0)
    assert got.histogram.n_rows == len(z)


def test_drop_of_every_row_and_bad_values_are_refused(clustered):
    z, _, centres = clustered
    with pytest.raises(ValueError, match=r"not only all-zero rows"):
        softent.entropy(np.zeros((4, 3)), n_bins=5, zero_rows="drop")
    with pytest.raises(ValueError, match=r"zero_rows must be 'raise', 'drop' or 'uniform'"):
        softent.entropy(z, centres=centres, zero_rows="nan")


def test_report_and_torch_front_take_zero_rows(with_zeros):
    torch = pytest.importorskip("torch")
    import softent.torch as st

    z, labels, centres = with_zeros
    zero = ref.zero_rows(z)
    with pytest.warns(UserWarning, match="left out 4"):
        rep = softent.report(z, {"y": labels}, centres=centres, temperature=T, zero_rows="drop")
    _, _, mi = ref.information(z[~zero], labels[~zero], centres, T)
    assert rep.rows[0]["n_rows"] == 1009
    assert rep.rows[0]["mutual_information"] == pytest.approx(mi, rel=1e-10)
    zt = torch.tensor(z, requires_grad=True)
    with pytest.raises(ValueError, match=r"torch.mutual_information: z must be free of all-zero"):
        st.mutual_information(zt, labels, centres=centres, temperature=T)
    with pytest.warns(UserWarning, match="left out 4"):
        got = st.mutual_information(zt, labels, centres=centres, temperature=T, zero_rows="drop")
    assert float(got.detach()) == pytest.approx(mi, rel=1e-10)
    got.backward()
    assert bool((zt.grad[torch.tensor(zero)] == 0).all())
