"""Cluster suite: wall time and worker utilisation on a simulated cluster of 8-64 workers.

A real cluster is simulated on a small machine: every fit runs in a thread of joblib's
``"threading"`` backend (``joblib.parallel_config(backend="threading", n_jobs=W)`` and
the search's ``n_jobs=W``), fits a real, cheap ``SVC`` (so the scores are those of a
real tuning problem) and then sleeps until its *simulated cost* has passed since the fit
began. The sleep holds no core, so ``W`` workers cost ``W`` threads, not ``W`` cores.

The problem: ``SVC`` with ``C`` log-uniform on [1e-2, 1e3], ``gamma`` log-uniform on
[1e-4, 1e1] and ``class_weight`` in {None, "balanced"}, on ``make_classification(
n_samples=700, n_features=20, n_informative=6, n_redundant=4, flip_y=0.1,
weights=[0.7])``, accuracy on fixed ``StratifiedKFold(5, shuffle=True, random_state=0)``
folds, ``refit=False``. The simulated cost of a fit grows with ``C`` (x4 across its
range) and as ``gamma`` shrinks (x2.5), and is x1.25 with ``class_weight="balanced"``:
a factor 12.5 from the cheapest configuration to the dearest, scaled so that a fit costs
``--cost`` seconds on average over the space (its prior; the fits of a search that
concentrates on dear configurations cost more). All 5 folds of a candidate cost the same.

The methods, side by side on the same folds, seeds and worker counts:
``RandomizedSearchCV`` (the reference), ``BayesSearchCV`` with the installed skhpo's
defaults, ``BayesSearchCV(n_points=1)`` (the synchronous one-at-a-time baseline: one
candidate, 5 tasks, per parallel call), ``EvolutionSearchCV`` with its defaults, and
Optuna's ``TPESampler(seed=seed)`` through ``study.optimize(objective, n_jobs=W)``:
trials in threads, each the mean of ``cross_val_score(n_jobs=1)`` over the same folds
(folds sequential, as ``OptunaSearchCV`` runs them); skipped when optuna is missing.

Measured per (method, workers, seed): *wall*, from the start of ``fit`` / ``optimize``
to its end; *utilisation*, the time all fits took (each fit from its start to the end
of its sleep) / (``W`` x wall), 1.0 meaning no worker ever waited; the best mean CV
score at the end; and *time to random's best*, the time from the start at which the
method's best score so far first reached the final best score of RandomizedSearchCV with
the same seed (a candidate's score is known when its last fold's fit ends), as a
fraction of RandomizedSearchCV's wall time. Tables give medians over seeds (of the
per-seed ratios for the ratio columns); a method that never reached random's best counts
as infinite ("not reached").
"""

from __future__ import annotations

import math
import threading
import time
import traceback

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.svm import SVC

from benchmarks import space as sp
from benchmarks._peers import load, quiet
from benchmarks.report import fmt, header_md, table

SPACE = {
    "C": sp.Real(1e-2, 1e3, log=True),
    "gamma": sp.Real(1e-4, 1e1, log=True),
    "class_weight": sp.Categorical((None, "balanced")),
}
N_SPLITS = 5
N_SAMPLES = 700

#: Cost growth across each dimension's range (see :func:`simulated_seconds`).
C_GROWTH, GAMMA_GROWTH, BALANCED_FACTOR = 4.0, 2.5, 1.25

METHODS = ("random", "bayes", "bayes-n_points=1", "evolution", "optuna-tpe")
LABELS = {
    "random": "RandomizedSearchCV (reference)",
    "bayes": "BayesSearchCV (defaults)",
    "bayes-n_points=1": "BayesSearchCV(n_points=1), synchronous baseline",
    "evolution": "EvolutionSearchCV (defaults)",
    "optuna-tpe": "Optuna TPESampler, study.optimize(n_jobs=W)",
}

#: Every fit of the run under way (dicts: key, params, start, end, seconds, score).
FITS: list = []
_LOCK = threading.Lock()


def reset():
    """Forget the recorded fits (before each run)."""
    with _LOCK:
        FITS.clear()


def _unit(value, low, high):
    """Position of ``value`` on ``[low, high]`` in log scale, clipped to [0, 1]."""
    u = (math.log(value) - math.log(low)) / (math.log(high) - math.log(low))
    return min(1.0, max(0.0, u))


def _mean_growth(g):
    """Mean of ``g ** u`` for ``u`` uniform on [0, 1]."""
    return (g - 1.0) / math.log(g)


