"""The benchmark harness's bookkeeping: pooling fidelity results run with more seeds."""

import json
import re
import shutil
import subprocess

import numpy as np
import pytest

from benchmarks import merge
from benchmarks.fidelity import summarise

ENV = {"command": "python -m benchmarks.run --suite fidelity --seeds 2 --budget 48",
       "date": "2026-01-01T00:00:00+00:00", "platform": "Linux-x", "cpu_count": 2,
       "load_average": [1.0, 1.0, 1.0], "thread_env": {"OMP_NUM_THREADS": "1"},
       "git_commit": "abc1234", "versions": {"skhpo": "0.1.0", "scikit-learn": "1.9.1"}}


def _runs(seeds, problem="hgb-max_iter", hit=0.5):
    """random reaches 0.9 at its end (10 s); hyperband at ``hit * 10`` s, or never."""
    out = []
    for s in seeds:
        out.append({"method": "random", "problem": problem, "seed": s, "seconds": 10.0,
                    "n_rows": 2, "stopped": False, "n_fits": 6,
                    "trace": [(5.0, 0.8), (10.0, 0.9)], "best": 0.9})
        trace = [(hit * 10.0, 0.95)] if hit is not None else [(9.0, 0.85)]
        out.append({"method": "hyperband", "problem": problem, "seed": s, "seconds": 10.0,
                    "n_rows": 9, "stopped": True, "n_fits": 27, "trace": trace,
                    "best": trace[0][1]})
    return out


def _write(path, runs, **env):
    raw = {"runs": runs, "rows": summarise(runs), "env": {**ENV, **env}}
    path.write_text(json.dumps(raw))
    return path


def test_merge_pools_seeds_and_lists_sources(tmp_path):
    a = _write(tmp_path / "fidelity-a.json", _runs([0, 1], hit=0.2))
    b = _write(tmp_path / "fidelity-b.json", _runs([2], hit=None)
               + _runs([0], problem="svc-n_samples", hit=0.4))
    md, raw = merge.merge([a, b])
    assert raw["budget"] == 48 and raw["seeds"] == [0, 1, 2]
    mine = [r["ratio"] for r in raw["rows"] if r["problem"] == "hgb-max_iter"
            and r["method"] == "hyperband"]
    assert sorted(mine) == [0.2, 0.2, np.inf]
    assert "| hyperband | 0.20 | 5.0x | 0.20 | 2/3 |" in md  # median of 3 seeds
    assert "| hyperband | 0.40 |" in md  # problem q, one seed
    assert "`fidelity-a.json`" in md and "`fidelity-b.json`" in md
    assert set(raw["sources"]) == {"fidelity-a.json", "fidelity-b.json"}


def test_budget_read_back_from_the_command(tmp_path):
    assert merge._budget({"env": ENV}) == 48
    assert merge._budget({"env": {**ENV, "command": "python -m benchmarks.run "
                                  "--suite fidelity --seeds 5"}}) == 24
    assert merge._budget({"budget": 12, "env": ENV}) == 12


@pytest.mark.parametrize("change, message", [
    ({"command": ENV["command"].replace("48", "24")}, "budget differs"),
    ({"versions": {"skhpo": "0.1.0", "scikit-learn": "1.5.0"}}, "versions differ"),
    ({"thread_env": {}}, "thread env differs"),
    ({"git_commit": None}, "commit (unknown)"),
])
def test_merge_refuses_different_conditions(tmp_path, change, message):
    a = _write(tmp_path / "fidelity-a.json", _runs([0]))
    b = _write(tmp_path / "fidelity-b.json", _runs([1]), **change)
    with pytest.raises(ValueError, match=re.escape(message)):
        merge.merge([a, b])


def test_merge_refuses_a_seed_twice_one_file_and_other_suites(tmp_path):
    a = _write(tmp_path / "fidelity-a.json", _runs([0, 1]))
    b = _write(tmp_path / "fidelity-b.json", _runs([1, 2]))
    with pytest.raises(ValueError, match="problem 'hgb-max_iter' seed 1 is in both"):
        merge.merge([a, b])
    with pytest.raises(ValueError, match="at least two"):
        merge.merge([a])
    other = _write(tmp_path / "efficiency-a.json", _runs([3]))
    with pytest.raises(ValueError, match="expected a fidelity"):
        merge.merge([a, other])


