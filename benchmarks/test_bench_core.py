"""softent's fused forward pass against its baselines, on the same seeded data, in one run.

Each pytest-benchmark ``group`` is one comparison (one task at one size); its members:

- ``softent``     softent.entropy / softent.information
- ``matmul``      one bare float32 numpy.matmul [N, D] x [D, B] (the roofline; H groups)
- ``numpy``       the plain NumPy formula (tests/reference/soft.py: N x B scores by
                  matmul, softmax, sums), in float32
- ``torch``       the same reference in torch (torch.softmax, index_add)
- ``se-oneshot``  soft-entropy's one-shot soft_entropy / soft_mutual_information (numpy backend)
- ``se-acc``      soft-entropy's SoftEntropyAccumulator (numpy backend)
- ``nam``         nam-entropy's compute_all_entropy_measures (smoothing_fn='softmax',
                  online_bins=C.view(B, 1, D)); its EntropyAccumulator when the batch
                  call would not fit in memory (see benchmarks.soft.nam_information)

Cosine groups use soft-entropy's reference points (= softent.spherical_bins(B, D, seed))
and its calibrated ε as temperature for every member; Euclidean groups share box centres
and one temperature. Every member's (H, H(Z|L), I) is checked against softent's.
The peers run only where importable. Sizes: small by default (CI smoke:
``pytest benchmarks --benchmark-disable``), N = 100k with ``SOFTENT_BENCH_FULL=1``.
``python -m benchmarks`` prints the same comparisons (:mod:`benchmarks.soft`) as a table of
ratios with memory.
"""

from __future__ import annotations

import functools
import math
import warnings

import pytest

from benchmarks import soft
from benchmarks._harness import data, env
from benchmarks._harness.env import size

# The peers' own deprecation/user warnings are not what these files test.
pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::FutureWarning"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

SIZES = size(
    [(2_000, 64, 100), (2_000, 768, 100), (2_000, 64, 1000)],
    [(100_000, d, b) for d in (768, 64) for b in (100, 1000)],
)
IDS = [f"N{n}-D{d}-B{b}" for n, d, b in SIZES]
#: nam-entropy's path needs ~8 * rows * B * D bytes; this caps its chunk (and skips sizes
#: it cannot do in a bearable time; see docs/peers.md: ~60 s at N=100k, D=768, B=100)
NAM_MAX_BYTES = 2 << 30
NAM_MAX_NBD = 8e9

SLOW = {"nam", "se-oneshot"}  # one round at full size


def need(module: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pytest.importorskip(module)


@functools.lru_cache(maxsize=8)
def inputs(task: str, n: int, d: int, b: int) -> soft.Inputs:
    z, labels = data.cached_clustered(n, d)
    lab50k = data.token_labels(n, 50_000) if task == "I-cos-50k" else None
    opts = {"nam_chunk": 8192, "max_bytes": NAM_MAX_BYTES}
    return soft.task_inputs(task, z, labels, b, 0, lab50k, env.THREADS, opts)


@functools.lru_cache(maxsize=8)
def reference(task: str, n: int, d: int, b: int) -> tuple[float, float, float]:
    fn, _ = soft.candidate("softent", inputs(task, n, d, b))
    return fn()


def run(timed, benchmark, task: str, cand: str, nbd: tuple[int, int, int], threads: int) -> None:
    n, d, b = nbd
    if cand in soft.NEEDS:
        need(soft.NEEDS[cand])
    x = inputs(task, n, d, b)
    metric, labels = soft.TASKS[task].metric, soft.TASKS[task].labels
    what = (
        "H"
        if labels is None
        else f"H+H(Z|L)+I, {'10' if labels == '10' else '50,000-value'} labels"
    )
    benchmark.group = f"{task} {metric} {what}, N={n} D={d} B={b}"
    fn, note = soft.candidate(cand, x)
    benchmark.extra_info.update({"note": note, "threads": threads, "temperature": x.temperature})
    slow = cand in SLOW and env.full()
    out = timed(fn, rounds=1 if slow else None, warmup=not slow)
    if out is not None:
        want = reference(task, n, d, b)
        tol = 2e-3 * want[0]  # float32 scores; peers differ in where they clamp/normalise
        for got_v, want_v in zip(out, want, strict=False):
            if not (
                math.isnan(want_v) or math.isnan(got_v)
            ):  # soft-entropy's one-shot MI returns only I
                assert got_v == pytest.approx(want_v, abs=tol), (cand, out, want)


@pytest.mark.parametrize("nbd", SIZES, ids=IDS)
@pytest.mark.parametrize("cand", soft.TASKS["H-cos"].candidates)
def test_entropy_cosine(benchmark, timed, threads, cand, nbd):
    """H(Z), cosine: softent vs the formulas, the matmul roofline, soft-entropy."""
    run(timed, benchmark, "H-cos", cand, nbd, threads)


@pytest.mark.parametrize("nbd", SIZES, ids=IDS)
@pytest.mark.parametrize("cand", soft.TASKS["I-cos-10"].candidates)
def test_information_cosine_10_labels(benchmark, timed, threads, cand, nbd):
    """H, H(Z|L), I with 10 labels, cosine: softent vs the formulas and soft-entropy
    (one-shot soft_mutual_information and SoftEntropyAccumulator)."""
    run(timed, benchmark, "I-cos-10", cand, nbd, threads)


@pytest.mark.parametrize("nbd", SIZES[:1], ids=IDS[:1])
@pytest.mark.parametrize("cand", soft.TASKS["I-cos-50k"].candidates)
def test_information_cosine_token_labels(benchmark, timed, threads, cand, nbd):
    """The same with 50,000-value token-style labels (min(N, 50,000) values present)."""
    if cand == "se-oneshot" and env.full():
        pytest.skip(
            "soft-entropy's one-shot MI reruns the whole estimate per label: hours for 50,000 labels"
        )
    run(timed, benchmark, "I-cos-50k", cand, nbd, threads)


@pytest.mark.parametrize("nbd", SIZES, ids=IDS)
@pytest.mark.parametrize("cand", soft.TASKS["I-euc-10"].candidates)
def test_information_euclidean_10_labels(benchmark, timed, threads, cand, nbd):
    """H, H(Z|L), I with 10 labels, Euclidean -|z - c|: softent vs the formulas and
    nam-entropy (batch call, or its EntropyAccumulator when the batch does not fit)."""
    n, d, b = nbd
    if cand == "nam" and n * d * b > NAM_MAX_NBD:
        pytest.skip(
            f"nam-entropy at N*D*B = {n * d * b:.1e} would take minutes (~7.8 ns per N*D*B)"
        )
    run(timed, benchmark, "I-euc-10", cand, nbd, threads)
