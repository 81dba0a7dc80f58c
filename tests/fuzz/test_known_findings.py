"""One reproduction of each known fuzz finding (known_findings.py), as a strict xfail.

Each builds the smallest call that shows the bug and asserts the fuzz contract on it
(fuzz_core.judge). They fail today; when a bug is fixed its test passes, xfail_strict turns
that into a failure, and the fixer removes the entry here and in known_findings.py (after
which test_fuzz.py checks that class of input again).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import softent
import softent.compat.sklearn
import softent.discrete as sd
import softent.knn
import softent.torch as stt
import torch
from fuzz_core import Call, judge
from fuzz_targets import RATIOS
from known_findings import KNOWN, known


def _neg_bit(t: torch.Tensor) -> torch.Tensor:
    """``t`` as a view with the negative bit set (the values are t's)."""
    return torch.complex(torch.zeros_like(t), -t).conj().imag


def _layer_w() -> np.ndarray:
    w = np.random.default_rng(0).normal(size=(4, 4))
    w[1, 0] = 1e308
    return w


def _float16_z() -> torch.Tensor:
    """55 float16 values ~1e-3 (seeded) whose euclidean soft-entropy gradient exceeds
    float16's range (its entries beyond 65504 are ±inf, the cast of the float32 gradient:
    documented, and allowed by the judge)."""
    g = torch.Generator().manual_seed(10)
    return (torch.randn(55, 1, generator=g) * 1e-3).half().requires_grad_()


Z = np.random.default_rng(0).normal(size=(8, 3))


def _read_only(a: np.ndarray) -> np.ndarray:
    a = a.copy()
    a.flags.writeable = False
    return a


def _euclidean_tiny_z() -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return (torch.randn(64, 6, generator=g) * 1e-23).requires_grad_()


#: one reproduction per entry of known_findings.KNOWN (none open)
REPRODUCTIONS: dict = {}


def test_every_known_finding_has_a_reproduction():
    assert set(REPRODUCTIONS) == {k.key for k in KNOWN}


@pytest.mark.parametrize("key", sorted(REPRODUCTIONS))
def test_each_reproduction_is_recognised_as_its_known_finding(key: str):
    """What CI tolerates (known()) is what the reproduction shows: a pattern that no longer
    matches its own bug would let the bug pass unnoticed, or fail CI on it."""
    call = REPRODUCTIONS[key]()
    verdict = judge(call)
    if verdict.good:
        pytest.skip("fixed: test_known_finding reports it as XPASS")
    match = known(call, verdict)
    assert match is not None, verdict
    assert match.key == key, verdict


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(
            k.key, marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=k.what)
        )
        for k in KNOWN
    ],
)
def test_known_finding(key: str):
    call = REPRODUCTIONS[key]()
    verdict = judge(call)
    assert verdict.good, f"{verdict.kind}: {verdict.detail}\n  call: {call!r}"


