"""Plots of fitted searches (needs matplotlib: ``pip install matplotlib``, or skhpo's
``plot`` extra).

Every function takes a fitted search (any scikit-learn ``*SearchCV``, or its
``cv_results_`` where that is enough) and returns the matplotlib ``Axes`` or ``Figure``
it drew on:

- :func:`plot_convergence`: best score so far against evaluations or compute time,
  several searches on one axis;
- :func:`plot_scores`: the score against each parameter;
- :func:`plot_parallel_coordinates`: every candidate as a line across the parameters;
- :func:`plot_rungs`: Hyperband's score against resource, one line per candidate;
- :func:`plot_partial_dependence`: a BayesSearchCV surrogate's partial dependence on
  one or two parameters.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy as np

from .strategies import BayesOptimizer

__all__ = [
    "plot_convergence",
    "plot_scores",
    "plot_parallel_coordinates",
    "plot_rungs",
    "plot_partial_dependence",
]


def _plt():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "skhpo.plot needs matplotlib; install it with pip install matplotlib (or "
            "skhpo's plot extra)."
        ) from exc
    return plt


def _results(search) -> dict:
    """``cv_results_`` of a fitted search, or the dict itself."""
    if isinstance(search, Mapping):
        if "params" not in search:
            raise ValueError("Expected a fitted search or its cv_results_ (a dict with a "
                             "'params' key).")
        return search
    if not hasattr(search, "get_params"):
        raise TypeError(f"Expected a fitted search or its cv_results_, got "
                        f"{type(search).__name__}.")
    results = getattr(search, "cv_results_", None)
    if results is None:
        from sklearn.exceptions import NotFittedError

        raise NotFittedError(
            f"This {type(search).__name__} instance is not fitted yet. Call 'fit' before "
            "plotting it."
        )
    return results


def _metric(results, metric):
    """The ``mean_test_*`` column to plot, and its label."""
    if metric is not None:
        key = f"mean_test_{metric}"
        if key not in results:
            names = sorted(k[len("mean_test_"):] for k in results
                           if k.startswith("mean_test_"))
            raise ValueError(f"metric={metric!r} is not in cv_results_; it has {names}.")
        return key, metric
    if "mean_test_score" in results:
        return "mean_test_score", "score"
    key = next(k for k in results if k.startswith("mean_test_"))
    return key, key[len("mean_test_"):]


def _full_fidelity(results):
    """Rows that count as results: all of them, or for Hyperband those at the largest
    resource."""
    n = len(results["params"])
    if "n_resources" not in results:
        return np.ones(n, dtype=bool)
    r = np.asarray(results["n_resources"])
    return r == r.max()


def _label(search, i):
    if isinstance(search, Mapping):
        return f"search {i}"
    return type(search).__name__


def plot_convergence(*searches, x="evaluations", metric=None, labels=None, ax=None):
    """Best score so far of one or more searches, on one axis.

    Parameters
    ----------
    *searches : fitted searches or their ``cv_results_``
        Compared on one axis. For ``HyperbandSearchCV``, only candidates evaluated with
        the largest resource count.
    x : {"evaluations", "time"}, default="evaluations"
        What the horizontal axis counts: candidates evaluated (all rows of
        ``cv_results_``, in order), or cumulative fit and score time in seconds (summed
        over CV splits; the compute spent, whatever ``n_jobs``).
    metric : str, default=None
        With multimetric scoring, the metric to plot (default: the first).
    labels : list of str, default=None
        Legend entries (default: the class names).
    ax : matplotlib Axes, default=None
        Where to draw (default: a new figure).

    Returns
    -------
    ax : matplotlib Axes
        One step line per search.
    """
    if not searches:
        raise ValueError("plot_convergence needs at least one search.")
    if x not in ("evaluations", "time"):
        raise ValueError(f"x must be 'evaluations' or 'time', got {x!r}.")
    if labels is not None and len(labels) != len(searches):
        raise ValueError(f"Got {len(labels)} labels for {len(searches)} searches.")
    plt = _plt()
    if ax is None:
        _, ax = plt.subplots()
    name = "score"
    for i, search in enumerate(searches):
        results = _results(search)
        key, name = _metric(results, metric)
        scores = np.asarray(results[key], dtype=float).copy()
        scores[~_full_fidelity(results) | ~np.isfinite(scores)] = -np.inf
        best = np.maximum.accumulate(scores)
        best[np.isneginf(best)] = np.nan
        if x == "time":
            n_splits = sum(1 for k in results if k.startswith("split")
                           and k.endswith(key[len("mean"):]))
            cost = (np.asarray(results["mean_fit_time"])
                    + np.asarray(results["mean_score_time"])) * max(n_splits, 1)
            xs = np.cumsum(cost)
        else:
            xs = np.arange(1, len(scores) + 1)
        label = labels[i] if labels is not None else _label(search, i)
        ax.step(xs, best, where="post", label=label)
    ax.set_xlabel("candidates evaluated" if x == "evaluations"
                  else "cumulative fit and score time (s)")
    ax.set_ylabel(f"best mean CV {name} so far")
    ax.legend()
    return ax


def _param_names(results, params):
    names = list(dict.fromkeys(k for p in results["params"] for k in p))
    if isinstance(params, str):
        params = [params]
    if params is not None and len(params) == 0:
        raise ValueError("params must name at least one parameter (or be None for all).")
    if params is None:
        return names
    unknown = [p for p in params if p not in names]
    if unknown:
        raise ValueError(f"params {unknown} were not searched; the search has {names}.")
    return list(params)


def _candidates(search, params, metric, finite_only=False):
    """What plots of candidates draw: parameter names, the metric's label, and the
    candidates competing for ``best_*`` (those with a finite score if asked) with their
    scores."""
    results = _results(search)
    names = _param_names(results, params)
    key, label = _metric(results, metric)
    scores = np.asarray(results[key], dtype=float)
    keep = _full_fidelity(results)
    if finite_only:
        keep &= np.isfinite(scores)
    rows = [p for p, k in zip(results["params"], keep) if k]
    return names, label, rows, scores[keep]


def _is_number(v):
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _coordinates(values):
    """Plot coordinates of one parameter's values: numbers as they are (log when they
    are positive and span more than two decades), anything else by category."""
    present = [v for v in values if v is not _MISSING]
    if present and all(_is_number(v) for v in present):
        arr = np.array([np.nan if v is _MISSING else float(v) for v in values])
        finite = arr[np.isfinite(arr)]
        log = bool(len(finite) and finite.min() > 0 and finite.max() / finite.min() > 100)
        return arr, log, None
    cats = []
    index = []
    for v in values:
        if v is _MISSING:
            index.append(np.nan)
            continue
        i = next((i for i, c in enumerate(cats)
                  if v is c or (type(v) is type(c) and repr(v) == repr(c))), None)
        if i is None:
            i = len(cats)
            cats.append(v)
        index.append(i)
    return np.array(index, dtype=float), False, [_short(c) for c in cats]


_MISSING = object()


def _short(value, width=18):
    text = value.__class__.__name__ if hasattr(value, "get_params") else repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def plot_scores(search, params=None, metric=None):
    """The mean CV score of every candidate against each parameter.

    Parameters
    ----------
    search : fitted search or its ``cv_results_``
    params : str or list of str, default=None
        Parameters to show (default: all searched).
    metric : str, default=None
        With multimetric scoring, the metric to plot.

    Returns
    -------
    fig : matplotlib Figure
        One Axes per parameter, sharing the score axis: a point per candidate (at full
        fidelity for Hyperband); categories on an index axis with their names.
    """
    plt = _plt()
    names, label, rows, scores = _candidates(search, params, metric)
    fig, axes = plt.subplots(1, len(names), sharey=True,
                             figsize=(3.2 * len(names), 3.2), squeeze=False)
    for ax, name in zip(axes[0], names):
        xs, log, cats = _coordinates([p.get(name, _MISSING) for p in rows])
        ax.scatter(xs, scores, s=14, alpha=0.8)
        ax.set_xlabel(name)
        if log:
            ax.set_xscale("log")
        if cats is not None:
            ax.set_xticks(range(len(cats)))
            ax.set_xticklabels(cats, rotation=30, ha="right")
    axes[0][0].set_ylabel(f"mean CV {label}")
    fig.tight_layout()
    return fig


def plot_parallel_coordinates(search, params=None, metric=None, ax=None):
    """Every candidate as a line across its parameters, coloured by its score.

    Each parameter gets a vertical axis scaled to [0, 1] (numbers by their range, on a
    log scale when they span more than two decades; categories by their order), and the
    score is the last axis.

    Parameters
    ----------
    search : fitted search or its ``cv_results_``
    params : str or list of str, default=None
        Parameters to show (default: all searched).
    metric : str, default=None
        With multimetric scoring, the metric to plot.
    ax : matplotlib Axes, default=None

    Returns
    -------
    ax : matplotlib Axes
        One line per candidate with a finite score (at full fidelity for Hyperband),
        the best drawn last.
    """
    plt = _plt()
    names, label, rows, scores = _candidates(search, params, metric, finite_only=True)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.6 * (len(names) + 1) + 1.5, 3.5))
    columns = []
    for name in names:
        xs, log, _ = _coordinates([p.get(name, _MISSING) for p in rows])
        if log:
            xs = np.log10(xs)
        lo, hi = np.nanmin(xs) if len(xs) else 0, np.nanmax(xs) if len(xs) else 1
        columns.append((xs - lo) / (hi - lo) if hi > lo else np.full(len(xs), 0.5))
    lo, hi = (scores.min(), scores.max()) if len(scores) else (0, 1)
    columns.append((scores - lo) / (hi - lo) if hi > lo else np.full(len(scores), 0.5))
    table = np.column_stack(columns) if rows else np.zeros((0, len(names) + 1))
    cmap = plt.get_cmap("viridis")
    norm = plt.Normalize(lo, hi)
    for i in np.argsort(scores, kind="stable"):
        ax.plot(range(len(names) + 1), table[i], color=cmap(norm(scores[i])), alpha=0.7)
    ax.set_xticks(range(len(names) + 1))
    ax.set_xticklabels([*names, label], rotation=20)
    ax.set_ylim(-0.05, 1.05)
    ax.set_ylabel("scaled value")
    ax.figure.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax,
                       label=f"mean CV {label}")
    return ax


def plot_rungs(search, metric=None, ax=None):
    """Hyperband's rungs: each candidate's score against the resource it was given.

    Parameters
    ----------
    search : fitted HyperbandSearchCV or its ``cv_results_``
        Or scikit-learn's ``HalvingRandomSearchCV`` / ``HalvingGridSearchCV`` (or their
        ``cv_results_``), drawn as a single bracket.
    metric : str, default=None
        With multimetric scoring, the metric to plot.
    ax : matplotlib Axes, default=None

    Returns
    -------
    ax : matplotlib Axes
        One line per candidate of each bracket (a point for those not promoted), the
        resource on a log scale, colours by bracket.
    """
    plt = _plt()
    results = _results(search)
    if "n_resources" not in results:
        raise ValueError("plot_rungs needs a HyperbandSearchCV or a successive-halving "
                         "search (cv_results_ has no 'n_resources').")
    key, label = _metric(results, metric)
    if ax is None:
        _, ax = plt.subplots()
    resources = np.asarray(results["n_resources"])
    # successive halving is one bracket
    brackets = np.asarray(results.get("bracket", np.zeros(len(resources), dtype=int)))
    scores = np.asarray(results[key], dtype=float)
    colours = plt.get_cmap("tab10")
    resource = getattr(search, "resource", None)
    if resource is None:  # cv_results_ alone: the parameter set to n_resources, if any
        names = set.intersection(*(set(p) for p in results["params"]))
        resource = next((k for k in sorted(names) if all(
            p[k] == r for p, r in zip(results["params"], resources))), "n_samples")
    for b in np.unique(brackets):
        rows = np.flatnonzero(brackets == b)
        paths: dict = {}
        for i in rows:
            p = {k: v for k, v in results["params"][i].items() if k != resource}
            paths.setdefault(repr(sorted(p.items(), key=lambda kv: kv[0])), []).append(i)
        for n, idx in enumerate(paths.values()):
            ax.plot(resources[idx], scores[idx], marker="o", ms=3, lw=1,
                    color=colours(int(b) % 10), alpha=0.7,
                    label=f"bracket {b}" if n == 0 else None)
    ax.set_xscale("log")
    ax.set_xlabel(f"resource ({resource})")
    ax.set_ylabel(f"mean CV {label}")
    ax.legend()
    return ax


def plot_partial_dependence(search, params, n_samples=256, grid_resolution=25,
                            random_state=0, ax=None):
    """Partial dependence of a BayesSearchCV surrogate on one or two parameters.

    The surrogate's predicted score (:meth:`BayesOptimizer.predict
    <skhpo.strategies.BayesOptimizer.predict>` of the search's ``optimizer_``, a model
    of every candidate's score, in units of the score), averaged over ``n_samples``
    random settings of the other parameters (drawn from their priors), is shown
    against the chosen parameters. The search is left as it is.

    Parameters
    ----------
    search : fitted BayesSearchCV
    params : str or list of one or two str
        The parameters.
    n_samples : int, default=256
        Random settings of the other parameters averaged over.
    grid_resolution : int, default=25
        Points per numeric parameter.
    random_state : int, default=0
        Seeds the random settings.
    ax : matplotlib Axes, default=None

    Returns
    -------
    ax : matplotlib Axes
        One parameter: a line (numbers) or bars (categories) with the candidates'
        scores as points. Two: filled contours (numbers) with the candidates as points.
    """
    plt = _plt()
    results = _results(search)
    optimizer = getattr(search, "optimizer_", None)
    if not isinstance(optimizer, BayesOptimizer):
        raise TypeError(
            f"plot_partial_dependence needs a fitted BayesSearchCV; got "
            f"{type(search).__name__}."
        )
    if isinstance(params, str):
        params = [params]
    params = list(params)
    if not 1 <= len(params) <= 2:
        raise ValueError(f"params must name one or two parameters, got {params}.")
    space = optimizer.space
    if len(space.subspaces) > 1:
        raise ValueError("plot_partial_dependence needs a space without sub-spaces (a "
                         "dict, not a list of dicts).")
    dims = dict(space.subspaces[0])
    unknown = [p for p in params if p not in dims]
    if unknown:
        raise ValueError(f"params {unknown} were not searched; the search has "
                         f"{list(dims)}.")
    if len(optimizer.scores_) < 2 or np.isfinite(optimizer.scores_).sum() < 2:
        raise ValueError("plot_partial_dependence needs at least two successful "
                         "candidates.")
    names = [name for name, _ in space.subspaces[0]]
    column = {name: j for j, name in enumerate(names)}

    rng = np.random.RandomState(random_state)
    base = space.sample(n_samples, rng)

    def grid(name):
        dim = dims[name]
        if getattr(dim, "n_values", np.inf) <= grid_resolution:
            u = dim.grid_unit()
        else:
            u = np.linspace(0.0, 1.0, grid_resolution)
        values = dim.from_unit(u)
        return u, values

    def partial_dependence(assignments):
        """The mean predicted score over ``base`` with each assignment's parameters
        set, all predicted in one call."""
        U = np.repeat(base[None], len(assignments), axis=0)
        for k, assign in enumerate(assignments):
            for name, u in assign.items():
                U[k, :, column[name]] = u
        scores = optimizer.predict_unit(U.reshape(-1, space.n_coords))
        return [float(np.mean(row)) for row in scores.reshape(len(assignments), -1)]

    if ax is None:
        _, ax = plt.subplots()
    observed = results["params"]
    scores = np.asarray(optimizer.scores_, dtype=float)
    if len(params) == 1:
        (name,) = params
        u, values = grid(name)
        pd = partial_dependence([{name: ui} for ui in u])
        xs, log, cats = _coordinates(values)
        obs = _coordinates(list(values) + [p[name] for p in observed])[0][len(values):]
        if cats is None:
            ax.plot(xs, pd, label="partial dependence")
            ax.scatter(obs, scores, s=12, color="k", alpha=0.6, label="candidates")
            if log:
                ax.set_xscale("log")
        else:
            ax.bar(xs, pd, alpha=0.6, label="partial dependence")
            ax.scatter(obs, scores, s=12, color="k", alpha=0.6, label="candidates")
            ax.set_xticks(range(len(cats)))
            ax.set_xticklabels(cats, rotation=30, ha="right")
        ax.set_xlabel(name)
        ax.set_ylabel("mean CV score")
        ax.legend()
        return ax
    a, b = params
    (ua, va), (ub, vb) = grid(a), grid(b)
    Z = np.reshape(partial_dependence([{a: ui, b: uj} for uj in ub for ui in ua]),
                   (len(ub), len(ua)))
    xa, loga, cata = _coordinates(va)
    xb, logb, catb = _coordinates(vb)
    contour = ax.contourf(xa, xb, Z, levels=12, cmap="viridis")
    ax.figure.colorbar(contour, ax=ax, label="mean CV score")
    oa = _coordinates(list(va) + [p[a] for p in observed])[0][len(va):]
    ob = _coordinates(list(vb) + [p[b] for p in observed])[0][len(vb):]
    ax.scatter(oa, ob, s=12, color="k", alpha=0.7)
    for set_scale, log, cats, set_ticks, set_labels in (
            (ax.set_xscale, loga, cata, ax.set_xticks, ax.set_xticklabels),
            (ax.set_yscale, logb, catb, ax.set_yticks, ax.set_yticklabels)):
        if log:
            set_scale("log")
        if cats is not None:
            set_ticks(range(len(cats)))
            set_labels(cats)
    ax.set_xlabel(a)
    ax.set_ylabel(b)
    return ax
