"""softent.discrete.Counts: a stream equals the batch estimate in any chunking and merge
order, files round-trip and are checked, threads do not lose updates."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from softent.discrete import Counts, estimate
from softent.discrete.estimators import ESTIMATORS


def stream(seed: int = 0, n: int = 1200):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 9, n)
    y = np.array(["a", "b", "c", "d", "e"])[(x + rng.integers(0, 2, n)) % 5]
    return x, y


def numbers(info) -> dict:
    """The numeric fields of a DiscreteInformation."""
    return {k: v for k, v in info.as_dict().items() if not isinstance(v, str)}


def chunked(x, y, sizes, counts=None):
    c = Counts() if counts is None else counts
    i = 0
    for s in sizes:
        c.update(x[i : i + s], y[i : i + s])
        i += s
    return c


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_a_stream_equals_the_batch_estimate(estimator):
    x, y = stream()
    c = chunked(x, y, [7, 500, 1, 692])
    got = c.information(estimator=estimator)
    want = estimate.information(x, y, estimator=estimator)
    assert numbers(got) == pytest.approx(numbers(want), rel=1e-12)
    assert c.entropy(estimator=estimator) == pytest.approx(
        estimate.entropy(x, estimator=estimator), rel=1e-12
    )


def test_merge_equals_the_batch_result_in_any_order():
    x, y = stream(1)
    parts = [(x[:300], y[:300]), (x[300:310], y[300:310]), (x[310:], y[310:])]
    want = estimate.mutual_information(x, y)
    for order in ([0, 1, 2], [2, 0, 1], [1, 2, 0]):
        first, *rest = (Counts().update(*parts[i]) for i in order)
        for other in rest:
            first.merge(other)
        assert first.n == len(x)
        assert first.mutual_information() == pytest.approx(want, rel=1e-12)
        values, counts = first.counts_y()
        assert dict(zip(values.tolist(), counts.tolist(), strict=True)) == {
            v: float((y == v).sum()) for v in np.unique(y)
        }


def test_rows_of_several_columns_stream_as_symbols():
    rng = np.random.default_rng(2)
    layer = rng.integers(0, 3, (900, 4))
    labels = (layer[:, 0] * 2 + rng.integers(0, 2, 900)) % 5
    c = Counts()
    for i in range(0, 900, 250):
        c.update(layer[i : i + 250], labels[i : i + 250])
    assert c.mutual_information(estimator="miller_madow") == pytest.approx(
        estimate.mutual_information(layer, labels, estimator="miller_madow"), rel=1e-12
    )
    values, _ = c.counts_x()
    assert values.shape[1] == 4
    with pytest.raises(ValueError, match="x must be rows of 4 columns"):
        c.update(layer[:, :3], labels)


def test_single_variable_and_weights():
    x, _ = stream(3)
    w = np.random.default_rng(0).uniform(0, 2, len(x))
    c = Counts().update(x[:100], weights=w[:100]).update(x[100:], weights=w[100:])
    assert c.weighted
    assert c.entropy() == pytest.approx(estimate.entropy(x, weights=w), rel=1e-12)
    with pytest.raises(ValueError, match="y must be given in every update or in none"):
        c.update(x, x)
    with pytest.raises(ValueError, match="paired counts"):
        c.information()


def test_save_and_load_round_trip(tmp_path):
    x, y = stream(4)
    c = chunked(x, y, [400, 800])
    c.save(tmp_path / "c.npz")
    d = Counts.load(tmp_path / "c.npz")
    assert d.n == c.n
    assert numbers(d.information(estimator="jackknife")) == pytest.approx(
        numbers(c.information(estimator="jackknife")), rel=1e-13
    )
    d.update(x, y)  # a loaded state keeps streaming
    assert d.mutual_information() == pytest.approx(
        estimate.mutual_information(np.r_[x, x], np.r_[y, y]), rel=1e-12
    )
    empty = tmp_path / "empty.npz"
    Counts().save(empty)
    assert Counts.load(empty).n == 0


def test_crafted_or_damaged_files_are_refused(tmp_path):
    x, y = stream(5, 200)
    good = tmp_path / "good.npz"
    Counts().update(x, y).save(good)
    state = dict(np.load(good, allow_pickle=False))
    negative = dict(state, x_counts=-state["x_counts"])
    np.savez(tmp_path / "neg.npz", **negative)
    with pytest.raises(ValueError, match="x_counts must be finite masses >= 0"):
        Counts.load(tmp_path / "neg.npz")
    wrong = dict(state, joint_counts=state["joint_counts"] * 2)
    np.savez(tmp_path / "sum.npz", **wrong)
    with pytest.raises(ValueError, match="counts that add up"):
        Counts.load(tmp_path / "sum.npz")
    (tmp_path / "junk.npz").write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(ValueError, match=r"discrete\.Counts\.load: path must be a softent"):
        Counts.load(tmp_path / "junk.npz")
    with pytest.raises(FileNotFoundError, match="path"):
        Counts.load(tmp_path / "missing.npz")
    want = Counts.load(good).mutual_information()
    raw = bytearray(good.read_bytes())
    for offset in range(0, len(raw), max(1, len(raw) // 60)):
        flipped = raw.copy()
        flipped[offset] ^= 0xFF
        (tmp_path / "flip.npz").write_bytes(bytes(flipped))
        try:
            loaded = Counts.load(tmp_path / "flip.npz")
        except (ValueError, MemoryError) as e:
            message = str(e)
        else:  # a flip the format does not read (zip padding): the same numbers
            message = ""
            assert loaded.n == 200
            assert loaded.mutual_information() == pytest.approx(want, rel=1e-12)
        assert message == "" or message.startswith("softent.discrete.Counts.load: path must")


def test_save_refuses_a_target_that_is_not_a_regular_file(tmp_path):
    with pytest.raises(ValueError, match="path must be a regular file"):
        Counts().save(tmp_path)


def test_updates_from_threads_are_not_lost():
    x, y = stream(6, 4000)
    c = Counts()
    chunks = np.array_split(np.arange(4000), 40)
    threads = [threading.Thread(target=lambda i=i: c.update(x[i], y[i])) for i in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert c.n == 4000
    assert c.mutual_information() == pytest.approx(estimate.mutual_information(x, y), rel=1e-12)


def test_a_refused_update_leaves_the_counts_as_they_were():
    x, y = stream(7, 100)
    c = Counts().update(x, y)
    before = c.state_dict()
    with pytest.raises(ValueError, match="y"):
        c.update(x, y[:-1])
    with pytest.raises(TypeError, match="y must be"):
        c.update(x, np.arange(100))  # integers where the earlier y were strings
    with pytest.raises(ValueError, match="weights"):
        c.update(x, y, weights=np.full(100, np.nan))
    after = c.state_dict()
    for k, v in before.items():
        np.testing.assert_array_equal(after[k], v)


def test_merge_refuses_itself_and_other_types():
    c = Counts().update(*stream(8, 50))
    with pytest.raises(ValueError, match="merging one with itself"):
        c.merge(c)
    with pytest.raises(TypeError, match=r"other must be a softent\.discrete\.Counts"):
        c.merge({"n": 3})
    with pytest.raises(ValueError, match="no samples"):
        Counts().entropy()