#: findings fixed since the first long run: their reproductions now meet the contract
#: (each class also has its own tests: tests/discrete/test_discrete_hostile.py,
#: tests/soft/test_soft_hostile.py, tests/torch_api/test_torch_hostile.py)
FIXED = {
    # float32 data of scale 1e-23, euclidean: squared distances ~1e-46 underflowed float32
    # (H silently 0.49 nats instead of 1.05, gradient NaN); the op now reads rows and centres
    # scaled by a power of 2 inside its kernels (SoftHistParams::row_scale, T by the scores'
    # factor, the gradients scaled back). tests/soft/test_tiny_scale.py checks the values and
    # gradients against float64 and the reference, at scales 1e-30 .. 1e25.
    "float32_euclidean_underflow": lambda: Call(
        "softent.torch.conditional_entropy",
        stt.conditional_entropy,
        (_euclidean_tiny_z(), np.arange(64) % 6),
        {"n_bins": 3, "metric": "euclidean"},
    ),
    "code_dtype_str": lambda: Call(
        "softent.discrete.quantise.code_dtype", sd.quantise.code_dtype, ("3",)
    ),
    "monitor_sample_every_none": lambda: Call(
        "softent.torch.LayerMonitor",
        lambda: stt.LayerMonitor(
            torch.nn.Sequential(torch.nn.Linear(4, 3)), ["0"], sample_every=None
        ).close(),
    ),
    "ragged_lists": lambda: Call("softent.entropy", softent.entropy, ([[1.0, 2.0], [3.0]],)),
    "floor_unvalidated": lambda: Call(
        "softent.discrete.entropy_of_masses", sd.entropy_of_masses, (None,)
    ),
    "floor_unvalidated_nan": lambda: Call(
        "softent.discrete.entropy_of_masses", sd.entropy_of_masses, (np.array([np.nan, 1.0]),)
    ),
    "floor_unvalidated_unit_name": lambda: Call("softent.discrete.unit_name", sd.unit_name, ("2",)),
    "bfloat16_centres": lambda: Call(
        "softent.Accumulator",
        softent.Accumulator,
        (),
        {"centres": torch.randn(4, 3, generator=torch.Generator().manual_seed(0)).bfloat16()},
    ),
    "extreme_weights": lambda: Call(
        "softent.discrete.counting.histogram",
        sd.counting.histogram,
        (np.zeros(3, np.int64),),
        {"weights": np.full(3, 1e308)},
    ),
    "extreme_weights_subnormal": lambda: Call(
        "softent.discrete.estimate.entropy",
        sd.estimate.entropy,
        (np.array([0, 1, 1]),),
        {"weights": np.full(3, 5e-324), "estimator": "miller_madow"},
    ),
    "bins_unvalidated": lambda: Call(
        "softent.Bins",
        lambda: repr(softent.Bins(np.array([1.0, 2.0]), "dot", 0.05)),
    ),
    "negative_bit_tensor": lambda: Call(
        "softent.discrete.entropy_from_counts",
        sd.entropy_from_counts,
        (_neg_bit(torch.tensor([1.0, 2.0, 3.0])),),
    ),
    "gaussian_capacity_subnormal_noise": lambda: Call(
        "softent.discrete.gaussian_channel_capacity", sd.gaussian_channel_capacity, (1.0, 1e-320)
    ),
    "layer_capacity_overflow": lambda: Call(
        "softent.discrete.layer_capacity", sd.layer_capacity, (_layer_w(), 1.0), {"power": 1e5}
    ),
    "layer_capacity_zero_division": lambda: Call(
        "softent.discrete.layer_capacity",
        sd.layer_capacity,
        (np.eye(2), 1e-320),
        {"power": 1.0, "allocation": "equal"},
    ),
    "measures_divide_warning": lambda: Call(
        "softent.measures_from_masses",
        softent.measures_from_masses,
        (np.array([1.0, 1.0]), np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([3.0, 4.0])),
        nan_ok=RATIOS,
    ),
    "overflow_warnings": lambda: Call(
        "softent.discrete.quantise.levels",
        sd.quantise.levels,
        (np.array([[-1e308], [-3.6e-4]]), 252),
        {"limits": (-3.0, 3.0), "out_of_range": "clip"},
    ),
    "overflow_warnings_centres": lambda: Call(
        "softent.Bins", softent.Bins, (Z * 1e307, "cosine", 0.05)
    ),
    "torch_float16_gradient": lambda: Call(
        "softent.torch.entropy",
        stt.entropy,
        (_float16_z(),),
        {"metric": "euclidean", "seed": 400},
    ),
    "mixed_torch_numpy": lambda: Call(
        "softent.discrete.estimate.conditional_mutual_information",
        sd.estimate.conditional_mutual_information,
        (torch.arange(12) % 3, np.arange(12) % 2, np.arange(12) % 4),
    ),
    "metric_unhashable": lambda: Call("softent.entropy", softent.entropy, (Z,), {"metric": [2]}),
    "information_plane_non_sequence": lambda: Call(
        "softent.torch.information_plane", stt.information_plane, (None,)
    ),
    # the C++ backward: at a saturated softmax with exact ties dL/d(1/T) is formed as
    # Σ v (s - s_max), exactly 0 there (was Σ v s: ~1e-17 times 1/T² = ±inf); the cosine
    # gradient reads unit rows and divides by ||z|| last (was 0 · inf = NaN for a row of
    # subnormal values). tests/soft/test_backward_extremes.py checks the values.
    "subnormal_row_gradient": lambda: Call(
        "softent.torch.entropy",
        stt.entropy,
        (torch.tensor([[1.0], [1.0], [1.4e-45], [1.0], [-1.0]]).requires_grad_(),),
        {"temperature": 1 / 3},
    ),
    "tiny_temperature_gradient": lambda: Call(
        "softent.torch.entropy",
        stt.entropy,
        (torch.randn(64, 1, generator=torch.Generator().manual_seed(0)).requires_grad_(),),
        {
            "temperature": torch.tensor(1e-300, dtype=torch.float64, requires_grad=True),
            "seed": 29607,
            "num_threads": 1,
        },
    ),
    # the knn and pid families (fuzzed since issue 16's second pass)
    "sklearn_bfloat16_tensor": lambda: Call(
        "softent.compat.sklearn.mutual_info_classif",
        softent.compat.sklearn.mutual_info_classif,
        (torch.tensor(Z).bfloat16(), np.arange(8) % 2),
    ),
    "sklearn_scale_overflow": lambda: Call(
        "softent.compat.sklearn.mutual_info_classif",
        softent.compat.sklearn.mutual_info_classif,
        (np.array([[1e308], [-0.13], [0.5], [2.0]]), np.array([0, 0, 1, 1])),
    ),
    "sklearn_ragged_x": lambda: Call(
        "softent.compat.sklearn.mutual_info_classif",
        softent.compat.sklearn.mutual_info_classif,
        ([[1, 2], [3]], 3.0),
    ),
    "knn_torch_x_bigendian_numpy_z": lambda: Call(
        "softent.knn.conditional_mutual_information",
        softent.knn.conditional_mutual_information,
        (torch.tensor(Z), Z[:, :1], Z[:, 1:].astype(">f8")),
        {"k": 2},
    ),
    "knn_torch_x_negative_stride_z": lambda: Call(
        "softent.knn.conditional_mutual_information",
        softent.knn.conditional_mutual_information,
        (torch.tensor(Z), Z[:, :1], Z[::-1, 1:]),
        {"k": 2},
    ),
    "knn_torch_x_longdouble_z": lambda: Call(
        "softent.knn.conditional_mutual_information",
        softent.knn.conditional_mutual_information,
        (torch.tensor(Z), Z[:, :1], Z[:, 1:].astype(np.longdouble)),
    ),
    "knn_torch_x_read_only_y": lambda: Call(
        "softent.knn.mutual_information",
        softent.knn.mutual_information,
        (torch.tensor(Z), _read_only(Z[:, :2])),
        {"k": 2},
    ),
    "knn_torch_x_ragged_y": lambda: Call(
        "softent.knn.mutual_information",
        softent.knn.mutual_information,
        (torch.tensor(Z[:2]), [[1, 2], [3]]),
    ),
    "knn_ragged_y": lambda: Call(
        "softent.knn.mutual_information", softent.knn.mutual_information, (Z[:2], [[1, 2], [3]])
    ),
    "knn_noise_mean_overflow": lambda: Call(
        "softent.knn.entropy",
        softent.knn.entropy,
        (np.array([[1e308], [1e308], [0.0]]),),
        {"noise": 1e-10, "k": 1},
    ),
    "knn_group_counts_k_int64": lambda: Call(
        "softent.knn.group_neighbour_counts",
        softent.knn.group_neighbour_counts,
        (Z, np.arange(8) % 2, 2**63),
    ),
    "knn_tile_rows_huge": lambda: Call(
        "softent.knn.radius_counts",
        softent.knn.radius_counts,
        (Z, 0.5),
        {"tile_rows": 2**62},
    ),
    "knn_radii_bytes": lambda: Call(
        "softent.knn.radius_counts", softent.knn.radius_counts, (Z[:2], np.array([b"na", b"0."]))
    ),
    "knn_radii_complex": lambda: Call(
        "softent.knn.radius_counts",
        softent.knn.radius_counts,
        (Z[:2], np.array([0.5 + 0j, 0.1 + 0j])),
    ),
}


