"""Old vs new numbers of two softent builds on the same seeded data (each build in a subprocess).

    python -m benchmarks.compare_numbers OLD_PYTHONPATH NEW_PYTHONPATH

Prints, per case, max |old - new| / max |old| (normwise relative): forward information of
the 4 metrics x float32/float64 (contiguous and strided, integer and string labels), the
torch MI and its gradients w.r.t. z, centres and temperature, report() with bootstrap and a
streamed Accumulator with bootstrap.
"""

import json
import math
import os
import subprocess
import sys

W = r"""
import json, numpy as np, torch, softent, softent.torch as st
out = {}
rng = np.random.default_rng(3)
N, D = 5000, 24
z64 = rng.normal(size=(N, D)) + rng.integers(0, 4, N)[:, None]
y = rng.integers(0, 7, N); y[::11] = -1
ys = np.array(list("abcde"))[rng.integers(0, 5, N)]
cen = rng.normal(size=(40, D))
T = {"cosine": 0.1, "euclidean": 0.7, "sqeuclidean": 4.0, "dot": 1.5}
for dt in ("float64", "float32"):
    z = z64.astype(dt)
    for m, t in T.items():
        i = softent.information(z, y, centres=cen, metric=m, temperature=t)
        out[f"info {dt} {m}"] = [i.entropy, i.conditional_entropy, i.mutual_information] + list(map(float, i.label_entropies))
        zt = np.asfortranarray(z)[:, ::2]
        i2 = softent.information(zt, ys, centres=cen[:, ::2].copy(), metric=m, temperature=t)
        out[f"strided {dt} {m}"] = [i2.entropy, i2.mutual_information]
        x = torch.tensor(z, requires_grad=True); c = torch.tensor(cen.astype(dt), requires_grad=True)
        tt = torch.tensor(t, dtype=x.dtype, requires_grad=True)
        mi = st.mutual_information(x, torch.tensor(np.where(y < 0, 0, y)), centres=c, metric=m, temperature=tt)
        mi.backward()
        out[f"grad {dt} {m}"] = [float(mi)] + x.grad.double().flatten()[:2000].tolist() + c.grad.double().flatten().tolist() + [float(tt.grad)]
    r = softent.report(z, {"y": y, "s": ys}, bootstrap=9, bootstrap_seed=4)
    out[f"report {dt}"] = [v for row in r.rows for k, v in sorted(row.items()) if isinstance(v, float)]
    acc = softent.Accumulator(n_bins=30, dim=D, seed=1, bootstrap=3, bootstrap_seed=2)
    for k in range(0, N, 999): acc.update(z[k:k+999], y[k:k+999])
    out[f"acc {dt}"] = [acc.entropy(), acc.mutual_information()] + [float(v) for v in acc.state_dict()["total"].ravel()]
print(json.dumps(out))
"""


def run(path):
    env = dict(os.environ, PYTHONPATH=path, OMP_NUM_THREADS="2")
    return json.loads(
        subprocess.run(
            [sys.executable, "-c", W], env=env, capture_output=True, text=True, check=True
        ).stdout
    )


def main() -> None:
    old, new = run(sys.argv[1]), run(sys.argv[2])

    worst = {"float64": 0.0, "float32": 0.0}
    for k in old:
        a, b = old[k], new[k]
        assert len(a) == len(b), k
        scale = max(1e-300, max(abs(v) for v in a if math.isfinite(v)))
        d = (
            max(
                (
                    abs(x - y)
                    for x, y in zip(a, b, strict=True)
                    if math.isfinite(x) or math.isfinite(y)
                ),
                default=0.0,
            )
            / scale
        )
        dt = "float64" if "float64" in k else "float32"
        worst[dt] = max(worst[dt], d)
        print(f"{k:28s} max |old-new| / max|old| = {d:.2e}")
    print("worst", worst)


if __name__ == "__main__":
    main()
