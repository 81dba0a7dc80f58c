"""Parity of softent.discrete.estimators with the peer packages on the same seeded samples.

Pinned values (no peer needed): pyitlib 0.3.1, dit 2.3 and infomeasure 0.6.3, produced by
tests/parity/data/pin_discrete_estimators.py into discrete_estimators.json. When a peer is
importable the pins are recomputed live and compared too. SciPy's ``stats.entropy`` and
scikit-learn's ``mutual_info_score`` (test dependencies) are compared live.

Where the peers and softent agree (to 1e-12 relative unless said):

- pyitlib ``entropy(estimator=...)``: 'ML' = plugin; 'JAMES-STEIN' = james_stein;
  'PERKS' (1/K), 'MINIMAX' (sqrt(N)/K), a float pseudo-count (1.0 Laplace, 0.5 Jeffreys;
  pyitlib has no 'LAPLACE' name) = dirichlet with that alpha. pyitlib's alphabet is the
  *observed* symbols unless ``Alphabet_X`` lists more: softent matches each convention
  (observed counts only, or alphabet_size=K).
- infomeasure: 'discrete', 'miller_madow', 'chao_shen' and 'shrink' (its K: the observed
  symbols) equal softent's estimators; its MI composes H(X) + H(Y) - H(X,Y) as softent's.
- dit ``entropy_0`` = plugin (bits); ``entropy_2`` = Grassberger (2003) with psi(N) in
  place of ln N: softent's 'grassberger' + psi(N) - ln N (ndd's implementation of the
  paper's eq. 35 uses ln N, as softent).
- scipy.stats.entropy = plugin; sklearn mutual_info_score = plugin MI.

Where they differ, and why (each asserted below):

- pyitlib's and infomeasure's James-Stein on N = 10**6 uniform samples of a 1000 x 1000
  alphabet lands 0.459 nats (0.66 bits) below the truth ln 10**6: not a formula error
  but the alphabet. With no ``Alphabet_X`` the shrinkage target is uniform over the
  ~632,000 *observed* symbols, and no shrinkage can exceed ln 632,000 = 13.357 nats.
  Given the full alphabet, pyitlib agrees with softent (13.8155, 1e-12).
- infomeasure's 'grassberger' is sum_i (n_i/N)(ln N - psi(n_i) - (-1)^n_i/(n_i + 1)): its
  correction is n_i times Grassberger's (1988) G(n) = psi(n) + (-1)^n/(n(n+1)), so the
  two agree for singletons only; the difference is exactly
  (1/N) sum_k (-1)^n_k (n_k - 1)/(n_k + 1).
- infomeasure's 'nsb' multiplies each cell's ln Gamma(n_k + b) - ln Gamma(b) by n_k in
  the evidence (the NSB evidence has no such factor), integrates over b in [0, ln K] only,
  and with K given keeps the observed cells alone in E[H | b]; it returns NaN when
  N = K (its "coincidences" use the given K: the 1000 x 1000 case) and on the moderate
  case (N = 2000, K = 50; its quadrature overflows). Its formula as written reproduces
  its pins; softent's NSB is checked against the paper's integral in xi
  (reference.discrete_estimators.nsb).
- pyitlib's 'GOOD-TURING' (Gale & Sampson's simple Good-Turing frequencies, then the
  plug-in H) and dit's ``entropy_1`` (psi(N) - mean psi(n_i)) have no softent
  counterpart; they are pinned for the record only.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, special, stats
from softent.discrete.estimators import (
    entropy_from_counts,
    mutual_information_from_table,
)

DATA = Path(__file__).parent / "data"
sys.path.insert(0, str(DATA))
from pin_discrete_estimators import CASES, SMALL_CASES, mi_samples, samples

PINNED = json.loads((DATA / "discrete_estimators.json").read_text())
ALL_CASES = sorted(CASES)


def counts_of(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(counts over the whole alphabet [K], the observed counts only [K_obs]) of a case."""
    k = CASES[name][0]
    full = np.bincount(samples(name), minlength=k)
    return full, full[full > 0]


def pinned(name: str, peer: str) -> dict:
    return PINNED["entropy"][name][peer]


