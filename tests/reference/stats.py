"""Plain NumPy/SciPy references of the statistics layer (softent._stats and the soft-bin
permutation null): materialise everything, loop where the library vectorises.

- the permutation draw documented by ``softent.Accumulator(permutations=R)`` and
  docs/statistics.md: the labelled rows of a batch at stream position ``offset`` are
  permuted, permutation j by a Fisher-Yates shuffle (in row order, i = L-1 .. 1 swaps
  a[i] with a[bounded(i + 1)]) of the batch's dense codes (sorted label values -> 0..K-1),
  driven by the SplitMix64 stream started at
  key_j = mix64(mix64(mix64(mix64(seed) ^ offset) ^ crc32(name)) + j), with Lemire's
  unbiased bounded integers on the high 32 bits of each draw; written here in plain NumPy
  uint64 arithmetic (vectorised over the R permutations), independently of the C++;
- the soft-bin I(Z;L) from the definition (``reference.soft``), on each permuted labelling;
- p-value (1 + #{null >= I}) / (1 + R) (Phipson & Smyth 2010), basic and percentile
  bootstrap intervals (Davison & Hinkley 1997 eq. 5.6; Efron & Tibshirani 1993 §13.3);
- the discrete plug-in mutual information of a joint table (hard bins: T -> 0).
"""

from __future__ import annotations

import zlib

import numpy as np

from . import soft

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_LOW32 = np.uint64(0xFFFFFFFF)


def mix64(x):
    """SplitMix64's finaliser (Steele, Lea & Flood 2014) of uint64 array x (wrapping)."""
    x = np.asarray(x, dtype=np.uint64) + _GOLDEN
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def permutation_keys(seed, offset, name, n_permutations):
    """[R] uint64: key_j = mix64(mix64(mix64(mix64(seed) ^ offset) ^ crc32(name)) + j)."""
    k = mix64(np.array([seed], dtype=np.uint64)) ^ np.uint64(offset)
    k = mix64(k) ^ np.uint64(zlib.crc32(name.encode("utf-8")))
    return mix64(mix64(k) + np.arange(n_permutations, dtype=np.uint64))


def shuffled(codes, keys):
    """[R, L]: row j = Fisher-Yates of ``codes`` [L] with the SplitMix64 stream at keys[j]
    (draw t = mix64(key + t * golden)), each index bounded(i + 1) by Lemire's rejection."""
    r, n_lab = len(keys), len(codes)
    a = np.tile(np.asarray(codes), (r, 1))
    state = np.array(keys, dtype=np.uint64)
    rows = np.arange(r)
    for i in range(n_lab - 1, 0, -1):
        bound = np.uint64(i + 1)
        m = (mix64(state) >> np.uint64(32)) * bound
        state += _GOLDEN
        t = np.uint64((2**32 - (i + 1)) % (i + 1))
        bad = (m & _LOW32) < t
        while bad.any():  # reject the low band that would bias the draw
            m[bad] = (mix64(state[bad]) >> np.uint64(32)) * bound
            state[bad] += _GOLDEN
            bad = (m & _LOW32) < t
        k = (m >> np.uint64(32)).astype(np.int64)
        ai, ak = a[rows, i].copy(), a[rows, k].copy()
        a[rows, i], a[rows, k] = ak, ai
    return a


def permuted_labels(labels, n_permutations, seed, offset=0, name="labels"):
    """[R, N] permuted copies of the integer or string ``labels`` [N] (every row labelled),
    drawn as the Accumulator documents: dense codes of the sorted values, permutation j
    the documented shuffle with stream key_j(seed, offset, name)."""
    values, codes = np.unique(np.asarray(labels), return_inverse=True)
    codes = codes.reshape(-1).astype(np.int32)
    return values[shuffled(codes, permutation_keys(seed, offset, name, n_permutations))]


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
