"""softent.compat.dse_dsmi.patch / unpatch / patched: the installed dse_dsmi's functions
replaced by softent's (the same numbers) and restored; importing dse_dsmi there keeps the
warning filters. Needs dse-dsmi (the ``test`` extra) except for the refusal without it."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest
from softent.compat import dse_dsmi as compat

NAMES = {
    "dse_dsmi": [
        "diffusion_spectral_entropy",
        "adjacency_spectral_entropy",
        "diffusion_spectral_mutual_information",
        "adjacency_spectral_mutual_information",
    ],
    "dse_dsmi.dse": ["diffusion_spectral_entropy", "adjacency_spectral_entropy"],
    "dse_dsmi.dsmi": [
        "diffusion_spectral_entropy",
        "diffusion_spectral_mutual_information",
        "adjacency_spectral_mutual_information",
    ],
    "dse_dsmi.diffusion": ["compute_diffusion_matrix"],
    "dse_dsmi.information_utils": ["exact_eigvals", "approx_eigvals"],
}


@pytest.fixture
def peer():
    with warnings.catch_warnings():
        try:
            import dse_dsmi.diffusion
            import dse_dsmi.dse
            import dse_dsmi.dsmi
            import dse_dsmi.information_utils  # noqa: F401  (imported: patched below)
        except ImportError:
            pytest.skip("dse-dsmi is not installed (pip install dse-dsmi==1.1)")
    yield sys.modules["dse_dsmi"]
    compat.unpatch()


def installed():
    return {(m, n): getattr(sys.modules[m], n) for m, names in NAMES.items() for n in names}


def test_patch_replaces_every_function_and_unpatch_restores_them(peer):
    before = installed()
    filters = list(warnings.filters)
    compat.patch()
    compat.patch()  # idempotent
    assert warnings.filters == filters
    for (module, name), original in before.items():
        now = getattr(sys.modules[module], name)
        assert now is getattr(compat, name)
        assert now is not original
    compat.unpatch()
    compat.unpatch()  # a no-op when not patched
    for (module, name), original in before.items():
        assert getattr(sys.modules[module], name) is original


def test_the_peers_functions_return_the_compat_numbers_while_patched(peer):
    import dse_dsmi as theirs

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 90)
    x = rng.normal(0, 3.0, (3, 8))[labels] + 1.5 * rng.standard_normal((90, 8))
    want_h = compat.diffusion_spectral_entropy(x, 3.0, t=2)
    want_mi, _ = compat.adjacency_spectral_mutual_information(x, labels, num_repetitions=2)
    with compat.patched():
        assert theirs.diffusion_spectral_entropy(x, 3.0, t=2) == want_h
        mi, clusters = theirs.dsmi.adjacency_spectral_mutual_information(
            x, labels, num_repetitions=2
        )
        assert mi == want_mi
        np.testing.assert_array_equal(clusters.ravel(), labels)
    assert theirs.diffusion_spectral_entropy is not compat.diffusion_spectral_entropy
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert theirs.diffusion_spectral_entropy(x, 3.0, t=2) == pytest.approx(want_h, abs=1e-10)


def test_patch_without_dse_dsmi_is_an_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "dse_dsmi", None)  # what an absent package looks like
    with pytest.raises(
        ImportError,
        match=r"softent\.compat\.dse_dsmi\.patch: the peer package must be installed.*dse-dsmi",
    ):
        compat.patch()
    compat.unpatch()  # nothing was replaced
