"""The fast fuzz set (CI): a few deterministic generated calls of every public function of
every family, each judged by :func:`fuzz_core.judge` (finite result of the documented type,
or a softent-form TypeError/ValueError/...; inputs unchanged; no warning).

The opt-in long run (≥ 10,000 calls in child processes) is long_run.py, and
test_long_run below, marked ``fuzz`` and skipped unless ``SOFTENT_FUZZ_LONG=1``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from fuzz_core import Call, judge
from fuzz_targets import FAMILY, TARGETS
from hypothesis import HealthCheck, given, settings
from known_findings import known

#: examples per public function in CI: ~70 functions x this stays well under a minute
CI_EXAMPLES = int(os.environ.get("SOFTENT_FUZZ_EXAMPLES", "12"))
CI_SETTINGS = settings(
    max_examples=CI_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def test_every_family_is_fuzzed():
    """The registry spans every family that exists (a new family must add its targets)."""
    assert set(FAMILY.values()) == {"soft", "torch", "discrete", "knn", "pid", "spectral"}
    assert len(TARGETS) >= 60


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_fuzz(name: str):
    @CI_SETTINGS
    @given(TARGETS[name])
    def check(call: Call):
        verdict = judge(call)
        # a known finding (known_findings.py, reproduced as a strict xfail) is not failed
        # again here, so that the rest of the function keeps being fuzzed
        assert verdict.good or known(call, verdict), (
            f"{verdict.kind}: {verdict.detail}\n  call: {call!r}"
        )

    check()


def test_the_judge_sees_each_kind_of_finding():
    """judge() flags what it must: a foreign exception, a message outside the form, a NaN,
    an undocumented inf, a wrong type, a modified input, a warning (so test_fuzz can fail)."""
    import warnings

    import numpy as np

    def boom():
        raise KeyError("x")

    def plain():
        raise ValueError("no prefix")

    def scribble(a):
        a[0] = 1.0
        return 0.0

    def warn():
        warnings.warn("w", RuntimeWarning, stacklevel=1)
        return 0.0

    def refuse():
        raise ValueError("softent.f: x must be y, got z")

    assert judge(Call("f", boom)).kind == "unexpected_exception"
    assert judge(Call("f", plain)).kind == "bad_message"
    assert judge(Call("f", lambda: np.array([0.0, np.nan]))).kind == "nan_result"
    assert judge(Call("f", lambda: float("inf"))).kind == "nan_result"
    assert judge(Call("f", lambda: float("inf"), allow_inf=True)).kind == "ok"
    assert judge(Call("f", lambda: float("-inf"), allow_inf=True)).kind == "nan_result"
    assert judge(Call("f", lambda: "x", expect=(float,))).kind == "wrong_type"
    assert judge(Call("f", scribble, (np.zeros(3),))).kind == "modified_input"
    assert judge(Call("f", warn)).kind == "warning"
    assert judge(Call("f", refuse)).kind == "refused"
    # a finite result whose gradient is not (d sqrt(x)/dx at 0 = inf)
    x = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    assert judge(Call("f", lambda t: t.sqrt().sum(), (x,))).kind == "nan_result"
    assert judge(Call("f", lambda t: (t * 2).sum(), (x,))).kind == "ok"
    # a float16 leaf whose true gradient (1e5) is beyond float16 (65504): ±inf is its cast,
    # not a finding; one that is NaN in float32 too is
    h = torch.ones(3, dtype=torch.float16, requires_grad=True)
    assert judge(Call("f", lambda t: (t.float() * 1e5).sum(), (h,))).kind == "ok"
    h0 = torch.zeros(3, dtype=torch.float16, requires_grad=True)
    assert judge(Call("f", lambda t: t.float().sqrt().sum(), (h0,))).kind == "nan_result"
    # d log(x)/dx = 1/x at a subnormal x is beyond float64: -inf there is its rounded value;
    # an inf at a normal x is a finding
    sub = torch.tensor([5e-324, 0.5], dtype=torch.float64, requires_grad=True)
    assert judge(Call("f", lambda t: t.log().sum(), (sub,))).kind == "ok"
    normal = torch.tensor([1e-300, 0.5], dtype=torch.float64, requires_grad=True)
    assert judge(Call("f", lambda t: (t.log() * 1e300).sum(), (normal,))).kind == "nan_result"


def test_the_long_run_catches_crashes_and_hangs(tmp_path: Path):
    """A child killed by a signal is a crash and one past its timeout a hang, each naming
    the call in flight, with the calls before it kept (long_run.run_batch)."""
    import long_run  # tests/fuzz is on sys.path (pytest's rootdir-relative import)

    crash = long_run.run_batch("selftest.abort", 0, 10, 120, tmp_path)
    assert crash["ended"] == "crash", crash
    assert crash["rc"] < 0
    assert len(crash["records"]) == 2
    assert crash["in_flight"].startswith("selftest.abort(")
    hang = long_run.run_batch("selftest.hang", 0, 10, 5, tmp_path)  # 5 s without progress
    assert hang["ended"] == "hang", hang
    assert len(hang["records"]) == 2
    assert hang["in_flight"].startswith("selftest.hang(")


@pytest.mark.fuzz
@pytest.mark.skipif(os.environ.get("SOFTENT_FUZZ_LONG") != "1", reason="SOFTENT_FUZZ_LONG=1")
def test_long_run(tmp_path: Path):
    """The long run (long_run.py): ≥ 10,000 calls over every family, batches in child
    processes (a crash or hang is caught and attributed), no finding allowed."""
    out = tmp_path / "fuzz.json"
    calls = os.environ.get("SOFTENT_FUZZ_CALLS", "10000")
    subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("long_run.py")),
            "--calls",
            calls,
            "--json",
            str(out),
        ],
        check=False,
    )
    summary = json.loads(out.read_text())
    assert summary["calls"] >= int(calls)
    assert set(summary["families"]) == set(FAMILY.values())
    for kind in ("crashes", "hangs", "harness_errors", "findings"):
        assert summary[kind] == [], json.dumps(summary[kind][:5], indent=1)