@pytest.mark.skipif(shutil.which("git") is None, reason="needs the git command")
def test_merge_compares_the_measured_code_between_commits(tmp_path):
    repo = tmp_path / "repo"
    (repo / "skhpo").mkdir(parents=True)
    (repo / "benchmarks").mkdir()

    def commit(path, text):
        (repo / path).write_text(text)
        subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit",
                        "-qm", path], cwd=repo, check=True)
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True,
                              capture_output=True, text=True).stdout.strip()

    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    c1 = commit("skhpo/a.py", "x = 1\n")
    c2 = commit("README.md", "docs only\n")
    c3 = commit("skhpo/a.py", "x = 2\n")
    assert merge._changed_code(c1, c2, repo) == []
    assert merge._changed_code(c2, c3, repo) == ["skhpo/a.py"]
    a = _write(tmp_path / "fidelity-a.json", _runs([0]), git_commit=c1)
    b = _write(tmp_path / "fidelity-b.json", _runs([1]), git_commit=c3)
    with pytest.raises(ValueError, match="measured code .* differs"):
        merge.merge([a, b], repo=repo)
    with pytest.raises(ValueError, match="cannot compare commits"):
        merge._changed_code(c1, "0" * 40, repo)
    # pooling the methods a change leaves alone: only with a reason, which is reported
    # with the changed files; the other methods' runs are left out
    md, raw = merge.merge([a, b], repo=repo, methods=["random"],
                          code_changed="a.py only touches the other method")
    assert {r["method"] for r in raw["runs"]} == {"random"} and raw["seeds"] == [0, 1]
    assert ("measured code changed between " + c1 + " and " + c3 + ": `skhpo/a.py`; "
            "pooled because: a.py only touches the other method") in md
    assert "--methods random --code-changed 'a.py only touches the other method'" in md
    assert raw["code_changed"]["files"] == {f"{c1}..{c3}": ["skhpo/a.py"]}
    with pytest.raises(ValueError, match="--methods and --code-changed"):
        merge.merge([a, b], repo=repo, methods=["random"])


def test_merge_refuses_bad_method_lists_and_empty_reasons(tmp_path):
    a = _write(tmp_path / "fidelity-a.json", _runs([0]))
    b = _write(tmp_path / "fidelity-b.json", _runs([1]))
    md, raw = merge.merge([a, b], methods=["random", "hyperband"])
    assert raw["code_changed"] is None and "methods kept: random, hyperband" in md
    with pytest.raises(ValueError, match="must include 'random'"):
        merge.merge([a, b], methods=["hyperband"])
    with pytest.raises(ValueError, match=r"fidelity-a.json has no runs of \['bayes'\]"):
        merge.merge([a, b], methods=["random", "bayes"])
    with pytest.raises(ValueError, match="must give the reason"):
        merge.merge([a, b], code_changed="  ")


def test_first_seed_extends_an_earlier_run_and_refuses_nonsense(capsys):
    from benchmarks.run import parse_args

    args = parse_args(["--suite", "fidelity", "--seeds", "5", "--first-seed", "5"])
    assert (args.first_seed, args.seeds) == (5, 5)
    for bad in (["--first-seed", "-1"], ["--seeds", "0"]):
        with pytest.raises(SystemExit):
            parse_args(["--suite", "fidelity", *bad])
        assert "--seeds must be >= 1 and --first-seed >= 0" in capsys.readouterr().err


def test_arrivals_shows_when_each_full_score_came():
    from benchmarks import arrivals

    runs = _runs([0], hit=0.5)
    runs[1]["trace"] = [(2.0, 0.85), (5.0, 0.95), (7.0, 0.99)]
    rows = arrivals.arrivals({"runs": runs}, ["hyperband"], first=2)
    assert rows == [("hgb-max_iter", 0, "hyperband", 0.9, [(0.2, 0.85), (0.5, 0.95)],
                     0.5)]
    md = arrivals.markdown(rows, 2)
    assert "| hgb-max_iter | 0 | hyperband | 0.9000 | 0.20: 0.8500 | 0.50: 0.9500 * | 0.50 |" \
        in md
    never = _runs([1], hit=None)
    (row,) = arrivals.arrivals({"runs": never}, first=3)  # default: every method but random
    assert row[2] == "hyperband" and row[5] == np.inf
    assert "| 0.90: 0.8500 |  |  | not reached |" in arrivals.markdown([row], 3)
    with pytest.raises(ValueError, match="first must be >= 1"):
        arrivals.arrivals({"runs": runs}, first=0)
    with pytest.raises(ValueError, match=r"methods \['bayes'\] are not in the results"):
        arrivals.arrivals({"runs": runs}, ["bayes"])
    with pytest.raises(ValueError, match="no random run for hgb-max_iter, seed 0"):
        arrivals.arrivals({"runs": runs[1:]}, ["hyperband"])


