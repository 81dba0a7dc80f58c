"""An :class:`softent.Accumulator` as plain data and as a file: ``state_dict`` /
``load_state_dict`` / ``from_state_dict`` / ``save`` / ``load``, the glue between the
state the class keeps and the format of :mod:`softent.soft._state_io`.

State rows ``r * n_int + l`` (point estimate r = 0, then the replicates) are written as
[*I, ...] arrays plus [R, *I, ...] replicate arrays, so a file without replicates is
version 1's. The permuted sums of each label set (rows ``p * n_int + l``) are written as
[P, *I, K, B] in the order of the set's sorted values (version 3).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._checks import fail
from .._interop import to_device, to_host
from .._mergeable import locked
from ._accumulator_args import API, bins_difference, check_same_bins, describe_bins
from ._accumulator_store import AccumulatorFields, LabelHistograms
from ._state_io import FORMAT, check_state, read_state, version_for, write_state
from .bins import Bins


def permuted_state(
    s: LabelHistograms | None, values: np.ndarray, p: int, internal: tuple[int, ...], b: int
) -> np.ndarray:
    """[P, *I, K, B] float64 on the host: the permuted sums of a label set (``s``, None
    when the set has none yet) laid out in the order of its sorted ``values`` [K] (a set
    gets permuted sums for every labelled batch, so its values are the set's own; a value
    without them keeps zeros)."""
    out = np.zeros((p, *internal, len(values), b))
    if s is None or s.size == 0:
        return out
    perm_values, hist, _ = s.sorted_state()
    pos = np.searchsorted(values, perm_values)
    out[..., pos, :] = to_host(hist).reshape(p, *internal, len(perm_values), b)
    return out


class AccumulatorPersistence(AccumulatorFields):
    """The persistence side of :class:`softent.Accumulator` (see its documentation)."""

    @locked
    def state_dict(self) -> dict[str, Any]:
        """The whole state as plain data (host NumPy arrays, str, int, float; no pickle
        needed): the format of :meth:`save`, see :mod:`softent.soft._state_io`."""
        sets = {}
        r, b, internal = self._bootstrap, self._bins.n_bins, tuple(self._internal or ())
        p = self._permutations
        for name, s in self._sets.items():
            values, hist, counts = s.sorted_state()
            shape = (*internal, s.size, b)
            # state rows r * n_int + l -> [1 + R, *I, K, B]: the point estimate, then replicates
            both = (
                to_host(hist).reshape((1 + r, *shape))
                if hist is not None
                else np.zeros((1 + r, *shape))
            )
            sets[name] = {
                "kind": s.kind,
                "values": values.copy(),
                "hist": both[0],
                "counts": counts.astype(np.int64),
                "hist_replicates": both[1:],
                "hist_permuted": permuted_state(self._perm_sets.get(name), values, p, internal, b),
            }
        total = total_reps = None
        if self._total is not None:
            both = to_host(self._total).reshape((1 + r, *internal, b))
            total, total_reps = both[0], both[1:]
        return {
            "format": FORMAT,
            "version": version_for(p),
            "fingerprint": self._fingerprint,
            "centres": self._bins.centres.copy(),
            "metric": self._bins.metric,
            "temperature": self._bins.temperature,
            "internal_shape": None if self._internal is None else list(self._internal),
            "declared_label_sets": None if self._declared is None else list(self._declared),
            "n_rows": self._n_rows,
            "n_dropped": self._n_dropped,
            "total": total,
            "label_sets": sets,
            "bootstrap": r,
            "bootstrap_seed": self._bootstrap_seed,
            "bootstrap_seeds": sorted(self._seeds),
            "total_replicates": total_reps,
            "permutations": p,
            "permutation_seed": self._permutation_seed,
        }

    @locked
    def load_state_dict(self, state: Mapping[str, Any]) -> Any:
        """Replace this accumulator's state by ``state`` (from :meth:`state_dict` or a
        file), bootstrap and permutation settings included. Refused unless it was written
        for identical bins (fingerprint). Returns self."""
        api = f"{API}.load_state_dict"
        st = check_state(state, api)
        other = Bins(st["centres"], st["metric"], st["temperature"])
        check_same_bins(api, "state", self._bins, self._fingerprint, other, st["fingerprint"])
        self._apply_state(st)
        return self

    def _apply_state(self, st: Mapping[str, Any]) -> None:
        """Take a checked state (:func:`softent.soft._state_io.check_state`) as this
        accumulator's, on its device (the host when it has none yet)."""
        device = -1 if self._device is None else self._device
        internal = None if st["internal_shape"] is None else tuple(st["internal_shape"])
        declared = None if st["declared_label_sets"] is None else tuple(st["declared_label_sets"])
        self._internal, self._declared = internal, declared
        n_int = math.prod(internal) if internal else 1
        b, r = self._bins.n_bins, int(st["bootstrap"])
        self._bootstrap, self._bootstrap_seed = r, int(st["bootstrap_seed"])
        self._seeds = frozenset(st["bootstrap_seeds"])
        p = int(st["permutations"])
        self._permutations, self._permutation_seed = p, int(st["permutation_seed"])
        n_state = (1 + r) * n_int

        def rows(point: Any, reps: Any, shape: tuple[int, ...]) -> np.ndarray:
            # [*I, ...] and [R, *I, ...] -> state rows [(1 + R) * n_int, ...] (r * n_int + l)
            point = np.asarray(point, np.float64).reshape(1, -1)
            both = np.concatenate([point, np.asarray(reps, np.float64).reshape(r, point.shape[1])])
            return both.reshape(n_state, *shape)

        self._n_rows, self._n_dropped = int(st["n_rows"]), int(st["n_dropped"])
        self._device = None if st["total"] is None else device
        self._total = None
        if st["total"] is not None:
            self._total = to_device(rows(st["total"], st["total_replicates"], (b,)), device)
        self._sets, self._perm_sets = {}, {}
        for name, d in st["label_sets"].items():
            k = len(d["values"])
            hist = to_device(rows(d["hist"], d["hist_replicates"], (k, b)), device) if k else None
            self._sets[name] = LabelHistograms.from_sorted(
                name,
                d["kind"],
                np.asarray(d["values"]).copy(),
                hist,
                np.array(d["counts"], np.int64),
            )
            if p and k:  # [P, *I, K, B] -> rows p * n_int + l, as the update writes them
                permuted = np.asarray(d["hist_permuted"], np.float64).reshape(p * n_int, k, b)
                self._perm_sets[name] = LabelHistograms.from_sorted(
                    name,
                    d["kind"],
                    np.asarray(d["values"]).copy(),
                    to_device(permuted.copy(), device),
                    np.array(d["counts"], np.int64),
                )

    @classmethod
    def from_state_dict(cls, state: Mapping[str, Any], *, num_threads: int | None = None) -> Any:
        """A new accumulator with the bins and the state of ``state``."""
        api = f"{API}.from_state_dict"
        st = check_state(state, api)
        acc = cls(  # type: ignore[call-arg]
            st["centres"],
            metric=st["metric"],
            temperature=st["temperature"],
            num_threads=num_threads,
            bootstrap=st["bootstrap"],
            bootstrap_seed=st["bootstrap_seed"],
            permutations=st["permutations"],
            permutation_seed=st["permutation_seed"],
        )
        if acc._fingerprint != st["fingerprint"]:
            fail(
                api,
                "state",
                "consistent (its fingerprint matches its centres, metric, temperature)",
                "a different fingerprint (corrupt or edited)",
            )
        acc._apply_state(st)
        return acc

    def save(self, path: str | Any) -> None:
        """Write the state to ``path`` atomically (a temporary file in the same folder,
        fsync, then rename over ``path``): a crash mid-save leaves the previous file
        intact. Format: :mod:`softent.soft._state_io` (versioned npz + JSON header, no
        pickle)."""
        write_state(path, self.state_dict())

    @classmethod
    def load(cls, path: str | Any, *, like: Any = None, num_threads: int | None = None) -> Any:
        """Read an accumulator written by :meth:`save`.

        like: optional Accumulator, Bins or fingerprint str: refuse (ValueError) a file
        written for other bins. Files of another format or a newer version are refused.
        """
        api = f"{API}.load"
        acc = cls.from_state_dict(read_state(path, api), num_threads=num_threads)
        if like is None:
            return acc
        if isinstance(like, AccumulatorPersistence):
            want, bins = like._fingerprint, like._bins
        elif isinstance(like, Bins):
            want, bins = like.fingerprint(), like
        elif isinstance(like, str):
            want, bins = like, None
        else:
            fail(
                api,
                "like",
                "an Accumulator, a Bins or a fingerprint str",
                type(like).__name__,
                TypeError,
            )
        if want != acc._fingerprint:
            expected = f"written for identical bins (fingerprint {want[:16]}...)"
            difference = ""
            if bins is not None:
                expected = f"written for identical bins ({describe_bins(bins)})"
                difference = bins_difference(bins, acc._bins)
            fail(
                api,
                "path",
                expected,
                f"a file for {describe_bins(acc._bins)}{difference}"
                f" (fingerprint {acc._fingerprint[:16]}...)",
            )
        return acc
