from skhpo.__main__ import main


def test_main_job_prints_the_result_table(capsys):
    main(["--n-iter", "4"])
    out = capsys.readouterr().out
    assert "Best candidates of BayesSearchCV" in out
    assert "best_params_: {'svc__C':" in out
    rows = [ln.split() for ln in out.splitlines() if ln.startswith(("BayesSearchCV ", "RandomizedSearchCV "))]
    assert [r[0] for r in rows] == ["BayesSearchCV", "RandomizedSearchCV"]
    assert all(0.5 < float(r[1]) <= 1.0 and 0.5 < float(r[2]) <= 1.0 for r in rows)
