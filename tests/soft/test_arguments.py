"""Out-of-range ints, sparse and meta tensors: each a clear error naming the argument in the
project's form, never a raw pybind11, NumPy or torch error (nor a call that runs until
memory is gone)."""

from __future__ import annotations

import numpy as np
import pytest
import softent

torch = pytest.importorskip("torch")
import softent.torch as st

# ----------------------------------------------------------------------------- argument ranges

_Z = np.random.default_rng(0).standard_normal((50, 4))
_FITS = r"must be small enough to fit in memory \(the call needs [\d.]+ GiB"


@pytest.mark.parametrize(
    ("call", "kind", "match"),
    [
        (lambda: softent.entropy(_Z, n_bins=2**70), ValueError, rf"entropy: n_bins {_FITS}"),
        (
            lambda: softent.soft_histogram(_Z, tile_rows=-1),
            ValueError,
            r"soft_histogram: tile_rows must be an int >= 1, got -1",
        ),
        (
            lambda: softent.entropy(_Z, temperature=10**400),
            ValueError,
            r"entropy: temperature must be finite and > 0, got an int of 401 digits",
        ),
        (
            lambda: softent.report(_Z, bootstrap=2**70),
            ValueError,
            rf"report: bootstrap {_FITS}",
        ),
        (
            lambda: st.information(
                torch.tensor(_Z), torch.zeros(50, dtype=torch.int64), n_labels=2**70
            ),
            ValueError,
            r"torch\.information: n_labels must be an int in \[1, 2147483646\]",
        ),
        (
            lambda: st.information(
                torch.tensor(_Z), torch.zeros(50, dtype=torch.int64), n_labels=2**30
            ),
            ValueError,
            rf"torch\.information: n_labels {_FITS}",
        ),
        (
            lambda: softent.entropy(torch.tensor(_Z).to_sparse()),
            TypeError,
            r"entropy: z must be a dense tensor \(call \.to_dense\(\) first\), got a torch\.sparse_coo",
        ),
        (
            lambda: st.entropy(torch.tensor(_Z).to_sparse()),
            TypeError,
            r"torch\.entropy: z must be a dense tensor",
        ),
        (
            lambda: softent.entropy(_Z, centres=torch.tensor(_Z[:5]).to_sparse()),
            TypeError,
            r"entropy: centres must be a dense tensor",
        ),
        (
            lambda: softent.entropy(torch.empty(50, 4, device="meta")),
            RuntimeError,
            r"entropy: z must be on the CPU or a CUDA device, got meta",
        ),
        (
            lambda: st.entropy(torch.empty(50, 4, device="meta")),
            RuntimeError,
            r"torch\.entropy: z must be on the CPU or a CUDA device, got meta",
        ),
    ],
)
def test_out_of_range_ints_sparse_and_meta_tensors_get_clear_errors(call, kind, match):
    with pytest.raises(kind, match=rf"^softent\.{match}"):
        call()
