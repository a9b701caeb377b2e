"""Checkpoints: interrupted searches resume without losing or repeating an evaluation,
and a checkpoint is never mixed with a different search."""

import json
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

from skhpo import (
    BayesSearchCV,
    CheckpointMismatchError,
    EvolutionSearchCV,
    HyperbandSearchCV,
)
from skhpo._fingerprint import seed_from_json
from skhpo.space import Real
from tests._estimators import (
    BudgetModel,
    FailsSome,
    Interrupting,
    Killer,
    Slow,
    SlowToFail,
)
from tests._helpers import X_IRIS, Y_IRIS, dict_scorer

SPACE = {"C": Real(1e-3, 1e2, log=True), "fit_intercept": [True, False]}

# each class with settings giving several batches on iris (3-fold CV)
SETTINGS = {
    BayesSearchCV: dict(n_iter=8, n_initial_points=3, n_points=2),
    EvolutionSearchCV: dict(n_iter=9, population_size=3),
    HyperbandSearchCV: dict(n_brackets=3),
}
SEARCH_CLASSES = list(SETTINGS)


def arm(at=None, exc=KeyboardInterrupt):
    Interrupting.trigger.update(at=at, n=0, exc=exc)


def make(cls, **kwargs):
    params = dict(cv=3, random_state=0, **SETTINGS[cls])
    params.update(kwargs)
    space = params.pop("param_distributions", SPACE)
    return cls(Interrupting(max_iter=300), space, **params)


def assert_same_search(a, b):
    ra, rb = a.cv_results_, b.cv_results_
    assert ra["params"] == rb["params"]
    for key in ("mean_test_score", "split0_test_score", "split2_test_score", "iter"):
        np.testing.assert_array_equal(ra[key], rb[key])
    assert a.best_params_ == b.best_params_ and a.best_index_ == b.best_index_


def n_search_fits(search):
    return len(search.cv_results_["params"]) * search.n_splits_


def n_recorded(path):
    """Candidates a checkpoint holds: those of its batch lines, and of the part lines
    after the last (those of a batch that completed are redundant)."""
    whole, parts = 0, 0
    for line in path.read_text().splitlines()[1:]:
        record = json.loads(line)
        if "part" in record:
            parts += len(record["params"])
        else:
            whole, parts = whole + len(record["params"]), 0
    return whole + parts


def batch_lines(path):
    """The header and batch lines of a checkpoint, as bytes, its part lines left out."""
    lines = path.read_bytes().split(b"\n")[:-1]
    return lines[:1] + [ln for ln in lines[1:] if b'"part":' not in ln]


