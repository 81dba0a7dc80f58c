"""The array handle: the only place that asks "torch or NumPy?" (docs/design.md §1-2).

User arrays become a C++ view here (pointer, shape, strides, dtype, device, stream), and
the few operations the estimators need on either library live here too: the array
namespace, zeros in a device's memory, row masks and gathers, scalars of the caller's kind.
NumPy arrays, torch tensors (CPU or CUDA) and anything with ``__dlpack__`` are accepted.
torch is never imported here unless the caller passed a tensor, so NumPy-only users do
not pay for it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from ._checks import fail

#: dtype codes understood by softent._core (cpp/include/softent/types.h: DType)
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


def resolved(t: Any) -> Any:
    """A torch tensor whose memory holds its values: a conjugate or negative view
    (``x.conj().imag``, ``torch.ops.aten._neg_view``) only flags its memory as to be
    conjugated/negated, so a kernel reading the raw pointer would see the wrong sign. Such a
    view is materialised (differentiably); any other tensor comes back as it is. Under
    torch.compile the graph hands the ops materialised tensors (and dynamo cannot trace
    ``is_conj``), so nothing is asked there."""
    import torch

    if torch.compiler.is_compiling():
        return t
    if t.is_conj():
        t = t.resolve_conj()
    if t.is_neg():
        t = t.resolve_neg()
    return t


def as_array(x: Any, api: str = "interop", name: str = "arrays") -> np.ndarray | Any:
    """``x`` as a NumPy array or a torch tensor, without copying: a tensor as it is,
    anything else with ``__dlpack__`` through ``np.from_dlpack``, the rest ``np.asarray``.
    Nested sequences that are no array (``[[1, 2], [3]]``) are refused naming ``name``."""
    if is_torch(x):
        return x
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "__dlpack__"):
        return np.from_dlpack(x)
    return _asarray(x, api, name)


def _asarray(x: Any, api: str, name: str) -> np.ndarray:
    """``np.asarray(x)``, with NumPy's ValueError for ragged nested sequences (rows of
    unequal lengths) turned into the softent form naming ``name``."""
    try:
        return np.asarray(x)
    except ValueError as e:
        what = "nested sequences of unequal lengths" if "inhomogeneous" in str(e) else str(e)
        fail(api, name, "an array (nested sequences of equal lengths)", what)


def is_floating(x: Any) -> bool:
    """True for a floating-point NumPy array or torch tensor."""
    return bool(x.is_floating_point()) if is_torch(x) else np.asarray(x).dtype.kind == "f"


def as_float_rows(x: Any, api: str, name: str, *, keep_graph: bool = False) -> np.ndarray | Any:
    """Return ``x`` as a 2-D float32/float64 NumPy array or torch tensor [N, D] (N, D >= 1),
    without copying when it already is one. float16/bfloat16 are converted to float32
    (computed in float32). A tensor is detached unless ``keep_graph`` (the differentiable
    path: the conversion then stays in the autograd graph); it must live on the CPU or a
    CUDA device."""
    if is_torch(x):
        import torch

        if x.layout != torch.strided:
            # sparse (COO/CSR/...) tensors have no strided memory for the kernels to read
            fail(
                api,
                name,
                "a dense tensor (call .to_dense() first)",
                f"a {x.layout} tensor",
                TypeError,
            )
        t = resolved(x if keep_graph else x.detach())
        if t.device.type not in ("cpu", "cuda"):
            fail(api, name, "on the CPU or a CUDA device", t.device, RuntimeError)
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
        arr = as_array(x, api, name)
        if arr.dtype.kind == "f" and not arr.dtype.isnative:
            # big-endian (or other non-native) floats: the kernels read native values, so
            # convert once (the caller's array is left as it is)
            arr = arr.astype(arr.dtype.newbyteorder("="))
        if arr.dtype == np.float16:
            arr = arr.astype(np.float32)
        elif arr.dtype not in (np.float32, np.float64):
            fail(
                api, name, "a floating-point array (float16/float32/float64)", arr.dtype, TypeError
            )
    if arr.ndim != 2:
        kind = "tensor" if is_torch(arr) else "array"
        fail(api, name, f"a 2-D {kind} [N, D]", f"shape {tuple(arr.shape)}")
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

        arr = resolved(arr)
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
        if arr.is_conj() or arr.is_neg():
            fail(
                "interop",
                "arrays",
                "a tensor whose memory holds its values",
                "a conj/neg view",
                RuntimeError,
            )
        return int(arr.data_ptr())
    return int(arr.ctypes.data)


def to_numpy(x: Any, api: str = "interop", name: str = "arrays") -> np.ndarray:
    """A host NumPy copy/view of ``x``: a torch tensor detached to the CPU, with a
    negative or conjugate bit resolved (:func:`resolved`: its memory does not hold its
    values) and bfloat16 (which NumPy lacks) as float32; anything else ``np.asarray``
    (ragged nested sequences refused naming ``name``). The one place where a tensor
    becomes a NumPy array."""
    if is_torch(x):
        import torch

        t = resolved(x.detach().cpu())
        return (t.float() if t.dtype == torch.bfloat16 else t).numpy()
    return _asarray(x, api, name)


# ----------------------------------------------------------------------------- either library
# What the estimators do to arrays that may be NumPy or torch, written once.


def namespace(x: Any) -> ModuleType:
    """The array namespace of ``x``: the ``torch`` module for a tensor, else ``numpy``.
    Formulas written against it (``xp.log``, ``xp.where``, methods ``sum``/``reshape``)
    run on either library, and differentiably on tensors."""
    if is_torch(x):
        return sys.modules["torch"]
    return np


def as_float64(x: Any) -> Any:
    """``x`` as float64 in its own library and memory (a no-op when it already is)."""
    if is_torch(x):
        import torch

        return x if x.dtype == torch.float64 else x.to(torch.float64)
    return np.asarray(x, dtype=np.float64)


def astype(x: Any, dtype: str) -> Any:
    """``x`` as the dtype named ``dtype`` ('int32', 'int64', 'float64'...) in its own
    library and memory (no copy when it already is)."""
    if is_torch(x):
        import torch

        target = getattr(torch, dtype)
        return x if x.dtype == target else x.to(target)
    return np.asarray(x).astype(dtype, copy=False)


def arange(n: int, like: Any) -> Any:
    """0..n-1 as int64 in the library and memory of ``like``."""
    if is_torch(like):
        import torch

        return torch.arange(n, device=like.device)
    return np.arange(n, dtype=np.int64)


def requires_grad(*arrays: Any) -> bool:
    """True when grad mode is on and any of ``arrays`` is a tensor that requires grad."""
    torch = sys.modules.get("torch")
    if torch is None or not torch.is_grad_enabled():
        return False
    return any(isinstance(a, torch.Tensor) and a.requires_grad for a in arrays)


def to_float(x: Any) -> float:
    """A Python float of a scalar (0-d or 1-element array or tensor, detached first)."""
    if is_torch(x):
        return float(x.detach())
    return float(x)


def scalar_like(reference: Any, value: float) -> Any:
    """``value`` as the reference's kind: a 0-d tensor on its device, in its floating dtype
    (float32 for float16/bfloat16), for a tensor reference; else a Python float."""
    if is_torch(reference):
        import torch

        dtype = reference.dtype if reference.dtype in (torch.float32, torch.float64) else None
        return torch.tensor(value, dtype=dtype or torch.float32, device=reference.device)
    return float(value)


def on_device(values: np.ndarray, device: int) -> Any:
    """Host ``values`` in the memory of ``device`` (-1: the host array itself, else a
    tensor on that CUDA device)."""
    if device < 0:
        return values
    import torch

    return torch.as_tensor(values, device=f"cuda:{device}")


def zeros(shape: tuple[int, ...], device: int) -> Any:
    """Zeroed float64 [shape] in the memory of ``device`` (-1: a NumPy array)."""
    if device < 0:
        return np.zeros(shape, dtype=np.float64)
    import torch

    return torch.zeros(shape, dtype=torch.float64, device=f"cuda:{device}")


#: elements per block of :func:`finite_rows` (its boolean temporary: 1 MB)
_FINITE_BLOCK = 1 << 20


def finite_rows(x: Any) -> np.ndarray:
    """Boolean mask [N] (host NumPy) of the rows of ``x`` [N, D] with no NaN/Inf, computed
    a block of rows at a time: the temporary is a [block, D] mask of ~1 MB, never [N, D]
    (which was N x D bytes, as large as a float32 z / 4, for every ``nonfinite='drop'``)."""
    n = int(x.shape[0])
    d = max(int(x.shape[1]) if x.ndim > 1 else 1, 1)
    step = max(1, _FINITE_BLOCK // d)
    if is_torch(x):
        import torch

        if n <= step:
            return torch.isfinite(x).all(dim=1).cpu().numpy()
        out = torch.empty(n, dtype=torch.bool, device=x.device)
        for a in range(0, n, step):
            out[a : a + step] = torch.isfinite(x[a : a + step]).all(dim=1)
        return out.cpu().numpy()
    a_ = np.asarray(x)
    if n <= step:
        return np.isfinite(a_).all(axis=1)
    mask = np.empty(n, dtype=bool)
    for a in range(0, n, step):
        np.isfinite(a_[a : a + step]).all(axis=1, out=mask[a : a + step])
    return mask


def take_rows(x: Any, keep: np.ndarray) -> Any:
    """The rows of ``x`` where the host boolean mask ``keep`` [N] is True (same library and
    device as ``x``)."""
    if is_torch(x):
        import torch

        return x[torch.as_tensor(keep, device=x.device)]
    return np.asarray(x)[keep]


def row_norms(x: Any) -> Any:
    """Euclidean norm of each row of ``x`` [N, D] -> [N] (detached for a tensor). A finite
    NumPy row whose squares overflow (entries near 1e154 and above) gets its norm from the
    row scaled by its largest magnitude: finite where the norm is, and no NumPy warning."""
    if is_torch(x):
        return x.detach().norm(dim=1)
    with np.errstate(over="ignore"):
        norms = np.linalg.norm(x, axis=1)
    big = np.isinf(norms) & np.isfinite(x).all(axis=1)
    if big.any():
        rows = np.asarray(x)[big]
        scale = np.abs(rows).max(axis=1, keepdims=True)
        with np.errstate(over="ignore"):  # a norm beyond float64 (~1e308 x sqrt(D)) is inf
            norms[big] = scale[:, 0] * np.linalg.norm(rows / scale, axis=1)
    return norms


def count_codes(codes: Any, n_labels: int) -> Any:
    """[K] float64 counts of the dense codes 0..K-1 in ``codes`` [N] (-1, masked, not
    counted), in codes' library and memory; on tensors without leaving the device and
    traceable by ``torch.compile``."""
    if is_torch(codes):
        import torch

        keep = codes >= 0
        counts = torch.zeros(n_labels, dtype=torch.float64, device=codes.device)
        return counts.index_add(0, codes.clamp_min(0), keep.to(torch.float64))
    c = np.asarray(codes)
    return np.bincount(c[c >= 0], minlength=n_labels).astype(np.float64)


# ----------------------------------------------------------------------------- state arrays
# Streamed sums (accumulator states) are float64 NumPy arrays in host memory or torch
# tensors on one CUDA device, named by an int: -1 = host, k = cuda:k. These helpers make
# and move them without the caller asking which library it holds.

#: index_add over at most this many leading rows is a loop of 2-D gathers (each ~4x faster
#: than a 3-D one); more rows (bootstrap replicates) take one 3-D gather, no Python loop
_GATHER_LOOP_ROWS = 16


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
    """'cpu', 'cuda', 'cuda:k', a torch.device or an int (-1 = host) -> -1 or k. A CUDA
    device on a build without CUDA is refused (RuntimeError) here, not at the first use."""
    if isinstance(device, (int, np.integer)) and not isinstance(device, bool):
        if device < 0:
            return -1
        _check_cuda_build(api, device)
        return int(device)
    text = str(device)
    if text == "cpu":
        return -1
    if text == "cuda":
        _check_cuda_build(api, device)
        import torch

        return int(torch.cuda.current_device())
    if text.startswith("cuda:") and text[5:].isdigit():
        _check_cuda_build(api, device)
        return int(text[5:])
    fail(api, "device", "'cpu', 'cuda', 'cuda:k', a torch.device or an int", repr(device))


def _check_cuda_build(api: str, device: Any) -> None:
    """Refuse a CUDA device that this build, torch or the machine cannot use (a
    RuntimeError naming ``device``, not torch's own AssertionError at the first copy)."""
    from . import _core

    if not _core.build_info()["cuda"]:
        fail(
            api,
            "device",
            "'cpu' or -1 (this softent build has no CUDA support)",
            repr(device),
            RuntimeError,
        )
    try:
        import torch
    except ImportError:
        fail(api, "device", "'cpu' or -1 (CUDA state needs torch)", repr(device), RuntimeError)
    if not torch.cuda.is_available():
        fail(
            api,
            "device",
            "'cpu' or -1 (torch sees no CUDA device: torch.cuda.is_available() is False)",
            repr(device),
            RuntimeError,
        )


def to_host_rows(x: Any) -> np.ndarray:
    """A host NumPy array of ``x`` (a view when it already is one): :func:`to_numpy`."""
    return to_numpy(x)
