"""Activation and label files for ``softent analyze``: read in row chunks, never whole.

Activations ([N, D], or [N, L, D] for L stacked layers):

- ``.npy``: ``np.load(mmap_mode='r')``; chunks are views of the memory map.
- ``.npz``: every member is streamed from the zip archive (compressed or not) through
  its ``.npy`` header and sequential reads of whole rows; sizes are checked from the zip
  directory and the ``.npy`` header before any data is read. A Fortran-ordered member is
  memory-mapped in place when stored uncompressed (``np.savez``); compressed, it cannot be
  read by rows and is decompressed whole, only when it fits in the memory available
  (else refused, saying how many bytes it needs).
- ``.pt``: ``torch.load(weights_only=True, mmap=True)`` (no pickled code runs; the
  storages stay memory-mapped; files in the legacy non-zip format are loaded whole). A
  tensor, or a dict/list of tensors (nested dicts are flattened as ``a.b``).
- ``.safetensors``: ``safetensors.safe_open``; each chunk reads only its rows.

Labels: one label per row, from ``.npy`` (1-D, memory-mapped), ``.txt`` (one per line) or
``.csv`` (a header row naming the columns, then one row per label; each column is a
label set; ``FILE.csv:COLUMN`` picks one). Integer labels or strings, every value a class
(``--ignore-index VALUE`` leaves the rows with that label out).

Text label files (``.txt``, ``.csv``) are UTF-8 (anything else is refused, naming the
file and the offending byte); a leading byte-order mark is dropped. Labels are stripped
of surrounding whitespace. Blank lines at the end of the file are not rows; a blank line
before the last label is refused (it would shift every label after it). A file (a
``.csv`` column) is integer labels when every label is an integer: an optional sign and
ASCII digits (``-1``, ``+3``, `` 007 ``) within int64; otherwise every label is a string
(so ``1.0``, ``0x1``, ``1e3``, ``1_000`` make string labels). In an integer ``.csv``
column an empty cell is refused (label such rows, e.g. -100, and pass --ignore-index);
in a string column it is the label
``""``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import pickle
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._checks import available_memory

ACTIVATION_SUFFIXES = (".npy", ".npz", ".pt", ".safetensors")
LABEL_SUFFIXES = (".npy", ".txt", ".csv")


class InputError(Exception):
    """A problem with the user's files or options: reported as one line, no traceback."""


@dataclass
class ArraySource:
    """One array of an activation file: its name, shape, dtype, and a row-chunk reader.

    ``chunks(rows)`` yields consecutive [r, *shape[1:]] blocks (NumPy arrays or torch
    tensors) covering the N rows once, in order; each is freed when the next is read.
    """

    name: str
    shape: tuple[int, ...]
    dtype: str
    _chunks: Any = field(repr=False)

    @property
    def n_rows(self) -> int:
        return int(self.shape[0])

    @property
    def row_bytes(self) -> int:
        itemsize = {"float16": 2, "bfloat16": 2, "float32": 4, "float64": 8}.get(self.dtype, 8)
        return itemsize * int(np.prod(self.shape[1:], dtype=np.int64))

    def chunks(self, rows: int) -> Iterator[Any]:
        return self._chunks(rows)


def _is_float_dtype(name: str) -> bool:
    return name in ("float16", "bfloat16", "float32", "float64")


