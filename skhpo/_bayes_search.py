"""BayesSearchCV: a drop-in for RandomizedSearchCV that chooses each candidate with a
Gaussian-process surrogate."""

from __future__ import annotations

from numbers import Integral

import numpy as np

from ._acquisition import ACQUISITIONS
from ._run import SearchRun
from ._search import _AskTellSearchCV
from ._sklearn_compat import Interval, StrOptions
from .strategies import BayesOptimizer


class BayesSearchCV(_AskTellSearchCV):
    """Bayesian optimisation over hyperparameters, with cross-validation.

    A drop-in replacement for :class:`~sklearn.model_selection.RandomizedSearchCV`:
    the same constructor arguments, the same ``param_distributions`` (lists, frozen
    ``scipy.stats`` distributions, or :class:`~skhpo.space.Real`,
    :class:`~skhpo.space.Integer`, :class:`~skhpo.space.Categorical`; a list of dicts
    for conditional sub-spaces), the same fitted attributes. Instead of sampling
    ``n_iter`` candidates blindly, it evaluates a space-filling design of
    ``n_initial_points`` candidates and then proposes each next candidate where a
    Gaussian-process model of the cross-validated score is most promising (by default,
    where its optimistic bound is highest; see :class:`~skhpo.strategies.BayesOptimizer` for the algorithm).

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
        the prior of its parameter: the initial design follows it, and the surrogate
        sees the parameter through its quantile function (so a ``loguniform`` parameter
        is modelled on a log scale). A list of dicts declares sub-spaces searched
        jointly, for example a different estimator per pipeline step with its own
        parameters.
    n_iter : int, default=50
        Number of candidates evaluated. A finite space smaller than ``n_iter`` is
        evaluated exactly once per point.
    n_initial_points : int, default=10
        Candidates from the space-filling (scrambled Sobol') design before the
        surrogate takes over.
    acquisition : {"lcb", "ei", "pi"}, default="lcb"
        What the surrogate maximises: the optimistic bound ``mean + 1.96 std`` of the
        score, expected improvement (computed in log space), or probability of
        improvement. After the initial design, every fourth candidate is drawn from the
        prior instead, a safety net against a confidently wrong surrogate.
    n_points : int or None, default=None
        How candidates are handed to the workers. ``None``: keep every worker busy.
        With several workers (``n_jobs``, or those of the active joblib backend, such as
        a dask cluster's), each candidate is proposed as soon as a worker is free to fit
        it, knowing every score already in and counting the candidates still being
        fitted as pending (the surrogate believes its own prediction for them: the
        kriging believer of Ginsbourger, Le Riche & Carraro, 2010); with one worker,
        one candidate at a time. An int: batches of ``n_points`` candidates, chosen
        together with the kriging believer, each evaluated in one parallel call.
    random_state : int, RandomState instance or None, default=None
        Seeds the design and the proposals. The same value gives the same candidates
        and results with one worker, or with an int ``n_points``, whatever ``n_jobs``
        or the joblib backend. With ``n_points=None`` and several workers, what is
        proposed depends on the order in which fits finish, so runs may differ; set
        ``n_points`` for runs that do not depend on the machine.
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
        ``>= 1`` prints one line per iteration with the best score so far (one per
        candidate, with its score, when asynchronous), plus scikit-learn's own
        messages.
    pre_dispatch : int or str, default="2*n_jobs"
        As in ``RandomizedSearchCV``. An asynchronous search (``n_points=None``, several
        workers) hands out a task per worker plus one candidate's instead.
    error_score : "raise" or numeric, default=np.nan
        Score of a fit that fails (in ``cv_results_``); not ``np.inf``, which would rank
        every failed candidate first. A failing candidate does not stop the search; the
        surrogate sees it as a failure, whatever ``error_score``, and steers away from
        it, and it is never the best (``best_*``) while some candidate had no failed
        fit, even where its ``error_score`` ranks it first in ``cv_results_``. The
        search warns once, at its end, of every failed fit, and raises only if every fit
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
        As in ``RandomizedSearchCV``, plus ``iter``: the iteration (batch) in which
        each candidate was proposed.
    best_estimator_, best_score_, best_params_, best_index_, scorer_, n_splits_, \
refit_time_, multimetric_, classes_, n_features_in_, feature_names_in_
        As in ``RandomizedSearchCV``.
    optimizer_ : BayesOptimizer
        The ask/tell optimiser after the search, with its surrogate (``gp_``).
    partial_results_ : dict
        {partial_results_}

    See Also
    --------
    sklearn.model_selection.RandomizedSearchCV : Random search over the same spaces.
    skhpo.strategies.BayesOptimizer : The ask/tell optimiser behind this search.

    Notes
    -----
    The surrogate is cheap next to most fits: on average 0.02 s per candidate after 50
    evaluated candidates, 0.06 s after 200 and 0.25 s after 500, on a six-dimensional
    space (``python -m benchmarks.run --suite overhead``; ``benchmarks/README.md``). It
    runs in the main process between parallel batches.

    Examples
    --------
    >>> from scipy.stats import loguniform
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from skhpo import BayesSearchCV
    >>> X, y = load_iris(return_X_y=True)
    >>> search = BayesSearchCV(SVC(), {"C": loguniform(1e-2, 1e2),
    ...                               "gamma": loguniform(1e-3, 1e1)},
    ...                        n_iter=12, random_state=0).fit(X, y)
    >>> sorted(search.best_params_)
    ['C', 'gamma']
    >>> len(search.cv_results_["params"])
    12
    """

    _parameter_constraints: dict = {
        **_AskTellSearchCV._parameter_constraints,
        "n_initial_points": [Interval(Integral, 1, None, closed="left")],
        "acquisition": [StrOptions(set(ACQUISITIONS))],
        "n_points": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        estimator,
        param_distributions,
        *,
        n_iter=50,
        n_initial_points=10,
        acquisition="lcb",
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
        self.n_initial_points = n_initial_points
        self.acquisition = acquisition
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

    def _run_search(self, evaluate_candidates, *, callback_ctx=None):
        """Design, then surrogate-guided candidates: as workers free up, or in
        batches of ``n_points``."""
        run = SearchRun.of(self)
        self.optimizer_ = BayesOptimizer(
            run.space,
            n_initial_points=self.n_initial_points,
            acquisition=self.acquisition,
            random_state=run.seed,
        )
        self._search(evaluate_candidates, self.optimizer_, batch_size=self.n_points,
                     one_worker_batch=1, callback_ctx=callback_ctx)
