"""Streamed joint counts of discrete samples: :class:`Counts`.

A plug-in (or bias-corrected) entropy or MI of quantised activations is a function of
counts, and counts are sums: stream batches of (x, y) samples into a :class:`Counts`
(``update``), combine workers (``merge``, ``all_reduce`` over torch.distributed), keep the
state on disk (``save`` / ``load``), and read H(X), H(Y), H(X,Y), I(X;Y) at any time with
any estimator. Any chunking of a stream gives the numbers of
:mod:`softent.discrete.estimate` on the concatenated samples.

Alphabets grow: a value seen for the first time gets the next slot. The joint counts are
kept sparse (occupied (x, y) cells only), so memory is O(distinct pairs seen), whatever the
alphabets.

Thread safety: every method that reads or writes the state holds the object's lock
(``threading.RLock``), so updates from several threads (e.g. DataParallel forward hooks)
are serialised and never lost. After ``fork`` the child holds a copy like any object.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from .._checks import check_fits, check_masses, check_total, fail, is_int
from .._files import (
    Corrupt,
    header_member,
    member,
    npy_meta,
    read_archive,
    read_header,
    write_archive,
)
from .._interop import to_numpy
from .._labels import LabelVocabulary, checked_label_values
from .._mergeable import SumLayout, locked, new_lock
from .._mergeable import all_reduce as _all_reduce
from ._compose import (
    DiscreteInformation,
    check_alphabet,
    check_estimator,
    information_of_counts,
)
from .counting import Encoded, encode, histogram, joint_counts

API = "discrete.Counts"
FORMAT = "softent.discrete.Counts"
VERSION = 1
#: slots of one variable's alphabet: the joint key is x_slot << 32 | y_slot
_SLOT_BITS = 32


class _Variable:
    """One variable's growing alphabet: its values -> slots, and its marginal counts."""

    __slots__ = ("columns", "counts", "vocab")

    def __init__(self, columns: int | None = None) -> None:
        self.columns = columns  # None before the first update; 0 = a 1-D variable
        self.vocab = LabelVocabulary()
        self.counts = np.zeros(0)

    @property
    def size(self) -> int:
        return self.vocab.size

    def copy(self) -> _Variable:
        v = _Variable(self.columns)
        v.vocab, v.counts = self.vocab.copy(), self.counts.copy()
        return v

    def values(self) -> np.ndarray:
        """Values in slot order ([K], or [K, m] integer rows for a multi-column variable)."""
        order = np.empty(self.size, np.int64)
        order[self.vocab.sorted_slots] = np.arange(self.size)
        return _decode_rows(self.vocab.sorted_values[order], self.columns)

    def slots(self, x: Any, n: int | None, api: str, arg: str) -> np.ndarray:
        """[N] slots of the samples ``x``, growing the alphabet with new values."""
        distinct, inverse = _distinct(x, api, arg)
        if n is not None and inverse.shape[0] != n:
            fail(api, arg, f"one sample per row of x (N={n})", f"N={inverse.shape[0]}")
        columns = 0 if distinct.ndim == 1 else distinct.shape[1]
        if self.columns is None:
            self.columns = columns
        elif columns != self.columns:
            fail(
                api,
                arg,
                f"{_shape_words(self.columns)} like earlier updates",
                _shape_words(columns),
            )
        keys = (
            checked_label_values(distinct, self.vocab.kind, api, arg, arg)
            if columns == 0
            else _row_keys(distinct)
        )
        if columns and self.vocab.kind not in (None, "V"):
            fail(api, arg, "rows of integers like earlier updates", "rows")
        slots = self.vocab.slots_for(keys)
        if self.vocab.size >= 1 << _SLOT_BITS:
            fail(api, arg, f"fewer than 2**{_SLOT_BITS} distinct values", f"{self.vocab.size}")
        if self.vocab.size > self.counts.shape[0]:
            self.counts = np.concatenate(
                [self.counts, np.zeros(self.vocab.size - self.counts.shape[0])]
            )
        return slots[inverse]


