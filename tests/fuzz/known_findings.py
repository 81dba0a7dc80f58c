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


#: (the earlier two C++-backward classes, tiny_temperature_gradient and
#: subnormal_row_gradient, are fixed: their reproductions are in test_known_findings.FIXED)
KNOWN: tuple[Known, ...] = (
    Known(
        "float32_euclidean_underflow",
        "nan_result",
        r"gradient",
        r"softent\.(torch\..*|entropy|information|mutual_information|conditional_entropy)",
        "float32 data of scale <~1e-19 with metric='euclidean': ||z||^2, <z, c> and the "
        "squared distances (~1e-46) underflow float32, so the forward's scores are wrong "
        "(H 0.49 nats at scale 1e-23 against 1.05 at 1e-20, the same data: silent) and the "
        "backward's 1/sqrt(d2) times dL/ds ~ 1/T overflows to inf - inf = NaN. Out of the "
        "backward: the forward's Euclidean statistics (math/metric.h row_stat, the dots) "
        "must be scale-safe in float32 (scale rows and centres, or form d2 in float64)",
        call=r"torch\.float32[^\n]*\de-(19|[2-3]\d)\b[^\n]*metric='euclidean'",
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
