"""The one builder of the compiled kernels' params structs (``softent._core``).

Every call into the C++ soft-histogram kernels goes through :func:`soft_histogram` or
:func:`soft_histogram_backward`: they describe the arrays with :func:`softent._interop.view`
/ :func:`~softent._interop.pointer`, fill ``_core.SoftHistParams`` /
``_core.SoftHistGradParams`` field by field (the fields are documented in
cpp/include/softent/params/soft.h) and call the op, which releases the GIL. The array
handles stay referenced here until the call returns, so the addresses stay valid.
"""

from __future__ import annotations

from typing import Any

from . import _core
from ._interop import View, is_torch, pointer, view


def _view2d(v: View) -> _core.View2D:
    out = _core.View2D()
    out.data = v.ptr
    out.rows, out.cols = v.shape
    out.stride_row, out.stride_col = v.strides
    out.dtype = v.dtype_code
    out.device = v.device
    return out


def _hist_params(
    z: View,
    centres: View,
    centre_sq: Any,
    slots: Any,
    *,
    hist_rows: int,
    metric: int,
    inv_temperature: float,
    num_threads: int,
    tile_rows: int,
) -> _core.SoftHistParams:
    """The fields shared by the forward and backward calls (``slots`` [S, N] int32 or None)."""
    p = _core.SoftHistParams()
    p.z = _view2d(z)
    p.centres = _view2d(centres)
    p.centre_sq = pointer(centre_sq)
    has_slots = slots is not None and int(slots.numel() if is_torch(slots) else slots.size) > 0
    p.slots = pointer(slots) if has_slots else 0
    p.n_sets = int(slots.shape[0]) if has_slots else 0
    p.hist_rows = int(hist_rows)
    p.metric = int(metric)
    p.inv_temperature = float(inv_temperature)
    p.num_threads = int(num_threads)
    p.tile_rows = int(tile_rows)
    p.stream = z.stream
    return p


def soft_histogram(
    z: View,
    centres: Any,
    centre_sq: Any,
    slots: Any,
    hist: Any,
    *,
    hist_rows: int,
    metric: int,
    inv_temperature: float,
    num_threads: int = 0,
    tile_rows: int = 0,
    replicates: int = 0,
    replicate_seed: int = 0,
    row_offset: int = 0,
    replicate_offset: int = 0,
    dots_out: Any = None,
) -> int:
    """Add the soft histograms of ``z`` (a view [N, D]) into ``hist``
    [(1 + replicates) * hist_rows, B] float64, in z's memory. ``centres`` [B, D] contiguous in
    z's dtype, ``centre_sq`` [B] float64, ``slots`` [S, N] int32 or None, ``dots_out``
    [N, B] or None. Returns the first row with non-finite scores, or -1."""
    c = view(centres)
    p = _hist_params(
        z,
        c,
        centre_sq,
        slots,
        hist_rows=hist_rows,
        metric=metric,
        inv_temperature=inv_temperature,
        num_threads=num_threads,
        tile_rows=tile_rows,
    )
    p.hist = pointer(hist)
    p.replicates = int(replicates)
    p.replicate_seed = int(replicate_seed)
    p.row_offset = int(row_offset)
    p.replicate_offset = int(replicate_offset)
    p.dots_out = pointer(dots_out)
    return _core.soft_histogram(p)


def soft_histogram_backward(
    z: View,
    centres: Any,
    centre_sq: Any,
    slots: Any,
    grad_hist: Any,
    *,
    hist_rows: int,
    metric: int,
    inv_temperature: float,
    num_threads: int = 0,
    tile_rows: int = 0,
    dots: Any = None,
    grad_z: Any = None,
    grad_centres: Any = None,
    grad_centre_sq: Any = None,
    grad_inv_temperature: Any = None,
) -> None:
    """The backward of :func:`soft_histogram` for the cotangent ``grad_hist`` [hist_rows, B]
    float64: writes ``grad_z`` [N, D] (z's dtype) and adds into ``grad_centres`` [B, D],
    ``grad_centre_sq`` [B] and ``grad_inv_temperature`` [1] (float64); None: not wanted.
    ``dots``: the forward's ``dots_out``, or None to recompute them."""
    c = view(centres)
    g = _core.SoftHistGradParams()
    g.fwd = _hist_params(
        z,
        c,
        centre_sq,
        slots,
        hist_rows=hist_rows,
        metric=metric,
        inv_temperature=inv_temperature,
        num_threads=num_threads,
        tile_rows=tile_rows,
    )
    g.grad_hist = pointer(grad_hist)
    g.dots = pointer(dots)
    g.grad_z = pointer(grad_z)
    g.grad_centres = pointer(grad_centres)
    g.grad_centre_sq = pointer(grad_centre_sq)
    g.grad_inv_temperature = pointer(grad_inv_temperature)
    _core.soft_histogram_backward(g)
