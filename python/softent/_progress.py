"""One progress bar for every long loop over rows (the CLI, ``Accumulator.update_from``,
later families): tqdm when it is wanted and installed, else a bar that does nothing.

tqdm is optional (``pip install 'softent[progress]'``) and imported only here, only when a
bar is asked for, so ``import softent`` never loads it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ._checks import fail

#: the hint in the error raised when a bar is required (``enabled=True``) without tqdm
INSTALL_HINT = "pip install 'softent[progress]'"


class _NoBar:
    """What callers get when no bar is shown: ``update`` and ``close`` do nothing, so a loop
    reads the same with or without one."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _stderr_is_terminal() -> bool:
    # a log file (stderr redirected) gets no carriage-return noise
    return hasattr(sys.stderr, "isatty") and sys.stderr.isatty()


def progress_bar(
    enabled: bool | None,
    total: int | None,
    *,
    desc: str = "softent",
    leave: bool = True,
    api: str = "progress",
    arg: str = "progress",
) -> Any:
    """A bar counting rows (call ``.update(n_rows)``, then ``.close()``).

    Args:
        enabled: None (show it only when stderr is a terminal and tqdm is installed),
            True (always; RuntimeError ``softent.<api>: <arg> must be False or None when
            tqdm is not installed`` without tqdm) or False (never).
        total: the number of rows expected (None: unknown, the bar just counts).
        desc: the text before the bar.
        leave: keep the finished bar on the terminal (False: erase it, e.g. one bar per
            file of a CLI run).
        api, arg: the names in the error raised when tqdm is missing.

    Returns: a ``tqdm`` bar, or an object whose ``update``/``close`` do nothing.
    """
    if enabled is False or (enabled is None and not _stderr_is_terminal()):
        return _NoBar()
    try:
        from tqdm import tqdm
    except ImportError:
        if enabled:
            fail(
                api,
                arg,
                f"False or None when tqdm is not installed ({INSTALL_HINT})",
                True,
                RuntimeError,
            )
        return _NoBar()
    return tqdm(
        total=total, unit="rows", unit_scale=True, desc=desc, dynamic_ncols=True, leave=leave
    )


@contextmanager
def progress(enabled: bool | None, total: int | None, **kwargs: Any) -> Iterator[Any]:
    """:func:`progress_bar` as a context manager: the bar is closed however the loop ends."""
    bar = progress_bar(enabled, total, **kwargs)
    try:
        yield bar
    finally:
        bar.close()