def open_activations(
    path: Path, key: str | None = None, layer_axis: int | None = None
) -> tuple[list[ArraySource], list[str]]:
    """The float arrays of ``path`` ([N, D] or [N, L, D]; with ``layer_axis`` any layer
    stack of 3 or more axes; all, or the one named ``key``), and the names of the arrays
    that were left out (not floating point, or of another rank)."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not an activation file")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        if key is not None:
            raise InputError(
                "--key applies to .npz, .pt and .safetensors files (a .npy file holds one array)"
            )
        sources = [_npy_source(path)]
    elif suffix == ".npz":
        sources = _npz_sources(path)
    elif suffix == ".pt":
        sources = _torch_sources(path)
    elif suffix == ".safetensors":
        sources = _safetensors_sources(path)
    else:
        raise InputError(
            f"{path}: unknown activation file type {suffix or '(none)'!r}; "
            f"use one of {', '.join(ACTIVATION_SUFFIXES)}"
        )
    if key is not None:
        chosen = [s for s in sources if s.name == key]
        if not chosen:
            raise InputError(
                f"{path}: no array named {key!r} (arrays: {', '.join(s.name for s in sources) or 'none'})"
            )
        sources = chosen
    usable = [
        s
        for s in sources
        if _is_float_dtype(s.dtype)
        and (len(s.shape) in (2, 3) if layer_axis is None else len(s.shape) >= 3)
        and 0 not in s.shape
    ]
    skipped = [f"{s.name} ({s.dtype} {list(s.shape)})" for s in sources if s not in usable]
    if not usable:
        what = f"array {key!r} is not" if key is not None else "no array is"
        needs = (
            "a floating-point [N, D] or [N, L, D] array; a layer stack such as [L, N, D] or "
            "[L, B, T, D] needs --layer-axis"
            if layer_axis is None
            else f"a floating-point layer stack of 3 or more axes with --layer-axis {layer_axis}"
        )
        raise InputError(
            f"{path}: {what} usable as activations (needs {needs}; "
            f"found: {', '.join(skipped) or 'no arrays'})"
        )
    return usable, skipped


# ----------------------------------------------------------------------------- .npy / .npz


def _npy_source(path: Path) -> ArraySource:
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise InputError(f"{path}: not a readable .npy file ({exc})") from exc
    if not isinstance(arr, np.ndarray):
        raise InputError(f"{path}: not a .npy array file")

    def chunks(rows: int) -> Iterator[np.ndarray]:
        for i in range(0, arr.shape[0], rows):
            yield arr[i : i + rows]  # a view of the memory map: pages are read on demand

    return ArraySource(path.stem, tuple(arr.shape), arr.dtype.name, chunks)


def _npz_sources(path: Path) -> list[ArraySource]:
    try:
        zf = zipfile.ZipFile(path)
    except _ZIP_ERRORS as exc:
        raise InputError(f"{path}: not a readable .npz file ({_first_line(exc)})") from exc
    sources = []
    with zf:
        for info in zf.infolist():
            if not info.filename.endswith(".npy"):
                continue
            try:
                with zf.open(info) as f:
                    shape, fortran, dtype = _read_npy_header(f)
                    offset = f.tell()
            except _ZIP_ERRORS as exc:
                raise InputError(
                    f"{path}: member {info.filename!r} is not a readable .npy array "
                    f"({type(exc).__name__}: {_first_line(exc)})"
                ) from exc
            # sizes from the headers, before any data is decompressed: the zip directory
            # must agree with the .npy header (else the member is truncated or crafted)
            data = math.prod(shape) * dtype.itemsize
            if not dtype.hasobject and info.file_size != offset + data:
                raise InputError(
                    f"{path}: member {info.filename!r} is corrupt: {info.file_size:,} bytes, "
                    f"its .npy header says {offset + data:,} (shape {list(shape)}, {dtype})"
                )
            sources.append(
                ArraySource(
                    info.filename[:-4],
                    shape,
                    dtype.name,
                    _npz_chunks(path, info, offset, shape, fortran, dtype),
                )
            )
    return sources


#: what reading a damaged zip member can raise (zipfile, zlib, NumPy's .npy reader)
_ZIP_ERRORS = (
    OSError,
    EOFError,
    ValueError,
    zipfile.BadZipFile,
    zlib.error,
    NotImplementedError,  # a compression method or zip version Python lacks
    RuntimeError,  # an encrypted member
)


def _read_npy_header(f: Any) -> tuple[tuple[int, ...], bool, np.dtype]:
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
    elif version in ((2, 0), (3, 0)):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
    else:
        raise ValueError(f"unsupported .npy version {version}")
    return tuple(int(s) for s in shape), bool(fortran), dtype


def _stored_offset(path: Path, info: zipfile.ZipInfo) -> int | None:
    """Where an uncompressed, unencrypted member's bytes start in the zip file (after its
    local header), or None when it cannot be memory-mapped."""
    if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
        return None
    with open(path, "rb") as f:
        f.seek(info.header_offset)
        local = f.read(30)
    if len(local) != 30 or local[:4] != b"PK\x03\x04":
        return None
    name_len, extra_len = struct.unpack("<HH", local[26:30])
    return info.header_offset + 30 + name_len + extra_len


def _npz_chunks(
    path: Path,
    info: zipfile.ZipInfo,
    offset: int,
    shape: tuple[int, ...],
    fortran: bool,
    dtype: np.dtype,
) -> Any:
    member = info.filename
    nbytes = math.prod(shape) * dtype.itemsize

    def fortran_chunks(rows: int) -> Iterator[np.ndarray]:
        # column-major: a row's items are spread over the whole member. Uncompressed
        # (np.savez): memory-map it in place, chunks are views; compressed: it has to be
        # decompressed whole, so only when it fits in memory.
        start = _stored_offset(path, info)
        if start is not None and start + offset + nbytes <= path.stat().st_size:
            # the map bypasses zipfile's CRC check: read the member through once in
            # bounded blocks to verify it (a flipped bit is an error, not a wrong number)
            with zipfile.ZipFile(path) as zf, zf.open(member) as f:
                while f.read(1 << 24):
                    pass
            arr = np.memmap(path, dtype, "r", start + offset, shape, order="F")
        else:
            avail = available_memory()
            if avail is not None and nbytes > avail:
                gib = 1 << 30
                raise InputError(
                    f"{path}: member {member!r} is Fortran-ordered and compressed, so it is read "
                    f"whole: {nbytes:,} bytes ({nbytes / gib:.1f} GiB) needed, "
                    f"{avail / gib:.1f} GiB available; save it C-ordered "
                    "(np.ascontiguousarray) or uncompressed (np.savez)"
                )
            with zipfile.ZipFile(path) as zf, zf.open(member) as f:
                arr = np.lib.format.read_array(f, allow_pickle=False)
        for i in range(0, shape[0], rows):
            yield arr[i : i + rows]

    def chunks(rows: int) -> Iterator[np.ndarray]:
        try:
            yield from read(rows)
        except _ZIP_ERRORS as exc:  # a corrupt member (bad CRC, bad deflate stream, ...)
            raise InputError(
                f"{path}: member {member!r} is corrupt ({type(exc).__name__}: {_first_line(exc)})"
            ) from exc

    def read(rows: int) -> Iterator[np.ndarray]:
        if dtype.hasobject:
            raise InputError(
                f"{path}: member {member!r} holds Python objects (pickles are not read)"
            )
        if fortran:
            yield from fortran_chunks(rows)
            return
        with zipfile.ZipFile(path) as zf, zf.open(member) as f:
            _read_npy_header(f)
            row_items = int(np.prod(shape[1:], dtype=np.int64))
            row_bytes = row_items * dtype.itemsize
            for i in range(0, shape[0], rows):
                r = min(rows, shape[0] - i)
                buf = f.read(r * row_bytes)
                if len(buf) != r * row_bytes:
                    raise InputError(
                        f"{path}: member {member!r} is truncated (row {i + len(buf) // max(row_bytes, 1)} "
                        f"of {shape[0]})"
                    )
                yield np.frombuffer(buf, dtype=dtype).reshape((r, *shape[1:]))

    return chunks


# ----------------------------------------------------------------------------- .pt


def _torch_sources(path: Path) -> list[ArraySource]:
    try:
        import torch
    except ImportError as exc:
        raise InputError(
            f"{path}: reading .pt files needs torch (pip install 'softent[torch]')"
        ) from exc
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except RuntimeError as exc:
        if "mmap" not in str(exc):  # only the legacy (non-zip) format refuses mmap
            raise _torch_error(path, exc) from exc
        try:
            obj = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc2:
            raise _torch_error(path, exc2) from exc2
    except Exception as exc:  # pickle.UnpicklingError for non-tensor content, EOFError, ...
        raise _torch_error(path, exc) from exc
    tensors: list[tuple[str, Any]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, torch.Tensor):
            tensors.append((prefix or path.stem, value))
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                walk(f"{prefix}.{i}" if prefix else str(i), v)

    walk("", obj)
    out = []
    for name, t in tensors:
        dtype = str(t.dtype).removeprefix("torch.")

        def chunks(rows: int, t: Any = t) -> Iterator[Any]:
            for i in range(0, t.shape[0], rows):
                yield t[i : i + rows]  # a view of the mapped storage

        out.append(ArraySource(name, tuple(int(s) for s in t.shape), dtype, chunks))
    return out


#: terminal colour codes torch puts in its messages
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _first_line(exc: BaseException) -> str:
    text = _ANSI.sub("", str(exc)).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _torch_error(path: Path, exc: BaseException) -> InputError:
    """torch.load's refusal in our words. Its weights-only refusal advises loading with
    ``weights_only=False``, which runs any code the file holds: never repeated here."""
    if isinstance(exc, pickle.UnpicklingError) and "weights only" in str(exc).lower():
        found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(exc))
        what = f" ({found.group(1)})" if found else ""
        return InputError(
            f"{path}: holds Python objects other than tensors{what}, which softent does not "
            "unpickle (their code could run); save only tensors (a tensor, or a dict or list "
            "of tensors) or use .npy, .npz or .safetensors"
        )
    return InputError(f"{path}: not a readable .pt file ({_first_line(exc)})")


# ----------------------------------------------------------------------------- .safetensors

_SAFETENSORS_DTYPES = {"F16": "float16", "BF16": "bfloat16", "F32": "float32", "F64": "float64"}


def _safetensors_sources(path: Path) -> list[ArraySource]:
    try:
        from safetensors import safe_open
    except ImportError as exc:
        raise InputError(
            f"{path}: reading .safetensors files needs safetensors (pip install safetensors)"
        ) from exc
    try:
        with safe_open(str(path), framework="np") as f:
            keys = list(f.keys())
            meta = {
                k: (tuple(f.get_slice(k).get_shape()), f.get_slice(k).get_dtype()) for k in keys
            }
    except Exception as exc:  # safetensors raises its own SafetensorError
        raise InputError(f"{path}: not a readable .safetensors file ({_first_line(exc)})") from exc
    out = []
    for k in keys:
        shape, st_dtype = meta[k]
        dtype = _SAFETENSORS_DTYPES.get(st_dtype, st_dtype.lower())

        def chunks(
            rows: int, k: str = k, shape: tuple[int, ...] = shape, st_dtype: str = st_dtype
        ) -> Iterator[Any]:
            # NumPy has no bfloat16: those rows come as torch tensors (computed in float32).
            framework = "pt" if st_dtype == "BF16" else "np"
            if framework == "pt":
                try:
                    import torch  # noqa: F401
                except ImportError as exc:
                    raise InputError(
                        f"{path}: bfloat16 array {k!r} needs torch to be read"
                    ) from exc
            with safe_open(str(path), framework=framework) as f:
                sl = f.get_slice(k)
                for i in range(0, shape[0], rows):
                    yield sl[
                        i : min(i + rows, shape[0])
                    ]  # reads only these rows (no clipping there)

        out.append(ArraySource(k, shape, dtype, chunks))
    return out


# ----------------------------------------------------------------------------- labels


@dataclass
class LabelSet:
    """One label set: its name, the file it came from, and [N] values (int64 or str)."""

    name: str
    path: Path
    values: np.ndarray
    header_rows: int = 0  # lines of the file before the first label (for error messages)


def read_labels(spec: str) -> list[LabelSet]:
    """Label sets of one ``--labels`` argument: ``FILE`` (the set is named by the file's
    stem, or by the header of each column of a .csv), ``NAME=FILE``, or for a .csv
    ``[NAME=]FILE.csv:COLUMN`` (that column only, named NAME or by its header)."""
    name: str | None = None
    text = spec
    if "=" in spec and not Path(spec).exists():
        name, text = spec.split("=", 1)
        if not name:
            raise InputError(f"--labels {spec!r}: the label set name before '=' is empty")
    path = Path(text)
    column: str | None = None
    if not path.exists() and ":" in text:
        head, _, col = text.rpartition(":")
        if head.lower().endswith(".csv") and Path(head).exists():
            if not col:
                raise InputError(f"--labels {spec}: the column name after ':' is empty")
            path, column = Path(head), col
    if not path.exists():
        raise InputError(f"--labels {spec}: no such file")
    if column is not None:
        sets = _read_csv(path, None)
        chosen = [s for s in sets if s.name == column]
        if not chosen:
            raise InputError(
                f"--labels {spec}: {path} has no column {column!r} "
                f"(columns: {', '.join(s.name for s in sets)})"
            )
        return [dataclasses.replace(chosen[0], name=name or column)]
    suffix = path.suffix.lower()
    if suffix == ".npy":
        try:
            arr = np.load(path, mmap_mode="r", allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise InputError(f"--labels {path}: not a readable .npy file ({exc})") from exc
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise InputError(
                f"--labels {path}: labels must be a 1-D array (one label per row), got shape {arr.shape}"
            )
        if arr.dtype.kind == "b":
            arr = arr.astype(np.int64)
        if arr.dtype.kind not in "iuUS":
            raise InputError(
                f"--labels {path}: labels must be integers or strings, got dtype {arr.dtype}"
            )
        return [LabelSet(name or path.stem, path, arr)]
    if suffix == ".txt":
        lines = _LINE_BREAK.split(_read_text(path))
        items = [s.strip() for s in _drop_trailing_blanks(lines)]
        blank = next((i for i, s in enumerate(items) if not s), None)
        if blank is not None:
            raise InputError(
                f"--labels {path}: line {blank + 1} is blank; every row needs a label (a blank "
                "line would shift the labels of the rows after it; to leave rows out give them "
                "a label such as -100 and pass --ignore-index -100)"
            )
        return [LabelSet(name or path.stem, path, _parse_values(items, path, lambda i: i + 1))]
    if suffix == ".csv":
        return _read_csv(path, name)
    raise InputError(
        f"--labels {path}: unknown label file type {suffix or '(none)'!r}; use one of "
        f"{', '.join(LABEL_SUFFIXES)}"
    )


#: a line break of a .txt label file (and only these: str.splitlines would also split a
#: label at a form feed or U+2028)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
#: an integer label: optional sign and ASCII digits, nothing else ('1.0', '0x1', '1_000',
#: '1e3' and non-ASCII digits are strings)
_INTEGER = re.compile(r"[+-]?[0-9]+")
_INT64 = (-(2**63), 2**63 - 1)


def _read_text(path: Path) -> str:
    """The text of a label file: UTF-8, a leading byte-order mark dropped (Excel and
    Notepad write one; it is not part of the first label)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"--labels {path}: cannot be read ({exc.strerror or exc})") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"--labels {path}: is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}); save it as UTF-8"
        ) from exc


