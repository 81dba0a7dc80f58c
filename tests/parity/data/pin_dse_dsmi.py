"""Pins dse-dsmi 1.1's outputs (PyPI ``dse-dsmi``) for tests/parity/test_dse_dsmi_parity.py
and tests/compat/test_compat_dse_dsmi.py, so the parity tests need no dse-dsmi:

    python -m venv /tmp/dse && /tmp/dse/bin/pip install dse-dsmi==1.1 scikit-learn
    /tmp/dse/bin/python tests/parity/data/pin_dse_dsmi.py          # -> dse_dsmi_pins.json

(made with numpy 2.4.6, scipy 1.17.1, scikit-learn 1.9.1, Python 3.11). This file imports
neither softent nor pytest: the tests import :data:`CASES`, :func:`case_data` and
:func:`run_case` from it and run the same calls against ``softent.compat.dse_dsmi``.

Every option of the four functions is covered on seeded data, float64 and float32: sigma,
t, max_N subsampling (seeded, and unseeded after ``random.seed``), chebyshev_approx (after
``np.random.seed``), classic_shannon_entropy, matrix_entry_entropy, eigenvalue saving at
float16 and float64 and reading back with ``embedding_vectors=None``, the Gaussian,
anisotropic and kNN adjacencies, and DSMI/ASMI with labels, continuous scalars, vectors
(spectral clustering), precomputed clusters, repetitions and seeds.
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

OUT = Path(__file__).with_name("dse_dsmi_pins.json")

#: name -> (function, dtype, data, kwargs, setup); data: (n, d, seed) of :func:`case_data`;
#: setup: None, ("np", s) -> np.random.seed(s), ("py", s) -> random.seed(s), or
#: ("save", precision) -> save then read back (both values pinned)
CASES: dict[str, tuple[str, str, tuple[int, int, int], dict[str, Any], Any]] = {}


def _add(name: str, fn: str, dtype: str, data: tuple, kwargs: dict, setup: Any = None) -> None:
    CASES[name] = (fn, dtype, data, kwargs, setup)


for _dt in ("float64", "float32"):
    _s = "" if _dt == "float64" else "_f32"
    _add("dse_default" + _s, "dse", _dt, (150, 16, 1), {})
    _add("dse_sigma3_t2" + _s, "dse", _dt, (150, 16, 2), {"gaussian_kernel_sigma": 3, "t": 2})
    _add("dse_sigma2.5_t0.5" + _s, "dse", _dt, (120, 8, 3),
         {"gaussian_kernel_sigma": 2.5, "t": 0.5})  # fmt: skip
    _add("dse_maxN" + _s, "dse", _dt, (260, 16, 4), {"max_N": 140, "random_seed": 7})
    _add("dse_classic" + _s, "dse", _dt, (150, 6, 5), {"classic_shannon_entropy": True})
    _add("dse_classic_bins3" + _s, "dse", _dt, (150, 4, 5),
         {"classic_shannon_entropy": True, "num_bins_per_dim": 3})  # fmt: skip
    _add("dse_entries" + _s, "dse", _dt, (120, 16, 6), {"matrix_entry_entropy": True})
    _add("dse_chebyshev" + _s, "dse", _dt, (120, 16, 7), {"chebyshev_approx": True}, ("np", 3))
    _add("ase_default" + _s, "ase", _dt, (150, 16, 8), {})
    _add("ase_anisotropic" + _s, "ase", _dt, (150, 16, 8), {"anisotropic": True})
    _add("ase_knn10" + _s, "ase", _dt, (150, 16, 9), {"use_knn": True})
    _add("ase_knn4" + _s, "ase", _dt, (120, 8, 10), {"use_knn": True, "knn": 4})
    _add("dsmi_labels" + _s, "dsmi", _dt, (240, 16, 20), {"reference": "labels"})
    _add("asmi_labels" + _s, "asmi", _dt, (240, 16, 21), {"reference": "labels"})
    _add("asmi_knn" + _s, "asmi", _dt, (240, 16, 22), {"reference": "labels", "use_knn": True})

_add("dse_t3_sigma5", "dse", "float64", (150, 16, 11), {"gaussian_kernel_sigma": 5.0, "t": 3})
_add("dse_maxN_unseeded", "dse", "float64", (260, 16, 12),
     {"max_N": 130, "random_seed": None}, ("py", 99))  # fmt: skip
_add("dse_maxN_classic", "dse", "float64", (260, 5, 13),
     {"max_N": 100, "random_seed": 3, "classic_shannon_entropy": True})  # fmt: skip
_add("dse_save_f16", "dse", "float64", (120, 16, 14), {}, ("save", "float16"))
_add("dse_save_f64_t2", "dse", "float64", (120, 16, 15), {"t": 2}, ("save", "float64"))
_add("dse_save_f32in", "dse", "float32", (120, 16, 15), {}, ("save", "float32"))
_add("ase_save_f16", "ase", "float64", (120, 16, 16), {}, ("save", "float16"))
_add("ase_knn_save_f64", "ase", "float64", (120, 16, 17), {"use_knn": True}, ("save", "float64"))
_add("ase_knn1", "ase", "float64", (60, 8, 18), {"use_knn": True, "knn": 1})
_add("ase_maxN_sigma4", "ase", "float64", (260, 16, 19),
     {"max_N": 150, "random_seed": 5, "gaussian_kernel_sigma": 4})  # fmt: skip
_add("dsmi_t2_reps3_seed11", "dsmi", "float64", (240, 16, 23),
     {"reference": "labels", "t": 2, "num_repetitions": 3, "random_seed": 11})  # fmt: skip
_add("dsmi_sigma4", "dsmi", "float64", (240, 16, 24),
     {"reference": "labels", "gaussian_kernel_sigma": 4})  # fmt: skip
_add("dsmi_scalar", "dsmi", "float64", (240, 16, 25), {"reference": "scalar", "n_clusters": 4})
_add("dsmi_scalar_f32", "dsmi", "float32", (240, 16, 25),
     {"reference": "scalar", "n_clusters": 5})  # fmt: skip
_add("dsmi_vectors", "dsmi", "float64", (240, 16, 26), {"reference": "vectors", "n_clusters": 3})
_add("dsmi_precomputed", "dsmi", "float64", (240, 16, 27),
     {"reference": "scalar", "precomputed": True})  # fmt: skip
_add("dsmi_discrete_flag", "dsmi", "float64", (240, 16, 28),
     {"reference": "float_labels", "reference_discrete": True})  # fmt: skip
_add("dsmi_classic", "dsmi", "float64", (240, 6, 29),
     {"reference": "labels", "classic_shannon_entropy": True})  # fmt: skip
_add("dsmi_entries", "dsmi", "float64", (240, 16, 30),
     {"reference": "labels", "matrix_entry_entropy": True})  # fmt: skip
_add("dsmi_balanced", "dsmi", "float64", (240, 16, 40),
     {"reference": "balanced", "num_repetitions": 3, "random_seed": 2})  # fmt: skip
_add("asmi_balanced", "asmi", "float32", (240, 16, 41), {"reference": "balanced"})
_add("dsmi_chebyshev", "dsmi", "float64", (180, 16, 31),
     {"reference": "labels", "chebyshev_approx": True, "num_repetitions": 2}, ("np", 8))  # fmt: skip
_add("dsmi_unseeded", "dsmi", "float64", (240, 16, 32),
     {"reference": "labels", "random_seed": None}, ("py", 5))  # fmt: skip
_add("asmi_anisotropic_reps2", "asmi", "float64", (240, 16, 33),
     {"reference": "labels", "anisotropic": True, "num_repetitions": 2, "random_seed": 4})  # fmt: skip
_add("asmi_scalar", "asmi", "float64", (240, 16, 34), {"reference": "scalar", "n_clusters": 3})


def case_data(name: str) -> dict[str, np.ndarray]:
    """The seeded inputs of a case: x [n, d] in the case's dtype (3 Gaussian blobs whose
    scale suits dse-dsmi's sigma = 10) and the references of the MI cases."""
    _, dtype, (n, d, seed), _, _ = CASES[name]
    rng = np.random.default_rng([0xD5E, seed])
    labels = rng.integers(0, 3, n)
    centres = rng.normal(0.0, 3.0, (3, d))
    x = centres[labels] + 1.5 * rng.standard_normal((n, d))
    scalar = labels + 0.8 * rng.standard_normal(n)
    vectors = np.eye(3)[labels] @ rng.normal(0.0, 1.0, (3, 5)) + rng.standard_normal((n, 5))
    return {
        "x": x.astype(dtype),
        "labels": labels.reshape(n, 1),
        "float_labels": labels.astype(np.float64),
        # equal class sizes: dse-dsmi re-seeds per class, so every class draws the same subsets
        "balanced": (np.arange(n) % 3).reshape(n, 1),
        "scalar": scalar.reshape(n, 1),
        "vectors": vectors,
    }


