"""softent.spectral's estimators against the plain reference (tests/reference/spectral.py)
on seeded data, and their known answers: identical points (entropy 0), k well-separated
blobs at D = 768 (DSE at large t -> log k, DSMI against the blob labels -> H(L)),
independent labels (DSMI ~ 0), and dse-dsmi's absolute sigma = 10 on the same blobs
saturating (DSE -> log N, DSMI -> 0) where the default bandwidth does not; units."""

from __future__ import annotations

import math

import numpy as np
import pytest
import reference.spectral as ref
import softent.spectral as sp
from cases import put


def _data(n, d, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).normal(size=(n, d)).astype(dtype)


def _blobs(k=4, per=60, d=768, seed=0, spread=5.0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, spread, (k, d))
    labels = np.repeat(np.arange(k), per)
    return centres[labels] + rng.normal(size=(k * per, d)), labels


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("t", [0.5, 1.0, 3.7])
@pytest.mark.parametrize("sigma", ["knn", "median", 3.0])
def test_dse_equals_the_reference(device, dtype, t, sigma):
    x = _data(180, 10, seed=11, dtype=dtype)
    got = sp.diffusion_spectral_entropy(put(x, device), sigma=sigma, t=t)
    bw = sp.bandwidth(x, sigma)
    want = ref.dse(x, sigma=bw.sigma, scales=bw.scales, t=t)
    assert got.value == pytest.approx(want, rel=1e-4 if dtype == np.float32 else 1e-9)
    assert got.stderr == 0.0
    assert got.method == "dense"
    assert got.n == 180
    assert float(got) == got.value
    assert got.effective_number == pytest.approx(math.exp(got.value))
    assert got.top_eigenvalues[0] == pytest.approx(1.0)


@pytest.mark.parametrize("kernel", ["gaussian", "knn"])
@pytest.mark.parametrize("normalise", [None, "symmetric", "anisotropic"])
def test_ase_equals_the_reference(kernel, normalise):
    x = _data(150, 8, seed=5)
    got = sp.adjacency_spectral_entropy(x, sigma=2.5, kernel=kernel, normalise=normalise, k=6)
    g = ref.gaussian(x, 2.5) if kernel == "gaussian" else ref.knn_adjacency(x, 6)
    want = ref.entropy_of(ref.eigenvalues(ref.normalise(g, normalise)))
    assert got.value == pytest.approx(want, rel=1e-9)


def test_ase_of_the_symmetric_matrix_is_dse_at_t_1():
    x = _data(120, 6, seed=1)
    a = sp.adjacency_spectral_entropy(x, sigma=2.0, normalise="symmetric")
    d = sp.diffusion_spectral_entropy(x, sigma=2.0, t=1)
    assert a.value == pytest.approx(d.value, rel=1e-12)


@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0, 3.0])
def test_renyi_entropy_equals_the_reference(alpha):
    x = _data(140, 9, seed=2)
    bw = sp.bandwidth(x, "knn")
    got = sp.renyi_entropy(x, alpha=alpha)
    assert got.value == pytest.approx(ref.renyi(x, alpha, scales=bw.scales), rel=1e-8)
    got_fixed = sp.renyi_entropy(x, alpha=alpha, sigma=3.0)
    assert got_fixed.value == pytest.approx(ref.renyi(x, alpha, sigma=3.0), rel=1e-8)
    assert 0 <= got.value <= math.log(140) + 1e-9


@pytest.mark.parametrize("center", [False, True])
def test_effective_rank_equals_rankme(center):
    x = _data(90, 12, seed=3) @ np.diag(np.linspace(0.1, 3, 12))
    got = sp.effective_rank(x, center=center)
    assert got.value == pytest.approx(ref.rankme(x, center), rel=1e-10)
    assert 1 <= got.value <= 12
    assert sp.effective_rank(np.eye(7)).value == pytest.approx(7.0)


def test_spectral_entropy_of_given_eigenvalues():
    w = np.array([1.0, 0.5, 0.25, 0.0])
    assert sp.spectral_entropy(w, t=2) == pytest.approx(ref.entropy_of(w, 2))
    assert sp.spectral_entropy(w, t=2, base=2) == pytest.approx(ref.entropy_of(w, 2) / math.log(2))
    assert sp.spectral_entropy(np.ones(8)) == pytest.approx(math.log(8))


