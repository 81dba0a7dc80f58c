"""Files of every accumulator's state: a ZIP archive in NumPy's ``.npz`` layout (so
``numpy.load(path, allow_pickle=False)`` reads it without softent) with a ``header``
member holding a UTF-8 JSON object (``format``, ``version``, ...), written safely and
read without trusting it. Used by :mod:`softent.soft._state_io` (the Accumulator) and
:class:`softent.discrete.Counts`; the user-facing rules are in ``docs/reliability.md``.

Writes (:func:`write_archive`):

- ``path`` a regular file: replaced atomically, keeping its permission bits (and owner
  and group where allowed). A new name: created with mode 0o666 less the umask, like any
  new file. A symbolic link: followed, its target is replaced (the link stays a link;
  a dangling link creates its target). Anything else (a directory, device, FIFO,
  socket) is refused with a ValueError, nothing is written.
- The archive goes to one temporary file per target, ``.<name>.softent-tmp`` in the
  target's folder (the name cut and completed by a hash where that would pass NAME_MAX),
  created exclusively and held under an exclusive lock (a per-target thread lock in the
  process, a POSIX ``lockf`` record lock across processes) while it is written, flushed,
  fsync'ed and renamed over the target (``os.replace``, atomic on POSIX and Windows);
  then the folder is fsync'ed. A process killed at any point leaves either the previous
  file or the new one, never a torn file, plus at most that one temporary file, which the
  next save of the same target removes (its lock died with the writer). A second save of
  the same target meanwhile waits for the first one's lock, so both land whole (last
  one wins). Record locks are not inherited by a forked child, so a fork mid-save never
  holds up later saves.

Reads (:func:`read_archive`, :func:`read_header`, :func:`npy_meta`, :func:`member`):
every size is checked from the zip directory and the ``.npy`` headers before any array
is decompressed; any corruption (truncation, a flipped bit: the zip CRC of every member
is verified) is a ValueError naming the file; nothing in a file is unpickled or executed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import stat
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import numpy as np

from ._checks import fail

try:  # POSIX: a save holds a lock on its temporary file (see _create_temp)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

T = TypeVar("T")
_TMP_SUFFIX = b".softent-tmp"
#: a JSON header member holds names and seeds: far below this in any real file
HEADER_MAX = 64 << 20


def _temp_name(name: str, folder: str) -> str:
    """The one temporary name of target ``name``: ``.<name>.softent-tmp``, or, where that
    would pass the folder's NAME_MAX, the name cut to fit plus a hash of the whole name
    (deterministic, so a save killed mid-write leaves at most this one file behind, and the
    next save of the same target removes it)."""
    try:
        name_max = int(os.pathconf(folder, "PC_NAME_MAX"))
    except (AttributeError, OSError, ValueError):
        name_max = 255
    name_max = max(name_max, 64) if name_max > 0 else 255
    raw = os.fsencode(name)
    full = b"." + raw + _TMP_SUFFIX
    if len(full) <= name_max:
        return os.fsdecode(full)
    digest = hashlib.sha256(raw).hexdigest()[:16].encode()
    keep = name_max - len(b"." + b"." + digest + _TMP_SUFFIX)
    # cut on a UTF-8 character boundary so the name stays decodable
    cut = raw[:keep].decode("utf-8", "ignore").encode("utf-8") if keep > 0 else b""
    return os.fsdecode(b"." + cut + b"." + digest + _TMP_SUFFIX)


def kind_of(mode: int) -> str:
    for test, what in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return what
    return "not a regular file"


def save_target(path: str | os.PathLike, api: str) -> tuple[str, os.stat_result | None]:
    """Where a save of ``path`` writes: the path itself, or the file a symbolic link at
    ``path`` points to (followed, so the link stays a link); with the ``os.stat`` of the
    regular file it would replace, None for a new file. Anything else is refused."""
    if not isinstance(path, (str, bytes, os.PathLike)):
        fail(api, "path", "a str or os.PathLike", type(path).__name__, TypeError)
    path = os.fsdecode(os.fspath(path))
    if not path or path.endswith(os.sep) or (os.altsep and path.endswith(os.altsep)):
        fail(api, "path", "a file name", repr(path))
    target = os.path.realpath(path) if os.path.islink(path) else os.path.abspath(path)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as e:  # a symbolic-link loop, a permission problem on the way, ...
        fail(api, "path", "a writable file name", f"{path!r} ({e.strerror or e})", type(e))
    if st is not None and not stat.S_ISREG(st.st_mode):
        where = f"{path!r}" if target == os.path.abspath(path) else f"{path!r} -> {target!r}"
        fail(
            api,
            "path",
            "a regular file or a new name (devices, FIFOs, directories are not replaced)",
            f"{where} ({kind_of(st.st_mode)})",
        )
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        fail(api, "path", "in an existing folder", repr(path), FileNotFoundError)
    return target, st


def _lock(fd: int) -> None:
    """Wait for an exclusive POSIX record lock on the open file ``fd``. Record locks
    belong to the process: released when it dies (kill -9 included) and not inherited by
    a child forked meanwhile (a forked child never holds up a later save); threads of one
    process are kept apart by :func:`_thread_lock`."""
    if fcntl is not None:
        with contextlib.suppress(OSError):  # a file system without locks: no wait
            fcntl.lockf(fd, fcntl.LOCK_EX)


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _thread_lock(target: str) -> threading.Lock:
    """The lock of this process's saves of ``target`` (one save at a time per target)."""
    with _locks_guard:
        return _locks.setdefault(target, threading.Lock())


