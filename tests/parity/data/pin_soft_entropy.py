"""Pin soft-entropy 0.1.5's outputs for tests/parity/test_soft_entropy_compat_parity.py, so
the parity test needs no soft-entropy (it runs live too when soft_entropy is importable).

    pip install torch==2.13.0
    pip install --no-deps soft-entropy==0.1.5 numpy scipy tqdm   # without --no-deps: jax
    python tests/parity/data/pin_soft_entropy.py   # -> soft_entropy_0.1.5.json

The inputs come from :func:`case_data` (NumPy's ``default_rng``, a stream NumPy keeps
stable), so the test regenerates the same data. Every value is soft-entropy's own
("efficiency": divided by ln B).
"""

from __future__ import annotations

import itertools

import numpy as np
from _pin_io import emit, signature

#: label values of the main case: -1 is a label for soft-entropy (softent masks -1)
LABEL_VALUES = np.array([-1, 3, 7, 10, 42])
#: (n_bins, seed, calibration) of the one-shot NumPy calls
NUMPY_CALLS = [(100, 0, "find_eps"), (10, 3, "find_eps"), (50, 1, "leading_order")]
#: (n_bins, seed) of the torch calls (its MI has no seed: 0)
TORCH_CALLS = [(100, 0), (20, 5)]
#: (m, d) of find_eps
FIND_EPS = [(10, 16), (100, 16), (100, 768), (1000, 64), (10, 3), (50, 4096)]
#: rows per accumulator update
CHUNKS = (0, 400, 950, 1500)


def case_data() -> tuple[np.ndarray, np.ndarray]:
    """z [1500, 24] float64 (five overlapping clusters: every bin mass far above the 1e-9
    soft-entropy clips its logarithm at) and labels [1500] with the values of :data:`LABEL_VALUES`."""
    rng = np.random.default_rng([15, 1])
    k = rng.integers(0, len(LABEL_VALUES), 1500)
    z = 0.8 * rng.normal(size=(len(LABEL_VALUES), 24))[k] + rng.normal(size=(1500, 24))
    return z, LABEL_VALUES[k]


def second_sets(labels: np.ndarray) -> dict[str, np.ndarray]:
    """The accumulator's label sets: the labels, and their parity."""
    return {"labels": labels, "parity": labels % 2}


def main() -> None:
    import soft_entropy
    import soft_entropy.numpy as sn
    import soft_entropy.pytorch as sp
    import torch
    from soft_entropy import SoftEntropyAccumulator
    from soft_entropy.temp_calibration import find_eps

    z, labels = case_data()
    out: dict = {"soft_entropy": getattr(soft_entropy, "__version__", "0.1.5")}
    out["numpy"] = [
        {
            "n_bins": b,
            "seed": s,
            "calibration": cal,
            "entropy": float(sn.soft_entropy(z, b, s, cal)),
            "mutual_information": float(sn.soft_mutual_information(z, labels, b, s, cal)),
        }
        for b, s, cal in NUMPY_CALLS
    ]
    zt, lt = torch.tensor(z, dtype=torch.float32), torch.tensor(labels)
    out["torch"] = [
        {
            "n_bins": b,
            "seed": s,
            "entropy": float(sp.soft_entropy(zt, b, s)),
            "mutual_information": float(sp.soft_mutual_information(zt, lt, b)),
        }
        for b, s in TORCH_CALLS
    ]
    out["find_eps"] = [[m, d, find_eps(m, d)] for m, d in FIND_EPS]
    accs = {}
    for backend, b, s in (("numpy", 50, 2), ("torch", 30, 1)):
        acc = SoftEntropyAccumulator(24, n_bins=b, seed=s, backend=backend)
        for lo, hi in itertools.pairwise(CHUNKS):
            batch = z[lo:hi] if backend == "numpy" else torch.tensor(z[lo:hi], dtype=torch.float32)
            acc.update(batch, second_sets(labels[lo:hi]))
        w = acc.w if backend == "numpy" else acc.w.cpu().numpy()
        accs[backend] = {
            "n_bins": b,
            "seed": s,
            "temp": acc.temp,
            "w_sum": float(np.asarray(w, dtype=np.float64).sum()),
            "results": acc.results(),
            "conditional_entropy": {
                name: [[int(v), float(h)] for v, h in hs.items()]
                for name, hs in acc.conditional_entropy().items()
            },
        }
    out["accumulator"] = accs
    out["signatures"] = {
        "soft_entropy": signature(sn.soft_entropy),
        "soft_mutual_information": signature(sn.soft_mutual_information),
        "pytorch_soft_entropy": signature(sp.soft_entropy),
        "pytorch_soft_mutual_information": signature(sp.soft_mutual_information),
        "find_eps": signature(find_eps),
        "SoftEntropyAccumulator": signature(SoftEntropyAccumulator),
    }
    emit(out)


if __name__ == "__main__":
    main()
