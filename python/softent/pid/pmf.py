"""The joint distribution a decomposition reads: distinct outcomes (s_1, ..., s_n, t) of n
sources and a target, with their probabilities, in a sparse (COO) layout.

Built from samples (each source a [N] or [N, m] array of codes: a source may be several
neurons, whose joint value is its outcome) by counting distinct rows, or from a given pmf
(a dict ``{(s_1, ..., s_n, t): p}`` as ``sxpid``/nninfo pass it, a dense array with n + 1
axes, the last the target, or any object with ``outcomes`` and ``pmf`` such as a ``dit``
Distribution). Every variable is re-coded to 0 .. K_i - 1; rows are sorted, so the rows
of one source outcome s are consecutive and results do not depend on input order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._checks import check_fits, check_threads, fail
from .._interop import is_torch, to_numpy
from ..discrete.counting import encode
from . import _kernel
from .lattice import MAX_SOURCES


@dataclass(frozen=True, repr=False)
class Pmf:
    """A joint pmf of n sources and one target over its K outcomes of non-zero mass.

    ``codes`` [K, n + 1] int64: row k is outcome k, column i < n source i + 1's code in
    0 .. ``sizes[i]`` - 1, the last column the target's; rows sorted lexicographically.
    ``probs`` [K] float64 > 0 summing to 1. ``values[i]``: the original value of each code
    of variable i (an array, or None when the codes are the values). ``n_samples``: N when
    counted from samples, else None.
    """

    codes: np.ndarray
    probs: np.ndarray
    sizes: tuple[int, ...]
    values: tuple[Any, ...]
    n_samples: int | None

    @property
    def n_sources(self) -> int:
        """n, the number of sources."""
        return self.codes.shape[1] - 1

    def __len__(self) -> int:
        return int(self.probs.shape[0])

    def __repr__(self) -> str:
        return f"Pmf(n_sources={self.n_sources}, outcomes={len(self)}, sizes={self.sizes})"

    def group_probs(self, variables: Sequence[int]) -> np.ndarray:
        """The marginal pmf of the columns ``variables`` (0-based; the target is column
        n): the mass of each distinct projected outcome, in no particular order."""
        cols = list(variables)
        if not cols:
            return np.ones(1)
        sizes = [self.sizes[j] for j in cols]
        if math.prod(sizes) < 1 << 62:
            key = np.zeros(len(self), dtype=np.int64)
            for j, k in zip(cols, sizes, strict=True):
                key = key * k + self.codes[:, j]
            inverse = np.unique(key, return_inverse=True)[1]
        else:
            inverse = np.unique(self.codes[:, cols], axis=0, return_inverse=True)[1]
        return np.bincount(inverse.reshape(-1), weights=self.probs)

    def subset_masses(self, num_threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(masses [K, 2^(n+1)], entropies [2^(n+1)]): ``masses[k, P]`` the probability of
        outcome k's projection on the column set P (bit j: column j, the target bit n; P = 0
        gives 1), ``entropies[P]`` the entropy of that projection in nats. Computed by the
        kernel on the first call (O(K 2^(n+1)), exact grouping) and kept: read-only arrays.
        ``num_threads``: CPU threads of that first call (None: OpenMP's default)."""
        cached = self.__dict__.get("_subset_masses")
        if cached is None:
            api = "pid.Pmf.subset_masses"
            nt = check_threads(api, num_threads)
            check_fits(
                api,
                "pmf",
                f"{len(self)} outcomes of {self.n_sources} sources",
                _kernel.masses_bytes(len(self), self.n_sources),
            )
            masses, entropies = _kernel.subset_masses(self.codes, self.probs, self.sizes, nt)
            masses.flags.writeable = False
            entropies.flags.writeable = False
            cached = (masses, entropies)
            # a frozen dataclass: the cache lives beside the fields, as functools.cached_property's
            self.__dict__["_subset_masses"] = cached
        return cached

    def entropy(self, variables: Sequence[int]) -> float:
        """H of the columns ``variables`` taken jointly (0-based; the target is column n),
        in nats: -Σ p ln p (from :meth:`subset_masses`)."""
        mask = 0
        for j in variables:
            mask |= 1 << int(j)
        return float(self.subset_masses()[1][mask])