# ----------------------------------------------------------------------------- pyitlib

#: pyitlib estimator name -> softent (estimator, alpha)
PYITLIB = {
    "ML": ("plugin", None),
    "JAMES-STEIN": ("james_stein", None),
    "PERKS": ("dirichlet", "perks"),
    "MINIMAX": ("dirichlet", "minimax"),
    "LAPLACE": ("dirichlet", 1.0),
    "JEFFREYS": ("dirichlet", 0.5),
}


@pytest.mark.parametrize("case", ALL_CASES)
@pytest.mark.parametrize("name", sorted(PYITLIB))
def test_pyitlib_pinned(case, name):
    estimator, alpha = PYITLIB[name]
    full, observed = counts_of(case)
    expected = pinned(case, "pyitlib")
    # pyitlib's default alphabet: the observed symbols only
    assert entropy_from_counts(observed, estimator=estimator, alpha=alpha) == pytest.approx(
        expected[f"{name}/observed"], rel=1e-12
    )
    # Alphabet_X = all K symbols: softent's zeros are the unseen symbols
    assert entropy_from_counts(full, estimator=estimator, alpha=alpha) == pytest.approx(
        expected[f"{name}/full"], rel=1e-12
    )


def test_pyitlib_james_stein_is_low_on_a_million_symbols_because_of_its_alphabet():
    """N = 10**6 uniform samples over 1000 x 1000 symbols: truth ln 10**6 = 13.8155 nats."""
    full, observed = counts_of("million")
    truth = math.log(10**6)
    low = pinned("million", "pyitlib")["JAMES-STEIN/observed"]
    assert truth - low == pytest.approx(0.459, abs=1e-3)  # 0.66 bits
    # lambda = 1 here: shrunk all the way to uniform over the K_obs observed symbols
    assert low == pytest.approx(math.log(observed.size), rel=1e-12)
    assert math.log(observed.size) < truth - 0.45
    assert entropy_from_counts(full, estimator="james_stein") == pytest.approx(
        pinned("million", "pyitlib")["JAMES-STEIN/full"], rel=1e-12
    )
    assert entropy_from_counts(full, estimator="james_stein") == pytest.approx(truth, abs=1e-5)


def test_pyitlib_mutual_information_pinned():
    """pyitlib's information_mutual = H(X) + H(Y) - H(X,Y), the marginal alphabets the
    observed values and the joint alphabet their product: the contingency table of the
    observed values, as softent reads it."""
    x, y = mi_samples()
    table = contingency(x, y)
    for name, value in PINNED["mutual_information"]["dependent"]["pyitlib"].items():
        estimator, alpha = PYITLIB[name]
        got = mutual_information_from_table(table, estimator=estimator, alpha=alpha)
        assert got == pytest.approx(value, rel=1e-12), name