#: Mean relative cost over the space's prior (log-uniform C and gamma, class_weight 50/50).
_MEAN_RELATIVE = (_mean_growth(C_GROWTH) * _mean_growth(GAMMA_GROWTH)
                  * (1.0 + BALANCED_FACTOR) / 2.0)


def simulated_seconds(C, gamma, class_weight, cost):
    """Simulated seconds of one fit: ``cost`` on average over the space.

    Grows like ``C_GROWTH ** u(C)`` and ``GAMMA_GROWTH ** (1 - u(gamma))``, ``u`` the
    position on the dimension's log range, times ``BALANCED_FACTOR`` with
    ``class_weight="balanced"``.
    """
    c, g = SPACE["C"], SPACE["gamma"]
    rel = (C_GROWTH ** _unit(C, c.low, c.high)
           * GAMMA_GROWTH ** (1.0 - _unit(gamma, g.low, g.high))
           * (BALANCED_FACTOR if class_weight == "balanced" else 1.0))
    return cost * rel / _MEAN_RELATIVE


def _key(C, gamma, class_weight):
    return (float(C), float(gamma), class_weight)


class SimulatedSVC(ClassifierMixin, BaseEstimator):
    """``SVC`` (a real fit) followed by a sleep up to the fit's simulated cost.

    Each fit appends a record to :data:`FITS` (its parameters, the ``perf_counter`` at
    its start and end, its simulated seconds); ``score`` adds the fold's score to the
    record of the fit it scores. ``cost`` is the mean simulated seconds over the space.
    """

    def __init__(self, C=1.0, gamma=0.01, class_weight=None, cost=1.0):
        self.C = C
        self.gamma = gamma
        self.class_weight = class_weight
        self.cost = cost

    def fit(self, X, y):
        start = time.perf_counter()
        self.svc_ = SVC(C=self.C, gamma=self.gamma,
                        class_weight=self.class_weight).fit(X, y)
        self.classes_ = self.svc_.classes_
        seconds = simulated_seconds(self.C, self.gamma, self.class_weight, self.cost)
        remaining = start + seconds - time.perf_counter()
        if remaining > 0:
            time.sleep(remaining)
        end = time.perf_counter()
        record = {"key": _key(self.C, self.gamma, self.class_weight),
                  "start": start, "end": end, "seconds": seconds, "score": None}
        with _LOCK:
            FITS.append(record)
        self.record_ = record
        return self

    def predict(self, X):
        return self.svc_.predict(X)

    def score(self, X, y, sample_weight=None):
        score = float(super().score(X, y, sample_weight=sample_weight))
        record = getattr(self, "record_", None)
        if record is not None:
            with _LOCK:
                record["score"] = score
        return score


#: The data sets: ``"report"``, the problem results are published on, and ``"dev"``,
#: another data set for trying settings out, whose results are never published.
PROBLEMS = {
    "report": dict(n_features=20, n_informative=6, n_redundant=4, flip_y=0.1,
                   weights=[0.7], random_state=0),
    "dev": dict(n_features=30, n_informative=10, n_redundant=0, flip_y=0.05,
                class_sep=0.8, random_state=1),
}


def data(problem="report"):
    """``(X, y, folds)`` of a problem (folds: a list of (train, test) indices)."""
    from sklearn.datasets import make_classification
    from sklearn.model_selection import StratifiedKFold

    settings = PROBLEMS[problem]
    X, y = make_classification(n_samples=N_SAMPLES, **settings)
    folds = list(StratifiedKFold(N_SPLITS, shuffle=True,
                                 random_state=settings["random_state"]).split(X, y))
    return X, y, folds


def default_n_iter(workers, quick=False):
    """Candidates per run with ``workers`` workers: 64 below 64 workers, 128 from 64
    (quick: 8 and 12)."""
    if quick:
        return 8 if workers < 64 else 12
    return 64 if workers < 64 else 128


def available(method):
    """``None`` if ``method`` can run here, else why not."""
    if method == "optuna-tpe":
        try:
            load("optuna")
        except ImportError as exc:
            return f"optuna is not importable ({exc})"
    return None


def _best(scores):
    scores = np.asarray(scores, dtype=float)
    return float(np.nanmax(scores)) if np.isfinite(scores).any() else math.nan


