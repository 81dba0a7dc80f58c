"""softent.torch.LayerMonitor: forward hooks stream layer activations into accumulators
(same numbers as the batch API), tables per window, information-plane curves, hooks
removed on close, nothing retained."""

from __future__ import annotations

import gc
import math
import weakref

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import softent
from softent.torch.monitor import InformationPlane, LayerMonitor, information_plane

N_BINS = 24


def digits():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    d = sklearn_datasets.load_digits()  # shipped with scikit-learn: no download
    x = torch.tensor(d.data / 16.0, dtype=torch.float32)
    y = torch.tensor(d.target, dtype=torch.int64)
    return x, y


def mlp(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(64, 32),
        torch.nn.Tanh(),
        torch.nn.Linear(32, 16),
        torch.nn.Tanh(),
        torch.nn.Linear(16, 10),
    )


def hooks_of(model: torch.nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


def live_tensors() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if issubclass(type(o), torch.Tensor))


def train_epoch(model, opt, x, y, mon, batch=128, gen=None):
    order = torch.randperm(len(x), generator=gen)
    for i in range(0, len(x), batch):
        idx = order[i : i + batch]
        mon.set_labels(x=idx, y=y[idx])
        loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()


def test_mlp_on_digits_gives_per_layer_curves_and_leaves_no_trace():
    torch.set_num_threads(1)
    x, y = digits()
    model = mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    gen = torch.Generator().manual_seed(0)
    layers = ["1", "3", "4"]
    before_hooks = hooks_of(model)
    with LayerMonitor(model, layers, label_sets=["x", "y"], n_bins=N_BINS) as mon:
        assert hooks_of(model) == before_hooks + len(layers) + 2
        with torch.no_grad():  # the untrained network, one pass over the data
            mon.set_labels(x=torch.arange(len(x)), y=y)
            model(x)
        first = mon.record(step=0)
        assert [r["layer"] for r in first] == layers
        train_epoch(model, opt, x, y, mon, gen=gen)
        mon.record(step=1)
        tensors = live_tensors()
        sizes = {k: a.nbytes for k, a in mon.accumulators.items()}
        for epoch in range(2, 7):
            train_epoch(model, opt, x, y, mon, gen=gen)
            mon.record(step=epoch)
        # nothing accumulates with steps: no activations kept, fixed-size state
        assert live_tensors() <= tensors
        assert {k: a.nbytes for k, a in mon.accumulators.items()} == sizes
    assert hooks_of(model) == before_hooks
    assert mon.closed
    model(x[:5])  # no hook runs any more
    assert len(mon.history) == 7 * len(layers)

    for row in mon.history:
        assert row["rows"] == len(x)
        assert 0 <= row["H"] <= math.log(N_BINS) + 1e-9
        # Y is a function of X and each sample is seen once per window: I(T;Y) <= I(X;T)
        assert row["I(Z;y)"] <= row["I(Z;x)"] + 1e-9
        assert row["I(Z;x)"] == pytest.approx(row["H"] - row["H(Z|x)"], abs=1e-12)
    curves = mon.curves("I(Z;y)")
    assert set(curves) == set(layers)
    steps, values = curves["4"]
    assert steps.tolist() == list(range(7))
    assert values[-1] > values[0] + 0.2  # the output layer learns the classes
    plane = mon.information_plane(x="x", y="y")
    assert set(plane) == set(layers)
    assert isinstance(plane["4"], InformationPlane)
    assert plane["4"].as_array().shape == (7, 2)
    np.testing.assert_array_equal(plane["4"].i_ty, values)
    assert information_plane(mon.history, "x", "y")["1"].steps.tolist() == list(range(7))