def contingency(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """[Kx, Ky] counts over the observed values of x and y."""
    _, xi = np.unique(x, return_inverse=True)
    _, yi = np.unique(y, return_inverse=True)
    table = np.zeros((xi.max() + 1, yi.max() + 1), dtype=np.int64)
    np.add.at(table, (xi, yi), 1)
    return table


# ----------------------------------------------------------------------------- infomeasure

#: infomeasure approach -> softent estimator, on infomeasure's alphabet (observed symbols)
INFOMEASURE = {
    "discrete": "plugin",
    "miller_madow": "miller_madow",
    "shrink": "james_stein",
    "chao_shen": "chao_shen",
}


@pytest.mark.parametrize("case", ALL_CASES)
@pytest.mark.parametrize("approach", sorted(INFOMEASURE))
def test_infomeasure_pinned(case, approach):
    _, observed = counts_of(case)
    got = entropy_from_counts(observed, estimator=INFOMEASURE[approach])
    # Chao-Shen at N = 10**6: infomeasure's (1 - p)**N carries ~N * 1e-16 relative
    # rounding (softent: expm1(N log1p(-p)), equal to a 50-digit mpmath evaluation to 1e-16;
    # infomeasure is 1.5e-11 off it), so 1e-10 there
    rel = 1e-10 if (case, approach) == ("million", "chao_shen") else 1e-12
    assert got == pytest.approx(pinned(case, "infomeasure")[approach], rel=rel)


@pytest.mark.parametrize("case", ALL_CASES)
def test_infomeasure_grassberger_scales_the_1988_correction_by_n(case):
    _, observed = counts_of(case)
    n = observed.sum()
    sign = (-1.0) ** (observed % 2)
    offset = float(np.sum(sign * (observed - 1) / (observed + 1))) / n
    softent_1988 = entropy_from_counts(observed, estimator="grassberger1988")
    value = pinned(case, "infomeasure")["grassberger"]
    assert softent_1988 - offset == pytest.approx(value, rel=1e-12)
    assert abs(softent_1988 - value) > 1e-4  # every case has counts >= 2


def infomeasure_nsb_as_written(counts: np.ndarray, k: int | None = None) -> float:
    """infomeasure 0.6.3's NSB formula as its source has it (for the record, not softent's):
    rho(b) = Gamma(K b)/Gamma(N + K b) prod_k [Gamma(n_k + b)/Gamma(b)]^n_k, the weight
    rho(b) dxi/db, E[H | b] over the observed cells only, b integrated over [0, ln K]."""
    n, k_obs = float(counts.sum()), counts.size
    k = k_obs if k is None else k

    def log_rho(b):
        return float(
            special.gammaln(k * b)
            - special.gammaln(n + k * b)
            + np.sum(counts * (special.gammaln(counts + b) - special.gammaln(b)))
        )

    def dxi(b):
        return k * special.polygamma(1, 1 + k * b) - special.polygamma(1, 1 + b)

    def bayes(b):
        total = n + k_obs * b
        return special.digamma(total + 1) - np.sum(
            (counts + b) / total * special.digamma(counts + b + 1)
        )

    top = max(log_rho(b) for b in np.linspace(1e-6, math.log(k), 2001))
    num = integrate.quad(
        lambda b: math.exp(log_rho(b) - top) * dxi(b) * bayes(b), 0, math.log(k), limit=100
    )[0]
    den = integrate.quad(lambda b: math.exp(log_rho(b) - top) * dxi(b), 0, math.log(k), limit=100)[
        0
    ]
    return num / den


@pytest.mark.parametrize("case", ["small", "sparse"])
def test_infomeasure_nsb_differs_by_its_formula_not_by_numerics(case):
    full, observed = counts_of(case)
    expected = pinned(case, "infomeasure")
    assert infomeasure_nsb_as_written(observed) == pytest.approx(expected["nsb"], rel=1e-6)
    assert infomeasure_nsb_as_written(observed, full.size) == pytest.approx(
        expected["nsb/K"], rel=1e-6
    )
    ours = entropy_from_counts(observed, estimator="nsb")
    assert abs(ours - expected["nsb"]) > 1e-3


def test_infomeasure_nsb_gives_nan_where_softent_does_not():
    for case in ("moderate", "million"):
        assert pinned(case, "infomeasure")["nsb"] is None
        full, _ = counts_of(case)
        h = entropy_from_counts(full, estimator="nsb")
        assert math.isfinite(h)
        assert entropy_from_counts(full) < h <= math.log(full.size)
    assert pinned("million", "infomeasure")["nsb/K"] is None


def test_infomeasure_mutual_information_composes_entropies_with_its_alphabets():
    """infomeasure: I = H(X) + H(Y) - H(X,Y), each with the estimator on the observed
    symbols (the joint alphabet: the observed pairs, not Kx * Ky)."""
    x, y = mi_samples()
    table = contingency(x, y)
    values = PINNED["mutual_information"]["dependent"]["infomeasure"]

    def observed_h(c, estimator):
        c = np.asarray(c).ravel()
        return entropy_from_counts(c[c > 0], estimator=estimator)

    for approach in ("discrete", "miller_madow", "chao_shen"):
        estimator = INFOMEASURE[approach]
        composed = (
            observed_h(table.sum(1), estimator)
            + observed_h(table.sum(0), estimator)
            - observed_h(table, estimator)
        )
        assert composed == pytest.approx(values[approach], rel=1e-12), approach
    # every joint cell is observed here except some: where all are, the table agrees too
    for approach in ("discrete", "miller_madow", "chao_shen"):
        got = mutual_information_from_table(table, estimator=INFOMEASURE[approach])
        assert got == pytest.approx(values[approach], rel=1e-12), approach


def test_infomeasure_shrink_mutual_information_averages_local_values():
    """infomeasure's MI for 'shrink' averages per-sample local values -ln p_shrink(x_i),
    i.e. sum_k (n_k/N)(-ln p_shrink,k), which is not its own shrinkage entropy
    -sum_k p_shrink,k ln p_shrink,k (it logs "Mean of local values ... does not match the
    global value"): its MI is not the entropy composition, softent's is."""
    from reference import discrete_estimators as ref

    x, y = mi_samples()
    table = contingency(x, y)
    value = PINNED["mutual_information"]["dependent"]["infomeasure"]["shrink"]

    def local_mean(c):
        c = np.asarray(c, dtype=np.float64).ravel()
        c = c[c > 0]
        lam, u = ref.shrink_lambda(c), c / c.sum()
        return -float(np.sum(u * np.log(lam / c.size + (1 - lam) * u)))

    local = local_mean(table.sum(1)) + local_mean(table.sum(0)) - local_mean(table)
    assert local == pytest.approx(value, rel=1e-12)
    composed = sum(
        entropy_from_counts(c[c > 0], estimator="james_stein") for c in (table.sum(1), table.sum(0))
    ) - entropy_from_counts(table[table > 0], estimator="james_stein")
    assert abs(composed - value) > 1e-3


# ----------------------------------------------------------------------------- dit


@pytest.mark.parametrize("case", SMALL_CASES)
def test_dit_pinned(case):
    _, observed = counts_of(case)
    n = float(observed.sum())
    bits = pinned(case, "dit_bits")
    ln2 = math.log(2)
    assert entropy_from_counts(observed, base=2) == pytest.approx(bits["entropy_0"], rel=1e-12)
    g = entropy_from_counts(observed, estimator="grassberger")
    assert (g + special.digamma(n) - math.log(n)) / ln2 == pytest.approx(
        bits["entropy_2"], rel=1e-12
    )


# ----------------------------------------------------------------------------- live


def test_scipy_entropy_live():
    for case in ALL_CASES:
        full, _ = counts_of(case)
        assert entropy_from_counts(full) == pytest.approx(stats.entropy(full), rel=1e-12)
        assert entropy_from_counts(full, base=2) == pytest.approx(
            stats.entropy(full, base=2), rel=1e-12
        )


def test_sklearn_mutual_info_score_live():
    metrics = pytest.importorskip("sklearn.metrics")
    x, y = mi_samples()
    assert mutual_information_from_table(contingency(x, y)) == pytest.approx(
        metrics.mutual_info_score(x, y), rel=1e-12
    )
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 30, 5000), rng.integers(0, 40, 5000)
    assert mutual_information_from_table(contingency(a, b)) == pytest.approx(
        metrics.mutual_info_score(a, b), rel=1e-12
    )


@pytest.mark.parametrize("peer", ["pyitlib", "infomeasure"])
def test_peers_live(peer):
    """The pins still describe the installed peer (softent was compared with the pins)."""
    if importlib.util.find_spec(peer) is None:
        pytest.skip(f"{peer} is not installed")
    import pin_discrete_estimators as pin

    for case in SMALL_CASES:
        x = samples(case)
        live = getattr(pin, f"{peer}_values")(x, CASES[case][0])
        for key, value in pinned(case, peer).items():
            if value is None:
                assert live[key] is None
            else:
                assert live[key] == pytest.approx(value, rel=1e-12), (case, key)


def test_dit_live():
    if importlib.util.find_spec("dit") is None:
        pytest.skip("dit is not installed")
    from dit.inference import entropy_2

    for case in SMALL_CASES:
        _, observed = counts_of(case)
        n = float(observed.sum())
        g = entropy_from_counts(observed, estimator="grassberger")
        assert entropy_2(list(samples(case))) == pytest.approx(
            (g + special.digamma(n) - math.log(n)) / math.log(2), rel=1e-12
        )