def label_value(text: str) -> int | str:
    """A label value given on the command line (``--ignore-index``): an integer when it
    reads as one in a label file (``[+-]digits``, in int64), else the string."""
    t = text.strip()
    if _INTEGER.fullmatch(t) and _INT64[0] <= int(t) <= _INT64[1]:
        return int(t)
    return text


def _drop_trailing_blanks(lines: list[str]) -> list[str]:
    """Blank lines at the end of a file are not rows (a final newline, or several)."""
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    return lines[:end]


def _parse_values(items: list[str], path: Path, line_of: Any) -> np.ndarray:
    """int64 when every non-blank item is an integer (``[+-]digits``, the items already
    stripped of surrounding whitespace), else str. ``line_of(i)``: the file line of
    item i, for the messages. A blank item among integers is refused (no integer to give
    it; --ignore-index masks rows of a chosen label)."""
    filled = [s for s in items if s]
    if not filled or not all(_INTEGER.fullmatch(s) for s in filled):
        return np.array(items, dtype=str)
    blank = next((i for i, s in enumerate(items) if not s), None)
    if blank is not None:
        raise InputError(
            f"--labels {path}: line {line_of(blank)} has no label among integer labels "
            "(to leave rows out give them a label such as -100 and pass --ignore-index -100)"
        )
    values = [int(s) for s in items]
    out = next((i for i, v in enumerate(values) if not _INT64[0] <= v <= _INT64[1]), None)
    if out is not None:
        raise InputError(
            f"--labels {path}: line {line_of(out)}: integer label {items[out]} is outside "
            "the int64 range"
        )
    return np.array(values, dtype=np.int64)


