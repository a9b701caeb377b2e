"""Command-line entry point of the benchmark harness.

Examples
--------
::

    python -m benchmarks.run --suite efficiency --seeds 3
    python -m benchmarks.run --suite overhead
    python -m benchmarks.run --suite parallel
    python -m benchmarks.run --suite fidelity --seeds 3
    python -m benchmarks.run --suite distributed --workers 2
    python -m benchmarks.run --suite cluster --seeds 5
    python -m benchmarks.run --suite cluster --seeds 1 --workers-list 16 --cost 0.5
    python -m benchmarks.run --suite all --quick

Each suite writes ``benchmarks/results/<suite>[-quick]-<timestamp>.md`` (the
table plus the command, date and versions) and a ``.json`` with the raw
measurements.  The exit status is 1 if any method failed.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python benchmarks/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import (cluster, distributed, efficiency, fidelity,  # noqa: E402
                        overhead, parallel)
from benchmarks.methods import DEFAULT_METHODS, METHODS  # noqa: E402
from benchmarks.problems import PROBLEMS, default_problems  # noqa: E402
from benchmarks.report import environment, write  # noqa: E402

SUITES = ("efficiency", "overhead", "parallel", "fidelity", "distributed", "cluster")


def _csv(text):
    return [t for t in text.split(",") if t]


def _positive_ints(text):
    try:
        values = [int(t) for t in _csv(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma list of integers: {text!r}")
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected integers >= 1: {text!r}")
    return values


def _n_iter_spec(text):
    """``N`` (every worker count) or ``W:N,W:N``: ``{W: N}``, ``{None: N}`` for all."""
    try:
        if ":" not in text:
            spec = {None: int(text)}
        else:
            spec = {int(w): int(n) for w, n in (p.split(":") for p in _csv(text))}
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected N or W:N,W:N...: {text!r}")
    if not spec or min(spec.values()) < 1:
        raise argparse.ArgumentTypeError(f"candidates must be >= 1: {text!r}")
    return spec


def cluster_n_iters(args):
    """Candidates per run of the cluster suite for each of ``args.workers_list``."""
    spec = args.cluster_n_iter or {}
    return {w: spec.get(w, spec.get(None, cluster.default_n_iter(w, args.quick)))
            for w in args.workers_list}


def fidelity_budget(args):
    """Full-fidelity evaluations per fidelity run for parsed ``args``."""
    return args.budget or (4 if args.quick else 24)


def parse_args(argv=None):
    """Parse the command line (``--quick`` fills in small defaults)."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--suite", choices=SUITES + ("all",), default="efficiency")
    ap.add_argument("--quick", action="store_true",
                    help="smoke mode: 2 problems, 1 seed, budget 8, small "
                         "overhead, parallel and cluster runs")
    g = ap.add_argument_group("efficiency")
    g.add_argument("--seeds", type=int,
                   help="number of seeds, first..first+N-1 (default 3; cluster: 5)")
    g.add_argument("--first-seed", type=int, default=0,
                   help="first seed (default 0): more seeds for an earlier run")
    g.add_argument("--budget", type=int,
                   help="evaluations per run (default 40; fidelity: 24 full-fidelity "
                        "evaluations)")
    g.add_argument("--methods", type=_csv,
                   help=f"comma list from {sorted(METHODS)} "
                        f"(default {','.join(DEFAULT_METHODS)})")
    g.add_argument("--problems", type=_csv,
                   help=f"comma list from {sorted(PROBLEMS['efficiency'])} "
                        "(default all)")
    g.add_argument("--n-jobs", type=int, default=1,
                   help="n_jobs given to every method (default 1)")
    g = ap.add_argument_group("overhead")
    g.add_argument("--sizes", type=lambda s: [int(x) for x in _csv(s)],
                   help="observation counts (default 50,200,500)")
    g.add_argument("--repeats", type=int, help="timed suggestions (default 5)")
    g.add_argument("--skopt-repeats", type=int,
                   help="timed suggestions for skopt (default 3)")
    g.add_argument("--optimizers", type=_csv,
                   help=f"comma list from {list(overhead.ADAPTERS)} (default all)")
    g = ap.add_argument_group("parallel")
    g.add_argument("--n-iter", type=int, help="candidates (default 24)")
    g.add_argument("--n-samples", type=int, help="dataset rows (default 4000)")
    g = ap.add_argument_group("distributed (also uses --n-iter and --n-samples)")
    g.add_argument("--workers", type=int, default=2,
                   help="dask worker processes (default 2)")
    g = ap.add_argument_group("cluster (also uses --seeds and --first-seed)")
    g.add_argument("--workers-list", type=_positive_ints,
                   help="simulated worker counts, comma list (default 8,16,64)")
    g.add_argument("--cluster-n-iter", type=_n_iter_spec, metavar="N|W:N,...",
                   help="candidates per run, for every worker count or per worker count "
                        "(default 64 below 64 workers, 128 from 64; quick: 8 and 12)")
    g.add_argument("--cost", type=float,
                   help="mean simulated seconds per fit (default 2.0; quick: 0.02)")
    ap.add_argument("--out", help="results directory (default benchmarks/results)")
    args = ap.parse_args(argv)

    q = args.quick
    # the fidelity suite's problems and methods with --suite fidelity; the efficiency
    # suite's otherwise (--suite all runs the fidelity suite on its defaults)
    suite = "fidelity" if args.suite == "fidelity" else "efficiency"
    defaults = {
        "seeds": 1 if q else (5 if args.suite == "cluster" else 3),
        "methods": list(fidelity.METHODS if suite == "fidelity" else cluster.METHODS
                        if args.suite == "cluster" else DEFAULT_METHODS),
        "problems": default_problems(suite, q),
        "sizes": [20, 50] if q else [50, 200, 500],
        "repeats": 2 if q else 5, "skopt_repeats": 2 if q else 3,
        "optimizers": list(overhead.ADAPTERS),
        "n_iter": 4 if q else 24, "n_samples": 1000 if q else 4000,
        "workers_list": [8, 16, 64], "cost": 0.02 if q else 2.0,
    }
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    known_methods = (fidelity.METHODS if suite == "fidelity" else cluster.METHODS
                     if args.suite == "cluster" else METHODS)
    unknown = (set(args.methods) - set(known_methods)
               | set(args.problems) - set(PROBLEMS[suite]))
    if unknown:
        ap.error(f"unknown method/problem: {sorted(unknown)}")
    if args.seeds < 1 or args.first_seed < 0:
        ap.error("--seeds must be >= 1 and --first-seed >= 0")
    if args.cost < 0:
        ap.error("--cost must be >= 0")
    return args


