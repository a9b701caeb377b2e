"""Sample-efficiency suite (bayesmark-style normalised scores).

For a problem, let ``opt`` be the best mean CV score seen anywhere (any
method, any seed) and ``clip`` the median mean CV score of all configurations
evaluated by random search (all seeds), i.e. the score of a typical random
configuration.  A run ending at best score ``s`` has regret
``r = (opt - s) / (opt - clip)``; a method scores ``100 * (1 - mean r)``:
100 means it always found the best configuration seen, 0 means it did no
better than a typical random configuration.
"""

from __future__ import annotations

import numpy as np

from benchmarks.methods import run_method
from benchmarks.problems import PROBLEMS
from benchmarks.report import fmt, header_md, table


def run(problems, methods, seeds, budget, n_jobs=1, log=print):
    """Run every (problem, seed, method) once; return the list of run dicts."""
    runs = []
    for pname in problems:
        problem = PROBLEMS["efficiency"][pname]
        X, y, cv = problem.load()
        for seed in seeds:
            for method in methods:
                res = run_method(method, problem, X, y, cv, budget, seed, n_jobs)
                runs.append(res)
                status = "ERROR" if res["error"] else f"best {fmt(res['best'])}"
                log(f"[efficiency] {pname:22s} seed {seed} {method:20s} "
                    f"{status}  {res['seconds']:.1f}s")
                if res["error"]:
                    log(res["error"])
    return runs


def _bounds(runs, problem):
    """``(opt, clip)`` of one problem (clip is None without random search)."""
    mine = [r for r in runs if r["problem"] == problem and not r["error"]]
    every = [s for r in mine for s in r["scores"] if np.isfinite(s)]
    rand = [s for r in mine if r["method"] == "random" for s in r["scores"]]
    opt = max(every) if every else None
    clip = float(np.nanmedian(rand)) if rand else None
    return opt, clip


def _normalised(best, opt, clip):
    if opt is None or clip is None or best is None or opt <= clip:
        return np.nan
    return 100.0 * (1.0 - (opt - best) / (opt - clip))


def checkpoints(budget):
    """Evaluation counts at which the best-so-far curve is reported."""
    return sorted({max(1, budget // 4), max(1, budget // 2), budget})


def summarise(runs, budget):
    """Aggregate runs into per-problem bounds and per-method scores.

    Returns
    -------
    dict
        ``bounds[problem] = (opt, clip)``;
        ``score[method][problem]`` normalised score at the budget (mean of
        the per-seed values, which equals ``100 * (1 - mean r)``);
        ``curve[method][k]`` same, averaged over problems, after ``k``
        evaluations; ``best``/``seconds[method][problem]`` per-seed lists.
    """
    problems = list(dict.fromkeys(r["problem"] for r in runs))
    methods = list(dict.fromkeys(r["method"] for r in runs))
    bounds = {p: _bounds(runs, p) for p in problems}
    out = {"bounds": bounds, "score": {}, "curve": {}, "best": {},
           "seconds": {}, "evals": {}}
    for m in methods:
        out["score"][m], out["best"][m], out["seconds"][m] = {}, {}, {}
        out["evals"][m] = {}
        per_k = {k: [] for k in checkpoints(budget)}
        for p in problems:
            mine = [r for r in runs if r["method"] == m and r["problem"] == p]
            ok = [r for r in mine if not r["error"] and r["trace"]]
            out["best"][m][p] = [r["best"] for r in ok]
            out["seconds"][m][p] = [r["seconds"] for r in ok]
            out["evals"][m][p] = [r["n_evals"] for r in mine]
            out["score"][m][p] = _mean([_normalised(r["best"], *bounds[p])
                                        for r in ok])
            for k in per_k:
                per_k[k].append(_mean([
                    _normalised(r["trace"][min(k, len(r["trace"])) - 1],
                                *bounds[p]) for r in ok]))
        out["curve"][m] = {k: _mean(v) for k, v in per_k.items()}
    return out


def _mean(values):
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else np.nan


def markdown(runs, summary, env, budget, seeds):
    """The results report of the suite."""
    problems = list(summary["bounds"])
    methods = list(summary["score"])
    n_seeds = len(seeds)
    parts = [header_md("Sample efficiency", env),
             f"Budget {budget} evaluations per run, seeds {list(seeds)}, "
             "5-fold CV (StratifiedKFold(5, shuffle=True, random_state=0), "
             "identical for every method), n_jobs as in the command.\n",
             "## Normalised score at the budget\n",
             "100 = best score seen on the problem (any method, any seed); "
             "0 = median score of a random configuration. "
             f"Mean over {n_seeds} seed(s); wall time is the mean per run "
             "(one search of the budget) over all problems and seeds.\n"]
    rows = []
    for m in methods:
        per = [summary["score"][m][p] for p in problems]
        secs = [s for p in problems for s in summary["seconds"][m][p]]
        rows.append([m] + [fmt(v, ".1f") for v in per]
                    + [fmt(_mean(per), ".1f"), fmt(_mean(secs), ".1f")])
    parts.append(table(["method"] + problems + ["mean", "wall s/run"], rows))
    if not any(r["method"] == "random" for r in runs):
        parts.append("\nNormalised scores need the `random` method (it "
                     "defines clip); only raw scores are available.")

    ks = checkpoints(budget)
    parts += ["\n## Normalised score after k evaluations (mean over problems)\n",
              table(["method"] + [f"k={k}" for k in ks],
                    [[m] + [fmt(summary["curve"][m][k], ".1f") for k in ks]
                     for m in methods])]

    parts.append("\n## Best mean CV score per problem\n")
    rows = []
    for p in problems:
        opt, clip = summary["bounds"][p]
        for m in methods:
            b = summary["best"][m][p]
            evals = sorted(set(summary["evals"][m][p]))
            rows.append([p, m, fmt(_mean(b)), fmt(np.std(b) if b else None),
                         fmt(min(b) if b else None), fmt(opt), fmt(clip),
                         fmt(_mean(summary["seconds"][m][p]), ".1f"),
                         ",".join(map(str, evals))])
    parts.append(table(["problem", "method", "best (mean)", "std", "worst seed",
                        "opt", "clip", "wall s/run", "evaluations"], rows))

    errors = [r for r in runs if r["error"]]
    if errors:
        parts.append("\n## Errors\n")
        for r in errors:
            last = r["error"].strip().splitlines()[-1]
            parts.append(f"- {r['method']} on {r['problem']} seed {r['seed']}: "
                         f"`{last}`")
    return "\n".join(parts) + "\n"


def main(problems, methods, seeds, budget, n_jobs, env, log=print):
    """Run the suite; return ``(markdown, raw)``."""
    runs = run(problems, methods, seeds, budget, n_jobs, log)
    summary = summarise(runs, budget)
    raw = {"env": env, "budget": budget, "seeds": list(seeds),
           "n_jobs": n_jobs, "summary": summary, "runs": runs}
    return markdown(runs, summary, env, budget, seeds), raw
