"""The file format of :meth:`softent.Accumulator.save` (versioned, no pickle), written atomically.

Format ``softent.Accumulator``, version 3 (2 for a state without permutations): a ZIP archive in NumPy's ``.npz`` layout, so
``numpy.load(path, allow_pickle=False)`` reads it without softent. Members:

- ``header``: uint8 [n], a UTF-8 JSON object::

      {"format": "softent.Accumulator", "version": 2, "softent_version": "0.1.0",
       "fingerprint": "<sha256 hex of centres, metric, temperature>",
       "metric": "cosine", "temperature": 0.0123, "n_bins": B, "dim": D,
       "internal_shape": [L] | [] | null, "declared_label_sets": ["token", ...] | null,
       "n_rows": N, "n_dropped": 0, "bootstrap": R, "bootstrap_seed": s,
       "bootstrap_seeds": [s, ...], "permutations": P, "permutation_seed": p,
       "label_sets": [{"name": "token", "kind": "i" | "U" | "S" | null, "n_labels": K}, ...]}

  (``kind``: integers, str, bytes; ``internal_shape`` null: no data streamed yet;
  ``bootstrap``: the number R of Poisson-bootstrap replicates kept, 0 for none;
  ``bootstrap_seeds``: the seeds whose resampled rows the state holds (its own and those
  of merged workers; optional, default [s] when it holds rows); ``permutations``: the
  number P of label permutations kept per label set and ``permutation_seed`` their seed,
  both only in version 3.)
- ``centres``: float64 [B, D], exactly as used (not normalised).
- ``total``: float64 [*I, B], Σ q over every row (absent while no row was summed: always
  when internal_shape is null, and when every row streamed so far was dropped).
- ``set{j}_values`` [K] (int64, unicode or bytes; sorted), ``set{j}_hist`` float64
  [*I, K, B] and ``set{j}_counts`` int64 [K] for the j-th entry of ``label_sets``.
- Only when R > 0: ``total_replicates`` float64 [R, *I, B] (with ``total``) and
  ``set{j}_hist_replicates`` float64 [R, *I, K, B]: the same sums with each row weighted
  by its bootstrap weight in replicate r (the point estimate stays in ``total``/``hist``).
- Only when P > 0: ``set{j}_hist_permuted`` float64 [P, *I, K, B]: the sums of set j with
  its labels permuted (permutation p), each update batch permuted within itself (the
  streaming rule of ``Accumulator(permutations=P)``), in the order of ``set{j}_values``.

A state without permutations is written as version 2, so that softent versions which
know version 2 keep reading it; one with permutations is version 3, which they refuse
(rather than load it without its nulls). Version 1 is version 2 without the bootstrap
fields and members; versions 1 and 2 are still read (as R = 0, P = 0). Readers refuse another ``format``, a ``version`` newer than theirs, a fingerprint
that does not match the stored centres/metric/temperature, and inconsistent shapes.

Reading checks every size before decompressing anything (each member's ``.npy`` header
against its size in the zip directory and the shape the JSON header announces, their sum
against the memory available); writes are atomic and safe. Both are
:mod:`softent._files`' (shared with the other accumulators' files), where the rules are
written down.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._checks import check_fits, check_masses, fail, is_int
from .._files import (
    Corrupt,
    header_member,
    member,
    npy_meta,
    read_archive,
    read_header,
    write_archive,
)

FORMAT = "softent.Accumulator"
VERSION = 3
#: the version written for a state without permutations (readable by softent that knows 2)
PLAIN_VERSION = 2
_KINDS = (None, "i", "U", "S")
_MASSES = "of masses >= 0"  # histogram sums of soft assignments: never negative
_WHAT = "a softent.Accumulator file (.npz archive with a JSON header)"


def _version() -> str:
    from .._version import __version__

    return str(__version__)


def version_for(permutations: int) -> int:
    """The format version of a state with ``permutations`` (see the module documentation)."""
    return VERSION if permutations else PLAIN_VERSION


def _header(state: Mapping[str, Any]) -> dict[str, Any]:
    c = np.asarray(state["centres"])
    p = int(state.get("permutations", 0))
    extra = {"permutations": p, "permutation_seed": int(state["permutation_seed"])} if p else {}
    return {
        "format": FORMAT,
        "version": version_for(p),
        "softent_version": _version(),
        "fingerprint": state["fingerprint"],
        "metric": state["metric"],
        "temperature": float(state["temperature"]),
        "n_bins": int(c.shape[0]),
        "dim": int(c.shape[1]),
        "internal_shape": state["internal_shape"],
        "declared_label_sets": state["declared_label_sets"],
        "n_rows": int(state["n_rows"]),
        "n_dropped": int(state["n_dropped"]),
        "bootstrap": int(state.get("bootstrap", 0)),
        "bootstrap_seed": int(state.get("bootstrap_seed", 0)),
        "bootstrap_seeds": [int(v) for v in state.get("bootstrap_seeds", [])],
        "label_sets": [
            {"name": name, "kind": d["kind"], "n_labels": len(d["values"])}
            for name, d in state["label_sets"].items()
        ],
        **extra,
    }


def write_state(
    path: str | os.PathLike, state: Mapping[str, Any], api: str = "Accumulator.save"
) -> None:
    """Write ``state`` (``Accumulator.state_dict()``) to ``path`` atomically (see the
    module documentation for what happens to an existing ``path``)."""
    arrays: dict[str, np.ndarray] = {
        "header": header_member(_header(state)),
        "centres": np.ascontiguousarray(state["centres"], dtype=np.float64),
    }
    replicates = (
        int(state.get("bootstrap", 0)) > 0
    )  # files without replicates keep version 1's members
    permuted = int(state.get("permutations", 0)) > 0
    if state["total"] is not None:
        arrays["total"] = np.ascontiguousarray(state["total"], dtype=np.float64)
        if replicates:
            arrays["total_replicates"] = np.ascontiguousarray(
                state["total_replicates"], dtype=np.float64
            )
    for j, d in enumerate(state["label_sets"].values()):
        arrays[f"set{j}_values"] = np.ascontiguousarray(d["values"])
        arrays[f"set{j}_hist"] = np.ascontiguousarray(d["hist"], dtype=np.float64)
        arrays[f"set{j}_counts"] = np.ascontiguousarray(d["counts"], dtype=np.int64)
        if replicates:
            arrays[f"set{j}_hist_replicates"] = np.ascontiguousarray(
                d["hist_replicates"], dtype=np.float64
            )
        if permuted:
            arrays[f"set{j}_hist_permuted"] = np.ascontiguousarray(
                d["hist_permuted"], dtype=np.float64
            )
    write_archive(path, arrays, api)


def _expected_members(header: dict[str, Any], names: set[str]) -> dict[str, tuple[Any, str]]:
    """The members the JSON header announces: name -> (shape, dtype kinds); the shapes
    follow from n_bins, dim, internal_shape, bootstrap and each set's n_labels."""

    def count(key: str, value: Any, lo: int) -> int:
        if not is_int(value) or value < lo:
            raise Corrupt(f"header field {key!r} is {value!r}")
        return int(value)

    b = count("n_bins", header.get("n_bins"), 1)
    d = count("dim", header.get("dim"), 1)
    r = count("bootstrap", header.get("bootstrap", 0), 0)
    # permutations exist from version 3 on (an older file's stray field is not read)
    p = count("permutations", header.get("permutations", 0), 0) if header["version"] >= 3 else 0
    internal = header.get("internal_shape")
    if internal is not None:
        if not isinstance(internal, list):
            raise Corrupt(f"header field 'internal_shape' is {internal!r}")
        internal = [count("internal_shape", s, 1) for s in internal]
    sets = header.get("label_sets")
    if not isinstance(sets, list):
        raise Corrupt(f"header field 'label_sets' is {sets!r}")
    want: dict[str, tuple[Any, str]] = {"centres": ((b, d), "f")}
    inner = tuple(internal or ())
    if "total" in names:
        if internal is None:
            raise Corrupt("a 'total' member without an internal_shape")
        want["total"] = ((*inner, b), "f")
        if "total_replicates" in names:
            want["total_replicates"] = ((r, *inner, b), "f")
    for j, entry in enumerate(sets):
        if not isinstance(entry, dict):
            raise Corrupt(f"label_sets[{j}] is {entry!r}")
        k = count(f"label_sets[{j}].n_labels", entry.get("n_labels"), 0)
        want[f"set{j}_values"] = ((k,), "iuUS")
        want[f"set{j}_hist"] = ((*inner, k, b), "f")
        want[f"set{j}_counts"] = ((k,), "iuf")
        if f"set{j}_hist_replicates" in names:
            want[f"set{j}_hist_replicates"] = ((r, *inner, k, b), "f")
        if p:  # required: a version 3 file with P > 0 holds every set's permuted sums
            want[f"set{j}_hist_permuted"] = ((p, *inner, k, b), "f")
    return want


