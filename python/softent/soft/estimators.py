"""H(Z), H(Z|L), I(Z;L) of representations with soft bins (Conklin 2025, §5.4).

Each function runs one fused kernel pass (:func:`softent.soft_histogram`). NumPy (or any
array) in -> Python float out; torch tensor in -> 0-d tensor on the same device, in z's
floating dtype (float32 for float16/bfloat16).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .._checks import Weighting, check_base, check_weighting, fail
from .._interop import requires_grad, scalar_like, to_float
from ..discrete import unit_name
from ._kernel import ZeroRows
from .bins import Metric, Seed
from .histogram import SoftHistogram, select_rows, soft_histogram
from .layers import flat_labels, split_layers


@dataclass(frozen=True)
class Information:
    """All label-conditioned soft entropies of one call, in units of ``base``.

    ``entropy`` H(Z), ``conditional_entropy`` H(Z|L), ``mutual_information`` I(Z;L);
    ``label_entropies`` [K] H(Z | L = label_values[k]); ``counts`` [K] N_k;
    ``histogram`` the :class:`SoftHistogram` they were computed from.
    """

    entropy: Any
    conditional_entropy: Any
    mutual_information: Any
    label_entropies: np.ndarray
    label_values: np.ndarray
    counts: np.ndarray
    base: float
    weighting: str
    histogram: SoftHistogram

    def __repr__(self) -> str:
        bins = self.histogram.bins
        uniform = ", uniform" if self.weighting == "uniform" else ""
        return (
            f"Information(H={to_float(self.entropy):.4g} {unit_name(self.base)}, "
            f"H(Z|L)={to_float(self.conditional_entropy):.4g}, "
            f"I={to_float(self.mutual_information):.4g}, N={self.histogram.n_rows}, "
            f"B={bins.n_bins} {bins.metric}, T={bins.temperature:.4g}, "
            f"labels={len(self.label_values)}{uniform})"
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-able dict (floats, lists; label values as given)."""
        return {
            "entropy": float(self.entropy),
            "conditional_entropy": float(self.conditional_entropy),
            "mutual_information": float(self.mutual_information),
            "label_entropies": {
                str(v): float(h)
                for v, h in zip(self.label_values.tolist(), self.label_entropies, strict=False)
            },
            "counts": {
                str(v): int(c)
                for v, c in zip(self.label_values.tolist(), self.counts, strict=False)
            },
            "base": self.base,
            "weighting": self.weighting,
            "n_bins": self.histogram.bins.n_bins,
            "metric": self.histogram.metric,
            "temperature": self.histogram.temperature,
        }


def _differentiable_result(name: str, z: Any, labels: Any, kwargs: dict[str, Any]) -> Any:
    """``softent.torch.<name>``'s differentiable result when z, centres or temperature is a
    tensor that requires grad under grad mode (and nonfinite is 'raise'), else None."""
    if (
        kwargs.get("nonfinite", "raise") != "raise"
        or kwargs.get("layer_axis") is not None
        or not requires_grad(z, kwargs.get("centres"), kwargs.get("temperature"))
    ):
        return None
    from . import differentiable  # imports torch: only for tensors that require grad

    args = (z,) if name == "entropy" else (z, labels)
    return getattr(differentiable, name)(
        *args, **{k: v for k, v in kwargs.items() if k != "nonfinite"}
    )


def entropy(
    z: Any,
    *,
    centres: Any = None,
    n_bins: int = 100,
    metric: Metric = "cosine",
    temperature: float | Literal["auto"] = "auto",
    seed: Seed = 0,
    base: float = math.e,
    mask: Any = None,
    zero_rows: ZeroRows = "raise",
    nonfinite: Literal["raise", "drop"] = "raise",
    num_threads: int | None = None,
) -> Any:
    """Soft-bin entropy H(Z) of the rows of ``z`` [N, D], in nats (``base=2``: bits).

    H(Z) = -Σ_b p_b log p_b with p_b = (1/N) Σ_i softmax_b(s(z_i, c_b) / T). ``mask``:
    optional [N] bool (True keeps the row). ``zero_rows``: all-zero rows under cosine bins
    (no direction) are refused ('raise', default), left out ('drop', with a UserWarning
    giving their number) or given the uniform assignment 1/B ('uniform'). Other keyword
    arguments as :func:`softent.soft_histogram`. Returns a float (0-d tensor for torch
    input; differentiable, via :func:`softent.torch.entropy`, when z, centres or
    temperature is a tensor that requires grad).
    """
    kwargs = {
        "centres": centres,
        "n_bins": n_bins,
        "metric": metric,
        "temperature": temperature,
        "seed": seed,
        "base": base,
        "mask": mask,
        "zero_rows": zero_rows,
        "nonfinite": nonfinite,
        "num_threads": num_threads,
    }
    if (result := _differentiable_result("entropy", z, None, kwargs)) is not None:
        return result
    check_base("entropy", base)
    rows, _ = select_rows("entropy", z, None, mask=mask, zero_rows=zero_rows, metric=metric)
    h = soft_histogram(
        rows,
        None,
        centres=centres,
        n_bins=n_bins,
        metric=metric,
        temperature=temperature,
        seed=seed,
        nonfinite=nonfinite,
        num_threads=num_threads,
        _api="entropy",
    )
    return scalar_like(z, h.entropy(base))


