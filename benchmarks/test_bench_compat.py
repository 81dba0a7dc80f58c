"""In-place acceleration (benchmarks/compat.py) as pytest-benchmark groups: each peer's own
call unpatched and under ``softent.compat.<peer>.patched()``, on the same seeded data, the
patched numbers checked against the peer's (its documented float32 rounding allowed).

Small sizes by default (CI smoke: ``pytest benchmarks --benchmark-disable``); the issue's
sizes with ``SOFTENT_BENCH_FULL=1``. A peer that is not installed skips its rows (only
scikit-learn is a test dependency). ``python -m benchmarks.compat`` prints the same
comparison as one table.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import compat
from benchmarks._harness import peers

PARAMS = [
    pytest.param(case, mode, id=f"{case.name.split(' ')[0]}-{i}-{mode}")
    for i, case in enumerate(compat.CASES)
    for mode in ("peer", "patched")
]


@pytest.mark.parametrize(("case", "mode"), PARAMS)
def test_compat(benchmark, threads, case, mode):
    del threads  # pins every candidate's thread count
    if not peers.available(case.peer):
        pytest.skip(f"{case.peer} is not installed")
    n, d, b = case.sizes()
    fn = case.make(n, d, b)
    run = fn if mode == "peer" else compat.patched(case, fn)
    benchmark.group = f"{case.name} N={n} D={d} B={b}"
    got = benchmark(run)
    assert not compat.compat_module(case).is_patched()  # patched() restored the peer
    if mode == "patched":
        np.testing.assert_allclose(
            np.asarray(got, dtype=float), np.asarray(fn(), dtype=float), rtol=case.rtol
        )


def test_the_table_has_a_row_per_case():
    rows = [
        {
            "case": c.name,
            "N": 1,
            "D": 2,
            "B": 3,
            "peer_s": 2.0,
            "patched_s": 0.5,
            "speedup": 4.0,
            "max_rel_diff": 1e-12,
        }
        for c in compat.CASES
    ]
    text = compat.table(
        [*rows, {"case": "x", "N": 1, "D": 2, "B": 3, "error": "x is not installed"}]
    )
    assert text.count("\n") == len(compat.CASES) + 2
    assert "4.0x" in text
    assert "x is not installed" in text