def test_monitor_numbers_equal_the_batch_api():
    x, y = digits()
    model = mlp(1)
    acts = {}
    keep = model[3].register_forward_hook(lambda m, a, o: acts.__setitem__("3", o.detach().clone()))
    mon = LayerMonitor(model, ["3"], label_sets=["y"], n_bins=N_BINS, base=2, seed=5)
    masked = y.clone()
    masked[::4] = -1
    with torch.no_grad():
        mon.set_labels(y=masked)
        model(x)
    (row,) = mon.record()
    keep.remove()
    mon.close()
    z = acts["3"]
    ref = softent.information(z, masked, n_bins=N_BINS, seed=5, base=2)
    assert row["I(Z;y)"] == pytest.approx(float(ref.mutual_information), rel=1e-6)
    assert row["H(Z|y)"] == pytest.approx(float(ref.conditional_entropy), rel=1e-6)
    assert row["H"] == pytest.approx(
        float(softent.entropy(z, n_bins=N_BINS, seed=5, base=2)), rel=1e-6
    )
    assert row["step"] == 1
    assert row["rows"] == len(x)


def test_monitor_bootstrap_intervals_equal_the_report_of_the_layer():
    x, y = digits()
    x, y = x[:600], y[:600]
    model = mlp(2)
    acts = []
    keep = model[3].register_forward_hook(lambda m, a, o: acts.append(o.detach().clone()))
    mon = LayerMonitor(
        model,
        ["3"],
        label_sets=["y"],
        n_bins=N_BINS,
        base=2,
        bootstrap=30,
        bootstrap_seed=4,
        confidence=0.9,
    )
    with torch.no_grad():
        for i in range(0, len(x), 128):
            mon.set_labels(y=y[i : i + 128])
            model(x[i : i + 128])
    assert mon.accumulators["3"].bootstrap == 30
    (row,) = mon.record(step=0)
    keep.remove()
    mon.close()
    ref = softent.report(
        torch.cat(acts),
        {"y": y},
        n_bins=N_BINS,
        base=2,
        bootstrap=30,
        bootstrap_seed=4,
        confidence=0.9,
    ).rows[0]
    for col, key in (
        ("H", "entropy"),
        ("H(Z|y)", "conditional_entropy"),
        ("I(Z;y)", "mutual_information"),
    ):
        assert row[col] == pytest.approx(ref[key], rel=1e-6)
        assert [row[f"{col}_lo"], row[f"{col}_hi"]] == pytest.approx(ref[f"{key}_ci"], rel=1e-6)
        assert row[f"{col}_lo"] < row[f"{col}_hi"]
    steps, lo = mon.curves("I(Z;y)_lo")["3"]
    assert steps.tolist() == [0]
    assert lo[0] == row["I(Z;y)_lo"]
    with pytest.raises(ValueError, match=r"LayerMonitor: bootstrap must be an int >= 0"):
        LayerMonitor(model, ["3"], bootstrap=-1)
    with pytest.raises(ValueError, match=r"LayerMonitor: confidence must be a float in \(0, 1\)"):
        LayerMonitor(model, ["3"], bootstrap=3, confidence=1.0)


