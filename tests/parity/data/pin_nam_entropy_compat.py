"""Pin nam-entropy 0.2.0's outputs for tests/parity/test_nam_entropy_compat_parity.py
(softent.compat.nam_entropy), so the parity test needs no nam-entropy (it pulls ~75
packages; the test runs live too when nam_entropy is importable).

    python -m venv /tmp/nam && /tmp/nam/bin/pip install torch==2.13.0
    /tmp/nam/bin/pip install nam-entropy==0.2.0
    /tmp/nam/bin/python tests/parity/data/pin_nam_entropy_compat.py OUT.json

The inputs come from :func:`case_data` (NumPy's ``default_rng``); nam-entropy draws its
bins from torch's global generator, seeded by each case's ``torch_seed`` before the call,
so the front door (which draws them the same way) is compared on the same bins. Values
are nam-entropy's own, nats. ``"uniform"`` weighting crashes in its batch function
(a float32·float64 ``torch.dot``): it is pinned from its accumulator only.
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np
from _pin_io import emit, signature

LABELS = ["a", "b", "c", "d"]
#: name -> (dist_fn, bin_type, smoothing_fn, smoothing_temp, n_bins, torch_seed)
BATCH = {
    "euclidean-uniform": ("euclidean", "uniform", "softmax", 0.5, 20, 3),
    "cosine-unit_sphere": ("cosine", "unit_sphere", "softmax", 0.1, 20, 4),
    "dot-standard_normal": ("dot", "standard_normal", "softmax", 2.0, 16, 5),
    "cosine_5-unit_sphere": ("cosine_5", "unit_sphere", "softmax", 1.0, 12, 6),
    "euclidean-unit_cube_by_bins": ("euclidean", "unit_cube_by_bins", "softmax", 0.5, 10, 7),
    "euclidean-uniform-discrete": ("euclidean", "uniform", "discrete", 1.0, 8, 8),
}
#: soft_bin cases on the first SOFT_BIN_ROWS rows: name -> (dist_fn, bin_type, temp,
#: n_bins, n_heads, torch_seed)
SOFT_BIN = {
    "cosine-unit_sphere": ("cosine", "unit_sphere", 0.2, 6, 1, 9),
    "euclidean-uniform": ("euclidean", "uniform", 1.0, 5, 1, 10),
    "dot-unit_sphere-2heads": ("dot", "unit_sphere", 0.5, 4, 2, 11),
}
SOFT_BIN_ROWS = 30
CHUNKS = (0, 150, 330, 500)
#: accumulator cases fed CHUNKS: name -> (dist_fn, bin_type, temp, n_bins, embedding_dim,
#: torch_seed)
ACCUMULATORS = {
    "cosine-unit_sphere": ("cosine", "unit_sphere", 0.3, 12, 8, 13),
    "euclidean-uniform": ("euclidean", "uniform", 0.7, 15, None, 14),
}


def case_data() -> tuple[np.ndarray, np.ndarray]:
    """z [500, 8] float64 in four overlapping clusters, label indices [500] in 0..3."""
    rng = np.random.default_rng([15, 3])
    index = rng.integers(0, 4, 500)
    z = rng.normal(0, 1.5, (4, 8))[index] + rng.normal(size=(500, 8))
    return z, index


def binned(fn: Any, z: Any, name: str) -> Any:
    """``soft_bin`` (nam-entropy's, or the front door: ``fn``) of the case ``name`` of
    :data:`SOFT_BIN` on the first SOFT_BIN_ROWS rows of ``z`` (its bins drawn after
    seeding torch): (scores, bins)."""
    import torch

    dist, bins, temp, b, heads, seed = SOFT_BIN[name]
    torch.manual_seed(seed)
    return fn(
        z[:SOFT_BIN_ROWS],
        b,
        dist_fn=dist,
        bin_type=bins,
        n_heads=heads,
        smoothing_fn="softmax",
        smoothing_temp=temp,
    )


def fed_accumulator(cls: Any, z: Any, index: Any, name: str) -> Any:
    """An ``EntropyAccumulator`` (nam-entropy's, or the front door: ``cls``) of the case
    ``name`` of :data:`ACCUMULATORS` (its bins drawn after seeding torch), fed ``z`` and
    ``index`` (torch tensors) in the chunks of :data:`CHUNKS`."""
    import torch

    dist, bins, temp, b, dim, seed = ACCUMULATORS[name]
    torch.manual_seed(seed)
    acc = cls(
        b,
        LABELS,
        embedding_dim=dim,
        dist_fn=dist,
        bin_type=bins,
        smoothing_fn="softmax",
        smoothing_temp=temp,
    )
    for lo, hi in itertools.pairwise(CHUNKS):
        acc.update(z[lo:hi], index[lo:hi])
    return acc


def main() -> None:
    import torch

    with warnings.catch_warnings():  # its import uses the deprecated torch.jit.script
        warnings.simplefilter("ignore")
        import nam_entropy
        from nam_entropy.h import (
            EntropyAccumulator,
            compute_all_entropy_measures,
            get_bins,
            soft_bin,
        )

    z_np, index_np = case_data()
    z, index = torch.tensor(z_np), torch.tensor(index_np)
    out: dict = {"nam_entropy": getattr(nam_entropy, "__version__", "0.2.0"), "batch": {}}
    for name, (dist, bins, smooth, temp, b, seed) in BATCH.items():
        torch.manual_seed(seed)
        res = compute_all_entropy_measures(
            z,
            index,
            LABELS,
            b,
            dist_fn=dist,
            bin_type=bins,
            smoothing_fn=smooth,
            smoothing_temp=temp,
        )
        m, inter = res["output_metrics"], res["intermediate_data"]
        out["batch"][name] = {
            "entropy": m["entropy"],
            "conditional_entropy": m["conditional_entropy"],
            "mutual_information": m["mutual_information"],
            "label_entropies": [m["label_entropy_dict"][k] for k in LABELS],
            "p_total": inter["prob_dist_for_total_population_tensor"].tolist(),
            "bins": inter["tmp_bins"].reshape(b, -1).tolist(),
        }
    # its defaults (smoothing_fn='None'): raw distances averaged as probabilities
    torch.manual_seed(0)
    m = compute_all_entropy_measures(z, index, LABELS)["output_metrics"]
    out["defaults"] = {k: m[k] for k in ("entropy", "conditional_entropy", "mutual_information")}
    out["soft_bin"] = {}
    for name in SOFT_BIN:
        scores, used = binned(soft_bin, z, name)
        out["soft_bin"][name] = {
            "scores": scores.tolist(),
            "bins": used.tolist(),
        }
    torch.manual_seed(12)
    out["get_bins_unit_sphere"] = get_bins(z, "unit_sphere", 5, 2).tolist()
    accs = {}
    for name, case in ACCUMULATORS.items():
        b = case[3]  # n_bins
        acc = fed_accumulator(EntropyAccumulator, z, index, name)
        entry = {}
        for weighting in ("weighted", "uniform"):
            m = acc.compute_metrics(weighting)["output_metrics"]
            entry[weighting] = {
                "entropy": m["entropy"],
                "conditional_entropy": m["conditional_entropy"],
                "mutual_information": m["mutual_information"],
                "label_entropies": [m["label_entropy_dict"][k] for k in LABELS],
            }
        entry["bins"] = acc.bins.reshape(b, -1).tolist()
        entry["label_counts"] = acc.label_counts.tolist()
        accs[name] = entry
    out["accumulator"] = accs
    out["signatures"] = {
        "compute_all_entropy_measures": signature(compute_all_entropy_measures),
        "soft_bin": signature(soft_bin),
        "get_bins": signature(get_bins),
        "EntropyAccumulator": signature(EntropyAccumulator),
    }
    emit(out)


if __name__ == "__main__":
    main()
