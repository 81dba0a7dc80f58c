"""An :class:`softent.Accumulator` as a :class:`softent._mergeable.Mergeable`: what its
ranks compare before summing (bins fingerprint, internal shape, bootstrap count and
seeds, label kinds), the union layout of their label vocabularies, and its sums as named
arrays (``total`` [n_state, B]; per label set j ``hist{j}`` [n_state, K_j, B] and
``counts{j}`` [K_j], and with permutations ``perm{j}`` [P * n_int, K_j, B], the permuted
sums; ``rows`` = (n_rows, n_dropped)).

Permuted sums add like the others: each rank permutes each of its batches within itself
(seed, its stream position, the set's name), so the sum over ranks is the stratified
permutation null of all their rows. Every rank must keep the same P with the same
``permutation_seed`` (the seed the reduced accumulator reports).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import fail
from .._interop import add_columns, device_of, to_device
from .._labels import union_vocabularies
from .._mergeable import SumLayout
from ._accumulator_args import describe_bins
from ._accumulator_store import AccumulatorFields, LabelHistograms


class AccumulatorReduction(AccumulatorFields):
    """The all-reduce side of :class:`softent.Accumulator` (see its ``all_reduce``)."""

    def reduce_meta(self) -> dict[str, Any]:
        """What every rank sends (plain data): the bins' fingerprint and description, the
        internal shape, {set: (kind, sorted values)}, R and the bootstrap seeds held, P and
        the permutation seed."""
        return {
            "fingerprint": self._fingerprint,
            "bins": describe_bins(self._bins),
            "internal": None if self._internal is None else list(self._internal),
            "sets": {n: (s.kind, s.sorted_values.tolist()) for n, s in self._sets.items()},
            "bootstrap": self._bootstrap,
            "bootstrap_seeds": sorted(self._seeds),
            "permutations": self._permutations,
            "permutation_seed": self._permutation_seed,
        }

    def reduce_layout(self, metas: list[dict[str, Any]], api: str) -> SumLayout | None:
        """Refuse (the same ValueError on every rank) other bins, other R, shared bootstrap
        seeds, other P or permutation seeds, other internal shapes or label kinds; unite
        the vocabularies."""
        world = len(metas)
        prints = [m["fingerprint"] for m in metas]
        if len(set(prints)) > 1:
            bad = [r for r, p in enumerate(prints) if p != prints[0]]
            fail(
                api,
                "every rank",
                f"built on identical bins (rank 0: {metas[0]['bins']})",
                f"different bins on ranks {bad} (rank {bad[0]}: {metas[bad[0]]['bins']})",
            )
        reps = [m["bootstrap"] for m in metas]
        if len(set(reps)) > 1:
            fail(
                api,
                "every rank",
                f"built with one number of bootstrap replicates (rank 0: bootstrap={reps[0]})",
                f"bootstrap={reps} on ranks 0..{world - 1}",
            )
        perms = [(m["permutations"], m["permutation_seed"]) for m in metas]
        if len(set(perms)) > 1:
            fail(
                api,
                "every rank",
                "built with one number of permutations and one permutation_seed (rank 0: "
                f"permutations={perms[0][0]}, permutation_seed={perms[0][1]}; each rank's "
                "batches are permuted within themselves, so their sums add)",
                f"(permutations, permutation_seed) = {perms} on ranks 0..{world - 1}",
            )
        seeds_of = [set(m["bootstrap_seeds"]) for m in metas]
        if reps[0]:
            shared = [
                r
                for r, sd in enumerate(seeds_of)
                if any(sd & o for q, o in enumerate(seeds_of) if q != r)
            ]
            if shared:
                fail(
                    api,
                    "every rank",
                    "given its own bootstrap_seed (e.g. Accumulator(..., bootstrap_seed=base + "
                    "rank): equal seeds weight the i-th row of every rank alike)",
                    f"rows of one bootstrap seed on ranks {shared} "
                    f"({[sorted(seeds_of[r]) for r in shared]})",
                )
        shapes = {tuple(m["internal"]) for m in metas if m["internal"] is not None}
        if len(shapes) > 1:
            fail(api, "every rank", "of one internal shape", sorted(shapes))
        internal = shapes.pop() if shapes else None
        names, kinds, union = union_vocabularies([m["sets"] for m in metas], api)
        if internal is None:  # no rank has seen data: nothing to sum
            for name in names:
                self._set(name, api)  # type: ignore[attr-defined]
            return None
        self._internal = internal
        n_state, b = self._n_state, self._bins.n_bins  # type: ignore[attr-defined]
        n_int = n_state // (1 + self._bootstrap)
        arrays: dict[str, tuple[tuple[int, ...], str]] = {
            "total": ((n_state, b), "float64"),
            "rows": ((2,), "int64"),
        }
        for j, name in enumerate(names):
            k = len(union[name])
            arrays[f"hist{j}"] = ((n_state, k, b), "float64")
            arrays[f"counts{j}"] = ((k,), "int64")
            if self._permutations:
                arrays[f"perm{j}"] = ((self._permutations * n_int, k, b), "float64")
        return SumLayout(
            arrays, {"names": names, "kinds": kinds, "union": union, "seeds": seeds_of}
        )

    def reduce_write(self, layout: SumLayout, views: dict[str, Any]) -> None:
        """This rank's sums in the union layout (its values' positions in each union)."""
        where = device_of(views["total"])
        if self._total is not None:
            views["total"][...] = to_device(self._total, where)
        views["rows"][:] = (self._n_rows, self._n_dropped)
        for j, name in enumerate(layout.context["names"]):
            s = self._sets.get(name)
            if s is not None and s.size:
                values, hist, counts = s.sorted_state()
                pos = np.searchsorted(layout.context["union"][name], values)
                add_columns(views[f"hist{j}"], pos, to_device(hist, where))
                views[f"counts{j}"][pos] = counts
            p = self._perm_sets.get(name)
            if p is not None and p.size:  # rows p * n_int + l, columns at the union's places
                values, hist, _ = p.sorted_state()
                pos = np.searchsorted(layout.context["union"][name], values)
                add_columns(views[f"perm{j}"], pos, to_device(hist, where))

    def reduce_read(self, layout: SumLayout, views: dict[str, Any]) -> None:
        """Take the summed arrays as the state (on this accumulator's device, or where the
        collective ran when it had none); the seeds held become every rank's."""
        ctx = layout.context
        target = self._device if self._device is not None else device_of(views["total"])
        self._device = target
        self._total = to_device(views["total"], target)
        self._n_rows, self._n_dropped = (int(v) for v in views["rows"])
        self._seeds = frozenset().union(*ctx["seeds"])
        for j, name in enumerate(ctx["names"]):
            values = ctx["union"][name]
            k = len(values)
            self._sets[name] = LabelHistograms.from_sorted(
                name,
                ctx["kinds"][name],
                values,
                to_device(views[f"hist{j}"], target) if k else None,
                views[f"counts{j}"].astype(np.int64) if k else np.zeros(0, np.int64),
            )
            if self._permutations and k:
                self._perm_sets[name] = LabelHistograms.from_sorted(
                    name,
                    ctx["kinds"][name],
                    values.copy(),
                    to_device(views[f"perm{j}"], target),
                    views[f"counts{j}"].astype(np.int64),
                )
            else:
                self._perm_sets.pop(name, None)
