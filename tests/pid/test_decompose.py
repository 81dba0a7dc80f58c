"""softent.pid.decompose's input handling, for every measure: samples, the equivalent pmf
as a dict, a dense array and a dit-like object give the same atoms; strings as codes; a
source of several neurons ([N, m]); NumPy, torch and lists; sample order and value
renaming do not matter; bad input is refused with an error naming the argument; nothing
passed in is modified."""

from __future__ import annotations

import copy
import math
from collections import Counter

import numpy as np
import pytest
import torch
from softent.pid import MEASURES, as_pmf, decompose

# n = 2 for every measure, n = 3 for those defined beyond two sources
CASES = [(m, 2) for m in MEASURES] + [(m, 3) for m in MEASURES if m != "broja"]


def samples(n: int, seed: int = 0, size: int = 400):
    """n sources with 2-3 values and a target that depends on them, [N] int64 each."""
    rng = np.random.default_rng(seed)
    sources = [rng.integers(0, 2 + (i % 2), size) for i in range(n)]
    target = (sum(sources) + (rng.random(size) < 0.2)) % 3
    return sources, target


def empirical(sources, target) -> dict:
    counts = Counter(zip(*(s.tolist() for s in sources), target.tolist(), strict=True))
    return {k: c / len(target) for k, c in counts.items()}


class DitLike:
    """What decompose reads of a dit Distribution: ``outcomes`` and ``pmf``."""

    def __init__(self, pmf: dict) -> None:
        self.outcomes = list(pmf)
        self.pmf = np.array([pmf[o] for o in self.outcomes])


def atoms_of(d) -> np.ndarray:
    return np.array([d.atoms[node] for node in d.nodes])


@pytest.mark.parametrize(("measure", "n"), CASES)
def test_samples_dict_array_and_dit_object_agree(measure, n):
    sources, target = samples(n)
    pmf = empirical(sources, target)
    dense = np.zeros([int(s.max()) + 1 for s in (*sources, target)])
    for k, p in pmf.items():
        dense[k] = p
    want = atoms_of(decompose(sources, target, measure=measure))
    for given in (pmf, dense, DitLike(pmf), as_pmf(sources, target)):
        got = atoms_of(decompose(given, measure=measure))
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    d = decompose(sources, target, measure=measure)
    assert d.n_samples == len(target)
    assert decompose(pmf, measure=measure).n_samples is None
    assert d.n_outcomes == len(pmf)


@pytest.mark.parametrize(("measure", "n"), CASES)
def test_strings_torch_and_lists_as_codes(measure, n):
    sources, target = samples(n, seed=1)
    want = atoms_of(decompose(sources, target, measure=measure))
    names = np.array(["low", "mid", "high"])
    as_strings = decompose([names[s] for s in sources], names[target], measure=measure)
    np.testing.assert_allclose(atoms_of(as_strings), want, rtol=0, atol=1e-12)
    as_torch = decompose(
        [torch.from_numpy(s) for s in sources], torch.from_numpy(target), measure=measure
    )
    np.testing.assert_allclose(atoms_of(as_torch), want, rtol=0, atol=1e-12)
    as_lists = decompose([s.tolist() for s in sources], target.tolist(), measure=measure)
    np.testing.assert_allclose(atoms_of(as_lists), want, rtol=0, atol=1e-12)
    # string values in a pmf dict
    pmf = {tuple(str(v) for v in k): p for k, p in empirical(sources, target).items()}
    np.testing.assert_allclose(atoms_of(decompose(pmf, measure=measure)), want, atol=1e-12)


@pytest.mark.parametrize(("measure", "n"), CASES)
def test_a_source_of_several_neurons_is_its_joint_value(measure, n):
    rng = np.random.default_rng(2)
    size = 500
    a, b = rng.integers(0, 2, size), rng.integers(0, 3, size)
    rest = [rng.integers(0, 2, size) for _ in range(n - 1)]
    target = (a + b + sum(rest) + (rng.random(size) < 0.1)) % 3
    joint = decompose([np.stack([a, b], axis=1), *rest], target, measure=measure)
    coded = decompose([a * 3 + b, *rest], target, measure=measure)
    np.testing.assert_allclose(atoms_of(joint), atoms_of(coded), rtol=0, atol=1e-12)


