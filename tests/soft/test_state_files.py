"""Accumulator.save / Accumulator.load as a hostile user would use them: what save() does
with existing paths (regular files, symbolic links, devices, FIFOs, folders), permissions,
long names, temporary files after kills, states whose rows were all dropped, corrupted
and crafted files (every load succeeds with the right numbers or raises the project's
ValueError naming the file), and sizes checked before anything is decompressed."""

from __future__ import annotations

import io
import json
import os
import random
import re
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import zipfile

import numpy as np
import pytest
from softent import Accumulator

POSIX = os.name == "posix"
TMP_SUFFIX = ".softent-tmp"


@pytest.fixture
def acc():
    rng = np.random.default_rng(11)
    z = rng.normal(size=(60, 3))
    return Accumulator(n_bins=5, dim=3, temperature=0.3, bootstrap=2).update(
        z, {"y": np.arange(60) % 3, "w": np.array([f"w{i % 4}" for i in range(60)])}
    )


def temps(folder) -> list[str]:
    return sorted(p for p in os.listdir(folder) if p.endswith(TMP_SUFFIX))


def assert_same_state(a: Accumulator, b: Accumulator) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    for key in ("fingerprint", "n_rows", "n_dropped", "internal_shape", "bootstrap"):
        assert sa[key] == sb[key], key
    for key in ("total", "total_replicates"):
        if sa[key] is None:
            assert sb[key] is None
        else:
            np.testing.assert_array_equal(sa[key], sb[key])
    assert sa["label_sets"].keys() == sb["label_sets"].keys()
    for name, d in sa["label_sets"].items():
        for key in ("values", "hist", "counts", "hist_replicates"):
            np.testing.assert_array_equal(d[key], sb["label_sets"][name][key])


# ----------------------------------------------------------------------------- existing paths


@pytest.mark.skipif(not POSIX, reason="devices and FIFOs are POSIX")
def test_devices_fifos_and_folders_are_refused_and_left_alone(acc, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    cases = [
        ("/dev/null", "a character device"),
        (str(fifo), "a FIFO"),
        (str(tmp_path), "a directory"),
    ]
    for path, kind in cases:
        before = os.stat(path)
        with pytest.raises(
            ValueError,
            match=r"^softent\.Accumulator\.save: path must be a regular file or a new name "
            rf"\(devices, FIFOs, directories are not replaced\), got .*\({kind}\)$",
        ):
            acc.save(path)
        after = os.stat(path)
        assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert temps(tmp_path) == []
    # a link to a device is refused the same way (the link is followed)
    os.symlink("/dev/null", tmp_path / "null")
    with pytest.raises(ValueError, match=r"-> '/dev/null' \(a character device\)$"):
        acc.save(tmp_path / "null")
    assert os.path.islink(tmp_path / "null")
    with pytest.raises(FileNotFoundError, match=r"path must be in an existing folder"):
        acc.save(tmp_path / "missing" / "a.npz")
    with pytest.raises(TypeError, match=r"save: path must be a str or os.PathLike, got int"):
        acc.save(3)


@pytest.mark.skipif(not POSIX, reason="symbolic links")
def test_a_symbolic_link_is_followed_and_its_target_replaced(acc, tmp_path):
    (tmp_path / "runs").mkdir()
    target = tmp_path / "runs" / "real.npz"
    Accumulator(n_bins=5, dim=3, temperature=0.3).save(target)
    os.symlink(os.path.join("runs", "real.npz"), tmp_path / "latest.npz")
    acc.save(tmp_path / "latest.npz")
    assert os.path.islink(tmp_path / "latest.npz")  # still a link
    assert_same_state(Accumulator.load(target), acc)
    # a dangling link creates its target
    os.symlink("fresh.npz", tmp_path / "dangling")
    acc.save(tmp_path / "dangling")
    assert os.path.islink(tmp_path / "dangling")
    assert_same_state(Accumulator.load(tmp_path / "fresh.npz"), acc)
    assert temps(tmp_path) == temps(tmp_path / "runs") == []


@pytest.mark.skipif(not POSIX, reason="POSIX permission bits")
def test_new_files_respect_the_umask_and_replaced_files_keep_their_mode(acc, tmp_path):
    old = os.umask(0o077)
    try:
        acc.save(tmp_path / "private.npz")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "private.npz").st_mode) == 0o600
    old = os.umask(0o022)
    try:
        acc.save(tmp_path / "shared.npz")
        os.chmod(tmp_path / "private.npz", 0o640)
        acc.save(tmp_path / "private.npz")  # replaced: keeps 0o640, not the umask's 0o644
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "shared.npz").st_mode) == 0o644
    assert stat.S_IMODE(os.stat(tmp_path / "private.npz").st_mode) == 0o640


