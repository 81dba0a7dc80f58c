"""Accumulator.all_reduce with torch.distributed (gloo on 127.0.0.1): two ranks, each
streaming half of the data, equal the single-process result; with bootstrap replicates
(a seed per rank) the replicates are the sums of each rank's resamples. The generic
softent.torch.distributed.all_reduce gives the method's result, and reduces any object
following the Mergeable protocol (a toy word counter here).

The test spawns two fresh Python processes running this file as a script (rank, world
size, port, output folder); they bind to 127.0.0.1 only and give up after a timeout.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch.distributed")

TIMEOUT_S = 90


def data():
    rng = np.random.default_rng(11)
    n, d, k, b = 801, 10, 7, 23
    means = rng.normal(0, 2.0, (k, d))
    labels = rng.integers(0, k, n)
    z = means[labels] + rng.normal(0, 1.0, (n, d))
    centres = rng.normal(0, 2.0, (b, d))
    words = np.array([f"w{v % 3}" for v in labels])
    return z, labels, words, centres


class WordCounts:
    """The smallest Mergeable: counts of words, a vocabulary that grows per rank."""

    def __init__(self, words):
        self.values, self.counts = np.unique(np.asarray(words), return_counts=True)

    def reduce_meta(self):
        return {"values": self.values.tolist()}

    def reduce_layout(self, metas, api):
        from softent.torch.distributed import SumLayout

        union = np.array(sorted({v for m in metas for v in m["values"]}), dtype=str)
        return SumLayout({"counts": ((len(union),), "int64")}, union)

    def reduce_write(self, layout, views):
        views["counts"][np.searchsorted(layout.context, self.values)] = self.counts

    def reduce_read(self, layout, views):
        self.values, self.counts = layout.context, np.array(views["counts"])


def discrete_data():
    rng = np.random.default_rng(12)
    x = rng.integers(0, 6, 700)
    y = np.array(["a", "b", "c", "d"])[(x + rng.integers(0, 2, 700)) % 4]
    return x, y


def monitor_rows(rows: slice, all_reduce: bool = False) -> list[dict]:
    import torch
    from softent.torch.monitor import LayerMonitor

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3))
    x = torch.randn(80, 6, generator=torch.Generator().manual_seed(1))
    y = torch.arange(80) % 4
    with LayerMonitor(model, ["1", "2"], label_sets=["y"], n_bins=9) as mon, torch.no_grad():
        for i in range(rows.start, rows.stop, 16):
            j = min(i + 16, rows.stop)
            mon.set_labels(y=y[i:j])
            model(x[i:j])
        return mon.record(step=0, all_reduce=all_reduce)


def worker(rank: int, world: int, port: int, out: Path) -> None:
    from datetime import timedelta

    import torch.distributed as dist
    from softent.soft.accumulator import Accumulator

    dist.init_process_group(
        "gloo",
        init_method=f"tcp://127.0.0.1:{port}",
        rank=rank,
        world_size=world,
        timeout=timedelta(seconds=TIMEOUT_S // 2),
    )
    try:
        z, labels, words, centres = data()
        half = len(z) // 2
        mine = slice(0, half) if rank == 0 else slice(half, len(z))
        acc = Accumulator(centres, temperature=0.1)
        # rank 0 streams in chunks of 50, rank 1 in one go; their vocabularies differ
        # (rank 1 also sees a label set rank 0 never sees)
        if rank == 0:
            for i in range(mine.start, mine.stop, 50):
                j = min(i + 50, mine.stop)
                acc.update(z[i:j], {"y": labels[i:j], "w": words[i:j]})
        else:
            acc.update(
                z[mine], {"y": labels[mine] + 3, "w": words[mine], "extra": labels[mine] % 2}
            )
        acc.all_reduce()
        acc.save(out / f"rank{rank}.npz")
        # the generic entry point: the same sums as the method, and any Mergeable
        from softent.torch.distributed import all_reduce

        again = Accumulator(centres, temperature=0.1)
        again.update(z[mine], {"y": labels[mine] + 3 * rank, "w": words[mine]})
        assert all_reduce(again) is again
        again.save(out / f"rank{rank}.generic.npz")
        counts = all_reduce(WordCounts(words[mine][: 10 + 300 * rank]))
        (out / f"rank{rank}.words.json").write_text(
            json.dumps({"values": counts.values.tolist(), "counts": counts.counts.tolist()})
        )
        try:
            all_reduce(object())
        except TypeError as e:
            (out / f"rank{rank}.notmergeable.error").write_text(str(e))
        # discrete counts: rank 0 sees values rank 1 never sees, and streams in chunks
        from softent.discrete import Counts

        x, y = discrete_data()
        part = slice(0, 350) if rank == 0 else slice(350, 700)
        counts = Counts()
        for i in range(part.start, part.stop, 100 if rank == 0 else 350):
            j = min(i + (100 if rank == 0 else 350), part.stop)
            counts.update(x[i:j] + 10 * rank, y[i:j])
        counts.all_reduce()
        counts.save(out / f"rank{rank}.counts.npz")
        # a LayerMonitor per rank, summed over the ranks when recording
        rows = monitor_rows(slice(rank * 40, rank * 40 + 40), all_reduce=True)
        (out / f"rank{rank}.monitor.json").write_text(json.dumps(rows))
        # bootstrap replicates, a seed per rank, rank 0 in chunks
        boot = Accumulator(centres, temperature=0.1, bootstrap=4, bootstrap_seed=10 + rank)
        for i in range(mine.start, mine.stop, 70 if rank == 0 else len(z)):
            j = min(i + 70 if rank == 0 else mine.stop, mine.stop)
            boot.update(z[i:j], {"y": labels[i:j]})
        boot.all_reduce()
        boot.save(out / f"rank{rank}.boot.npz")
        # the same seed on both ranks, or different replicate counts: refused on every rank
        for name, kw in (
            ("seed", {"bootstrap": 4, "bootstrap_seed": 7}),
            ("count", {"bootstrap": 4 - rank, "bootstrap_seed": rank}),
        ):
            try:
                Accumulator(centres, temperature=0.1, **kw).update(z[mine]).all_reduce()
            except ValueError as e:
                (out / f"rank{rank}.{name}.error").write_text(str(e))
        # different bins on one rank: every rank gets the same clear error (no hang)
        bad = Accumulator(centres, temperature=0.1 if rank == 0 else 0.2).update(z[mine])
        try:
            bad.all_reduce()
        except ValueError as e:
            (out / f"rank{rank}.error").write_text(str(e))
        dist.barrier()
    finally:
        dist.destroy_process_group()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_two_ranks_all_reduce_equals_one_process(tmp_path):
    from softent.soft.accumulator import Accumulator

    env = dict(os.environ, MASTER_ADDR="127.0.0.1", OMP_NUM_THREADS="1")
    if os.path.exists("/sys/class/net/lo"):
        env["GLOO_SOCKET_IFNAME"] = "lo"  # loopback only
    port = free_port()
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, str(r), "2", str(port), str(tmp_path)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for r in range(2)
    ]
    outputs = []
    try:
        for p in procs:
            outputs.append(p.communicate(timeout=TIMEOUT_S)[0])
    except subprocess.TimeoutExpired:
        pytest.fail("the distributed workers did not finish in time")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, text in zip(procs, outputs, strict=True):
        assert p.returncode == 0, text

    z, labels, words, centres = data()
    half = len(z) // 2
    y = np.concatenate([labels[:half], labels[half:] + 3])
    extra = np.concatenate([np.full(half, -1), labels[half:] % 2])
    single = Accumulator(centres, temperature=0.1).update(
        z, {"y": y, "w": words, "extra": extra}, ignore_index=-1
    )  # rank 0 never saw "extra": its rows are masked for that set
    for r in range(2):
        acc = Accumulator.load(tmp_path / f"rank{r}.npz", like=single)
        assert acc.n_rows == len(z)
        assert acc.label_sets == ("y", "w", "extra")
        for s in acc.label_sets:
            np.testing.assert_array_equal(acc.label_values(s), single.label_values(s))
            np.testing.assert_array_equal(acc.counts(s), single.counts(s))
            np.testing.assert_allclose(
                acc.mutual_information(s), single.mutual_information(s), rtol=1e-12
            )
            np.testing.assert_allclose(
                acc.label_entropies(s), single.label_entropies(s), rtol=1e-12
            )
        np.testing.assert_allclose(acc.entropy(), single.entropy(), rtol=1e-12)
        err = (tmp_path / f"rank{r}.error").read_text()
        assert "all_reduce: every rank must be built on identical bins" in err
        assert "ranks [1]" in err
    generic_single = Accumulator(centres, temperature=0.1).update(
        z, {"y": y, "w": words}
    )  # rank 1 shifted "y" by 3 in both runs; no "extra" set in this one
    values, counts = np.unique(np.r_[words[:10], words[half:][:310]], return_counts=True)
    words_want = dict(zip(values.tolist(), counts.tolist(), strict=True))
    for r in range(2):
        gen = Accumulator.load(tmp_path / f"rank{r}.generic.npz", like=single)
        assert gen.n_rows == len(z)
        assert gen.label_sets == ("y", "w")
        for s in ("y", "w"):
            np.testing.assert_array_equal(gen.counts(s), generic_single.counts(s))
            np.testing.assert_allclose(
                gen.mutual_information(s), generic_single.mutual_information(s), rtol=1e-12
            )
        np.testing.assert_allclose(
            gen.state_dict()["total"],
            Accumulator.load(tmp_path / f"rank{r}.npz").state_dict()["total"],
            rtol=1e-12,
        )  # the method and the function sum the same rows (rank 0 chunked differently)
        got = json.loads((tmp_path / f"rank{r}.words.json").read_text())
        assert dict(zip(got["values"], got["counts"], strict=True)) == words_want
        err = (tmp_path / f"rank{r}.notmergeable.error").read_text()
        assert "torch.distributed.all_reduce: obj must be a mergeable accumulator" in err
    from softent.discrete import Counts, estimate

    x, y = discrete_data()
    x_all = np.r_[x[:350], x[350:] + 10]
    for r in range(2):
        c = Counts.load(tmp_path / f"rank{r}.counts.npz")
        assert c.n == 700
        for est in ("plugin", "jackknife"):
            assert c.mutual_information(estimator=est) == pytest.approx(
                estimate.mutual_information(x_all, y, estimator=est), rel=1e-12
            )
    a, b = (Counts.load(tmp_path / f"rank{r}.counts.npz").state_dict() for r in range(2))
    for key in a:  # the same alphabets in the same order on every rank
        np.testing.assert_array_equal(a[key], b[key])
    single_rows = monitor_rows(slice(0, 80))
    for r in range(2):
        got = json.loads((tmp_path / f"rank{r}.monitor.json").read_text())
        assert [g["layer"] for g in got] == ["1", "2"]
        for g, w in zip(got, single_rows, strict=True):
            assert g["rows"] == w["rows"] == 80
            for key in ("H", "H(Z|y)", "I(Z;y)"):
                assert g[key] == pytest.approx(w[key], rel=1e-6)
    a, b = (Accumulator.load(tmp_path / f"rank{r}.npz").state_dict() for r in range(2))
    np.testing.assert_array_equal(a["total"], b["total"])  # every rank holds the same sums

    from softent.soft.bins import Bins
    from softent.soft.bootstrap import poisson_bootstrap

    bins = Bins(centres, "cosine", 0.1)
    want = [
        poisson_bootstrap(z[s], {"y": labels[s]}, bins, 4, seed=10 + r)
        for r, s in enumerate((slice(0, half), slice(half, len(z))))
    ]
    for r in range(2):
        boot = Accumulator.load(tmp_path / f"rank{r}.boot.npz", like=single)
        assert (boot.bootstrap, boot.bootstrap_seed, boot.n_rows) == (4, 10 + r, len(z))
        for got, w0, w1 in zip(boot.replicate_histograms(), *want, strict=True):
            np.testing.assert_allclose(got["total"], w0["total"] + w1["total"], rtol=1e-12)
            np.testing.assert_allclose(
                got["sets"]["y"][1], w0["sets"]["y"][1] + w1["sets"]["y"][1], rtol=1e-12, atol=1e-14
            )
        seed_err = (tmp_path / f"rank{r}.seed.error").read_text()
        assert "every rank must be given its own bootstrap_seed" in seed_err
        assert "ranks [0, 1]" in seed_err
        count_err = (tmp_path / f"rank{r}.count.error").read_text()
        assert "every rank must be built with one number of bootstrap replicates" in count_err
        assert "bootstrap=[4, 3]" in count_err


def test_all_reduce_refuses_without_a_process_group_or_a_mergeable():
    import torch.distributed as dist
    from softent.soft.accumulator import Accumulator
    from softent.torch.distributed import Mergeable, all_reduce

    if dist.is_available() and dist.is_initialized():
        pytest.skip("a process group is already initialised in this process")
    z, labels, _, centres = data()
    acc = Accumulator(centres, temperature=0.1).update(z[:50], labels[:50])
    assert isinstance(acc, Mergeable)
    with pytest.raises(RuntimeError, match=r"torch.distributed.all_reduce: torch.distributed must"):
        all_reduce(acc)
    with pytest.raises(RuntimeError, match=r"Accumulator.all_reduce: torch.distributed must"):
        acc.all_reduce()
    with pytest.raises(TypeError, match=r"obj must be a mergeable accumulator"):
        all_reduce(np.zeros(3))


def test_a_sum_layout_packs_named_arrays_by_dtype():
    from softent.torch.distributed import SumLayout

    layout = SumLayout(
        {"a": ((2, 3), "float64"), "n": ((2,), "int64"), "b": ((4,), "float64")}, None
    )
    assert layout.sizes() == {"float64": 10, "int64": 2}
    buffers = {"float64": np.arange(10.0), "int64": np.arange(2)}
    views = layout.views(buffers)
    np.testing.assert_array_equal(views["a"], np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(views["b"], [6.0, 7.0, 8.0, 9.0])
    views["n"][:] = 5  # views write into the buffer the collective sums
    np.testing.assert_array_equal(buffers["int64"], [5, 5])


if __name__ == "__main__":
    worker(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]))
