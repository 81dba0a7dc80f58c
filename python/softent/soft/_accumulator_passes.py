"""The kernel passes of one :meth:`softent.Accumulator.update`: a batch's soft histograms,
every label set and internal index at once, ready to add into the state.

A batch's label sets arrive encoded to local dense codes (:class:`EncodedSet`); their
histogram rows are laid out one after another (``offset``), by
:func:`softent._labels.histogram_slots`.
"""

from __future__ import annotations

import zlib
from typing import Any, NamedTuple

import numpy as np

from .._checks import check_fits, fail
from .._interop import swap_leading_axes
from .._labels import histogram_slots
from ._kernel import PermutedSlots, accumulate, code_dtype, new_hist, permute_labels
from .bins import Bins

#: the kernels index histogram rows with int32
_MAX_ROWS = 2**31


def check_replicates_fit(
    api: str, replicates: int, n_bins: int, hist_rows: int = 1, arg: str = "bootstrap"
) -> None:
    """Refuse up front (naming ``bootstrap``, saying how much it would need) R bootstrap
    replicates whose histograms could not fit in memory: the state keeps (1 + R) copies of
    each [hist_rows, B] float64 histogram and a batch's kernel pass makes as many again."""
    if replicates == 0:
        return
    one = (1 + replicates) * hist_rows * n_bins * 8
    check_fits(
        api,
        arg,
        f"{replicates} ((1 + R) x {hist_rows} x {n_bins} float64 histograms = "
        f"{one / 2**30:.2f} GiB, kept and made again by each update)",
        2 * one,
    )
    if (1 + replicates) * hist_rows >= _MAX_ROWS:
        fail(
            api,
            arg,
            f"< {_MAX_ROWS // hist_rows - 1} (the kernels index (1 + R) x {hist_rows} "
            "histogram rows with int32)",
            replicates,
        )


class EncodedSet(NamedTuple):
    """One label set of a batch: its distinct ``values`` [K'] (sorted, checked), ``codes``
    [N] int32 in 0..K'-1 (-1 masked), ``counts`` [K'] and the ``offset`` of its first
    histogram row among the batch's label rows."""

    name: str
    values: np.ndarray
    codes: np.ndarray
    counts: np.ndarray
    offset: int


def plain_pass(
    api: str, rows: Any, n: int, bins: Bins, threads: int, encoded: list[EncodedSet], k_tot: int
) -> tuple[Any, Any]:
    """One kernel pass over the flattened rows [N * n_int, D] of a batch, without
    replicates: (totals [n_int, B], label histograms [n_int, k_tot, B]) on rows' device."""
    n_int = rows.shape[0] // n
    base = 1 if n_int == 1 else 1 + n_int
    n_hist = base + n_int * k_tot
    if n_hist >= _MAX_ROWS:
        fail(
            api,
            "labels",
            f"fewer than {_MAX_ROWS} (internal x label) histogram rows per batch",
            n_hist,
        )
    slot_rows: list[np.ndarray] = []
    if n_int > 1:  # route each flattened row (i, l) to the totals of its internal index l
        slot_rows.append(np.tile(np.arange(1, n_int + 1, dtype=np.int32), n))
    for s in encoded:  # row (i, l) of label code c -> base + offset + c + l * k_tot
        slot_rows.append(histogram_slots(s.codes, base + s.offset, k_tot, n_int))
    slots = np.stack(slot_rows) if slot_rows else None
    hist = new_hist(rows, n_hist, bins.n_bins)
    accumulate(api, rows, bins, slots, hist, num_threads=threads)
    total = hist[0:1] if n_int == 1 else hist[1 : 1 + n_int]
    return total, hist[base:].reshape(n_int, k_tot, bins.n_bins)


