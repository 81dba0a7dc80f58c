"""softent.plots: each function draws what it is given (bar heights = the normalised
histograms, one line per layer, one trajectory per layer), returns a Figure, writes a PNG,
and says which extra to install when matplotlib is missing."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import softent
from softent import plots

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def labelled():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 600)
    z = rng.normal(size=(600, 6)) + 2.5 * np.eye(6)[y]
    return z, y


def bar_heights(ax) -> np.ndarray:
    return np.array([p.get_height() for p in ax.patches])


def test_bin_occupancy_bars_are_the_normalised_histograms(tmp_path, labelled):
    z, y = labelled
    h = softent.soft_histogram(z, y, n_bins=10)
    fig = plots.bin_occupancy(h, path=tmp_path / "sub" / "occ.png")
    assert (tmp_path / "sub" / "occ.png").read_bytes()[:8] == PNG
    axes = fig.axes
    assert len(axes) == 1 + 4  # all rows + one panel per label value
    order = np.argsort(-h.total, kind="stable")
    np.testing.assert_allclose(bar_heights(axes[0]), h.total[order] / h.total.sum(), rtol=1e-12)
    for k in range(4):  # each label's p(b|k) on the overall order of the bins
        np.testing.assert_allclose(
            bar_heights(axes[1 + k]), h.per_label[k, order] / h.per_label[k].sum(), rtol=1e-12
        )
    unsorted = plots.bin_occupancy(h, sort_bins=False, max_labels=2)
    assert len(unsorted.axes) == 3
    np.testing.assert_allclose(bar_heights(unsorted.axes[0]), h.total / h.total.sum(), rtol=1e-12)


def test_bin_occupancy_accepts_an_accumulator_and_an_information(labelled):
    z, y = labelled
    acc = softent.Accumulator(n_bins=10, dim=6, label_sets=["y"])
    acc.update(z[:300], {"y": y[:300]})
    acc.update(z[300:], {"y": y[300:]})
    info = softent.information(z, y, n_bins=10)
    a = bar_heights(plots.bin_occupancy(acc, "y").axes[0])
    b = bar_heights(plots.bin_occupancy(info).axes[0])
    np.testing.assert_allclose(a, b, rtol=1e-10)
    unlabelled = softent.soft_histogram(z, n_bins=10)
    assert len(plots.bin_occupancy(unlabelled).axes) == 1
    with pytest.raises(
        TypeError, match=r"softent.plots.bin_occupancy: source must be a softent.SoftHistogram"
    ):
        plots.bin_occupancy(z)


def test_scatter_2d_draws_points_and_centres(tmp_path):
    rng = np.random.default_rng(1)
    z = rng.normal(size=(9000, 2))
    labels = (z[:, 0] > 0).astype(np.int64)
    labels[:10] = -1
    h = softent.soft_histogram(z, n_bins=7, metric="euclidean")
    fig = plots.scatter_2d(z, h, labels, max_points=2000, path=tmp_path / "s.png")
    assert (tmp_path / "s.png").read_bytes()[:8] == PNG
    (ax,) = [a for a in fig.axes if a.collections]
    offsets = [c.get_offsets() for c in ax.collections]
    assert sum(len(o) for o in offsets[:-1]) == 2000  # the seeded subset of the points
    np.testing.assert_allclose(
        np.asarray(offsets[-1]), h.centres
    )  # Euclidean centres where they are
    cos = plots.scatter_2d(z, softent.spherical_bins(5, 2), metric="cosine", max_points=len(z))
    pts = np.asarray(next(a for a in cos.axes if a.collections).collections[-1].get_offsets())
    radius = np.median(np.linalg.norm(z, axis=1))
    np.testing.assert_allclose(
        np.linalg.norm(pts, axis=1), radius
    )  # directions on the data's radius
    with pytest.raises(ValueError, match=r"z must be a 2-D array \[N, 2\]"):
        plots.scatter_2d(np.zeros((5, 3)), np.zeros((2, 3)))


HISTORY = [
    {
        "step": s,
        "layer": layer,
        "rows": 10,
        "H": 1.0 + s + j,
        "H(Z|y)": 0.5,
        "I(Z;y)": 0.1 * s + j,
        "I(Z;x)": 0.2 * s,
    }
    for s in range(4)
    for j, layer in enumerate(["a", "b"])
]


def test_layer_curves_one_line_per_layer_and_panel(tmp_path):
    fig = plots.layer_curves(HISTORY, unit="bits", x_label="epoch", path=tmp_path / "c.png")
    assert (tmp_path / "c.png").read_bytes()[:8] == PNG
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["H (bits)", "H(Z|y) (bits)", "I(Z;y) (bits)", "I(Z;x) (bits)"]
    i_y = fig.axes[2]
    lines = {ln.get_label(): ln for ln in i_y.get_lines()}
    assert set(lines) == {"a", "b"}
    np.testing.assert_allclose(lines["b"].get_ydata(), [1.0, 1.1, 1.2, 1.3])
    np.testing.assert_array_equal(lines["b"].get_xdata(), [0, 1, 2, 3])
    with pytest.raises(ValueError, match=r"columns must be columns of the history"):
        plots.layer_curves(HISTORY, ["I(Z;nope)"])
    with pytest.raises(ValueError, match=r"at least one record"):
        plots.layer_curves([])


def test_information_plane_one_trajectory_per_layer(tmp_path):
    planes = {
        "a": SimpleNamespace(
            steps=np.arange(3), i_xt=np.array([0.1, 0.5, 0.7]), i_ty=np.array([0.0, 0.2, 0.3])
        ),
        "b": SimpleNamespace(
            steps=np.arange(3), i_xt=np.array([0.2, 0.6, 0.5]), i_ty=np.array([0.1, 0.4, 0.45])
        ),
    }
    fig = plots.information_plane(planes, unit="bits", path=tmp_path / "p.png")
    assert (tmp_path / "p.png").read_bytes()[:8] == PNG
    ax = fig.axes[0]
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    np.testing.assert_allclose(lines["b"].get_xdata(), planes["b"].i_xt)
    np.testing.assert_allclose(lines["b"].get_ydata(), planes["b"].i_ty)
    assert "I(X;T)" in ax.get_xlabel()
    assert "bits" in ax.get_ylabel()
    with pytest.raises(ValueError, match=r"records with both I\(Z;x\) and I\(Z;y\)"):
        plots.information_plane(
            {"a": SimpleNamespace(steps=np.arange(0), i_xt=np.zeros(0), i_ty=np.zeros(0))}
        )


def test_information_plane_from_a_history_equals_the_monitors():
    pytest.importorskip("torch")
    from softent.torch import information_plane

    fig = plots.information_plane(HISTORY)
    ref = information_plane(HISTORY)
    lines = {ln.get_label(): ln for ln in fig.axes[0].get_lines()}
    np.testing.assert_allclose(lines["a"].get_xdata(), ref["a"].i_xt)
    np.testing.assert_allclose(lines["a"].get_ydata(), ref["a"].i_ty)


def test_missing_matplotlib_names_the_extra(monkeypatch, labelled):
    z, y = labelled
    h = softent.soft_histogram(z, y, n_bins=5)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install 'softent\[plot\]'"):
        plots.bin_occupancy(h)


def test_layer_curves_draw_a_companion_column_dashed_in_its_panel():
    hist = [dict(row, **{"I(Z;y) - E[null]": row["I(Z;y)"] - 0.05}) for row in HISTORY]
    fig = plots.layer_curves(
        hist, ["H", "I(Z;y)"], dashed={"I(Z;y)": "I(Z;y) - E[null]"}, dashed_label="corrected"
    )
    solid = [ln for ln in fig.axes[1].get_lines() if ln.get_linestyle() == "-"]
    dashed = [ln for ln in fig.axes[1].get_lines() if ln.get_linestyle() == "--"]
    assert len(solid) == 2
    # one dashed line per layer, in its layer's colour, plus the legend's key
    assert len(dashed) == 3
    assert dashed[1].get_color() == solid[1].get_color()
    np.testing.assert_allclose(dashed[1].get_ydata(), [0.95, 1.05, 1.15, 1.25])
    labels = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert "corrected" in labels
    assert not [ln for ln in fig.axes[0].get_lines() if ln.get_linestyle() == "--"]
    with pytest.raises(ValueError, match=r"dashed must be"):
        plots.layer_curves(HISTORY, ["H", "I(Z;y)"], dashed={"I(Z;y)": "I(Z;nope)"})
