"""Produce the nam-entropy 0.2.0 values pinned in tests/parity/test_peer_parity.py.

Run with an interpreter that has nam-entropy installed (it pulls ~75 packages, so CI does
not): ``python tests/parity/data/pin_nam_entropy.py``. The inputs come from ``nam_case()``, which
needs NumPy only, so the test regenerates exactly the same data and centres.
"""

from __future__ import annotations

import json

import numpy as np

CASES = {  # name: (nam-entropy dist_fn, bin_type, softent metric, temperature)
    "euclidean": ("euclidean", "uniform", "euclidean", 0.5),
    "cosine": ("cosine", "unit_sphere", "cosine", 0.1),
}


def nam_case() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(z [600, 8] float32, labels 0..3, centres [20, 8] float32 in z's box); nam-entropy
    gets them as float64 so that the pinned values carry no float32 rounding."""
    rng = np.random.default_rng(0)
    means = rng.normal(0, 1.5, (4, 8))
    labels = rng.integers(0, 4, 600)
    z = (means[labels] + rng.normal(size=(600, 8))).astype(np.float32)
    centres = np.random.default_rng(1).uniform(z.min(0), z.max(0), size=(20, 8)).astype(np.float32)
    return z, labels, centres


def main() -> None:
    import torch
    from nam_entropy import compute_all_entropy_measures

    z, labels, centres = nam_case()
    out = {}
    for name, (dist, bins, _, temperature) in CASES.items():
        # weighting="uniform" crashes inside nam-entropy 0.2.0 (torch.dot of float32 and
        # float64 tensors), so only its default weighting can be pinned.
        for weighting in ("weighted",):
            res = compute_all_entropy_measures(
                torch.tensor(z, dtype=torch.float64),
                torch.tensor(labels),
                list(range(4)),
                20,
                dist_fn=dist,
                bin_type=bins,
                smoothing_fn="softmax",
                smoothing_temp=temperature,
                conditional_entropy_label_weighting=weighting,
                online_bins=torch.tensor(centres, dtype=torch.float64).view(20, 1, 8),
            )["output_metrics"]
            out[f"{name}-{weighting}"] = {
                k: float(res[k]) for k in ("entropy", "conditional_entropy", "mutual_information")
            }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
