"""Reliability: inputs and uses that once passed silently and now are refused or handled."""

from __future__ import annotations

import numpy as np
import pytest
import softent

KW = {"n_bins": 16, "temperature": 0.2}


@pytest.fixture
def data():
    rng = np.random.default_rng(5)
    return rng.normal(size=(200, 6)), rng.integers(0, 3, 200)


@pytest.mark.parametrize(
    ("base", "kind", "match"),
    [
        ("2", TypeError, r"^softent\.entropy: base must be a number > 0 and != 1 .*, got '2'$"),
        (b"2", TypeError, r"base must be a number > 0 and != 1"),
        (
            0.5,
            ValueError,
            r"^softent\.entropy: base must be a number > 0 and != 1 .*> 1.*got 0\.5$",
        ),
        (1e-3, ValueError, r"base must be a number > 0 and != 1"),
    ],
)
def test_base_below_one_or_a_string_is_refused(data, base, kind, match):
    z, _ = data
    with pytest.raises(kind, match=match):
        softent.entropy(z, base=base, **KW)


def test_base_two_and_ten_still_accepted(data):
    z, _ = data
    h = softent.entropy(z, **KW)
    assert softent.entropy(z, base=2, **KW) == pytest.approx(h / np.log(2))
    assert softent.entropy(z, base=np.float32(10), **KW) == pytest.approx(h / np.log(10))
