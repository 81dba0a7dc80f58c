"""softent.compat.dse_dsmi: dse-dsmi 1.1's values (pinned by
tests/parity/data/pin_dse_dsmi.py) for every option, float64 and float32; agreement with the
plain reference (tests/reference/dse_dsmi.py); known answers; the eigenvalue-file rule; no
global side effects (warning filters, Python's random state, the inputs); bad input."""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from reference import dse_dsmi as ref
from softent.compat import dse_dsmi

DATA = Path(__file__).parents[1] / "parity" / "data"
sys.path.insert(0, str(DATA))
from pin_dse_dsmi import CASES, case_data, run_case

PINS = json.loads((DATA / "dse_dsmi_pins.json").read_text())
#: the non-symmetric kNN adjacency has defective eigenvalues: another CPU's OpenBLAS kernels
#: move them by ~sqrt(eps); the pins hold to 1e-10 where they were made (and the live test
#: on any machine: both sides call the same LAPACK there)
KNN_TOLERANCE = 1e-6


def tolerance(name: str) -> float:
    return KNN_TOLERANCE if "knn" in name and "knn1" not in name else 1e-10


@pytest.fixture
def global_rngs():
    """Some cases seed NumPy's or Python's global generator, as dse-dsmi's users must:
    restore both afterwards."""
    state_py, state_np = random.getstate(), np.random.get_state()  # noqa: NPY002
    yield
    random.setstate(state_py)
    np.random.set_state(state_np)  # noqa: NPY002


@pytest.mark.parametrize("name", sorted(CASES))
def test_equals_dse_dsmi_pinned(name, tmp_path, global_rngs):
    if CASES[name][3].get("reference") == "vectors":
        pytest.importorskip("sklearn")
    got = run_case(dse_dsmi, name, str(tmp_path))
    want = PINS[name]
    for key in ("value", "loaded"):
        if key in want:
            assert got[key] == pytest.approx(want[key], abs=tolerance(name), rel=0), key
    if "clusters" in want:
        assert got["clusters"] == want["clusters"]


def test_float32_input_follows_dse_dsmis_float32_distances():
    # its float32 path differs from its float64 one by ~1e-7: both are reproduced
    assert abs(PINS["dse_default_f32"]["value"] - PINS["dse_default"]["value"]) > 1e-9
    x = case_data("dse_default_f32")["x"]
    assert x.dtype == np.float32
    assert isinstance(dse_dsmi.diffusion_spectral_entropy(x), np.float64)


# ----------------------------------------------------------------------------- reference


@pytest.fixture
def blobs():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 3, 90)
    x = rng.normal(0, 3.0, (3, 12))[labels] + 1.5 * rng.standard_normal((90, 12))
    return x, labels


@pytest.mark.parametrize(("sigma", "t"), [(10, 1), (3.0, 2), (5, 0.5), (2, 7)])
def test_dse_equals_the_reference(blobs, sigma, t):
    x, _ = blobs
    got = dse_dsmi.diffusion_spectral_entropy(x, gaussian_kernel_sigma=sigma, t=t)
    assert got == pytest.approx(ref.dse(x, sigma, t), abs=1e-10)


@pytest.mark.parametrize("kind", ["gaussian", "anisotropic", "knn3", "knn10"])
def test_ase_equals_the_reference(blobs, kind):
    x, _ = blobs
    if kind.startswith("knn"):
        k = int(kind[3:])
        got = dse_dsmi.adjacency_spectral_entropy(x, use_knn=True, knn=k)
        want = ref.ase(x, knn=k)
        assert got == pytest.approx(want, abs=KNN_TOLERANCE)
        return
    got = dse_dsmi.adjacency_spectral_entropy(x, 4.0, anisotropic=kind == "anisotropic")
    assert got == pytest.approx(ref.ase(x, 4.0, kind == "anisotropic"), abs=1e-10)


