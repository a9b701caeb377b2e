"""HyperbandSearchCV: multi-fidelity search with k-fold cross-validation, on any
estimator."""

from __future__ import annotations

import warnings
from functools import partial
from numbers import Integral, Real

import numpy as np
from sklearn.base import is_classifier
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state

from ._run import SearchRun, failures_note
from ._search import _row_failed, _SkhpoSearchCV, searched_step
from ._sklearn_compat import (
    BaseSearchCV,
    Interval,
    StrOptions,
    check_param_value,
    num_samples,
)
from .strategies import HyperbandOptimizer, hyperband_brackets
from .strategies._hyperband import SAMPLERS


def _one_column_as_1d(y: np.ndarray) -> np.ndarray:
    """A ``(n, 1)`` target as the 1-D one scikit-learn's classifiers take it for."""
    return y[:, 0] if y.ndim == 2 and y.shape[1] == 1 else y


class _SubsampledSplitter:
    """The folds of ``base_cv`` with each training fold, and with ``subsample_test``
    each test fold, cut to ``fraction`` of it, but never below 2 samples (so that a
    per-fold score such as R^2 is defined).

    A fold keeps a prefix of one fixed random order of its samples (seeded by ``seed``,
    the fold's index and whether it is the training or the test side), so that a larger
    fraction keeps every sample of a smaller one. With ``stratify``, the order
    interleaves the classes so that every prefix keeps the class proportions. Without
    ``subsample_test``, test folds are kept whole: every rung is scored on the same
    samples.
    """

    def __init__(self, base_cv, fraction: float, seed: int, stratify: bool,
                 subsample_test: bool = True):
        self.base_cv = base_cv
        self.fraction = fraction
        self.seed = seed
        self.stratify = stratify
        self.subsample_test = subsample_test

    def get_n_splits(self, X=None, y=None, groups=None, **kwargs):
        return self.base_cv.get_n_splits(X, y, groups, **kwargs)

    def split(self, X, y=None, **kwargs):
        for k, (train, test) in enumerate(self.base_cv.split(X, y, **kwargs)):
            train = self._prefix(train, y, (self.seed, k))
            if self.subsample_test:
                test = self._prefix(test, y, (self.seed, k, 1))
            yield train, test

    def _prefix(self, fold, y, stream):
        fold = np.asarray(fold)
        if fold.dtype == bool:
            fold = np.flatnonzero(fold)
        # at least 2 samples (as a fold has), so that a per-fold score such as R^2 is
        # defined
        m = max(min(2, len(fold)), int(self.fraction * len(fold)))
        return fold[np.sort(self._order(fold, y, stream)[:m])]

    def _order(self, fold, y, stream):
        rng = np.random.default_rng(list(stream))
        u = rng.uniform(size=len(fold))
        y = None if y is None else _one_column_as_1d(np.asarray(y))
        if not self.stratify or y is None or y.ndim != 1:
            return np.argsort(u, kind="stable")
        # position of each sample among its class, scaled to [0, 1): a prefix of the
        # order by this key holds each class in proportion
        _, labels = np.unique(np.asarray(y)[fold], return_inverse=True)
        key = np.empty(len(fold))
        for c in np.unique(labels):
            members = np.flatnonzero(labels == c)
            rank = np.argsort(np.argsort(u[members], kind="stable"), kind="stable")
            key[members] = (rank + u[members]) / len(members)
        return np.argsort(key, kind="stable")


