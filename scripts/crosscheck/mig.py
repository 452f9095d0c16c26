"""Independent MIG reference for the cross-check table (test/fixtures/mig-crosscheck.json).

disentanglement_lib's compute_mig pieces, written with numpy alone (no code shared with the
TypeScript): _histogram_discretize (np.histogram edges, np.digitize), discrete_mutual_info and
discrete_entropy (sklearn's mutual_info_score on a contingency table), and _compute_mig (the gap
of the two largest mutual informations per factor, divided by the factor's entropy, averaged).

Usage (from the repository root):
  npx tsx scripts/crosscheck/mig-cases.ts /tmp/mig-cases.json
  python3 scripts/crosscheck/mig.py /tmp/mig-cases.json > test/fixtures/mig-crosscheck.json
"""
import json
import sys

import numpy as np


def histogram_discretize(target, num_bins):
    # target: [num_codes, num_points] (disentanglement_lib's layout).
    out = np.zeros_like(target, dtype=np.int64)
    for i in range(target.shape[0]):
        out[i, :] = np.digitize(target[i, :], np.histogram(target[i, :], num_bins)[1][:-1])
    return out


def mutual_info_score(a, b):
    # sklearn.metrics.mutual_info_score(a, b) in nats, from the contingency table.
    _, ai = np.unique(a, return_inverse=True)
    _, bi = np.unique(b, return_inverse=True)
    table = np.zeros((ai.max() + 1, bi.max() + 1))
    np.add.at(table, (ai, bi), 1)
    n = table.sum()
    pa = table.sum(axis=1, keepdims=True)
    pb = table.sum(axis=0, keepdims=True)
    nz = table > 0
    mi = (table[nz] / n * np.log(table[nz] * n / (pa @ pb)[nz])).sum()
    return max(0.0, float(mi))


def compute_mig(mus, ys, num_bins):
    disc = histogram_discretize(mus, num_bins)
    d, f = mus.shape[0], ys.shape[0]
    m = np.zeros((d, f))
    for i in range(d):
        for j in range(f):
            m[i, j] = mutual_info_score(ys[j, :], disc[i, :])
    entropy = np.array([mutual_info_score(ys[j, :], ys[j, :]) for j in range(f)])
    sorted_m = np.sort(m, axis=0)[::-1]
    gaps = (sorted_m[0, :] - sorted_m[1, :]) / entropy
    return m, entropy, gaps


def main(path):
    cases = json.load(open(path))
    out = {
        "made_by": "python3 scripts/crosscheck/mig.py (numpy " + np.__version__ + ") on the inputs of scripts/crosscheck/mig-cases.ts",
        "command": "npx tsx scripts/crosscheck/mig-cases.ts /tmp/mig-cases.json && python3 scripts/crosscheck/mig.py /tmp/mig-cases.json > test/fixtures/mig-crosscheck.json",
        "cases": [],
    }
    for c in cases:
        n, d, f = c["n"], c["d"], c["f"]
        codes = np.array(c["codes"], dtype=np.float64).reshape(n, d)
        factors = np.array(c["factors"], dtype=np.int64).reshape(n, f)
        m, entropy, gaps = compute_mig(codes.T, factors.T, c["numBins"])
        out["cases"].append({
            "name": c["name"],
            "n": n, "d": d, "f": f, "numBins": c["numBins"],
            # Sums of the inputs, so a changed generator is told apart from a changed metric.
            "codesSum": float(codes.sum()),
            "factorsSum": int(factors.sum()),
            "mig": float(np.mean(gaps)),
            "gapPerFactor": [float(g) for g in gaps],
            "entropy": [float(h) for h in entropy],
            "mutualInfo": [float(v) for v in m.reshape(-1)],
        })
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
