"""One fit of a skhpo search: its state, and the one ask -> evaluate -> tell loop.

``*SearchCV.fit`` makes a :class:`SearchRun` holding everything that lives for one fit
(the space, the seed, the checkpoint's journal, the folds, the failure log), and
``_run_search`` hands it the strategy::

    run = SearchRun.of(self)
    run.search_loop(evaluate_candidates, strategy, n_total=..., batch_size=...)

Each turn of the loop asks the strategy for a :class:`~skhpo.strategies.Batch`, turns it
into candidates and a splitter (a Hyperband rung's resource), evaluates them over the
folds in one parallel call (or replays them from the checkpoint), and tells the strategy
their scores. Everything scikit-learn computes stays scikit-learn's: the evaluation is
its ``evaluate_candidates``, read and written through the seam's
:class:`~skhpo._sklearn_compat.Bookkeeping`.
"""

from __future__ import annotations

import contextvars
import threading
from contextlib import contextmanager

import numpy as np
from joblib import effective_n_jobs

from ._sklearn_compat import Bookkeeping

_RUN: contextvars.ContextVar = contextvars.ContextVar("skhpo_run", default=None)


def listed_splits(splits) -> list:
    """The ``(train, test)`` pairs a splitter yields, read once, as arrays."""
    return [(np.asarray(train), np.asarray(test)) for train, test in splits]


def _rows(columns: dict, start: int, stop: int) -> dict:
    """The rows ``start:stop`` of extra ``cv_results_`` columns."""
    return {k: list(v)[start:stop] for k, v in columns.items()}


def asynchronous_workers(n_jobs) -> int:
    """How many workers a search with ``n_jobs`` gets from the active joblib backend,
    when it can use them asynchronously (the backend returns results as they come:
    loky, threads, dask; not ``"multiprocessing"``); 1 otherwise."""
    from joblib.parallel import get_active_backend

    backend, _ = get_active_backend()
    if not getattr(backend, "supports_return_generator", False):
        return 1
    return max(1, int(effective_n_jobs(n_jobs)))


def failures_note(failed) -> str:
    """``" (k failed)"`` for a verbose line, when ``k`` candidates had a failed fit."""
    return f" ({int(np.sum(failed))} failed)" if np.any(failed) else ""


class SplitOnce:
    """``cv``, split once per search: the folds of the first call to :meth:`split`
    are those of every later call.

    scikit-learn's ``evaluate_candidates`` calls ``split`` once per call, and
    ``RandomizedSearchCV`` makes a single call, so a splitter that shuffles without a
    ``random_state`` gives all its candidates one set of folds. A search that makes one
    call per batch gives every batch those same folds through this wrapper, so that
    candidates are compared on the same folds.
    """

    def __init__(self, cv):
        self.cv = cv
        self._splits = None

    def get_n_splits(self, X=None, y=None, groups=None, **kwargs):
        if self._splits is not None:
            return len(self._splits)
        return self.cv.get_n_splits(X, y, groups, **kwargs)

    def split(self, X, y=None, **kwargs):
        if self._splits is None:
            self._splits = listed_splits(self.cv.split(X, y, **kwargs))
        return iter(self._splits)


