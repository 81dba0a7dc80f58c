"""THE one place that calls ``softent._core`` for :mod:`softent.pid` (docs/design.md §2), and THE
one builder of its params structs (cpp/include/softent/params/pid.h): the subset marginals
of a pmf at each of its outcomes, and SxPID's local redundancies — summed over the outcomes
(per target value when asked) or per outcome for a row range.

Inputs are a :class:`softent.pid.Pmf`'s host arrays (int64 codes [K, n + 1] sorted
lexicographically, float64 probs [K]), contiguous; outputs are allocated here, in host
memory. ``device`` -1 computes on the CPU, k >= 0 on CUDA device k (the op copies its
inputs there and its results back). The arrays stay referenced until each call returns,
so the addresses stay valid.
"""

from __future__ import annotations

import numpy as np

from .. import _core
from .._checks import cpu_threads, kernel_threads
from .._interop import pointer

__all__ = ["masses_bytes", "subset_masses", "sx_local"]

#: units of work (row-projections for the masses, node-outcome pairs for sx_local) below
#: which a call runs on one thread: a parallel region costs tens of microseconds on a quiet
#: machine, and a descheduled thread costs a time slice (milliseconds) on a busy one, more
#: than this much work takes (~2 ms). Measured: pid_masses of 20,000 outcomes x 32
#: projections takes 2.4 ms on one thread and 80 ms on two when the machine is shared.
_GRAIN = 1 << 21


def _threads(num_threads: int, work: int) -> int:
    """The threads of a call over ``work`` units: the resolved ``num_threads``, at most
    one per ``_GRAIN`` units."""
    resolved = kernel_threads(num_threads) or cpu_threads()
    return max(1, min(resolved, work // _GRAIN))


def masses_bytes(rows: int, n_sources: int) -> int:
    """Host bytes of :func:`subset_masses` for ``rows`` outcomes: the masses [K, 2^(n+1)]
    and the kernel's group ids (two levels of projections, int32) and tables."""
    width = 2 << n_sources
    return rows * width * 8 + rows * 4 * 2 * 20 + 16 * rows * 8


def subset_masses(
    codes: np.ndarray, probs: np.ndarray, sizes: tuple[int, ...], num_threads: int
) -> tuple[np.ndarray, np.ndarray]:
    """(masses [K, 2^v], entropies [2^v]) of a pmf of v variables: masses[k, P] the
    probability of outcome k's projection on the columns P (bit j: column j), entropies[P]
    the entropy of that projection (nats)."""
    rows, cols = codes.shape
    masses = np.empty((rows, 1 << cols), dtype=np.float64)
    entropies = np.empty(1 << cols, dtype=np.float64)
    c = np.ascontiguousarray(codes, dtype=np.int64)
    p = np.ascontiguousarray(probs, dtype=np.float64)
    s = np.ascontiguousarray(sizes, dtype=np.int64)
    params = _core.PidMassesParams()
    params.codes = pointer(c)
    params.probs = pointer(p)
    params.sizes = pointer(s)
    params.rows = int(rows)
    params.cols = int(cols)
    params.masses = pointer(masses)
    params.entropies = pointer(entropies)
    params.num_threads = _threads(num_threads, int(rows) << cols)
    _core.pid_masses(params)
    return masses, entropies


def sx_local(
    codes: np.ndarray,
    probs: np.ndarray,
    n_targets: int,
    masses: np.ndarray,
    upsets: np.ndarray,
    *,
    sums: bool = True,
    per_target: bool = False,
    local: bool = False,
    rows: tuple[int, int] | None = None,
    num_threads: int = 0,
    device: int = -1,
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """SxPID's local redundancies (nats) of the outcomes ``rows`` = (lo, hi) (all by
    default) of a pmf (``codes`` [K, n + 1] int64, rows sorted lexicographically, target
    codes in [0, ``n_targets``); ``probs`` [K]) at the lattice nodes ``upsets`` [L]:
    (sum_plus, sum_minus, local_plus, local_minus).

    ``sums``: sum_plus/sum_minus [C, L] = Σ_k p_k i±_k over the rows of each class (the
    target value when ``per_target``, C = T; else C = 1), else None. ``local``:
    local_plus/local_minus [hi - lo, L] = i+_k, i-_k at each row, else None. ``masses``:
    :func:`subset_masses` of the pmf."""
    k, n = int(codes.shape[0]), int(codes.shape[1]) - 1
    lo, hi = (0, k) if rows is None else rows
    u = np.ascontiguousarray(upsets, dtype=np.uint64)
    nodes = int(u.shape[0])
    classes = n_targets if per_target else 1
    sum_plus = np.empty((classes, nodes)) if sums else None
    sum_minus = np.empty((classes, nodes)) if sums else None
    local_plus = np.empty((hi - lo, nodes)) if local else None
    local_minus = np.empty((hi - lo, nodes)) if local else None
    c = np.ascontiguousarray(codes, dtype=np.int64)
    p = np.ascontiguousarray(probs, dtype=np.float64)
    m = np.ascontiguousarray(masses, dtype=np.float64)
    params = _core.SxLocalParams()
    params.codes = pointer(c)
    params.probs = pointer(p)
    params.masses = pointer(m)
    params.upsets = pointer(u)
    params.rows = k
    params.nodes = nodes
    params.n_sources = n
    params.n_targets = int(n_targets)
    params.lo, params.hi = int(lo), int(hi)
    params.per_target = bool(per_target)
    params.sum_plus = pointer(sum_plus)
    params.sum_minus = pointer(sum_minus)
    params.local_plus = pointer(local_plus)
    params.local_minus = pointer(local_minus)
    params.device = int(device)
    # work: one pass over the nodes per row (i-) and at most one per row (i+)
    params.num_threads = _threads(num_threads, 2 * (hi - lo) * nodes)
    if device >= 0:
        import torch

        params.stream = int(torch.cuda.current_stream(device).cuda_stream)
    _core.sx_local(params)
    return sum_plus, sum_minus, local_plus, local_minus