def _new_locks_after_fork() -> None:
    # a lock held by another thread of the parent at the fork would never be released
    global _locks, _locks_guard
    _locks, _locks_guard = {}, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_locks_after_fork)


def _same_file(fd: int, path: str) -> bool:
    try:
        a, b = os.fstat(fd), os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _create_temp(tmp: str, api: str) -> int:
    """Create ``tmp`` afresh (mode 0o666 less the umask, as for any new file) and hold an
    exclusive lock on it. A temporary file already there is a save killed mid-write (its
    lock died with it: removed) or a save of the same target in progress in another
    process (its lock is held: wait for it to finish)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_BINARY", 0)
    while True:
        try:
            fd = os.open(tmp, flags, 0o666)
        except FileExistsError:
            _remove_stale(tmp, api)
            continue
        except OSError as e:  # a read-only folder or file system, no room for the entry
            fail(
                api,
                "path",
                "in a folder this process can write",
                f"{os.path.dirname(tmp)!r} ({e.strerror or e})",
                type(e),
            )
        _lock(fd)
        if _same_file(fd, tmp):  # nobody took it for stale between create and lock
            return fd
        os.close(fd)


def _remove_stale(tmp: str, api: str) -> None:
    """Remove the temporary file ``tmp`` once no save holds its lock (at once for one left
    by a killed save; after the writer, for a save in progress elsewhere)."""
    probe = os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        old = os.open(tmp, probe | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return  # renamed or removed meanwhile
    except OSError:  # not a file we can lock (a link, a FIFO...): ours by name only
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        except OSError as e:
            fail(
                api,
                "path",
                "a name whose temporary file can be created",
                f"{tmp!r} taken ({e.strerror or e})",
                type(e),
            )
        return
    try:
        _lock(old)
        if _same_file(old, tmp):  # still the temporary file, not renamed over the target
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    finally:
        os.close(old)


def _write_locked(
    target: str,
    tmp: str,
    old: os.stat_result | None,
    arrays: Mapping[str, np.ndarray],
    api: str,
) -> None:
    fd = _create_temp(tmp, api)
    replaced = False
    try:
        with os.fdopen(fd, "wb") as f:
            if old is not None:  # the replaced file's permissions (and owner, where allowed)
                if hasattr(os, "fchmod"):
                    os.fchmod(f.fileno(), stat.S_IMODE(old.st_mode))
                else:  # Windows before Python 3.13
                    os.chmod(tmp, stat.S_IMODE(old.st_mode))
                if hasattr(os, "fchown") and (old.st_uid, old.st_gid) != (
                    os.getuid(),
                    os.getgid(),
                ):
                    with contextlib.suppress(OSError):
                        os.fchown(f.fileno(), old.st_uid, old.st_gid)
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
            # renamed while the lock is held: a concurrent save of this target waits for it
            os.replace(tmp, target)
            replaced = True
    except BaseException:
        if not replaced:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise


def write_archive(path: str | os.PathLike, arrays: Mapping[str, np.ndarray], api: str) -> None:
    """Write ``arrays`` (``header`` among them: see :func:`header_member`) to ``path`` as
    an ``.npz`` archive, atomically and safely (see the module documentation)."""
    target, old = save_target(path, api)
    folder = os.path.dirname(target)
    tmp = os.path.join(folder, _temp_name(os.path.basename(target), folder))
    with _thread_lock(target):
        _write_locked(target, tmp, old, arrays, api)
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX)
        with contextlib.suppress(OSError):
            dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)


def header_member(header: Mapping[str, Any]) -> np.ndarray:
    """The ``header`` member of an archive: ``header`` as UTF-8 JSON bytes (uint8)."""
    return np.frombuffer(json.dumps(dict(header), sort_keys=True).encode("utf-8"), np.uint8)


#: what a caught error while reading the archive can be: corruption, never a bug of ours
READ_ERRORS = (
    OSError,
    EOFError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    OverflowError,
    NotImplementedError,  # a zip compression method Python lacks
    RuntimeError,  # an encrypted member
    zipfile.BadZipFile,
    zlib.error,
    struct.error,
    UnicodeError,
)


class Corrupt(Exception):
    """A problem in the archive, reported as ``path must be <format>, got <path> (why)``."""


def npy_meta(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[tuple[int, ...], np.dtype, int]:
    """(shape, dtype, data bytes) of a ``.npy`` member from its header alone (a few hundred
    bytes decompressed), checked against the member's size in the zip directory."""
    with zf.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(f)
        elif version in ((2, 0), (3, 0)):
            shape, _, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise Corrupt(f"member {info.filename!r}: .npy version {version}")
        offset = f.tell()
    if dtype.hasobject:
        raise Corrupt(f"member {info.filename!r} holds Python objects (pickles are not read)")
    data = math.prod(shape) * dtype.itemsize
    if info.file_size != offset + data:
        raise Corrupt(
            f"member {info.filename!r} is {info.file_size} bytes, its .npy header says "
            f"{offset + data} (shape {tuple(shape)}, dtype {dtype})"
        )
    return tuple(int(s) for s in shape), dtype, data