def _shape_words(columns: int) -> str:
    return "1-D samples [N]" if columns == 0 else f"rows of {columns} columns [N, {columns}]"


def _row_keys(rows: np.ndarray) -> np.ndarray:
    """Integer rows [K, m] as one opaque (void) value each, so a vocabulary can sort them."""
    r = np.ascontiguousarray(rows, dtype=np.int64)
    return r.view(np.dtype((np.void, 8 * r.shape[1]))).ravel()


def _check_new_total(api: str, arg: str, n: float) -> None:
    """Refuse (naming ``arg``) what would take the total count N past float64: every
    count is a part of N, and an inf N reads every share as 0."""
    if not math.isfinite(n):
        fail(
            api,
            arg,
            "weights whose sum with the N already counted is a finite float64 (below 1.8e308)",
            "a total that overflows",
        )


def _decode_rows(keys: np.ndarray, columns: int | None) -> np.ndarray:
    if not columns:
        return keys
    return np.ascontiguousarray(keys).view(np.int64).reshape(-1, columns)


def _distinct(x: Any, api: str, arg: str) -> tuple[np.ndarray, np.ndarray]:
    """(distinct values [K] or rows [K, m], inverse [N]) of a batch, with the counting
    kernel's fast path for 1-D integer codes (no sort)."""
    a = to_numpy(x)
    if a.ndim == 2 and a.dtype.kind in "iub":
        if a.shape[1] == 0:
            fail(api, arg, "at least one column", f"shape {a.shape}")
        rows, inverse = np.unique(
            np.ascontiguousarray(a, dtype=np.int64), axis=0, return_inverse=True
        )
        return rows, inverse.ravel()
    e = encode(a, name=arg, api=api)
    present = np.flatnonzero(to_numpy(histogram(e)))
    lut = np.empty(e.size, np.int64)
    lut[present] = np.arange(present.shape[0])
    codes = to_numpy(e.codes)
    if e.values is not None and e.values[0] is not None:
        values = np.asarray(e.values[0])[present]
    else:
        values = present
    return values, lut[codes]