def _canonical_rows(codes: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge duplicate rows, drop zero mass, sort lexicographically."""
    keys, inverse = np.unique(codes, axis=0, return_inverse=True)
    merged = np.bincount(inverse.reshape(-1), weights=probs, minlength=keys.shape[0])
    keep = merged > 0
    return np.ascontiguousarray(keys[keep], dtype=np.int64), merged[keep]


def _mixed_radix(codes: np.ndarray, sizes: Sequence[int]) -> np.ndarray:
    """The row-major mixed-radix key of each row (column 0 most significant: keys sort as
    the rows do lexicographically); the product of ``sizes`` fits int64."""
    key = codes[:, 0].astype(np.int64, copy=True)
    for j in range(1, len(sizes)):
        key *= sizes[j]
        key += codes[:, j]
    return key


def _decode(keys: np.ndarray, sizes: Sequence[int]) -> np.ndarray:
    rows = np.empty((keys.size, len(sizes)), dtype=np.int64)
    rest = keys
    for j in range(len(sizes) - 1, 0, -1):
        rest, rows[:, j] = np.divmod(rest, sizes[j])
    rows[:, 0] = rest
    return rows


def _count_rows(codes: np.ndarray, sizes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of ``codes`` [N, v] (sorted lexicographically) and their counts: a
    bincount of the mixed-radix key when the code space is small, a sort of the key when it
    fits int64, a sort of the rows otherwise."""
    n = codes.shape[0]
    space = math.prod(sizes)
    if space <= max(4 * n, 1 << 20):
        counts = np.bincount(_mixed_radix(codes, sizes), minlength=space)
        occupied = np.flatnonzero(counts)
        return _decode(occupied, sizes), counts[occupied]
    if space < 1 << 62:
        keys, counts = np.unique(_mixed_radix(codes, sizes), return_counts=True)
        return _decode(keys, sizes), counts
    rows, counts = np.unique(codes, axis=0, return_counts=True)
    return rows.astype(np.int64, copy=False), counts


def from_samples(sources: Any, target: Any, api: str) -> Pmf:
    """The plug-in pmf of N samples: ``sources`` a list of n arrays ([N] or [N, m] codes:
    integers, bools or strings, NumPy, torch or lists), ``target`` [N] codes."""
    if isinstance(sources, (str, bytes)) or not isinstance(sources, Sequence):
        fail(
            api,
            "sources",
            "a list of n code arrays ([N] or [N, m] each)",
            type(sources).__name__,
            TypeError,
        )
    n = len(sources)
    if not 1 <= n <= MAX_SOURCES:
        fail(api, "sources", f"a list of 1 to {MAX_SOURCES} sources", f"{n} sources")
    enc = [encode(s, name=f"sources[{i}]", api=api) for i, s in enumerate(sources)]
    t = encode(target, name="target", api=api)
    if t.codes.ndim != 1 or len(t.column_sizes) != 1:
        fail(api, "target", "[N] codes (one column)", f"{len(t.column_sizes)} columns")
    rows = int(t.codes.shape[0])
    if rows == 0:
        fail(api, "target", "at least one sample", "0 rows")
    for i, e in enumerate(enc):
        if int(e.codes.shape[0]) != rows:
            fail(api, f"sources[{i}]", f"{rows} rows (as target)", f"{int(e.codes.shape[0])} rows")
    codes = np.stack([to_numpy(e.codes) for e in (*enc, t)], axis=1)
    sizes = [e.size for e in (*enc, t)]
    keys, counts = _count_rows(codes, sizes)  # distinct, sorted, counts >= 1
    return _recoded(keys, counts / rows, [e.values for e in (*enc, t)], rows)


def _recoded(
    keys: np.ndarray, probs: np.ndarray, values: Sequence[Any], n_samples: int | None
) -> Pmf:
    """Re-code every column of the distinct, lexicographically sorted rows ``keys`` to the
    codes present (0 .. K_i - 1), keeping their values. The map is increasing in each
    column, so the rows stay distinct and sorted."""
    cols, new_values, sizes = [], [], []
    for j in range(keys.shape[1]):
        col = keys[:, j]
        present = np.flatnonzero(np.bincount(col))
        if present.size == int(col.max()) + 1:
            recoded = col  # every code present: already 0 .. K - 1
        else:
            lookup = np.zeros(int(present[-1]) + 1, dtype=np.int64)
            lookup[present] = np.arange(present.size)
            recoded = lookup[col]
        cols.append(recoded)
        sizes.append(int(present.size))
        v = values[j]
        if v is None and present.size and present[-1] == present.size - 1:
            new_values.append(None)  # codes are already 0 .. K - 1: the values themselves
        elif v is None:
            new_values.append(present)
        else:
            v = v if isinstance(v, tuple) else (v,)
            new_values.append(_column_values(v, present))
    codes = np.ascontiguousarray(np.stack(cols, axis=1), dtype=np.int64)
    return Pmf(
        codes,
        np.ascontiguousarray(probs, dtype=np.float64),
        tuple(sizes),
        tuple(new_values),
        n_samples,
    )


def _column_values(values: tuple[Any, ...], present: np.ndarray) -> Any:
    """The original values of the codes ``present`` of an encoded variable (one column:
    its value array; several: the code itself, a joint code has no single value)."""
    if len(values) == 1 and values[0] is not None:
        return np.asarray(values[0])[present]
    return present


def _check_probs(api: str, probs: np.ndarray) -> np.ndarray:
    if probs.size == 0:
        fail(api, "pmf", "at least one outcome", "an empty pmf")
    if not np.all(np.isfinite(probs)):
        fail(
            api, "pmf", "finite probabilities", f"non-finite value {probs[~np.isfinite(probs)][0]}"
        )
    if np.any(probs < 0):
        fail(api, "pmf", "probabilities >= 0", f"{probs[probs < 0][0]!r}")
    total = float(probs.sum())
    eps = np.finfo(np.float64).eps
    tol = min(4.0 * probs.size * eps, math.sqrt(eps))
    if abs(total - 1.0) > tol:
        fail(api, "pmf", f"probabilities summing to 1 (within {tol:.3g})", f"a sum of {total!r}")
    return probs


def from_table(pmf: Any, api: str) -> Pmf:
    """A given pmf: a :class:`Pmf`; a dict ``{(s_1, ..., s_n, t): p}`` (any hashable
    values); an object with ``outcomes`` and ``pmf`` (a ``dit`` Distribution); or a dense
    array with n + 1 axes (the last the target) of probabilities."""
    if isinstance(pmf, Pmf):
        return pmf
    if isinstance(pmf, Mapping) or (hasattr(pmf, "outcomes") and hasattr(pmf, "pmf")):
        if isinstance(pmf, Mapping):
            outcomes, probs = list(pmf.keys()), list(pmf.values())
        else:
            outcomes, probs = list(pmf.outcomes), list(np.asarray(pmf.pmf, dtype=np.float64))
        try:
            p = np.array(probs, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            fail(api, "pmf", "numbers as probabilities", repr(probs[:3]), TypeError)
        lengths = {len(o) if isinstance(o, (tuple, list, str)) else -1 for o in outcomes}
        if len(lengths) != 1 or min(lengths) < 2:
            fail(
                api,
                "pmf",
                "outcomes that are tuples (s_1, ..., s_n, t) of one length >= 2",
                f"lengths {sorted(lengths)}",
            )
        width = lengths.pop()
        if width - 1 > MAX_SOURCES:
            fail(
                api,
                "pmf",
                f"outcomes of 1 to {MAX_SOURCES} sources and a target",
                f"{width - 1} sources",
            )
        _check_probs(api, p)
        columns, values = [], []
        for j in range(width):
            col = [o[j] for o in outcomes]
            uniq = sorted(set(col), key=repr)
            lookup = {v: i for i, v in enumerate(uniq)}
            columns.append(np.array([lookup[v] for v in col], dtype=np.int64))
            vals = np.empty(len(uniq), dtype=object)
            vals[:] = uniq
            values.append(vals)
        keys, merged = _canonical_rows(np.stack(columns, axis=1), p)
        return _recoded(keys, merged, values, None)
    table = to_numpy(pmf) if is_torch(pmf) else pmf
    try:
        t = np.asarray(table, dtype=np.float64)
    except (TypeError, ValueError):
        fail(
            api,
            "pmf",
            "a Pmf, a dict {outcome: p}, or an array with n + 1 axes",
            type(pmf).__name__,
            TypeError,
        )
    if not 2 <= t.ndim <= MAX_SOURCES + 1:
        fail(
            api,
            "pmf",
            f"an array with n + 1 axes (n = 1 .. {MAX_SOURCES} sources, the last the target)",
            f"{t.ndim} axes",
        )
    _check_probs(api, t.reshape(-1))
    idx = np.argwhere(t > 0)
    return _recoded(idx.astype(np.int64), t[tuple(idx.T)], [None] * t.ndim, None)