class Tokens(torch.nn.Module):
    """[batch, T] token ids -> [batch, T, 8] embeddings -> a tuple like transformer blocks."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.emb = torch.nn.Embedding(20, 8)
        self.block = torch.nn.Linear(8, 8)

    def forward(self, ids):
        h = self.emb(ids)
        return self.block(h), h


@pytest.mark.parametrize("flatten", ["tokens", "mean", "first", "last", "sample"])
def test_sequence_outputs_are_flattened_as_asked(flatten):
    model = Tokens()
    ids = torch.randint(0, 20, (30, 5), generator=torch.Generator().manual_seed(1))
    sample_labels = torch.arange(30) % 4
    mon = LayerMonitor(model, ["block", ""], label_sets=["s", "t"], n_bins=10, flatten=flatten)
    labels = {"s": sample_labels}
    if flatten == "tokens":
        labels["t"] = ids  # one label per position
    with torch.no_grad():
        mon.set_labels(**labels)
        out, _ = model(ids)
    rows = {r["layer"]: r for r in mon.record()}
    mon.close()
    z = {
        "tokens": out.reshape(-1, 8),
        "mean": out.mean(1),
        "first": out[:, 0],
        "last": out[:, -1],
        "sample": out.reshape(30, -1),
    }[flatten]
    s = np.repeat(sample_labels.numpy(), 5) if flatten == "tokens" else sample_labels.numpy()
    ref = softent.information(z, s, n_bins=10)
    assert rows["block"]["rows"] == z.shape[0]
    assert rows["block"]["I(Z;s)"] == pytest.approx(float(ref.mutual_information), rel=1e-6)
    assert rows[""]["rows"] == z.shape[0]  # the model's own output: the first tensor of its tuple
    if flatten == "tokens":
        ref_t = softent.information(z, ids.reshape(-1), n_bins=10)
        assert rows["block"]["I(Z;t)"] == pytest.approx(float(ref_t.mutual_information), rel=1e-6)
    else:
        assert "I(Z;t)" not in rows["block"]


def test_every_sample_every_and_paused():
    x, y = digits()
    model = mlp()
    mon = LayerMonitor(model, ["4"], every=3, sample_every=2, n_bins=8)
    with torch.no_grad():
        for i in range(7):
            mon.set_labels(y=y[i * 10 : (i + 1) * 10])
            model(x[i * 10 : (i + 1) * 10])
        with mon.paused():
            model(x)  # not counted, not streamed
    mon.close()
    # forwards 1..7 -> records after forwards 3 and 6; streamed: forwards 1, 3, 5, 7
    assert [(r["step"], r["rows"]) for r in mon.history] == [(3, 20), (6, 10)]
    assert mon.forwards == 7
    assert mon.accumulators["4"].n_rows == 10  # forward 7, not recorded yet


def test_activations_are_not_retained():
    x, y = digits()
    model = mlp()
    seen = []
    probe = model[1].register_forward_hook(lambda m, a, o: seen.append(weakref.ref(o)))
    with LayerMonitor(model, ["1", "3"], label_sets=["y"], n_bins=8) as mon:
        for _i in range(5):
            mon.set_labels(y=y[:64])
            model(x[:64]).sum().backward()
    probe.remove()
    gc.collect()
    assert seen
    assert all(r() is None for r in seen)
    assert mon.accumulators["1"].n_rows == 5 * 64


def test_bad_arguments_are_clear_errors():
    x, y = digits()
    model = mlp()
    with pytest.raises(
        ValueError,
        match=r"softent.torch.LayerMonitor: layers must be names of submodules .* got \['nope'\]",
    ):
        LayerMonitor(model, ["nope"])
    with pytest.raises(ValueError, match=r"flatten must be one of"):
        LayerMonitor(model, ["1"], flatten="pool")
    with pytest.raises(
        ValueError, match=r"centres must be given for every layer with metric='euclidean'"
    ):
        LayerMonitor(model, ["1"], metric="euclidean")
    with pytest.raises(ValueError, match=r"every must be None or an int >= 1"):
        LayerMonitor(model, ["1"], every=0)
    with LayerMonitor(model, ["1"], label_sets=["y"]) as mon:
        with pytest.raises(
            ValueError, match=r"set_labels: labels must be among the declared label sets \['y'\]"
        ):
            mon.set_labels(z=y)
        mon.set_labels(y[:10])  # one array: the one declared set
        with pytest.raises(
            ValueError, match=r"labels\['y'\] must be \[batch=20\] or \[batch, \*positions\]"
        ):
            model(x[:20])
    assert hooks_of(model) == 0
    c = np.random.default_rng(0).normal(size=(5, 32))
    with LayerMonitor(model, ["1"], metric="euclidean", centres={"1": c}, temperature=1.0) as mon:
        with torch.no_grad():
            model(x[:10])
        assert mon.accumulators["1"].metric == "euclidean"
        assert mon.record()[0]["rows"] == 10


def test_public_names_in_softent_torch():
    import softent.torch as st
    from softent.torch import monitor

    assert st.LayerMonitor is monitor.LayerMonitor
    assert st.information_plane is monitor.information_plane
