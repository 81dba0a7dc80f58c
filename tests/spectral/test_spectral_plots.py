"""softent.plots.spectral_entropy_curves: one line per bandwidth whose points are the DSE of
the given spectrum at each t, log N dashed, a PNG written; bad arguments refused."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("matplotlib")

import softent.spectral as sp
from softent import plots


def test_the_lines_are_the_dse_at_each_t(tmp_path):
    x = np.random.default_rng(0).normal(size=(80, 5))
    ts = [0.5, 1, 4, 16]
    path = tmp_path / "dse.png"
    fig = plots.spectral_entropy_curves(x, sigmas=("knn", 0.05), ts=ts, path=path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lines = fig.axes[0].get_lines()
    knn = [sp.diffusion_spectral_entropy(x, t=t, base=2).value for t in ts]
    np.testing.assert_allclose(lines[0].get_ydata(), knn, rtol=1e-10)
    # sigma far below the distances: the identity kernel, log N at every t
    np.testing.assert_allclose(lines[1].get_ydata(), math.log2(80), rtol=1e-9)
    assert lines[2].get_ydata()[0] == pytest.approx(math.log2(80))


@pytest.mark.parametrize(
    ("kw", "match"), [({"sigmas": "knn"}, "sigmas"), ({"ts": [0.0]}, "ts"), ({"ts": []}, "ts")]
)
def test_bad_arguments_are_refused(kw, match):
    x = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises((TypeError, ValueError), match=match):
        plots.spectral_entropy_curves(x, **kw)
