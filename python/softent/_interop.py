"""The only place user arrays become a C++ view (pointer, shape, strides, dtype, device, stream).

NumPy arrays, torch tensors (CPU or CUDA) and anything with ``__dlpack__`` are accepted.
torch is never imported here unless the caller passed a tensor, so NumPy-only users do
not pay for it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._checks import fail

#: dtype codes understood by softent._core (cpp/include/softent/problem.h: DType)
FLOAT32, FLOAT64 = 0, 1


def is_torch(x: object) -> bool:
    """True for a torch.Tensor, without importing torch."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


@dataclass(frozen=True)
class View:
    """A strided 2-D float view handed to the kernels. ``owner`` keeps the memory alive."""

    owner: Any
    ptr: int
    shape: tuple[int, int]
    strides: tuple[int, int]  # in elements
    dtype_code: int
    device: int  # -1 = host memory, else the CUDA device index
    stream: int  # cudaStream_t of torch's current stream on that device (0 on the host)


def as_float_rows(x: Any, api: str, name: str) -> np.ndarray | Any:
    """Return ``x`` as a 2-D float32/float64 NumPy array or torch tensor, without copying
    when it already is one. float16/bfloat16 are converted to float32 (computed in float32)."""
    if is_torch(x):
        import torch

        t = x.detach()
        if t.dtype in (torch.float16, torch.bfloat16):
            t = t.float()
        elif t.dtype not in (torch.float32, torch.float64):
            fail(
                api,
                name,
                "a floating-point tensor (float16/bfloat16/float32/float64)",
                t.dtype,
                TypeError,
            )
        arr: Any = t
    else:
        if not isinstance(x, np.ndarray) and hasattr(x, "__dlpack__"):
            x = np.from_dlpack(x)
        arr = np.asarray(x)
        if arr.dtype == np.float16:
            arr = arr.astype(np.float32)
        elif arr.dtype not in (np.float32, np.float64):
            fail(
                api, name, "a floating-point array (float16/float32/float64)", arr.dtype, TypeError
            )
    if arr.ndim != 2:
        fail(api, name, "a 2-D array [N, D]", f"shape {tuple(arr.shape)}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        fail(api, name, "non-empty (N >= 1 rows, D >= 1 features)", f"shape {tuple(arr.shape)}")
    return arr


def device_of(arr: Any) -> int:
    """-1 for host memory, else the CUDA device index."""
    if is_torch(arr) and arr.device.type != "cpu":
        if arr.device.type != "cuda":
            fail("interop", "arrays", "on the CPU or a CUDA device", arr.device, RuntimeError)
        return int(arr.device.index or 0)
    return -1


def view(arr: Any) -> View:
    """Describe a 2-D float array produced by :func:`as_float_rows` (or the kernels' own buffers)."""
    if is_torch(arr):
        import torch

        device = device_of(arr)
        stream = torch.cuda.current_stream(arr.device).cuda_stream if device >= 0 else 0
        code = FLOAT64 if arr.dtype == torch.float64 else FLOAT32
        rows, cols = arr.shape if arr.ndim == 2 else (arr.shape[0], 1)
        strides = tuple(arr.stride()) if arr.ndim == 2 else (arr.stride()[0], 1)
        return View(arr, arr.data_ptr(), (rows, cols), strides, code, device, stream)  # type: ignore[arg-type]
    a = np.asarray(arr)
    if not a.flags.aligned or any(st % a.itemsize for st in a.strides):
        a = np.ascontiguousarray(a)  # the kernels address whole elements
    code = FLOAT64 if a.dtype == np.float64 else FLOAT32
    rows, cols = a.shape if a.ndim == 2 else (a.shape[0], 1)
    item = a.itemsize
    strides = (
        (a.strides[0] // item, a.strides[1] // item) if a.ndim == 2 else (a.strides[0] // item, 1)
    )
    return View(a, a.ctypes.data, (rows, cols), strides, code, -1, 0)


def pointer(arr: Any) -> int:
    """Address of a contiguous buffer (NumPy array or torch tensor); 0 for None."""
    if arr is None:
        return 0
    if is_torch(arr):
        return int(arr.data_ptr())
    return int(arr.ctypes.data)


def to_numpy(x: Any) -> np.ndarray:
    """A host NumPy copy/view of a small array (centres, histograms)."""
    if is_torch(x):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def like(reference: Any, values: np.ndarray) -> Any:
    """``values`` as a tensor on the reference's device when the reference is a tensor."""
    if is_torch(reference):
        import torch

        return torch.as_tensor(values, device=reference.device)
    return values


# ----------------------------------------------------------------------------- state arrays
# Streamed sums (accumulator states) are float64 NumPy arrays in host memory or torch
# tensors on one CUDA device, named by an int: -1 = host, k = cuda:k. These helpers make
# and move them without the caller asking which library it holds.

#: index_add over at most this many leading rows is a loop of 2-D gathers (each ~4x faster
#: than a 3-D one); more rows (bootstrap replicates) take one 3-D gather, no Python loop
_GATHER_LOOP_ROWS = 16


def zeros(shape: tuple[int, ...], device: int) -> Any:
    """float64 zeros of ``shape`` on ``device`` (-1: a NumPy array; k: a torch tensor on cuda:k)."""
    if device < 0:
        return np.zeros(shape, dtype=np.float64)
    import torch

    return torch.zeros(shape, dtype=torch.float64, device=f"cuda:{device}")


def to_device(arr: Any, device: int) -> Any:
    """``arr`` (NumPy or torch float64) in the memory of ``device`` (-1 = host NumPy); no
    copy when it is there already."""
    if device < 0:
        return to_numpy(arr) if is_torch(arr) else arr
    import torch

    return torch.as_tensor(arr, dtype=torch.float64, device=f"cuda:{device}")


def to_host(arr: Any) -> np.ndarray:
    """A float64 NumPy copy of ``arr`` (never a view of a state array)."""
    return np.array(to_numpy(arr), dtype=np.float64, copy=True)


def clone(arr: Any) -> Any:
    """An independent copy on the same device (None stays None)."""
    if arr is None:
        return None
    return arr.clone() if is_torch(arr) else arr.copy()


def nbytes_of(arr: Any) -> int:
    """Bytes held by a NumPy array or a torch tensor (0 for None)."""
    if arr is None:
        return 0
    return int(arr.numel() * arr.element_size()) if is_torch(arr) else int(arr.nbytes)


def take_rows(arr: Any, keep: np.ndarray) -> Any:
    """``arr[keep]`` for a host bool mask [N], on arr's device."""
    if is_torch(arr):
        import torch

        return arr[torch.as_tensor(keep, device=arr.device)]
    return arr[keep]


def take_columns(arr: Any, index: np.ndarray) -> Any:
    """``arr[:, index]`` (a copy) for host int positions [K], on arr's device."""
    if is_torch(arr):
        import torch

        return arr.index_select(1, torch.as_tensor(index, device=arr.device))
    return arr[:, index]


def swap_leading_axes(arr: Any) -> Any:
    """``arr`` with its first two axes swapped (a view)."""
    return arr.transpose(0, 1) if is_torch(arr) else arr.swapaxes(0, 1)


def add_columns(dst: Any, index: np.ndarray, src: Any) -> None:
    """``dst[:, index] += src`` in place, for distinct host positions ``index`` [K]
    (dst [L, C, ...], src [L, K, ...], same library and device)."""
    if (
        len(index)
        and int(index[-1]) - int(index[0]) == len(index) - 1
        and (len(index) == 1 or bool((np.diff(index) == 1).all()))
    ):
        # consecutive positions (the usual case: a vocabulary in order of arrival): one slice add
        dst[:, int(index[0]) : int(index[-1]) + 1] += src
    elif is_torch(dst):
        import torch

        dst.index_add_(1, torch.as_tensor(index, dtype=torch.int64, device=dst.device), src)
    elif dst.shape[0] <= _GATHER_LOOP_ROWS:
        for d2, s2 in zip(dst, src, strict=True):
            d2[index] += s2
    else:
        dst[:, index] += src


def parse_device(device: Any, api: str) -> int:
    """'cpu', 'cuda', 'cuda:k', a torch.device or an int (-1 = host) -> -1 or k."""
    if isinstance(device, (int, np.integer)) and not isinstance(device, bool):
        return -1 if device < 0 else int(device)
    text = str(device)
    if text == "cpu":
        return -1
    if text == "cuda":
        import torch

        return int(torch.cuda.current_device())
    if text.startswith("cuda:") and text[5:].isdigit():
        return int(text[5:])
    fail(api, "device", "'cpu', 'cuda', 'cuda:k', a torch.device or an int", repr(device))


def to_host_rows(x: Any) -> np.ndarray:
    """A host NumPy array of ``x`` (a view when it already is one): torch tensors detached
    to the CPU, bfloat16 (which NumPy lacks) as float32."""
    if is_torch(x):
        import torch

        t = x.detach().cpu()
        return (t.float() if t.dtype == torch.bfloat16 else t).numpy()
    return np.asarray(x)
