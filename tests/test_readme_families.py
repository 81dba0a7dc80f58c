"""The README's PID and kNN examples run as written, and the values their comments claim
hold (the discrete example has its own test in tests/discrete/test_readme.py)."""

from __future__ import annotations

import math
import re
import runpy
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def first_example(heading: str) -> str:
    """The first ```python block after ``heading``."""
    section = README.read_text(encoding="utf-8").split(heading, 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def run(tmp_path: Path, heading: str) -> dict:
    script = tmp_path / "readme_example.py"
    script.write_text(first_example(heading), encoding="utf-8")
    return runpy.run_path(str(script))


def test_the_readme_pid_example_runs_and_its_comments_hold(tmp_path):
    scope = run(tmp_path, "## Partial information decomposition (`softent.pid`)")
    res = scope["res"]
    # XOR from 10,000 samples: the closed forms up to the sample's deviation from uniform
    assert res.atoms[((1,), (2,))] == pytest.approx(math.log2(2 / 3), abs=0.01)
    assert res.atoms[((1, 2),)] == pytest.approx(math.log2(4 / 3), abs=0.01)
    assert res.complexity == pytest.approx(1.415, abs=0.01)
    assert res.mutual_information == pytest.approx(1.0, abs=0.01)
    lp = scope["lp"]
    assert 1.0 <= lp.complexity <= 5.0 or any(v < 0 for v in lp.degree_atoms.values())
    assert sum(lp.atoms.values()) == pytest.approx(lp.mutual_information, abs=1e-9)


def test_the_readme_knn_example_runs_and_its_comments_hold(tmp_path):
    scope = run(tmp_path, "## k-nearest-neighbour estimators (`softent.knn`)")
    sk, z, y, labels = scope["sk"], scope["z"], scope["y"], scope["labels"]
    assert sk.mutual_information(z, labels) == pytest.approx(2.3025, abs=5e-4)
    assert sk.permutation_test(z[:2000], labels[:2000], n_permutations=99).p_value == 0.01
    assert sk.mutual_information(z[:, :64], y) == pytest.approx(0.595, abs=5e-4)
    per_feature = scope["mutual_info_classif"](z, labels, random_state=0)
    assert per_feature.shape == (768,)
    assert float(np.sum(per_feature)) == pytest.approx(77.1, abs=0.05)