@pytest.mark.parametrize("repetitions", [0, 3])
def test_dsmi_equals_the_reference(repetitions):
    x = _data(160, 6, seed=8)
    labels = np.random.default_rng(1).integers(0, 3, 160)
    got = sp.diffusion_spectral_mutual_information(
        x, labels, sigma="knn", t=2.0, repetitions=repetitions, seed=4
    )
    scales = sp.bandwidth(x, "knn").scales

    def h(rows):
        return ref.dse(x[rows], scales=scales[rows], t=2.0)

    i, hh, hc = ref.mutual_information(x, labels, h, repetitions=repetitions, seed=4)
    assert got.value == pytest.approx(i, abs=1e-9)
    assert got.entropy == pytest.approx(hh, rel=1e-9)
    assert got.conditional_entropy == pytest.approx(hc, rel=1e-9)
    assert got.n_labels == 3
    assert (got.stderr == 0) == (repetitions == 0)


def test_asmi_equals_the_reference():
    x = _data(120, 5, seed=9)
    labels = np.array(["a", "b"])[np.random.default_rng(2).integers(0, 2, 120)]
    got = sp.adjacency_spectral_mutual_information(
        x, labels, sigma=2.0, normalise="symmetric", repetitions=2, seed=1
    )

    def h(rows):
        return ref.entropy_of(
            ref.eigenvalues(ref.normalise(ref.gaussian(x[rows], 2.0), "symmetric"))
        )

    i, _, _ = ref.mutual_information(
        x, np.unique(labels, return_inverse=True)[1], h, repetitions=2, seed=1
    )
    assert got.value == pytest.approx(i, abs=1e-9)


@pytest.mark.parametrize("estimator", ["dsmi", "asmi"])
def test_mutual_information_does_not_depend_on_the_thread_count(estimator):
    """The classes' and subsets' spectra run side by side on several threads (one each):
    the same numbers as one after another on one thread."""
    x = _data(300, 8, seed=12)
    labels = np.random.default_rng(3).integers(0, 4, 300)
    f = (
        sp.diffusion_spectral_mutual_information
        if estimator == "dsmi"
        else sp.adjacency_spectral_mutual_information
    )
    one, two = (f(x, labels, repetitions=3, seed=5, num_threads=th) for th in (1, 2))
    assert two.value == pytest.approx(one.value, rel=1e-12, abs=1e-12)
    assert two.stderr == pytest.approx(one.stderr, rel=1e-12, abs=1e-12)


# ---------------------------------------------------------------------- known answers


def test_identical_points_have_entropy_0():
    x = np.full((50, 768), 3.0)
    for sigma in ("knn", "median", 10.0):
        assert sp.diffusion_spectral_entropy(x, sigma=sigma).value == pytest.approx(0, abs=1e-12)
        assert sp.adjacency_spectral_entropy(x, sigma=sigma).value == pytest.approx(0, abs=1e-12)
        assert sp.renyi_entropy(x, sigma=sigma).value == pytest.approx(0, abs=1e-12)


def test_separated_blobs_at_d768_give_log_k_and_h_of_the_labels():
    """The default self-tuning bandwidth sees 4 clusters: DSE at large t -> log 4 and DSMI
    against the blob labels -> H(L) = log 4 (bits: 2)."""
    x, labels = _blobs()
    dse = sp.diffusion_spectral_entropy(x, t=200, base=2)
    assert dse.value == pytest.approx(2.0, abs=0.02)
    mi = sp.diffusion_spectral_mutual_information(x, labels, t=200, base=2)
    assert mi.value == pytest.approx(2.0, abs=0.03)


