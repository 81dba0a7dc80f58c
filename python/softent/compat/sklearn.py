"""scikit-learn's ``mutual_info_classif`` and ``mutual_info_regression``
(sklearn/feature_selection/_mutual_info.py, 1.x) with the same signatures and the same
values, computed by softent's kernels — a one-line import change::

    from softent.compat.sklearn import mutual_info_classif   # was: from sklearn.feature_selection

What is reproduced, step by step as scikit-learn's ``_estimate_mi``: the discrete mask from
``discrete_features`` ('auto': discrete iff X is sparse; a bool; indices; a boolean mask);
continuous columns cast to float64 and divided by their standard deviation
(``sklearn.preprocessing.scale(with_mean=False)``: ``numpy.nanstd``, near-zero scales
become 1); noise ``1e-10 · max(1, mean|x_j|) · N(0, 1)`` drawn from
``check_random_state(random_state)`` (None: NumPy's global RandomState; an int: a fresh
``numpy.random.RandomState(int)``; a RandomState: itself) for X's continuous columns first,
then for y (regression: y scaled and noised the same way); per feature Ross 2014 (classif,
continuous feature), KSG-1 (regression), the contingency plug-in MI (classif, discrete
feature) or Ross with the feature as labels (regression, discrete feature); each clipped at 0.

Differences, none in the values: the input is never modified (``copy=False`` is accepted
and changes nothing); ``n_jobs`` is accepted and ignored — the kernels run every feature in
parallel on softent's threads (``OMP_NUM_THREADS``); scikit-learn is not needed.
``joint=True`` returns instead ONE number, the joint I(X; y) over all (continuous) columns
(Ross, euclidean, for classif; KSG-1, max-norm, for regression: :mod:`softent.knn`), on the
same scaled and noised data, clipped at 0 — the quantity scikit-learn cannot give (its issue
#16188): per-feature values summed over a layer's columns are not its information.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

import numpy as np

from .._checks import fail, is_int
from ..discrete import mutual_information as _plugin_mi
from ..knn import feature_mutual_information
from ..knn import mutual_information as _joint_mi
from ._patch import PeerPatch, Target

__all__ = [
    "is_patched",
    "mutual_info_classif",
    "mutual_info_regression",
    "patch",
    "patched",
    "unpatch",
]


def _check_random_state(api: str, seed: Any) -> np.random.RandomState:
    """scikit-learn's check_random_state: the RandomState its noise is drawn from."""
    if seed is None or seed is np.random:
        return np.random.mtrand._rand
    if is_int(seed):
        return np.random.RandomState(int(seed))
    if isinstance(seed, np.random.RandomState):
        return seed
    fail(api, "random_state", "None, an int or a numpy.random.RandomState", repr(seed))
    raise AssertionError  # unreachable: fail raises


def _scale(a: np.ndarray) -> np.ndarray:
    """sklearn.preprocessing.scale(a, with_mean=False) on a float64 copy: a / nanstd, a
    scale below 10 eps (near-constant) replaced by 1."""
    # nanstd squares the values: a column near the float64 limit (1e308) would overflow to
    # inf (and scale to 0), so divide by each column's largest |value| m first (std is
    # homogeneous: std(a) = m std(a / m))
    m = np.max(np.abs(a), axis=0, initial=0.0, where=~np.isnan(a))
    m = np.where((m > 0) & np.isfinite(m), m, 1.0)
    sd = np.nanstd(a / m, axis=0) * m
    if np.isscalar(sd) or np.ndim(sd) == 0:
        return a / (1.0 if sd == 0.0 else sd)
    sd = np.where(sd < 10 * np.finfo(sd.dtype).eps, 1.0, sd)
    return a / sd


def _host(t: Any) -> np.ndarray:
    """A torch tensor's host values as NumPy: bfloat16 (no NumPy dtype) widened to float64
    (exact), the negative/conjugate bits resolved (``.numpy()`` refuses them)."""
    t = t.detach().cpu().resolve_neg().resolve_conj()
    return (t.double() if str(t.dtype) == "torch.bfloat16" else t).numpy()


def _dense_or_sparse(api: str, x: Any) -> tuple[Any, bool]:
    """(X as a 2-D float-able NumPy array or a scipy.sparse CSC matrix, is it sparse)."""
    try:
        import scipy.sparse as sp
    except ImportError:  # pragma: no cover - scipy is a dependency
        sp = None
    if sp is not None and sp.issparse(x):
        return sp.csc_matrix(x), True
    if hasattr(x, "detach"):  # torch: host values, as scikit-learn would read them
        x = _host(x)
    try:
        arr = np.asarray(x)
    except ValueError:  # a ragged nested sequence
        fail(api, "X", "a 2-D array [n_samples, n_features]", "a ragged sequence")
    if arr.ndim != 2:
        fail(api, "X", "a 2-D array [n_samples, n_features]", f"shape {arr.shape}")
    if arr.dtype.kind not in "iufb":
        fail(api, "X", "numeric", f"dtype {arr.dtype}", TypeError)
    return arr, False


