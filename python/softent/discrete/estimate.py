"""Information of discrete samples: entropy, joint and conditional entropy, mutual and
conditional mutual information from samples, with a choice of bias correction.

Every function here counts the samples with the counting kernel
(:mod:`softent.discrete.counting`: one pass, dense or sparse tables, CPU or CUDA) and
reads the numbers off the counts with the estimator named by ``estimator=`` (see
:mod:`softent.discrete.estimators` for the guide: ``"plugin"`` (default),
``"miller_madow"``, ``"jackknife"``, ``"grassberger"``, ``"grassberger1988"``,
``"chao_shen"``, ``"nsb"``, ``"james_stein"``, ``"dirichlet"`` with ``alpha=``).

Samples: ``[N]`` or ``[N, m]`` integer codes or strings (NumPy, lists, torch tensors on
the CPU or a GPU); a row of an ``[N, m]`` array is one symbol (the joint value of its m
columns, e.g. the quantised activations of m neurons). Continuous activations must be
quantised first (:mod:`softent.discrete.quantise`). Results are Python floats in nats
(``base=2``: bits); ``weights`` [N] (non-negative) weigh the samples (plug-in and
Miller–Madow only). Not differentiable (counts); for differentiable losses on
probability tables see :mod:`softent.discrete.tables`.

Alphabets: a variable's alphabet is the set of values observed unless declared
(``alphabet_size=`` / ``alphabet_sizes=``); it matters only for the estimators that use
its size (nsb, james_stein, dirichlet). Compositions (as in pyitlib and infomeasure):
H(Y|X) = H(X,Y) − H(X), I(X;Y) = H(X) + H(Y) − H(X,Y), I(X;Y|Z) = H(X,Z) + H(Y,Z) −
H(X,Y,Z) − H(Z), each term estimated with the same estimator.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._checks import check_base, fail
from .._interop import is_torch, to_host, to_numpy
from ._compose import (
    DiscreteInformation,
    check_alphabet,
    check_estimator,
    entropy_nats,
    information_of_counts,
    plugin_rows,
)
from .counting import Encoded, column_tables, encode, histogram, joint_counts, pair_tables

API = "discrete.estimate"


def _scale(base: float, api: str) -> float:
    b = check_base(api, base)
    return 1.0 if b == math.e else 1.0 / math.log(b)


def _pair_alphabets(api: str, alphabet_sizes: Any) -> tuple[int | None, int | None]:
    if alphabet_sizes is None:
        return None, None
    if not isinstance(alphabet_sizes, (tuple, list)) or len(alphabet_sizes) != 2:
        fail(api, "alphabet_sizes", "None or a pair (Kx, Ky)", repr(alphabet_sizes))
    return (
        check_alphabet(api, "alphabet_sizes", alphabet_sizes[0]),
        check_alphabet(api, "alphabet_sizes", alphabet_sizes[1]),
    )


def _joined(a: Encoded, b: Encoded, api: str) -> Encoded:
    """One code per sample for the pair (a, b): the joint variable's samples."""
    xp_stack = _stack_codes(a.codes, b.codes, api)
    return encode(xp_stack, name="(x, y)", api=api)


def _stack_codes(a: Any, b: Any, api: str) -> Any:
    """[N, 2] codes of a and b, in their library; a CPU tensor paired with a NumPy array
    (host memory both: counting takes either) is stacked as NumPy."""
    if is_torch(a) != is_torch(b):
        t = a if is_torch(a) else b
        if t.device.type != "cpu":
            where_a = a.device if is_torch(a) else "host memory"
            where_b = b.device if is_torch(b) else "host memory"
            fail(api, "y", f"in x's memory ({where_a})", where_b, RuntimeError)
        a, b = to_numpy(a), to_numpy(b)
    if is_torch(a):
        import torch

        return torch.stack([a, b], 1)
    return np.stack([a, b], 1)


def entropy(
    x: Any,
    *,
    estimator: str = "plugin",
    alpha: float | None = None,
    alphabet_size: int | None = None,
    weights: Any = None,
    base: float = math.e,
    num_threads: int | None = None,
) -> float:
    """H(X) of the samples ``x`` ([N] or [N, m]: a row is one symbol), in units of
    ``base`` (nats by default), with the bias correction ``estimator``."""
    api = f"{API}.entropy"
    est = check_estimator(api, estimator, alpha)
    k = check_alphabet(api, "alphabet_size", alphabet_size)
    scale = _scale(base, api)
    counts = histogram(x, weights=weights, num_threads=num_threads)
    return entropy_nats(counts, est, alpha, k, api, "alphabet_size") * scale


def information(
    x: Any,
    y: Any,
    *,
    estimator: str = "plugin",
    alpha: float | None = None,
    alphabet_sizes: tuple[int | None, int | None] | None = None,
    weights: Any = None,
    base: float = math.e,
    num_threads: int | None = None,
) -> DiscreteInformation:
    """H(X), H(Y), H(X,Y), H(Y|X), H(X|Y) and I(X;Y) of paired samples ``x``, ``y`` (same
    N; each [N] or [N, m]) in one counting pass, as a :class:`DiscreteInformation`."""
    api = f"{API}.information"
    est = check_estimator(api, estimator, alpha)
    alphabets = _pair_alphabets(api, alphabet_sizes)
    check_base(api, base)
    jc = joint_counts(x, y, weights=weights, num_threads=num_threads)
    return information_of_counts(
        jc.table if jc.dense else jc.values,
        jc.counts_x,
        jc.counts_y,
        estimator=est,
        alpha=alpha,
        alphabets=alphabets,
        base=base,
        api=api,
    )