def _read_csv(path: Path, name: str | None) -> list[LabelSet]:
    """A .csv file starts with a header row naming its columns (the CSV convention; a
    guess would confuse a header with a string label); each column is one label set.
    ``NAME=FILE`` renames a one-column file's set."""
    reader = csv.reader(io.StringIO(_read_text(path), newline=""))
    try:
        read = [(reader.line_num, r) for r in reader]
    except csv.Error as exc:
        raise InputError(f"--labels {path}: not a readable .csv file ({exc})") from exc
    while read and not any(c.strip() for c in read[-1][1]):  # blank lines at the end
        read.pop()
    blank = next((line for line, r in read if not r), None)
    if blank is not None:
        raise InputError(
            f"--labels {path}: line {blank} is blank; every row needs a label (a blank line "
            "would shift the labels of the rows after it)"
        )
    rows = [r for _, r in read]
    lines = [line for line, _ in read]
    if len(rows) < 2:
        raise InputError(
            f"--labels {path}: a .csv needs a header row naming its columns and one row per label"
        )
    width = len(rows[0])
    bad = next((i for i, r in enumerate(rows) if len(r) != width), None)
    if bad is not None:
        raise InputError(
            f"--labels {path}: row {bad + 1} has {len(rows[bad])} columns, the header {width}"
        )
    header = [h.strip() for h in rows[0]]
    if any(not h for h in header) or len(set(header)) != width:
        raise InputError(
            f"--labels {path}: the first row of a .csv must name its columns (distinct, non-empty), "
            f"got {rows[0]}"
        )
    if name is not None:
        if width > 1:
            raise InputError(
                f"--labels {name}={path}: a .csv with several columns names its label sets in its "
                "header; drop 'NAME='"
            )
        header = [name]
    body = rows[1:]
    return [
        LabelSet(
            h,
            path,
            _parse_values(
                [r[j].strip() for r in body], path, lambda i, j=j: f"{lines[i + 1]}, column {j + 1}"
            ),
            header_rows=1,
        )
        for j, h in enumerate(header)
    ]