def _mask(api: str, discrete_features: Any, n_features: int, sparse: bool) -> np.ndarray:
    if isinstance(discrete_features, (str, bool)):
        if isinstance(discrete_features, str):
            if discrete_features != "auto":
                fail(
                    api, "discrete_features", "'auto', a bool or an array", repr(discrete_features)
                )
            discrete_features = sparse
        return np.full(n_features, bool(discrete_features))
    sel = np.asarray(discrete_features)
    if sel.ndim != 1:
        fail(
            api,
            "discrete_features",
            "a 1-D array of indices or a boolean mask",
            f"shape {sel.shape}",
        )
    if sel.dtype == bool:
        if sel.shape[0] != n_features:
            fail(api, "discrete_features", f"a mask of {n_features} entries", sel.shape[0])
        return sel.copy()
    if sel.dtype.kind not in "iu":
        fail(
            api,
            "discrete_features",
            "integer indices or a boolean mask",
            f"dtype {sel.dtype}",
            TypeError,
        )
    if sel.size and (sel.min() < -n_features or sel.max() >= n_features):
        fail(api, "discrete_features", f"indices in [0, {n_features})", sel.tolist())
    mask = np.zeros(n_features, dtype=bool)
    mask[sel] = True
    return mask


def _column(x: Any, j: int, sparse: bool) -> np.ndarray:
    if sparse:
        return np.asarray(x[:, j].toarray()).ravel()
    return np.asarray(x[:, j])


def _contingency_mi(a: np.ndarray, b: np.ndarray) -> float:
    """Plug-in I(a; b) in nats of two label arrays (scikit-learn's mutual_info_score),
    clipped at 0."""
    _, ia = np.unique(a, return_inverse=True)
    _, ib = np.unique(b, return_inverse=True)
    if ia.max(initial=0) == 0 or ib.max(initial=0) == 0:
        return 0.0
    table = np.zeros((ia.max() + 1, ib.max() + 1))
    np.add.at(table, (ia, ib), 1.0)
    return max(0.0, float(_plugin_mi(table / table.sum())))


def _estimate(
    api: str,
    x: Any,
    y: Any,
    discrete_features: Any,
    discrete_target: bool,
    n_neighbors: Any,
    random_state: Any,
    joint: Any,
) -> Any:
    if isinstance(n_neighbors, bool) or not is_int(n_neighbors) or int(n_neighbors) < 1:
        fail(api, "n_neighbors", "an int >= 1", repr(n_neighbors))
    if not isinstance(joint, bool):
        fail(api, "joint", "a bool", repr(joint), TypeError)
    k = int(n_neighbors)
    arr, sparse = _dense_or_sparse(api, x)
    n, n_features = int(arr.shape[0]), int(arr.shape[1])
    try:
        yarr = np.asarray(_host(y) if hasattr(y, "detach") else y)
    except ValueError:  # a ragged nested sequence
        fail(api, "y", f"a 1-D array of n_samples={n} values", "a ragged sequence")
    if yarr.ndim == 2 and yarr.shape[1] == 1:
        yarr = yarr[:, 0]  # scikit-learn warns and ravels a column vector
    if yarr.ndim != 1 or yarr.shape[0] != n:
        fail(api, "y", f"a 1-D array of n_samples={n} values", f"shape {yarr.shape}")
    if n == 0 or n_features == 0:
        fail(api, "X", "at least one sample and one feature", f"shape {arr.shape}")
    if not sparse and arr.dtype.kind == "f" and not np.isfinite(arr).all():
        fail(api, "X", "finite (no NaN/Inf)", "a non-finite value")
    if sparse and not np.isfinite(arr.data).all():
        fail(api, "X", "finite (no NaN/Inf)", "a non-finite value")
    if discrete_target:
        if yarr.dtype.kind == "f":
            if not np.isfinite(yarr).all():
                fail(api, "y", "finite", "NaN/Inf")
            if not np.all(yarr == np.round(yarr)):
                fail(
                    api,
                    "y",
                    "class labels (scikit-learn: 'Unknown label type: continuous')",
                    "continuous values",
                )
    else:
        if yarr.dtype.kind not in "iufb":
            fail(api, "y", "numeric", f"dtype {yarr.dtype}", TypeError)
        yarr = yarr.astype(np.float64)
        if not np.isfinite(yarr).all():
            fail(api, "y", "finite (no NaN/Inf)", "a non-finite value")
    discrete = _mask(api, discrete_features, n_features, sparse)
    continuous = ~discrete
    if continuous.any() and sparse:
        fail(
            api,
            "X",
            "dense when it has continuous features (scikit-learn: sparse X can't have continuous features)",
            "a sparse matrix",
        )
    if joint and discrete.any():
        fail(
            api,
            "discrete_features",
            "False (joint=True needs continuous features)",
            f"{int(discrete.sum())} discrete",
        )
    rng = _check_random_state(api, random_state)
    xc = None
    if continuous.any():
        xc = _scale(np.asarray(arr[:, continuous], dtype=np.float64))
        means = np.maximum(1, np.mean(np.abs(xc), axis=0))
        xc = xc + 1e-10 * means * rng.standard_normal(size=(n, int(continuous.sum())))
    if not discrete_target:
        yarr = _scale(yarr)
        yarr = yarr + 1e-10 * np.maximum(1, np.mean(np.abs(yarr))) * rng.standard_normal(size=n)
    if joint:
        value = _joint_mi(xc, yarr, k=k, discrete_y=discrete_target)
        return max(0.0, float(value))
    mi = np.zeros(n_features)
    if xc is not None:
        per = feature_mutual_information(xc, yarr, k=k, discrete_y=discrete_target)
        mi[continuous] = np.maximum(per, 0.0)
    for j in np.flatnonzero(discrete):
        col = _column(arr, int(j), sparse)
        if discrete_target:
            mi[j] = _contingency_mi(col, yarr)
        else:
            # Ross with the feature as labels (scikit-learn's _compute_mi_cd(y, x))
            per = feature_mutual_information(yarr, col, k=k, discrete_y=True)
            mi[j] = max(0.0, float(per[0]))
    return mi


