"""Produce the reference ``sxpid`` package's SxPID values pinned in
tests/parity/data/sxpid_pins.json (tested by tests/parity/test_pid_sxpid_parity.py).

The package (Abzinger/SxPID, Makkeh, Gutknecht & Wibral 2021: ``sxpid.SxPID.pid``) is not
on PyPI and needs ~1 s of CPU per outcome at 5 sources, so its values are pinned. Run with
an interpreter that has NumPy, prettytable and tqdm, and a git mirror of the repository:

    python tests/parity/data/pin_sxpid.py /path/to/SxPID.git [commit]

It extracts the commit (default HEAD) with ``git archive`` into a temporary folder (the
files whose blobs the mirror holds: a mirror may lack the 26 MB ``sxpid/moebius.pkl``,
which the package's own ``generate_lattices.compute_moebius_inversion`` then rebuilds from
``lattices.pkl``: a dense 7579 x 7579 inverse, a few minutes), imports ``sxpid.SxPID`` from
there, and decomposes the pmfs of :func:`cases` (NumPy only, seeded:
the pinned file also carries them, so the test reads exactly what was decomposed). Values
are the averaged atoms (pi+, pi-, pi) in bits, as the package returns them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

OUT = Path(__file__).with_name("sxpid_pins.json")


def cases() -> dict[str, dict[tuple[int, ...], float]]:
    """name: pmf {(s_1, ..., s_n, t): p}, n = 4 and 5 sources, binary sources, a target of
    2 or 3 values, random masses with some zero cells (each pmf has <= 40 outcomes)."""
    out = {}
    for name, n, k_t, seed, keep in (
        ("n4_a", 4, 3, 0, 0.5),
        ("n4_b", 4, 2, 1, 0.7),
        ("n5_a", 5, 2, 2, 0.45),
        ("n5_b", 5, 3, 3, 0.2),
    ):
        rng = np.random.default_rng(seed)
        shape = (2,) * n + (k_t,)
        p = rng.random(shape) ** 2 * (rng.random(shape) < keep)
        p /= p.sum()
        out[name] = {tuple(int(i) for i in ix): float(p[tuple(ix)]) for ix in np.argwhere(p > 0)}
    return out


def node_name(node: tuple[tuple[int, ...], ...]) -> str:
    return "".join("{" + "".join(str(i) for i in a) + "}" for a in node)


def dumps(pins: dict) -> str:
    """Compact JSON, one case per line (7579 nodes x 3 floats per 5-source case)."""
    cases = ",\n".join(
        f"  {json.dumps(name)}: {json.dumps(case, separators=(',', ':'))}"
        for name, case in pins["cases"].items()
    )
    head = {k: v for k, v in pins.items() if k != "cases"}
    return json.dumps(head)[:-1] + ', "cases": {\n' + cases + "\n}}\n"


def main() -> None:
    mirror = sys.argv[1]
    commit = sys.argv[2] if len(sys.argv) > 2 else "HEAD"
    sha = subprocess.run(
        ["git", "-C", mirror, "rev-parse", commit], check=True, capture_output=True, text=True
    ).stdout.strip()

    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-C", mirror, *args], capture_output=True, check=False)

    files = git("ls-tree", "-r", "--name-only", sha).stdout.decode().split()
    present = [f for f in files if git("cat-file", "-e", f"{sha}:{f}").returncode == 0]
    with tempfile.TemporaryDirectory() as tmp:
        archive = git("archive", sha, "--", *present)
        archive.check_returncode()
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        sys.path.insert(0, tmp)
        if not (Path(tmp) / "sxpid" / "moebius.pkl").exists():
            import os

            from sxpid import generate_lattices

            cwd = os.getcwd()
            os.chdir(tmp)  # it reads and writes sxpid/*.pkl relative to the working folder
            try:
                generate_lattices.compute_moebius_inversion()
            finally:
                os.chdir(cwd)
        from sxpid import SxPID  # the extracted package

        pins: dict = {"package": "Abzinger/SxPID", "commit": sha, "unit": "bits", "cases": {}}
        for name, pmf in cases().items():
            t0 = time.perf_counter()
            avg = SxPID.pid(dict(pmf), verbose=0, n_threads=1, pointwise=False)
            took = time.perf_counter() - t0
            print(f"{name}: {len(pmf)} outcomes, {took:.1f} s", file=sys.stderr)
            pins["cases"][name] = {
                "pmf": [[list(k), v] for k, v in pmf.items()],
                "seconds": round(took, 2),
                "atoms": {
                    node_name(node): [float(v[0]), float(v[1]), float(v[2])]
                    for node, v in avg.items()
                },
            }
    OUT.write_text(dumps(pins))
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
