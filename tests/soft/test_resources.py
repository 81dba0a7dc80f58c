"""Calls that once crashed or hung the process: buffers that cannot fit, failed allocations
inside the kernel's threads, absurd thread counts, kernels in forked children. Each is now a
clear Python exception naming the argument, or works. Whatever might abort or hang runs in a
subprocess with a timeout, so it can never take the suite down."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import softent

FITS = r"must be small enough to fit in memory \(the call needs [\d.]+ GiB, [\d.]+ GiB available\)"


def _run(code: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter; on a timeout kill its whole process group (a
    hung forked child included) and fail."""
    with subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            pytest.fail(f"timed out after {timeout} s (hung)")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.fixture(scope="module")
def z() -> np.ndarray:
    return np.random.default_rng(0).standard_normal((2000, 8)).astype(np.float32)


def test_a_tile_taller_than_z_is_one_tile_of_z(z):
    tall = softent.soft_histogram(z, tile_rows=10**9).total
    np.testing.assert_allclose(tall, softent.soft_histogram(z, tile_rows=len(z)).total)
    np.testing.assert_allclose(tall, softent.soft_histogram(z).total, rtol=1e-5)


def test_bins_that_cannot_fit_are_refused_before_anything_is_allocated(z):
    with pytest.raises(ValueError, match=r"softent\.entropy: n_bins " + FITS):
        softent.entropy(z[:, :1], n_bins=10**9)


def test_a_tile_that_cannot_fit_is_refused_naming_tile_rows():
    z = np.ones((200_000, 1), np.float32)
    with pytest.raises(ValueError, match=r"softent\.soft_histogram: tile_rows " + FITS):
        softent.soft_histogram(z, n_bins=100_000, tile_rows=200_000)


def test_bin_centres_that_cannot_fit_are_refused_naming_n_bins():
    with pytest.raises(ValueError, match=r"softent\.spherical_bins: n_bins " + FITS):
        softent.spherical_bins(10**8, 1000)


