"""EvolutionSearchCV: a drop-in for RandomizedSearchCV that breeds each generation of
candidates from the best ones so far."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from ._run import SearchRun
from ._search import _AskTellSearchCV
from ._sklearn_compat import Interval
from .strategies import EvolutionOptimizer


class EvolutionSearchCV(_AskTellSearchCV):
    """Evolutionary search over hyperparameters, with cross-validation.

    A drop-in replacement for :class:`~sklearn.model_selection.RandomizedSearchCV`:
    the same constructor arguments, the same ``param_distributions`` (lists, frozen
    ``scipy.stats`` distributions, or :class:`~skhpo.space.Real`,
    :class:`~skhpo.space.Integer`, :class:`~skhpo.space.Categorical`; a list of dicts
    for conditional sub-spaces), the same fitted attributes, and ``n_iter`` still counts
    the candidates evaluated. The first generation is a space-filling design of
    ``population_size`` candidates; each next generation of ``population_size``
    candidates is bred from the best candidates so far by tournament selection,
    recombination and mutation whose step size adapts to how often offspring improve on
    their parents (see :class:`~skhpo.strategies.EvolutionOptimizer` for the algorithm).
    No candidate is evaluated twice.

    Everything else is scikit-learn's own ``BaseSearchCV``:
    scoring and multimetric scoring, ``refit``, ``cv_results_``, ``error_score``,
    metadata routing, and joblib parallelism over candidates x folds.

    Parameters
    ----------
    estimator : estimator object
        The object to tune; it must provide ``fit`` and a ``score`` method or be
        paired with ``scoring``.
    param_distributions : dict or list of dicts
        Parameter names (``step__param`` inside pipelines) mapped to lists of choices,
        frozen ``scipy.stats`` distributions or skhpo dimensions. Each distribution is
        the prior of its parameter: the initial design follows it, and mutations move
        along its quantile scale (so a ``loguniform`` parameter mutates on a log scale).
        A list of dicts declares sub-spaces searched jointly, for example a different
        estimator per pipeline step with its own parameters.
    n_iter : int, default=50
        Number of candidates evaluated, across all generations (fewer when ``patience``
        stops the search). A finite space smaller than ``n_iter`` is evaluated exactly
        once per point.
    population_size : int, default=10
        Candidates per generation, including the initial design: ``patience``, the
        ``generation`` column and the step-size adaptation count generations of
        ``population_size`` candidates.
    crossover_rate : float, default=0.5
        Probability that an offspring recombines its two parents (when they differ and
        share a sub-space) rather than starting as a copy of one; every offspring is
        then mutated.
    mutation_rate : float or None, default=None
        Probability that each categorical parameter (and the choice of sub-space) of a
        candidate is redrawn; ``None`` means one over the number of parameters (plus
        one, for the choice of sub-space, with a list of dicts).
    patience : int or None, default=None
        Stop when the best score has not improved for ``patience`` consecutive
        generations; ``cv_results_`` then has fewer than ``n_iter`` rows and
        ``stopped_early_`` is true. ``None`` always evaluates ``n_iter`` candidates.
    n_points : int or None, default=None
        How candidates are handed to the workers. ``None``: keep every worker busy.
        With several workers (``n_jobs``, or those of the active joblib backend, such as
        a dask cluster's), the evolution is steady-state: each offspring is bred from
        the best candidates whose scores are in, as soon as a worker is free to fit it;
        with one worker, one generation per parallel call. An int: ``n_points``
        candidates per parallel call, whatever the workers (``n_points=population_size``
        evaluates generation by generation).
    random_state : int, RandomState instance or None, default=None
        Seeds the design and the variation. The same value gives the same candidates
        and results with one worker, or with an int ``n_points``, whatever ``n_jobs``
        or the joblib backend. With ``n_points=None`` and several workers, what is bred
        depends on the order in which fits finish, so runs may differ; set ``n_points``
        for runs that do not depend on the machine.
    scoring : str, callable, list, tuple or dict, default=None
        As in ``RandomizedSearchCV``. With several metrics, the search maximises the
        one named by ``refit`` (the first one listed when ``refit`` is a callable or
        False).
    n_jobs : int, default=None
        Number of jobs to run in parallel over candidates x folds.
    refit : bool, str, or callable, default=True
        As in ``RandomizedSearchCV``.
    cv : int, cross-validation generator or an iterable, default=None
        As in ``RandomizedSearchCV`` (5-fold by default).
    verbose : int, default=0
        ``>= 1`` prints one line per generation with the best score so far (one per
        candidate, with its score, when asynchronous), and one when ``patience`` stops
        the search, plus scikit-learn's own messages.
    pre_dispatch : int or str, default="2*n_jobs"
        As in ``RandomizedSearchCV``. An asynchronous search (``n_points=None``, several
        workers) hands out a task per worker plus one candidate's instead.
    error_score : "raise" or numeric, default=np.nan
        Score of a fit that fails (in ``cv_results_``); not ``np.inf``, which would rank
        every failed candidate first. A failing candidate does not stop the search; it
        never becomes a parent, nor the best (``best_*``) while some candidate had no
        failed fit, whatever ``error_score`` and its rank in ``cv_results_``. The search
        warns once, at its end, of every failed fit, and raises only if every fit
        failed.
    return_train_score : bool, default=False
        As in ``RandomizedSearchCV``.
    checkpoint : str, path-like or None, default=None
        A file that records each candidate as soon as it and the candidates before it
        in its batch are done (a JSON-lines journal, flushed at once and fsync-ed with
        each completed batch). Calling ``fit`` again with the same file after
        an interruption replays what it holds without refitting, then continues: the
        search ends with the same candidates, ``cv_results_`` and ``best_params_`` as an
        uninterrupted one (asynchronously, with ``n_points=None`` and several workers:
        with every candidate the file holds, the others proposed anew). A checkpoint
        written by a different search (estimator, space, scoring, settings, CV splits
        or data) is refused with an error that says what differs. ``None``: no
        checkpoint.

    Attributes
    ----------
    cv_results_ : dict of numpy (masked) ndarrays
        As in ``RandomizedSearchCV``, plus ``generation``: the generation in which each
        candidate was bred (0 for the initial design), and ``iter``, the same number
        under the name every skhpo search uses.
    best_estimator_, best_score_, best_params_, best_index_, scorer_, n_splits_, \
refit_time_, multimetric_, classes_, n_features_in_, feature_names_in_
        As in ``RandomizedSearchCV``.
    n_generations_ : int
        Number of generations evaluated.
    stopped_early_ : bool
        Whether ``patience`` stopped the search before ``n_iter`` candidates.
    optimizer_ : EvolutionOptimizer
        The ask/tell optimiser after the search, with its step size (``sigma_``).
    partial_results_ : dict
        {partial_results_}

    See Also
    --------
    sklearn.model_selection.RandomizedSearchCV : Random search over the same spaces.
    skhpo.BayesSearchCV : Chooses each candidate with a Gaussian-process model.
    skhpo.strategies.EvolutionOptimizer : The ask/tell optimiser behind this search.

    Notes
    -----
    Breeding a generation runs in the main process between parallel generations, and
    takes a few milliseconds: a median of 3.3 to 3.5 ms for 10 offspring of a
    six-dimensional space after 50 to 500 evaluations (``python -m
    benchmarks.main_process``). With small budgets (a few tens of candidates) keep
    ``population_size`` near 10, so that several generations refine the best candidates.

    Examples
    --------
    >>> from scipy.stats import loguniform
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from skhpo import EvolutionSearchCV
    >>> X, y = load_iris(return_X_y=True)
    >>> search = EvolutionSearchCV(SVC(), {"C": loguniform(1e-2, 1e2),
    ...                                   "gamma": loguniform(1e-3, 1e1)},
    ...                            n_iter=12, population_size=4, random_state=0).fit(X, y)
    >>> sorted(search.best_params_)
    ['C', 'gamma']
    >>> search.n_generations_, len(search.cv_results_["params"])
    (3, 12)
    """

    _parameter_constraints: dict = {
        **_AskTellSearchCV._parameter_constraints,
        "population_size": [Interval(Integral, 2, None, closed="left")],
        "crossover_rate": [Interval(Real, 0, 1, closed="both")],
        "mutation_rate": [Interval(Real, 0, 1, closed="both"), None],
        "patience": [Interval(Integral, 1, None, closed="left"), None],
        "n_points": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        estimator,
        param_distributions,
        *,
        n_iter=50,
        population_size=10,
        crossover_rate=0.5,
        mutation_rate=None,
        patience=None,
        n_points=None,
        random_state=None,
        scoring=None,
        n_jobs=None,
        refit=True,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        error_score=np.nan,
        return_train_score=False,
        checkpoint=None,
    ):
        self.param_distributions = param_distributions
        self.n_iter = n_iter
        self.population_size = population_size
        self.crossover_rate = crossover_rate
        self.mutation_rate = mutation_rate
        self.patience = patience
        self.n_points = n_points
        self.random_state = random_state
        self.checkpoint = checkpoint
        super().__init__(
            estimator=estimator,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            error_score=error_score,
            return_train_score=return_train_score,
        )

    _batch_label = "generation"

    def _run_search(self, evaluate_candidates, *, callback_ctx=None):
        """Steady-state as workers free up, or ``n_points`` (one generation, with one
        worker) candidates per parallel call."""
        run = SearchRun.of(self)
        self.optimizer_ = EvolutionOptimizer(
            run.space,
            population_size=self.population_size,
            crossover_rate=self.crossover_rate,
            mutation_rate=self.mutation_rate,
            patience=self.patience,
            random_state=run.seed,
        )
        n_done, n_total = self._search(evaluate_candidates, self.optimizer_,
                                       batch_size=self.n_points,
                                       one_worker_batch=self.population_size,
                                       callback_ctx=callback_ctx)
        self.n_generations_ = self.optimizer_.n_generations_
        self.stopped_early_ = bool(self.optimizer_.stopped_ and n_done < n_total)
        if self.stopped_early_:
            self._say(
                f"stopped early after generation {self.n_generations_ - 1}: the best "
                f"score has not improved for {self.patience} generations "
                f"({n_done}/{n_total} evaluated)"
            )
