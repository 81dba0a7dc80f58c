from __future__ import annotations

import numpy as np
import pytest
from cases import DEVICES


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


@pytest.fixture(params=DEVICES)
def device(request) -> str:
    """Each kernel test runs once per device: "cpu", and "cuda" where it can."""
    return request.param