def joint_entropy(x: Any, y: Any, **kwargs: Any) -> float:
    """H(X,Y) of paired samples (keyword arguments as :func:`information`)."""
    return information(x, y, **kwargs).joint_entropy


def conditional_entropy(x: Any, given: Any, **kwargs: Any) -> float:
    """H(X | given) = H(X, given) − H(given) of paired samples (keyword arguments as
    :func:`information`; ``alphabet_sizes`` is (K_x, K_given))."""
    return information(x, given, **kwargs).conditional_entropy_x


def mutual_information(x: Any, y: Any, **kwargs: Any) -> float:
    """I(X;Y) = H(X) + H(Y) − H(X,Y) of paired samples ``x``, ``y`` (same N; [N] or
    [N, m] each), every term with the same ``estimator`` (keyword arguments as
    :func:`information`). Nats by default, ``base=2`` for bits."""
    return information(x, y, **kwargs).mutual_information


def conditional_mutual_information(
    x: Any,
    y: Any,
    z: Any,
    *,
    estimator: str = "plugin",
    alpha: float | None = None,
    weights: Any = None,
    base: float = math.e,
    num_threads: int | None = None,
) -> float:
    """I(X;Y|Z) = H(X,Z) + H(Y,Z) − H(X,Y,Z) − H(Z) of paired samples (each [N] or
    [N, m]), every entropy with the same ``estimator`` over its observed alphabet."""
    api = f"{API}.conditional_mutual_information"
    est = check_estimator(api, estimator, alpha)
    scale = _scale(base, api)
    ex, ey, ez = (encode(v, name=n, api=api) for v, n in ((x, "x"), (y, "y"), (z, "z")))
    n = ex.codes.shape[0]
    for name, e in (("y", ey), ("z", ez)):
        if e.codes.shape[0] != n:
            fail(api, name, f"one sample per row of x (N={n})", f"N={e.codes.shape[0]}")
    xz = joint_counts(ex, ez, weights=weights, num_threads=num_threads)
    yz = joint_counts(ey, ez, weights=weights, num_threads=num_threads)
    xyz = joint_counts(_joined(ex, ey, api), ez, weights=weights, num_threads=num_threads)

    def h(counts: Any) -> float:
        return entropy_nats(counts, est, alpha, None, api, "z")

    total = h(xz.nonzero()) + h(yz.nonzero()) - h(xyz.nonzero()) - h(xz.counts_y)
    return total * scale


def _entropies(tables: np.ndarray, est: str, alpha: float | None) -> np.ndarray:
    """Entropies (nats) of the rows of ``tables`` [m, K] with the estimator."""
    if est == "plugin":
        return plugin_rows(tables)
    return np.array([entropy_nats(row, est, alpha, None, API, "x") for row in tables])


def mutual_information_matrix(
    x: Any,
    y: Any = None,
    *,
    estimator: str = "plugin",
    alpha: float | None = None,
    weights: Any = None,
    base: float = math.e,
    num_threads: int | None = None,
) -> Any:
    """I(X_j; Y) for every column j of ``x`` [N, m] (integer codes per column, e.g. the
    neurons of a quantised layer) against ``y`` [N] -> [m]; with ``y=None``, every pair
    I(X_i; X_j) -> [m, m] (symmetric, diagonal H(X_j)).

    One pass of the counting kernel over the rows for all columns (or all pairs); each
    column's alphabet is its observed values. Units of ``base``; a NumPy array out (a
    torch tensor on x's device for torch input)."""
    api = f"{API}.mutual_information_matrix"
    est = check_estimator(api, estimator, alpha)
    scale = _scale(base, api)
    if y is not None:
        ct = column_tables(x, y, weights=weights, num_threads=num_threads)
        t = to_host(ct.tables)  # [m, Kmax, Ky] float64
        m = t.shape[0]
        hx = _entropies(t.sum(2), est, alpha)
        hy = _entropies(to_host(ct.counts_y).reshape(1, -1), est, alpha)
        hxy = _entropies(t.reshape(m, -1), est, alpha)
        out = (hx + hy - hxy) * scale
    else:
        shape = tuple(x.shape) if hasattr(x, "shape") else to_numpy(x, api, "x").shape
        if len(shape) != 2 or shape[1] < 2:
            fail(api, "x", "[N, m] with m >= 2 columns for the pairwise matrix (y=None)", shape)
        pt = pair_tables(x, weights=weights, num_threads=num_threads)
        t = to_host(pt.tables)  # [P, Kmax, Kmax] float64
        pairs = to_numpy(pt.pairs)
        m = len(pt.sizes)
        hi = _entropies(t.sum(2), est, alpha)
        hj = _entropies(t.sum(1), est, alpha)
        hij = _entropies(t.reshape(t.shape[0], -1), est, alpha)
        out = np.empty((m, m))
        diag = np.empty(m)
        diag[pairs[:, 0]] = hi
        diag[pairs[:, 1]] = hj
        out[pairs[:, 0], pairs[:, 1]] = hi + hj - hij
        out[pairs[:, 1], pairs[:, 0]] = hi + hj - hij
        out[np.arange(m), np.arange(m)] = diag
        out *= scale
    if is_torch(x):
        import torch

        return torch.as_tensor(out, device=x.device)
    return out


__all__ = [
    "DiscreteInformation",
    "conditional_entropy",
    "conditional_mutual_information",
    "entropy",
    "information",
    "joint_entropy",
    "mutual_information",
    "mutual_information_matrix",
]
