"""In-place acceleration: ``softent.compat.<peer>.patch()`` makes the installed peer's own
functions return softent's numbers; ``unpatch()`` puts back the very same objects;
``patched()`` restores the state it found. One mechanism for every peer.

scikit-learn is a test dependency: it is patched live. soft-entropy and nam-entropy are
patched live when importable; otherwise a minimal stand-in package shaped like the real one
(the same module names and attributes, whose functions fail if called) is put in
``sys.modules`` — the patch then has to replace exactly those attributes, and the patched
calls must give the peer's pinned numbers (tests/parity/data/).
"""

from __future__ import annotations

import importlib.util
import json
import random
import sys
import types
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from softent.compat import nam_entropy as compat_nam
from softent.compat import sklearn as compat_sklearn
from softent.compat import soft_entropy as compat_soft

DATA = Path(__file__).resolve().parent.parent / "parity" / "data"
sys.path.insert(0, str(DATA))
import pin_nam_entropy_compat
import pin_soft_entropy

sfs = pytest.importorskip("sklearn.feature_selection")
from sklearn.feature_selection import _mutual_info

NAMES = ("mutual_info_classif", "mutual_info_regression")


@pytest.fixture(autouse=True)
def _unpatched():
    yield
    for module in (compat_sklearn, compat_soft, compat_nam):
        module.unpatch()


def _originals():
    return {(m.__name__, n): getattr(m, n) for m in (sfs, _mutual_info) for n in NAMES}


def _assert_restored(originals):
    for (module, name), obj in originals.items():
        assert getattr(sys.modules[module], name) is obj, (module, name)


def _xy():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    x = rng.normal(size=(300, 4)) + y[:, None] * np.array([1.0, 0.5, 0, 0])
    return x, y


# --------------------------------------------------------------------------- scikit-learn


def test_sklearn_patch_makes_its_functions_softents_and_unpatch_restores_them():
    originals = _originals()
    x, y = _xy()
    want = sfs.mutual_info_classif(x, y, random_state=0)
    compat_sklearn.patch()
    assert compat_sklearn.is_patched()
    for module in (sfs, _mutual_info):
        assert module.mutual_info_classif is compat_sklearn.mutual_info_classif
        assert module.mutual_info_regression is compat_sklearn.mutual_info_regression
    np.testing.assert_allclose(sfs.mutual_info_classif(x, y, random_state=0), want, atol=1e-10)
    assert want[0] > 0.2
    compat_sklearn.unpatch()
    assert not compat_sklearn.is_patched()
    _assert_restored(originals)


def test_patch_is_idempotent_and_patched_restores_the_state_it_found():
    originals = _originals()
    compat_sklearn.patch()
    compat_sklearn.patch()
    compat_sklearn.unpatch()
    _assert_restored(originals)
    compat_sklearn.unpatch()  # a no-op
    with compat_sklearn.patched():
        assert sfs.mutual_info_regression is compat_sklearn.mutual_info_regression
        with compat_sklearn.patched():
            pass
        assert compat_sklearn.is_patched()  # the inner block found it patched
    _assert_restored(originals)
    compat_sklearn.patch()
    with compat_sklearn.patched():
        pass
    assert sfs.mutual_info_classif is compat_sklearn.mutual_info_classif
    compat_sklearn.unpatch()
    _assert_restored(originals)
    with pytest.raises(KeyError), compat_sklearn.patched():  # restored on an exception too
        raise KeyError
    _assert_restored(originals)


def test_unpatch_leaves_a_later_patch_by_someone_else_alone():
    originals = _originals()
    theirs = object()
    compat_sklearn.patch()
    sfs.mutual_info_classif = theirs
    try:
        compat_sklearn.unpatch()
        assert sfs.mutual_info_classif is theirs
        assert _mutual_info.mutual_info_classif is originals[(_mutual_info.__name__, NAMES[0])]
    finally:
        sfs.mutual_info_classif = originals[(sfs.__name__, NAMES[0])]
    _assert_restored(originals)


