"""The fused Poisson-bootstrap path of the kernel (softent.soft.bootstrap.poisson_bootstrap):
weights equal an independent re-implementation of the counter-based draw, replicate
histograms equal the weighted sums of the materialised assignments, chunks with their row
offsets reproduce the whole array, and the weights have Poisson(1) moments. The kernel
tests run on every device (``device`` fixture: NumPy on "cpu", CUDA tensors on "cuda")."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import softent
from cases import METRICS, TEMPERATURES, host, put
from reference.bootstrap import poisson_weights
from reference.soft import assignments
from softent import Accumulator
from softent.soft.bins import Bins
from softent.soft.bootstrap import poisson_bootstrap


def test_kernel_weights_equal_the_reference_draw(device):
    # One bin (q = 1) and one label per row: the replicate histograms are the weights.
    n, r, seed = 257, 5, 12345
    z = put(np.random.default_rng(0).normal(size=(n, 3)), device)
    bins = Bins(np.ones((1, 3)), "cosine", 1.0)
    reps = poisson_bootstrap(z, {"row": put(np.arange(n), device)}, bins, r, seed=seed)
    got = np.stack([rep["sets"]["row"][1][:, 0] for rep in reps])
    np.testing.assert_array_equal(got, poisson_weights(seed, n, r))
    np.testing.assert_allclose(np.stack([rep["total"][0] for rep in reps]), got.sum(1), rtol=1e-12)


def test_weights_have_poisson_moments(device):
    n, r = 4000, 25
    z = put(np.ones((n, 2)), device)
    bins = Bins(np.ones((1, 2)), "dot", 1.0)
    w = np.stack(
        [
            rep["sets"]["row"][1][:, 0]
            for rep in poisson_bootstrap(z, {"row": np.arange(n)}, bins, r, seed=3)
        ]
    )
    # mean 1, variance 1, P(0) = 1/e; 1e5 draws: standard errors ~0.003-0.006
    assert abs(w.mean() - 1) < 0.02
    assert abs(w.var() - 1) < 0.04
    assert abs((w == 0).mean() - np.exp(-1)) < 0.01
    # different seeds and different replicates draw different resamples
    w2 = np.stack(
        [
            rep["sets"]["row"][1][:, 0]
            for rep in poisson_bootstrap(z, {"row": np.arange(n)}, bins, r, seed=4)
        ]
    )
    assert not np.array_equal(w, w2)
    assert not np.array_equal(w[0], w[1])


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_replicates_equal_weighted_reference(clustered, metric, dtype, device):
    z, labels, centres = clustered
    temperature, r, seed = TEMPERATURES[metric], 4, 99
    labels = labels.copy()
    labels[::7] = -1  # an ordinary label value (-1 no longer masks a row)
    bins = Bins(centres, metric, temperature)
    reps = poisson_bootstrap(
        put(z.astype(dtype), device),
        {"y": put(labels, device), "parity": labels % 2 == 0},
        bins,
        r,
        seed=seed,
    )
    q = assignments(z, centres, metric, temperature)
    w = poisson_weights(seed, len(z), r)
    rtol = 1e-10 if dtype == np.float64 else 2e-5
    for rep, wr in zip(reps, w, strict=False):
        np.testing.assert_allclose(rep["total"], wr @ q, rtol=rtol)
        values, per_label, counts = rep["sets"]["y"]
        np.testing.assert_array_equal(values, np.arange(-1, 6))
        for j, k in enumerate(values):
            rows = labels == k
            np.testing.assert_allclose(per_label[j], wr[rows] @ q[rows], rtol=rtol, atol=1e-12)
            np.testing.assert_allclose(counts[j], wr[rows].sum(), rtol=rtol)
        values, per_label, _ = rep["sets"]["parity"]
        np.testing.assert_array_equal(values, [False, True])
        np.testing.assert_allclose(
            per_label[1], wr[labels % 2 == 0] @ q[labels % 2 == 0], rtol=rtol
        )


def test_chunks_with_row_offsets_reproduce_the_whole(clustered, device):
    z, _labels, centres = clustered
    z = put(z, device)
    bins = Bins(centres, "cosine", 0.1)
    whole = poisson_bootstrap(z, None, bins, 3, seed=5)
    cuts = [0, 1, 300, 301, 1013]
    parts = [
        poisson_bootstrap(z[a:b], None, bins, 3, seed=5, row_offset=a)
        for a, b in itertools.pairwise(cuts)
    ]
    for r in range(3):
        np.testing.assert_allclose(sum(p[r]["total"] for p in parts), whole[r]["total"], rtol=1e-12)


def test_replicates_do_not_change_the_point_estimate(clustered, device):
    """The point estimate of a fused pass with replicates is the plain pass's, bit for bit."""
    z, _labels, centres = clustered
    z = put(z, device)
    bins = Bins(centres, "euclidean", 0.7)
    plain = Accumulator(bins).update(z).state_dict()
    both = Accumulator(bins, bootstrap=3, bootstrap_seed=1).update(z).state_dict()
    np.testing.assert_array_equal(both["total"], plain["total"])
    np.testing.assert_array_equal(
        plain["total"],
        host(softent.soft_histogram(z, centres=centres, metric="euclidean", temperature=0.7).total),
    )
    assert not np.allclose(both["total_replicates"][0], both["total"])