def test_median_ci_brackets_the_median_of_seeds():
    from benchmarks import median_ci

    rows = [{"problem": "p", "method": "m", "ratio": r}
            for r in (0.1, 0.2, 0.3, 0.4, np.inf)]
    rows += [{"problem": "p", "method": "same", "ratio": 0.5} for _ in range(4)]
    (p, m, n, med, low, high, share), same = median_ci.median_ci(
        rows, level=0.9, threshold=0.3, n_resamples=2000, seed=0)
    assert (p, m, n, med) == ("p", "m", 5, 0.3)
    assert 0.1 <= low <= med <= high and high in (0.4, np.inf)
    # the median of 5 draws is 0.3 or less when 3 or more are: P(Binomial(5, 0.6) >= 3)
    assert abs(share - 0.68256) < 0.04
    assert same[3:6] == (0.5, 0.5, 0.5) and same[6] == 0.0  # no spread, above 0.3
    again = median_ci.median_ci(rows, level=0.9, threshold=0.3, n_resamples=2000, seed=0)
    assert again == [(p, m, n, med, low, high, share), same]  # seeded
    assert "| p | m | 5 | 0.30 |" in median_ci.markdown([again[0]], 0.9, 0.3)
    assert "not reached" in median_ci.markdown([("p", "m", 1, np.inf, np.inf, np.inf, 0.0)],
                                               0.9, 0.3)
    for bad in (0, 1, 1.5):
        with pytest.raises(ValueError, match="level must be in"):
            median_ci.median_ci(rows, level=bad)
    with pytest.raises(ValueError, match="n_resamples must be an int >= 1"):
        median_ci.median_ci(rows, n_resamples=0)


def test_extremes_counts_the_prefixes_compression_would_change():
    from benchmarks import extremes

    raw = {"runs": [{"scores": [-3000.0, -3001.0, -2999.0, -1e25]},
                    {"scores": [None, -1.0]},
                    {"trace": [[1.0, 0.9], [2.0, 0.95]]}]}
    seqs = extremes.sequences(raw)
    assert len(seqs) == 3 and np.isnan(seqs[1][0])
    # the first 3 prefixes of the first run are alike; with -1e25 it is compressed.
    # [nan] has no finite score; [nan, -1]; and the trace's 2
    assert extremes.count(seqs) == (4 + 1 + 2, 1)
    assert extremes.count([[None, None]]) == (0, 0)
    assert extremes.sequences({"results": []}) == [] == extremes.sequences([])


def test_main_process_times_cholesky_and_a_generation(tmp_path):
    from benchmarks import main_process

    times = main_process.cholesky_seconds(1, size=20, repeats=3)
    assert len(times) == 3 and all(t > 0 for t in times)
    times = main_process.generation_seconds(12, population_size=4, repeats=2)
    assert len(times) == 2 and all(t > 0 for t in times)
    with main_process._Busy(1) as busy:
        assert all(p.is_alive() for p in busy.procs)
    assert not any(p.is_alive() for p in busy.procs)


def test_optimism_benchmark_records_every_estimate_and_summarises(tmp_path):
    import json

    from benchmarks import optimism
    from benchmarks.report import write

    md, raw = optimism.main_run("selection", [0], n_iter=4, problems=["noise-clf"],
                                searches=("bayes", "hyperband", "random"), env=ENV,
                                outer_cv=2, log=lambda *a, **k: None)
    assert raw["problems"] == ["noise-clf"] and raw["seeds"] == [0]
    assert [r["search"] for r in raw["runs"]] == ["bayes", "hyperband", "random"]
    for r in raw["runs"]:
        assert (r["n_train"], r["n_held"]) == (300, 5000)
        assert set(r["optimism"]) == {"tibshirani", "fold_bootstrap"}
        assert all(v >= 0 for v in r["optimism"].values())
        assert len(r["nested_scores"]) == 2 and r["nested"] == np.mean(r["nested_scores"])
        assert 0 <= r["held_out"] <= 1 and len(r["split_scores"]) == r["n_compared"]
        # the skhpo searches' optimism_ is one of the two, recomputed on the same rows
        assert r["optimism_attr"] is None  # no search exposes an optimism_ attribute
    hb = raw["runs"][1]
    assert hb["n_compared"] < hb["n_rows"]  # Hyperband: the best's n_resources only
    rows = {(s["problem"], s["search"]): s for s in raw["summary"]}
    assert set(rows) == {("noise-clf", "bayes"), ("noise-clf", "hyperband"),
                         ("noise-clf", "random"), ("all", "all")}
    pooled = rows[("all", "all")]
    assert pooled["n"] == 3 and raw["lower_mae"] in ("tibshirani", "fold_bootstrap")
    errors = [r["best_score"] - r["optimism"]["tibshirani"] - r["held_out"]
              for r in raw["runs"]]
    assert np.isclose(pooled["mae_tibshirani"], np.mean(np.abs(errors)))
    assert raw["pooled_mae"]["tibshirani"] == pooled["mae_tibshirani"]
    assert "| noise-clf | HyperbandSearchCV |" in md and "| all | all 3 runs |" in md
    path = write("optimism", md, raw, tmp_path, tag="quick")
    assert json.loads(path.with_suffix(".json").read_text())["runs"][0]["seed"] == 0


