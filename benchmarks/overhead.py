"""Optimiser-overhead suite: seconds per suggestion (ask + tell).

Each optimiser first receives ``n`` random observations of a cheap synthetic
objective in one untimed batch; then one ``ask`` of a single point plus the
``tell`` of its value is timed, ``repeats`` times in a row (so the history
grows n, n+1, ...), and the mean is reported (the first suggestion, which pays
for any model fitted from scratch, included), with the median beside it.
The objective itself is evaluated between ``ask`` and ``tell`` and is not timed.
"""

from __future__ import annotations

import math
import time

import numpy as np

from benchmarks import space as sp
from benchmarks._peers import load, quiet
from benchmarks.report import fmt, header_md, table

#: 6-dimensional mixed space: 3 real (one log), 2 integer, 1 categorical.
SPACE = {
    "lr": sp.Real(1e-4, 1.0, log=True),
    "shift": sp.Real(-2.0, 2.0),
    "frac": sp.Real(0.0, 1.0),
    "depth": sp.Integer(1, 20),
    "width": sp.Integer(8, 256),
    "kind": sp.Categorical(("a", "b", "c")),
}

_KIND_PENALTY = {"a": 0.0, "b": 0.5, "c": 1.0}


def objective(p: dict) -> float:
    """Cheap synthetic score to maximise (optimum 0 at lr=1e-2, kind='a', ...)."""
    return -((math.log10(p["lr"]) + 2.0) ** 2 + (p["shift"] - 0.5) ** 2
             + 4.0 * (p["frac"] - 0.3) ** 2 + ((p["depth"] - 7) / 5.0) ** 2
             + ((p["width"] - 100) / 80.0) ** 2 + _KIND_PENALTY[p["kind"]])


def _native(p):
    """Plain Python values (numpy scalars from some libraries)."""
    return {k: v.item() if hasattr(v, "item") else v for k, v in p.items()}


class SkhpoAdapter:
    """``skhpo.strategies.BayesOptimizer``."""

    def __init__(self, seed):
        strategies = load("skhpo.strategies")
        self.opt = strategies.BayesOptimizer(sp.to_skhpo(SPACE), random_state=seed)

    def warm(self, points, scores):
        self.opt.tell(points, scores)

    def ask(self):
        return self.opt.ask(1)[0]

    def tell(self, point, score):
        self.opt.tell([point], [score])


class SkoptAdapter:
    """``skopt.Optimizer`` with its defaults (GP, gp_hedge); it minimises."""

    def __init__(self, seed):
        skopt = load("skopt")
        self.dims = sp.to_skopt(SPACE)
        self.names = list(self.dims)
        self.opt = skopt.Optimizer(list(self.dims.values()), random_state=seed)

    def warm(self, points, scores):
        self.opt.tell([[p[k] for k in self.names] for p in points],
                      [-s for s in scores])

    def ask(self):
        return dict(zip(self.names, self.opt.ask()))

    def tell(self, point, score):
        self.opt.tell([point[k] for k in self.names], -score)


class OptunaAdapter:
    """An optuna study with ``TPESampler(seed=seed)`` (its defaults)."""

    def __init__(self, seed):
        self.optuna = load("optuna")
        self.dists = sp.to_optuna(SPACE)
        self.study = self.optuna.create_study(
            direction="maximize",
            sampler=self.optuna.samplers.TPESampler(seed=seed))
        self.trial = None

    def warm(self, points, scores):
        self.study.add_trials([
            self.optuna.trial.create_trial(params=p, distributions=self.dists,
                                           value=s)
            for p, s in zip(points, scores)])

    def ask(self):
        self.trial = self.study.ask(self.dists)
        return dict(self.trial.params)

    def tell(self, point, score):
        self.study.tell(self.trial, score)


ADAPTERS = {"skhpo": SkhpoAdapter, "skopt": SkoptAdapter,
            "optuna-tpe": OptunaAdapter}


def measure(name, n, repeats, seed=0):
    """Mean and median ask + tell seconds after ``n`` observations."""
    rng = np.random.default_rng(seed)
    points = sp.sample(SPACE, n, rng)
    with quiet():
        opt = ADAPTERS[name](seed)
        opt.warm(points, [objective(p) for p in points])
        asks, tells = [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            point = opt.ask()
            t1 = time.perf_counter()
            score = objective(_native(point))
            t2 = time.perf_counter()
            opt.tell(point, score)
            t3 = time.perf_counter()
            asks.append(t1 - t0)
            tells.append(t3 - t2)
    total = [a + t for a, t in zip(asks, tells)]
    return {"method": name, "n": n, "repeats": repeats,
            "ask": asks, "tell": tells, "mean": float(np.mean(total)),
            "median": float(np.median(total))}


def main(sizes, repeats, skopt_repeats, methods, env, log=print):
    """Run the suite; return ``(markdown, raw)``."""
    results = []
    for n in sizes:
        for name in methods:
            reps = skopt_repeats if name == "skopt" else repeats
            try:
                res = measure(name, n, reps)
            except Exception as exc:  # keep measuring the others
                res = {"method": name, "n": n, "error": repr(exc),
                       "mean": np.nan, "median": np.nan}
            results.append(res)
            log(f"[overhead] n={n:4d} {name:12s} "
                f"mean {fmt(res['mean'], '.4f')} s, median {fmt(res['median'], '.4f')} s "
                f"{res.get('error', '')}")
    by = {(r["method"], r["n"]): r for r in results}
    header = ["observations"] + [f"{m} s (median)" for m in methods]
    if "skhpo" in methods and "skopt" in methods:
        header.append("skopt / skhpo")
    rows = []
    for n in sizes:
        row = [n] + [f"{fmt(by[(m, n)]['mean'], '.4f')} ({fmt(by[(m, n)]['median'], '.4f')})"
                     for m in methods]
        if "skopt / skhpo" in header:
            row.append(fmt(by[("skopt", n)]["mean"]
                           / by[("skhpo", n)]["mean"], ".1f"))
        rows.append(row)
    reps = {m: (skopt_repeats if m == "skopt" else repeats) for m in methods}
    md = "\n".join([
        header_md("Optimiser overhead per suggestion", env),
        "Seconds for one ask(1) + tell after n random observations of a "
        "6-dimensional mixed space (3 real incl. 1 log, 2 integer, "
        "1 categorical of 3): mean over repeats, the first of which follows "
        "the untimed batch, median in brackets; the ratio is of means "
        f"({', '.join(f'{m}: {r}' for m, r in reps.items())}). "
        "Default settings of every optimiser.\n",
        table(header, rows),
    ])
    errors = [r for r in results if "error" in r]
    if errors:
        md += "\n\n## Errors\n\n" + "\n".join(
            f"- {r['method']} at n={r['n']}: `{r['error']}`" for r in errors)
    return md + "\n", {"env": env, "space": repr(SPACE), "results": results}