@pytest.mark.parametrize(("measure", "n"), CASES)
def test_sample_order_and_value_renaming_do_not_matter(measure, n):
    sources, target = samples(n, seed=3)
    want = atoms_of(decompose(sources, target, measure=measure))
    perm = np.random.default_rng(3).permutation(len(target))
    shuffled = decompose([s[perm] for s in sources], target[perm], measure=measure)
    np.testing.assert_allclose(atoms_of(shuffled), want, rtol=0, atol=1e-12)
    renamed = decompose([7 - 2 * s for s in sources], (target + 1) * 10, measure=measure)
    np.testing.assert_allclose(atoms_of(renamed), want, rtol=0, atol=1e-12)


@pytest.mark.parametrize(("measure", "n"), CASES)
def test_inputs_are_not_modified(measure, n):
    sources, target = samples(n, seed=4)
    kept = [s.copy() for s in sources], target.copy()
    decompose(sources, target, measure=measure)
    for s, k in zip(sources, kept[0], strict=True):
        np.testing.assert_array_equal(s, k)
    np.testing.assert_array_equal(target, kept[1])
    pmf = empirical(sources, target)
    before = copy.deepcopy(pmf)
    decompose(pmf, measure=measure)
    assert pmf == before
    dense = np.full((2,) * (n + 1), 1 / 2 ** (n + 1))
    dense_before = dense.copy()
    decompose(dense, measure=measure)
    np.testing.assert_array_equal(dense, dense_before)


# ----------------------------------------------------------------------------- bad input

XOR = {(0, 0, 0): 0.25, (0, 1, 1): 0.25, (1, 0, 1): 0.25, (1, 1, 0): 0.25}


def _raises(kind, pattern, *args, **kwargs):
    with pytest.raises(kind, match=r"^softent\.pid\.decompose: " + pattern):
        decompose(*args, **kwargs)


def test_more_than_five_sources_is_refused():
    s = np.zeros(10, dtype=int)
    _raises(ValueError, "sources must be a list of 1 to 5 sources", [s] * 6, s)
    _raises(ValueError, "pmf must be outcomes of 1 to 5 sources", {(0,) * 7: 1.0})
    _raises(ValueError, "pmf must be an array with n \\+ 1 axes", np.ones((1,) * 7))


def test_mismatched_lengths_are_refused():
    _raises(
        ValueError,
        r"sources\[1\] must be 10 rows",
        [np.zeros(10, int), np.zeros(9, int)],
        np.zeros(10, int),
    )


def test_a_pmf_that_does_not_sum_to_one_is_refused():
    _raises(ValueError, "pmf must be probabilities summing to 1", {(0, 0, 0): 0.5, (1, 1, 1): 0.4})
    _raises(ValueError, "pmf must be probabilities summing to 1", np.full((2, 2, 2), 0.1))


def test_negative_and_nan_probabilities_are_refused():
    _raises(ValueError, "pmf must be probabilities >= 0", {(0, 0, 0): 1.5, (1, 1, 1): -0.5})
    _raises(ValueError, "pmf must be finite probabilities", {(0, 0, 0): math.nan, (1, 1, 1): 1})
    bad = np.full((2, 2, 2), 1 / 8)
    bad[0, 0, 0] = math.inf
    _raises(ValueError, "pmf must be finite probabilities", bad)


def test_empty_input_is_refused():
    _raises(ValueError, "pmf must be outcomes", {})
    _raises(ValueError, "sources must be a list of 1 to 5 sources", [], np.zeros(3, int))
    empty = np.zeros(0, dtype=int)
    _raises(ValueError, r"sources\[0\] must be non-empty", [empty, empty], empty)


def test_continuous_values_where_codes_are_needed_are_refused():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=20), rng.integers(0, 2, 20)
    _raises(TypeError, r"sources\[0\] must be integers or strings", [x, y], y)
    _raises(TypeError, "target must be integers or strings", [y, y], x)


def test_a_target_of_several_columns_is_refused():
    y = np.zeros((10, 2), dtype=int)
    _raises(ValueError, "target must be \\[N\\] codes", [y[:, 0], y[:, 1]], y)


def test_unknown_options_are_refused():
    _raises(ValueError, "measure must be one of 'sx', 'imin', 'broja'", XOR, measure="wb")
    _raises(ValueError, "base must be a number > 0 and != 1", XOR, base=1)
    _raises(ValueError, "base must be", XOR, base=-2)
    _raises(TypeError, "base must be", XOR, base="2")
    _raises(ValueError, "pointwise must be False, True", XOR, pointwise="outcome")
    _raises(ValueError, "num_threads must be None or an int >= 1", XOR, num_threads=0)


def test_sources_that_are_not_a_list_are_refused():
    _raises(TypeError, "sources must be a list of n code arrays", "abc", np.zeros(3, int))
