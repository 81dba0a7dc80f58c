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


#: none left: every class found so far is fixed (the C++-backward classes
#: tiny_temperature_gradient and subnormal_row_gradient, then float32_euclidean_underflow, by
#: the row scale the soft-histogram op applies inside its kernels); their reproductions are in
#: test_known_findings.FIXED
KNOWN: tuple[Known, ...] = ()


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