def _suggest(trial, name, dim):
    if isinstance(dim, sp.Real):
        return trial.suggest_float(name, dim.low, dim.high, log=dim.log)
    if isinstance(dim, sp.Integer):
        return trial.suggest_int(name, dim.low, dim.high, log=dim.log)
    return trial.suggest_categorical(name, list(dim.choices))


def _search(method, est, workers, n_iter, seed, X, y, folds):
    """Run one search; return ``(best score, number of candidates)``."""
    common = dict(n_iter=n_iter, n_jobs=workers, random_state=seed, cv=folds,
                  refit=False)
    if method == "optuna-tpe":
        optuna = load("optuna")
        from sklearn.base import clone
        from sklearn.model_selection import cross_val_score

        def objective(trial):
            params = {name: _suggest(trial, name, d) for name, d in SPACE.items()}
            fitted = clone(est).set_params(**params)
            return float(np.mean(cross_val_score(fitted, X, y, cv=folds, n_jobs=1)))

        study = optuna.create_study(direction="maximize",
                                    sampler=optuna.samplers.TPESampler(seed=seed))
        study.optimize(objective, n_trials=n_iter, n_jobs=workers)
        done = [t for t in study.trials if t.value is not None]
        return (float(study.best_value) if done else math.nan), len(study.trials)
    if method == "random":
        from sklearn.model_selection import RandomizedSearchCV

        search = RandomizedSearchCV(est, sp.to_scipy(SPACE), **common)
    else:
        skhpo = load("skhpo")
        if method == "bayes":
            search = skhpo.BayesSearchCV(est, sp.to_skhpo(SPACE), **common)
        elif method == "bayes-n_points=1":
            search = skhpo.BayesSearchCV(est, sp.to_skhpo(SPACE), n_points=1, **common)
        elif method == "evolution":
            search = skhpo.EvolutionSearchCV(est, sp.to_skhpo(SPACE), **common)
        else:
            raise ValueError(f"unknown method {method!r}")
    search.fit(X, y)
    return _best(search.cv_results_["mean_test_score"]), len(search.cv_results_["params"])


def candidates(fits, start):
    """``[(completion time from start, mean fold score)]`` of each candidate, in order
    of completion. Fits are grouped by their parameters (a candidate evaluated twice
    gives two groups of ``N_SPLITS`` fits, in order of their starts); a candidate is
    done when its last fold's fit ends."""
    groups: dict = {}
    for f in sorted(fits, key=lambda f: f["start"]):
        groups.setdefault(f["key"], []).append(f)
    out = []
    for group in groups.values():
        for i in range(0, len(group), N_SPLITS):
            chunk = group[i:i + N_SPLITS]
            scores = [f["score"] for f in chunk]
            score = (float(np.mean(scores)) if len(chunk) == N_SPLITS
                     and None not in scores else math.nan)
            out.append((max(f["end"] for f in chunk) - start, score))
    return sorted(out)


def time_to(trace, target):
    """First time at which the best score so far reaches ``target`` (inf if never)."""
    for t, s in trace:
        if s >= target - 1e-9:
            return t
    return math.inf


def run_one(method, workers, n_iter, seed, X, y, folds, cost):
    """One search on ``workers`` simulated workers; the run's measurements."""
    joblib = load("joblib")
    est = SimulatedSVC(cost=cost)
    reset()
    error = None
    with quiet(), joblib.parallel_config(backend="threading", n_jobs=workers):
        start = time.perf_counter()
        try:
            best, n_cands = _search(method, est, workers, n_iter, seed, X, y, folds)
        except Exception:
            best, n_cands, error = math.nan, 0, traceback.format_exc()
        end = time.perf_counter()
    with _LOCK:
        fits = list(FITS)
    wall = end - start
    busy = sum(f["end"] - f["start"] for f in fits)
    over = [f["end"] - f["start"] - f["seconds"] for f in fits]
    if error is None and len(fits) != n_cands * N_SPLITS:
        error = f"{len(fits)} fits recorded for {n_cands} candidates x {N_SPLITS} folds"
    return {"method": method, "workers": workers, "n_iter": n_iter, "seed": seed,
            "wall": wall, "busy": busy, "utilisation": busy / (workers * wall),
            "best": best, "n_candidates": n_cands, "n_fits": len(fits),
            "mean_fit_seconds": busy / len(fits) if fits else math.nan,
            # how much longer than simulated the fits took (the real SVC fit when it
            # outlasts the simulated cost, thread scheduling)
            "max_overshoot": max(over, default=math.nan),
            "mean_overshoot": float(np.mean(over)) if over else math.nan,
            "trace": candidates(fits, start), "error": error}


