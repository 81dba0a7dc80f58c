"""Side-by-side speed of two softent builds: the same tasks, the same seeded data, alternating.

    python -m benchmarks.compare_builds OLD_PYTHONPATH NEW_PYTHONPATH [--rounds 3] [--reps 5]
        [--only SUBSTRING,...]

OLD/NEW_PYTHONPATH: folders holding a `softent` package each (e.g. `pip install --target DIR`
of a wheel built from an older commit). Used to check that a refactor costs no speed.

Each (build, task) runs in its own worker process (OMP_NUM_THREADS=2); a round runs every
task on old then new (then new then old on the next round). Reports medians and new/old.
"""

import json
import os
import statistics
import subprocess
import sys

TASKS = {
    "H-cos D768 B100": "softent.entropy(z)",
    "I-cos-10 D768 B100": "softent.information(z, y10)",
    "I-euc-10 D768 B100": "softent.information(z, y10, centres=ce, metric='euclidean', temperature=1.0)",
    "I-cos-tokens50k D768 B100": "softent.information(z, ytok)",
    "H-cos D64 B1000": "softent.entropy(z64, n_bins=1000)",
    "H-cos D768 B1000": "softent.entropy(z, n_bins=1000)",
    "stream I-cos-10 8192-row chunks": "stream()",
    "fwd+bwd I-cos-10 (torch)": "fb('cosine')",
    "fwd+bwd I-euc-10 (torch)": "fb('euclidean')",
}
WORKER = r"""
import json, sys, time, statistics
import numpy as np, torch, softent, softent.torch as st
torch.set_num_threads(2)
rng = np.random.default_rng(0)
N = 100_000
z = rng.standard_normal((N, 768), dtype=np.float32)
z64 = np.ascontiguousarray(z[:, :64])
y10 = rng.integers(0, 10, N)
ytok = rng.integers(0, 50_000, N)
ce = softent.box_bins(z, 100, seed=0)
zt = torch.from_numpy(z)
yt = torch.from_numpy(y10)
def stream():
    acc = softent.Accumulator(n_bins=100, dim=768, seed=0)
    for i in range(0, N, 8192):
        acc.update(z[i:i+8192], y10[i:i+8192])
    return acc.mutual_information()
def fb(metric):
    x = zt.clone().requires_grad_(True)
    kw = dict(centres=ce, metric='euclidean', temperature=1.0) if metric == 'euclidean' else {}
    st.mutual_information(x, yt, **kw).backward()
    return x.grad
expr = sys.argv[1]; reps = int(sys.argv[2])
eval(expr)
ts = []
for _ in range(reps):
    t = time.perf_counter(); eval(expr); ts.append(time.perf_counter() - t)
print(json.dumps(statistics.median(ts)))
"""


def run(path, expr, reps):
    env = dict(os.environ, PYTHONPATH=path, OMP_NUM_THREADS="2")
    out = subprocess.run(
        [sys.executable, "-c", WORKER, expr, str(reps)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    old, new = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 3
    reps = int(sys.argv[sys.argv.index("--reps") + 1]) if "--reps" in sys.argv else 5
    only = sys.argv[sys.argv.index("--only") + 1].split(",") if "--only" in sys.argv else None
    res = {k: {"old": [], "new": []} for k in TASKS}
    for r in range(rounds):
        for name, expr in TASKS.items():
            if only and not any(o in name for o in only):
                continue
            order = [("old", old), ("new", new)] if r % 2 == 0 else [("new", new), ("old", old)]
            for label, path in order:
                res[name][label].append(run(path, expr, reps))
    print("| task (N=100k, float32, 2 threads) | old s | new s | new/old |")
    print("| --- | --- | --- | --- |")
    for name, d in res.items():
        if not d["old"]:
            continue
        o, n = statistics.median(d["old"]), statistics.median(d["new"])
        print(f"| {name} | {o:.4f} | {n:.4f} | {n / o:.3f} |")


if __name__ == "__main__":
    main()