def read_state(path: str | os.PathLike, api: str) -> dict[str, Any]:
    """Read a file written by :func:`write_state` into a state dict (checked).

    Every size is checked from the zip directory and the ``.npy`` headers before any array
    is decompressed: each member against the shape the JSON header announces, and their sum
    against the memory available. Any corruption is a ValueError naming the file."""
    path = os.fsdecode(os.fspath(path)) if isinstance(path, (str, bytes, os.PathLike)) else path
    state = read_archive(path, api, _WHAT, lambda zf: _read_archive(zf, path, api))
    try:
        return check_state(state, api)
    except (ValueError, TypeError) as e:  # name the file, and say what in it is wrong
        why = str(e).removeprefix(f"softent.{api}: ")
        fail(api, "path", _WHAT, f"{path!r} ({why})")


def _read_archive(zf: zipfile.ZipFile, path: str, api: str) -> dict[str, Any]:
    infos = {i.filename: i for i in zf.infolist()}
    names = {n[:-4] for n in infos if n.endswith(".npy")}
    header = read_header(zf, FORMAT)
    _check_version(header.get("version"), api, f"{path!r}: ")
    want = _expected_members(header, names)
    needed = 0
    for name, (shape, kinds) in want.items():
        if name + ".npy" not in infos:
            raise Corrupt(f"no member {name!r}")
        got, dtype, size = npy_meta(zf, infos[name + ".npy"])
        if got != tuple(shape) or dtype.kind not in kinds:
            raise Corrupt(
                f"member {name!r} is {dtype} of shape {got}, its header announces shape "
                f"{tuple(shape)}"
            )
        needed += size
    # the arrays, then float64 copies of them in the accumulator's state rows
    check_fits(api, "path", f"{path!r} (its arrays hold {needed:,} bytes)", 2 * needed)
    arr = {name: member(zf, name) for name in want}
    state: dict[str, Any] = {
        "format": FORMAT,
        "version": header["version"],
        "fingerprint": header.get("fingerprint"),
        "centres": arr["centres"],
        "metric": header.get("metric"),
        "temperature": header.get("temperature"),
        "internal_shape": header.get("internal_shape"),
        "declared_label_sets": header.get("declared_label_sets"),
        "n_rows": header.get("n_rows"),
        "n_dropped": header.get("n_dropped"),
        "total": arr.get("total"),
        "label_sets": {},
    }
    if header["version"] >= 2:
        state["bootstrap"] = header.get("bootstrap")
        state["bootstrap_seed"] = header.get("bootstrap_seed")
        if "bootstrap_seeds" in header:
            state["bootstrap_seeds"] = header["bootstrap_seeds"]
        # replicate members exist only when R > 0 (check_state fills [0, ...] otherwise)
        state["total_replicates"] = arr.get("total_replicates")
    if header["version"] >= 3:
        state["permutations"] = header.get("permutations", 0)
        state["permutation_seed"] = header.get("permutation_seed", 0)
    for j, entry in enumerate(header["label_sets"]):
        name = entry.get("name")
        if not isinstance(name, str) or name in state["label_sets"]:
            raise Corrupt(f"label_sets[{j}] has the name {name!r}")
        one = {
            "kind": entry.get("kind"),
            "values": arr[f"set{j}_values"],
            "hist": arr[f"set{j}_hist"],
            "counts": arr[f"set{j}_counts"],
        }
        if f"set{j}_hist_replicates" in arr:
            one["hist_replicates"] = arr[f"set{j}_hist_replicates"]
        if f"set{j}_hist_permuted" in arr:
            one["hist_permuted"] = arr[f"set{j}_hist_permuted"]
        state["label_sets"][name] = one
    return state