def run(workers_list, n_iters, seeds, cost, methods=METHODS, log=print,
        problem="report"):
    """Every (workers, seed, method); random first, as the others' reference."""
    X, y, folds = data(problem)
    with quiet():  # warm up: imports and the first fit, before anything is timed
        SimulatedSVC(cost=0.0).fit(X[folds[0][0]], y[folds[0][0]])
    missing = {m: available(m) for m in methods}
    runs, unavailable = [], {m: why for m, why in missing.items() if why}
    order = ["random", *(m for m in methods if m != "random")]
    for workers in workers_list:
        n_iter = n_iters[workers]
        for seed in seeds:
            rand = None
            for method in order:
                if method in unavailable:
                    continue
                r = run_one(method, workers, n_iter, seed, X, y, folds, cost)
                if method == "random":
                    rand = r
                _compare(r, rand)
                runs.append(r)
                status = ("ERROR" if r["error"] else
                          f"best {fmt(r['best'])} util {r['utilisation']:.2f} "
                          f"to random's best {_fmt_ratio(r['ratio_to_random_best'])}")
                log(f"[cluster] W={workers:3d} seed {seed} {method:17s} wall "
                    f"{r['wall']:6.1f}s {status}")
                if r["error"]:
                    log(r["error"])
    return runs, unavailable


def _compare(r, rand):
    """Add to run ``r`` its measures relative to the same seed's random run."""
    target = rand["best"] if rand and not rand["error"] else math.nan
    t = time_to(r["trace"], target) if math.isfinite(target) else math.nan
    rwall = rand["wall"] if rand and not rand["error"] else math.nan
    r.update({"target": target, "time_to_random_best": t,
              "ratio_to_random_best": t / rwall, "wall_ratio": r["wall"] / rwall})


def _median(values):
    values = [v for v in values if v is not None and not math.isnan(v)]
    return float(np.median(values)) if values else math.nan


def _fmt_ratio(x):
    if x is None or math.isnan(x):
        return "-"
    return "not reached" if math.isinf(x) else f"{x:.2f}"


def summarise(runs):
    """Medians over seeds per (workers, method)."""
    rows = []
    for workers, method in dict.fromkeys((r["workers"], r["method"]) for r in runs):
        mine = [r for r in runs if r["workers"] == workers and r["method"] == method]
        ok = [r for r in mine if not r["error"]]
        rows.append({
            "workers": workers, "method": method, "n_iter": mine[0]["n_iter"],
            "seeds": len(mine), "errors": len(mine) - len(ok),
            "wall": _median([r["wall"] for r in ok]),
            "wall_ratio": _median([r["wall_ratio"] for r in ok]),
            "utilisation": _median([r["utilisation"] for r in ok]),
            "best": _median([r["best"] for r in ok]),
            "ratio_to_random_best": _median([r["ratio_to_random_best"] for r in ok]),
            "reached": sum(math.isfinite(r["ratio_to_random_best"]) for r in ok),
            "mean_fit_seconds": _median([r["mean_fit_seconds"] for r in ok]),
            "max_overshoot": max((r["max_overshoot"] for r in ok), default=math.nan),
        })
    return rows


def uncommitted_skhpo():
    """Files of ``skhpo/`` that differ from the recorded commit (read-only ``git
    status``); ``None`` if git cannot tell."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--", "skhpo"], cwd=root,
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return [line[3:] for line in out.stdout.splitlines() if line.strip()]


def _defaults_text():
    """The installed skhpo's defaults that shape the batches."""
    try:
        skhpo = load("skhpo")
    except ImportError:
        return ""
    bayes = skhpo.BayesSearchCV(None, {}).get_params()
    evo = skhpo.EvolutionSearchCV(None, {}).get_params()
    return (f"Installed skhpo defaults: BayesSearchCV n_points={bayes['n_points']}, "
            f"n_initial_points={bayes['n_initial_points']}; EvolutionSearchCV "
            f"population_size={evo['population_size']}.\n")