def test_patching_from_many_threads_ends_in_a_consistent_state():
    originals = _originals()

    def worker(seed):
        rnd = random.Random(seed)
        for _ in range(200):
            step = rnd.choice(("patch", "unpatch", "with"))
            if step == "with":
                with compat_sklearn.patched():
                    pass
            else:
                getattr(compat_sklearn, step)()

    with ThreadPoolExecutor(8) as pool:
        for future in [pool.submit(worker, s) for s in range(8)]:
            future.result()  # re-raises a worker's exception
    compat_sklearn.patch()
    for module in (sfs, _mutual_info):  # all or nothing
        assert module.mutual_info_classif is compat_sklearn.mutual_info_classif
    compat_sklearn.unpatch()
    _assert_restored(originals)


# --------------------------------------------------------------------------- stand-in peers


def _refuse(*args, **kwargs):
    raise AssertionError("the peer's own (slow) code ran: the patch did not take")


class _RefusingClass:
    def __init__(self, *args, **kwargs):
        _refuse()


def _stand_in(monkeypatch, layout):
    """Put a package shaped like ``layout`` {module: [attributes]} in sys.modules."""
    modules = {}
    for name, attrs in layout.items():
        module = types.ModuleType(name)
        if "." not in name:
            module.__path__ = []  # a package
        for attr in attrs:
            setattr(module, attr, _RefusingClass if attr[0].isupper() else _refuse)
        modules[name] = module
    for name, module in modules.items():
        monkeypatch.setitem(sys.modules, name, module)
        if "." in name:
            parent, child = name.rsplit(".", 1)
            setattr(modules[parent], child, module)
    return modules


SOFT_ENTROPY_LAYOUT = {
    "soft_entropy": ["SoftEntropyAccumulator", "LLMInferrer"],
    "soft_entropy.numpy": ["soft_entropy", "soft_mutual_information"],
    "soft_entropy.pytorch": ["soft_entropy", "soft_mutual_information"],
    "soft_entropy.accumulator": ["SoftEntropyAccumulator"],
    "soft_entropy.llm": ["SoftEntropyAccumulator", "LLMInferrer"],
}
NAM_ENTROPY_LAYOUT = {
    "nam_entropy": ["compute_all_entropy_measures", "EntropyAccumulator", "soft_bin"],
    "nam_entropy.h": ["compute_all_entropy_measures", "EntropyAccumulator", "soft_bin"],
}


def _peer(monkeypatch, package, layout):
    """The real package when importable, else the stand-in; its (module -> originals)."""
    if importlib.util.find_spec(package) is None:
        _stand_in(monkeypatch, layout)
    originals = {}
    for name, attrs in layout.items():
        with warnings.catch_warnings():  # the real peers' import-time warnings
            warnings.simplefilter("ignore")
            module = importlib.import_module(name)
        originals[name] = {a: getattr(module, a) for a in attrs}
    return originals


def _assert_peer_restored(originals):
    for name, attrs in originals.items():
        for attr, obj in attrs.items():
            assert getattr(sys.modules[name], attr) is obj, (name, attr)


