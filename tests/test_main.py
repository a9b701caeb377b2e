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