def bootstrap_pass(
    api: str,
    rows: Any,
    n: int,
    bins: Bins,
    threads: int,
    encoded: list[EncodedSet],
    k_tot: int,
    replicates: int,
    seed: int,
    row_offset: int,
) -> tuple[Any, Any]:
    """The kernel passes of a batch with R replicates: (totals [(1+R) * n_int, B], label
    histograms [(1+R) * n_int, k_tot, B]) in state row order r * n_int + l.

    The kernel weights its row j by a draw for (seed, row_offset + j, r). One pass over
    the flattened rows [N * n_int, D] would give the internal indices of one sample
    different weights; a pass per internal index over the strided view z[:, l]
    [N, D] gives row i the draw of its stream position (row_offset + i) at every index,
    as poisson_bootstrap(z_all[:, l]) does: a sample is resampled with all its layers.
    Each pass fills every replicate and every label set at once."""
    n_int, b, r = rows.shape[0] // n, bins.n_bins, replicates
    n_hist = 1 + k_tot  # row 0: the index's total; 1 + offset + code: label rows
    if (1 + r) * n_hist >= _MAX_ROWS:
        fail(
            api,
            "labels",
            f"fewer than {_MAX_ROWS} (replicate x label) histogram rows per batch",
            (1 + r) * n_hist,
        )
    check_replicates_fit(api, r, b, n_int * n_hist)
    slots = None
    if encoded:  # labels are per sample: the same slots at every internal index
        slots = np.stack([histogram_slots(s.codes, 1 + s.offset) for s in encoded])
    hist = new_hist(rows, n_int * (1 + r) * n_hist, b)
    per_index = hist.reshape(n_int, (1 + r) * n_hist, b)  # each [l] a contiguous kernel output
    samples = rows.reshape(n, n_int, rows.shape[1])
    for l in range(n_int):
        accumulate(
            api,
            samples[:, l],
            bins,
            slots,
            per_index[l],
            num_threads=threads,
            replicates=r,
            replicate_seed=seed,
            row_offset=row_offset,
        )
    # [n_int, 1+R, n_hist, B] -> [(1+R) * n_int, n_hist, B]: state row order r * n_int + l
    blocks = swap_leading_axes(hist.reshape(n_int, 1 + r, n_hist, b))
    blocks = blocks.reshape((1 + r) * n_int, n_hist, b)
    return blocks[:, 0], blocks[:, 1:]


class PermutedCodes(NamedTuple):
    """R uniform random permutations of the labelled entries of ``codes`` [N] (codes >= 0)
    among the labelled rows, drawn when written (:meth:`write`): masked rows stay masked,
    so every permutation keeps the set's rows, its label counts and H(Z) of its rows.

    The draw depends only on (seed, row_offset, the set's name, the permutation's index j):
    a batch at stream position ``row_offset`` is permuted within itself (the streaming rule
    of :class:`softent.Accumulator`), and the batch functions (one update at offset 0)
    permute all rows. Permutation j is the Fisher-Yates shuffle of the labelled codes in
    row order driven by the SplitMix64 stream started at ``permutation_key(seed,
    row_offset, zlib.crc32(name), j)``, with Lemire's unbiased bounded integers
    (cpp/include/softent/math/permute.h; NumPy mirror: tests/reference/stats.py). Drawn in
    C++, permutations split over threads, the same for every thread count and device."""

    codes: np.ndarray  # [N] int32, -1 masked
    permutations: int
    seed: int
    row_offset: int
    name: str

    @property
    def shape(self) -> tuple[int, int]:
        return (self.permutations, int(self.codes.shape[0]))

    def write(
        self,
        out: np.ndarray | None = None,
        shift: int = 0,
        num_threads: int = 0,
        skip: int = -1,
    ) -> np.ndarray:
        """Draw into ``out`` [R, N] (new uint32 if None; uint8/uint16/uint32): row j =
        permutation j of the codes plus ``shift`` at labelled rows, the dtype's largest
        value at masked rows. Shifting before permuting equals shifting after: the draw
        moves positions only. ``skip`` >= 0 (a shifted code): written as masked too, after
        the draw."""
        r, n = self.shape
        out = np.empty((r, n), dtype=np.uint32) if out is None else out
        c = self.codes if shift == 0 else np.where(self.codes >= 0, self.codes + shift, -1)
        return permute_labels(
            c,
            out,
            seed=self.seed,
            row_offset=self.row_offset,
            set_key=zlib.crc32(self.name.encode()),
            skip_code=skip,
            num_threads=num_threads,
        )


def permuted_codes(
    codes: np.ndarray, permutations: int, seed: int, row_offset: int, name: str
) -> PermutedCodes:
    """The R permutations of ``codes`` [N] of a batch at stream position ``row_offset``
    (:class:`PermutedCodes`; drawn when the pass writes them)."""
    return PermutedCodes(
        np.asarray(codes, dtype=np.int32), int(permutations), int(seed), int(row_offset), name
    )


