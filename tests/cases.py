"""What the tests of every family share: the metrics and temperatures of the soft
fixtures, the devices every kernel test runs on, and the data folder.

``DEVICES`` parametrises a test over "cpu" (NumPy in: the main path) and "cuda" (torch
tensors on the GPU: marked ``cuda`` and skipped unless this build has CUDA and a device is
present). Use the ``device`` fixture of conftest.py, and :func:`put` / :func:`host` to move
a test's inputs and results.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import softent

METRICS = ["cosine", "euclidean", "sqeuclidean", "dot"]
#: temperatures that give non-trivial entropies for the `clustered` fixture
TEMPERATURES = {"cosine": 0.1, "euclidean": 0.7, "sqeuclidean": 4.0, "dot": 1.5}
DATA = Path(__file__).parent / "data"
#: the measures every report row carries, in table order (spelled out: the tests' expectation)
MEASURE_KEYS = (
    "entropy",
    "conditional_entropy",
    "mutual_information",
    "efficiency",
    "regularity",
    "variation",
    "disentanglement",
    "normalised_mi",
    "label_entropy",
)


def cuda_ready() -> bool:
    """A CUDA build, a driver and a device, and torch able to use it."""
    info = softent.build_info()
    if not (info["cuda"] and info["cuda_available"]):
        return False
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


CUDA_READY = cuda_ready()
#: the marks of a test that needs a CUDA device
CUDA_ONLY = (
    pytest.mark.cuda,
    pytest.mark.skipif(not CUDA_READY, reason="needs a CUDA build and a CUDA device"),
)
DEVICES = [pytest.param("cpu", id="cpu"), pytest.param("cuda", id="cuda", marks=CUDA_ONLY)]


def put(x: Any, device: str) -> Any:
    """A test input on ``device``: unchanged on "cpu" (NumPy stays NumPy), a torch tensor
    in GPU memory on "cuda". None stays None."""
    if device == "cpu" or x is None:
        return x
    import torch

    return torch.as_tensor(np.asarray(x), device=device)


def host(x: Any) -> Any:
    """A result back on the host: tensors as NumPy arrays (0-d ones as floats), anything
    else unchanged."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):
        a = x.detach().cpu().numpy()
        return float(a) if a.ndim == 0 else a
    return x


def cuda_bytes_held(acc: Any) -> int:
    """Bytes of GPU memory that moving a copy of the :class:`softent.Accumulator` ``acc`` to
    the host gives back: > 0 exactly when its histograms live in GPU memory (0 where no CUDA
    device is ready). Public API only: ``copy``, ``to`` and torch's allocator statistics."""
    if not CUDA_READY:
        return 0
    import torch

    copy = acc.copy()
    torch.cuda.synchronize()
    before = torch.cuda.memory_allocated()
    copy.to("cpu")
    return int(before - torch.cuda.memory_allocated())


def run_cli(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    """Run the ``softent`` command in this process: (exit code, stdout, stderr)."""
    from softent.cli import main

    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str, prefix: str = "softent") -> str:
    """The CLI's error: exactly one line, no traceback, starting with ``prefix``."""
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith(prefix)
    return lines[0]
