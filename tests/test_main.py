import pytest

from skhpo.__main__ import main


def test_main_job_prints_the_result_table(capsys):
    main(["--n-iter", "4"])
    out = capsys.readouterr().out
    assert "Best candidates of BayesSearchCV" in out
    assert "best_params_: {'svc__C':" in out
    names = ["BayesSearchCV", "RandomizedSearchCV", "HyperbandSearchCV"]
    rows = [ln.split() for ln in out.splitlines() if ln.split()[:1] and ln.split()[0] in names]
    assert [r[0] for r in rows] == names
    assert all(0.5 < float(r[1]) <= 1.0 and 0.5 < float(r[2]) <= 1.0 for r in rows)


@pytest.mark.parametrize("argv, message", [
    (["--n-iter", "0"], "argument --n-iter: must be an integer >= 1, got 0"),
    (["--n-iter", "many"], "argument --n-iter: invalid int value: 'many'"),
    (["--n-jobs", "0"], "argument --n-jobs: must be a non-zero integer (-1: every core)"),
    (["--random-state", "-1"],
     "argument --random-state: must be an integer from 0 to 4294967295, got -1"),
])
def test_bad_options_are_refused_by_the_parser(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
