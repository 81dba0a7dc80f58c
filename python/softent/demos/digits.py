"""``softent demo``: train a small MLP on scikit-learn's bundled digits and watch every layer.

The 8x8 digit images (1,797 of them, shipped inside scikit-learn: no download) are split
80/20 (stratified, seeded). A 64-64-32-16-10 tanh MLP is trained with Adam; after every
epoch (and once before training) one monitored, gradient-free pass over the training
images streams each layer's activations into :class:`softent.torch.LayerMonitor`, with
two label sets:

- ``y``: the digit class (the output side: I(T;Y));
- ``x``: the identity of each training image (the input side: each image is seen once
  per window, so I(T;X) = H(T) - mean_i H(q_i) measures how much of *which image it
  was* the layer's soft bins keep).

Measuring on a fixed pass after each epoch (instead of on the training mini-batches)
gives numbers for one network state at a time. The outputs: ``report.json`` (settings,
accuracy, the per-epoch history, and :func:`softent.report` of every layer at the end),
``curves.png`` (H, H(Z|y), I(Z;y), I(Z;x) of every layer over epochs),
``information_plane.png`` and ``occupancy_out.png`` (the output layer's bin occupancy
per digit class at the end).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import MissingDependency

#: monitored layers (the Sequential's names) and how they are shown
LAYERS = ("act1", "act2", "act3", "out")


@dataclass
class DigitsDemoResult:
    """What :func:`run` produced: the final per-layer reports, the monitor's history, the
    files written, accuracies and timings (seconds)."""

    reports: dict[str, Any]
    history: list[dict[str, Any]]
    files: list[Path] = field(default_factory=list)
    train_accuracy: float = math.nan
    test_accuracy: float = math.nan
    seconds: dict[str, float] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)


def _imports() -> tuple[Any, Any]:
    try:
        import torch
    except ImportError as exc:
        raise MissingDependency(
            "the demo needs torch and scikit-learn: pip install 'softent[demo]'"
        ) from exc
    try:
        import sklearn.datasets
        import sklearn.model_selection
    except ImportError as exc:
        raise MissingDependency(
            "the demo needs scikit-learn (its bundled digits data): pip install 'softent[demo]'"
        ) from exc
    return torch, sklearn


def build_model(torch: Any, seed: int) -> Any:
    """64-64-32-16-10 with tanh (the saturating units of the information-plane literature)."""
    from collections import OrderedDict

    torch.manual_seed(seed)
    nn = torch.nn
    return nn.Sequential(
        OrderedDict(
            [
                ("fc1", nn.Linear(64, 64)),
                ("act1", nn.Tanh()),
                ("fc2", nn.Linear(64, 32)),
                ("act2", nn.Tanh()),
                ("fc3", nn.Linear(32, 16)),
                ("act3", nn.Tanh()),
                ("out", nn.Linear(16, 10)),
            ]
        )
    )


def run(
    out: Path | None,
    *,
    epochs: int = 30,
    n_bins: int = 100,
    seed: int = 0,
    batch_size: int = 64,
    lr: float = 3e-3,
    plots: bool = True,
    log: Callable[[str], None] | None = None,
) -> DigitsDemoResult:
    """Train, monitor, report; write ``report.json`` and the PNGs into ``out`` (None: write
    nothing). Units: bits. Returns a :class:`DigitsDemoResult`."""
    t_start = time.perf_counter()
    torch, sklearn = _imports()

    say = log or (lambda _msg: None)
    # One torch thread: the ops of a 64-wide MLP are microseconds long, and a 2-thread pool
    # pays a barrier per op, which stalls for a whole scheduler slice whenever the other
    # core is busy (40x slower on a loaded 2-core machine). softent's kernel keeps its threads.
    torch_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _run(torch, sklearn, out, epochs, n_bins, seed, batch_size, lr, plots, say, t_start)
    finally:
        torch.set_num_threads(torch_threads)


def _run(
    torch: Any,
    sklearn: Any,
    out: Path | None,
    epochs: int,
    n_bins: int,
    seed: int,
    batch_size: int,
    lr: float,
    plots: bool,
    say: Callable[[str], None],
    t_start: float,
) -> DigitsDemoResult:
    import numpy as np

    import softent

    from ..torch import LayerMonitor

    digits = sklearn.datasets.load_digits()
    x_all = digits.data.astype(np.float32) / 16.0  # pixel intensities 0..16 -> [0, 1]
    y_all = digits.target.astype(np.int64)
    idx_train, idx_test = sklearn.model_selection.train_test_split(
        np.arange(len(y_all)), test_size=0.2, stratify=y_all, random_state=seed
    )
    x_train, y_train = torch.from_numpy(x_all[idx_train]), torch.from_numpy(y_all[idx_train])
    x_test, y_test = torch.from_numpy(x_all[idx_test]), torch.from_numpy(y_all[idx_test])
    image_id = torch.arange(len(y_train))  # the "x" label set: which training image
    model = build_model(torch, seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    settings = {
        "data": "sklearn.datasets.load_digits (8x8 images, 10 classes)",
        "n_train": len(y_train),
        "n_test": len(y_test),
        "model": "64-64-32-16-10 tanh MLP",
        "layers": list(LAYERS),
        "epochs": epochs,
        "batch_size": batch_size,
        "optimizer": f"Adam(lr={lr})",
        "seed": seed,
        "n_bins": n_bins,
        "metric": "cosine",
        "temperature": "auto",
        "units": "bits",
        "label_sets": {"x": "training-image index", "y": "digit class"},
    }
    t_setup = time.perf_counter() - t_start

    mon = LayerMonitor(model, list(LAYERS), label_sets=["x", "y"], n_bins=n_bins, seed=seed, base=2)
    reports: dict[str, Any] = {}
    final_out: Any = None
    t0 = time.perf_counter()
    with mon:
        for epoch in range(epochs + 1):
            if epoch:
                model.train()
                with mon.paused():
                    order = torch.randperm(len(y_train), generator=gen)
                    for i in range(0, len(order), batch_size):
                        b = order[i : i + batch_size]
                        loss = torch.nn.functional.cross_entropy(model(x_train[b]), y_train[b])
                        opt.zero_grad()
                        loss.backward()
                        opt.step()
            model.eval()
            with torch.no_grad():
                mon.set_labels(x=image_id, y=y_train)
                model(x_train)  # the monitored pass: this epoch's network on every training image
            if (
                epoch == epochs
            ):  # the final state: every measure, before record() resets the windows
                for name in LAYERS:
                    reports[name] = softent.report(
                        mon.accumulators[name], ["x", "y"], input_set="x", output_set="y", base=2
                    )
                final_out = mon.accumulators["out"].result("y")
            rows = mon.record(step=epoch)
            if epoch in (0, epochs) or epoch % max(1, epochs // 5) == 0:
                last = rows[-1]
                say(
                    f"epoch {epoch:3d}: output layer H={last['H']:.3f} I(Z;y)={last['I(Z;y)']:.3f} "
                    f"I(Z;x)={last['I(Z;x)']:.3f} bits"
                )
    t_train = time.perf_counter() - t0
    with torch.no_grad():
        train_acc = float((model(x_train).argmax(1) == y_train).float().mean())
        test_acc = float((model(x_test).argmax(1) == y_test).float().mean())

    result = DigitsDemoResult(
        reports,
        list(mon.history),
        train_accuracy=train_acc,
        test_accuracy=test_acc,
        settings=settings,
    )
    result.seconds = {"setup": t_setup, "train_and_monitor": t_train}
    if out is not None:
        t0 = time.perf_counter()
        out.mkdir(parents=True, exist_ok=True)
        if plots:
            from .. import plots as P

            P.layer_curves(
                mon,
                ["H", "H(Z|y)", "I(Z;y)", "I(Z;x)"],
                unit="bits",
                x_label="epoch",
                title="digits MLP: soft-bin entropies of each layer over training",
                path=out / "curves.png",
            )
            P.information_plane(
                mon,
                x="x",
                y="y",
                unit="bits",
                step_label="epoch",
                title="digits MLP: information plane (X = image, Y = class)",
                path=out / "information_plane.png",
            )
            P.bin_occupancy(
                final_out,
                max_labels=10,
                title=f"output layer after {epochs} epochs: bin occupancy per digit class",
                path=out / "occupancy_out.png",
            )
            result.files += [
                out / "curves.png",
                out / "information_plane.png",
                out / "occupancy_out.png",
            ]
        result.seconds["plots"] = time.perf_counter() - t0
        result.seconds["total"] = time.perf_counter() - t_start
        doc = {
            "demo": "digits",
            "softent_version": softent.__version__,
            "settings": settings,
            "accuracy": {"train": train_acc, "test": test_acc},
            "seconds": result.seconds,
            "layers": {name: r.to_dict() for name, r in reports.items()},
            "history": [
                {k: (float(v) if isinstance(v, float) else v) for k, v in row.items()}
                for row in mon.history
            ],
            "files": [p.name for p in result.files],
        }
        (out / "report.json").write_text(json.dumps(doc, indent=1))
        result.files.insert(0, out / "report.json")
    result.seconds["total"] = time.perf_counter() - t_start
    return result