def test_soft_entropy_patch_makes_its_functions_return_softents_numbers(monkeypatch):
    originals = _peer(monkeypatch, "soft_entropy", SOFT_ENTROPY_LAYOUT)
    pins = json.loads((DATA / "soft_entropy_0.1.5.json").read_text())
    z, labels = pin_soft_entropy.case_data()
    call = pins["numpy"][0]
    with compat_soft.patched():
        numpy_backend = sys.modules["soft_entropy.numpy"]
        assert numpy_backend.soft_entropy is compat_soft.soft_entropy
        h = numpy_backend.soft_entropy(z, call["n_bins"], call["seed"])
        mi = numpy_backend.soft_mutual_information(z, labels, call["n_bins"], call["seed"])
        assert h == pytest.approx(call["entropy"], rel=1e-10)
        assert mi == pytest.approx(call["mutual_information"], rel=1e-10)
        pytorch_backend = sys.modules["soft_entropy.pytorch"]
        assert pytorch_backend.soft_entropy is compat_soft.pytorch_soft_entropy
        for module in ("soft_entropy", "soft_entropy.accumulator", "soft_entropy.llm"):
            cls = sys.modules[module].SoftEntropyAccumulator
            assert cls is compat_soft.SoftEntropyAccumulator
        acc = sys.modules["soft_entropy"].SoftEntropyAccumulator(24, n_bins=50, seed=2)
        for lo, hi in zip(pin_soft_entropy.CHUNKS[:-1], pin_soft_entropy.CHUNKS[1:], strict=True):
            acc.update(z[lo:hi], pin_soft_entropy.second_sets(labels[lo:hi]))
        want = pins["accumulator"]["numpy"]["results"]
        assert acc.results()["H(Z)"] == pytest.approx(want["H(Z)"], rel=1e-7)
        assert sys.modules["soft_entropy"].LLMInferrer is originals["soft_entropy"]["LLMInferrer"]
    _assert_peer_restored(originals)


def test_nam_entropy_patch_makes_its_functions_return_softents_numbers(monkeypatch):
    torch = pytest.importorskip("torch")
    originals = _peer(monkeypatch, "nam_entropy", NAM_ENTROPY_LAYOUT)
    pins = json.loads((DATA / "nam_entropy_0.2.0_compat.json").read_text())
    z, index = (torch.tensor(a) for a in pin_nam_entropy_compat.case_data())
    dist, bins, smooth, temp, b, seed = pin_nam_entropy_compat.BATCH["cosine-unit_sphere"]
    compat_nam.patch()
    try:
        for name in ("nam_entropy", "nam_entropy.h"):
            peer = sys.modules[name]
            assert peer.compute_all_entropy_measures is compat_nam.compute_all_entropy_measures
            assert peer.EntropyAccumulator is compat_nam.EntropyAccumulator
            assert peer.soft_bin is originals[name]["soft_bin"]  # left alone (differentiable)
            torch.manual_seed(seed)
            out = peer.compute_all_entropy_measures(
                z,
                index,
                pin_nam_entropy_compat.LABELS,
                b,
                dist_fn=dist,
                bin_type=bins,
                smoothing_fn=smooth,
                smoothing_temp=temp,
            )["output_metrics"]
            want = pins["batch"]["cosine-unit_sphere"]
            assert out["entropy"] == pytest.approx(want["entropy"], rel=1e-10)
            assert out["mutual_information"] == pytest.approx(want["mutual_information"], rel=1e-7)
    finally:
        compat_nam.unpatch()
    _assert_peer_restored(originals)


@pytest.mark.parametrize(
    ("module", "package", "pip"),
    [(compat_nam, "nam_entropy", "nam-entropy"), (compat_soft, "soft_entropy", "soft-entropy")],
)
def test_patching_a_peer_that_is_not_installed_is_an_import_error_naming_it(
    monkeypatch, module, package, pip
):
    monkeypatch.setitem(sys.modules, package, None)  # blocks the import: "not installed"
    before = {name for name in sys.modules if name.startswith(package)}
    with pytest.raises(ImportError, match=f"pip install {pip}"):
        module.patch()
    assert not module.is_patched()
    assert {name for name in sys.modules if name.startswith(package)} == before


def test_a_peer_missing_an_attribute_changes_nothing(monkeypatch):
    if importlib.util.find_spec("nam_entropy") is not None:
        pytest.skip("needs the stand-in (nam-entropy is installed)")
    layout = dict(NAM_ENTROPY_LAYOUT)
    layout["nam_entropy.h"] = ["compute_all_entropy_measures", "soft_bin"]  # another version
    modules = _stand_in(monkeypatch, layout)
    before = modules["nam_entropy.h"].compute_all_entropy_measures
    with pytest.raises(RuntimeError, match=r"nam_entropy\.h\.EntropyAccumulator must be present"):
        compat_nam.patch()
    assert modules["nam_entropy.h"].compute_all_entropy_measures is before
    assert not compat_nam.is_patched()