def permutation_pass(
    api: str,
    rows: Any,
    n: int,
    bins: Bins,
    threads: int,
    encoded: list[EncodedSet],
    k_tot: int,
    permuted: list[PermutedCodes],
) -> tuple[Any, Any, Any]:
    """One kernel pass over the flattened rows [N * n_int, D] of a batch that fills the
    plain histograms and R permuted copies of every label set at once: (totals
    [n_int, B], label histograms [n_int, k_tot, B], permuted label histograms
    [R * n_int, k_tot, B] in row order r * n_int + l), on rows' device.

    ``permuted[j]``: the R permutations of the codes of ``encoded[j]``
    (:func:`permuted_codes`), drawn here as compact codes [S, R, N] (uint8 for fewer than
    255 labels in all) that the kernel reads as R more label sets per set: a row's scores
    and softmax are computed once and its masses added into 1 + R slots per set (the
    permuted ones permutation by permutation, each permutation's histograms in L1). A sample's internal indices share its label, so they share its permuted
    label too."""
    n_int = rows.shape[0] // n
    r = permuted[0].permutations if permuted else 0
    base = 1 if n_int == 1 else 1 + n_int
    block = n_int * k_tot  # label rows of the point estimate, then of each permutation
    n_hist = base + (1 + r) * block
    if n_hist >= _MAX_ROWS:
        fail(
            api,
            "permutations",
            f"fewer than {_MAX_ROWS} (permutation x internal x label) histogram rows per batch",
            n_hist,
        )
    if n >= 2**32 - 1:
        fail(api, "z", "a batch of fewer than 2**32 - 1 rows with permutations", n)
    dtype = code_dtype(k_tot)
    n_slot_rows = (n_int > 1) + len(encoded)
    check_fits(
        api,
        "permutations",
        f"{r} ({len(encoded)} x {r} x {n} permuted codes of {np.dtype(dtype).itemsize} byte(s), "
        f"{n_slot_rows} label rows of {n * n_int} int32 slots and {n_hist} x "
        f"{bins.n_bins} float64 histograms for this batch)",
        len(encoded) * r * n * np.dtype(dtype).itemsize
        + n_slot_rows * n * n_int * 4
        + n_hist * bins.n_bins * 8,
    )
    slots = np.empty((n_slot_rows, n * n_int), dtype=np.int32) if n_slot_rows else None
    at = 0
    if n_int > 1:
        slots[0] = np.tile(np.arange(1, n_int + 1, dtype=np.int32), n)
        at = 1
    codes = np.empty((len(encoded), r, n), dtype=dtype)
    # Each set's most frequent label is left out of the permuted sums (its codes written as
    # masked) and its permuted histograms derived after the pass: a permutation keeps the
    # set's labelled rows, so its K label histograms sum to the plain ones' sum. That saves
    # the adds of that label's rows (1/K of them for balanced labels, half for two).
    skips = [s.offset + int(np.argmax(s.counts)) for s in encoded]
    for k, (s, perm) in enumerate(zip(encoded, permuted, strict=True)):
        slots[at] = histogram_slots(s.codes, base + s.offset, k_tot, n_int)
        at += 1
        perm.write(codes[k], shift=s.offset, num_threads=threads, skip=skips[k])
    hist = new_hist(rows, n_hist, bins.n_bins)
    layout = PermutedSlots(codes, n_int, base + block, block, k_tot) if encoded else None
    accumulate(api, rows, bins, slots, hist, num_threads=threads, permuted=layout)
    total = hist[0:1] if n_int == 1 else hist[1 : 1 + n_int]
    labels = hist[base:].reshape(1 + r, n_int, k_tot, bins.n_bins)
    for s, skip in zip(encoded, skips, strict=True):
        own = slice(s.offset, s.offset + len(s.values))
        rest = labels[1:, :, own].sum(axis=2)  # [R, n_int, B]; the skipped row is still 0
        # the set's total minus the other labels' sums; clipped at 0 where a bin's total is
        # all in other labels (then the difference is rounding, |x| ~ 1e-16 of the total)
        labels[1:, :, skip] = (labels[0, :, own].sum(axis=1)[None] - rest).clip(min=0)
    return total, labels[0], labels[1:].reshape(r * n_int, k_tot, bins.n_bins)


#: rows per kernel call of :func:`row_weights` (its output is (1 + R) x (1 + rows) floats)
_WEIGHT_CHUNK = 8192


def row_weights(
    api: str, n: int, replicates: int, seed: int, row_offset: int, threads: int
) -> np.ndarray:
    """[R, N] float64: the Poisson(1) bootstrap weight of each of N rows at stream positions
    ``row_offset + i`` in each replicate: exactly the weights the soft kernel gives those
    rows (the same counter-based draw, cpp/include/softent/math/bootstrap.h), read off a
    kernel pass over a one-bin problem whose every row has mass 1 in a slot of its own."""
    from .bins import Bins

    one = Bins(np.ones((1, 1)), "dot", 1.0)
    out = np.empty((replicates, n))
    for a in range(0, n, _WEIGHT_CHUNK):
        m = min(_WEIGHT_CHUNK, n - a)
        slots = np.arange(1, m + 1, dtype=np.int32)[None, :]
        hist = np.zeros(((1 + replicates) * (1 + m), 1))
        accumulate(
            api,
            np.ones((m, 1)),
            one,
            slots,
            hist,
            num_threads=threads,
            replicates=replicates,
            replicate_seed=seed,
            row_offset=row_offset + a,
        )
        out[:, a : a + m] = hist.reshape(1 + replicates, 1 + m)[1:, 1:]
    return out
