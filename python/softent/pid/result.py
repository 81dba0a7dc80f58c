"""The result of a partial information decomposition: the atoms on the lattice nodes, the
parts SxPID splits them into, the per-target and per-outcome values when asked, and the
summaries nninfo reads from them (Ehrlich et al. 2023, TMLR)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..discrete import unit_name
from .lattice import Antichain, node_name

#: |I(T:S)| at or below this (in the result's unit) has no information to apportion:
#: the ratios (complexity, redundancy and vulnerability degrees) are None there.
NO_INFORMATION = 1e-12


@dataclass(frozen=True, repr=False)
class LocalAtoms:
    """Atoms at each target value (``pointwise="target"``: averaged over p(s | t)) or at
    each outcome (``pointwise=True``).

    ``keys``: the target values [T], or the outcomes [K, n + 1] (source values..., target
    value; the codes of the pmf where a variable has no single value); ``probs`` [T] or
    [K] their probabilities; ``atoms`` [T or K, L] in the result's unit, nodes in
    ``Decomposition.nodes`` order; ``informative``/``misinformative`` likewise, or None
    for measures that do not split."""

    keys: np.ndarray
    probs: np.ndarray
    atoms: np.ndarray
    informative: np.ndarray | None
    misinformative: np.ndarray | None

    def __repr__(self) -> str:
        return f"LocalAtoms(rows={self.atoms.shape[0]}, nodes={self.atoms.shape[1]})"


@dataclass(frozen=True, repr=False)
class Decomposition:
    """A partial information decomposition of I(T : S_1, ..., S_n).

    ``atoms[node]`` the partial information of each antichain node (``nodes`` in lattice
    order; a node is a tuple of sorted tuples of 1-based source indices: ``((1,), (2,))``
    redundancy, ``((1, 2),)`` synergy); ``informative``/``misinformative`` the SxPID parts
    (atoms = informative - misinformative), None for other measures. All values in units
    of ``base`` (nats by default, bits for base 2). ``mutual_information`` I(T:S) and
    ``source_information[i]`` I(T:S_{i+1}), ``complement_information[i]`` I(T:S_{-(i+1)})
    (all sources but one) and ``conditional_entropies[k]`` C_k = mean over k-source
    sets A of H(T | S_A), k = 0..n, are Shannon quantities of the pmf, computed without the
    lattice (checks of any PID: the atoms sum to I(T:S); the atoms below {i} sum to
    I(T:S_i)). ``per_target``/``per_outcome``: :class:`LocalAtoms` when asked.
    """

    measure: str
    n_sources: int
    base: float
    nodes: tuple[Antichain, ...]
    atoms: Mapping[Antichain, float]
    informative: Mapping[Antichain, float] | None
    misinformative: Mapping[Antichain, float] | None
    mutual_information: float
    source_information: tuple[float, ...]
    complement_information: tuple[float, ...]
    conditional_entropies: tuple[float, ...]
    n_outcomes: int
    n_samples: int | None
    per_target: LocalAtoms | None = None
    per_outcome: LocalAtoms | None = None

    @property
    def unit(self) -> str:
        """'nats', 'bits', ... (the unit of every value)."""
        return unit_name(self.base)

    @property
    def degree_atoms(self) -> dict[int, float]:
        """Π_m for m = 1..n: the sum of the atoms whose degree of synergy m(α) =
        min_{a∈α} |a| is m (nninfo's "degree of synergy atoms")."""
        out = dict.fromkeys(range(1, self.n_sources + 1), 0.0)
        for node, v in self.atoms.items():
            out[min(len(a) for a in node)] += v
        return out

    def _ratio(self, numerator: float) -> float | None:
        i = sum(self.atoms.values())
        return None if abs(i) <= NO_INFORMATION else numerator / i

    @property
    def complexity(self) -> float | None:
        """Representational complexity C = Σ_m m·Π_m / Σ_α π(α) (Ehrlich et al. 2023,
        eq. 6; nninfo divides by the sum of the atoms, which is I(T:S)). In [1, n] when
        every atom is >= 0; SxPID atoms can be negative, and C can then leave [1, n]: read
        it with the degree atoms. None when I(T:S) = 0."""
        return self._ratio(sum(m * v for m, v in self.degree_atoms.items()))

    @property
    def redundancy_degree(self) -> float | None:
        """r̄ = Σ_i I(T:S_i) / I(T:S) (a Shannon invariant: no lattice needed; Ehrlich et
        al. 2023, eq. 9). None when I(T:S) = 0."""
        if abs(self.mutual_information) <= NO_INFORMATION:
            return None
        return sum(self.source_information) / self.mutual_information

    @property
    def vulnerability_degree(self) -> float | None:
        """v̄ = (n·I(T:S) - Σ_i I(T:S_{-i})) / I(T:S) (Ehrlich et al. 2023, eq. 10).
        None when I(T:S) = 0."""
        i = self.mutual_information
        if abs(i) <= NO_INFORMATION:
            return None
        return (self.n_sources * i - sum(self.complement_information)) / i

    @property
    def reing_differences(self) -> dict[int, float]:
        """C(k-1 ‖ k) = C_{k-1} - C_k for k = 1..n (Reing et al. 2021, as nninfo computes
        them: C_k the mean H(T | S_A) over the k-source sets A): the information gained on
        average by observing k instead of k - 1 sources."""
        c = self.conditional_entropies
        return {k: c[k - 1] - c[k] for k in range(1, self.n_sources + 1)}

    def __repr__(self) -> str:
        c = self.complexity
        cs = "None" if c is None else f"{c:.4g}"
        return (
            f"Decomposition(measure={self.measure!r}, n_sources={self.n_sources}, "
            f"I={self.mutual_information:.6g} {self.unit}, complexity={cs}, "
            f"nodes={len(self.nodes)})"
        )

    def table(self) -> str:
        """The atoms as a plain-text table, one node per line (lattice order)."""
        head = f"{'node':<24}{'atom':>14}"
        split = self.informative is not None and self.misinformative is not None
        if split:
            head += f"{'informative':>14}{'misinform.':>14}"
        lines = [f"{self.measure} PID of {self.n_sources} sources ({self.unit})", head]
        for node in self.nodes:
            row = f"{node_name(node):<24}{self.atoms[node]:>14.6g}"
            if split:
                row += f"{self.informative[node]:>14.6g}{self.misinformative[node]:>14.6g}"
            lines.append(row)
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: nodes by name ('{1}{2}'), every value a float (or None)."""

        def named(m: Mapping[Antichain, float] | None) -> dict[str, float] | None:
            return None if m is None else {node_name(k): float(v) for k, v in m.items()}

        return {
            "measure": self.measure,
            "n_sources": self.n_sources,
            "base": self.base,
            "unit": self.unit,
            "atoms": named(self.atoms),
            "informative": named(self.informative),
            "misinformative": named(self.misinformative),
            "mutual_information": self.mutual_information,
            "source_information": list(self.source_information),
            "complement_information": list(self.complement_information),
            "degree_atoms": {str(k): v for k, v in self.degree_atoms.items()},
            "complexity": self.complexity,
            "redundancy_degree": self.redundancy_degree,
            "vulnerability_degree": self.vulnerability_degree,
            "reing_differences": {str(k): v for k, v in self.reing_differences.items()},
            "n_outcomes": self.n_outcomes,
            "n_samples": self.n_samples,
        }
