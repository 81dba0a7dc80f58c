"""State files of every accumulator: an ``.npz`` archive with a JSON header member, written
atomically and read without pickle, with every member's size checked before it is read.

Format: NumPy's ``.npz`` layout (``numpy.load(path, allow_pickle=False)`` reads it without
softent), a ``header`` member (uint8: UTF-8 JSON object with at least ``format`` and
``version``) and named array members.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._checks import available_memory, fail

#: a header bigger than this is not ours (ours are a few kB)
_MAX_HEADER = 1 << 20


def write_npz_atomic(
    path: str | os.PathLike, header: Mapping[str, Any], arrays: Mapping[str, Any], api: str
) -> None:
    """Write ``header`` (JSON-able) and ``arrays`` to ``path`` atomically: a temporary file
    in the target's folder, flushed and fsync'ed, renamed over the target, folder fsync'ed.
    A process killed at any point leaves the previous file or the new one."""
    path = os.fspath(path)
    if os.path.lexists(path) and not os.path.isfile(path):
        fail(api, "path", "a regular file or a new name", f"{path!r} (not a regular file)")
    members = {"header": np.frombuffer(json.dumps(dict(header)).encode("utf-8"), np.uint8)}
    members.update({k: np.ascontiguousarray(v) for k, v in arrays.items()})
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".softent.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **members)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_npz(
    path: str | os.PathLike, expected_format: str, api: str
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(header, {name: array}) of a file written by :func:`write_npz_atomic` whose header
    ``format`` is ``expected_format``. Every member's size is read from its .npy header
    and checked against the memory available before its data is read; any damage is a
    ValueError naming the file."""
    path = os.fspath(path)
    what = f"a {expected_format} file (.npz archive with a JSON header)"
    if not os.path.isfile(path):
        fail(api, "path", "an existing regular file", repr(path), FileNotFoundError)
    arrays: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            members = [n for n in zf.namelist() if n.endswith(".npy")]
            if "header.npy" not in members:
                fail(api, "path", what, f"{path!r} (no header)")
            for name in members:
                with zf.open(name) as f:
                    shape, dtype = _npy_header(f)
                _check_member(path, name, shape, dtype, what, api)
                with zf.open(name) as f:
                    arrays[name[:-4]] = np.lib.format.read_array(f, allow_pickle=False)
    except (OSError, EOFError, zipfile.BadZipFile, KeyError, _Damaged) as e:
        fail(api, "path", what, f"{path!r} ({type(e).__name__}: {e})")
    except ValueError as e:
        if str(e).startswith(f"softent.{api}:"):  # our own refusal above
            raise
        fail(api, "path", what, f"{path!r} ({type(e).__name__}: {e})")
    try:
        header = json.loads(arrays.pop("header").tobytes().decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        fail(api, "path", what, f"{path!r} (unreadable header: {e})")
    if not isinstance(header, dict) or header.get("format") != expected_format:
        got = header.get("format") if isinstance(header, dict) else None
        fail(api, "path", what, f"{path!r} (format {got!r})")
    return header, arrays


class _Damaged(Exception):
    """A member whose .npy header cannot be read."""


def _npy_header(f: Any) -> tuple[tuple[int, ...], np.dtype]:
    """(shape, dtype) from a .npy member's header, without reading its data."""
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(f)
        else:
            shape, _, dtype = np.lib.format.read_array_header_2_0(f)
    except (ValueError, OSError, EOFError) as e:
        raise _Damaged(str(e)) from None
    return shape, dtype


def _check_member(
    path: str, name: str, shape: tuple[int, ...], dtype: np.dtype, what: str, api: str
) -> None:
    """Refuse a member holding objects, an oversized header, or data beyond memory."""
    if dtype.hasobject:
        fail(api, "path", what, f"{path!r} (member {name} holds Python objects)")
    need = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
    if name == "header.npy" and need > _MAX_HEADER:
        fail(api, "path", what, f"{path!r} (a header of {need} bytes)")
    budget = available_memory()
    if budget is not None and need > budget:
        fail(
            api,
            "path",
            f"a file whose arrays fit in memory ({budget} bytes available)",
            f"{path!r} (member {name} needs {need} bytes)",
            MemoryError,
        )
