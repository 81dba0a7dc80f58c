"""The Poisson bootstrap of soft histograms, fused into the kernel pass: each row's scores
and softmax are computed once and added into every replicate with its Poisson(1) weight,
a function of (seed, row index, replicate) only (cpp/include/softent/math/bootstrap.h).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .._checks import check_int, check_seed, fail
from .._interop import as_float_rows, to_numpy
from .._labels import LabelCodes, encode_labels, histogram_slots
from ._kernel import ZeroRows, accumulate, new_hist
from .bins import Bins
from .histogram import select_label_sets

#: poisson_bootstrap returns every replicate at once: refuse results above this size.
MAX_BOOTSTRAP_BYTES = 2 << 30
#: iter_poisson_bootstrap: histogram memory of one kernel pass (replicates are split into
#: groups of passes above it; each pass recomputes the scores).
PASS_BOOTSTRAP_BYTES = 256 << 20

#: one replicate: {"total": [B], "sets": {name: (values [K], per_label [K, B], counts [K])}}
Replicate = dict[str, Any]


def iter_poisson_bootstrap(
    z: Any,
    label_sets: dict[str, Any] | None,
    bins: Bins,
    n_resamples: int,
    seed: int = 0,
    num_threads: int = 0,
    *,
    row_offset: int = 0,
    ignore_index: int | str | None = None,
    mask: Any = None,
    zero_rows: ZeroRows = "uniform",
    max_pass_bytes: int | None = None,
    max_total_bytes: int | None = None,
    api: str = "poisson_bootstrap",
) -> Iterator[Replicate]:
    """The replicates of :func:`poisson_bootstrap`, one at a time, in as few fused kernel
    passes as ``max_pass_bytes`` of replicate histograms allow (one pass unless R x label
    rows x B is large, e.g. token-style label sets; default budget
    :data:`PASS_BOOTSTRAP_BYTES`). Replicate r has the same weights whatever the grouping.
    ``max_total_bytes``: refuse R whose replicate histograms together exceed it (for
    callers that keep them all). ``ignore_index``, ``mask``, ``zero_rows``: as
    :func:`poisson_bootstrap`. Arguments are checked before the first replicate is made."""
    # replicate and row indices reach the kernels as int64 (replicate_offset, row_offset)
    n_resamples = check_int(api, "n_resamples", n_resamples, lo=1, hi=2**62)
    row_offset = check_int(api, "row_offset", row_offset, lo=0, hi=2**62)
    seed = check_seed(api, "seed", seed)
    rows = as_float_rows(z, api, "z")
    n = int(rows.shape[0])
    if int(rows.shape[1]) != bins.dim:
        fail(api, "z", f"[N, {bins.dim}] (the bins' dimension)", f"shape {tuple(rows.shape)}")
    named = dict(label_sets or {})
    if ignore_index is not None or mask is not None or zero_rows != "uniform":
        # the estimators' selection: mask and zero rows leave rows out of every set (the
        # rows left are renumbered 0..M-1 for the weights, as report(z, bootstrap=R)
        # resamples them); ignore_index masks per set, below
        for name, labels in named.items():  # one label per row of z before selecting
            encode_labels(labels, n, api, f"label_sets[{name!r}]")
        rows, named = select_label_sets(
            api,
            rows,
            named,
            ignore_index=ignore_index,
            mask=mask,
            zero_rows=zero_rows,
            metric=bins.metric,
        )
        rows = as_float_rows(rows, api, "z")
        n = int(rows.shape[0])
    encoded: list[tuple[str, LabelCodes, int]] = []
    n_hist = 1
    for name, labels in named.items():
        codes = encode_labels(labels, n, api, f"label_sets[{name!r}]", ignore_index=ignore_index)
        encoded.append((name, codes, n_hist))
        n_hist += codes.n_labels
    slots = None
    if encoded:
        slots = np.stack([histogram_slots(c.codes, off) for _, c, off in encoded])
    per_replicate = n_hist * bins.n_bins * 8
    if max_total_bytes is not None and (1 + n_resamples) * per_replicate > max_total_bytes:
        fail(
            api,
            "n_resamples",
            f"small enough that the replicate histograms fit in {max_total_bytes >> 30} GiB "
            f"({n_hist} histogram rows x {bins.n_bins} bins x 8 bytes each; iter_poisson_bootstrap streams them)",
            n_resamples,
        )
    budget = PASS_BOOTSTRAP_BYTES if max_pass_bytes is None else int(max_pass_bytes)
    group = max(1, min(n_resamples, budget // per_replicate - 1))

    def generate() -> Iterator[Replicate]:
        for first in range(0, n_resamples, group):
            g = min(group, n_resamples - first)
            hist = new_hist(rows, (1 + g) * n_hist, bins.n_bins)
            accumulate(
                api,
                rows,
                bins,
                slots,
                hist,
                num_threads=num_threads,
                replicates=g,
                replicate_seed=seed,
                row_offset=int(row_offset),
                replicate_offset=first,
            )
            h = to_numpy(hist).reshape(1 + g, n_hist, bins.n_bins)
            for rep in range(1, 1 + g):
                sets = {}
                for name, c, off in encoded:
                    per_label = h[rep, off : off + c.n_labels].copy()
                    sets[name] = (c.values, per_label, per_label.sum(axis=1))
                yield {"total": h[rep, 0].copy(), "sets": sets}

    return generate()


def poisson_bootstrap(
    z: Any,
    label_sets: dict[str, Any] | None,
    bins: Bins,
    n_resamples: int,
    seed: int = 0,
    num_threads: int = 0,
    *,
    row_offset: int = 0,
    ignore_index: int | str | None = None,
    mask: Any = None,
    zero_rows: ZeroRows = "uniform",
    api: str = "poisson_bootstrap",
) -> list[Replicate]:
    """R Poisson(1)-bootstrap replicates of the soft histograms of ``z`` [N, D], all in ONE
    fused kernel pass (the scores and softmax of each row are computed once and added into
    every replicate with its weight).

    Row i's weight in replicate r is a Poisson(1) draw that depends only on
    (seed, row_offset + i, r) (a counter-based hash, cpp/include/softent/math/bootstrap.h):
    no R x N weight matrix exists, and chunks of a stream passed with their ``row_offset``
    draw the same resamples as the whole array. The Poisson bootstrap approximates the
    multinomial (resample-N-rows) bootstrap (Hanley & MacGibbon 2006).

    Args:
        z: [N, D] float array (NumPy or torch).
        label_sets: {name: [N] labels} (integers or strings; every value a class, -1 included), or None.
        bins: the :class:`Bins` of the point estimate (the replicates reuse its centres).
        n_resamples: R >= 1.
        seed: the resampling seed (an int >= 0).
        row_offset: the stream position of row 0 (the weights of rows i are drawn at
            row_offset + i).
        ignore_index: a label value whose rows are left out of each label set where they
            carry it (per set, as :func:`softent.report`: a row stays in the total and in
            the sets where its label is another value). Default None: every value a class.
        mask: optional [N] bool: False leaves the row out of everything (the total and
            every set), as do dropped zero rows; the rows left are numbered 0..M-1 for
            the weights, so the replicates equal those of ``z[mask]``.
        zero_rows: all-zero rows under cosine bins: 'uniform' (default here: the kernel's
            1/B), 'raise' or 'drop' (as :func:`softent.information`).
        Masking warns (UserWarning) when it leaves out most rows or one label value of a
        set, as the estimators do.

    Returns:
        R dicts {"total": [B] float64 (all rows, weighted), "sets": {name: (values [K],
        per_label [K, B] float64, counts [K] float64 = the weighted row counts)}}; label
        values sorted as in the unweighted result. All R are held at once (refused above
        2 GiB: use :func:`iter_poisson_bootstrap` to consume them one by one).
    """
    # one pass: the whole result fits the cap, hence one pass's budget
    return list(
        iter_poisson_bootstrap(
            z,
            label_sets,
            bins,
            n_resamples,
            seed,
            num_threads,
            row_offset=row_offset,
            ignore_index=ignore_index,
            mask=mask,
            zero_rows=zero_rows,
            max_pass_bytes=MAX_BOOTSTRAP_BYTES,
            max_total_bytes=MAX_BOOTSTRAP_BYTES,
            api=api,
        )
    )
