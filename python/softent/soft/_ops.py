"""The soft histogram as a differentiable torch operator, ``torch.ops.softent.soft_histogram``.

Registered with ``torch.library.custom_op`` (fake implementations included) so that
``torch.compile(fullgraph=True)`` traces through it and ``torch.library.opcheck`` passes.
Its backward is a second operator, ``torch.ops.softent.soft_histogram_backward``, which
calls the C++ backward kernels (cpp/src/cpu/soft_hist_backward.cpp and the CUDA twin):
they recompute each tile's scores and softmax and reduce the cotangent to dz, dC, d||C||²
and d(1/T) without materialising N x B. Tensors stay on their device; CUDA kernels run on
torch's current stream. Double backward is refused with a clear error.
"""

from __future__ import annotations

import torch
from torch import Tensor

from . import _kernel
from .bins import METRIC_CODES

#: the api named in the errors the custom ops raise
_API = "torch.soft_histogram"
#: metric names by kernel code
_METRICS = {code: name for name, code in METRIC_CODES.items()}


@torch.library.custom_op("softent::soft_histogram", mutates_args=())
def soft_histogram_with_dots(
    z: Tensor,
    centres: Tensor,
    centre_sq: Tensor,
    slots: Tensor,
    temperature: Tensor,
    hist_rows: int,
    metric: int,
    num_threads: int,
    keep_dots: bool,
    origin: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """([hist_rows, B] float64 soft histograms of z [N, D], dots) (see SoftHistParams in
    cpp/include/softent/params/soft.h). ``centres`` [B, D] contiguous in z's dtype (unit rows
    for cosine), ``centre_sq`` [B] float64, ``slots`` [S, N] int32 (-1 or 1..hist_rows-1),
    ``temperature`` a 0-d float64 CPU tensor T (the kernels take 1/T; the gradient is
    formed as -(dL/d(1/T) / T) / T, finite for every T whose 1/T is finite). ``dots`` is [N, B] <z_i, c_b> in
    z's dtype when ``keep_dots`` (the backward then skips recomputing them), else empty.
    ``origin`` [D] in z's dtype, or None: rows are read as z_i - origin and the centres are
    relative to it (the translation-invariant metrics; see SoftHistParams::origin)."""
    hist = torch.zeros((hist_rows, centres.shape[0]), dtype=torch.float64, device=z.device)
    dots = z.new_empty((z.shape[0], centres.shape[0]) if keep_dots else (0,))
    bad = _kernel.forward(
        _kernel.kernel_view(_API, z),
        centres,
        centre_sq,
        slots,
        hist,
        hist_rows,
        metric,
        1.0 / float(temperature),
        num_threads,
        dots_out=dots if keep_dots else None,
        origin=origin,
        api=_API,
    )
    if bad >= 0:
        _kernel.refuse_row(_API, z.detach(), bad, _METRICS[metric])
    return hist, dots


@soft_histogram_with_dots.register_fake
def _(
    z,
    centres,
    centre_sq,
    slots,
    temperature,
    hist_rows,
    metric,
    num_threads,
    keep_dots,
    origin=None,
):
    hist = z.new_empty((hist_rows, centres.shape[0]), dtype=torch.float64)
    return hist, z.new_empty((z.shape[0], centres.shape[0]) if keep_dots else (0,))


def soft_histogram(
    z: Tensor,
    centres: Tensor,
    centre_sq: Tensor,
    slots: Tensor,
    temperature: Tensor,
    hist_rows: int,
    metric: int,
    num_threads: int,
    keep_dots: bool = False,
    origin: Tensor | None = None,
) -> Tensor:
    """The differentiable [hist_rows, B] histograms (see :func:`soft_histogram_with_dots`)."""
    hist, _ = soft_histogram_with_dots(
        z,
        centres,
        centre_sq,
        slots,
        temperature,
        hist_rows,
        metric,
        num_threads,
        keep_dots,
        origin,
    )
    return hist


@torch.library.custom_op("softent::soft_histogram_backward", mutates_args=())
def soft_histogram_backward(
    grad_hist: Tensor,
    z: Tensor,
    centres: Tensor,
    centre_sq: Tensor,
    slots: Tensor,
    temperature: Tensor,
    hist_rows: int,
    metric: int,
    num_threads: int,
    needs: list[bool],
    dots: Tensor,
    origin: Tensor | None = None,
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(grad_z [N, D] z's dtype, grad_centres [B, D] float64, grad_centre_sq [B] float64,
    grad_inv_temperature [] float64: dL/d(1/T)) for ``needs`` = which of the four are wanted (the
    others come back empty). ``dots``: the forward's kept [N, B] dots, or empty."""
    n, d, b = z.shape[0], z.shape[1], centres.shape[0]
    f64 = {"dtype": torch.float64, "device": z.device}
    grad_z = torch.empty((n, d), dtype=z.dtype, device=z.device) if needs[0] else z.new_empty((0,))
    grad_c = torch.zeros((b, d), **f64) if needs[1] else torch.zeros((0,), **f64)
    grad_csq = torch.zeros((b,), **f64) if needs[2] else torch.zeros((0,), **f64)
    grad_inv_t = torch.zeros((), **f64) if needs[3] else torch.zeros((0,), **f64)
    _kernel.backward(
        _kernel.kernel_view(_API, z),
        centres,
        centre_sq,
        slots,
        hist_rows,
        metric,
        1.0 / float(temperature),
        num_threads,
        grad_hist=grad_hist,
        grad_z=grad_z if needs[0] else None,
        grad_centres=grad_c if needs[1] else None,
        grad_centre_sq=grad_csq if needs[2] else None,
        grad_inv_temperature=grad_inv_t if needs[3] else None,
        dots=dots if dots.numel() else None,
        origin=origin,
        api=_API,
    )
    return grad_z, grad_c, grad_csq, grad_inv_t.cpu()


@soft_histogram_backward.register_fake
def _(
    grad_hist,
    z,
    centres,
    centre_sq,
    slots,
    temperature,
    hist_rows,
    metric,
    num_threads,
    needs,
    dots,
    origin=None,
):
    n, d, b = z.shape[0], z.shape[1], centres.shape[0]
    f64 = {"dtype": torch.float64, "device": z.device}
    return (
        z.new_empty((n, d) if needs[0] else (0,)),
        torch.empty((b, d) if needs[1] else (0,), **f64),
        torch.empty((b,) if needs[2] else (0,), **f64),
        torch.empty(() if needs[3] else (0,), dtype=torch.float64, device="cpu"),
    )


def _setup_context(ctx, inputs, output) -> None:
    z, centres, centre_sq, slots, temperature, hist_rows, metric, num_threads, _, origin = inputs
    ctx.save_for_backward(z, centres, centre_sq, slots, temperature, output[1], origin)
    ctx.params = (hist_rows, metric, num_threads)


def _backward(ctx, grad_hist: Tensor, grad_dots: Tensor):
    # grad_dots: the kept dots are an implementation detail, never differentiated through.
    z, centres, centre_sq, slots, temperature, dots, origin = ctx.saved_tensors
    needs = [bool(ctx.needs_input_grad[i]) for i in (0, 1, 2, 4)]
    grad_z, grad_c, grad_csq, grad_inv_t = soft_histogram_backward(
        grad_hist.to(torch.float64).contiguous(),
        z,
        centres,
        centre_sq,
        slots,
        temperature,
        *ctx.params,
        needs,
        dots,
        origin,
    )
    grad_t = None
    if needs[3]:
        # dL/dT = -dL/d(1/T) / T^2, divided by T twice: T^2 underflows below 1e-154 (and
        # 1/T^2 overflows), where autograd's reciprocal made 0 * inf = NaN
        grad_t = -(grad_inv_t / temperature) / temperature
    return (
        grad_z if needs[0] else None,
        grad_c.to(centres.dtype) if needs[1] else None,
        grad_csq if needs[2] else None,
        None,
        grad_t,
        None,
        None,
        None,
        None,
        None,
    )


soft_histogram_with_dots.register_autograd(_backward, setup_context=_setup_context)


def _no_double_backward(ctx, *grads):
    raise RuntimeError(
        "softent.torch: double backward (gradients of gradients, e.g. create_graph=True then "
        "another backward) is not supported by the soft-histogram kernels"
    )


def _setup_nothing(ctx, inputs, output) -> None:
    pass


soft_histogram_backward.register_autograd(_no_double_backward, setup_context=_setup_nothing)
