"""One message form for every user-facing error: ``softent.<api>: <arg> must be <expected>, got <actual>``."""

from __future__ import annotations

import math
from typing import NoReturn


def fail(
    api: str, arg: str, expected: str, actual: object, kind: type[Exception] = ValueError
) -> NoReturn:
    """Raise ``kind`` with the project's message form."""
    raise kind(f"softent.{api}: {arg} must be {expected}, got {actual}")


def check_base(api: str, base: float) -> float:
    try:
        b = float(base)
    except (TypeError, ValueError):
        fail(api, "base", "a number > 0 and != 1 (2: bits, e: nats)", repr(base), TypeError)
    if not (math.isfinite(b) and b > 0 and b != 1):
        fail(api, "base", "a number > 0 and != 1 (2: bits, e: nats)", b)
    return b