def _check_version(version: Any, api: str, where: str = "") -> None:
    if not is_int(version) or version < 1:
        fail(api, "state", f"of format version 1..{VERSION}", f"{where}version {version!r}")
    if version > VERSION:
        fail(
            api,
            "state",
            f"of format version <= {VERSION} (this softent {_version()}); upgrade softent to "
            "read it",
            f"{where}version {version} (written by a newer softent)",
        )


def _count_and_seed(api: str, state: dict, count: str, seed: str) -> tuple[int, int]:
    """(state[count], state[seed]) as ints (0 when absent), checked: count >= 0, seed in
    [0, 2**64)."""
    r, s = state.get(count, 0), state.get(seed, 0)
    if not all(is_int(v) for v in (r, s)) or r < 0 or not 0 <= s < 2**64:
        fail(api, "state", f"an int {count} >= 0 and an int {seed} in [0, 2**64)", f"{r!r}, {s!r}")
    return int(r), int(s)


def check_state(state: Mapping[str, Any], api: str) -> dict[str, Any]:
    """Validate a state dict (``Accumulator.state_dict()`` or read from a file) and return
    it with NumPy arrays; raises ValueError with the project's message form."""
    from .bins import METRIC_CODES, Bins

    if not isinstance(state, Mapping):
        fail(api, "state", "a dict from Accumulator.state_dict()", type(state).__name__, TypeError)
    if state.get("format") != FORMAT:
        fail(
            api, "state", f"a {FORMAT} state (format {FORMAT!r})", f"format {state.get('format')!r}"
        )
    _check_version(state.get("version"), api)
    keys = (
        "fingerprint",
        "centres",
        "metric",
        "temperature",
        "internal_shape",
        "declared_label_sets",
        "n_rows",
        "n_dropped",
        "total",
        "label_sets",
    )
    if state["version"] >= 2:  # version 1 had no bootstrap replicates
        keys = (*keys, "bootstrap", "bootstrap_seed")
    missing = [k for k in keys if k not in state]
    if missing:
        fail(api, "state", f"a dict with the keys {list(keys)}", f"one without {missing}")
    r, seed = _count_and_seed(api, state, "bootstrap", "bootstrap_seed")
    p, p_seed = _count_and_seed(api, state, "permutations", "permutation_seed")
    if p and state["version"] < 3:
        fail(
            api, "state", "of format version 3 to hold permutations", f"version {state['version']}"
        )
    # the seeds whose resampled rows are in the state (absent: this state's own, if it has rows)
    seeds = state.get("bootstrap_seeds")
    if seeds is None:
        seeds = [seed] if r and int(state["n_rows"]) > 0 else []
    if not isinstance(seeds, (list, tuple)) or not all(is_int(v) and 0 <= v < 2**64 for v in seeds):
        fail(api, "state", "a list of int bootstrap_seeds in [0, 2**64)", repr(seeds))
    c = np.asarray(state["centres"], dtype=np.float64)
    if c.ndim != 2 or 0 in c.shape or not np.isfinite(c).all():
        fail(api, "state['centres']", "a finite [B, D] array", f"shape {c.shape}")
    metric, t = state["metric"], state["temperature"]
    if (
        not isinstance(metric, str)
        or metric not in METRIC_CODES
        or not isinstance(t, (float, int))
        or not (np.isfinite(t) and t > 0)
    ):
        fail(
            api, "state", "a valid metric and temperature", f"metric={metric!r}, temperature={t!r}"
        )
    if Bins(c, str(metric), float(t)).fingerprint() != state["fingerprint"]:
        fail(
            api,
            "state['fingerprint']",
            "the fingerprint of its centres, metric and temperature",
            "a different one (corrupt or edited state)",
        )
    b = c.shape[0]
    internal = state["internal_shape"]
    if internal is not None:
        if not isinstance(internal, (list, tuple)) or not all(
            is_int(s) and s >= 1 for s in internal
        ):
            fail(api, "state['internal_shape']", "None or a list of ints >= 1", repr(internal))
        internal = [int(s) for s in internal]
    declared = state["declared_label_sets"]
    if declared is not None and (
        not isinstance(declared, (list, tuple)) or not all(isinstance(s, str) for s in declared)
    ):
        fail(api, "state['declared_label_sets']", "None or a list of names", repr(declared))
    n_rows, n_dropped = state["n_rows"], state["n_dropped"]
    if not all(is_int(v) and v >= 0 for v in (n_rows, n_dropped)):
        fail(api, "state", "non-negative int n_rows and n_dropped", f"{n_rows!r}, {n_dropped!r}")
    total = state["total"]
    # total is absent until a row is summed; the internal shape can be known before that
    # (a batch whose rows were all dropped as non-finite fixes it), so such a state is valid
    if (total is not None and internal is None) or (total is None and int(n_rows) > 0):
        fail(
            api,
            "state['total']",
            "given exactly when rows were summed (with an internal_shape)",
            f"total={'absent' if total is None else 'present'} with n_rows={n_rows}, "
            f"internal_shape={internal}",
        )
    total_reps = None
    if total is not None:
        total = np.asarray(total, dtype=np.float64)
        want = f"a finite float64 array of shape {(*internal, b)}"
        if total.shape != (*internal, b):
            fail(api, "state['total']", want, f"shape {total.shape}")
        check_masses(api, "state['total']", total, f"{want} {_MASSES}")
        total_reps = _replicates(
            state.get("total_replicates"), r, total.shape, api, "state['total_replicates']"
        )
    sets: dict[str, dict[str, Any]] = {}
    if not isinstance(state["label_sets"], Mapping):
        fail(
            api,
            "state['label_sets']",
            "a dict {name: {...}}",
            type(state["label_sets"]).__name__,
            TypeError,
        )
    for name, d in state["label_sets"].items():
        arg = f"state['label_sets'][{name!r}]"
        kind = d.get("kind")
        if kind not in _KINDS:
            fail(api, arg, f"of kind in {list(_KINDS)}", repr(kind))
        values = np.asarray(d["values"])
        raw_counts = np.asarray(d["counts"])
        hist = np.asarray(d["hist"], dtype=np.float64)
        k = values.shape[0] if values.ndim == 1 else -1
        if k < 0 or raw_counts.shape != (k,):
            fail(
                api,
                arg,
                "[K] values and [K] non-negative counts",
                f"shapes {values.shape}, {raw_counts.shape}",
            )
        whole = check_masses(api, f"{arg}['counts']", raw_counts, "finite row counts >= 0")
        if (whole != np.round(whole)).any():
            fail(api, f"{arg}['counts']", "whole row counts", "fractional values")
        counts = raw_counts.astype(np.int64)
        want = f"a finite hist of shape {(*(internal or ()), k, b)}"
        if k and total is None:
            fail(api, arg, "empty while no row was summed (total absent)", f"{k} values")
        if k and (internal is None or hist.shape != (*internal, k, b)):
            fail(api, arg, want, f"shape {hist.shape}")
        if k:
            check_masses(api, f"{arg}['hist']", hist, f"{want} {_MASSES}")
        if k and (kind is None or values.dtype.kind not in {"i": "iu", "U": "U", "S": "S"}[kind]):
            fail(api, arg, f"values of kind {kind!r}", f"dtype {values.dtype}")
        if k > 1 and not (values[1:] > values[:-1]).all():
            fail(api, arg, "sorted distinct values", "unsorted or repeated values")
        if kind == "i":
            values = values.astype(np.int64)
        shape = hist.shape if k else (*(internal or ()), 0, b)
        reps = _replicates(
            d.get("hist_replicates") if k else None, r, shape, api, f"{arg}['hist_replicates']"
        )
        permuted = _replicates(
            d.get("hist_permuted") if k else None,
            p,
            shape,
            api,
            f"{arg}['hist_permuted']",
            "permutations",
        )
        sets[str(name)] = {
            "kind": kind,
            "values": values,
            "hist": hist,
            "counts": counts,
            "hist_replicates": reps,
            "hist_permuted": permuted,
        }
    if declared is not None and set(sets) - set(declared):
        fail(
            api,
            "state['label_sets']",
            f"among the declared sets {list(declared)}",
            sorted(set(sets) - set(declared)),
        )
    return {
        "format": FORMAT,
        "version": version_for(p),
        "fingerprint": state["fingerprint"],
        "centres": c,
        "metric": str(metric),
        "temperature": float(t),
        "internal_shape": internal,
        "declared_label_sets": None if declared is None else list(declared),
        "n_rows": int(n_rows),
        "n_dropped": int(n_dropped),
        "total": total,
        "label_sets": sets,
        "bootstrap": r,
        "bootstrap_seed": seed,
        "bootstrap_seeds": sorted(int(v) for v in seeds),
        "total_replicates": total_reps,
        "permutations": p,
        "permutation_seed": p_seed,
    }


def _replicates(
    reps: Any, r: int, shape: tuple[int, ...], api: str, arg: str, what: str = "bootstrap"
) -> np.ndarray:
    """The replicate array [R, *shape] (checked; ``what``: 'bootstrap' or 'permutations',
    the count R names); zeros [0, *shape] when R = 0, and for an empty shape (a label set
    with no values) whatever was stored."""
    want = (r, *shape)
    if r == 0 or 0 in shape:
        if reps is not None and r == 0 and np.asarray(reps).size:
            fail(api, arg, f"absent or empty when {what} is 0", f"shape {np.asarray(reps).shape}")
        return np.zeros(want)
    if reps is None:
        fail(api, arg, f"a finite float64 array of shape {want} ({what}={r})", "absent")
    a = np.asarray(reps, dtype=np.float64)
    expected = f"a finite float64 array of shape {want} ({what}={r})"
    if a.shape != want:
        fail(api, arg, expected, f"shape {a.shape}")
    return check_masses(api, arg, a, f"{expected} {_MASSES}")
