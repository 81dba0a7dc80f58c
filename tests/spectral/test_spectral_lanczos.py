"""softent.spectral's stochastic Lanczos quadrature (method="lanczos" / "sparse"): on 40
seeded problems the exact dense DSE lies inside the reported 95% interval in >= 90% of
them; the matrix-free tiled product gives the stored matrix's numbers; the kNN-sparsified
operator with every neighbour is the dense kernel; "auto" picks by N."""

from __future__ import annotations

import math

import numpy as np
import pytest
import softent.spectral as sp
import softent.spectral.lanczos as slq


def _problem(seed: int):
    rng = np.random.default_rng(1000 + seed)
    n = int(rng.integers(300, 600))
    d = int(rng.choice([3, 16, 64]))
    t = float(rng.choice([0.5, 1.0, 2.0, 5.0, 20.0]))
    x = rng.normal(size=(n, d))
    if seed % 2:
        centres = rng.normal(0, 4, (int(rng.integers(2, 7)), d))
        x += centres[rng.integers(0, centres.shape[0], n)]
    sigma = ["knn", "median", float(np.sqrt(d))][seed % 3]
    return x, t, sigma


def test_the_dense_value_lies_in_the_95_percent_interval_in_90_percent_of_40_problems():
    inside = 0
    for seed in range(40):
        x, t, sigma = _problem(seed)
        dense = sp.diffusion_spectral_entropy(x, t=t, sigma=sigma).value
        r = sp.diffusion_spectral_entropy(x, t=t, sigma=sigma, method="lanczos", seed=seed)
        assert r.method == "lanczos-stored"
        assert r.stderr > 0
        inside += abs(r.value - dense) <= 1.959963984540054 * r.stderr
    assert inside >= 36, inside


def test_more_probes_shrink_the_standard_error():
    x, t, _ = _problem(1)
    few = sp.diffusion_spectral_entropy(x, t=t, method="lanczos", probes=8)
    many = sp.diffusion_spectral_entropy(x, t=t, method="lanczos", probes=64)
    assert many.stderr < few.stderr


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_matrix_free_product_gives_the_stored_matrix_s_numbers(dtype):
    x, t, sigma = _problem(3)
    x = x.astype(dtype)
    kw = {"t": t, "sigma": sigma, "method": "lanczos", "probes": 6, "steps": 12}
    stored = sp.diffusion_spectral_entropy(x, matrix_free=False, **kw)
    tiles = sp.diffusion_spectral_entropy(x, matrix_free=True, **kw)
    tiles1 = sp.diffusion_spectral_entropy(x, matrix_free=True, num_threads=1, **kw)
    assert tiles.method == "lanczos-matrix-free"
    # the stored matrix is kept in float32: the same numbers to its rounding
    assert tiles.value == pytest.approx(stored.value, rel=1e-5, abs=1e-9)
    assert tiles.stderr == pytest.approx(stored.stderr, rel=1e-3, abs=1e-9)
    assert tiles1.value == pytest.approx(tiles.value, rel=1e-12, abs=1e-14)


def test_the_sparse_operator_with_every_neighbour_is_the_dense_kernel():
    x, t, _ = _problem(5)
    n = x.shape[0]
    kw = {"t": t, "probes": 6, "steps": 12, "seed": 3}
    stored = sp.diffusion_spectral_entropy(x, method="lanczos", **kw)
    sparse = sp.diffusion_spectral_entropy(x, method="sparse", neighbours=n - 1, **kw)
    assert sparse.method == "sparse"
    assert sparse.value == pytest.approx(stored.value, rel=1e-5)


def test_the_sparse_operator_approximates_the_dense_value_on_clusters():
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 6, (4, 32))
    x = centres[np.repeat(np.arange(4), 150)] + rng.normal(size=(600, 32))
    dense = sp.diffusion_spectral_entropy(x, t=50).value
    sparse = sp.diffusion_spectral_entropy(x, t=50, method="sparse")
    assert abs(sparse.value - dense) <= 4 * sparse.stderr + 0.01
    assert dense == pytest.approx(math.log(4), abs=0.05)


def test_the_default_steps_are_20_for_lanczos_and_40_for_sparse():
    x, t, _ = _problem(2)
    kw = {"t": t, "probes": 4, "seed": 1}
    lz = sp.diffusion_spectral_entropy(x, method="lanczos", **kw)
    assert lz.value == sp.diffusion_spectral_entropy(x, method="lanczos", steps=20, **kw).value
    assert lz.value != sp.diffusion_spectral_entropy(x, method="lanczos", steps=40, **kw).value
    spr = sp.diffusion_spectral_entropy(x, method="sparse", **kw)
    assert spr.value == sp.diffusion_spectral_entropy(x, method="sparse", steps=40, **kw).value
    assert spr.value != sp.diffusion_spectral_entropy(x, method="sparse", steps=20, **kw).value


def test_auto_is_dense_for_small_n():
    x, t, _ = _problem(0)
    r = sp.diffusion_spectral_entropy(x, t=t, method="auto")
    assert r.method == "dense"
    assert r.stderr == 0


