"""Stateful objects forked while another thread holds their lock keep working in the child
(docs/reliability.md, "Processes and fork"): the child gets a fresh lock, not one that
stays held forever."""

from __future__ import annotations

import os
import sys
import threading

import numpy as np
import pytest
import softent
from softent.discrete import Counts

pytestmark = pytest.mark.skipif(
    not hasattr(os, "fork") or sys.platform == "darwin", reason="needs os.fork (Linux)"
)


class Blocking:
    """An array that, converted inside a locked update, holds that update (and its lock)
    until released: a thread caught inside a locked method, as at a real fork."""

    def __init__(self, a):
        self.a, self.held, self.release = a, threading.Event(), threading.Event()

    def __array__(self, dtype=None, copy=None):
        self.held.set()
        self.release.wait(10)
        return self.a if dtype is None else self.a.astype(dtype)


def accumulator():
    z = np.random.default_rng(0).standard_normal((40, 4))
    acc = softent.Accumulator(n_bins=5, dim=4, seed=0).update(z)
    blocking = Blocking(z)
    return (lambda: acc.update(blocking)), (lambda: acc.update(z).n_rows), blocking


def counts():
    x, y = np.arange(40) % 3, np.arange(40) % 2
    c = Counts().update(x, y)
    blocking = Blocking(x)
    return (lambda: c.update(blocking, y)), (lambda: int(c.update(x, y).n)), blocking


@pytest.mark.parametrize("make", [accumulator, counts], ids=["Accumulator", "Counts"])
def test_a_fork_while_another_thread_holds_the_lock_leaves_the_child_working(make):
    hold, update, blocking = make()
    t = threading.Thread(target=hold)
    t.start()
    assert blocking.held.wait(10)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its update must not wait for the parent's thread
        os.close(read)
        threading.Timer(10, lambda: os._exit(3)).start()  # a hang ends the child, code 3
        try:
            update()
            os.write(write, b"1")
        finally:
            os._exit(0)
    os.close(write)
    try:
        _, status = os.waitpid(pid, 0)
        got = os.read(read, 1)
    finally:
        os.close(read)
        blocking.release.set()
        t.join()
    assert os.waitstatus_to_exitcode(status) == 0, "the child hung on the inherited lock"
    assert got == b"1"
    update()  # and the parent's object works once its thread let go


def test_sparse_label_tensors_are_refused_naming_the_argument():
    torch = pytest.importorskip("torch")
    z = np.random.default_rng(1).standard_normal((6, 3))
    labels = torch.tensor([0, 1, 0, 1, 2, 2]).to_sparse()
    with pytest.raises(TypeError, match=r"labels must be a dense \(strided\) tensor"):
        softent.information(z, labels)