def information(
    z: Any,
    labels: Any,
    *,
    centres: Any = None,
    n_bins: int = 100,
    metric: Metric = "cosine",
    temperature: float | Literal["auto"] = "auto",
    seed: Seed = 0,
    base: float = math.e,
    weighting: Weighting = "weighted",
    ignore_index: int | str | None = None,
    mask: Any = None,
    zero_rows: ZeroRows = "raise",
    layer_axis: int | None = None,
    nonfinite: Literal["raise", "drop"] = "raise",
    num_threads: int | None = None,
    _api: str = "information",
) -> Information | list[Information]:
    """H(Z), H(Z|L), I(Z;L) and H(Z | L = k) for every label, from one kernel pass.

    Args:
        z: [N, D] activations. labels: [N] integers or strings; every value is a class
            (-1 included: it no longer masks, see CHANGELOG.md).
        weighting: H(Z|L) = Σ_k w_k H(Z|L=k) with w_k = N_k/N ('weighted', default) or
            1/K over the labels present ('uniform').
        ignore_index: a label value whose rows are left out everywhere (H(Z) included),
            e.g. -100, Hugging Face's "ignore". None (default): no row is left out.
        mask: [N] bool (NumPy or torch), True keeps the row; combined with
            ``ignore_index``. The result equals the call on the kept rows; a UserWarning
            says when masking left out most (> 50 %) rows or left one label value.
        zero_rows: all-zero rows of z under cosine bins (they have no direction): 'raise'
            (default; ValueError naming the first), 'drop' (left out, with a UserWarning
            giving their number; ``histogram.n_rows`` is the rows used) or 'uniform' (the
            kernel's uniform assignment 1/B). Other metrics score a zero row normally.
        layer_axis: for a layer stack z ([N, L, D] with 1, [L, N, D] or [L, B, T, D] with
            0, as ``torch.stack(outputs.hidden_states)`` gives): the axis of the layers.
            Every other axis but the last (the features) indexes rows; labels (and
            ``mask``) are one per row, [rows] or shaped as the row axes ([B, T]). Returns
            one :class:`Information` per layer, in order (a list), each equal to the call
            on that layer's [rows, D].
        base: e (nats, default) or 2 (bits). Other arguments: :func:`softent.soft_histogram`.

    Returns:
        :class:`Information`; its three scalars are floats, or 0-d tensors on z's
        device for torch input.
    """
    b = check_base(_api, base)
    w = check_weighting(_api, weighting)
    if labels is None:
        fail(_api, "labels", "an [N] array of labels", None)
    if layer_axis is not None:
        layers, row_shape = split_layers(_api, z, layer_axis)
        kw = {
            "centres": centres,
            "n_bins": n_bins,
            "metric": metric,
            "temperature": temperature,
            "seed": seed,
            "base": b,
            "weighting": w,
            "ignore_index": ignore_index,
            "mask": flat_labels(_api, mask, row_shape, "mask"),
            "zero_rows": zero_rows,
            "nonfinite": nonfinite,
            "num_threads": num_threads,
            "_api": _api,
        }
        lab = flat_labels(_api, labels, row_shape)
        return [information(layer, lab, **kw) for layer in layers]
    if getattr(z, "ndim", 2) > 2:
        fail(
            _api,
            "z",
            "a 2-D array [N, D] (for a layer stack [N, L, D], [L, N, D] or [L, B, T, D] "
            "pass layer_axis=)",
            f"shape {tuple(z.shape)}",
        )
    rows, labels = select_rows(
        _api,
        z,
        labels,
        ignore_index=ignore_index,
        mask=mask,
        zero_rows=zero_rows,
        metric=metric,
    )
    h = soft_histogram(
        rows,
        labels,
        centres=centres,
        n_bins=n_bins,
        metric=metric,
        temperature=temperature,
        seed=seed,
        nonfinite=nonfinite,
        num_threads=num_threads,
        _api=_api,
    )
    hz, hzl, h_k = h.information(b, w, _api)  # type: ignore[arg-type]
    return Information(
        entropy=scalar_like(z, hz),
        conditional_entropy=scalar_like(z, hzl),
        mutual_information=scalar_like(z, hz - hzl),
        label_entropies=h_k,
        label_values=h.label_values,  # type: ignore[arg-type]
        counts=h.counts,  # type: ignore[arg-type]
        base=b,
        weighting=w,
        histogram=h,
    )


def conditional_entropy(z: Any, labels: Any, **kwargs: Any) -> Any:
    """Soft-bin conditional entropy H(Z|L) = Σ_k w_k H(Z | L = k), in nats (``base=2``: bits).

    Same arguments as :func:`information` (``weighting='weighted'``: w_k = N_k/N;
    ``'uniform'``: 1/K). Returns a float (0-d tensor for torch input; differentiable, via
    :func:`softent.torch.conditional_entropy`, when a tensor argument requires grad).
    """
    if (result := _differentiable_result("conditional_entropy", z, labels, kwargs)) is not None:
        return result
    res = information(z, labels, _api="conditional_entropy", **kwargs)
    if isinstance(res, list):  # layer_axis: one value per layer
        return [r.conditional_entropy for r in res]
    return res.conditional_entropy


def mutual_information(z: Any, labels: Any, **kwargs: Any) -> Any:
    """Soft-bin mutual information I(Z;L) = H(Z) - H(Z|L), in nats (``base=2``: bits).

    Same arguments as :func:`information`. Returns a float (0-d tensor for torch input;
    differentiable, via :func:`softent.torch.mutual_information`, when a tensor argument
    requires grad).
    """
    if (result := _differentiable_result("mutual_information", z, labels, kwargs)) is not None:
        return result
    res = information(z, labels, _api="mutual_information", **kwargs)
    if isinstance(res, list):  # layer_axis: one value per layer
        return [r.mutual_information for r in res]
    return res.mutual_information