def test_dse_dsmi_absolute_sigma_saturates_on_the_same_blobs():
    """sigma = 10 at D = 768 (unit noise: distances ~ 40) and dse-dsmi's t = 1: G ~ the
    identity, every eigenvalue ~ 1, DSE -> log N and DSMI -> 0, whatever the clusters; the
    default bandwidth at the same t sees the clusters."""
    x, labels = _blobs()
    n = x.shape[0]
    dse = sp.diffusion_spectral_entropy(x, sigma=10.0, t=1)
    assert dse.value == pytest.approx(math.log(n), rel=0.001)
    mi = sp.diffusion_spectral_mutual_information(x, labels, sigma=10.0, t=1)
    assert abs(mi.value) < 0.001 * math.log(n)
    adaptive = sp.diffusion_spectral_mutual_information(x, labels, t=1)
    assert adaptive.value > 0.2


def test_independent_labels_give_about_0():
    x, _ = _blobs(seed=3)
    labels = np.random.default_rng(5).integers(0, 4, x.shape[0])
    mi = sp.diffusion_spectral_mutual_information(x, labels, t=200, repetitions=8)
    assert abs(mi.value) < 0.1  # vs log 4 = 1.39 for the blob labels
    assert abs(mi.value) < 4 * mi.stderr + 0.05


def test_units_scale_by_log_base():
    x = _data(100, 5, seed=4)
    nats = sp.diffusion_spectral_entropy(x).value
    assert sp.diffusion_spectral_entropy(x, base=2).value == pytest.approx(nats / math.log(2))


def test_results_are_frozen_with_short_repr_and_as_dict():
    r = sp.diffusion_spectral_entropy(_data(40, 3))
    with pytest.raises(AttributeError):
        r.value = 1.0  # type: ignore[misc]
    assert len(repr(r)) < 200
    assert "dse=" in repr(r)
    assert r.as_dict()["value"] == r.value
    m = sp.diffusion_spectral_mutual_information(_data(40, 3), np.arange(40) % 2)
    assert m.as_dict()["n_labels"] == 2
    assert len(repr(m)) < 250


def test_torch_input_gives_the_numpy_result():
    torch = pytest.importorskip("torch")
    x = _data(80, 5, seed=6)
    a = sp.diffusion_spectral_entropy(x, t=2).value
    b = sp.diffusion_spectral_entropy(torch.as_tensor(x), t=2).value
    assert a == pytest.approx(b, rel=1e-12)


def test_minus_one_is_a_label_like_any_other():
    # every label value is a class (softent's label rule): -1 is renamed, not masked
    x = _data(90, 4, seed=7)
    labels = np.arange(90) % 3
    renamed = np.array([-1, 5, 9])[labels]
    a = sp.diffusion_spectral_mutual_information(x, renamed, sigma=2.0, repetitions=0)
    b = sp.diffusion_spectral_mutual_information(x, labels, sigma=2.0, repetitions=0)
    assert a.value == pytest.approx(b.value, rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1e-30, 1e-170, 1e30, 1e150])
def test_rows_of_any_magnitude_give_the_unit_scale_numbers(dtype, scale):
    """Squared distances of rows near 1e-170 underflow and of rows near 1e150 overflow
    (float32: 1e-30, 1e30 in its GEMM); the estimators scale the rows by a power of two
    first, and a number sigma with them: the spectra are those of the unit-scale rows."""
    if dtype == np.float32 and scale in (1e-170, 1e150):
        scale = {1e-170: 1e-35, 1e150: 1e35}[scale]
    x = _data(60, 4, seed=12)
    xs = (x * scale).astype(dtype)
    x1 = xs.astype(np.float64) / scale
    tol = 1e-4 if dtype == np.float32 else 1e-9
    for sigma, sigma_s in (("knn", "knn"), ("median", "median"), (1.5, 1.5 * scale)):
        want = sp.diffusion_spectral_entropy(x1, sigma=sigma, t=2).value
        got = sp.diffusion_spectral_entropy(xs, sigma=sigma_s, t=2).value
        assert got == pytest.approx(want, rel=tol)
    bw = sp.bandwidth(xs, "knn")
    np.testing.assert_allclose(bw.scales / scale, sp.bandwidth(x1, "knn").scales, rtol=tol)
    assert sp.effective_rank(xs).value == pytest.approx(sp.effective_rank(x1).value, rel=tol)
