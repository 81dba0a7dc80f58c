"""THE one place that calls ``softent._core`` for the spectral affinity kernel (docs/design.md
§2), and THE one builder of its params struct (cpp/include/softent/params/spectral.h): the
Gaussian or self-tuning affinities of the rows of a set, as row sums (degrees), the dense
float64 matrix (or float32: ``"dense32"``, the stored operator of stochastic Lanczos), or the
product with a block of vectors (never holding the matrix).

Inputs are float arrays already validated by the public functions (finite, [N, D]): NumPy
arrays in host memory or torch tensors (CPU tensors are read as NumPy views, CUDA tensors
in GPU memory). Outputs are float64 (``"dense32"``: float32), allocated here in the memory of the input. The array
owners stay referenced until each call returns, so the addresses stay valid.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _core
from .._checks import check_fits, cpu_threads, fail, kernel_threads
from .._interop import is_torch, pointer, view

__all__ = ["AFFINITY_KERNELS", "AFFINITY_OUTPUTS", "affinity_bytes", "run_affinity"]

#: AffinityKernel codes of params/spectral.h
AFFINITY_KERNELS = {"gaussian": 0, "self_tuning": 1}
#: AffinityOutput codes of params/spectral.h
AFFINITY_OUTPUTS = {"degrees": 0, "dense": 1, "product": 2, "dense32": 3}
#: cpp/src/cpu/affinity.cpp run(): automatic rows per tile
_TILE = 256


def _host(x: Any) -> Any:
    if is_torch(x) and x.device.type == "cpu":
        return x.detach().numpy()
    return x


def _on_device_of(values: np.ndarray | None, like: Any) -> Any:
    """Small float64 host data (bandwidths, row scales, vectors) in the memory of ``like``."""
    if values is None:
        return None
    a = np.ascontiguousarray(values, dtype=np.float64)
    if is_torch(like) and like.device.type != "cpu":
        import torch

        return torch.as_tensor(a, device=like.device)
    return a


def affinity_bytes(n: int, d: int, itemsize: int, output: str, m: int, num_threads: int) -> int:
    """Host bytes of one :func:`run_affinity` call: the output, the centred copy of x with
    its norms, and per thread the GEMM tile, the kernel-value tile and the accumulator."""
    out = {"degrees": 8 * n, "dense": 8 * n * n, "dense32": 4 * n * n, "product": 8 * n * m}[output]
    tile = min(_TILE, n)
    threads = num_threads or cpu_threads()
    per_thread = tile * tile * (itemsize + 8) + tile * max(m, 1) * 8
    return out + n * d * itemsize + n * 8 + threads * per_thread


def run_affinity(
    x: Any,
    api: str,
    *,
    output: str,
    sigma: float | None = None,
    scales: np.ndarray | None = None,
    prefactor: float = 1.0,
    row_scale: np.ndarray | None = None,
    v: Any = None,
    num_threads: int = 0,
    tile_rows: int = 0,
) -> Any:
    """The affinities a_ij = s_i prefactor k(x_i, x_j) s_j of the rows of ``x`` [N, D]:
    ``output="degrees"`` -> [N] row sums, ``"dense"`` -> [N, N], ``"dense32"`` -> [N, N]
    float32 (each value rounded once), ``"product"`` -> A v [N, m] for ``v`` [N, m]
    float64. k is the Gaussian of ``sigma`` or, with ``scales`` [N] (per-row bandwidths),
    the self-tuning kernel. Results are float64 (dense32: float32) in x's memory."""
    x = _host(x)
    n, d = int(x.shape[0]), int(x.shape[1])
    m = int(v.shape[1]) if v is not None else 0
    if not is_torch(x):
        what = {
            "degrees": f"{n} rows",
            "dense": f"an {n} x {n} matrix",
            "dense32": f"an {n} x {n} float32 matrix",
            "product": f"{n} x {m}",
        }
        check_fits(
            api,
            "x",
            what[output],
            affinity_bytes(n, d, x.itemsize, output, m, num_threads),
        )
    xv_ = view(x)
    if xv_.device >= 0 and not _core.build_info()["cuda"]:
        fail(
            api,
            "x",
            "on the CPU (this softent build has no CUDA support)",
            f"a tensor on cuda:{xv_.device}",
            RuntimeError,
        )
    xv = _core.View2D()
    xv.data = xv_.ptr
    xv.rows, xv.cols = xv_.shape
    xv.stride_row, xv.stride_col = xv_.strides
    xv.dtype = xv_.dtype_code
    xv.device = xv_.device
    shape = {"degrees": (n,), "dense": (n, n), "dense32": (n, n), "product": (n, m)}[output]
    single = output == "dense32"
    if is_torch(x):
        import torch

        dt = torch.float32 if single else torch.float64
        out: Any = torch.empty(shape, dtype=dt, device=x.device)
        stream = int(torch.cuda.current_stream(x.device).cuda_stream)
    else:
        out = np.empty(shape, dtype=np.float32 if single else np.float64)
        stream = 0
    owners = [xv_.owner, _on_device_of(scales, x), _on_device_of(row_scale, x)]
    if v is not None:
        v = _on_device_of(np.asarray(v), x) if not is_torch(v) else v.contiguous()
        owners.append(v)
    p = _core.AffinityParams()
    p.x = xv
    if scales is not None:
        p.kernel = AFFINITY_KERNELS["self_tuning"]
        p.scales = pointer(owners[1])
    else:
        p.kernel = AFFINITY_KERNELS["gaussian"]
        p.sigma = float(sigma)  # type: ignore[arg-type]
    p.prefactor = float(prefactor)
    p.row_scale = pointer(owners[2])
    p.output = AFFINITY_OUTPUTS[output]
    p.out = pointer(out)
    p.v = pointer(v)
    p.m = m
    p.num_threads = kernel_threads(num_threads)
    p.tile_rows = int(tile_rows)
    p.stream = stream
    _core.affinity(p)
    del owners
    return out
