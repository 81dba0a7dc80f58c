"""Plain reference of the sample-level discrete estimators: counts of symbols with
``collections.Counter`` over Python tuples, then the plug-in formula in pure Python.

A symbol is the tuple of a row's values across every variable given (a variable [N] or
[N, m]); H = ln N − Σ c ln c / N over the occupied symbols (nats).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np


def symbols(*variables: Any) -> list[tuple]:
    """One hashable symbol per sample: the values of every variable in that row."""
    cols: list[list[Any]] = []
    for v in variables:
        a = np.asarray(v)
        a = a.reshape(a.shape[0], -1)
        cols.extend(a[:, j].tolist() for j in range(a.shape[1]))
    return list(zip(*cols, strict=True))


def counts(*variables: Any, weights: Any = None) -> list[float]:
    """Counts (or summed weights) of the occupied joint symbols of ``variables``."""
    c: Counter = Counter()
    w = [1.0] * len(symbols(*variables)) if weights is None else list(np.asarray(weights))
    for s, wi in zip(symbols(*variables), w, strict=True):
        c[s] += float(wi)
    return [v for v in c.values() if v > 0]


def plugin_entropy(*variables: Any, weights: Any = None) -> float:
    """Plug-in H (nats) of the joint symbols of ``variables``."""
    cs = counts(*variables, weights=weights)
    n = sum(cs)
    return math.log(n) - sum(c * math.log(c) for c in cs) / n


def plugin_mutual_information(x: Any, y: Any, weights: Any = None) -> float:
    """I(X;Y) = H(X) + H(Y) − H(X,Y), plug-in, nats."""
    return (
        plugin_entropy(x, weights=weights)
        + plugin_entropy(y, weights=weights)
        - plugin_entropy(x, y, weights=weights)
    )


def plugin_conditional_mutual_information(x: Any, y: Any, z: Any) -> float:
    """I(X;Y|Z) = H(X,Z) + H(Y,Z) − H(X,Y,Z) − H(Z), plug-in, nats."""
    return plugin_entropy(x, z) + plugin_entropy(y, z) - plugin_entropy(x, y, z) - plugin_entropy(z)