def test_matrix_entry_and_classic_equal_the_reference(blobs):
    x, _ = blobs
    mee = dse_dsmi.diffusion_spectral_entropy(x, 3.0, matrix_entry_entropy=True)
    assert mee == pytest.approx(ref.matrix_entry(x, 3.0), abs=1e-10)
    for bins in (2, 3, 5):
        cse = dse_dsmi.diffusion_spectral_entropy(
            x[:, :4], classic_shannon_entropy=True, num_bins_per_dim=bins
        )
        assert cse == pytest.approx(ref.classic(x[:, :4], bins), abs=1e-10)


def test_dsmi_equals_the_reference(blobs):
    x, labels = blobs
    got, clusters = dse_dsmi.diffusion_spectral_mutual_information(
        x, labels, gaussian_kernel_sigma=3.0, t=2, num_repetitions=3, random_seed=5
    )
    assert got == pytest.approx(ref.dsmi(x, labels, 3.0, 2, 3, 5), abs=1e-10)
    np.testing.assert_array_equal(clusters.ravel(), labels)


def test_compute_diffusion_matrix_and_exact_eigvals(blobs):
    x, _ = blobs
    k = dse_dsmi.compute_diffusion_matrix(x, sigma=3.0)
    np.testing.assert_allclose(k, ref.diffusion(x, 3.0), rtol=1e-12, atol=1e-15)
    w = dse_dsmi.exact_eigvals(k)
    np.testing.assert_allclose(w, np.linalg.eigvalsh((k + k.T) / 2), atol=1e-12)
    assert np.all(np.diff(w) >= 0)  # ascending, as eigvalsh
    assert w[-1] == pytest.approx(1.0, abs=1e-12)  # the diffusion matrix's top eigenvalue
    a = ref.knn_adjacency(x, 4)
    general = dse_dsmi.exact_eigvals(a)
    assert np.iscomplexobj(general)
    np.testing.assert_allclose(np.sort(np.abs(general)), np.sort(np.abs(np.linalg.eigvals(a))))


# ----------------------------------------------------------------------------- known answers


def test_known_answers():
    # identical rows: K = 1/N everywhere, one eigenvalue 1, DSE = 0 (up to dse-dsmi's eps)
    same = np.ones((50, 4))
    assert dse_dsmi.diffusion_spectral_entropy(same) == pytest.approx(0.0, abs=1e-11)
    # rows far apart for sigma: K = I, N equal eigenvalues, DSE = ASE = log2 N
    far = np.eye(64) * 1e3
    assert dse_dsmi.diffusion_spectral_entropy(far, t=3) == pytest.approx(6.0, abs=1e-10)
    assert dse_dsmi.adjacency_spectral_entropy(far) == pytest.approx(6.0, abs=1e-10)
    # each row its own only neighbour: the identity
    x = np.random.default_rng(0).standard_normal((32, 3))
    assert dse_dsmi.adjacency_spectral_entropy(x, use_knn=True, knn=1) == pytest.approx(5.0)
    # one row (a class of one in DSMI): a single eigenvalue, entropy 0
    assert dse_dsmi.diffusion_spectral_entropy(x[:1]) == pytest.approx(0.0, abs=1e-12)
    # a reference identical for every row: one class, the subsets are the whole set -> 0
    mi, clusters = dse_dsmi.diffusion_spectral_mutual_information(x, np.zeros(32, dtype=int))
    assert mi == pytest.approx(0.0, abs=1e-9)
    assert np.unique(clusters).tolist() == [0]