def main(argv=None):
    """Run the selected suite(s); return the process exit status."""
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    prog = "python -m benchmarks.run" if __package__ else f"python {sys.argv[0]}"
    command = f"{prog} {shlex.join(argv)}".strip()
    suites = SUITES if args.suite == "all" else (args.suite,)
    tag = "quick" if args.quick else ""
    failed = False
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    for suite in suites:
        env = environment(command)
        start = time.perf_counter()
        if suite == "efficiency":
            budget = args.budget or (8 if args.quick else 40)
            md, raw = efficiency.main(args.problems, args.methods,
                                      seeds, budget,
                                      args.n_jobs, env)
            failed |= any(r["error"] for r in raw["runs"])
        elif suite == "fidelity":
            budget = fidelity_budget(args)
            problems = (args.problems if args.suite == "fidelity"
                        else default_problems("fidelity", args.quick))
            methods = args.methods if args.suite == "fidelity" else list(fidelity.METHODS)
            md, raw = fidelity.main(problems, methods, seeds, budget, env)
        elif suite == "cluster":
            methods = (args.methods if args.suite == "cluster"
                       else list(cluster.METHODS))
            md, raw = cluster.main(args.workers_list, cluster_n_iters(args), seeds,
                                   args.cost, env, methods=methods)
            failed |= any(r["error"] for r in raw["runs"])
        elif suite == "distributed":
            md, raw = distributed.main(args.workers, args.n_iter, args.n_samples, env)
        elif suite == "overhead":
            md, raw = overhead.main(args.sizes, args.repeats, args.skopt_repeats,
                                    args.optimizers, env)
            failed |= any("error" in r for r in raw["results"])
        else:
            md, raw = parallel.main(args.n_iter, args.n_samples,
                                    ("skhpo", "random"), env)
            failed |= any("error" in r for r in raw["results"])
        seconds = time.perf_counter() - start
        md += f"\nSuite wall time: {seconds:.0f} s.\n"
        raw["suite_seconds"] = seconds
        path = write(suite, md, raw, args.out, tag)
        print(f"[{suite}] {seconds:.0f} s -> {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
