from __future__ import annotations

import numpy as np
import pytest

METRICS = ["cosine", "euclidean", "sqeuclidean", "dot"]
#: temperatures that give non-trivial entropies for the fixtures below
TEMPERATURES = {"cosine": 0.1, "euclidean": 0.7, "sqeuclidean": 4.0, "dot": 1.5}


@pytest.fixture
def clustered():
    """Seeded data with 6 labels carrying information about z: (z [N, D] float64, labels, centres)."""
    rng = np.random.default_rng(7)
    n, d, k, b = 1013, 12, 6, 29  # N odd, not divisible by any tile size used
    means = rng.normal(0, 2.0, (k, d))
    labels = rng.integers(0, k, n)
    z = means[labels] + rng.normal(0, 1.0, (n, d))
    centres = rng.normal(0, 2.0, (b, d))
    return z, labels, centres
