"""softent.torch.PIDMonitor and softent.plots.plot_pid_history: a tiny tanh MLP trained for
a few steps on seeded data; every recorded row equals softent.pid.layer_complexity of the
layer's activations computed by hand, whether the rows come from measure() on an
evaluation set, from training batches with set_labels, fixed labels, a labels callable or
every=k; hooks, pausing, closing and every bad input."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import softent.pid as P
from softent import plots
from softent.torch import PIDMonitor

PNG = b"\x89PNG\r\n\x1a\n"


def make(seed=0, n=600):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.normal(size=(n, 6)) + 1.5 * np.eye(6)[y * 2]
    model = torch.nn.Sequential(
        torch.nn.Linear(6, 8),
        torch.nn.Tanh(),
        torch.nn.Linear(8, 4),
        torch.nn.Tanh(),
        torch.nn.Linear(4, 3),
    )
    return model, torch.tensor(x, dtype=torch.float32), torch.tensor(y)


def hidden(model, x):
    with torch.no_grad():
        h1 = model[1](model[0](x))
        h2 = model[3](model[2](h1))
    return {"1": h1.numpy(), "3": h2.numpy()}


def train_step(model, x, y):
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    opt.zero_grad()
    torch.nn.functional.cross_entropy(model(x), y).backward()
    opt.step()


def check_row(row, acts, y, neurons, **kw):
    want = P.layer_complexity(acts, y, neurons=neurons, **kw)
    res = row["result"]
    assert row["rows"] == len(y)
    assert row["complexity"] == pytest.approx(want.complexity, abs=1e-12)
    assert row["I"] == pytest.approx(want.mutual_information, abs=1e-12)
    assert row["degree_atoms"] == pytest.approx(want.degree_atoms, abs=1e-12)
    assert row["redundancy_degree"] == pytest.approx(want.redundancy_degree, abs=1e-12)
    assert row["outcomes"] == want.decomposition.n_outcomes
    for node, v in want.atoms.items():
        assert res.atoms[node] == pytest.approx(v, abs=1e-12)


def test_measure_over_training_checkpoints_equals_layer_complexity():
    model, x, y = make()
    mon = PIDMonitor(model, ["1", "3"], neurons={"1": [0, [2, 5], 7]}, levels=6, base=2)
    for step in range(3):
        if step:
            train_step(model, x, y)
        model.train()
        model.zero_grad(set_to_none=True)
        rows = mon.measure(x, y, step=step, batch_size=256)
        assert model.training  # left as it was
        assert all(p.grad is None for p in model.parameters())  # no gradients taken
        assert [r["layer"] for r in rows] == ["1", "3"]
        acts = hidden(model, x)
        check_row(rows[0], acts["1"], y.numpy(), [0, [2, 5], 7], levels=6, base=2)
        check_row(rows[1], acts["3"], y.numpy(), None, levels=6, base=2)
        assert rows[0]["result"].neurons == ((0,), (2, 5), (7,))  # the layer's columns
        assert rows[0]["unit"] == "bits"
    assert [r["step"] for r in mon.history] == [0, 0, 1, 1, 2, 2]
    steps, c = mon.curves()["3"]
    np.testing.assert_array_equal(steps, [0, 1, 2])
    assert c == pytest.approx([r["complexity"] for r in mon.history if r["layer"] == "3"])
    mon.close()


def test_training_batches_with_set_labels_and_record():
    model, x, y = make(seed=1)
    mon = PIDMonitor(model, {"h2": model[3]}, neurons=[0, 1, 2, 3], limits=(-1.0, 1.0))
    batches = [(x[i : i + 200], y[i : i + 200]) for i in range(0, 600, 200)]
    seen = []
    with mon:
        for xb, yb in batches:
            seen.append(hidden(model, xb)["3"])  # before the step changes the weights
            mon.set_labels(yb)
            train_step(model, xb, yb)
        (row,) = mon.record(step="epoch0")
    assert mon.closed
    assert row["layer"] == "h2"
    assert row["step"] == "epoch0"
    check_row(row, np.concatenate(seen), y.numpy(), [0, 1, 2, 3])
    assert mon.record() == []  # the rows were dropped at the record


def test_fixed_labels_callable_labels_every_and_paused():
    model, x, y = make(seed=2)
    mon = PIDMonitor(model, ["3"], labels=y, every=2)
    with torch.no_grad():
        model(x)
        assert mon.history == []
        with mon.paused():
            model(x)  # not monitored: no rows, no count
        model(x)
    (row,) = mon.history
    assert row["step"] == 2
    acts = hidden(model, x)["3"]
    check_row(row, np.concatenate([acts, acts]), np.concatenate([y, y]), None)
    mon.close()

    lookup = {float(v): int(c) for v, c in zip(x[:, 0], y, strict=True)}
    mon = PIDMonitor(
        model,
        ["1"],
        neurons=[1, 2],
        labels=lambda xb: np.array([lookup[float(v)] for v in xb[:, 0]]),
    )
    with torch.no_grad():
        model(x[:300])
        model(x[300:])
    (row,) = mon.record(step=7)
    check_row(row, hidden(model, x)["1"], y.numpy(), [1, 2])
    mon.close()


def test_to_pandas_and_close_removes_hooks():
    pytest.importorskip("pandas")
    model, x, y = make(seed=3)
    mon = PIDMonitor(model, ["1", "3"], neurons=[0, 1])
    mon.measure(x, y, step=0)
    df = mon.to_pandas()
    assert list(df["layer"]) == ["1", "3"]
    assert {"Pi_1", "Pi_2", "complexity", "I"} <= set(df.columns)
    assert "PIDMonitor(layers=['1', '3']" in repr(mon)
    mon.close()
    mon.close()
    assert not model._forward_hooks
    assert not model[1]._forward_hooks
    assert not model._forward_pre_hooks
    with pytest.raises(RuntimeError, match=r"PIDMonitor\.measure: the monitor must be open"):
        mon.measure(x, y)


def test_bad_input():
    model, x, y = make(seed=4)
    api = r"softent\.torch\.PIDMonitor: "
    with pytest.raises(TypeError, match=api + "model must be a torch.nn.Module"):
        PIDMonitor(object(), ["1"])
    with pytest.raises(ValueError, match=api + "layers must be names of submodules"):
        PIDMonitor(model, ["fc9"])
    with pytest.raises(ValueError, match=api + "layers must be submodules of the model"):
        PIDMonitor(model, {"x": torch.nn.Tanh()})
    with pytest.raises(TypeError, match=api + "layers must be a non-empty list"):
        PIDMonitor(model, "1")
    with pytest.raises(ValueError, match=api + "neurons must be keyed by the monitored layers"):
        PIDMonitor(model, ["1"], neurons={"3": [0]})
    with pytest.raises(ValueError, match=api + "levels must be an int"):
        PIDMonitor(model, ["1"], levels=1)
    with pytest.raises(ValueError, match=api + "quantiser must be one of"):
        PIDMonitor(model, ["1"], quantiser="kmeans")
    with pytest.raises(ValueError, match=api + "every must be None or an int >= 1"):
        PIDMonitor(model, ["1"], every=0)
    with pytest.raises(ValueError, match=api + "flatten must be one of"):
        PIDMonitor(model, ["1"], flatten="median")
    with pytest.raises(TypeError, match=api + "labels must be .* integer or string labels"):
        PIDMonitor(model, ["1"], labels=np.zeros(3))

    mon = PIDMonitor(model, ["1"], neurons=[0, 9])
    with pytest.raises(ValueError, match=api + r"neurons must be column indices in 0\.\.7"):
        mon.measure(x, y)
    mon.close()
    mon = PIDMonitor(model, ["1"], neurons=[0, 1])
    with torch.no_grad():
        model(x)  # no labels: a training step, not kept
    assert mon.record() == []
    mon.set_labels(y[:10])
    with (
        torch.no_grad(),
        pytest.raises(ValueError, match=api + r"labels\['labels'\] must be \[batch=600\]"),
    ):
        model(x)
    with pytest.raises(ValueError, match=r"PIDMonitor\.measure: labels must be 600 labels"):
        mon.measure(x, y[:5])
    with pytest.raises(TypeError, match=r"PIDMonitor\.measure: inputs must be a tensor"):
        mon.measure(x.numpy(), y)
    with pytest.raises(ValueError, match=r"PIDMonitor\.measure: batch_size must be an int >= 1"):
        mon.measure(x, y, batch_size=0)
    mon.close()

    def boom(out):
        raise ValueError("boom")

    mon = PIDMonitor(model, ["1"], neurons=[0, 1], flatten=boom)
    with pytest.raises(ValueError, match=r"^boom$"):  # a user's error stays as it is
        mon.measure(x, y)
    mon.close()
    mon = PIDMonitor(model, ["1"], neurons=[0, 1], flatten=lambda out: out[:, :3])
    check_row(mon.measure(x, y)[0], hidden(model, x)["1"][:, :3], y.numpy(), [0, 1])
    mon.close()
    mon = PIDMonitor(model, ["1"], neurons=[0, 1], limits=(0.0, 0.5))
    with pytest.raises(ValueError, match=r"layer_complexity: activations must be inside limits"):
        mon.measure(x, y)
    mon.close()


# ----------------------------------------------------------------------------- plot


def test_plot_pid_history(tmp_path):
    pytest.importorskip("matplotlib")
    model, x, y = make(seed=5)
    mon = PIDMonitor(model, ["1", "3"], neurons=[0, 1, 2], base=2)
    for step in (1, 2, 4):
        train_step(model, x, y)
        mon.measure(x, y, step=step)
    fig = plots.plot_pid_history(mon, path=tmp_path / "c.png", log_x=True, x_label="epoch")
    assert (tmp_path / "c.png").read_bytes()[:8] == PNG
    assert len(fig.axes) == 3  # C, then one atom panel per layer
    lines = {ln.get_label(): ln for ln in fig.axes[0].get_lines()}
    np.testing.assert_allclose(lines["3"].get_ydata(), mon.curves()["3"][1])
    np.testing.assert_array_equal(lines["3"].get_xdata(), [1, 2, 4])
    atoms = {ln.get_label(): ln for ln in fig.axes[2].get_lines()}
    want = [r["degree_atoms"][3] for r in mon.history if r["layer"] == "3"]
    np.testing.assert_allclose(atoms["Π_3"].get_ydata(), want)
    assert "I(T:S)" in atoms
    assert "bits" in fig.axes[1].get_title()
    fig = plots.plot_pid_history(mon.history, degree_atoms=False)
    assert len(fig.axes) == 1
    with pytest.raises(ValueError, match=r"plots\.plot_pid_history: source must be a history"):
        plots.plot_pid_history([])
    with pytest.raises(ValueError, match=r"source must be history rows with 'step'"):
        plots.plot_pid_history([{"step": 1}])
    with pytest.raises(TypeError, match=r"source must be a softent\.torch\.PIDMonitor"):
        plots.plot_pid_history(3)