def member(zf: zipfile.ZipFile, name: str) -> np.ndarray:
    """Read a member whose header was checked; the whole member is read so that its CRC
    is verified (a flipped bit is an error, not a wrong number)."""
    with zf.open(name + ".npy") as f:
        arr = np.lib.format.read_array(f, allow_pickle=False)
        if f.read(1):
            raise Corrupt(f"member {name + '.npy'!r} has bytes after its array")
    return arr


def first_line(e: BaseException) -> str:
    lines = str(e).strip().splitlines()
    return lines[0] if lines else ""


def read_archive(
    path: str | os.PathLike, api: str, what: str, read: Callable[[zipfile.ZipFile], T]
) -> T:
    """``read(zf)`` on the archive at ``path``: a regular file, opened as a ZIP. A
    :class:`Corrupt` raised by ``read`` or any error of a damaged archive (zip, zlib,
    NumPy) is a ValueError ``path must be <what>, got <path> (<why>)``; errors already in
    the project's form (``softent.<api>: ...``) pass through."""
    if not isinstance(path, (str, bytes, os.PathLike)):
        fail(api, "path", "a str or os.PathLike", type(path).__name__, TypeError)
    path = os.fsdecode(os.fspath(path))
    try:
        st = os.stat(path)
    except FileNotFoundError:
        fail(api, "path", "an existing file", repr(path), FileNotFoundError)
    except OSError as e:
        fail(api, "path", "a readable file", f"{path!r} ({e.strerror or e})", type(e))
    if not stat.S_ISREG(st.st_mode):
        fail(api, "path", "a regular file", f"{path!r} ({kind_of(st.st_mode)})")
    try:
        with zipfile.ZipFile(path) as zf:
            return read(zf)
    except PermissionError as e:
        fail(api, "path", "a readable file", f"{path!r} ({e.strerror or e})", PermissionError)
    except Corrupt as e:
        fail(api, "path", what, f"{path!r} ({e})")
    except READ_ERRORS as e:
        if str(e).startswith("softent."):  # already in the project's form (check_fits)
            raise
        fail(api, "path", what, f"{path!r} (corrupt: {type(e).__name__}: {first_line(e)})")


def read_header(zf: zipfile.ZipFile, expected_format: str) -> dict[str, Any]:
    """The JSON ``header`` member of an archive whose ``format`` must be
    ``expected_format`` (size-checked before it is read); :class:`Corrupt` otherwise."""
    infos = {i.filename: i for i in zf.infolist()}
    if "header.npy" not in infos:
        raise Corrupt("no header")
    shape, dtype, size = npy_meta(zf, infos["header.npy"])
    if len(shape) != 1 or dtype.kind not in "uiS" or dtype.itemsize != 1 or size > HEADER_MAX:
        raise Corrupt(f"header member of shape {shape}, dtype {dtype}")
    try:
        header = json.loads(member(zf, "header").tobytes().decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise Corrupt(f"unreadable header: {e}") from e
    if not isinstance(header, dict) or header.get("format") != expected_format:
        got = header.get("format") if isinstance(header, dict) else None
        raise Corrupt(f"format {got!r}")
    return header