@pytest.mark.parametrize("name", ["x" * 255, "x" * 241, "é" * 127, "a.npz"])
def test_names_up_to_name_max_save_and_load(acc, tmp_path, name):
    if len(os.fsencode(name)) > os.pathconf(tmp_path, "PC_NAME_MAX"):
        pytest.skip("this file system has a shorter NAME_MAX")
    acc.save(tmp_path / name)
    acc.save(tmp_path / name)  # and replaced
    assert_same_state(Accumulator.load(tmp_path / name), acc)
    assert os.listdir(tmp_path) == [name]


@pytest.mark.skipif(not POSIX, reason="kill -9")
def test_a_killed_save_leaves_one_temporary_file_which_the_next_save_removes(acc, tmp_path):
    path = tmp_path / ("n" * 250)  # the temporary name is cut to NAME_MAX too
    acc.save(path)
    script = textwrap.dedent(f"""
        import os, signal
        import numpy as np
        from softent import Accumulator
        acc = Accumulator(n_bins=5, dim=3, temperature=0.3).update(np.ones((4, 3)))
        real_fsync = os.fsync
        def kill(fd):  # the temporary file is written, not yet renamed
            real_fsync(fd)
            os.kill(os.getpid(), signal.SIGKILL)
        os.fsync = kill
        acc.save({str(path)!r})
    """)
    for _ in range(3):  # killed three times: still one temporary file, not three
        proc = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, timeout=120, check=False
        )
        assert proc.returncode == -signal.SIGKILL, proc.stderr
        assert len(temps(tmp_path)) == 1
        assert_same_state(Accumulator.load(path), acc)
    acc.save(path)
    assert temps(tmp_path) == []


def test_concurrent_saves_of_one_target_land_whole(acc, tmp_path):
    path = tmp_path / "shared.npz"
    other = Accumulator(n_bins=5, dim=3, temperature=0.3).update(np.ones((7, 3)))
    errors: list[BaseException] = []

    def save_many(a: Accumulator) -> None:
        try:
            for _ in range(15):
                a.save(path)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=save_many, args=(a,)) for a in (acc, other, acc)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Accumulator.load(path).n_rows in (acc.n_rows, other.n_rows)
    assert temps(tmp_path) == []


# ----------------------------------------------------------------------------- all rows dropped


@pytest.mark.parametrize("bootstrap", [0, 3])
@pytest.mark.parametrize("shape", [(5, 3), (5, 2, 3)])
def test_a_state_whose_rows_were_all_dropped_round_trips(tmp_path, bootstrap, shape):
    acc = Accumulator(n_bins=4, dim=3, temperature=0.2, bootstrap=bootstrap)
    acc.update(np.full(shape, np.nan), {"y": np.arange(5)}, nonfinite="drop")
    assert (acc.n_rows, acc.n_dropped) == (0, 5)
    acc.save(tmp_path / "a.npz")
    back = Accumulator.load(tmp_path / "a.npz")
    assert (back.n_rows, back.n_dropped, back.internal_shape) == (0, 5, shape[1:-1])
    assert_same_state(back, acc)
    assert_same_state(Accumulator.from_state_dict(acc.state_dict()), acc)
    # and it streams on as the original would
    z = np.random.default_rng(1).normal(size=shape)
    back.update(z, {"y": np.arange(5)})
    acc.update(z, {"y": np.arange(5)})
    assert_same_state(back, acc)