def test_sklearn_scale_is_homogeneous_near_the_float64_limit():
    """The fix of sklearn_scale_overflow keeps scikit-learn's scaling: X and X * 1e307 give
    the same estimates (X / std(X) is the same data), where the plain std overflowed."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2))
    y = x[:, 0] + 0.5 * rng.normal(size=40)
    fn = softent.compat.sklearn.mutual_info_regression
    np.testing.assert_allclose(
        fn(x * 1e307, y, random_state=0), fn(x, y, random_state=0), rtol=1e-9, atol=1e-12
    )


def test_group_counts_k_beyond_the_groups_is_lowered():
    """k is lowered to each group's rows - 1 (documented), so a huge k (< 2**63) equals it."""
    z = np.random.default_rng(1).normal(size=(10, 2))
    g = np.arange(10) % 2
    a = softent.knn.group_neighbour_counts(z, g, 2**40)
    b = softent.knn.group_neighbour_counts(z, g, 4)
    np.testing.assert_array_equal(a.radii, b.radii)
    np.testing.assert_array_equal(a.counts, b.counts)


_KNN_X = np.random.default_rng(2).normal(size=(40, 3))
_KNN_Y = np.random.default_rng(3).normal(size=(40, 2))


@pytest.mark.parametrize("as_tensor", [False, True])
def test_knn_distances_beyond_float64_are_refused_naming_the_argument(as_tensor: bool):
    """Rows whose squared Euclidean distances overflow float64 (the kernel's screen) are
    refused up front in the softent form, naming the public function and the argument (they
    reached the C++ kernel's own message, 'values too large to screen', before)."""
    big = 1e200

    def lib(a: np.ndarray) -> Any:
        return torch.tensor(a) if as_tensor else a

    x, y = lib(_KNN_X), lib(_KNN_Y)
    cases = [
        ("knn.entropy", "x", lambda: softent.knn.entropy(x * big)),
        ("knn.nearest_neighbours", "x", lambda: softent.knn.nearest_neighbours(x * big, 3)),
        ("knn.radius_counts", "x", lambda: softent.knn.radius_counts(x * big, np.ones(40))),
        (
            "knn.mutual_information",
            "y",
            lambda: softent.knn.mutual_information(x, y * big, metric="euclidean"),
        ),
        (
            "knn.conditional_mutual_information",
            "z",
            lambda: softent.knn.conditional_mutual_information(
                x, y, x[:, :1] * big, metric="euclidean"
            ),
        ),
    ]
    if not as_tensor:  # host groups
        cases.append(
            (
                "knn.group_neighbour_counts",
                "x",
                lambda: softent.knn.group_neighbour_counts(x * big, np.arange(40) % 2, 3),
            )
        )
    for api, arg, call in cases:
        with pytest.raises(ValueError, match=rf"^softent\.{api}: {arg} must be rows whose"):
            call()