def test_a_constant_scalar_reference_is_one_bin_as_in_dse_dsmi():
    x = np.random.default_rng(1).standard_normal((40, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 0/0 warning escapes
        _, clusters = dse_dsmi.diffusion_spectral_mutual_information(x, np.full(40, 2.5))
    assert np.unique(clusters).tolist() == [10]  # dse-dsmi: NaN digitized past the last bin


def test_subsampling_uses_random_sample_after_seed():
    x = np.random.default_rng(2).standard_normal((300, 5))
    rows = random.Random(9).sample(range(300), k=120)
    want = dse_dsmi.diffusion_spectral_entropy(x[rows], 2.0, max_N=None)
    assert dse_dsmi.diffusion_spectral_entropy(x, 2.0, max_N=120, random_seed=9) == want


# ----------------------------------------------------------------------------- no side effects


def test_importing_and_calling_leave_the_warning_filters_alone():
    # (SciPy's own import adds filters: it comes first)
    code = (
        "import warnings, numpy as np, softent, scipy.sparse, scipy.linalg, scipy.special; "
        "before = list(warnings.filters); "
        "from softent.compat import dse_dsmi; "
        "dse_dsmi.diffusion_spectral_entropy(np.eye(5)); "
        "raise SystemExit(0 if warnings.filters == before else 1)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_seeded_draws_leave_the_global_random_state_alone(global_rngs):
    x = np.random.default_rng(4).standard_normal((90, 4))
    labels = np.repeat(np.arange(3), 30)
    state = random.getstate()
    dse_dsmi.diffusion_spectral_entropy(x, max_N=50, random_seed=3)
    dse_dsmi.diffusion_spectral_mutual_information(x, labels, num_repetitions=2)
    assert random.getstate() == state
    # unseeded draws come from the global state, as in dse-dsmi
    random.seed(1)
    a = dse_dsmi.diffusion_spectral_entropy(x, 3.0, max_N=50, random_seed=None)
    random.seed(1)
    assert dse_dsmi.diffusion_spectral_entropy(x, 3.0, max_N=50, random_seed=None) == a


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_inputs_are_not_modified(dtype):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((60, 4)).astype(dtype)
    labels = rng.integers(0, 3, (60, 1))
    scalar = rng.standard_normal(60)
    keep = x.copy(), labels.copy(), scalar.copy()
    dse_dsmi.diffusion_spectral_entropy(x, matrix_entry_entropy=True)
    dse_dsmi.diffusion_spectral_entropy(x, classic_shannon_entropy=True)
    dse_dsmi.adjacency_spectral_entropy(x, use_knn=True, knn=5)
    _, c1 = dse_dsmi.diffusion_spectral_mutual_information(x, labels, num_repetitions=1)
    _, _c2 = dse_dsmi.adjacency_spectral_mutual_information(x, scalar, num_repetitions=1)
    dse_dsmi.exact_eigvals(dse_dsmi.compute_diffusion_matrix(x))
    c1[:] = 7  # the returned classes are a copy, not a view of the reference
    for before, after in zip(keep, (x, labels, scalar), strict=True):
        np.testing.assert_array_equal(before, after)


# ----------------------------------------------------------------------------- eigenvalue files


def test_eigenvalue_files_follow_the_loading_rule(tmp_path):
    rng = np.random.default_rng(6)
    x, other = rng.standard_normal((70, 5)), rng.standard_normal((70, 5))
    path = tmp_path / "sub" / "eig.npz"
    first = dse_dsmi.diffusion_spectral_entropy(x, 2.0, eigval_save_path=str(path))
    with np.load(path, allow_pickle=False) as z:
        assert z["eigvals"].dtype == np.float16  # dse-dsmi's default precision
    # the same input and options: read back (as float64: dse-dsmi's saving call computed in
    # float16 arithmetic, its reading call in float64 — both pinned); no input: read back too
    again = dse_dsmi.diffusion_spectral_entropy(x, 2.0, eigval_save_path=path)
    assert again == pytest.approx(first, abs=1e-2)
    assert dse_dsmi.diffusion_spectral_entropy(None, eigval_save_path=path) == again
    # another input, or another sigma: refused, never silently used
    with pytest.raises(ValueError, match=r"eigval_save_path must be .* another input"):
        dse_dsmi.diffusion_spectral_entropy(other, 2.0, eigval_save_path=path)
    with pytest.raises(ValueError, match="another input or other options"):
        dse_dsmi.diffusion_spectral_entropy(x, 3.0, eigval_save_path=path)
    with pytest.raises(ValueError, match="another input or other options"):
        dse_dsmi.adjacency_spectral_entropy(x, 2.0, eigval_save_path=path)
    # the value of a saving call comes from the rounded eigenvalues, as dse-dsmi's
    exact = dse_dsmi.diffusion_spectral_entropy(x, 2.0)
    assert first != exact
    assert first == pytest.approx(exact, abs=1e-2)
    p64 = tmp_path / "eig64.npz"
    v64 = dse_dsmi.diffusion_spectral_entropy(
        x, 2.0, eigval_save_path=p64, eigval_save_precision=np.float64
    )
    assert v64 == pytest.approx(exact, abs=1e-12)


def test_a_file_of_unknown_origin_is_read_only_without_input(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a path with no folder works (dse-dsmi's makedirs("") fails)
    x = np.random.default_rng(7).standard_normal((40, 3))
    w = np.linspace(0.1, 1.0, 40)
    with open("theirs.npz", "wb") as f:  # what dse-dsmi writes
        np.savez(f, eigvals=w.astype(np.float16))
    with pytest.raises(ValueError, match="eigenvalues of unknown origin"):
        dse_dsmi.diffusion_spectral_entropy(x, eigval_save_path="theirs.npz")
    got = dse_dsmi.diffusion_spectral_entropy(None, t=2, eigval_save_path="theirs.npz")
    p = w.astype(np.float16).astype(np.float64) ** 2
    assert got == pytest.approx(ref.bits(p / p.sum()), abs=1e-12)
    assert dse_dsmi.adjacency_spectral_entropy(x[:5], 1.0, eigval_save_path="new.npz") > 0
    assert Path("new.npz").exists()


def test_eigenvalues_that_sum_to_zero_are_refused(tmp_path):
    path = tmp_path / "zeros.npz"
    with open(path, "wb") as f:
        np.savez(f, eigvals=np.zeros(4))
    with pytest.raises(ValueError, match="t must be such that the sum of"):
        dse_dsmi.diffusion_spectral_entropy(None, eigval_save_path=path)


@pytest.mark.parametrize("content", ["pickle", "npy", "text", "no-eigvals", "nan"])
def test_files_that_are_not_eigenvalues_are_refused(tmp_path, content):
    path = tmp_path / "bad.npz"
    with open(path, "wb") as f:
        if content == "pickle":
            np.savez(f, eigvals=np.array([{"a": 1}], dtype=object))
        elif content == "npy":
            np.save(f, np.ones(3))
        elif content == "text":
            f.write(b"not numpy at all")
        elif content == "no-eigvals":
            np.savez(f, values=np.ones(3))
        else:
            np.savez(f, eigvals=np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match=r"eigval_save_path must be an \.npz file"):
        dse_dsmi.diffusion_spectral_entropy(None, eigval_save_path=path)


# ----------------------------------------------------------------------------- bad input

X = np.random.default_rng(8).standard_normal((30, 3))
LABELS = np.repeat(np.arange(3), 10)
API = "softent.compat.dse_dsmi."


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: dse_dsmi.diffusion_spectral_entropy(np.ones(5)), ValueError, "2-D"),
        (lambda: dse_dsmi.diffusion_spectral_entropy(np.ones((0, 3))), ValueError, "non-empty"),
        (
            lambda: dse_dsmi.diffusion_spectral_entropy(np.array([[1.0, np.nan]] * 3)),
            ValueError,
            "row 0",
        ),
        (lambda: dse_dsmi.diffusion_spectral_entropy(np.array([["a"]])), TypeError, "real"),
        (lambda: dse_dsmi.diffusion_spectral_entropy(None), ValueError, "embedding_vectors"),
        (lambda: dse_dsmi.diffusion_spectral_entropy(X, 0), ValueError, "gaussian_kernel_sigma"),
        (lambda: dse_dsmi.diffusion_spectral_entropy(X, -1.0), ValueError, "> 0"),
        (lambda: dse_dsmi.diffusion_spectral_entropy(X, "10"), TypeError, "sigma"),
        (lambda: dse_dsmi.diffusion_spectral_entropy(X, t=0), ValueError, "t must"),
        (lambda: dse_dsmi.diffusion_spectral_entropy(X, t=math.inf), ValueError, "t must"),
        (lambda: dse_dsmi.diffusion_spectral_entropy(X, max_N=0), ValueError, "max_N"),
        (lambda: dse_dsmi.diffusion_spectral_entropy(X, max_N=2.5), TypeError, "max_N"),
        (lambda: dse_dsmi.diffusion_spectral_entropy(X, num_bins_per_dim=0), ValueError, "bins"),
        (
            lambda: dse_dsmi.diffusion_spectral_entropy(X, chebyshev_approx="yes"),
            TypeError,
            "chebyshev_approx",
        ),
        (lambda: dse_dsmi.diffusion_spectral_entropy(X, random_seed=[1]), TypeError, "seed"),
        (lambda: dse_dsmi.diffusion_spectral_entropy(X, eigval_save_path=3), TypeError, "path"),
        (
            lambda: dse_dsmi.diffusion_spectral_entropy(X, eigval_save_precision=np.int8),
            ValueError,
            "float dtype",
        ),
        (
            lambda: dse_dsmi.adjacency_spectral_entropy(X, use_knn=True, knn=31),
            ValueError,
            "knn must be at most the number of rows",
        ),
        (lambda: dse_dsmi.adjacency_spectral_entropy(X, knn=0), ValueError, "knn"),
        (
            lambda: dse_dsmi.diffusion_spectral_mutual_information(X, LABELS[:-1]),
            ValueError,
            "reference_vectors must be 30 rows",
        ),
        (
            lambda: dse_dsmi.diffusion_spectral_mutual_information(X, LABELS > 0),
            TypeError,
            "bool",
        ),
        (
            lambda: dse_dsmi.diffusion_spectral_mutual_information(X, np.ones((30, 2, 2))),
            ValueError,
            "reference_vectors",
        ),
        (
            lambda: dse_dsmi.diffusion_spectral_mutual_information(
                X, np.ones((30, 2)), reference_discrete=True
            ),
            ValueError,
            "reference_discrete",
        ),
        (
            lambda: dse_dsmi.diffusion_spectral_mutual_information(
                X, np.linspace(0, 1, 30), precomputed_clusters=LABELS[:5]
            ),
            ValueError,
            "precomputed_clusters",
        ),
        (
            lambda: dse_dsmi.diffusion_spectral_mutual_information(X, np.r_[np.nan, np.ones(29)]),
            ValueError,
            "finite",
        ),
        (
            lambda: dse_dsmi.diffusion_spectral_mutual_information(X, LABELS, num_repetitions=0),
            ValueError,
            "num_repetitions",
        ),
        (
            lambda: dse_dsmi.adjacency_spectral_mutual_information(X, LABELS, n_clusters=0),
            ValueError,
            "n_clusters",
        ),
        (
            lambda: dse_dsmi.adjacency_spectral_mutual_information(
                X[:25], LABELS[:25] // 2, use_knn=True
            ),
            ValueError,
            "knn must be at most",
        ),
        (lambda: dse_dsmi.exact_eigvals(np.ones((3, 4))), ValueError, "square"),
        (lambda: dse_dsmi.approx_eigvals(np.ones((3, 4))), ValueError, "square"),
        (lambda: dse_dsmi.approx_eigvals(np.eye(3), filter_thr=-1.0), ValueError, "filter_thr"),
    ],
)
def test_bad_input_is_refused_naming_the_argument(call, exc, match):
    with pytest.raises(exc, match=match) as info:
        call()
    assert str(info.value).startswith(API)


def test_a_matrix_that_would_not_fit_is_refused_up_front():
    x = np.zeros((2_000_000, 1))  # 16 * N^2 = 64 TB
    with pytest.raises(ValueError, match=r"the call needs .* GiB"):
        dse_dsmi.diffusion_spectral_entropy(x, max_N=None)