def run_case(module: Any, name: str, folder: str) -> dict[str, Any]:
    """Run a case against ``module`` (dse_dsmi or softent.compat.dse_dsmi); the outputs as
    JSON-able values. ``folder``: where the save cases write their eigenvalue file."""
    fn, _, _, kwargs, setup = CASES[name]
    data = case_data(name)
    kw = dict(kwargs)
    if setup is not None and setup[0] == "np":
        np.random.seed(setup[1])  # noqa: NPY002 (dse-dsmi's chebyshev probes use it)
    if setup is not None and setup[0] == "py":
        random.seed(setup[1])
    if fn in ("dse", "ase"):
        f = module.diffusion_spectral_entropy if fn == "dse" else module.adjacency_spectral_entropy
        if setup is not None and setup[0] == "save":
            path = os.path.join(folder, name, "eigvals.npz")
            first = f(data["x"], eigval_save_path=path,
                      eigval_save_precision=getattr(np, setup[1]), **kw)  # fmt: skip
            again = f(None, eigval_save_path=path, **kw)
            return {"value": float(first), "loaded": float(again)}
        return {"value": float(f(data["x"], **kw))}
    f = (
        module.diffusion_spectral_mutual_information
        if fn == "dsmi"
        else module.adjacency_spectral_mutual_information
    )
    ref = data[kw.pop("reference")]
    if kw.pop("precomputed", False):
        kw["precomputed_clusters"] = (data["labels"][:, 0] + 1) % 3
    mi, clusters = f(data["x"], ref, **kw)
    return {"value": float(mi), "clusters": np.asarray(clusters).reshape(-1).tolist()}


def main() -> None:
    with warnings.catch_warnings():  # dse_dsmi's import silences every warning otherwise
        import dse_dsmi
        import numpy
        import scipy
        import sklearn
    from importlib.metadata import version

    pins: dict[str, Any] = {
        "_made_with": {
            "dse-dsmi": version("dse-dsmi"),
            "numpy": numpy.__version__,
            "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
            "python": sys.version.split()[0],
        }
    }
    with tempfile.TemporaryDirectory() as folder:
        for name in CASES:
            pins[name] = run_case(dse_dsmi, name, folder)
            print(name, pins[name]["value"], file=sys.stderr)
    OUT.write_text(json.dumps(pins, indent=1) + "\n")


if __name__ == "__main__":
    main()
