"""The build: what build_info reports, and CUDA's absence handled cleanly."""

from __future__ import annotations

import os

import numpy as np
import pytest
import softent
from softent import _core


def test_build_info_reports_the_build():
    info = softent.build_info()
    assert info["version"] == softent.__version__
    assert isinstance(info["cuda"], bool)
    assert info["openmp"] is True
    assert info["threads"] >= 1
    if info["cuda"]:
        assert "75" in info["cuda_archs"]
        assert info["cuda_runtime"].count(".") == 1


def test_expected_cuda_build():
    """CI sets SOFTENT_EXPECT_CUDA=1: a build that silently dropped CUDA fails here."""
    if os.environ.get("SOFTENT_EXPECT_CUDA") == "1":
        assert softent.build_info()["cuda"], (
            "SOFTENT_EXPECT_CUDA=1 but softent was built without CUDA"
        )


def test_cuda_call_without_driver_is_a_clear_error():
    info = softent.build_info()
    if info["cuda_available"]:
        pytest.skip("a CUDA device is present")
    z = np.ones((4, 3), np.float32)
    c = np.ones((2, 3), np.float32)
    csq = np.ones(2)
    hist = np.zeros((1, 2))
    expected = "no CUDA driver or device" if info["cuda"] else "no CUDA support"
    with pytest.raises(RuntimeError, match=expected):
        _core.soft_histogram(
            z=z.ctypes.data,
            n=4,
            d=3,
            z_stride_row=3,
            z_stride_col=1,
            dtype=0,
            centres=c.ctypes.data,
            centre_sq=csq.ctypes.data,
            b=2,
            slots=0,
            n_sets=0,
            hist=hist.ctypes.data,
            hist_rows=1,
            metric=2,
            inv_temperature=1.0,
            num_threads=1,
            tile_rows=0,
            device=0,
            stream=0,
        )


def test_core_revalidates_bypassed_python():
    z = np.ones((4, 3), np.float32)
    c = np.ones((2, 3), np.float32)
    csq = np.ones(2)
    hist = np.zeros((2, 2))
    slots = np.array([[1, 1, 5, -1]], np.int32)  # 5 would write outside hist
    with pytest.raises(ValueError, match="slots must be -1 or in"):
        _core.soft_histogram(
            z=z.ctypes.data,
            n=4,
            d=3,
            z_stride_row=3,
            z_stride_col=1,
            dtype=0,
            centres=c.ctypes.data,
            centre_sq=csq.ctypes.data,
            b=2,
            slots=slots.ctypes.data,
            n_sets=1,
            hist=hist.ctypes.data,
            hist_rows=2,
            metric=2,
            inv_temperature=1.0,
            num_threads=1,
            tile_rows=0,
            device=-1,
            stream=0,
        )
    with pytest.raises(ValueError, match="temperature must be finite"):
        _core.soft_histogram(
            z=z.ctypes.data,
            n=4,
            d=3,
            z_stride_row=3,
            z_stride_col=1,
            dtype=0,
            centres=c.ctypes.data,
            centre_sq=csq.ctypes.data,
            b=2,
            slots=0,
            n_sets=0,
            hist=hist.ctypes.data,
            hist_rows=1,
            metric=2,
            inv_temperature=float("inf"),
            num_threads=1,
            tile_rows=0,
            device=-1,
            stream=0,
        )
    assert not hist.any()


def test_cuda_tensor_on_a_build_without_cuda(monkeypatch):
    """A CUDA tensor reaching a CPU-only build gets a RuntimeError naming the argument."""
    from softent.soft import _kernel
    from softent.soft.bins import make_bins

    monkeypatch.setattr(_kernel._core, "build_info", lambda: {"cuda": False})

    class FakeView:
        device = 0

    monkeypatch.setattr(_kernel, "view", lambda z: FakeView())
    bins = make_bins("entropy", None, 3, n_bins=2, temperature=1.0)
    with pytest.raises(
        RuntimeError,
        match=r"^softent\.entropy: z must be on the CPU \(this softent build has no CUDA support\)",
    ):
        _kernel.accumulate("entropy", np.ones((2, 3), np.float32), bins, None, np.zeros((1, 2)))


def test_type_stub_matches_the_bindings():
    """python/softent/_core.pyi names every binding and its parameters in order."""
    import ast
    import re
    from pathlib import Path

    from softent import _core

    stub = ast.parse((Path(softent.__file__).parent / "_core.pyi").read_text())
    stubbed = {
        f.name: [a.arg for a in f.args.args] for f in stub.body if isinstance(f, ast.FunctionDef)
    }
    bound = {name for name in dir(_core) if not name.startswith("_")}
    assert set(stubbed) == bound
    for name, params in stubbed.items():
        signature = getattr(_core, name).__doc__.splitlines()[0]
        assert re.findall(r"(\w+): ", signature.split("(", 1)[1].rsplit(")", 1)[0]) == params, name


def test_the_kernels_are_called_from_one_place():
    """softent.soft._kernel holds the one call of each soft-histogram binding (DESIGN.md §2):
    the batch functions, the Accumulator, the bootstrap and the torch custom ops go through it."""
    import re
    from pathlib import Path

    calls: dict[str, list[str]] = {}
    root = Path(softent.__file__).parent
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for name in re.findall(r"_core\.(soft_histogram(?:_backward)?)\(", text):
            calls.setdefault(name, []).append(str(path.relative_to(root)))
    assert calls == {
        "soft_histogram": ["soft/_kernel.py"],
        "soft_histogram_backward": ["soft/_kernel.py"],
    }