class Counts:
    """Streamed counts of discrete samples x (and optionally paired y): the marginal
    histograms and the sparse joint histogram, with growing alphabets.

    ``update(x, y=None, weights=None)``: ``x`` [N] or [N, m] (a row is one symbol) integer
    codes or strings, ``y`` the same (paired, same N) or None for a single variable.
    Results (:meth:`entropy`, :meth:`information`, :meth:`mutual_information`) take
    ``estimator=`` like :mod:`softent.discrete.estimate` and equal its values on the
    concatenated samples. Host memory: O(distinct x values + distinct y values +
    distinct (x, y) pairs seen).
    """

    def __init__(self) -> None:
        self._lock = new_lock(self)
        self._x = _Variable()
        self._y: _Variable | None = None
        self._paired: bool | None = None
        self._keys = np.zeros(0, np.int64)  # sorted x_slot << 32 | y_slot
        self._values = np.zeros(0)
        self._n = 0.0
        self._weighted = False

    # -- reading ---------------------------------------------------------------------
    @property
    def n(self) -> float:
        """Samples counted (sum of weights)."""
        return self._n

    @property
    def paired(self) -> bool:
        """Whether y is counted with x (fixed by the first update)."""
        return bool(self._paired)

    @property
    def weighted(self) -> bool:
        """Whether any update carried weights (then only plug-in and Miller–Madow)."""
        return self._weighted

    def __repr__(self) -> str:
        y = f", |Y|={self._y.size}, pairs={self._keys.shape[0]}" if self._paired else ""
        return f"Counts(N={self._n:g}, |X|={self._x.size}{y})"

    @locked
    def counts_x(self) -> tuple[np.ndarray, np.ndarray]:
        """(values [K] or [K, m], counts [K]) of x, in order of first appearance."""
        return self._x.values(), self._x.counts.copy()

    @locked
    def counts_y(self) -> tuple[np.ndarray, np.ndarray]:
        """(values, counts) of y (see :meth:`counts_x`)."""
        self._need_pairs("counts_y")
        return self._y.values(), self._y.counts.copy()

    @locked
    def joint(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(x slots [U], y slots [U], counts [U]) of the occupied (x, y) cells; slots index
        the values of :meth:`counts_x` / :meth:`counts_y`."""
        self._need_pairs("joint")
        return self._keys >> _SLOT_BITS, self._keys & ((1 << _SLOT_BITS) - 1), self._values.copy()

    def _need_pairs(self, what: str) -> None:
        if not self._paired:
            fail(f"{API}.{what}", "self", "paired counts (update(x, y))", "x alone")

    def _need_data(self, api: str) -> None:
        if self._n <= 0:
            fail(api, "self", "counts of at least one sample (call update first)", "no samples")

    @locked
    def entropy(
        self,
        *,
        estimator: str = "plugin",
        alpha: float | None = None,
        alphabet_size: int | None = None,
        base: float = math.e,
    ) -> float:
        """H(X) of the samples counted, in units of ``base`` (see
        :func:`softent.discrete.estimate.entropy`)."""
        api = f"{API}.entropy"
        est = check_estimator(api, estimator, alpha)
        k = check_alphabet(api, "alphabet_size", alphabet_size)
        self._need_data(api)
        c = self._x.counts
        info = information_of_counts(
            c, c, c, estimator=est, alpha=alpha, alphabets=(k, k), base=base, api=api
        )
        return info.entropy_x

    @locked
    def information(
        self,
        *,
        estimator: str = "plugin",
        alpha: float | None = None,
        alphabet_sizes: tuple[int | None, int | None] | None = None,
        base: float = math.e,
    ) -> DiscreteInformation:
        """H(X), H(Y), H(X,Y), conditional entropies and I(X;Y) of the paired samples
        counted (see :func:`softent.discrete.estimate.information`)."""
        api = f"{API}.information"
        est = check_estimator(api, estimator, alpha)
        self._need_pairs("information")
        self._need_data(api)
        ka, kb = (None, None) if alphabet_sizes is None else alphabet_sizes
        alphabets = (
            check_alphabet(api, "alphabet_sizes", ka),
            check_alphabet(api, "alphabet_sizes", kb),
        )
        return information_of_counts(
            self._values,
            self._x.counts,
            self._y.counts,
            estimator=est,
            alpha=alpha,
            alphabets=alphabets,
            base=base,
            api=api,
        )

    def mutual_information(self, **kwargs: Any) -> float:
        """I(X;Y) of the paired samples counted (keyword arguments as :meth:`information`)."""
        return self.information(**kwargs).mutual_information

    # -- writing ---------------------------------------------------------------------
    @locked
    def update(self, x: Any, y: Any = None, *, weights: Any = None) -> Counts:
        """Count the samples ``x`` (and the paired ``y``), weighted by ``weights`` [N]
        (non-negative, finite) when given. Returns self. All checks run before the state
        changes: a refused batch leaves the counts as they were."""
        api = f"{API}.update"
        paired = y is not None
        if self._paired is not None and paired != self._paired:
            fail(
                api,
                "y",
                "given in every update or in none (as in the first update)",
                "given" if paired else "None",
            )
        x_var, y_var = self._x.copy(), (self._y.copy() if self._y else _Variable())
        xs = x_var.slots(x, None, api, "x")
        n = xs.shape[0]
        if n == 0:
            fail(api, "x", "at least one sample", "0 samples")
        ys = y_var.slots(y, n, api, "y") if paired else None
        w = None
        if weights is not None:
            w = np.asarray(to_numpy(weights), dtype=np.float64)
            if w.shape != (n,):
                fail(api, "weights", f"shape ({n},) (one per sample)", f"shape {w.shape}")
            check_masses(api, "weights", w)
            _check_new_total(api, "weights", self._n + check_total(api, "weights", w))
        # the batch's counts by the counting kernel, on dense slot codes
        bx = Encoded(xs, x_var.size, (x_var.size,), None)
        if paired:
            by = Encoded(ys, y_var.size, (y_var.size,), None)
            jc = joint_counts(bx, by, weights=w, max_dense_bytes=0)
            keys = (jc.keys // y_var.size << _SLOT_BITS) | (jc.keys % y_var.size)
            self._add_joint(to_numpy(keys).astype(np.int64), to_numpy(jc.values).astype(np.float64))
            y_var.counts += to_numpy(jc.counts_y)
            x_var.counts += to_numpy(jc.counts_x)
        else:
            x_var.counts += to_numpy(histogram(bx, weights=w))
        self._x, self._paired = x_var, paired
        if paired:
            self._y = y_var
        self._n += float(n if w is None else w.sum())
        self._weighted |= w is not None
        return self

    def _add_joint(self, keys: np.ndarray, values: np.ndarray) -> None:
        if not keys.size:
            return
        all_keys = np.concatenate([self._keys, keys])
        all_values = np.concatenate([self._values, values])
        self._keys, inverse = np.unique(all_keys, return_inverse=True)
        self._values = np.bincount(inverse.ravel(), weights=all_values, minlength=self._keys.size)

    @locked
    def merge(self, other: Counts) -> Counts:
        """Add ``other``'s counts (another worker's) into this one; returns self. Its
        values are mapped onto this alphabet (new ones get new slots)."""
        api = f"{API}.merge"
        if not isinstance(other, Counts):
            fail(api, "other", "a softent.discrete.Counts", type(other).__name__, TypeError)
        if other is self:
            fail(api, "other", "another Counts (merging one with itself double-counts)", "self")
        with other._lock:
            state = other.state_dict()
        self._merge_state(state, api)
        return self

    def _merge_state(self, state: dict[str, Any], api: str) -> None:
        if state["n"] <= 0:
            return
        _check_new_total(api, "other", self._n + state["n"])
        if self._paired is not None and state["paired"] != self._paired:
            fail(api, "other", "paired like this one" if self._paired else "unpaired", "not")
        x_var = self._x.copy()
        y_var = self._y.copy() if self._y else _Variable()
        x_map = _map_values(x_var, state["x_values"], state["x_columns"], api, "other")
        x_var.counts[x_map] += state["x_counts"]
        if state["paired"]:
            y_map = _map_values(y_var, state["y_values"], state["y_columns"], api, "other")
            y_var.counts[y_map] += state["y_counts"]
            xs, ys = state["joint_x"], state["joint_y"]
            self._add_joint((x_map[xs] << _SLOT_BITS) | y_map[ys], state["joint_counts"])
            self._y = y_var
        self._x, self._paired = x_var, state["paired"]
        self._n += state["n"]
        self._weighted |= state["weighted"]

    # -- state -----------------------------------------------------------------------
    @locked
    def state_dict(self) -> dict[str, Any]:
        """The state as plain arrays and numbers (what :meth:`save` writes)."""
        xs = self._keys >> _SLOT_BITS
        ys = self._keys & ((1 << _SLOT_BITS) - 1)
        return {
            "format": FORMAT,
            "version": VERSION,
            "n": self._n,
            "paired": bool(self._paired),
            "weighted": self._weighted,
            "x_columns": self._x.columns or 0,
            "x_values": self._x.values(),
            "x_counts": self._x.counts.copy(),
            "y_columns": (self._y.columns or 0) if self._y else 0,
            "y_values": self._y.values() if self._y else np.zeros(0, np.int64),
            "y_counts": self._y.counts.copy() if self._y else np.zeros(0),
            "joint_x": xs,
            "joint_y": ys,
            "joint_counts": self._values.copy(),
        }

    @classmethod
    def from_state_dict(cls, state: dict[str, Any]) -> Counts:
        """A Counts holding ``state`` (from :meth:`state_dict` or a file), checked."""
        return cls._from_checked(_checked_state(state, f"{API}.from_state_dict"))

    @classmethod
    def _from_checked(cls, state: dict[str, Any]) -> Counts:
        c = cls()
        c._merge_state(state, f"{API}.from_state_dict")
        return c

    @locked
    def save(self, path: str | os.PathLike) -> None:
        """Write the state to ``path`` atomically: an ``.npz`` archive (a JSON header, the
        arrays of :meth:`state_dict`; no pickle). An existing regular file is replaced
        whole, a symbolic link's target likewise, anything else refused; see
        ``docs/reliability.md``."""
        s = self.state_dict()
        header = {k: s[k] for k in _HEADER_FIELDS}
        arrays = {"header": header_member(header)}
        arrays.update({k: np.ascontiguousarray(s[k]) for k in _MEMBERS})
        write_archive(path, arrays, f"{API}.save")

    @classmethod
    def load(cls, path: str | os.PathLike) -> Counts:
        """A Counts read from a file written by :meth:`save`. Every member's size is
        checked before it is read; the state is checked like :meth:`from_state_dict`'s
        (format, version, shapes, counts finite, non-negative and adding up)."""
        api = f"{API}.load"
        what = f"a {FORMAT} file (.npz archive with a JSON header)"
        state = read_archive(path, api, what, lambda zf: _read_state(zf, path, api))
        try:
            checked = _checked_state(state, api)
        except (ValueError, TypeError) as e:  # name the file, and say what in it is wrong
            fail(api, "path", what, f"{path!r} ({str(e).removeprefix(f'softent.{api}: ')})")
        return cls._from_checked(checked)

    def all_reduce(self, group: Any = None) -> Counts:
        """Sum the counts over the ranks of a torch.distributed ``group`` (collective);
        afterwards every rank holds the global counts, alphabets in one order."""
        return _all_reduce(self, group, api=f"{API}.all_reduce")

    # -- the Mergeable protocol (softent._mergeable) ---------------------------------
    @locked
    def reduce_meta(self) -> dict[str, Any]:
        s = self.state_dict()
        return {
            k: (v.tolist() if isinstance(v, np.ndarray) else v)
            for k, v in s.items()
            if k not in ("x_counts", "y_counts", "joint_counts")
        }

    def reduce_layout(self, metas: list[dict[str, Any]], api: str) -> SumLayout | None:
        """Refuse ranks that disagree (paired or not, columns); unite the alphabets and the
        occupied pairs in rank order, so every rank derives the same layout."""
        held = [m for m in metas if m["n"] > 0]
        if not held:
            return None
        if len({(m["paired"], m["x_columns"], m["y_columns"]) for m in held}) > 1:
            fail(api, "every rank", "counts of the same variables (paired, columns)", "others")
        x, y = _Variable(), _Variable()
        keys = [np.zeros(0, np.int64)]
        for m in held:
            xm = _map_values(x, _meta_values(m["x_values"]), m["x_columns"], api, "every rank")
            if m["paired"]:
                ym = _map_values(y, _meta_values(m["y_values"]), m["y_columns"], api, "every rank")
                jx, jy = np.asarray(m["joint_x"], np.int64), np.asarray(m["joint_y"], np.int64)
                keys.append((xm[jx] << _SLOT_BITS) | ym[jy])
        union_keys = np.unique(np.concatenate(keys))
        arrays = {
            "x_counts": ((x.size,), "float64"),
            "y_counts": ((y.size,), "float64"),
            "joint_counts": ((union_keys.size,), "float64"),
            "n": ((1,), "float64"),
        }
        weighted = any(m["weighted"] for m in held)
        return SumLayout(arrays, context=(x, y, union_keys, held[0]["paired"], weighted))

    @locked
    def reduce_write(self, layout: SumLayout, views: dict[str, Any]) -> None:
        if self._n <= 0:
            return
        x, y, union_keys, _, _ = layout.context
        # the union already holds every value of this rank: the maps only look slots up
        x_map = _map_values(x.copy(), self._x.values(), self._x.columns or 0, "", "")
        _add_at(views["x_counts"], x_map, self._x.counts)
        if self._paired:
            y_map = _map_values(y.copy(), self._y.values(), self._y.columns or 0, "", "")
            _add_at(views["y_counts"], y_map, self._y.counts)
            keys = (x_map[self._keys >> _SLOT_BITS] << _SLOT_BITS) | y_map[
                self._keys & ((1 << _SLOT_BITS) - 1)
            ]
            _add_at(views["joint_counts"], np.searchsorted(union_keys, keys), self._values)
        _add_at(views["n"], np.zeros(1, np.int64), np.array([self._n]))

    @locked
    def reduce_read(self, layout: SumLayout, views: dict[str, Any]) -> None:
        x, y, union_keys, paired, weighted = layout.context
        self._x = x.copy()
        self._x.counts = _host64(views["x_counts"])
        if paired:
            self._y = y.copy()
            self._y.counts = _host64(views["y_counts"])
        self._keys = union_keys.copy()
        self._values = _host64(views["joint_counts"])
        self._n = float(_host64(views["n"])[0])
        self._paired, self._weighted = paired, weighted


def _meta_values(values: list[Any]) -> np.ndarray:
    """A rank's values sent as a list, back as an array (an empty list: no values)."""
    return np.asarray(values) if len(values) else np.zeros(0, np.int64)


