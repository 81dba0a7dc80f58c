"""Entropies and informations from counts, with any estimator: the one place that turns
the counting kernel's histograms into numbers (used by :mod:`softent.discrete.estimate`
and by :class:`softent.discrete.Counts`, so a stream and a batch give the same values).

The alphabet rule, everywhere: a variable's alphabet is the set of values observed (a
joint variable's: the joint cells observed), unless the caller declares its size. It
matters only for the estimators that use the alphabet size (``nsb``, ``james_stein``,
``dirichlet``); every other estimator reads the occupied cells alone.

Mutual informations are sums of entropies estimated with the same estimator, as in
infomeasure and pyitlib: I(X;Y) = H(X) + H(Y) − H(X,Y) (the jackknife of a sum is the sum
of the jackknifes, so this is also the jackknife of the plug-in MI).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._checks import check_base, check_choice, fail, is_int
from .._interop import to_numpy
from ._masses import unit_name
from .estimators import ESTIMATORS, Profile, entropy_from_profile, profile


def check_estimator(api: str, estimator: Any, alpha: Any) -> str:
    """``estimator`` one of :data:`ESTIMATORS`; ``alpha`` only with 'dirichlet'."""
    name = check_choice(api, "estimator", estimator, ESTIMATORS)
    if alpha is not None and name != "dirichlet":
        fail(api, "alpha", "None unless estimator='dirichlet'", f"alpha={alpha!r}")
    return name


def check_alphabet(api: str, arg: str, size: Any) -> int | None:
    """A declared alphabet size: None (the observed values) or an int >= 1."""
    if size is None:
        return None
    if not is_int(size) or int(size) < 1:
        fail(api, arg, "None or an integer >= 1", repr(size))
    return int(size)


def entropy_nats(
    counts: Any, estimator: str, alpha: float | None, alphabet: int | None, api: str, arg: str
) -> float:
    """H of a histogram (any shape, any library; zeros = unobserved cells) in nats.

    ``alphabet`` None: the occupied cells are the alphabet; else its declared size (at
    least the number of occupied cells)."""
    return _entropy(_profile_of(to_numpy(counts)), alphabet, estimator, alpha, api, arg)


def _entropy(
    p: Profile, alphabet: int | None, estimator: str, alpha: float | None, api: str, arg: str
) -> float:
    """H (nats) of the profile ``p`` of the occupied cells over a declared ``alphabet``
    (None: those cells)."""
    if alphabet is not None and alphabet < p.n_observed:
        fail(api, arg, f"at least the {p.n_observed} values observed", f"{alphabet}")
    if alphabet is not None:
        p = Profile(p.values, p.multiplicities, p.n, alphabet - p.n_observed)
    return float(entropy_from_profile(p, estimator=estimator, alpha=alpha))


#: a count table whose largest count is at most this many times its size (plus a slack)
#: is profiled by one bincount over all its cells, zeros included
_BINCOUNT_RANGE = 4


def _profile_of(c: np.ndarray) -> Profile:
    """The profile of the occupied cells of ``c`` (the alphabet: those cells). Integer
    counts (the counting kernel's) take two passes: their max and one bincount of every
    cell (no filtered copy); other counts (weight sums) go through :func:`profile`."""
    flat = c.reshape(-1)
    if flat.dtype.kind in "iu" and flat.size:
        top = int(flat.max())
        if 0 < top <= _BINCOUNT_RANGE * flat.size + (1 << 20) and int(flat.min()) >= 0:
            freq = np.bincount(flat)
            values = np.flatnonzero(freq[1:]) + 1
            mult = freq[values]
            n = float(np.dot(values.astype(np.float64), mult.astype(np.float64)))
            return Profile(values.astype(np.int64), mult.astype(np.int64), n, 0)
    nz = flat[flat > 0]
    return profile(nz, alphabet_size=nz.size)


def plugin_rows(counts: np.ndarray) -> np.ndarray:
    """Plug-in entropies (nats) of the rows of ``counts`` [m, K] (float64), vectorised:
    H = ln n − Σ c ln c / n with 0 ln 0 = 0; an empty row has H = 0."""
    c = np.asarray(counts, dtype=np.float64)
    n = c.sum(-1)
    with np.errstate(over="ignore", invalid="ignore"):  # redone below where it overflows
        s = (c * np.log(np.where(c > 0, c, 1.0))).sum(-1)
        safe = np.where(n > 0, n, 1.0)
        h = np.where(n > 0, np.log(safe) - s / safe, 0.0)
    bad = ~np.isfinite(h) & np.isfinite(n)
    if bad.any():
        # Σ c ln c overflows for counts near the float64 limit (weighted): the same
        # entropy as -Σ p ln p of p = c / n, each term at most 1/e
        p = c[bad] / n[bad][:, None]
        h[bad] = -(p * np.log(np.where(p > 0, p, 1.0))).sum(-1)
    return h


@dataclass(frozen=True)
class DiscreteInformation:
    """H(X), H(Y), H(X,Y) and what follows from them, in units of ``base``, from counts.

    ``conditional_entropy`` is H(Y|X) = H(X,Y) − H(X), ``conditional_entropy_x`` is
    H(X|Y); ``mutual_information`` I(X;Y) = H(X) + H(Y) − H(X,Y). ``n`` the number of
    samples (sum of weights), ``alphabet_x``/``alphabet_y``/``alphabet_xy`` the alphabet
    sizes the estimator used (observed values unless declared).
    """

    entropy_x: float
    entropy_y: float
    joint_entropy: float
    n: float
    alphabet_x: int
    alphabet_y: int
    alphabet_xy: int
    estimator: str
    base: float

    @property
    def mutual_information(self) -> float:
        return self.entropy_x + self.entropy_y - self.joint_entropy

    @property
    def conditional_entropy(self) -> float:
        return self.joint_entropy - self.entropy_x

    @property
    def conditional_entropy_x(self) -> float:
        return self.joint_entropy - self.entropy_y

    def __repr__(self) -> str:
        return (
            f"DiscreteInformation(I={self.mutual_information:.4g} {unit_name(self.base)}, "
            f"H(X)={self.entropy_x:.4g}, H(Y)={self.entropy_y:.4g}, "
            f"H(X,Y)={self.joint_entropy:.4g}, N={self.n:g}, estimator={self.estimator!r})"
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-able dict of every value (floats) and the settings."""
        return {
            "entropy_x": self.entropy_x,
            "entropy_y": self.entropy_y,
            "joint_entropy": self.joint_entropy,
            "conditional_entropy": self.conditional_entropy,
            "conditional_entropy_x": self.conditional_entropy_x,
            "mutual_information": self.mutual_information,
            "n": self.n,
            "alphabet_x": self.alphabet_x,
            "alphabet_y": self.alphabet_y,
            "alphabet_xy": self.alphabet_xy,
            "estimator": self.estimator,
            "base": self.base,
        }


def information_of_counts(
    joint: Any,
    counts_x: Any,
    counts_y: Any,
    *,
    estimator: str,
    alpha: float | None,
    alphabets: tuple[int | None, int | None],
    base: float,
    api: str,
) -> DiscreteInformation:
    """:class:`DiscreteInformation` from the joint counts ``joint`` (any shape; zero cells
    unobserved) and the marginal histograms; ``alphabets`` the declared (Kx, Ky) or None
    each (the joint alphabet is then Kx·Ky where both are declared, else the occupied joint
    cells)."""
    b = check_base(api, base)
    kx, ky = alphabets
    px, py, pxy = (_profile_of(to_numpy(c)) for c in (counts_x, counts_y, joint))
    axy = None if kx is None or ky is None else kx * ky
    hx, hy, hxy = (
        _entropy(p, k, estimator, alpha, api, "alphabet_sizes")
        for p, k in ((px, kx), (py, ky), (pxy, axy))
    )
    ax, ay = (p.n_observed if k is None else k for p, k in ((px, kx), (py, ky)))
    axy = pxy.n_observed if axy is None else axy
    n_total = px.n
    scale = 1.0 if b == math.e else 1.0 / math.log(b)
    return DiscreteInformation(
        entropy_x=hx * scale,
        entropy_y=hy * scale,
        joint_entropy=hxy * scale,
        n=n_total,
        alphabet_x=int(ax),
        alphabet_y=int(ay),
        alphabet_xy=int(axy),
        estimator=estimator,
        base=b,
    )
