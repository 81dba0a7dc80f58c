"""Findings of the fuzz suite not fixed yet, each one class of bug (issue 16).

The CI fuzz tests (test_fuzz.py) tolerate a verdict that matches one of these, so that the
rest of each function keeps being fuzzed; the long run counts them apart from new findings
(``known_findings`` in its summary). Each has a reproduction in test_known_findings.py
marked ``xfail(strict=True)``: when the bug is fixed that test passes, fails the suite as
XPASS, and the entry here (and its xfail) should be removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fuzz_core import Call, Verdict


@dataclass(frozen=True)
class Known:
    key: str  # short name, used by test_known_findings.py and in the long run's summary
    kind: str  # regex of the verdict kinds (fuzz_core.FINDINGS)
    detail: str  # regex searched in the verdict's detail
    label: str  # regex matched against the call's label (the public function)
    what: str  # one line: the bug


KNOWN: tuple[Known, ...] = (
    Known(
        "ragged_lists",
        "bad_message",
        r"inhomogeneous shape",
        r".*",
        "nested lists of unequal lengths ([[1, 2], [3]]) reach np.asarray before any check: "
        "NumPy's ValueError, not the softent form (soft, discrete tables, counting)",
    ),
    Known(
        "floor_unvalidated",
        r"bad_message|unexpected_exception|nan_result|warning|wrong_type",
        r"",
        r"softent\.discrete\.(entropy_of_masses|information_of_masses|label_weights|to_base"
        r"|unit_name|capacity\.water_filling)",
        "the floor functions exported by softent.discrete (entropy_of_masses, "
        "information_of_masses, label_weights, to_base, unit_name) and "
        "capacity.water_filling validate neither types nor values: entropy_of_masses(None) "
        "returns NaN, NaN masses give NaN, information_of_masses(3.0, ...) raises "
        "AttributeError, unit_name('2') / unit_name(None) and label_weights('abc', ...) "
        "raise NumPy's / Python's own errors, to_base(1+1j, 10, ...) returns a complex",
    ),
    Known(
        "bfloat16_centres",
        "bad_message",
        r"unsupported ScalarType BFloat16",
        r"softent\.(Accumulator|entropy|conditional_entropy|mutual_information|information"
        r"|soft_histogram|report)$",
        "torch bfloat16 centres: torch's 'Got unsupported ScalarType BFloat16' TypeError",
    ),
    Known(
        "extreme_weights",
        r"warning|nan_result",
        r"overflow encountered|invalid value|is not finite",
        r"softent\.discrete\.(Counts|estimate\..*|counting\..*)",
        "finite sample weights whose sum overflows float64 (a few x 1e307) give n = inf and "
        "NaN/inf results (or NumPy's RuntimeWarning 'overflow encountered in reduce', an "
        "exception under warnings-as-errors); all-subnormal weights give NaN entropies. "
        "Neither is refused",
    ),
    Known(
        "negative_bit_tensor",
        "bad_message",
        r"negative bit set",
        r"softent\..*",
        "a torch tensor with the negative bit set (x.conj().imag) given to "
        "discrete.entropy_from_counts, quantise.quantile or as Accumulator centres: torch's "
        'RuntimeError "Can\'t call numpy() on Tensor that has negative bit set"',
    ),
    Known(
        "bins_unvalidated",
        r"unexpected_exception|bad_message|warning|nan_result",
        r"",
        r"softent\.Bins",
        "softent.Bins(centres, metric, temperature) (public: listed in the package's __all__) validates "
        "nothing; repr(Bins(np.array([1.0, 2.0]), 'dot', 0.05)) raises IndexError (1-D centres), "
        "complex centres warn ComplexWarning",
    ),
    Known(
        "gaussian_capacity_subnormal_noise",
        "nan_result",
        r"",
        r"softent\.discrete\.gaussian_channel_capacity",
        "gaussian_channel_capacity(1.0, 1e-320): +inf (power / subnormal noise overflows), "
        "neither refused nor documented",
    ),
    Known(
        "layer_capacity_overflow",
        "nan_result",
        r"",
        r"softent\.discrete\.layer_capacity",
        "layer_capacity of a W with an entry near 1e308 and a large power: water_level = inf "
        "(overflow in the water-filling), neither refused nor documented",
    ),
    Known(
        "measures_divide_warning",
        "warning",
        r"invalid value encountered",
        r"softent\.measures_from_masses",
        "measures_from_masses with all-zero masses of a label: NumPy RuntimeWarning "
        "'invalid value encountered in divide' (an exception under warnings-as-errors)",
    ),
    Known(
        "metric_unhashable",
        "bad_message",
        r"unhashable type",
        r"softent\..*",
        "a list or dict as metric (softent.entropy(z, metric={'a': 1}), softent.torch.*, "
        "Accumulator): raw TypeError 'unhashable type' from a dict lookup",
    ),
    Known(
        "information_plane_non_sequence",
        "bad_message",
        r"is not iterable",
        r"softent\.torch\.information_plane",
        "softent.torch.information_plane(None): raw TypeError 'NoneType' object is not iterable",
    ),
)


KNOWN += (
    Known(
        "overflow_warnings",
        "warning",
        r"RuntimeWarning: overflow encountered",
        r"softent\..*",
        "finite but extreme inputs (entries near ±1e308, or 1e4-offset data with "
        "sqeuclidean/euclidean centres) make NumPy warn 'overflow encountered in "
        "square/reduce/multiply/divide/subtract' (an exception under warnings-as-errors) in "
        "softent.entropy/information/mutual_information, softent.torch.*, "
        "discrete.entropy/joint_entropy (validate=False), quantise.levels/equal_width and "
        "layer_capacity; the results are refused or finite, but the warning escapes",
    ),
    Known(
        "torch_float16_gradient",
        "nan_result",
        r"gradient",
        r"softent\.torch\..*",
        "softent.torch.entropy of a float16 tensor (N=55, D=1, values ~1e-3, "
        "metric='euclidean'): finite entropy, but a non-finite entry in the gradient",
    ),
    Known(
        "mixed_torch_numpy",
        "bad_message",
        r"expected Tensor as element",
        r"softent\.discrete\.estimate\..*",
        "estimate.conditional_mutual_information(x torch, y NumPy, z NumPy): torch's raw "
        "TypeError 'expected Tensor as element 1 in argument 0, but got numpy.ndarray'",
    ),
)


def known(call: Call, verdict: Verdict) -> Known | None:
    """The known finding this verdict is an instance of, if any."""
    for k in KNOWN:
        if (
            re.fullmatch(k.kind, verdict.kind)
            and re.fullmatch(k.label, call.label)
            and re.search(k.detail, verdict.detail)
        ):
            return k
    return None