def test_zero_updates_round_trip_and_a_summed_state_needs_its_total(tmp_path):
    acc = Accumulator(n_bins=4, dim=3, temperature=0.2).update(np.zeros((0, 3)))
    acc.save(tmp_path / "e.npz")
    assert_same_state(Accumulator.load(tmp_path / "e.npz"), acc)
    state = Accumulator(n_bins=4, dim=3, temperature=0.2).update(np.ones((2, 3))).state_dict()
    with pytest.raises(
        ValueError, match=r"state\['total'\] must be given exactly when rows were summed"
    ):
        Accumulator.from_state_dict({**state, "total": None})


# ----------------------------------------------------------------------------- corrupted files


LOAD_ERROR = r"^softent\.Accumulator\.load: path must be a softent\.Accumulator file .*, got '"


def test_every_flipped_byte_loads_right_or_is_a_clear_error(acc, tmp_path):
    """Flip one byte at every offset of a valid file: each load gives the saved numbers
    (a flip in a field nothing reads) or raises the project's ValueError naming the file;
    never another exception type, never a wrong number."""
    path = tmp_path / "good.npz"
    acc.save(path)
    good = path.read_bytes()
    rng = random.Random(3)
    loaded = refused = 0
    bad = tmp_path / "bad.npz"
    for offset in range(len(good)):
        data = bytearray(good)
        data[offset] ^= 1 << rng.randrange(8)
        bad.write_bytes(bytes(data))
        try:
            back = Accumulator.load(bad)
        except ValueError as e:
            message = str(e)
            refused += 1
        else:
            assert_same_state(back, acc)
            loaded += 1
            continue
        assert re.match(LOAD_ERROR + re.escape(str(bad)) + "' ", message), (offset, message)
    assert refused > len(good) // 2  # both outcomes happen
    assert loaded > 0
    # truncations at every length are refused too
    for n in range(0, len(good), 7):
        bad.write_bytes(good[:n])
        with pytest.raises(ValueError, match=LOAD_ERROR):
            Accumulator.load(bad)


def _members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def _npy(arr: np.ndarray, **kw) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=arr.dtype.hasobject, **kw)
    return buf.getvalue()


def _header(members: dict[str, bytes]) -> dict:
    return json.loads(np.load(io.BytesIO(members["header.npy"])).tobytes())