def markdown(runs, rows, unavailable, env, workers_list, n_iters, seeds, cost,
             dirty=None):
    """The report; ``dirty`` lists the uncommitted files of ``skhpo/`` measured."""
    parts = [header_md("Simulated cluster: wall time and worker utilisation", env),
             __doc__.split("\n\n", 1)[1],
             f"\nWorkers {list(workers_list)}, candidates "
             f"{ {w: n_iters[w] for w in workers_list} }, mean simulated cost {cost} s "
             f"per fit, seeds {list(seeds)}.\n", _defaults_text()]
    if dirty:
        parts.append(f"Measured code: the skhpo commit above plus uncommitted changes to "
                     f"{len(dirty)} file(s) of `skhpo/`: "
                     + ", ".join(f"`{f}`" for f in dirty) + ".\n")
    parts.append(
        "Columns: `wall / random` = the wall time / RandomizedSearchCV's with the same "
        "seed. `to random's best` = the time to reach RandomizedSearchCV's final best "
        "score / RandomizedSearchCV's wall time (RandomizedSearchCV's own row: when it "
        "found it). `reached` = seeds that reached it. `fit s` = the mean duration of a "
        "fit (the methods that concentrate on dear configurations pay more per fit). "
        "Medians over seeds.\n")
    for m, why in unavailable.items():
        parts.append(f"- `{m}` not run: {why}.")
    if unavailable:
        parts.append("")
    for workers in workers_list:
        mine = [r for r in rows if r["workers"] == workers]
        if not mine:
            continue
        parts.append(f"\n## {workers} workers, {n_iters[workers]} candidates\n")
        body = [[LABELS.get(r["method"], r["method"]), fmt(r["wall"], ".1f"),
                 fmt(r["wall_ratio"], ".2f"), fmt(r["utilisation"], ".2f"),
                 fmt(r["best"], ".4f"), _fmt_ratio(r["ratio_to_random_best"]),
                 f"{r['reached']}/{r['seeds'] - r['errors']}",
                 fmt(r["mean_fit_seconds"], ".2f")]
                + ([f"{r['errors']} failed"] if r["errors"] else [])
                for r in mine]
        header = ["method", "wall s", "wall / random", "utilisation", "best score",
                  "to random's best", "reached", "fit s"]
        if any(r["errors"] for r in mine):
            header.append("errors")
            body = [row + [""] * (len(header) - len(row)) for row in body]
        parts.append(table(header, body))
        over = max((r["max_overshoot"] for r in mine if math.isfinite(r["max_overshoot"])),
                   default=math.nan)
        parts.append("\nThe longest overshoot of a fit past its simulated cost (its real "
                     "SVC fit outlasting it, GIL and thread scheduling): "
                     f"{fmt(over, '.3f')} s.")
        seeds_here = list(dict.fromkeys(r["seed"] for r in runs if r["workers"] == workers))
        if len(seeds_here) > 1:
            parts.append("\nPer seed: to random's best (utilisation):\n")
            per = []
            for m in dict.fromkeys(r["method"] for r in mine):
                cells = []
                for s in seeds_here:
                    r = next((r for r in runs if r["workers"] == workers
                              and r["method"] == m and r["seed"] == s), None)
                    cells.append("-" if r is None or r["error"] else
                                 f"{_fmt_ratio(r['ratio_to_random_best'])} "
                                 f"({r['utilisation']:.2f})")
                per.append([LABELS.get(m, m)] + cells)
            parts.append(table(["method"] + [f"seed {s}" for s in seeds_here], per))
    errors = [r for r in runs if r["error"]]
    if errors:
        parts.append("\n## Errors\n")
        for r in errors:
            last = r["error"].strip().splitlines()[-1]
            parts.append(f"- {r['method']}, {r['workers']} workers, seed {r['seed']}: "
                         f"`{last}`")
    return "\n".join(parts) + "\n"


def main(workers_list, n_iters, seeds, cost, env, methods=METHODS, log=print):
    """Run the suite; return ``(markdown, raw)``. ``n_iters`` maps workers to
    candidates."""
    runs, unavailable = run(workers_list, n_iters, seeds, cost, methods, log=log)
    rows = summarise(runs)
    dirty = uncommitted_skhpo()
    md = markdown(runs, rows, unavailable, env, workers_list, n_iters, seeds, cost, dirty)
    raw = {"env": env, "uncommitted_skhpo": dirty, "workers": list(workers_list),
           "n_iter": {str(w): n_iters[w] for w in workers_list}, "seeds": list(seeds),
           "cost": cost, "n_samples": N_SAMPLES, "n_splits": N_SPLITS,
           "space": repr(SPACE), "unavailable": unavailable, "rows": rows, "runs": runs}
    return md, raw