def test_bad_arguments(clustered):
    z, labels, centres = clustered
    bins = Bins(centres, "cosine", 0.1)
    with pytest.raises(
        ValueError, match=r"n_resamples must be an int in \[1, 4611686018427387904\], got 0"
    ):
        poisson_bootstrap(z, None, bins, 0)
    with pytest.raises(ValueError, match="seed must be"):
        poisson_bootstrap(z, None, bins, 2, seed=-1)
    with pytest.raises(ValueError, match=r"label_sets\['y'\]"):
        poisson_bootstrap(z, {"y": labels[:-1]}, bins, 2)
    with pytest.raises(ValueError, match="n_resamples must be small enough"):
        poisson_bootstrap(z, {"y": np.arange(len(z))}, bins, 200_000)
    with pytest.raises(ValueError, match="z must be"):
        poisson_bootstrap(z[:, :3], None, bins, 2)
    with pytest.raises(
        ValueError, match=r"row_offset must be an int in \[0, 4611686018427387904\]"
    ):
        poisson_bootstrap(z, None, bins, 2, row_offset=2**70)
    assert softent.soft.bootstrap.poisson_bootstrap is poisson_bootstrap


def test_torch_tensors_give_the_numpy_replicates(clustered, device):
    """CPU and CUDA tensors (torch even on "cpu") give the replicates of NumPy input."""
    torch = pytest.importorskip("torch")

    z, labels, centres = clustered
    bins = Bins(centres, "cosine", 0.1)
    want = poisson_bootstrap(z, {"y": labels}, bins, 3, seed=8)
    got = poisson_bootstrap(torch.tensor(z, device=device), {"y": labels}, bins, 3, seed=8)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a["total"], b["total"], rtol=1e-12)
        np.testing.assert_allclose(a["sets"]["y"][1], b["sets"]["y"][1], rtol=1e-12, atol=1e-14)


def test_replicates_in_several_passes_equal_one_pass(clustered, device):
    """A small pass budget splits the replicates into groups (replicate_offset in the
    kernel): replicate r keeps its weights."""
    from softent.soft.bootstrap import iter_poisson_bootstrap

    z, labels, centres = clustered
    z = put(z, device)
    bins = Bins(centres, "cosine", 0.1)
    whole = poisson_bootstrap(z, {"y": labels}, bins, 7, seed=2)
    per_replicate = (1 + 6) * bins.n_bins * 8
    for budget in (1, 3 * per_replicate):  # one replicate per pass; two per pass
        parts = list(
            iter_poisson_bootstrap(z, {"y": labels}, bins, 7, seed=2, max_pass_bytes=budget)
        )
        assert len(parts) == 7
        for a, b in zip(parts, whole, strict=True):
            np.testing.assert_allclose(a["total"], b["total"], rtol=1e-12)
            np.testing.assert_allclose(a["sets"]["y"][1], b["sets"]["y"][1], rtol=1e-12, atol=1e-14)


def test_iterator_checks_its_arguments_before_the_first_pass(clustered):
    from softent.soft.bootstrap import iter_poisson_bootstrap

    z, labels, centres = clustered
    with pytest.raises(ValueError, match=r"label_sets\['y'\]"):
        iter_poisson_bootstrap(z, {"y": labels[:-1]}, Bins(centres, "cosine", 0.1), 3)