def _write(path, members: dict[str, bytes], sizes: dict[str, int] | None = None) -> None:
    """A zip of ``members``; ``sizes`` makes the zip directory claim other sizes (a crafted
    file: the data is not there)."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for info in zf.filelist:
            if sizes and info.filename in sizes:
                info.file_size = info.compress_size = sizes[info.filename]


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda m, h: m.pop("set0_hist.npy"), r"\(no member 'set0_hist'\)"),
        (lambda m, h: m.pop("header.npy"), r"\(no header\)"),
        (
            lambda m, h: m.update({"total.npy": _npy(np.zeros((6,)))}),
            r"\(member 'total' is float64 of shape \(6,\), its header announces shape \(5,\)\)",
        ),
        (
            lambda m, h: m.update({"set0_values.npy": _npy(np.zeros(3))}),
            r"member 'set0_values' is float64 of shape \(3,\)",
        ),
        (
            lambda m, h: m.update({"centres.npy": _npy(np.array(["a"] * 15).reshape(5, 3))}),
            r"member 'centres' is <U1 of shape \(5, 3\)",
        ),
        (
            lambda m, h: m.update({"total.npy": m["total.npy"][:-8]}),
            r"member 'total.npy' is \d+ bytes, its .npy header says \d+ \(shape \(5,\)",
        ),
        (
            lambda m, h: m.update({"header.npy": _npy(np.frombuffer(b"{not json", np.uint8))}),
            r"\(unreadable header: ",
        ),
        (lambda m, h: h.update({"format": "other"}), r"\(format 'other'\)"),
        (lambda m, h: h.update({"n_bins": -1}), r"\(header field 'n_bins' is -1\)"),
        (lambda m, h: h.update({"label_sets": 3}), r"\(header field 'label_sets' is 3\)"),
        (lambda m, h: h["label_sets"].append(7), r"\(label_sets\[2\] is 7\)"),
        (
            lambda m, h: h["label_sets"][1].update({"name": h["label_sets"][0]["name"]}),
            r"\(label_sets\[1\] has the name 'y'\)",
        ),
        (lambda m, h: h.update({"n_rows": "many"}), r"non-negative int n_rows"),
    ],
)
def test_crafted_files_are_clear_errors(acc, tmp_path, edit, match):
    acc.save(tmp_path / "good.npz")
    members = _members(tmp_path / "good.npz")
    header = _header(members)
    edit(members, header)
    if "header.npy" in members and header != _header(_members(tmp_path / "good.npz")):
        members["header.npy"] = _npy(np.frombuffer(json.dumps(header).encode(), np.uint8))
    _write(tmp_path / "bad.npz", members)
    with pytest.raises(ValueError, match=r"^softent\.Accumulator\.load: .*" + match):
        Accumulator.load(tmp_path / "bad.npz")


def test_object_members_are_never_unpickled(acc, tmp_path):
    acc.save(tmp_path / "good.npz")
    members = _members(tmp_path / "good.npz")
    members["set1_values.npy"] = _npy(np.array(["w0", "w1", "w2", "w3"], dtype=object))
    _write(tmp_path / "bad.npz", members)
    with pytest.raises(
        ValueError, match=r"member 'set1_values.npy' holds Python objects \(pickles are not read\)"
    ):
        Accumulator.load(tmp_path / "bad.npz")


def test_sizes_are_checked_before_decompressing(acc, tmp_path):
    """A file whose zip directory and .npy headers announce 5 TiB (a few hundred bytes on disk) is
    refused from the headers, saying how many bytes it needs; nothing is allocated."""
    acc.save(tmp_path / "good.npz")
    members = _members(tmp_path / "good.npz")
    header = _header(members)
    rows = 2**37  # internal_shape [2**37]: total [2**37, 5] float64 = 5 TiB
    header["internal_shape"] = [rows]
    header["label_sets"] = []
    header["bootstrap"] = 0
    total = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        total, {"descr": "<f8", "fortran_order": False, "shape": (rows, 5)}
    )
    head = len(total.getvalue())
    members = {
        "header.npy": _npy(np.frombuffer(json.dumps(header).encode(), np.uint8)),
        "centres.npy": members["centres.npy"],
        "total.npy": total.getvalue() + b"\0" * 64,  # the rest is not there
    }
    _write(tmp_path / "big.npz", members, sizes={"total.npy": head + rows * 5 * 8})
    with pytest.raises(
        ValueError,
        match=r"^softent\.Accumulator\.load: path must be small enough to fit in memory "
        r"\(the call needs 10240\.0 GiB, .* GiB available\), got .*big\.npz' \(its arrays hold "
        r"5,497,558,1[\d,]+ bytes\)$",
    ):
        Accumulator.load(tmp_path / "big.npz")
    # the same header with the real (small) member size: refused as inconsistent
    _write(tmp_path / "lie.npz", members)
    with pytest.raises(
        ValueError, match=r"member 'total.npy' is 192 bytes, its .npy header says 5497558139008 "
    ):
        Accumulator.load(tmp_path / "lie.npz")


def test_not_a_file_and_not_an_archive(tmp_path):
    with pytest.raises(
        ValueError, match=r"load: path must be a regular file, got .*\(a directory\)"
    ):
        Accumulator.load(tmp_path)
    (tmp_path / "junk").write_bytes(b"PK\x03\x04" + b"\0" * 40)
    with pytest.raises(ValueError, match=LOAD_ERROR + r".*junk' \(corrupt: BadZipFile: "):
        Accumulator.load(tmp_path / "junk")
    with pytest.raises(TypeError, match=r"load: path must be a str or os.PathLike, got NoneType"):
        Accumulator.load(None)


# ----------------------------------------------------------------------------- kill -9 loop


_SAVER = r"""
import os, sys, time
import numpy as np
from softent import Accumulator

