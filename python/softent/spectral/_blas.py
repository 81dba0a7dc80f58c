"""The thread count of the LAPACK that SciPy calls (its bundled OpenBLAS), set explicitly
around each dense eigensolve: OpenBLAS's default (every core) oversubscribes a machine
whose cores are already busy, and dse-dsmi measured 2-100x slower that way (docs/peers.md).

softent's own kernels call a separate OpenBLAS (scipy-openblas32) that the extension pins
to one thread per OpenMP thread when it loads (cpp/src/cpu/common/gemm.h); that one is
left alone here. threadpoolctl is not a dependency, so the libraries are found by name in
the process's memory map and called through ctypes (Linux; elsewhere this is a no-op and
OpenBLAS keeps its own setting).

:func:`symmetric_eigenvalues` is the other way in: THE one caller (and params builder) of
``softent._core.symmetric_eigenvalues``, LAPACK's ``dsyevd`` / ``dsyevd_2stage`` from the extension's
own OpenBLAS, which sets that library's thread count for the call itself and restores it
(cpp/src/cpu/eigvals.cpp); SciPy's wrappers do not expose the 2-stage drivers.
"""

from __future__ import annotations

import contextlib
import ctypes
import threading
from collections.abc import Iterator

import numpy as np

from .. import _core

__all__ = ["blas_threads", "symmetric_eigenvalues"]

_SETTERS = (
    "scipy_openblas_set_num_threads64_",
    "scipy_openblas_set_num_threads",
    "openblas_set_num_threads64_",
    "openblas_set_num_threads",
)
_GETTERS = (
    "scipy_openblas_get_num_threads64_",
    "scipy_openblas_get_num_threads",
    "openblas_get_num_threads64_",
    "openblas_get_num_threads",
)

_lock = threading.Lock()
_found: list[tuple[object, object]] | None = None


def _libraries() -> list[tuple[object, object]]:
    """(setter, getter) of every OpenBLAS loaded in this process except softent's own."""
    global _found
    if _found is not None:
        return _found
    import scipy.linalg  # noqa: F401  (loads SciPy's LAPACK, so its library is mapped)

    paths: set[str] = set()
    try:
        with open("/proc/self/maps", encoding="ascii", errors="replace") as f:
            for line in f:
                path = line.rsplit(" ", 1)[-1].strip()
                if "openblas" in path.lower() and ".so" in path and "scipy_openblas32" not in path:
                    paths.add(path)
    except OSError:
        paths = set()
    found = []
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        setter = next((getattr(lib, s) for s in _SETTERS if hasattr(lib, s)), None)
        getter = next((getattr(lib, g) for g in _GETTERS if hasattr(lib, g)), None)
        if setter is not None and getter is not None:
            getter.restype = ctypes.c_int
            setter.argtypes = [ctypes.c_int]
            found.append((setter, getter))
    _found = found
    return found


@contextlib.contextmanager
def blas_threads(n: int) -> Iterator[None]:
    """Run the block with SciPy's/NumPy's OpenBLAS on ``n`` threads, restoring the previous
    counts afterwards."""
    with _lock:
        libs = _libraries()
        previous = [int(get()) for _, get in libs]  # type: ignore[operator]
        for set_, _ in libs:
            set_(int(n))  # type: ignore[operator]
        try:
            yield
        finally:
            for (set_, _), k in zip(libs, previous, strict=False):
                set_(k)  # type: ignore[operator]


def symmetric_eigenvalues(a: np.ndarray, num_threads: int) -> np.ndarray:
    """The eigenvalues [N] float64, ascending, of the symmetric float64 matrix ``a`` [N, N]
    (C- or Fortran-contiguous, writable, finite; destroyed: LAPACK works in place) by LAPACK's
    ``dsyevd`` (N < 2500) or ``dsyevd_2stage`` (the two-stage tridiagonal reduction, LAPACK
    >= 3.7, faster from N ~ 2500 on), JOBZ='N', on
    ``num_threads`` OpenBLAS threads (>= 1). Reads one triangle: the upper of a C-contiguous
    ``a``, the lower of a Fortran-contiguous one (the same elements of a.T either way).
    Extra memory: LAPACK's O(N * block) workspace."""
    if not (
        isinstance(a, np.ndarray)
        and a.dtype == np.float64
        and a.ndim == 2
        and a.shape[0] == a.shape[1]
        and a.shape[0] >= 1
        and (a.flags.c_contiguous or a.flags.f_contiguous)
        and a.flags.writeable
    ):  # the callers in graph.py build exactly this; anything else is a softent bug
        raise AssertionError(
            f"symmetric_eigenvalues: a bad matrix {type(a)} {getattr(a, 'shape', '')}"
        )
    n = int(a.shape[0])
    w = np.empty(n, dtype=np.float64)
    p = _core.SymmetricEigenvaluesParams()
    p.a = a.ctypes.data
    p.n = n
    p.w = w.ctypes.data
    p.num_threads = int(num_threads)
    _core.symmetric_eigenvalues(p)  # releases the GIL; a and w stay referenced until it returns
    return w
