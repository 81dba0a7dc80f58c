"""One message form for every user-facing error: ``softent.<api>: <arg> must be <expected>, got <actual>``."""

from __future__ import annotations

from typing import NoReturn


def fail(
    api: str, arg: str, expected: str, actual: object, kind: type[Exception] = ValueError
) -> NoReturn:
    """Raise ``kind`` with the project's message form."""
    raise kind(f"softent.{api}: {arg} must be {expected}, got {actual}")