def test_knn_extreme_scales_that_fit_give_the_scaled_estimates():
    """What fits is not refused: the Kozachenko-Leonenko entropy of x 2^500 is H(x) + D 500
    ln 2 (distances scale exactly), and the max-norm KSG estimate of x and y both scaled by
    2^990 (no squares: ~1e298) is that of the data at scale 1 (the same neighbours)."""
    h = softent.knn.entropy(_KNN_X)
    assert softent.knn.entropy(_KNN_X * 2.0**500) == pytest.approx(h + 3 * 500 * np.log(2), 1e-12)
    mi = softent.knn.mutual_information(_KNN_X, _KNN_Y)
    k = 2.0**990
    assert softent.knn.mutual_information(_KNN_X * k, _KNN_Y * k) == pytest.approx(mi, abs=1e-12)


@pytest.mark.parametrize("as_tensor", [False, True])
def test_knn_noise_near_float32_max_stays_finite(as_tensor: bool):
    """add_noise on float32 data near 3.4e38 gave inf (NumPy's cast warned, torch was silent):
    the noisy copy is now float64 there, the values of the noise formula, so the estimate is
    that of float64 input of the same values with the same noise."""
    top = float(np.finfo(np.float32).max)
    x32 = np.clip(np.random.default_rng(4).normal(size=(40, 2)) * 2e38, -3.3e38, 3.3e38)
    x32[:, 0] = top * np.where(np.arange(40) % 2, 1.0, -1.0)  # half the noise leaves float32
    x32 = x32.astype(np.float32)
    before = x32.copy()
    arg = torch.tensor(x32) if as_tensor else x32
    got = softent.knn.entropy(arg, noise=1e-3, seed=5)
    want = softent.knn.entropy(x32.astype(np.float64), noise=1e-3, seed=5)
    assert np.isfinite(float(got))
    assert float(got) == pytest.approx(want, rel=1e-12)
    np.testing.assert_array_equal(x32, before)


def test_knn_noise_beyond_float64_is_refused_naming_noise():
    with pytest.raises(ValueError, match=r"^softent\.knn\.entropy: noise must be small enough"):
        softent.knn.entropy(_KNN_X * 1e300, noise=1e300)


@pytest.mark.parametrize("key", sorted(FIXED))
def test_fixed_findings_stay_fixed(key: str):
    verdict = judge(FIXED[key]())
    assert verdict.good, verdict