def test_a_failed_allocation_in_the_kernel_threads_is_a_memory_error_not_an_abort():
    # An address-space limit makes the per-thread buffers fail inside the OpenMP region
    # (the up-front check reads the machine's free memory, which is larger).
    proc = _run(
        """
        import re, resource
        import numpy as np, softent
        z = np.random.default_rng(0).standard_normal((50, 1)).astype(np.float32)
        softent.entropy(z, n_bins=10, num_threads=2)
        status = open("/proc/self/status").read()
        vm = int(re.search(r"VmSize:\\s+(\\d+)", status).group(1)) * 1024
        resource.setrlimit(resource.RLIMIT_AS, (vm + (1 << 30), resource.RLIM_INFINITY))
        try:
            softent.entropy(z, n_bins=2 * 10**7, num_threads=2)  # > 1 GiB per thread
            print("fitted")
        except MemoryError as e:
            print("MemoryError" if "out of memory for the kernel's buffers" in str(e) else e)
        print(softent.entropy(z, n_bins=10) > 0)
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["MemoryError", "True"]


def test_more_threads_than_cpus_run_on_the_cpus(z):
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    many = softent.entropy(z, num_threads=1000)
    assert many == softent.entropy(z, num_threads=cpus)


def test_hundreds_of_threads_with_many_labels_work():
    rng = np.random.default_rng(1)
    z = rng.standard_normal((40_000, 4)).astype(np.float32)
    labels = rng.integers(0, 20_000, 40_000)
    h = softent.conditional_entropy(z, labels, num_threads=300)
    assert h == softent.conditional_entropy(z, labels, num_threads=1000)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_child_forked_after_a_kernel_runs_kernels_without_hanging():
    proc = _run(
        """
        import os
        import numpy as np, softent
        z = np.random.default_rng(0).standard_normal((20_000, 16)).astype(np.float32)
        parent = softent.entropy(z, num_threads=2)
        acc = softent.Accumulator(n_bins=100, dim=16)  # resolved its threads before the fork
        pid = os.fork()
        if pid == 0:
            ok = abs(softent.entropy(z, num_threads=2) - parent) < 1e-9
            ok = ok and abs(softent.entropy(z) - parent) < 1e-9
            ok = ok and acc.update(z).n_rows == len(z)
            os._exit(0 if ok else 3)
        _, status = os.waitpid(pid, 0)
        print(os.waitstatus_to_exitcode(status))
        """,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "0"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_fork_pool_after_a_kernel_finishes():
    proc = _run(
        """
        import multiprocessing as mp
        import numpy as np, softent
        z = np.random.default_rng(0).standard_normal((20_000, 16)).astype(np.float32)

        def job(seed):
            return softent.entropy(z, seed=seed)

        if __name__ == "__main__":
            softent.entropy(z)
            with mp.get_context("fork").Pool(2) as pool:
                print(len(pool.map(job, range(4))))
        """,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "4"


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name != "posix", reason="needs SIGINT")
def test_ctrl_c_stops_a_long_kernel_within_a_second_or_two():
    code = """
        import time
        import numpy as np, softent
        z = np.random.default_rng(0).standard_normal((100_000, 256)).astype(np.float32)
        print("ready", flush=True)
        softent.entropy(z, n_bins=50_000)  # tens of seconds uninterrupted
        print("finished")
    """
    with subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as proc:
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready"
            time.sleep(0.5)
            proc.send_signal(signal.SIGINT)
            sent = time.monotonic()
            out, err = proc.communicate(timeout=60)
            waited = time.monotonic() - sent
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    assert "finished" not in out
    assert err.rstrip().endswith("KeyboardInterrupt"), err
    assert waited < 5, f"the kernel went on for {waited:.1f} s after Ctrl-C"


# ----------------------------------------------------------------------------- memory bounds


def _peak_bytes(fn) -> int:
    """Peak traced Python/NumPy allocation (bytes) while ``fn()`` runs."""
    import tracemalloc

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_histograms_for_labels_that_cannot_fit_are_refused_naming_labels():
    # (1 + K) x B float64: 2e6 label values x 50,000 bins = 745 GiB
    n = 2_000_000
    z = np.ones((n, 1), dtype=np.float32)
    with pytest.raises(ValueError, match=rf"labels {FITS}, got 2000000 label values x 50000 bins"):
        softent.information(z, np.arange(n), centres=np.ones((50_000, 1)), metric="dot")


def test_the_entropy_step_of_many_labels_stays_near_one_histogram():
    # 250k labels x B = 1000 peaked at ~4x the histogram: copies in the entropy step
    rng = np.random.default_rng(0)
    k, b = 20_000, 200
    z = rng.standard_normal((2 * k, 4))
    labels = np.repeat(np.arange(k), 2)
    hist_bytes = (1 + k) * b * 8
    peak = _peak_bytes(lambda: softent.information(z, labels, n_bins=b, temperature=0.5))
    assert peak < 1.5 * hist_bytes


def test_dropping_nonfinite_rows_builds_no_n_by_d_mask():
    z = np.random.default_rng(1).standard_normal((400_000, 32)).astype(np.float32)  # 51 MB
    # a [N, D] boolean mask would be 12.8 MB; dropping nothing copies nothing
    peak = _peak_bytes(lambda: softent.soft_histogram(z, n_bins=8, nonfinite="drop"))
    assert peak < 4 << 20
    peak = _peak_bytes(lambda: softent.report(z, n_bins=8))
    assert peak < 4 << 20


def test_dropping_nonfinite_rows_gives_the_result_without_them():
    z = np.random.default_rng(2).standard_normal((3000, 5))
    bad = z.copy()
    bad[[3, 1500, 2999], [0, 2, 4]] = [np.nan, np.inf, -np.inf]
    got = softent.soft_histogram(bad, n_bins=8, temperature=0.3, nonfinite="drop")
    keep = np.ones(3000, dtype=bool)
    keep[[3, 1500, 2999]] = False
    want = softent.soft_histogram(z[keep], n_bins=8, temperature=0.3)
    assert got.n_dropped == 3
    np.testing.assert_allclose(got.total, want.total, rtol=1e-12)


@pytest.mark.parametrize("bootstrap", [10**9, 10**12])
def test_a_bootstrap_that_cannot_fit_is_refused_saying_how_much_it_needs(bootstrap):
    with pytest.raises(ValueError, match=r"^softent\.Accumulator: bootstrap must be .*GiB"):
        softent.Accumulator(n_bins=100, dim=4, bootstrap=bootstrap)


def test_default_euclidean_centres_make_no_float64_copy_of_z():
    z = np.random.default_rng(3).standard_normal((200_000, 32)).astype(np.float32)  # 25.6 MB
    peak = _peak_bytes(lambda: softent.box_bins(z, 10))
    assert peak < 1 << 20  # a float64 copy of z would be 51 MB
    lo, hi = z.astype(np.float64).min(0), z.astype(np.float64).max(0)
    want = np.random.default_rng(0).uniform(lo, hi, size=(10, 32))
    np.testing.assert_array_equal(softent.box_bins(z, 10), want)
