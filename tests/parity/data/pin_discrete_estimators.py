"""Produce the peer values pinned in tests/parity/data/discrete_estimators.json, compared
with softent.discrete.estimators by tests/parity/test_discrete_parity.py.

Run with an interpreter that has the peers installed (not softent: the script imports
only NumPy and the peers), e.g.::

    python -m venv /work/peers_discrete
    /work/peers_discrete/bin/pip install numpy scipy pandas scikit-learn future pyitlib dit infomeasure
    /work/peers_discrete/bin/python tests/parity/data/pin_discrete_estimators.py \\
        > tests/parity/data/discrete_estimators.json

The samples come from :func:`samples` and :func:`mi_samples` (NumPy only, seeded), so the
test regenerates exactly the same data. Every value is in nats except dit's (bits, as dit
returns them).
"""

from __future__ import annotations

import json
import math
import warnings
from importlib.metadata import version

import numpy as np

#: name: (alphabet size K, samples N, Dirichlet concentration of the true distribution;
#: None: uniform), seed
CASES = {
    "small": (12, 40, 0.5, 0),  # N ~ 3K, a few unseen symbols
    "sparse": (200, 150, 0.3, 1),  # N < K: the undersampled regime
    "moderate": (50, 2000, 1.0, 2),  # N >> K
    "million": (10**6, 10**6, None, 3),  # 1000 x 1000 symbols, N = 10**6 uniform samples
}
#: cases small enough for every peer (dit loops in Python over the counts)
SMALL_CASES = ("small", "sparse", "moderate")


def samples(name: str) -> np.ndarray:
    """[N] int64 symbols in 0..K-1 of case ``name`` (see :data:`CASES`)."""
    k, n, conc, seed = CASES[name]
    rng = np.random.default_rng(seed)
    if conc is None:
        return rng.integers(0, k, n)
    return rng.choice(k, size=n, p=rng.dirichlet(np.full(k, conc)))


def mi_samples() -> tuple[np.ndarray, np.ndarray]:
    """(x, y) [300] int64, y depends on x: x in 0..5, y = x // 2 + noise in 0..6."""
    rng = np.random.default_rng(4)
    x = rng.integers(0, 6, 300)
    y = (x // 2 + rng.integers(0, 5, 300)) % 7
    return x, y


def pyitlib_values(x: np.ndarray, k: int) -> dict:
    """pyitlib's entropy (nats) per estimator, with its default alphabet (the observed
    symbols) and with Alphabet_X = all K symbols."""
    from pyitlib import discrete_random_variable as drv

    out: dict = {}
    # 'LAPLACE' is not one of pyitlib's names: a float estimator is the pseudo-count
    for name, est in [
        ("ML", "ML"),
        ("JAMES-STEIN", "JAMES-STEIN"),
        ("PERKS", "PERKS"),
        ("MINIMAX", "MINIMAX"),
        ("LAPLACE", 1.0),
        ("JEFFREYS", 0.5),
    ]:
        out[f"{name}/observed"] = float(drv.entropy(x, base=math.e, estimator=est))
        out[f"{name}/full"] = float(
            drv.entropy(x, base=math.e, estimator=est, Alphabet_X=np.arange(k))
        )
    if k <= 1000:
        with warnings.catch_warnings():  # its slope-requirement warning
            warnings.simplefilter("ignore")
            out["GOOD-TURING/full"] = float(
                drv.entropy(x, base=math.e, estimator="GOOD-TURING", Alphabet_X=np.arange(k))
            )
    return out


def infomeasure_values(x: np.ndarray, k: int) -> dict:
    """infomeasure's entropy (nats) per approach (its K: the observed symbols; NSB also
    with K given). NaN is stored as None."""
    import infomeasure as im

    out: dict = {}
    for approach in ("discrete", "miller_madow", "shrink", "grassberger", "chao_shen", "nsb"):
        out[approach] = float(im.entropy(x, approach=approach, base="e"))
    out["nsb/K"] = float(im.entropy(x, approach="nsb", base="e", K=k))
    return {key: (None if math.isnan(v) else v) for key, v in out.items()}


def main() -> None:
    versions = {p: version(p) for p in ("pyitlib", "dit", "infomeasure", "numpy", "scipy")}
    out: dict = {"versions": versions, "entropy": {}, "mutual_information": {}}
    for name, (k, *_rest) in CASES.items():
        x = samples(name)
        case = {"pyitlib": pyitlib_values(x, k), "infomeasure": infomeasure_values(x, k)}
        if name in SMALL_CASES:
            from dit.inference import entropy_0, entropy_1, entropy_2

            case["dit_bits"] = {
                "entropy_0": float(entropy_0(list(x))),
                "entropy_1": float(entropy_1(list(x))),
                "entropy_2": float(entropy_2(list(x))),
            }
        out["entropy"][name] = case

    import infomeasure as im
    from pyitlib import discrete_random_variable as drv

    x, y = mi_samples()
    mi: dict = {"pyitlib": {}, "infomeasure": {}}
    for est in ("ML", "JAMES-STEIN", "PERKS", "MINIMAX"):
        mi["pyitlib"][est] = float(drv.information_mutual(x, y, base=math.e, estimator=est))
    for approach in ("discrete", "miller_madow", "shrink", "grassberger", "chao_shen"):
        mi["infomeasure"][approach] = float(
            im.mutual_information(x, y, approach=approach, base="e")
        )
    out["mutual_information"]["dependent"] = mi
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
