"""Plain NumPy/SciPy references of the statistics layer (softent._stats and the soft-bin
permutation null): materialise everything, loop where the library vectorises.

- the permutation draw documented by ``softent.Accumulator(permutations=R)``: the
  labelled rows of a batch at stream position ``offset`` are permuted by
  ``numpy.random.default_rng([seed, offset, zlib.crc32(name)]).permuted(codes, axis=1)``
  on R copies of the batch's dense codes (sorted label values -> 0..K-1);
- the soft-bin I(Z;L) from the definition (``reference.soft``), on each permuted labelling;
- p-value (1 + #{null >= I}) / (1 + R) (Phipson & Smyth 2010), basic and percentile
  bootstrap intervals (Davison & Hinkley 1997 eq. 5.6; Efron & Tibshirani 1993 §13.3);
- the discrete plug-in mutual information of a joint table (hard bins: T -> 0).
"""

from __future__ import annotations

import zlib

import numpy as np

from . import soft


def permuted_labels(labels, n_permutations, seed, offset=0, name="labels"):
    """[R, N] permuted copies of the integer or string ``labels`` [N] (every row labelled),
    drawn as the Accumulator documents: dense codes of the sorted values, permuted along
    each row by one generator seeded with (seed, offset, crc32(name))."""
    values, codes = np.unique(np.asarray(labels), return_inverse=True)
    codes = codes.reshape(-1).astype(np.int32)
    rng = np.random.default_rng([seed, offset, zlib.crc32(name.encode("utf-8"))])
    out = np.tile(codes, (n_permutations, 1))
    rng.permuted(out, axis=1, out=out)
    return values[out]


def mutual_information(z, labels, centres, metric, temperature, weighting="weighted"):
    """I(Z;L) (nats) from the definition."""
    return soft.information(z, labels, centres, metric, temperature, weighting)[2]


def permutation_null(z, labels, centres, metric, temperature, n_permutations, seed, chunk=None):
    """(statistic, null [R]) with the labels permuted within consecutive ``chunk``-row
    batches (None: all rows at once), each batch drawn at its stream offset: the null of a
    streamed Accumulator(permutations=R)."""
    n = len(labels)
    chunk = chunk or n
    labels = np.asarray(labels)
    perms = np.empty((n_permutations, n), dtype=labels.dtype)
    for a in range(0, n, chunk):
        perms[:, a : a + chunk] = permuted_labels(labels[a : a + chunk], n_permutations, seed, a)
    stat = mutual_information(z, labels, centres, metric, temperature)
    null = np.array([mutual_information(z, p, centres, metric, temperature) for p in perms])
    return stat, null


def pvalue(statistic, null):
    """(1 + #{null >= statistic}) / (1 + R)."""
    null = np.asarray(null, dtype=np.float64)
    return (1 + int(np.sum(null >= statistic))) / (1 + null.size)


def percentile_interval(values, confidence):
    a = 100 * (1 - confidence) / 2
    lo, hi = np.percentile(np.asarray(values, dtype=np.float64), [a, 100 - a])
    return float(lo), float(hi)


def basic_interval(estimate, values, confidence):
    lo, hi = percentile_interval(values, confidence)
    return 2 * estimate - hi, 2 * estimate - lo


def discrete_mi(joint):
    """The plug-in I(X;Y) (nats) of a joint count or probability table [X, Y]."""
    p = np.asarray(joint, dtype=np.float64)
    p = p / p.sum()
    px, py = p.sum(axis=1, keepdims=True), p.sum(axis=0, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(p / (px * py)), 0.0)
    return float(terms.sum())


def nearest_bins(z, centres):
    """The hard (T -> 0) cosine bin of each row: argmax_b <z_i/|z_i|, c_b/|c_b|>."""
    return np.argmax(soft.scores(z, centres, "cosine"), axis=1)