def _host64(view: Any) -> np.ndarray:
    return np.array(to_numpy(view), dtype=np.float64, copy=True)


def _add_at(view: Any, index: np.ndarray, values: np.ndarray) -> None:
    """view[index] += values for a NumPy view or a torch view (the collective's buffer)."""
    if isinstance(view, np.ndarray):
        view[index] += values
        return
    import torch

    view[torch.as_tensor(index, device=view.device)] += torch.as_tensor(
        values, dtype=view.dtype, device=view.device
    )


def _map_values(var: _Variable, values: np.ndarray, columns: int, api: str, arg: str) -> np.ndarray:
    """Slots in ``var`` (grown as needed) of ``values`` ([K] or [K, m] rows)."""
    if var.columns is None:
        var.columns = columns
    elif len(values) and columns != var.columns:
        fail(api, arg, f"{_shape_words(var.columns)} like this one", _shape_words(columns))
    if not len(values):
        return np.zeros(0, np.int64)
    keys = _row_keys(values) if columns else values
    order = np.argsort(keys, kind="stable")
    slots = np.empty(len(values), np.int64)
    slots[order] = var.vocab.slots_for(keys[order])
    if var.vocab.size > var.counts.shape[0]:
        var.counts = np.concatenate([var.counts, np.zeros(var.vocab.size - var.counts.shape[0])])
    return slots