def mutual_info_classif(
    X: Any,
    y: Any,
    *,
    discrete_features: Any = "auto",
    n_neighbors: int = 3,
    copy: bool = True,
    random_state: Any = None,
    n_jobs: int | None = None,
    joint: bool = False,
) -> Any:
    """scikit-learn's ``mutual_info_classif``: I(X_j; y) in nats for each feature of ``X``
    [n_samples, n_features] and class labels ``y`` [n_samples] ([n_features] float64
    array, each value clipped at 0), equal to scikit-learn's to ~1e-12 with the same
    ``random_state`` (see the module docstring for the steps reproduced). Continuous
    features: Ross 2014 (PLoS ONE 9(2):e87357) with ``n_neighbors``; discrete ones: the
    plug-in MI of their contingency table. ``joint=True``: one float, the joint I(X; y)
    over all columns (Ross, euclidean). Bias: kNN estimates of continuous features are
    biased at small N (Ross 2014 §3); per-feature values do not add up to the joint MI.
    """
    del copy, n_jobs  # accepted for compatibility: the input is never modified
    return _estimate(
        "compat.sklearn.mutual_info_classif",
        X,
        y,
        discrete_features,
        True,
        n_neighbors,
        random_state,
        joint,
    )


def mutual_info_regression(
    X: Any,
    y: Any,
    *,
    discrete_features: Any = "auto",
    n_neighbors: int = 3,
    copy: bool = True,
    random_state: Any = None,
    n_jobs: int | None = None,
    joint: bool = False,
) -> Any:
    """scikit-learn's ``mutual_info_regression``: I(X_j; y) in nats for each feature of
    ``X`` [n_samples, n_features] and a continuous target ``y`` [n_samples] ([n_features]
    float64, each clipped at 0), equal to scikit-learn's to ~1e-12 with the same
    ``random_state``. Continuous features: KSG-1 (Kraskov, Stögbauer & Grassberger 2004,
    eq. 8) in the plane (x_j, y) with the max-norm; discrete ones: Ross with the feature as
    labels. ``joint=True``: one float, the joint KSG-1 I(X; y) over all columns. Bias: KSG
    under-estimates strong dependence (Gao, Ver Steeg & Galstyan 2015).
    """
    del copy, n_jobs
    return _estimate(
        "compat.sklearn.mutual_info_regression",
        X,
        y,
        discrete_features,
        False,
        n_neighbors,
        random_state,
        joint,
    )


# --------------------------------------------------------------------------- patching

_PATCH = PeerPatch(
    "compat.sklearn",
    package="sklearn",
    distribution="scikit-learn",
    targets=[
        Target("sklearn.feature_selection._mutual_info", name, fn)
        for name, fn in (
            ("mutual_info_classif", mutual_info_classif),
            ("mutual_info_regression", mutual_info_regression),
        )
    ]
    + [  # the re-exports users import from
        Target("sklearn.feature_selection", name, fn)
        for name, fn in (
            ("mutual_info_classif", mutual_info_classif),
            ("mutual_info_regression", mutual_info_regression),
        )
    ],
)


def patch() -> None:
    """Make scikit-learn's ``mutual_info_classif`` and ``mutual_info_regression`` (in
    ``sklearn.feature_selection`` and ``sklearn.feature_selection._mutual_info``) this
    module's front doors: same values, softent's kernels. Idempotent; ImportError when
    scikit-learn is not installed. Names bound before the call (``from
    sklearn.feature_selection import mutual_info_classif``, a ``SelectKBest`` built with
    it) keep the original: patch first."""
    _PATCH.patch()


def unpatch() -> None:
    """Restore scikit-learn's own functions (identity); a no-op when not patched."""
    _PATCH.unpatch()


def patched() -> AbstractContextManager[None]:
    """``with patched(): ...``: scikit-learn patched inside the block, the state found
    restored after it."""
    return _PATCH.patched()


def is_patched() -> bool:
    """True while scikit-learn is patched."""
    return _PATCH.is_patched()
