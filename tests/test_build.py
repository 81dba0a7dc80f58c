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


def _view(a: np.ndarray, device: int = -1) -> _core.View2D:
    v = _core.View2D()
    v.data = a.ctypes.data
    v.rows, v.cols = a.shape
    v.stride_row, v.stride_col = (st // a.itemsize for st in a.strides)
    v.dtype = 1 if a.dtype == np.float64 else 0
    v.device = device
    return v


def _params(z, c, csq, hist, *, slots=None, device=-1, inv_temperature=1.0):
    """SoftHistParams filled by hand, bypassing python/softent/_kernel.py's checks."""
    p = _core.SoftHistParams()
    p.z, p.centres = _view(z, device), _view(c, device)
    p.centre_sq = csq.ctypes.data
    p.hist = hist.ctypes.data
    p.hist_rows = hist.shape[0]
    if slots is not None:
        p.slots, p.n_sets = slots.ctypes.data, slots.shape[0]
    p.metric = 2
    p.inv_temperature = inv_temperature
    p.num_threads = 1
    return p


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
        _core.soft_histogram(_params(z, c, csq, hist, device=0))


def test_core_revalidates_bypassed_python():
    z = np.ones((4, 3), np.float32)
    c = np.ones((2, 3), np.float32)
    csq = np.ones(2)
    hist = np.zeros((2, 2))
    slots = np.array([[1, 1, 5, -1]], np.int32)  # 5 would write outside hist
    with pytest.raises(ValueError, match="slots must be -1 or in"):
        _core.soft_histogram(_params(z, c, csq, hist, slots=slots))
    with pytest.raises(ValueError, match="temperature must be finite"):
        _core.soft_histogram(_params(z, c, csq, hist[:1], inv_temperature=float("inf")))
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
    """python/softent/_core.pyi lists every bound class with its attributes and their types,
    and every bound function with its parameters in order, and nothing else."""
    import ast
    import re
    from pathlib import Path

    stub = ast.parse((Path(softent.__file__).parent / "_core.pyi").read_text())
    stub_classes = {
        c.name: {
            a.target.id: ast.unparse(a.annotation)
            for a in c.body
            if isinstance(a, ast.AnnAssign) and isinstance(a.target, ast.Name)
        }
        for c in stub.body
        if isinstance(c, ast.ClassDef)
    }
    stub_functions = {
        f.name: [a.arg for a in f.args.args] for f in stub.body if isinstance(f, ast.FunctionDef)
    }
    public = {n: v for n, v in vars(_core).items() if not n.startswith("_")}
    bound_classes = {n: v for n, v in public.items() if isinstance(v, type)}
    assert set(stub_classes) == set(bound_classes)
    assert set(stub_functions) == set(public) - set(bound_classes)
    for name, attributes in stub_classes.items():
        cls = bound_classes[name]
        bound = {a for a in dir(cls) if isinstance(getattr(cls, a), property)}
        assert set(attributes) == bound, name
        instance = cls()  # default-constructed: every field readable, with the stubbed type
        for attribute, annotation in attributes.items():
            assert type(getattr(instance, attribute)).__name__ == annotation, (name, attribute)
    for name, params in stub_functions.items():
        signature = getattr(_core, name).__doc__.splitlines()[0]
        assert re.findall(r"(\w+): ", signature.split("(", 1)[1].rsplit(")", 1)[0]) == params, name


def test_the_kernels_are_called_from_one_place():
    """softent.soft._kernel holds the one call of each soft-histogram binding (docs/design.md §2):
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