#: the header's fields and the array members of a state file
_HEADER_FIELDS = ("format", "version", "n", "paired", "weighted", "x_columns", "y_columns")
_MEMBERS = (
    "x_values",
    "x_counts",
    "y_values",
    "y_counts",
    "joint_x",
    "joint_y",
    "joint_counts",
)


def _read_state(zf: Any, path: Any, api: str) -> dict[str, Any]:
    """The state dict in an open archive (sizes checked from the .npy headers first)."""
    header = read_header(zf, FORMAT)
    infos = {i.filename: i for i in zf.infolist()}
    needed = 0
    for name in _MEMBERS:
        if name + ".npy" not in infos:
            raise Corrupt(f"no member {name!r}")
        needed += npy_meta(zf, infos[name + ".npy"])[2]
    # the arrays, then the float64 and int64 copies the state keeps
    check_fits(api, "path", f"{path!r} (its arrays hold {needed:,} bytes)", 3 * needed)
    return {**{k: header.get(k) for k in _HEADER_FIELDS}, **{k: member(zf, k) for k in _MEMBERS}}


def _checked_state(state: dict[str, Any], api: str) -> dict[str, Any]:
    """``state`` with every field checked: format/version, types, shapes, masses."""
    if state.get("format") != FORMAT:
        fail(api, "state", f"a {FORMAT} state", f"format {state.get('format')!r}")
    if not is_int(state.get("version")) or not 1 <= state["version"] <= VERSION:
        fail(api, "state", f"format version 1..{VERSION}", f"version {state.get('version')!r}")
    out = dict(state)
    for flag in ("paired", "weighted"):
        if not isinstance(state.get(flag), bool):
            fail(api, "state", f"a boolean {flag!r}", repr(state.get(flag)))
    for name in ("x_columns", "y_columns"):
        if not is_int(state.get(name)) or not 0 <= state[name] <= 1 << 16:
            fail(api, "state", f"{name} an integer in 0..65536", repr(state.get(name)))
    n = state.get("n")
    if not isinstance(n, (int, float)) or not math.isfinite(n) or n < 0:
        fail(api, "state", "n a finite number >= 0", repr(n))
    for var in ("x", "y"):
        values = np.asarray(state[f"{var}_values"])
        cols = state[f"{var}_columns"]
        want_ndim = 2 if cols else 1
        if values.size and (values.ndim != want_ndim or (cols and values.shape[1] != cols)):
            fail(api, "state", f"{var}_values of {want_ndim} dimensions", f"shape {values.shape}")
        if values.size and values.dtype.kind not in ("iuUS" if not cols else "iu"):
            fail(api, "state", f"{var}_values integers or strings", f"dtype {values.dtype}")
        if len(np.unique(_row_keys(values) if cols and values.size else values)) != len(values):
            fail(api, "state", f"{var}_values distinct", "repeated values")
        counts = np.asarray(state[f"{var}_counts"], dtype=np.float64)
        if counts.shape != (len(values),):
            fail(api, "state", f"{var}_counts of shape ({len(values)},)", f"shape {counts.shape}")
        check_masses(api, f"{var}_counts", counts)
        out[f"{var}_values"], out[f"{var}_counts"] = values, counts
    jx = np.asarray(state["joint_x"])
    jy = np.asarray(state["joint_y"])
    jc = np.asarray(state["joint_counts"], dtype=np.float64)
    if not (jx.ndim == jy.ndim == jc.ndim == 1 and jx.shape == jy.shape == jc.shape):
        fail(api, "state", "joint_x, joint_y, joint_counts of one length", "other shapes")
    if jx.size and (
        jx.dtype.kind not in "iu"
        or jy.dtype.kind not in "iu"
        or jx.min() < 0
        or jy.min() < 0
        or jx.max() >= len(out["x_values"])
        or jy.max() >= len(out["y_values"])
    ):
        fail(api, "state", "joint slots within the alphabets", "slots out of range")
    check_masses(api, "joint_counts", jc)
    total = out["x_counts"].sum()
    tol = 1e-9 * max(1.0, float(n))
    sums = [total] + ([out["y_counts"].sum(), jc.sum()] if state["paired"] else [])
    if any(abs(s - n) > tol for s in sums):
        fail(api, "state", f"counts that add up to n={n}", f"sums {sums}")
    out["joint_x"], out["joint_y"], out["joint_counts"] = (
        jx.astype(np.int64),
        jy.astype(np.int64),
        jc,
    )
    out["n"] = float(n)
    return out


__all__ = ["Counts"]
