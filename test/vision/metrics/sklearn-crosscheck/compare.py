"""Compares our metric pieces with scikit-learn / numpy / scipy on the cases make-cases.ts wrote.

Usage: python3 compare.py /tmp/cases.json   (needs numpy, scipy, scikit-learn)
Prints, per case, the largest differences; exits 1 if a deterministic piece disagrees.
"""
import json
import sys

import numpy as np
import scipy.stats
from scipy.special import logsumexp
from sklearn import ensemble, linear_model
from sklearn.metrics import mutual_info_score


def histogram_discretize(target, num_bins=20):
    # disentanglement_lib's _histogram_discretize on [num_codes, num_points], shifted to 0-based bins.
    out = np.zeros_like(target, dtype=np.int64)
    for i in range(target.shape[0]):
        out[i, :] = np.digitize(target[i, :], np.histogram(target[i, :], num_bins)[1][:-1]) - 1
    return out


def lr_objective(x, y, w, b):
    # sklearn's LogisticRegression(C=1) objective: Σ −log p(y|x) + ½‖W‖² (multinomial, >2 classes).
    z = x @ w.T + b
    onehot = np.eye(w.shape[0])[np.searchsorted(np.unique(y), y)]
    return -(onehot * (z - logsumexp(z, axis=1, keepdims=True))).sum() + 0.5 * (w ** 2).sum()


def entropy_score(imp, axis_len):
    return 1.0 - scipy.stats.entropy(imp + 1e-11, base=axis_len)


def dci(imp):
    per_code = entropy_score(imp.T, imp.shape[1])
    w = imp if imp.sum() != 0 else np.ones_like(imp)
    d = np.sum(per_code * w.sum(axis=1) / w.sum())
    per_factor = entropy_score(imp, imp.shape[0])
    c = np.sum(per_factor * w.sum(axis=0) / w.sum())
    return d, c


failed = False
for case in json.load(open(sys.argv[1])):
    n, d, f = case["n"], case["d"], case["f"]
    codes = np.array(case["codes"]).reshape(n, d)
    factors = np.array(case["factors"]).reshape(n, f)
    test_codes = np.array(case["testCodes"]).reshape(-1, d)
    test_factors = np.array(case["testFactors"]).reshape(-1, f)
    ours = case["ours"]

    disc = histogram_discretize(codes.T)
    disc_ok = np.array_equal(disc.T.reshape(-1), np.array(ours["disc"]))
    m = np.array([[mutual_info_score(factors[:, k], disc[j]) for k in range(f)] for j in range(d)])
    h = np.array([mutual_info_score(factors[:, k], factors[:, k]) for k in range(f)])
    sm = np.sort(m, axis=0)[::-1]
    mig = np.mean((sm[0] - sm[1]) / h)
    mi_diff = np.max(np.abs(m.reshape(-1) - np.array(ours["mutualInfo"])))
    mig_diff = abs(mig - ours["mig"])

    lr = linear_model.LogisticRegression(max_iter=10000, tol=1e-10).fit(codes, factors[:, 0])
    lr_pred = lr.predict(test_codes)
    lr_agree = np.mean(lr_pred == np.array(ours["lrPred"]))
    ours_w = np.array(ours["lrParams"]).reshape(-1, d + 1)
    coef_diff = np.max(np.abs(ours_w[:, :d] - lr.coef_))
    obj_sk = lr_objective(codes, factors[:, 0], lr.coef_, lr.intercept_)
    obj_ours = lr_objective(codes, factors[:, 0], ours_w[:, :d], ours_w[:, d])

    imp = np.zeros((d, f))
    acc_sk, acc_ours, agree = [], [], []
    for k in range(f):
        gb = ensemble.GradientBoostingClassifier(random_state=0).fit(codes, factors[:, k])
        imp[:, k] = gb.feature_importances_
        p = gb.predict(test_codes)
        acc_sk.append(np.mean(p == test_factors[:, k]))
        op = np.array(ours["gbt"][k]["testPred"])
        acc_ours.append(np.mean(op == test_factors[:, k]))
        agree.append(np.mean(op == p))
    ours_imp = np.array([g["importances"] for g in ours["gbt"]]).T
    imp_diff = np.max(np.abs(imp - ours_imp))
    d_sk, c_sk = dci(imp)

    cov = np.cov(codes.T)
    tc = 0.5 * (np.sum(np.log(np.diag(cov))) - np.linalg.slogdet(cov)[1])

    print(f"[{case['name']}] discretisation identical: {disc_ok}; max |ΔMI| {mi_diff:.2e}; MIG ours {ours['mig']:.6f} ref {mig:.6f} (Δ {mig_diff:.2e})")
    print(f"  logistic regression: objective ours {obj_ours:.6f} sklearn-lbfgs {obj_sk:.6f}; max |Δcoef| {coef_diff:.2e}; test predictions agree {lr_agree:.4f}")
    print(f"  gradient boosting: max |Δimportance| {imp_diff:.3f}; test acc ours {np.mean(acc_ours):.4f} sklearn {np.mean(acc_sk):.4f}; predictions agree {np.mean(agree):.4f}")
    print(f"  DCI D ours {ours['dciD']:.4f} sklearn-importances {d_sk:.4f}; C ours {ours['dciC']:.4f} sklearn-importances {c_sk:.4f}")
    print(f"  Gaussian TC ours {ours['tc']:.8f} ref {tc:.8f}")
    if not disc_ok or mi_diff > 1e-9 or mig_diff > 1e-9 or obj_ours > obj_sk + 1e-6 * abs(obj_sk) or abs(tc - ours["tc"]) > 1e-8:
        failed = True
sys.exit(1 if failed else 0)