path = sys.argv[1]
rng = np.random.default_rng(0)
z = rng.normal(size=(4000, 16))
labels = {"y": np.arange(4000) % 50}
states = [
    Accumulator(n_bins=64, dim=16, temperature=0.3, bootstrap=8).update(z[:n], {"y": labels["y"][:n]})
    for n in (1000, 4000)
]
states[0].save(path)
t = time.perf_counter()
states[1].save(path)
print(time.perf_counter() - t, flush=True)  # one save's duration
for line in sys.stdin:  # one line: fork a child that saves in a loop until it is killed
    pid = os.fork()
    if pid == 0:
        sys.stdin.close()
        i = 0
        while True:
            states[i % 2].save(path)
            os.write(1, b"saved\n")  # unbuffered: the test waits for some saves
            i += 1
    print(pid, flush=True)
    os.waitpid(pid, 0)
    print("reaped", flush=True)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_kill_9_during_saves_keeps_the_file_loadable_and_one_temporary_file(tmp_path):
    """60 children each save two states alternately to one path and are SIGKILLed at a
    random moment (after 0-3 completed saves, part-way into the next): after each kill the
    file loads as one of the two states, whole, and at most one temporary file is there."""
    path = tmp_path / "acc.npz"
    rng = np.random.default_rng(0)
    z = rng.normal(size=(4000, 16))
    y = np.arange(4000) % 50
    want = {
        n: Accumulator(n_bins=64, dim=16, temperature=0.3, bootstrap=8).update(z[:n], {"y": y[:n]})
        for n in (1000, 4000)
    }
    with subprocess.Popen(
        [sys.executable, "-c", _SAVER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            duration = float(proc.stdout.readline())
            pick = random.Random(5)
            seen, torn = set(), 0
            for _ in range(60):
                proc.stdin.write("go\n")
                proc.stdin.flush()
                pid = int(proc.stdout.readline())
                # let 0-3 saves complete (so both states get written whatever the load of
                # the machine), then kill at a random moment of the next one
                for _ in range(pick.randrange(4)):
                    assert proc.stdout.readline() == "saved\n"
                threading.Event().wait(pick.uniform(0, 1.5 * duration))
                os.kill(pid, signal.SIGKILL)
                while (line := proc.stdout.readline()) == "saved\n":
                    pass
                assert line == "reaped\n"
                back = Accumulator.load(path)
                assert_same_state(back, want[back.n_rows])
                seen.add(back.n_rows)
                assert len(temps(tmp_path)) <= 1
                torn += len(temps(tmp_path))
            assert seen == {1000, 4000}
            print(f"save {duration * 1e3:.1f} ms, {torn} of 60 kills mid-write")
            assert torn > 0  # some kills landed while a temporary file was being written
        finally:
            proc.kill()
    want[1000].save(path)
    assert temps(tmp_path) == []
    assert os.listdir(tmp_path) == ["acc.npz"]


@pytest.mark.skipif(not POSIX or os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_folder_is_a_clear_error(acc, tmp_path):
    acc.save(tmp_path / "a.npz")
    os.chmod(tmp_path, 0o555)
    try:
        with pytest.raises(
            PermissionError, match=r"save: path must be in a folder this process can write"
        ):
            acc.save(tmp_path / "a.npz")
    finally:
        os.chmod(tmp_path, 0o755)
    assert_same_state(Accumulator.load(tmp_path / "a.npz"), acc)


def test_a_directory_or_fifo_at_the_temporary_name_is_handled(acc, tmp_path):
    (tmp_path / ".a.npz.softent-tmp").mkdir()
    (tmp_path / ".a.npz.softent-tmp" / "keep").write_text("x")
    with pytest.raises(
        IsADirectoryError, match=r"save: path must be a name whose temporary file can be created"
    ):
        acc.save(tmp_path / "a.npz")
    assert not (tmp_path / "a.npz").exists()
    if POSIX:
        (tmp_path / ".a.npz.softent-tmp" / "keep").unlink()
        (tmp_path / ".a.npz.softent-tmp").rmdir()
        os.mkfifo(tmp_path / ".a.npz.softent-tmp")  # no reader: opening it must not block
        acc.save(tmp_path / "a.npz")
        assert temps(tmp_path) == []
        assert_same_state(Accumulator.load(tmp_path / "a.npz"), acc)
