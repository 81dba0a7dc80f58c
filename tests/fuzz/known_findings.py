"""Findings of the fuzz suite not fixed yet, each one class of bug (issue 16).

The CI fuzz tests (test_fuzz.py) tolerate a verdict that matches one of these, so that the
rest of each function keeps being fuzzed; the long run counts them apart from new findings
(``known_findings`` in its summary). Each has a reproduction in test_known_findings.py
marked ``xfail(strict=True)``: when the bug is fixed that test passes, fails the suite as
XPASS, and the entry here (and its xfail) should be removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fuzz_core import Call, Verdict


@dataclass(frozen=True)
class Known:
    key: str  # short name, used by test_known_findings.py and in the long run's summary
    kind: str  # regex of the verdict kinds (fuzz_core.FINDINGS)
    detail: str  # regex searched in the verdict's detail
    label: str  # regex matched against the call's label (the public function)
    what: str  # one line: the bug
    call: str = ""  # regex searched in the call's repr (its arguments); "" matches any


KNOWN: tuple[Known, ...] = (
    Known(
        "tiny_temperature_gradient",
        "nan_result",
        r"gradient",
        r"softent\.(torch\..*|entropy|information|mutual_information|conditional_entropy)",
        "a tensor temperature below ~1e-150 whose softmax is saturated at exact ties (D = 1 "
        "cosine: every score is ±1): dL/dT = -(dL/d(1/T)) / T² turns the backward kernels' "
        "rounding of dL/d(1/T) (exactly 0 at ties; the kernels return ~1e-17) into ±inf, "
        "and 1/T · 1/|z| overflows to 0 · inf = NaN in dz for rows below ~1e-150. Out of "
        "the Python layer: the C++ backward (cpp/src/cpu/soft_hist_backward.cpp, CUDA twin) "
        "must cancel s_b - s̄ exactly at ties and scale before multiplying",
        call=r"temperature=tensor\([^\n]*\[1e-(1[5-9]\d|[23]\d\d)\]",
    ),
    Known(
        "subnormal_row_gradient",
        "nan_result",
        r"gradient",
        r"softent\.(torch\..*|entropy|information|mutual_information|conditional_entropy)",
        "the cosine gradient of a row with subnormal entries (|z_i| < ~1e-308, float32 "
        "< ~1e-38): the backward kernels form (c - s z_i/|z_i|) · 1/|z_i|, and 1/|z_i| "
        "overflows, so a component whose true value is 0 (every one for D = 1, where the "
        "scores are ±1) is 0 · inf = NaN (a true overflow would be ±inf, which the judge "
        "accepts). Out of the Python layer: the C++ backward (cpp/src/cpu/"
        "soft_hist_backward.cpp, CUDA twin) must scale z_i before dividing by its norm",
        call=r"tiny=[\d.]+e-(30[89]|3[12]\d|39|4[0-5])\b",
    ),
)


def known(call: Call, verdict: Verdict) -> Known | None:
    """The known finding this verdict is an instance of, if any."""
    for k in KNOWN:
        if (
            re.fullmatch(k.kind, verdict.kind)
            and re.fullmatch(k.label, call.label)
            and re.search(k.detail, verdict.detail)
            and (not k.call or re.search(k.call, repr(call)))
        ):
            return k
    return None
