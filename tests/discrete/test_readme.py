"""The README's discrete example runs as written, and the values its comments claim hold."""

from __future__ import annotations

import math
import re
import runpy
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def discrete_example() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Discrete information (`softent.discrete`)", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_the_readme_discrete_example_runs_and_its_comments_hold(tmp_path):
    script = tmp_path / "readme_discrete.py"
    script.write_text(discrete_example(), encoding="utf-8")
    scope = runpy.run_path(str(script))
    sd, x, y = scope["sd"], scope["x"], scope["y"]
    assert sd.entropy([0.1, 0.5, 0.1, 0.3], base=2) == pytest.approx(1.6855, abs=5e-5)
    assert sd.kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf
    ce = sd.cross_entropy(np.array([[0.1, 0.3, 0.6], [0.2, 0.3, 0.5]]), np.array([1, 2]))
    assert ce == pytest.approx(0.9486, abs=5e-5)
    h2 = -(0.1 * math.log2(0.1) + 0.9 * math.log2(0.9))
    bsc = sd.channel_capacity(np.array([[0.9, 0.1], [0.1, 0.9]]), base=2).capacity
    assert bsc == pytest.approx(1 - h2, abs=1e-10)
    assert scope["mi"].shape == (64,)
    stream = scope["counts"].information(estimator="jackknife").mutual_information
    assert stream == pytest.approx(
        sd.estimate.mutual_information(x, y, estimator="jackknife"), rel=1e-12
    )
