"""The frozen results of :mod:`softent.spectral`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["SpectralEntropy", "SpectralInformation"]


class _SpectralResult:
    """What both results share (no fields: each dataclass keeps its own field order):
    ``float(result)``, ``as_dict()`` (tuples as lists) and the head of the repr."""

    value: float
    stderr: float
    estimator: str

    def __float__(self) -> float:
        return float(self.value)

    def _repr(self, *details: str) -> str:
        head = f"{self.estimator}={self.value:.6g} ± {self.stderr:.2g}"
        return f"{type(self).__name__}({', '.join((head, *details))})"

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)  # type: ignore[call-overload]
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}


@dataclass(frozen=True)
class SpectralEntropy(_SpectralResult):
    """A spectral entropy (or effective rank) and how it was computed.

    ``value`` in the unit of ``base`` (effective rank: a count); ``stderr`` its standard
    error (0 for the exact dense path); ``method`` the eigenvalue method; ``estimator``
    which quantity; ``bandwidth`` the kernel's bandwidth; ``t`` the diffusion time (or
    Renyi's alpha for ``matrix_renyi``); ``n`` the rows; ``top_eigenvalues`` the largest
    eigenvalues (at most 10, descending); ``effective_number`` exp(H) of the eigenvalue
    distribution p (in nats: the number of equally weighted eigenvalues with the same
    entropy). ``float(result)`` is the value."""

    value: float
    stderr: float
    method: str
    estimator: str
    base: float
    t: float
    bandwidth: str
    n: int
    top_eigenvalues: tuple[float, ...]
    effective_number: float

    def __repr__(self) -> str:
        return self._repr(
            f"method={self.method!r}",
            f"t={self.t:g}",
            f"n={self.n}",
            f"bandwidth={self.bandwidth!r}",
            f"effective_number={self.effective_number:.4g}",
        )


@dataclass(frozen=True)
class SpectralInformation(_SpectralResult):
    """A spectral mutual information I(Z; L) = H(Z) - H(Z | L) (Liao et al.'s DSMI/ASMI).

    ``value`` in the unit of ``base``; ``entropy`` H(Z) (the label-weighted mean of the
    entropies of random subsets of each label's size, or of the whole set with
    ``repetitions=0``); ``conditional_entropy`` H(Z | L) = sum_l p(l) H(Z | L = l);
    ``stderr`` the Monte-Carlo standard error of ``entropy`` over the random subsets (0
    without them); ``n_labels``, ``n``, ``repetitions``, ``method``, ``estimator``, ``t``,
    ``bandwidth`` as used. ``float(result)`` is the value."""

    value: float
    stderr: float
    entropy: float
    conditional_entropy: float
    method: str
    estimator: str
    base: float
    t: float
    bandwidth: str
    n: int
    n_labels: int
    repetitions: int

    def __repr__(self) -> str:
        return self._repr(
            f"H={self.entropy:.6g}",
            f"H|L={self.conditional_entropy:.6g}",
            f"n={self.n}",
            f"labels={self.n_labels}",
            f"t={self.t:g}",
            f"bandwidth={self.bandwidth!r}",
        )