class SearchRun:
    """Everything one ``fit`` of a skhpo search holds, and its search loop.

    Made by the search's ``fit`` and active (:meth:`active`) while scikit-learn's
    ``BaseSearchCV.fit`` runs, so that ``_run_search`` and ``_select_best_index``, which
    scikit-learn calls with fixed signatures, find it (:meth:`of`); nothing of it is
    kept on the search.

    Parameters
    ----------
    search : _SkhpoSearchCV
        The search being fitted.
    space : SearchSpace
        Its checked ``param_distributions``.
    seed : int, RandomState or None
        What seeds its strategy (the checkpoint's, when resuming).
    journal : Journal or None
        The open checkpoint.
    n_splits : int or None
        The number of folds, with a checkpoint (each recorded batch is checked
        against it).
    cv : splitter or None
        The splitter each batch is evaluated with, unless :meth:`search_loop`'s
        ``prepare`` gives one of its own.
    n_samples : int
        Samples in ``X``.
    """

    def __init__(self, search, *, space, seed, journal=None, n_splits=None, cv=None,
                 n_samples=None):
        self.search = search
        self.space = space
        self.seed = seed
        self.journal = journal
        self.n_splits = n_splits
        self.cv = cv
        self.n_samples = n_samples
        self.row_failed: list = []  # per cv_results_ row: whether a fit failed
        self.results_at_end: dict | None = None  # for partial_results_ if refit fails
        self.book: Bookkeeping | None = None
        self._pending = None  # a batch under way: (done, its more_results, start)

    @contextmanager
    def active(self):
        """Within the block, :meth:`of` finds this run for its search."""
        token = _RUN.set(self)
        try:
            yield self
        finally:
            _RUN.reset(token)

    @classmethod
    def of(cls, search) -> SearchRun | None:
        """The run of ``search``'s ``fit`` under way in this context, if any."""
        run = _RUN.get()
        return run if run is not None and run.search is search else None

    # -- the loop ---------------------------------------------------------------------

    def search_loop(self, evaluate_candidates, strategy, *, n_total=None,
                    batch_size=None, callback_ctx=None, prepare=None) -> int:
        """Ask ``strategy`` for a batch (of ``batch_size``, or as it plans them when
        ``None``), evaluate it over the folds in one parallel call, tell the strategy
        its scores; until ``n_total`` candidates are done, or the strategy has no more.
        Returns the number of candidates evaluated.

        ``prepare(batch)`` returns the parameters to evaluate for a batch and the
        splitter to evaluate them with (``None``: scikit-learn's own); by default the
        batch's parameters as they are, with :attr:`cv`.
        """
        search = self.search
        n_batches = strategy.planned_batches(n_total, batch_size)
        with self._searching(evaluate_candidates, callback_ctx, n_batches) as search_ctx:
            done = i = 0
            while n_total is None or done < n_total:
                asked = None if batch_size is None else min(batch_size, n_total - done)
                batch = strategy.ask() if asked is None else strategy.ask(asked)
                if not batch:
                    break
                candidates, cv = ((list(batch), self.cv) if prepare is None
                                  else prepare(batch))
                columns = dict(batch.columns)
                if "iter" not in columns:
                    columns = {"iter": [i] * len(batch), **columns}
                scores, key, failed = self._evaluate_batch(
                    candidates, batch, search_ctx=search_ctx, more_results=columns,
                    cv=cv)
                told = search._for_strategy(scores, key, failed)
                strategy.tell(batch, told)
                done += len(batch)
                search._report_batch(strategy, batch, i, scores=scores, failed=failed,
                                     key=key, done=done, n_total=n_total)
                i += 1
                if asked is not None and len(batch) < asked:
                    break  # the strategy found no more unseen points
        return done

    def async_loop(self, evaluate_candidates, strategy, *, n_total,
                   callback_ctx=None) -> int:
        """Keep every worker busy: one parallel call of ``n_total`` candidates, each
        asked of ``strategy`` (``ask(1)``) when a worker is free to fit it, knowing the
        scores told so far and the candidates still under way (pending); each
        candidate's score is told as soon as its folds are done. Rows of
        ``cv_results_`` are in the order candidates were asked, as in one synchronous
        batch of them; ``iter`` numbers them.

        With a checkpoint, every candidate done is kept as in a batch, and a resumed
        search tells the strategy what the checkpoint holds, then proposes the rest
        anew. Returns the number of candidates evaluated.
        """
        with self._searching(evaluate_candidates, callback_ctx, 1) as search_ctx:
            done = 0
            journal = self.journal
            if journal is not None:
                record = journal.next_record()
                while record is not None:
                    done += self._replay_and_tell(record, strategy)
                    record = journal.next_record()
            if done < n_total:
                done += self._evaluate_async(strategy, n_total - done, done, search_ctx)
        return done

    def _replay_and_tell(self, record, strategy) -> int:
        """Add a recorded batch (or part) to the results without fitting and tell the
        strategy its scores, whatever it would propose now (its points are checked to
        be points of the space, and its fits to be one per fold). Returns its
        length."""
        points = np.asarray(record["points"], dtype=float)
        params = self.space.decode(points)
        n = len(params)
        points = np.array([self.space.encode(p) for p in params]).reshape(n, -1)
        self.journal.check_batch(record, points, record["more_results"],
                                 n_fits=n * self.n_splits)
        n_logged = len(self.book.fit_errors)
        results = self.book.replay(params, record["out"], record["more_results"])
        scores, key, failed = self._batch_summary(results, params,
                                                  self.book.fit_errors[n_logged:])
        strategy.tell(params, self.search._for_strategy(scores, key, failed))
        return n

    def _evaluate_async(self, strategy, n_slots: int, first_iter: int, search_ctx) -> int:
        search, journal, book = self.search, self.journal, self.book
        lock = threading.Lock()  # the strategy is asked in joblib's threads
        start = book.n_outputs
        part = journal.take_part() if journal is not None else None
        n_part = 0
        if part is not None:  # the candidates an interruption left done
            n_part = self._replay_and_tell(part, strategy)
        n_slots -= n_part
        first_iter += n_part
        asked: list = []
        with lock:
            batch = strategy.ask(1) if n_slots > 0 else []
        if not batch:
            if journal is not None and n_part:
                journal.append(self.space.decode(np.asarray(part["points"])),
                               np.asarray(part["points"]), part["more_results"],
                               book.outputs(start))
            return n_part
        columns = {"iter": [None] * n_slots,
                   **{k: [None] * n_slots for k in batch.columns}}
        slots = [{} for _ in range(n_slots)]

        def fill(j, batch):
            asked.append(batch)
            columns["iter"][j] = first_iter + j
            for k, v in batch.columns.items():
                columns[k][j] = v[0]
            return batch[0]

        fill(0, batch)

        def propose(j):
            if j == 0:
                return asked[0][0]
            with lock:
                batch = strategy.ask(1)
                return fill(j, batch) if batch else None

        key_of = {}
        n_told = [first_iter]

        def on_result(j, outputs):
            score, failed = self._raw_objective(outputs, key_of)
            key = key_of.get("key", "mean_test_score")
            told = search._for_strategy(np.array([score]), key, np.array([failed]))
            with lock:
                strategy.tell(asked[j], told)
                n_told[0] += 1
                search._report_candidate(strategy, first_iter + j, score=score,
                                         failed=failed, key=key, done=n_told[0],
                                         n_total=first_iter + n_slots)

        points = _LazyPoints(self.space, asked)
        n_logged = len(book.fit_errors)
        results = self._evaluate_rows(slots, 0, search_ctx, columns, self.cv, points,
                                      propose=propose, on_result=on_result,
                                      part_offset=n_part)
        n = len(asked)
        params = [b[0] for b in asked]
        scores, key, failed = self._batch_summary(results, params,
                                                  book.fit_errors[n_logged:])
        if journal is not None:
            all_params = (self.space.decode(np.asarray(part["points"])) if n_part else [])
            all_params = [*all_params, *params]
            all_points = np.array([self.space.encode(p) for p in all_params]).reshape(
                len(all_params), -1)
            more = {k: [*(part["more_results"][k] if n_part else []), *v[:n]]
                    for k, v in columns.items()}
            journal.append(all_params, all_points, more, book.outputs(start))
        return n_part + n

    def _raw_objective(self, outputs, key_of: dict) -> tuple:
        """A candidate's objective from its ``_fit_and_score`` outputs: the mean over
        its splits of the metric the strategy maximises, and whether a fit failed (its
        objective is then ``nan``). ``key_of["key"]`` gets the metric's column name."""
        scores = [o["test_scores"] for o in outputs if o["fit_error"] is None]
        if "key" not in key_of and scores:
            first = scores[0]
            names = list(first) if isinstance(first, dict) else ["score"]
            key_of["key"] = self.search._objective_key(
                {f"mean_test_{n}": None for n in names})
        if len(scores) < len(outputs):
            return np.nan, True
        metric = key_of["key"][len("mean_test_"):]
        values = [s[metric] if isinstance(s, dict) else s for s in scores]
        return float(np.mean(np.asarray(values, dtype=float))), False

    @contextmanager
    def _searching(self, evaluate_candidates, callback_ctx, n_batches: int):
        """Failure isolation for the whole search, the results so far on interruption,
        and scikit-learn's "search" callback task (``None`` where scikit-learn has no
        callbacks).

        Fits that fail are recorded with ``error_score``. scikit-learn's warnings of
        failed fits and of non-finite scores come once, at the end, for the whole search
        (as after ``RandomizedSearchCV``'s one batch), and only a search in which every
        fit failed raises. If the search is interrupted (``KeyboardInterrupt``, or an
        error with ``error_score="raise"``), the results of every batch completed so
        far, and of every candidate of the interrupted batch whose splits were all
        done, stay in ``partial_results_``.
        """
        search = self.search
        search_ctx = None
        if callback_ctx is not None:
            search_ctx = callback_ctx.subcontext(
                task_name="search", max_subtasks=n_batches
            ).call_on_fit_task_begin(estimator=search)
        book = self.book = Bookkeeping(search, evaluate_candidates)
        searched = False
        try:
            yield search_ctx
            searched = True
            book.finish()
            self.results_at_end = book.results
        except BaseException:
            results = book.results
            done, more, start = self._pending or ([], {}, None)
            if book.n_outputs != start:
                done = []  # scikit-learn holds them already (or there are none)
            try:
                # every evaluation scikit-learn holds, formatted or not yet, and the
                # done candidates of a batch cut short
                results = book.results_with([params for params, _ in done],
                                            [o for _, outputs in done for o in outputs],
                                            _rows(more, 0, len(done))) or results
            except Exception:  # keep what the completed batches hold
                pass
            if results:
                search.partial_results_ = results
            if not searched:
                errors = book.fit_errors
                if len(errors) == book.n_outputs:
                    # the cut batch's errors are not logged yet (scikit-learn logs a
                    # batch's just before adding its outputs)
                    errors = [*errors,
                              *(o["fit_error"] for _, outputs in done for o in outputs)]
                search._warn_of_interrupted(errors, book)
            raise
        if search_ctx is not None:
            search_ctx.call_on_fit_task_end(estimator=search)

    # -- one batch ----------------------------------------------------------------------

    def _evaluate_batch(self, candidates, batch, *, search_ctx, more_results, cv=None):
        """Fit and score ``candidates`` (the search's form of the strategy's ``batch``)
        over the folds in one parallel call, or replay them from the checkpoint.

        Each candidate's outputs are kept as soon as all its splits, and those of the
        candidates before it in the batch, are done (in the checkpoint, as a part line,
        but for the last, which the batch line records), so an interruption loses only
        the candidates under way or done out of order (and, with a joblib backend that
        cannot stream, the whole batch).

        Returns the objective of each candidate, the objective's name, and which
        candidates had a failed fit.
        """
        book, journal = self.book, self.journal
        n_logged = len(book.fit_errors)
        first = 0  # the first candidate to evaluate
        points = None
        if journal is not None:
            # unit points of the strategy's batch (a rung's without its resource): what
            # a checkpoint compares on resume
            points = np.array([self.space.encode(p) for p in batch]).reshape(len(batch), -1)
            record = journal.next_record()
            if record is not None:
                journal.check_batch(record, points, more_results,
                                    n_fits=len(batch) * self.n_splits)
                results = book.replay(candidates, record["out"], more_results)
                return self._batch_summary(results, candidates, book.fit_errors[n_logged:])
            start = book.n_outputs
            part = journal.take_part()
            if part is not None:
                # the candidates an interruption left done: the batch's first ones,
                # replayed, not refitted
                first = len(part["params"])
                done_more = _rows(more_results, 0, first)
                journal.check_batch(part, points[:first], done_more,
                                    n_fits=first * self.n_splits)
                results = book.replay(candidates[:first], part["out"], done_more)
        if first < len(candidates):
            results = self._evaluate_rows(candidates, first, search_ctx, more_results, cv,
                                          points)
        if journal is not None:
            journal.append(candidates, points, more_results, book.outputs(start))
        return self._batch_summary(results, candidates, book.fit_errors[n_logged:])

    def _evaluate_rows(self, candidates, first, search_ctx, more_results, cv, points,
                       propose=None, on_result=None, part_offset=0):
        """One ``evaluate_candidates`` call for ``candidates[first:]``, each candidate
        kept as soon as its splits are done (with a journal, as a part line; ``points``
        are the batch's, or ``None`` without one). ``propose`` and ``on_result``: see
        :meth:`Bookkeeping.evaluate`; ``candidates`` are then slots it fills, and the
        part lines number them from ``part_offset``."""
        search, journal = self.search, self.journal
        rows = candidates[first:]
        # slots to fill: scikit-learn must read the columns filled as they are asked
        more = more_results if propose is not None else _rows(more_results, first,
                                                                len(candidates))
        batch_ctx = None
        if search_ctx is not None:
            batch_ctx = search_ctx.subcontext(
                task_name=search._batch_label,
                max_subtasks=len(rows) * search.n_splits_,
                sequential_subtasks=False,
            ).call_on_fit_task_begin(estimator=search)
        done = []  # (candidate, its outputs) as each completes
        # for partial_results_, until scikit-learn adds the batch to its outputs
        self._pending = (done, more, self.book.n_outputs)

        def keep(j, outputs):
            done.append((rows[j], list(outputs)))
            i = first + j
            if journal is not None and i < len(candidates) - 1:
                journal.append_part(part_offset + i, [candidates[i]], points[i:i + 1],
                                    _rows(more_results, i, i + 1), outputs)

        results = self.book.evaluate(rows, more_results=more, cv=cv,
                                     callback_ctx=batch_ctx, on_candidate=keep,
                                     propose=propose, on_result=on_result)
        self._pending = None
        if batch_ctx is not None:
            batch_ctx.call_on_fit_task_end(estimator=search)
        return results

    def _batch_summary(self, results, candidates, errors):
        key = self.search._objective_key(results)
        scores = np.asarray(results[key][-len(candidates):], dtype=float)
        failed = np.array([e is not None for e in errors], dtype=bool)
        failed = failed.reshape(len(candidates), -1).any(axis=1)
        self.row_failed.extend(failed.tolist())
        return scores, key, failed


class _LazyPoints:
    """The unit points of the candidates asked so far, sliced as an array
    (``points[i:i + 1]``) when the journal records candidate ``i``."""

    def __init__(self, space, asked: list):
        self._space = space
        self._asked = asked

    def __getitem__(self, rows: slice) -> np.ndarray:
        params = [b[0] for b in self._asked[rows]]
        return np.array([self._space.encode(p) for p in params]).reshape(len(params), -1)
