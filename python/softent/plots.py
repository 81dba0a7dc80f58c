"""Plots of soft-bin histograms and of training curves (matplotlib, an optional extra).

    pip install 'softent[plot]'

Every function returns a ``matplotlib.figure.Figure`` and, given ``path``, also writes it
as a PNG. Figures are built with the object-oriented API (``Figure`` + the Agg canvas),
never through ``pyplot``: nothing depends on the interactive backend, no global figure
registry grows (no "too many open figures" warnings in loops), and the calls are safe in
scripts, servers and tests. In a notebook a returned figure displays as the cell's value;
elsewhere open the PNG.

- :func:`bin_occupancy`: bars of p(b) and p(b | label) for each label value.
- :func:`scatter_2d`: 2-D data with the bin centres (inputs with D = 2).
- :func:`layer_curves`: per-layer H, H(Z|L), I(Z;L) over steps/epochs
  (:class:`softent.torch.LayerMonitor` history).
- :func:`information_plane`: I(X;T) against I(T;Y) per layer over training.
- :func:`plot_pid_history`: representational complexity C and the degree-of-synergy atoms
  per layer over training (:class:`softent.torch.PIDMonitor` history).

``import softent`` never imports matplotlib; this module imports it only inside the
functions, so ``import softent.plots`` works without it and each call says what to install.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._checks import check_int, fail

if TYPE_CHECKING:  # matplotlib is optional: only for the annotations
    from matplotlib.figure import Figure

PathLike = str | os.PathLike

__all__ = [
    "bin_occupancy",
    "information_plane",
    "layer_curves",
    "plot_pid_history",
    "scatter_2d",
]


def _matplotlib(api: str) -> Any:
    """The ``matplotlib`` module, or an ImportError naming the extra to install."""
    try:
        import matplotlib
        import matplotlib.figure
    except ImportError as exc:
        raise ImportError(
            f"softent.plots.{api}: matplotlib must be installed for plots, got none "
            "(pip install 'softent[plot]')"
        ) from exc
    return matplotlib


def _new_figure(api: str, figsize: tuple[float, float]) -> Figure:
    _matplotlib(api)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)  # Agg: renders PNGs with no display and no pyplot state
    return fig


def _finish(fig: Figure, path: PathLike | None, dpi: int) -> Figure:
    if path is not None:
        path = os.fspath(path)
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        fig.savefig(path, dpi=dpi, format="png")
    return fig


# ----------------------------------------------------------------------------- bin occupancy


def _histogram_of(source: Any, label_set: str | None, api: str) -> Any:
    """A :class:`softent.SoftHistogram` from a SoftHistogram, an Information or an Accumulator."""
    from .soft.accumulator import Accumulator
    from .soft.estimators import Information
    from .soft.histogram import SoftHistogram

    if isinstance(source, SoftHistogram):
        return source
    if isinstance(source, Information):
        return source.histogram
    if isinstance(source, Accumulator):
        return source.result(label_set)
    fail(
        api,
        "source",
        "a softent.SoftHistogram, Information or Accumulator",
        type(source).__name__,
        TypeError,
    )


def bin_occupancy(
    source: Any,
    label_set: str | None = None,
    *,
    max_labels: int = 12,
    sort_bins: bool = True,
    title: str | None = None,
    path: PathLike | None = None,
    dpi: int = 120,
) -> Figure:
    """Bars of the bin occupancy p(b) of all rows and p(b | L = k) of each label value.

    A label that determines the bin shows as one tall bar per panel; a label independent
    of z repeats the top panel in every panel.

    Args:
        source: a :class:`softent.SoftHistogram` (``soft_histogram(z, labels)``), a
            :class:`softent.Information` (its ``.histogram``) or a
            :class:`softent.Accumulator` (its ``result(label_set)``).
        label_set: the accumulator's label set (None: its only one, or all rows when it
            has none). Ignored for the other sources.
        max_labels: at most this many label panels (the most frequent values first).
        sort_bins: order the bins by overall occupancy (most used first), so that panels
            compare at a glance; False keeps the bins' own order.
        title: figure title (default: B, metric and temperature).
        path: write the figure there as a PNG (folders are created).

    Returns: the ``matplotlib.figure.Figure``.
    """
    api = "bin_occupancy"
    max_labels = check_int(f"plots.{api}", "max_labels", max_labels, lo=0)
    h = _histogram_of(source, label_set, f"plots.{api}")
    total = np.asarray(h.total, dtype=np.float64)
    n_bins = total.shape[0]
    order = np.argsort(-total, kind="stable") if sort_bins else np.arange(n_bins)
    panels: list[tuple[str, np.ndarray]] = [(f"all rows (N={h.n_rows:,})", total)]
    if h.per_label is not None and max_labels:
        counts = np.asarray(h.counts)
        # The most frequent values; ties keep the label order so the figure is deterministic.
        chosen = np.sort(np.argsort(-counts, kind="stable")[:max_labels])
        for k in chosen:
            panels.append(
                (f"{h.label_values[k]} (N={int(counts[k]):,})", np.asarray(h.per_label[k]))
            )
    n_cols = 1 if len(panels) == 1 else min(4, len(panels) - 1)
    n_rows = 1 + math.ceil((len(panels) - 1) / n_cols)
    fig = _new_figure(api, (3.2 * max(n_cols, 2), 1.9 * n_rows + 0.6))
    grid = fig.add_gridspec(n_rows, n_cols)
    x = np.arange(n_bins)
    for i, (name, masses) in enumerate(panels):
        ax = (
            fig.add_subplot(grid[0, :])
            if i == 0
            else fig.add_subplot(grid[1 + (i - 1) // n_cols, (i - 1) % n_cols])
        )
        s = masses.sum()
        p = masses[order] / s if s > 0 else np.zeros(n_bins)
        ax.bar(x, p, width=1.0, color="0.35" if i == 0 else f"C{(i - 1) % 10}")
        ax.set_xlim(-0.5, n_bins - 0.5)
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
        if i == 0:
            ax.set_ylabel("p(bin)", fontsize=8)
    fig.supxlabel("bins (sorted by overall occupancy)" if sort_bins else "bin", fontsize=9)
    if title is None:
        title = f"bin occupancy: B={n_bins}, {h.metric}, T={h.temperature:.3g}"
    fig.suptitle(title, fontsize=10)
    return _finish(fig, path, dpi)


# ----------------------------------------------------------------------------- 2-D scatter


def scatter_2d(
    z: Any,
    centres: Any,
    labels: Any = None,
    *,
    metric: str | None = None,
    occupancy: Any = None,
    max_points: int = 5000,
    seed: int = 0,
    title: str | None = None,
    path: PathLike | None = None,
    dpi: int = 120,
) -> Figure:
    """The rows of 2-D data ``z`` [N, 2] with the bin centres [B, 2] on top.

    For the cosine metric only the direction of a centre matters: centres are drawn on a
    circle of the data's median radius (with rays from the origin), so one sees which
    angular sector each bin covers.

    Args:
        z: [N, 2] data (NumPy or torch). At most ``max_points`` rows are drawn (a seeded
            random subset).
        centres: [B, 2] centres, or a :class:`softent.Bins` / :class:`softent.SoftHistogram`
            / :class:`softent.Accumulator` (its centres, metric and, for a histogram,
            occupancy).
        labels: optional [N] labels colouring the points (-1: masked, drawn grey).
        metric: 'cosine' draws directions (default: the bins' metric, else Euclidean).
        occupancy: optional [B] bin masses: marker area proportional to p(b).
        title, path, dpi: as :func:`bin_occupancy`.

    Returns: the ``matplotlib.figure.Figure``.
    """
    from ._interop import to_numpy
    from .soft.accumulator import Accumulator
    from .soft.bins import Bins
    from .soft.histogram import SoftHistogram

    api = "plots.scatter_2d"
    if isinstance(centres, SoftHistogram):
        occupancy = centres.total if occupancy is None else occupancy
        metric = centres.metric if metric is None else metric
        centres = centres.centres
    elif isinstance(centres, (Bins, Accumulator)):
        metric = centres.metric if metric is None else metric
        centres = centres.centres
    zz = np.asarray(to_numpy(z), dtype=np.float64)
    c = np.asarray(to_numpy(centres), dtype=np.float64)
    if zz.ndim != 2 or zz.shape[1] != 2:
        fail(api, "z", "a 2-D array [N, 2]", f"shape {zz.shape}")
    if c.ndim != 2 or c.shape[1] != 2:
        fail(api, "centres", "[B, 2] centres", f"shape {c.shape}")
    lab = None
    if labels is not None:
        lab = np.asarray(to_numpy(labels))
        if lab.shape != (zz.shape[0],):
            fail(api, "labels", f"[N] labels with N={zz.shape[0]}", f"shape {lab.shape}")
    if zz.shape[0] > max_points:
        keep = np.sort(np.random.default_rng(seed).choice(zz.shape[0], max_points, replace=False))
        zz = zz[keep]
        lab = None if lab is None else lab[keep]
    fig = _new_figure("scatter_2d", (5.4, 5.0))
    ax = fig.add_subplot()
    if lab is None:
        ax.scatter(zz[:, 0], zz[:, 1], s=4, alpha=0.5, color="C0", linewidths=0)
    else:
        values = np.unique(lab)
        for i, v in enumerate(values[:20]):  # beyond 20 colours the legend is useless
            sel = lab == v
            masked = lab.dtype.kind in "iu" and v == -1
            ax.scatter(
                zz[sel, 0],
                zz[sel, 1],
                s=4,
                alpha=0.5,
                linewidths=0,
                color="0.7" if masked else f"C{i % 10}",
                label="masked" if masked else str(v),
            )
        if len(values) > 20:
            rest = ~np.isin(lab, values[:20])
            ax.scatter(
                zz[rest, 0],
                zz[rest, 1],
                s=4,
                alpha=0.5,
                linewidths=0,
                color="0.5",
                label="other labels",
            )
    sizes = 40.0
    if occupancy is not None:
        occ = np.asarray(to_numpy(occupancy), dtype=np.float64)
        if occ.shape != (c.shape[0],):
            fail(api, "occupancy", f"[B] masses with B={c.shape[0]}", f"shape {occ.shape}")
        p = occ / occ.sum() if occ.sum() > 0 else occ
        sizes = 20.0 + 400.0 * p / max(float(p.max()), 1e-300)
    if metric == "cosine":
        radius = float(np.median(np.linalg.norm(zz, axis=1))) or 1.0
        unit = c / np.linalg.norm(c, axis=1, keepdims=True)
        pts = unit * radius
        for u in pts:
            ax.plot([0, u[0]], [0, u[1]], color="k", lw=0.4, alpha=0.4)
        theta = np.linspace(0, 2 * np.pi, 256)
        ax.plot(
            radius * np.cos(theta), radius * np.sin(theta), color="k", lw=0.5, ls="--", alpha=0.5
        )
        ax.scatter(pts[:, 0], pts[:, 1], s=sizes, marker="X", color="k", label="bin directions")
    else:
        ax.scatter(c[:, 0], c[:, 1], s=sizes, marker="X", color="k", label="bin centres")
    # after the centres, so they get a legend entry too (marker size: p(b) when given)
    legend = ax.legend(fontsize=7, loc="best")
    for handle in legend.legend_handles[:-1]:
        handle.set_sizes([16.0])
    legend.legend_handles[-1].set_sizes([40.0])
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("z[0]")
    ax.set_ylabel("z[1]")
    if title is None:
        title = f"data and {c.shape[0]} {'bin directions (cosine)' if metric == 'cosine' else 'bin centres'}"
    ax.set_title(title, fontsize=10)
    return _finish(fig, path, dpi)


# ----------------------------------------------------------------------------- training curves


def _history_of(source: Any, api: str) -> list[Mapping[str, Any]]:
    history = getattr(source, "history", source)  # a LayerMonitor, or its history
    if isinstance(history, (str, bytes)) or not isinstance(history, Sequence):
        fail(
            api,
            "source",
            "a softent.torch.LayerMonitor or its history (a list of row dicts)",
            type(source).__name__,
            TypeError,
        )
    if not history:
        fail(api, "source", "a history with at least one record", "an empty history")
    for row in history:
        if not isinstance(row, Mapping) or "layer" not in row or "step" not in row:
            fail(api, "source", "history rows with 'step' and 'layer' keys", repr(row)[:80])
    return list(history)


def default_columns(history: Sequence[Mapping[str, Any]]) -> list[str]:
    """``["H", "H(Z|s)", "I(Z;s)", ...]`` for every label set s in ``history``, in order of appearance."""
    cols = ["H"]
    for row in history:
        for key in row:
            if (key.startswith(("H(Z|", "I(Z;"))) and key not in cols:
                cols.append(key)
    # H(Z|s) and I(Z;s) of one label set side by side
    sets = list(dict.fromkeys(k[4:-1] for k in cols[1:]))
    return ["H"] + [c for s in sets for c in (f"H(Z|{s})", f"I(Z;{s})") if c in cols]


def layer_curves(
    source: Any,
    columns: Sequence[str] | None = None,
    *,
    unit: str = "nats",
    x_label: str = "step",
    legend_title: str = "layer",
    title: str | None = None,
    dashed: Mapping[str, str] | None = None,
    dashed_label: str = "dashed",
    path: PathLike | None = None,
    dpi: int = 120,
) -> Figure:
    """One panel per measure (H, H(Z|L), I(Z;L) for each label set), one line per layer,
    against the recorded step (epoch).

    Args:
        source: a :class:`softent.torch.LayerMonitor`, or its ``history``: a list of row
            dicts with ``step``, ``layer`` and measure columns (``"H"``, ``"H(Z|y)"``,
            ``"I(Z;y)"``, ...); rows lacking a column are skipped in that panel.
        columns: the measures to draw (default: every ``H``/``H(Z|s)``/``I(Z;s)`` column).
        unit: axis unit (the monitor's ``base``: 'nats' or 'bits').
        x_label: the meaning of ``step`` ('epoch', 'layer', ...).
        legend_title: the meaning of the history's ``layer`` key (one line each).
        title, path, dpi: as :func:`bin_occupancy`.
        dashed: ``{panel column: companion column}``: the companion drawn dashed in the
            same colour in that panel, e.g. ``{"I(Z;y)": "I(Z;y) corrected"}`` for the
            null-corrected MI beside the raw one.
        dashed_label: what the dashed lines are, for the legend.

    Returns: the ``matplotlib.figure.Figure``.
    """
    api = "plots.layer_curves"
    history = _history_of(source, api)
    cols = list(columns) if columns is not None else default_columns(history)
    missing = [c for c in cols if not any(c in row for row in history)]
    if not cols or missing:
        fail(
            api,
            "columns",
            f"columns of the history (e.g. {default_columns(history)})",
            missing or cols,
        )
    pairs = dict(dashed or {})
    bad = [k for k, v in pairs.items() if k not in cols or not any(v in row for row in history)]
    if bad:
        fail(api, "dashed", "{panel column: a column of the history}", bad)
    layers = list(dict.fromkeys(row["layer"] for row in history))
    n_cols = 2 if len(cols) == 4 else min(3, len(cols))  # 4 panels: 2 x 2, not 3 + 1
    n_rows = math.ceil(len(cols) / n_cols)
    fig = _new_figure("layer_curves", (4.0 * n_cols, 2.9 * n_rows + 0.5))
    axes = [fig.add_subplot(n_rows, n_cols, i + 1) for i in range(len(cols))]
    for ax, col in zip(axes, cols, strict=True):
        for j, layer in enumerate(layers):
            rows = [row for row in history if row["layer"] == layer]
            for key, style in ((col, "-"), (pairs.get(col), "--")):
                pts = [(row["step"], row[key]) for row in rows if key is not None and key in row]
                if pts:
                    steps, values = zip(*pts, strict=True)
                    ax.plot(
                        steps,
                        values,
                        ls=style,
                        marker="o" if style == "-" else None,
                        ms=2.5,
                        lw=1.3,
                        color=f"C{j % 10}",
                        label=str(layer) if style == "-" else None,
                    )
        if col in pairs:
            ax.plot([], [], ls="--", color="0.4", lw=1.0, label=dashed_label)
            ax.legend(fontsize=7)
        ax.set_title(f"{col} ({unit})", fontsize=9)
        ax.set_xlabel(x_label, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7, title=legend_title, title_fontsize=7)
    if title is not None:
        fig.suptitle(title, fontsize=10)
    return _finish(fig, path, dpi)


def _planes_of(source: Any, x: str, y: str, api: str) -> dict[str, Any]:
    if hasattr(source, "information_plane") and callable(source.information_plane):
        planes = source.information_plane(x=x, y=y)  # a LayerMonitor
    elif isinstance(source, Mapping):
        planes = dict(source)
    else:
        history = _history_of(source, api)
        # The computation is LayerMonitor's; a history only comes from one, so torch is there.
        from .torch.monitor import information_plane as _plane

        planes = _plane(history, x=x, y=y)
    planes = {k: p for k, p in planes.items() if len(p.steps)}
    if not planes:
        fail(
            api,
            "source",
            f"records with both I(Z;{x}) and I(Z;{y}) (label sets {x!r} and {y!r})",
            "none",
        )
    for k, p in planes.items():
        if not all(hasattr(p, a) for a in ("steps", "i_xt", "i_ty")):
            fail(
                api,
                "source",
                "{layer: InformationPlane} (steps, i_xt, i_ty)",
                f"{type(p).__name__} for {k!r}",
                TypeError,
            )
    return planes


def information_plane(
    source: Any,
    x: str = "x",
    y: str = "y",
    *,
    unit: str = "nats",
    step_label: str = "step",
    title: str | None = None,
    path: PathLike | None = None,
    dpi: int = 120,
) -> Figure:
    """The information plane: I(X;T) (x axis) against I(T;Y) (y axis), one trajectory per
    layer T, its points coloured by step (epoch); a square marks the last step.

    Args:
        source: a :class:`softent.torch.LayerMonitor`, its ``history``, or
            ``{layer: InformationPlane}`` (:func:`softent.torch.information_plane`).
        x, y: the input-side and output-side label sets (as in ``information_plane``).
        unit: axis unit ('nats' or 'bits'). step_label: the colour bar's label.
        title, path, dpi: as :func:`bin_occupancy`.

    Returns: the ``matplotlib.figure.Figure``.
    """
    api = "plots.information_plane"
    planes = _planes_of(source, x, y, api)
    mpl = _matplotlib("information_plane")
    fig = _new_figure("information_plane", (6.2, 4.8))
    ax = fig.add_subplot()
    all_steps = np.concatenate([np.asarray(p.steps, dtype=np.float64) for p in planes.values()])
    norm = mpl.colors.Normalize(
        vmin=float(all_steps.min()), vmax=float(max(all_steps.max(), all_steps.min() + 1e-12))
    )
    cmap = mpl.colormaps["viridis"]
    markers = "osD^v<>ph*"
    for j, (layer, p) in enumerate(planes.items()):
        ax.plot(p.i_xt, p.i_ty, color=f"C{j % 10}", lw=1.0, alpha=0.7, label=str(layer))
        ax.scatter(
            p.i_xt,
            p.i_ty,
            c=np.asarray(p.steps, dtype=np.float64),
            cmap=cmap,
            norm=norm,
            s=22,
            marker=markers[j % len(markers)],
            edgecolors=f"C{j % 10}",
            linewidths=0.6,
            zorder=3,
        )
        ax.scatter(
            p.i_xt[-1:],
            p.i_ty[-1:],
            s=80,
            marker="s",
            facecolors="none",
            edgecolors=f"C{j % 10}",
            zorder=4,
        )
    sm = mpl.cm.ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(sm, ax=ax, label=step_label)
    ax.set_xlabel(f"I(X;T) = I(Z;{x}) ({unit})")
    ax.set_ylabel(f"I(T;Y) = I(Z;{y}) ({unit})")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, title="layer T", title_fontsize=8)
    ax.set_title(title if title is not None else "information plane", fontsize=10)
    return _finish(fig, path, dpi)


# ----------------------------------------------------------------------------- PID over training


def _pid_history_of(source: Any, api: str) -> list[Mapping[str, Any]]:
    history = getattr(source, "history", source)  # a PIDMonitor, or its history
    if isinstance(history, (str, bytes)) or not isinstance(history, Sequence):
        fail(
            api,
            "source",
            "a softent.torch.PIDMonitor or its history (a list of row dicts)",
            type(source).__name__,
            TypeError,
        )
    if not history:
        fail(api, "source", "a history with at least one record", "an empty history")
    for row in history:
        if not isinstance(row, Mapping) or not {"step", "layer", "complexity"} <= set(row):
            fail(
                api,
                "source",
                "history rows with 'step', 'layer', 'complexity' (and 'degree_atoms') keys",
                repr(row)[:80],
            )
    return list(history)


def plot_pid_history(
    source: Any,
    *,
    degree_atoms: bool = True,
    log_x: bool = False,
    x_label: str = "step",
    title: str | None = None,
    path: PathLike | None = None,
    dpi: int = 120,
) -> Figure:
    """Representational complexity C (Ehrlich et al. 2023) against the training step, one
    line per layer, and, with ``degree_atoms``, one panel per layer with its
    degree-of-synergy atoms Π_m (m = 1..n sources) and I(T:S) against the step.

    Args:
        source: a :class:`softent.torch.PIDMonitor`, or its ``history``: row dicts with
            ``step``, ``layer``, ``complexity`` (None: no information, not drawn), and
            ``degree_atoms`` {m: Π_m}, ``I``, ``unit`` for the atom panels.
        degree_atoms: draw the per-layer atom panels (default True).
        log_x: a logarithmic step axis (nninfo's figures; steps must then be > 0).
        x_label: the meaning of ``step`` ('epoch', 'batch', ...).
        title, path, dpi: as :func:`bin_occupancy`.

    SxPID atoms can be negative (misinformative parts outweighing informative ones), so
    Π_m can be negative and C can leave [1, n]; the atom panels show why.

    Returns: the ``matplotlib.figure.Figure``.
    """
    api = "plots.plot_pid_history"
    history = _pid_history_of(source, api)
    layers = list(dict.fromkeys(row["layer"] for row in history))
    panels = 1 + (len(layers) if degree_atoms else 0)
    n_cols = min(3, panels)
    n_rows = math.ceil(panels / n_cols)
    fig = _new_figure("plot_pid_history", (4.2 * n_cols, 3.0 * n_rows + 0.5))
    axes = [fig.add_subplot(n_rows, n_cols, i + 1) for i in range(panels)]
    ax = axes[0]
    for j, layer in enumerate(layers):
        pts = [
            (row["step"], row["complexity"])
            for row in history
            if row["layer"] == layer and row["complexity"] is not None
        ]
        if pts:
            steps, values = zip(*pts, strict=True)
            ax.plot(steps, values, marker="o", ms=2.5, lw=1.3, color=f"C{j % 10}", label=str(layer))
    ax.set_title("representational complexity C", fontsize=9)
    ax.set_ylabel("C", fontsize=8)
    ax.legend(fontsize=7, title="layer", title_fontsize=7)
    if degree_atoms:
        for ax, layer in zip(axes[1:], layers, strict=True):
            rows = [r for r in history if r["layer"] == layer]
            steps = [r["step"] for r in rows]
            degrees = sorted({m for r in rows for m in r.get("degree_atoms", {})})
            for m in degrees:
                vals = [r.get("degree_atoms", {}).get(m, np.nan) for r in rows]
                ax.plot(
                    steps, vals, marker="o", ms=2, lw=1.2, color=f"C{(m - 1) % 10}", label=f"Π_{m}"
                )
            if all("I" in r for r in rows):
                ax.plot(steps, [r["I"] for r in rows], color="k", lw=1.0, ls="--", label="I(T:S)")
            ax.axhline(0.0, color="0.6", lw=0.6)
            unit = rows[0].get("unit", "")
            ax.set_title(
                f"{layer}: degree-of-synergy atoms{f' ({unit})' if unit else ''}", fontsize=9
            )
            ax.legend(fontsize=6, ncol=2)
    for ax in axes:
        ax.set_xlabel(x_label, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if log_x:
            ax.set_xscale("log")
    if title is not None:
        fig.suptitle(title, fontsize=10)
    return _finish(fig, path, dpi)


# ----------------------------------------------------------------------------- spectral entropy


def spectral_entropy_curves(
    x: Any,
    *,
    sigmas: Sequence[float | str] = ("knn", "median", 10.0),
    ts: Sequence[float] | None = None,
    base: float = 2.0,
    title: str | None = None,
    path: PathLike | None = None,
    dpi: int = 120,
    num_threads: int | None = None,
) -> Figure:
    """Diffusion spectral entropy (:func:`softent.spectral.diffusion_spectral_entropy`) of
    the rows of ``x`` [N, D] against the diffusion time t, one line per bandwidth, with
    log N (the saturated value: a bandwidth far below the distances makes the kernel the
    identity and every eigenvalue 1) dashed.

    Args:
        x: [N, D] float rows (N >= 2; one dense spectrum per bandwidth: 8 N^2 bytes, O(N^3)).
        sigmas: bandwidths as ``softent.spectral`` takes them: numbers (absolute, as
            dse-dsmi's ``sigma=10``), ``"median"``, ``"knn"`` (the default self-tuning one).
        ts: diffusion times (default 25 values from 0.5 to 200, log-spaced; the axis is log).
        base: the unit of the entropy axis (2: bits).
        title, path, dpi: as :func:`bin_occupancy`.

    Returns: the ``matplotlib.figure.Figure``.
    """
    api = "plots.spectral_entropy_curves"
    from .spectral import spectral_entropy, spectrum

    if isinstance(sigmas, (str, bytes)) or not isinstance(sigmas, Sequence) or not sigmas:
        fail(api, "sigmas", "a non-empty sequence of bandwidths", repr(sigmas), TypeError)
    times = list(np.geomspace(0.5, 200.0, 25)) if ts is None else [float(t) for t in ts]
    if not times or not all(math.isfinite(t) and t > 0 for t in times):
        fail(api, "ts", "a non-empty sequence of finite numbers > 0", repr(ts))
    spectra = [(s, spectrum(x, sigma=s, num_threads=num_threads)) for s in sigmas]
    fig = _new_figure("spectral_entropy_curves", (5.6, 3.6))
    ax = fig.add_subplot(1, 1, 1)
    for j, (s, w) in enumerate(spectra):
        values = [spectral_entropy(w, t=t, base=base) for t in times]
        name = f"sigma={s:g}" if not isinstance(s, str) else f"sigma='{s}'"
        ax.plot(times, values, marker="o", ms=2.5, lw=1.3, color=f"C{j % 10}", label=name)
    n = int(spectra[0][1].shape[0])
    unit = "bits" if base == 2 else ("nats" if base == math.e else f"log base {base:g}")
    ax.axhline(math.log(n) / math.log(base), color="0.4", lw=0.9, ls="--", label="log N")
    ax.set_xscale("log")
    ax.set_xlabel("diffusion time t", fontsize=8)
    ax.set_ylabel(f"DSE ({unit})", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    if title is not None:
        ax.set_title(title, fontsize=9)
    return _finish(fig, path, dpi)


__all__.append("spectral_entropy_curves")