def test_dsmi_by_lanczos_agrees_with_dense():
    rng = np.random.default_rng(4)
    centres = rng.normal(0, 5, (3, 16))
    labels = np.repeat(np.arange(3), 120)
    x = centres[labels] + rng.normal(size=(360, 16))
    dense = sp.diffusion_spectral_mutual_information(x, labels, t=5, repetitions=2)
    slq = sp.diffusion_spectral_mutual_information(
        x, labels, t=5, repetitions=2, method="lanczos", probes=16
    )
    assert slq.method == "lanczos-stored"
    assert abs(slq.value - dense.value) <= 4 * slq.stderr + 1e-3


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"probes": 1}, "probes"),
        ({"steps": 0}, "steps"),
        ({"neighbours": 0}, "neighbours"),
        ({"seed": -1}, "seed"),
        ({"matrix_free": 1}, "matrix_free"),
    ],
)
def test_bad_lanczos_options_are_refused(kw, match):
    x = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises((ValueError, TypeError), match=match):
        sp.diffusion_spectral_entropy(x, method="lanczos", **kw)


def test_adjacency_entropy_has_no_lanczos_method():
    x = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match="method"):
        sp.adjacency_spectral_entropy(x, method="lanczos")


# --------------------------------------------------------------------- probes in blocks
def _diffusion_matrix(seed: int, n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """A small exact K = D^-1/2 G D^-1/2 (reference kernel) and its unit top eigenvector."""
    from reference import spectral as ref

    x = np.random.default_rng(seed).normal(size=(n, 3))
    g = ref.gaussian(x, sigma=ref.median_distance(x))
    deg = g.sum(1)
    top = np.sqrt(deg) / np.linalg.norm(np.sqrt(deg))
    return ref.normalise(g, "symmetric"), top


@pytest.mark.parametrize("block", [1, 3, 7, None])
@pytest.mark.parametrize("t", [0.5, 1.0, 4.0])
def test_slq_with_full_steps_is_hutchinson_with_exact_quadratic_forms(block, t):
    from reference import lanczos as ref

    k, top = _diffusion_matrix(1)
    n = k.shape[0]
    before = k.copy()
    est = slq.slq_entropy(lambda v: k @ v, n, t, probes=7, steps=n, seed=5, top=top, block=block)
    assert est.value == pytest.approx(ref.hutchinson_entropy(k, t, 7, 5, top), abs=1e-9)
    assert est.probes == 7
    np.testing.assert_array_equal(k, before)


def test_the_identity_gives_log_n_exactly():
    # every eigenvalue 1: p uniform, H = log n; Lanczos stops after one step (invariant),
    # and Rademacher probes have ||z||^2 = n exactly (none deflated: no top vector)
    n = 50
    for block in (1, 4, None):
        est = slq.slq_entropy(lambda v: v.copy(), n, 2.0, probes=9, steps=10, seed=0, block=block)
        assert est.value == pytest.approx(math.log(n), rel=1e-13)
        assert est.stderr < 1e-10


@pytest.mark.parametrize("block", [1, 5, 11])
def test_blocked_probes_give_the_unblocked_numbers(block):
    k, top = _diffusion_matrix(2, n=120)
    widths: list[int] = []

    def apply(v: np.ndarray) -> np.ndarray:
        widths.append(v.shape[1])
        return k @ v

    kw = {"probes": 12, "steps": 15, "seed": 3, "top": top}
    whole = slq.slq_entropy(apply, 120, 1.5, block=12, **kw)
    assert set(widths) == {12}
    widths.clear()
    parts = slq.slq_entropy(apply, 120, 1.5, block=block, **kw)
    # each block is run for all steps; the last block holds the remainder
    full, rest = divmod(12, block)
    assert widths == [block] * (15 * full) + [rest] * (15 * (rest > 0))
    assert parts.value == pytest.approx(whole.value, rel=1e-10, abs=1e-12)
    assert parts.stderr == pytest.approx(whole.stderr, rel=1e-8, abs=1e-12)


@pytest.mark.parametrize("n", [10, 1000, 100_000, 2_000_000])
@pytest.mark.parametrize("steps", [1, 20, 40, 500])
@pytest.mark.parametrize("probes", [2, 32, 1000])
def test_the_probe_block_keeps_the_basis_within_its_budget(n, steps, probes):
    b = slq.probe_block(n, steps, probes)
    basis = 8 * n * steps  # bytes of one probe's basis [steps, n] float64
    assert 1 <= b <= probes
    assert b * basis <= slq.BASIS_BYTES or b == 1  # within budget, or one probe at least
    assert b == probes or (b + 1) * basis > slq.BASIS_BYTES  # the most that fit
    assert slq.slq_bytes(n, steps, probes) == 8 * n * (probes + b * (steps + 4))


def test_the_default_block_is_what_slq_runs():
    k, top = _diffusion_matrix(3, n=60)
    widths: list[int] = []

    def apply(v: np.ndarray) -> np.ndarray:
        widths.append(v.shape[1])
        return k @ v

    slq.slq_entropy(apply, 60, 1.0, probes=10, steps=8, seed=0, top=top)
    assert set(widths) == {slq.probe_block(60, 8, 10)} == {10}