def test_optimism_benchmark_counts_closer_estimates_and_parses_its_command_line():
    from benchmarks import optimism

    def run(best, tib, fb, nested, held, seed):
        return {"problem": "p", "search": "random", "seed": seed, "best_score": best,
                "held_out": held, "optimism": {"tibshirani": tib, "fold_bootstrap": fb},
                "nested": nested, "fit_seconds": 1.0, "nested_seconds": 3.0}

    runs = [run(0.8, 0.1, 0.0, 0.65, 0.7, 0),   # tibshirani exact, fold_bootstrap ties
            run(0.8, 0.3, 0.05, 0.8, 0.75, 1)]  # tibshirani overshoots, nested ties
    (row, pooled) = optimism.summarise(runs)
    assert row["n"] == pooled["n"] == 2
    assert np.isclose(row["bias_naive"], 0.075) and np.isclose(row["mae_naive"], 0.075)
    assert np.isclose(row["bias_tibshirani"], -0.125)
    assert np.isclose(row["mae_tibshirani"], 0.125)
    assert (row["closer_tibshirani"], row["ties_tibshirani"]) == (1, 0)
    assert (row["closer_fold_bootstrap"], row["ties_fold_bootstrap"]) == (1, 1)
    assert (row["closer_nested"], row["ties_nested"]) == (1, 1)
    assert optimism.choice([row, pooled])[0] == "fold_bootstrap"

    args = optimism.parse_args(["--half", "report", "--quick"])
    assert (args.seeds, args.n_iter, args.problems) == (1, 6, ["noise-reg"])
    args = optimism.parse_args(["--half", "selection", "--seeds", "5"])
    assert (args.seeds, args.first_seed, args.n_iter, args.problems) == (5, 0, 30, None)
    with pytest.raises(SystemExit):
        optimism.parse_args(["--half", "selection", "--problems", "friedman1"])


def test_cluster_quick_mode_measures_every_method(tmp_path):
    joblib = pytest.importorskip("joblib")
    if not hasattr(joblib, "parallel_config"):
        pytest.skip("the cluster suite needs joblib >= 1.3 (parallel_config)")
    from sklearn.base import clone

    from benchmarks import cluster
    from benchmarks import space as sp
    from benchmarks.report import write
    from benchmarks.run import cluster_n_iters, parse_args

    args = parse_args(["--suite", "cluster", "--quick", "--workers-list", "8"])
    assert (args.seeds, args.workers_list, args.cost) == (1, [8], 0.02)
    assert cluster_n_iters(args) == {8: 8}
    args = parse_args(["--suite", "cluster"])
    assert (args.seeds, args.cost) == (5, 2.0)
    assert cluster_n_iters(args) == {8: 64, 16: 64, 64: 128}
    args = parse_args(["--suite", "cluster", "--workers-list", "16,64",
                       "--cluster-n-iter", "64:100"])
    assert cluster_n_iters(args) == {16: 64, 64: 100}
    # the simulated cost: --cost on average over the space, a factor 12.5 across it
    points = sp.sample(cluster.SPACE, 4000, np.random.default_rng(0))
    costs = [cluster.simulated_seconds(p["C"], p["gamma"], p["class_weight"], 2.0)
             for p in points]
    assert abs(np.mean(costs) - 2.0) < 0.1 and max(costs) / min(costs) > 5
    est = clone(cluster.SimulatedSVC(C=3.0, cost=0.5))
    assert est.get_params() == {"C": 3.0, "gamma": 0.01, "class_weight": None, "cost": 0.5}

    md, raw = cluster.main([8], {8: 4}, [0], 0.01, ENV, log=lambda *a, **k: None)
    ran = set(cluster.METHODS) - set(raw["unavailable"])
    assert {r["method"] for r in raw["runs"]} == ran
    assert set(raw["unavailable"]) <= {"optuna-tpe"}
    for r in raw["runs"]:
        assert r["error"] is None, r["error"]
        assert (r["n_candidates"], r["n_fits"], len(r["trace"])) == (4, 20, 4)
        assert 0 < r["utilisation"] <= 1 + 1e-9  # never more than 8 fits at a time
        assert np.isclose(r["best"], max(s for _, s in r["trace"]))
        assert all(0 < t <= r["wall"] for t, _ in r["trace"])
    rand = next(r for r in raw["runs"] if r["method"] == "random")
    assert rand["wall_ratio"] == 1 and rand["ratio_to_random_best"] <= 1
    assert "| RandomizedSearchCV (reference) |" in md and "## 8 workers, 4 candidates" in md
    path = write("cluster", md, raw, tmp_path, tag="quick")
    assert json.loads(path.with_suffix(".json").read_text())["workers"] == [8]