class HyperbandSearchCV(_SkhpoSearchCV):
    """Hyperband over hyperparameters: many cheap evaluations, few expensive ones.

    Hyperband (Li et al., 2018) runs *brackets* of successive halving. A bracket
    evaluates many candidates with a small *resource* (a fraction of the training
    samples, or a few boosting iterations, trees, epochs...), keeps the best ``1 / eta``,
    gives them ``eta`` times the resource, and so on until the survivors are evaluated
    with ``max_resources``. Brackets differ in how many candidates they start with and
    how small their first resource is, which hedges against low-fidelity scores that
    mislead. Every rung is one parallel call over candidates x folds, with ordinary
    k-fold cross-validation: any estimator works, no ``partial_fit`` needed.

    Only candidates evaluated with ``max_resources`` compete for ``best_params_`` (unless
    every one of them failed: see ``cv_results_`` below).

    Parameters
    ----------
    estimator : estimator object
        The object to tune; it must provide ``fit`` and a ``score`` method or be
        paired with ``scoring``.
    param_distributions : dict or list of dicts
        What to search, as in :class:`~skhpo.BayesSearchCV`. It must not contain the
        resource parameter.
    resource : str, default="n_samples"
        What a rung gives more of. ``"n_samples"``: each cross-validation split uses
        ``n_resources / n_samples`` of its samples, as in scikit-learn's
        successive-halving searches: the training fold, and the test fold unless
        ``subsample_test=False``, are sub-sampled (for a classifier the sub-sample keeps
        the class proportions, a smaller sub-sample is always part of a larger one, and
        a fold keeps at least 2 samples; the splits themselves never change).
        Otherwise the name of an integer parameter of the estimator, such as
        ``"max_iter"``, ``"n_estimators"`` or, in a pipeline, ``"clf__max_iter"``, set
        to ``n_resources`` for each fit. When the step holding it is searched
        (``{"clf": [...]}``), every estimator choice must have it. Where the estimator
        declares the values a parameter accepts (scikit-learn's estimators do), it
        must accept ``min_resources_`` and ``max_resources_``, which is checked
        before any fit.
    eta : float, default=3
        Ratio between rungs, ``> 1``: each rung keeps the best ``1 / eta`` of its
        candidates and gives them ``eta`` times the resource.
    min_resources : int or "auto", default="auto"
        Smallest resource a candidate gets. ``"auto"``: for ``"n_samples"``,
        ``2 * n_splits`` times the number of classes for a classifier (of labels, for
        a 2-D ``y``; ``2 * n_splits`` otherwise), as scikit-learn's successive-halving
        searches do; for a parameter, 1.
    max_resources : int or "auto", default="auto"
        Resource of the last rung of every bracket. ``"auto"``: for ``"n_samples"``, the
        number of samples; for a parameter, the estimator's own value of it (100 for
        ``HistGradientBoostingClassifier(max_iter=100)``).
    subsample_test : bool, default=True
        With ``resource="n_samples"``, whether the test folds are sub-sampled like the
        training folds. ``True`` keeps the cost of a low rung in proportion to its
        resource for models slow to predict (kernel methods, nearest neighbours), whose
        scoring on whole test folds can cost more than their fits. ``False`` scores every
        rung on the whole test folds: less noisy rankings for more scoring time, and
        scores defined where a small test fold would lack a rare class (``roc_auc``, for
        one; a rung whose every score is ``nan`` promotes no one, with a warning). Rungs
        at ``max_resources_ = n_samples`` use the whole folds either way.
    n_brackets : int or None, default=None
        Brackets to run. ``None`` runs each of the ``s_max + 1`` brackets once, where
        ``s_max = floor(log_eta(max_resources / min_resources))``: one Hyperband
        iteration. A larger value cycles through the brackets again, most exploratory
        first (a budget knob, like ``n_iter``); a smaller one runs only the most
        exploratory.
    sampler : {"random", "bayes"}, default="random"
        How each bracket's candidates are drawn. ``"random"`` samples the prior, as
        ``RandomizedSearchCV`` does. ``"bayes"`` fits a Gaussian-process model (see
        :class:`~skhpo.strategies.BayesOptimizer`) to the scores at every resource so
        far, with the resource as one of its inputs, and proposes the bracket's
        candidates for ``max_resources`` from it, a quarter of them from the prior
        (model-based Hyperband in the spirit of BOHB, Falkner et al., 2018). The first
        bracket is always random.
    random_state : int, RandomState instance or None, default=None
        Seeds the candidates and the sub-samples. The same value gives the same
        candidates and results whatever ``n_jobs`` or the joblib backend.
    scoring : str, callable, list, tuple or dict, default=None
        As in ``RandomizedSearchCV``. With several metrics, rungs are decided by the
        one named by ``refit`` (the first one listed when ``refit`` is a callable or
        False).
    n_jobs : int, default=None
        Number of jobs to run in parallel over candidates x folds of a rung.
    refit : bool, str, or callable, default=True
        As in ``RandomizedSearchCV``. A callable receives the whole ``cv_results_``,
        low-resource rows included (filter on ``n_resources`` to compare like with
        like).
    cv : int, cross-validation generator or an iterable, default=None
        As in ``RandomizedSearchCV`` (5-fold by default). Rungs must see the same
        folds, so a splitter that shuffles without an integer ``random_state`` is
        refused.
    verbose : int, default=0
        ``>= 1`` prints one line per rung with the best score so far at
        ``max_resources``, plus scikit-learn's own messages.
    pre_dispatch : int or str, default="2*n_jobs"
        As in ``RandomizedSearchCV``.
    error_score : "raise" or numeric, default=np.nan
        Score of a fit that fails (in ``cv_results_``); not ``np.inf``. A candidate with
        a failed fit is never promoted, nor the best while some candidate had no failed
        fit, and the bayes sampler's model sees it as a failure, whatever
        ``error_score``. The search warns once, at its end, of every failed fit, and
        raises only if every fit failed.
    return_train_score : bool, default=False
        As in ``RandomizedSearchCV``.
    checkpoint : str, path-like or None, default=None
        A file that records each candidate as soon as it and the candidates before it
        in its batch are done (a JSON-lines journal, flushed at once and fsync-ed with
        each completed batch). Calling ``fit`` again with the same file after
        an interruption replays what it holds without refitting, then continues: the
        search ends with the same candidates, ``cv_results_`` and ``best_params_`` as an
        uninterrupted one. A checkpoint written by a different search (estimator,
        space, scoring, settings, CV splits or data) is refused with an error that says
        what differs. ``None``: no checkpoint.

    Attributes
    ----------
    cv_results_ : dict of numpy (masked) ndarrays
        As in ``RandomizedSearchCV``, one row per candidate per rung, plus ``bracket``
        (in the order run), ``iter`` (the rung within its bracket) and ``n_resources``.
        ``rank_test_*`` ranks all rows; ``best_index_`` is the best row at
        ``max_resources_`` (at the largest resource with a successful fit, should every
        candidate that reached ``max_resources_`` have failed).
    best_estimator_, best_score_, best_params_, best_index_, scorer_, n_splits_, \
refit_time_, multimetric_, classes_, n_features_in_, feature_names_in_
        As in ``RandomizedSearchCV``; ``best_*`` come from candidates evaluated with
        ``max_resources_`` (see ``cv_results_``). With a parameter as resource,
        ``best_params_`` includes it.
    min_resources_, max_resources_ : int
        The resources used, ``"auto"`` resolved.
    brackets_ : list of Bracket
        One Hyperband iteration's schedule (see
        :func:`~skhpo.strategies.hyperband_brackets`).
    n_brackets_ : int
        Brackets run.
    optimizer_ : HyperbandOptimizer
        The ask/tell scheduler after the search.
    partial_results_ : dict
        {partial_results_}

    See Also
    --------
    sklearn.model_selection.HalvingRandomSearchCV : One bracket of successive halving.
    skhpo.strategies.hyperband_brackets : The bracket arithmetic.
    skhpo.strategies.HyperbandOptimizer : The ask/tell scheduler behind this search.

    References
    ----------
    .. [1] L. Li, K. Jamieson, G. DeSalvo, A. Rostamizadeh and A. Talwalkar.
       "Hyperband: A Novel Bandit-Based Approach to Hyperparameter Optimization."
       JMLR 18(185), 2018.
    .. [2] S. Falkner, A. Klein and F. Hutter. "BOHB: Robust and Efficient
       Hyperparameter Optimization at Scale." ICML 2018.

    Examples
    --------
    >>> from scipy.stats import loguniform, randint
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import HistGradientBoostingClassifier
    >>> from skhpo import HyperbandSearchCV
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> search = HyperbandSearchCV(
    ...     HistGradientBoostingClassifier(max_iter=27),
    ...     {"learning_rate": loguniform(1e-2, 1), "max_leaf_nodes": randint(4, 64)},
    ...     resource="max_iter", min_resources=3, random_state=0,
    ... ).fit(X, y)
    >>> [(b.s, b.n_candidates, b.n_resources) for b in search.brackets_]
    [(2, (9, 3, 1), (3, 9, 27)), (1, (5, 1), (9, 27)), (0, (3,), (27,))]
    >>> search.best_params_["max_iter"]
    27
    """

    _parameter_constraints: dict = {
        **_SkhpoSearchCV._parameter_constraints,
        "resource": [str],
        "eta": [Interval(Real, 1, None, closed="neither")],
        "min_resources": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "max_resources": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "subsample_test": ["boolean"],
        "n_brackets": [Interval(Integral, 1, None, closed="left"), None],
        "sampler": [StrOptions(set(SAMPLERS))],
    }

    def __init__(
        self,
        estimator,
        param_distributions,
        *,
        resource="n_samples",
        eta=3,
        min_resources="auto",
        max_resources="auto",
        subsample_test=True,
        n_brackets=None,
        sampler="random",
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
        self.resource = resource
        self.eta = eta
        self.min_resources = min_resources
        self.max_resources = max_resources
        self.subsample_test = subsample_test
        self.n_brackets = n_brackets
        self.sampler = sampler
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

    # -- checks, before any fit ----------------------------------------------------------


    def _check_resource_param(self, space, estimator_params):
        """Refuse a resource parameter that some candidate's estimator lacks, or whose
        value is not an int, and one that is searched. Returns ``(owner, holder,
        param)`` for every estimator that will hold it: ``holder.param``."""
        name, resource = type(self).__name__, self.resource
        holders = []
        if resource in space.names:
            raise ValueError(
                f"resource={resource!r} is also in param_distributions; {name} sets it "
                "for each rung, so it cannot be searched."
            )
        for s, dims in enumerate(space.subspaces):
            # the estimators a candidate of this sub-space may hold the resource in: the
            # choices of a searched step, or the estimator itself
            choices, key = searched_step(resource, dims)
            owners = ([(type(self.estimator).__name__, self.estimator, estimator_params)]
                      if choices is None else
                      [(repr(c), c, c.get_params(deep=True) if hasattr(c, "get_params")
                        else {}) for c in choices])
            for owner, obj, owner_params in owners:
                if key not in owner_params:
                    where = f" (sub-space {s})" if len(space.subspaces) > 1 else ""
                    raise ValueError(
                        f"resource={resource!r} is neither 'n_samples' nor a parameter of "
                        f"{owner}{where}. Valid parameters are: {sorted(owner_params)}."
                    )
                value = owner_params[key]
                if value is not None and (isinstance(value, bool)
                                          or not isinstance(value, Integral)):
                    raise ValueError(
                        f"resource={resource!r} must name an integer parameter; {owner} "
                        f"has {key}={value!r}."
                    )
                step, _, param = key.rpartition("__")
                holders.append((owner, owner_params[step] if step else obj, param))
        return holders

    def _check_before_fit(self, space, X, y, params):
        estimator_params = self.estimator.get_params(deep=True)
        holders = ([] if self.resource == "n_samples"
                   else self._check_resource_param(space, estimator_params))

        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        if not self._constant_splits(X, y, params,
                                     "compares the rungs of a bracket on the same folds"):
            # as scikit-learn's searches say it, but before any fit and before an
            # "auto" min_resources of 2 * 0 splits could say something else
            raise ValueError(
                "No fits were performed. Was the CV iterator empty? "
                f"cv={self.cv!r} gives no splits."
            )

        n_samples = num_samples(X)
        max_resources = self.max_resources
        if max_resources == "auto":
            if self.resource == "n_samples":
                max_resources = n_samples
            else:
                value = estimator_params.get(self.resource)
                if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
                    raise ValueError(
                        f"max_resources='auto' takes the estimator's own "
                        f"{self.resource}={value!r}, which is not a positive int; pass "
                        "max_resources explicitly."
                    )
                max_resources = int(value)
        if self.resource == "n_samples" and max_resources > n_samples:
            raise ValueError(
                f"max_resources={max_resources} is greater than the number of samples "
                f"({n_samples}) with resource='n_samples'."
            )

        min_resources = self.min_resources
        if min_resources == "auto":
            if self.resource == "n_samples":
                n_splits = cv.get_n_splits(X, y, **self._split_params(params))
                min_resources = 2 * n_splits
                if is_classifier(self.estimator) and y is not None:
                    y_array = _one_column_as_1d(np.asarray(y))
                    # classes; with a 2-D (multilabel or multi-output) y, its columns
                    min_resources *= (y_array.shape[1] if y_array.ndim == 2
                                      else len(np.unique(y_array)))
                min_resources = min(min_resources, max_resources)
            else:
                min_resources = 1
        if min_resources > max_resources:
            raise ValueError(
                f"min_resources={min_resources} is greater than "
                f"max_resources={max_resources}."
            )
        self.min_resources_ = int(min_resources)
        self.max_resources_ = int(max_resources)
        # the parameter must take every resource from the smallest to the largest (a
        # parameter meant for something else, class_weight say, fails here, not in fit)
        for owner, holder, param in holders:
            for value in dict.fromkeys((self.min_resources_, self.max_resources_)):
                try:
                    check_param_value(holder, param, value)
                except ValueError as exc:
                    raise ValueError(
                        f"resource={self.resource!r} cannot be set to {value} in "
                        f"{owner}: {exc}"
                    ) from None
        self.brackets_ = hyperband_brackets(self.min_resources_, self.max_resources_,
                                            self.eta)
        if len(self.brackets_) == 1:
            warnings.warn(
                f"With min_resources_={self.min_resources_}, max_resources_="
                f"{self.max_resources_} and eta={self.eta!r}, no rung is below "
                "max_resources_ (that needs max_resources_ >= eta * min_resources_, and "
                "an eta far enough from 1 that max_resources_ / eta rounds to a smaller "
                "integer): every bracket is a single candidate evaluated with "
                "max_resources_.",
                UserWarning,
            )
        largest = max(b.n_candidates[0] for b in self.brackets_)
        if space.size < largest:
            warnings.warn(
                f"The total space of parameters {space.size} is smaller than the "
                f"{largest} candidates the largest bracket starts; each bracket starts "
                "at most all of them.",
                UserWarning,
            )
        return cv

    def _select_best_index(self, refit, refit_metric, results):
        """The best candidate among those evaluated with the largest resource, never
        one whose fit failed (a callable ``refit`` chooses among all rows, as in
        scikit-learn)."""
        if callable(refit):
            return BaseSearchCV._select_best_index(refit, refit_metric, results)
        resources = np.asarray(results["n_resources"])
        scores = np.asarray(results[f"mean_test_{refit_metric}"], dtype=float)
        ok = np.isfinite(scores)
        failed = _row_failed(self)
        if len(failed) == len(scores):
            ok &= ~failed
        if not ok.any():
            return np.flatnonzero(resources == resources.max())[0]
        # the largest resource at which some candidate was scored: max_resources unless
        # every candidate that reached it failed
        top = np.flatnonzero((resources == resources[ok].max()) & ok)
        return top[np.argmax(scores[top])]

    # -- the search ----------------------------------------------------------------------


    _batch_label = "rung"

    def _run_search(self, evaluate_candidates, *, callback_ctx=None):
        """One parallel call per rung, bracket after bracket."""
        run = SearchRun.of(self)
        rng = check_random_state(run.seed)
        self.optimizer_ = HyperbandOptimizer(
            run.space,
            min_resources=self.min_resources_,
            max_resources=self.max_resources_,
            eta=self.eta,
            n_brackets=self.n_brackets,
            sampler=self.sampler,
            random_state=rng,
        )
        subsample_seed = int(rng.randint(np.iinfo(np.int32).max))
        run.search_loop(evaluate_candidates, self.optimizer_, callback_ctx=callback_ctx,
                        prepare=partial(self._rung, run=run, seed=subsample_seed))
        self.n_brackets_ = self.optimizer_.n_brackets_

    def _rung(self, rung, *, run, seed):
        """The parameters and splitter of a rung: its candidates with the resource set,
        or, for ``n_samples``, a splitter that sub-samples the folds (``None`` with every
        sample: scikit-learn's own)."""
        r = rung.n_resources
        if self.resource != "n_samples":
            return [{**p, self.resource: r} for p in rung], None
        if r < run.n_samples:
            return list(rung), _SubsampledSplitter(run.cv, r / run.n_samples, seed,
                                                   is_classifier(self.estimator),
                                                   self.subsample_test)
        return list(rung), None

    def _report_batch(self, strategy, rung, i, *, scores, failed, key, done,
                      n_total) -> None:
        """After a rung: a warning if it can promote nothing, and the verbose line."""
        r = rung.n_resources
        if (rung.rung < rung.s and not failed.all()
                and np.isnan(scores[~failed]).all()):
            warnings.warn(
                f"Every candidate of bracket {rung.bracket}, rung {rung.rung} "
                f"({self.resource}={r}) scored nan though not every fit failed, "
                "so the bracket ends there. The scoring may be undefined on so "
                "few samples (roc_auc or log_loss with a rare class, say)"
                + (": try subsample_test=False or a larger min_resources."
                   if self.resource == "n_samples" and self.subsample_test
                   else "."),
                UserWarning,
            )
        full = (np.isfinite(strategy.scores_)
                & (strategy.resources_ == self.max_resources_))
        best = strategy.scores_[full].max() if full.any() else np.nan
        self._say(
            f"bracket {rung.bracket} (s={rung.s}) rung {rung.rung}: {len(rung)} "
            f"candidates{failures_note(failed)} with {self.resource}={r}, best "
            f"{key[len('mean_test_'):]} at {self.resource}={self.max_resources_} "
            f"so far {'none yet' if np.isnan(best) else format(best, '.6g')}"
        )