@pytest.mark.parametrize("cls", SEARCH_CLASSES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("exc", [KeyboardInterrupt, RuntimeError])
def test_interrupted_search_resumes_where_it_stopped(cls, exc, tmp_path):
    path = tmp_path / "search.jsonl"
    arm(None)
    reference = make(cls).fit(X_IRIS, Y_IRIS)
    total = n_search_fits(reference)

    arm(at=total // 2, exc=exc)
    interrupted = make(cls, checkpoint=path, error_score="raise" if exc is RuntimeError
                       else np.nan)
    with pytest.raises(exc, match="interrupted"):
        interrupted.fit(X_IRIS, Y_IRIS)
    done = len(interrupted.partial_results_["params"])
    assert 0 < done < len(reference.cv_results_["params"])
    assert n_recorded(path) == done

    arm(None)
    resumed = make(cls, checkpoint=path, error_score="raise" if exc is RuntimeError
                   else np.nan)
    resumed.fit(X_IRIS, Y_IRIS)
    # nothing completed was fitted again: only the rest, and the refit
    assert Interrupting.trigger["n"] == total - done * 3 + 1
    assert_same_search(resumed, reference)

    # a finished checkpoint replays everything: only the refit is fitted
    arm(None)
    again = make(cls, checkpoint=path, error_score="raise" if exc is RuntimeError
                 else np.nan).fit(X_IRIS, Y_IRIS)
    assert Interrupting.trigger["n"] == 1
    assert_same_search(again, reference)


def test_keyboard_interrupt_without_checkpoint_keeps_results_so_far(tmp_path):
    arm(at=20)
    search = make(BayesSearchCV)
    with pytest.raises(KeyboardInterrupt):
        search.fit(X_IRIS, Y_IRIS)
    partial = search.partial_results_
    assert len(partial["params"]) == 6  # three batches of 2 candidates x 3 folds = 18
    assert np.all(np.isfinite(partial["mean_test_score"]))
    assert list(tmp_path.iterdir()) == []
    arm(None)
    search.fit(X_IRIS, Y_IRIS)
    assert not hasattr(search, "partial_results_")


# candidates of the first batch done when the fit after them (on its second fold) is
# interrupted: fewer than the batch holds
DONE_IN_FIRST_BATCH = {BayesSearchCV: 1, EvolutionSearchCV: 2, HyperbandSearchCV: 2}


@pytest.mark.parametrize("cls", SEARCH_CLASSES, ids=lambda c: c.__name__)
def test_an_interrupted_batch_keeps_its_completed_candidates(cls, tmp_path):
    arm(None)
    reference = make(cls).fit(X_IRIS, Y_IRIS)
    total = n_search_fits(reference)
    done = DONE_IN_FIRST_BATCH[cls]
    assert (reference.cv_results_["iter"][:done + 1] == 0).all()  # one batch

    # without a checkpoint: in partial_results_
    arm(at=3 * done + 2)
    search = make(cls)
    with pytest.raises(KeyboardInterrupt):
        search.fit(X_IRIS, Y_IRIS)
    partial = search.partial_results_
    assert partial["params"] == reference.cv_results_["params"][:done]
    for key in ("mean_test_score", "split1_test_score", "iter"):
        np.testing.assert_array_equal(partial[key], reference.cv_results_[key][:done])

    # with one: in part lines, replayed on resume, and only the rest is fitted
    path = tmp_path / "c.jsonl"
    arm(at=3 * done + 2)
    with pytest.raises(KeyboardInterrupt):
        make(cls, checkpoint=path).fit(X_IRIS, Y_IRIS)
    lines = [json.loads(ln) for ln in path.read_text().splitlines()[1:]]
    assert [ln["part"] for ln in lines] == list(range(done))
    arm(None)
    resumed = make(cls, checkpoint=path).fit(X_IRIS, Y_IRIS)
    assert Interrupting.trigger["n"] == total - 3 * done + 1
    assert_same_search(resumed, reference)
    assert n_recorded(path) == len(reference.cv_results_["params"])


def test_an_interrupted_batch_in_threads_keeps_a_prefix_of_it(tmp_path):
    from joblib import parallel_config

    arm(None)
    reference = make(HyperbandSearchCV, min_resources=10).fit(X_IRIS, Y_IRIS)
    assert (reference.cv_results_["iter"][:9] == 0).all()  # a first rung of 9
    path = tmp_path / "c.jsonl"
    arm(at=20)
    with parallel_config(backend="threading"):
        search = make(HyperbandSearchCV, min_resources=10, n_jobs=2, checkpoint=path)
        with pytest.raises(KeyboardInterrupt):
            search.fit(X_IRIS, Y_IRIS)
    done = len(search.partial_results_["params"])
    assert 0 < done < 9  # within the first rung
    assert search.partial_results_["params"] == reference.cv_results_["params"][:done]
    assert n_recorded(path) == done
    arm(None)
    with parallel_config(backend="threading"):
        resumed = make(HyperbandSearchCV, min_resources=10, n_jobs=2,
                       checkpoint=path).fit(X_IRIS, Y_IRIS)
    assert_same_search(resumed, reference)


def test_a_backend_that_cannot_stream_runs_each_batch_whole():
    from joblib import parallel_config

    arm(None)
    reference = make(EvolutionSearchCV).fit(X_IRIS, Y_IRIS)
    with parallel_config(backend="multiprocessing", n_jobs=2):
        search = make(EvolutionSearchCV, n_jobs=2).fit(X_IRIS, Y_IRIS)
    assert_same_search(search, reference)


def test_an_interruption_while_a_batch_is_added_keeps_it_once():
    # a Ctrl-C that lands in scikit-learn's formatting of the second batch, once its
    # fits are in scikit-learn's lists: partial_results_ holds each candidate once
    calls = {"n": 0}

    class Cut(EvolutionSearchCV):
        def _format_results(self, *args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 2:
                raise KeyboardInterrupt("while formatting batch 1")
            return super()._format_results(*args, **kwargs)

    arm(None)
    reference = make(EvolutionSearchCV).fit(X_IRIS, Y_IRIS)
    search = Cut(Interrupting(max_iter=300), SPACE, cv=3, random_state=0,
                 **SETTINGS[EvolutionSearchCV])
    with pytest.raises(KeyboardInterrupt):
        search.fit(X_IRIS, Y_IRIS)
    partial = search.partial_results_
    assert partial["params"] == reference.cv_results_["params"][:6]
    np.testing.assert_array_equal(partial["rank_test_score"],
                                  rank(reference.cv_results_["mean_test_score"][:6]))


def rank(scores):
    from scipy.stats import rankdata

    return rankdata(-np.asarray(scores), method="min").astype(np.int32)


def test_a_slow_disk_does_not_lose_a_done_candidate_when_a_fit_raises(tmp_path,
                                                                      monkeypatch):
    # joblib drops the results it holds once a fit raises: the search must hand them
    # over without waiting for the disk (part lines are flushed, not fsync-ed)
    import time

    from joblib import parallel_config

    def search(**kw):
        return EvolutionSearchCV(SlowToFail(max_iter=300), SPACE, cv=3, random_state=0,
                                 n_jobs=2, **SETTINGS[EvolutionSearchCV], **kw)

    SlowToFail.fail = ()
    params = search().fit(X_IRIS, Y_IRIS).cv_results_["params"]
    SlowToFail.fail = (params[2]["C"],)  # the third candidate of the first generation
    fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (time.sleep(0.5), fsync(fd)))
    path = tmp_path / "c.jsonl"
    with parallel_config(backend="threading"):
        cut = search(checkpoint=path, error_score="raise")
        with pytest.raises(RuntimeError, match="fails"):
            cut.fit(X_IRIS, Y_IRIS)
    assert cut.partial_results_["params"] == params[:2]
    assert n_recorded(path) == 2


def test_a_resumed_search_warns_of_its_failures_as_an_uninterrupted_one(tmp_path):
    from sklearn.exceptions import FitFailedWarning

    def search(**kw):
        return EvolutionSearchCV(FailsSome(max_iter=300), SPACE, cv=3, random_state=0,
                                 **SETTINGS[EvolutionSearchCV], **kw)

    def failure_warning(s):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            s.fit(X_IRIS, Y_IRIS)
        (message,) = [str(w.message) for w in caught
                      if issubclass(w.category, FitFailedWarning)]
        return message, len(s.cv_results_["params"])

    FailsSome.fail = ()
    arm(None)
    params = search().fit(X_IRIS, Y_IRIS).cv_results_["params"]
    FailsSome.fail = (params[1]["C"], params[2]["C"])  # 6 of the first 9 fits fail
    try:
        arm(None)
        expected, n = failure_warning(search())
        assert f"6 fits failed out of a total of {3 * n}" in expected
        path = tmp_path / "c.jsonl"
        arm(at=4)  # the first fit of the second candidate: the first is kept
        with pytest.raises(KeyboardInterrupt):
            search(checkpoint=path).fit(X_IRIS, Y_IRIS)
        arm(None)
        assert failure_warning(search(checkpoint=path)) == (expected, n)
    finally:
        FailsSome.fail = ()


def test_part_lines_out_of_order_or_of_other_candidates_are_refused(tmp_path):
    path = tmp_path / "c.jsonl"
    arm(at=3 * 2 + 2)  # two candidates of the first generation done
    with pytest.raises(KeyboardInterrupt):
        make(EvolutionSearchCV, checkpoint=path).fit(X_IRIS, Y_IRIS)
    header, *parts = path.read_text().splitlines()
    assert len(parts) == 2
    path.write_text("\n".join([header, *parts[1:]]) + "\n")
    arm(None)
    with pytest.raises(ValueError, match=r"is corrupt: line 2 cannot be read \(part 1 of "
                                         r"batch 0 where part 0 was expected\)"):
        make(EvolutionSearchCV, checkpoint=path).fit(X_IRIS, Y_IRIS)
    record = json.loads(parts[0])
    record["points"][0][0] = 1 - record["points"][0][0]
    path.write_text("\n".join([header, json.dumps(record), *parts[1:]]) + "\n")
    with pytest.raises(CheckpointMismatchError, match="proposes others"):
        make(EvolutionSearchCV, checkpoint=path).fit(X_IRIS, Y_IRIS)
    assert Interrupting.trigger["n"] == 0


def test_random_state_none_resumes_the_same_candidates(tmp_path):
    path = tmp_path / "c.jsonl"
    arm(at=10)
    first = make(BayesSearchCV, random_state=None, checkpoint=path)
    with pytest.raises(KeyboardInterrupt):
        first.fit(X_IRIS, Y_IRIS)
    seen = first.partial_results_["params"]
    arm(None)
    resumed = make(BayesSearchCV, random_state=None, checkpoint=path).fit(X_IRIS, Y_IRIS)
    assert resumed.cv_results_["params"][:len(seen)] == seen
    # the header keeps the generator's state; a search seeded with it does the same
    seed = seed_from_json(json.loads(path.read_text().splitlines()[0])["seed"])
    arm(None)
    fresh = make(BayesSearchCV, random_state=seed).fit(X_IRIS, Y_IRIS)
    assert fresh.cv_results_["params"] == resumed.cv_results_["params"]


def test_a_random_state_instance_resumes_in_a_new_process_as_without_checkpoint(tmp_path):
    path = tmp_path / "c.jsonl"
    arm(None)
    reference = make(HyperbandSearchCV, random_state=np.random.RandomState(7),
                     sampler="bayes").fit(X_IRIS, Y_IRIS)
    arm(at=15)
    first = make(HyperbandSearchCV, random_state=np.random.RandomState(7),
                 sampler="bayes", checkpoint=path)
    with pytest.raises(KeyboardInterrupt):
        first.fit(X_IRIS, Y_IRIS)
    arm(None)
    # a new generator with the same seed, at another address, as after a restart
    resumed = make(HyperbandSearchCV, random_state=np.random.RandomState(7),
                   sampler="bayes", checkpoint=path).fit(X_IRIS, Y_IRIS)
    assert_same_search(resumed, reference)


def test_a_truncated_last_line_is_redone(tmp_path):
    path = tmp_path / "c.jsonl"
    arm(None)
    reference = make(EvolutionSearchCV, checkpoint=path).fit(X_IRIS, Y_IRIS)
    lines = batch_lines(path)
    # the process died while writing batch 2: half a line, no newline
    path.write_bytes(b"\n".join(lines[:3]) + b"\n" + lines[3][: len(lines[3]) // 2])
    arm(None)
    resumed = make(EvolutionSearchCV, checkpoint=path).fit(X_IRIS, Y_IRIS)
    # batches 0 and 1 replayed; 2 redone and the rest evaluated: 3 candidates x 3 folds
    assert Interrupting.trigger["n"] == (9 - 6) * 3 + 1
    assert_same_search(resumed, reference)
    assert len(batch_lines(path)) == len(lines)


def test_a_corrupt_line_that_is_not_the_last_is_an_error(tmp_path):
    path = tmp_path / "c.jsonl"
    arm(None)
    make(EvolutionSearchCV, checkpoint=path).fit(X_IRIS, Y_IRIS)
    lines = [ln.decode() for ln in batch_lines(path)]
    lines[1] = lines[1][:-5] + "#####"
    path.write_text("\n".join(lines) + "\n")
    arm(None)
    with pytest.raises(ValueError, match=r"is corrupt: line 2 cannot be read"):
        make(EvolutionSearchCV, checkpoint=path).fit(X_IRIS, Y_IRIS)
    assert Interrupting.trigger["n"] == 0
    # a well-formed last line that is not the next batch (a batch written twice) is not
    # a crash's leftover: an error too, not dropped
    path = tmp_path / "twice.jsonl"
    arm(None)
    make(EvolutionSearchCV, checkpoint=path).fit(X_IRIS, Y_IRIS)
    lines = [ln.decode() for ln in batch_lines(path)]
    path.write_text("\n".join(lines[:3] + [lines[2]]) + "\n")
    arm(None)
    with pytest.raises(ValueError, match=r"is corrupt: line 4 cannot be read \(batch 1 "
                                         r"where batch 2 was expected\)"):
        make(EvolutionSearchCV, checkpoint=path).fit(X_IRIS, Y_IRIS)
    assert Interrupting.trigger["n"] == 0
    other = tmp_path / "notes.txt"
    other.write_text("shopping list\n")
    with pytest.raises(ValueError, match=r"is corrupt: header 1 cannot be read"):
        make(EvolutionSearchCV, checkpoint=other).fit(X_IRIS, Y_IRIS)
    other.write_text('{"format": "something else"}\n')
    with pytest.raises(ValueError, match="is not an skhpo checkpoint"):
        make(EvolutionSearchCV, checkpoint=other).fit(X_IRIS, Y_IRIS)


def test_version_1_checkpoints_resume_and_unknown_versions_are_refused(tmp_path):
    path = tmp_path / "c.jsonl"
    arm(None)
    reference = make(EvolutionSearchCV, checkpoint=path).fit(X_IRIS, Y_IRIS)
    header, *lines = [json.loads(ln) for ln in batch_lines(path)]
    assert header["version"] == 2
    # version 1 had batch lines only
    header["version"] = 1
    path.write_text("\n".join(json.dumps(x) for x in [header, *lines[:2]]) + "\n")
    arm(None)
    resumed = make(EvolutionSearchCV, checkpoint=path).fit(X_IRIS, Y_IRIS)
    assert Interrupting.trigger["n"] == 3 * 3 + 1  # the third generation, the refit
    assert_same_search(resumed, reference)
    header["version"] = 3
    path.write_text("\n".join(json.dumps(x) for x in [header, *lines]) + "\n")
    with pytest.raises(ValueError, match=r"is not an skhpo checkpoint this skhpo can read "
                                         r"\(versions 1, 2\)"):
        make(EvolutionSearchCV, checkpoint=path).fit(X_IRIS, Y_IRIS)


@pytest.mark.parametrize("change, what", [
    (dict(estimator=Interrupting(max_iter=200)),
     r"- the estimator: Interrupting\(max_iter=300\) \[\w+\] in the checkpoint, "
     r"Interrupting\(max_iter=200\) \[\w+\] now"),
    (dict(param_distributions={"C": Real(1e-3, 1e2, log=True)}), r"- param_distributions: "),
    (dict(scoring="balanced_accuracy"),
     r"- scoring: None in the checkpoint, 'balanced_accuracy' now"),
    (dict(population_size=4),
     r"- the search's settings: population_size=3 in the checkpoint, 4 now\n"),
    (dict(cv=KFold(3, shuffle=True, random_state=1)),
     r"- the cross-validation splits differ"),
    (dict(X=X_IRIS + 1e-9), r"- the data X differ"),
    (dict(y=np.roll(Y_IRIS, 1)), r"- the target y differ"),
])
def test_a_checkpoint_of_another_search_is_refused(change, what, tmp_path):
    path = tmp_path / "c.jsonl"
    arm(None)
    make(EvolutionSearchCV, checkpoint=path).fit(X_IRIS, Y_IRIS)
    before = path.read_bytes()
    change = dict(change)
    X, y = change.pop("X", X_IRIS), change.pop("y", Y_IRIS)
    search = make(EvolutionSearchCV, checkpoint=path)
    search.set_params(**change)
    arm(None)
    with pytest.raises(CheckpointMismatchError,
                       match=r"(?s)was written by a different search; refusing to mix "
                             rf"their results\. What differs:\n.*{what}"):
        search.fit(X, y)
    assert Interrupting.trigger["n"] == 0
    assert path.read_bytes() == before


def test_runtime_settings_do_not_matter(tmp_path):
    path = tmp_path / "c.jsonl"
    arm(None)
    reference = make(BayesSearchCV, checkpoint=path).fit(X_IRIS, Y_IRIS)
    arm(None)
    again = make(BayesSearchCV, checkpoint=str(path), n_jobs=2, verbose=0,
                 pre_dispatch="n_jobs").fit(X_IRIS, Y_IRIS)
    assert_same_search(again, reference)


def test_checkpoint_must_be_a_path():
    with pytest.raises(ValueError, match=r"The 'checkpoint' parameter of BayesSearchCV "
                                         r"must be an instance of 'str', an instance of "
                                         r"'os.PathLike' or None\. Got 3 instead\."):
        make(BayesSearchCV, checkpoint=3).fit(X_IRIS, Y_IRIS)


# -- killed for real -----------------------------------------------------------------------

KILLED_SCRIPT = textwrap.dedent('''
    import os, signal, sys
    import numpy as np
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    import skhpo
    from skhpo.space import Real

    cls, path, kill_at = getattr(skhpo, sys.argv[1]), sys.argv[2], int(sys.argv[3])
    settings = {settings}
    n = 0

    class Killer(LogisticRegression):
        def fit(self, X, y, **kw):
            global n
            n += 1
            if n == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return super().fit(X, y, **kw)

    X, y = load_iris(return_X_y=True)
    space = {{"C": Real(1e-3, 1e2, log=True), "fit_intercept": [True, False]}}
    cls(Killer(max_iter=300), space, cv=3, random_state=0, checkpoint=path,
        **settings[sys.argv[1]]).fit(X, y)
''')


def same_skhpo():
    """The environment of a child process that imports the skhpo these tests import."""
    import skhpo

    root = os.path.dirname(os.path.dirname(os.path.abspath(skhpo.__file__)))
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        [root, *filter(None, [os.environ.get("PYTHONPATH")])])}


@pytest.mark.parametrize("cls", SEARCH_CLASSES, ids=lambda c: c.__name__)
def test_a_search_killed_with_sigkill_resumes(cls, tmp_path):
    settings = {c.__name__: s for c, s in SETTINGS.items()}
    script = tmp_path / "killed.py"
    script.write_text(KILLED_SCRIPT.format(settings=repr(settings)))
    reference = cls(Killer(max_iter=300), SPACE, cv=3, random_state=0,
                    **SETTINGS[cls]).fit(X_IRIS, Y_IRIS)
    total = n_search_fits(reference)
    rng = np.random.RandomState(len(cls.__name__))
    replayed = []
    # one random point in each half of the search's fits
    for kill_at in (rng.randint(2, total // 2), rng.randint(total // 2, total)):
        path = tmp_path / f"killed-{kill_at}.jsonl"
        proc = subprocess.run([sys.executable, str(script), cls.__name__, str(path),
                               str(kill_at)], capture_output=True, text=True, timeout=120,
                              env=same_skhpo())
        assert proc.returncode == -9, proc.stderr
        # the file appears with the first completed candidate
        replayed.append(n_recorded(path) if path.exists() else 0)
        Killer.n = 0
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # resuming is silent
            resumed = cls(Killer(max_iter=300), SPACE, cv=3, random_state=0,
                          checkpoint=path, **SETTINGS[cls]).fit(X_IRIS, Y_IRIS)
        # what was recorded is not fitted again; all the rest is, then the refit
        assert Killer.n == total - 3 * replayed[-1] + 1
        assert_same_search(resumed, reference)
        assert len(resumed.cv_results_["params"]) == len(reference.cv_results_["params"])
    assert max(replayed) >= 1  # at least one kill left completed candidates to replay


CTRL_C_SCRIPT = textwrap.dedent('''
    import sys, time
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from skhpo import HyperbandSearchCV
    from skhpo.space import Real

    class Slow(LogisticRegression):
        def fit(self, X, y, **kw):
            time.sleep(0.2)
            return super().fit(X, y, **kw)

    X, y = load_iris(return_X_y=True)
    space = {"C": Real(1e-3, 1e2, log=True), "fit_intercept": [True, False]}
    search = HyperbandSearchCV(Slow(max_iter=300), space, cv=3, random_state=0,
                               min_resources=10, n_brackets=1, n_jobs=2,
                               checkpoint=sys.argv[1])
    try:
        search.fit(X, y)
    except KeyboardInterrupt:
        print(len(search.partial_results_["params"]))
        raise
''')


@pytest.mark.skipif(sys.platform == "win32", reason="no process groups")
def test_ctrl_c_with_worker_processes_keeps_the_done_candidates_of_the_rung(tmp_path):
    import signal
    import time

    script = tmp_path / "ctrl_c.py"
    script.write_text(CTRL_C_SCRIPT)
    path = tmp_path / "c.jsonl"

    def search(**kw):
        return HyperbandSearchCV(Slow(max_iter=300), SPACE, cv=3, random_state=0,
                                 min_resources=10, n_brackets=1, **kw)

    reference = search().fit(X_IRIS, Y_IRIS)
    assert (reference.cv_results_["iter"][:9] == 0).all()  # a first rung of 9
    # a terminal's Ctrl-C: SIGINT to the search's process and its loky workers, once
    # the first candidate of the first rung is in the checkpoint
    # (with Ctrl-C's default action, as a shell starts a program in the foreground, even
    # when the tests run where SIGINT is ignored, in a background job say)
    proc = subprocess.Popen([sys.executable, str(script), str(path)],
                            start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=same_skhpo(),
                            preexec_fn=lambda: signal.signal(signal.SIGINT,
                                                             signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not (path.exists() and len(path.read_text().splitlines()) >= 2):
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "KeyboardInterrupt" in err
    done = n_recorded(path)
    assert 1 <= done < 9  # cut within the first rung, its done candidates kept
    assert int(out) >= done  # partial_results_ holds them too
    Killer.n = 0
    resumed = search(checkpoint=path).fit(X_IRIS, Y_IRIS)
    assert Killer.n == n_search_fits(reference) - 3 * done + 1
    assert_same_search(resumed, reference)


# -- what makes two searches the same -----------------------------------------------------


def test_spaces_that_print_alike_but_differ_are_told_apart(tmp_path):
    from scipy.stats import rv_histogram

    path = tmp_path / "c.jsonl"
    low = rv_histogram(np.histogram(np.linspace(1e-3, 3e-3, 50), bins=5))
    high = rv_histogram(np.histogram(np.linspace(10, 30, 50), bins=5))
    arm(None)
    make(EvolutionSearchCV, param_distributions={"C": low},
         checkpoint=path).fit(X_IRIS, Y_IRIS)
    arm(None)
    with pytest.raises(CheckpointMismatchError, match="- param_distributions: "):
        make(EvolutionSearchCV, param_distributions={"C": high},
             checkpoint=path).fit(X_IRIS, Y_IRIS)
    assert Interrupting.trigger["n"] == 0


def test_descriptions_are_stable_and_tell_functions_apart():
    from sklearn.preprocessing import FunctionTransformer

    from skhpo._fingerprint import describe

    def f(x):
        return x

    text = describe(FunctionTransformer(func=f))
    assert "0x" not in text and text == describe(FunctionTransformer(func=f))
    assert describe(lambda x: x + 1) != describe(lambda x: x + 2)
    assert describe(Interrupting(C=np.float64(1.0000000001))) != describe(
        Interrupting(C=1.0))


def test_a_checkpoint_needs_folds_that_do_not_change(tmp_path):
    path = tmp_path / "c.jsonl"
    arm(None)
    cv = KFold(3, shuffle=True, random_state=np.random.RandomState(0))
    with pytest.raises(ValueError, match=r"gives different folds on each call to split\(\)"
                                         r", but BayesSearchCV needs the same folds on "
                                         r"every run to resume from a checkpoint"):
        make(BayesSearchCV, cv=cv, checkpoint=path).fit(X_IRIS, Y_IRIS)
    assert Interrupting.trigger["n"] == 0 and not path.exists()
    # the same splitter is fine without a checkpoint
    make(BayesSearchCV, cv=cv).fit(X_IRIS, Y_IRIS)


def test_no_file_before_the_first_completed_batch(tmp_path):
    path = tmp_path / "c.jsonl"
    arm(None)
    with pytest.raises(ValueError, match="refit"):
        make(BayesSearchCV, scoring=["accuracy", "f1_macro"], refit=True,
             checkpoint=path).fit(X_IRIS, Y_IRIS)
    assert not path.exists()
    make(BayesSearchCV, scoring=["accuracy", "f1_macro"], refit="accuracy",
         checkpoint=path).fit(X_IRIS, Y_IRIS)
    assert path.exists()


def test_interrupted_refit_keeps_the_results(tmp_path):
    arm(None)
    total = n_search_fits(make(BayesSearchCV).fit(X_IRIS, Y_IRIS))
    arm(at=total + 1)  # the refit
    search = make(BayesSearchCV)
    with pytest.raises(KeyboardInterrupt):
        search.fit(X_IRIS, Y_IRIS)
    assert len(search.partial_results_["params"]) == 8


def test_a_line_missing_a_field_is_corrupt(tmp_path):
    path = tmp_path / "c.jsonl"
    arm(None)
    make(EvolutionSearchCV, checkpoint=path).fit(X_IRIS, Y_IRIS)
    lines = [ln.decode() for ln in batch_lines(path)]
    arm(None)

    def damaged(change):
        record = json.loads(lines[1])
        change(record)
        path.write_text("\n".join([lines[0], json.dumps(record), *lines[2:]]) + "\n")
        return path

    def no_fit_time(record):
        del record["out"][0]["fit_time"]

    def four_fits(record):
        record["out"] = record["out"][:4]  # 3 candidates

    def one_candidate_of_fits(record):
        record["out"] = record["out"][:3]  # 3 candidates, the fits of one

    for change, message in [
            (no_fit_time, r"line 2 cannot be read .*fit_time"),
            (lambda r: r.update(more_results=[0, 0, 0]),
             r"line 2 cannot be read .*more_results is not a JSON"),
            (four_fits, r"line 2 cannot be read .*not the same number of fits"),
            (one_candidate_of_fits, r"batch 0 holds 3 fits where 9 were expected")]:
        with pytest.raises(ValueError, match=r"is corrupt: " + message):
            make(EvolutionSearchCV, checkpoint=damaged(change)).fit(X_IRIS, Y_IRIS)
    assert Interrupting.trigger["n"] == 0


def test_resuming_with_a_dict_scorer_before_a_rung_that_fails_entirely(tmp_path):
    # the replayed batches, not a live one, tell the resumed search the scorer's keys
    def search(**kw):
        return HyperbandSearchCV(BudgetModel(), {"C": Real(0.1, 10.0)}, resource="budget",
                                 min_resources=1, max_resources=9, n_brackets=1, cv=2,
                                 scoring=dict_scorer, refit="acc", random_state=0, **kw)

    path = tmp_path / "c.jsonl"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        arm(None)
        reference = search().fit(X_IRIS, Y_IRIS)
        arm(19)  # the first fit of the second rung (9 candidates x 2 folds before it)
        with pytest.raises(KeyboardInterrupt):
            search(checkpoint=path).fit(X_IRIS, Y_IRIS)
        arm(None)
        resumed = search(checkpoint=path).fit(X_IRIS, Y_IRIS)
    assert Interrupting.trigger["n"] == 6 + 1  # the failing rung (3 x 2), then the refit
    ra, rb = reference.cv_results_, resumed.cv_results_
    assert ra["params"] == rb["params"]
    for key in ("mean_test_acc", "mean_test_one", "n_resources"):
        np.testing.assert_array_equal(ra[key], rb[key])
    assert resumed.best_params_ == reference.best_params_


def test_functions_inside_estimators_and_closures_are_told_apart():
    from sklearn.preprocessing import FunctionTransformer

    from skhpo._fingerprint import describe

    first, second = {}, {}
    exec("def prep(X):\n    return X", first)
    exec("def prep(X):\n    return -X", second)
    assert describe(FunctionTransformer(first["prep"])) != describe(
        FunctionTransformer(second["prep"]))

    def make_scorer(sign, offset=0.0):
        def scorer(est, X, y):
            return sign * est.score(X, y) + offset
        return scorer

    assert describe(make_scorer(1)) == describe(make_scorer(1))
    assert describe(make_scorer(1)) != describe(make_scorer(-1))
    assert describe(make_scorer(1, 0.5)) != describe(make_scorer(1))

    def recursive(n):
        return 1 if n == 0 else recursive(n - 1)

    assert describe(recursive) == describe(recursive)


def test_what_repr_leaves_out_is_told_apart():
    from sklearn.compose import ColumnTransformer
    from sklearn.metrics import make_scorer
    from sklearn.pipeline import make_pipeline

    from skhpo._fingerprint import describe

    # a make_scorer object by its function's code, not its name alone
    first, second = {}, {}
    exec("def metric(y, p):\n    return (y == p).mean()", first)
    exec("def metric(y, p):\n    return (y != p).mean()", second)
    assert describe(make_scorer(first["metric"])) == describe(make_scorer(first["metric"]))
    assert describe(make_scorer(first["metric"])) != describe(make_scorer(second["metric"]))
    assert describe(make_scorer(first["metric"])) != describe(
        make_scorer(first["metric"], greater_is_better=False))
    # lists and dicts that repr cuts after 30 items: columns 0-39 or 0-38 and 44
    def columns(cols):
        return make_pipeline(ColumnTransformer([("keep", "passthrough", cols)]),
                             LogisticRegression())

    assert describe(columns(list(range(40)))) == describe(columns(list(range(40))))
    assert describe(columns(list(range(40)))) != describe(
        columns(list(range(39)) + [44]))
    weights = {k: 1.0 for k in range(40)}
    assert describe(LogisticRegression(class_weight=weights)) != describe(
        LogisticRegression(class_weight={**weights, 39: 2.0}))


def test_a_checkpoint_of_another_scorer_from_the_same_factory_is_refused(tmp_path):
    def factory(sign):
        def scorer(est, X, y):
            return sign * est.score(X, y)
        return scorer

    path = tmp_path / "c.jsonl"
    arm(None)
    make(HyperbandSearchCV, scoring=factory(1), checkpoint=path).fit(X_IRIS, Y_IRIS)
    arm(None)
    with pytest.raises(CheckpointMismatchError, match=r"- scoring: "):
        make(HyperbandSearchCV, scoring=factory(-1), checkpoint=path).fit(X_IRIS, Y_IRIS)
    assert Interrupting.trigger["n"] == 0


def test_a_checkpoint_path_that_cannot_be_written_is_refused_before_any_fit(tmp_path):
    arm(None)
    missing = tmp_path / "no_such_dir" / "c.jsonl"
    with pytest.raises(ValueError, match=r"^checkpoint='.*c\.jsonl' cannot be created in "
                                         r"'.*no_such_dir': No such file or directory\.$"):
        make(HyperbandSearchCV, checkpoint=missing).fit(X_IRIS, Y_IRIS)
    with pytest.raises(ValueError, match=r"^checkpoint='.*' is a directory; pass a file "
                                         r"path\.$"):
        make(HyperbandSearchCV, checkpoint=tmp_path).fit(X_IRIS, Y_IRIS)
    assert Interrupting.trigger["n"] == 0 and not missing.parent.exists()
    with pytest.raises(ValueError, match=r"^checkpoint='' is not a file path\.$"):
        make(HyperbandSearchCV, checkpoint="").fit(X_IRIS, Y_IRIS)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match=r"^checkpoint='.*fifo' is not a regular file\.$"):
        make(HyperbandSearchCV, checkpoint=fifo).fit(X_IRIS, Y_IRIS)
    assert Interrupting.trigger["n"] == 0


def test_a_checkpoint_behind_a_symbolic_link_is_written_through_it(tmp_path):
    target = tmp_path / "real.jsonl"
    target.touch(mode=0o640)
    os.chmod(target, 0o640)
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    arm(None)
    reference = make(BayesSearchCV, checkpoint=link).fit(X_IRIS, Y_IRIS)
    assert link.is_symlink() and target.stat().st_size > 0
    assert oct(target.stat().st_mode & 0o777) == oct(0o640)
    arm(None)
    again = make(BayesSearchCV, checkpoint=target).fit(X_IRIS, Y_IRIS)
    assert_same_search(again, reference)
    assert Interrupting.trigger["n"] == 1  # replayed: only the refit is fitted


def test_a_new_checkpoint_follows_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        arm(None)
        make(BayesSearchCV, checkpoint=tmp_path / "c.jsonl").fit(X_IRIS, Y_IRIS)
    finally:
        os.umask(old)
    assert oct((tmp_path / "c.jsonl").stat().st_mode & 0o777) == oct(0o640)


@pytest.mark.skipif(sys.platform == "win32", reason="no lock on Windows")
def test_a_checkpoint_in_use_by_another_search_is_refused(tmp_path):
    from skhpo._journal import _Lock

    path = tmp_path / "c.jsonl"
    held = _Lock.acquire(str(path))  # as another running search would
    arm(None)
    with pytest.raises(ValueError, match=r"^checkpoint='.*c\.jsonl' is in use by another "
                                         r"search that is running \(it holds '.*c\.jsonl"
                                         r"\.lock'\); two searches appending"):
        make(EvolutionSearchCV, checkpoint=path).fit(X_IRIS, Y_IRIS)
    assert Interrupting.trigger["n"] == 0 and not path.exists()
    held.release()
    assert not (tmp_path / "c.jsonl.lock").exists()

    # a search holds it while it runs, and lets it go however it ends
    seen = []

    def scorer(est, X, y):
        if not seen:
            with pytest.raises(ValueError, match="is in use by another search"):
                make(EvolutionSearchCV, checkpoint=path).fit(X_IRIS, Y_IRIS)
            seen.append(True)
        return est.score(X, y)

    arm(None)
    make(EvolutionSearchCV, checkpoint=path, scoring=scorer).fit(X_IRIS, Y_IRIS)
    assert seen and not (tmp_path / "c.jsonl.lock").exists()
    arm(at=2)
    with pytest.raises(KeyboardInterrupt):
        make(EvolutionSearchCV, checkpoint=tmp_path / "d.jsonl").fit(X_IRIS, Y_IRIS)
    assert not (tmp_path / "d.jsonl.lock").exists()
