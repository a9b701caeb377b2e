"""Merge multi-fidelity results run with different seeds into one report.

::

    python -m benchmarks.merge benchmarks/results/fidelity-A.json \\
        benchmarks/results/fidelity-B.json [--out DIR]

Each ``fidelity`` result holds whole (problem, seed) groups, random's run included, so
a time-to-quality ratio never mixes two runs: merging only pools the seeds (and
problems) before the medians are taken. The files must agree on everything that could
change a measurement, or the merge is refused with what differs:

- the budget and the methods;
- the machine, the thread settings and every package version;
- the measured code: ``skhpo/``, ``benchmarks/fidelity.py`` and
  ``benchmarks/problems.py`` (where the suite's problems are defined) at the recorded
  commits (checked with ``git diff``), so the files must come from this repository.

Two options pool part of the results when the measured code changed between runs in
a way that leaves some methods as they were (a change to one sampler, say):
``--methods random,halving,...`` keeps only those methods' runs (``random`` is always
needed, as every ratio divides by its time), and ``--code-changed REASON`` pools despite
a change in the measured code. The report then lists the files that changed between
the commits and gives the reason, so the claim that the methods kept are unaffected
stands in the open, next to the figures.

No (problem, seed) may appear twice. The merged ``fidelity-merged-<timestamp>.md`` lists
every source file with its command, date, load average and commit; its ``.json`` holds
the pooled runs in the format :func:`benchmarks.plots.fidelity_figure` reads.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python benchmarks/merge.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import fidelity  # noqa: E402
from benchmarks.report import RESULTS_DIR, versions_text, write  # noqa: E402

MEASURED_CODE = ("skhpo", "benchmarks/fidelity.py", "benchmarks/problems.py")
ROOT = RESULTS_DIR.parent.parent  # the repository


def _budget(raw) -> int:
    """The budget of a fidelity result: recorded, or read back from its command."""
    if "budget" in raw:
        return int(raw["budget"])
    from benchmarks.run import fidelity_budget, parse_args

    words = shlex.split(raw["env"]["command"])
    if words[:3] != ["python", "-m", "benchmarks.run"]:
        raise ValueError(f"cannot read the budget from the command {words!r}")
    return fidelity_budget(parse_args(words[3:]))


def _changed_code(commit_a, commit_b, repo=ROOT) -> list[str]:
    """The measured files that differ between two commits (``git diff``)."""
    if commit_a == commit_b:
        return []
    try:
        out = subprocess.run(["git", "diff", "--name-only", commit_a, commit_b, "--",
                              *MEASURED_CODE], cwd=repo, capture_output=True, text=True)
    except OSError as exc:
        raise ValueError(f"cannot compare commits {commit_a} and {commit_b}: {exc}")
    if out.returncode != 0:
        raise ValueError(f"cannot compare commits {commit_a} and {commit_b}: "
                         f"{out.stderr.strip()}")
    return out.stdout.split()


def check_compatible(named, repo=ROOT, code_changed=None):
    """The common budget of results ``{name: raw}`` and the measured files that changed
    between their commits (allowed only with a ``code_changed`` reason); ``ValueError``
    naming what differs."""
    if len(named) < 2:
        raise ValueError("give at least two result files to merge")
    names = list(named)

    def describe(key, values):
        return f"{key} differs: " + ", ".join(f"{n}: {v!r}" for n, v in values.items())

    facts = {
        "budget": _budget,
        "methods": lambda r: sorted({x["method"] for x in r["runs"]}),
        "machine": lambda r: (r["env"]["platform"], r["env"]["cpu_count"]),
        "thread env": lambda r: r["env"]["thread_env"],
        "versions": lambda r: r["env"]["versions"],
    }
    problems = []
    checked = {}
    for key, get in facts.items():
        values = checked[key] = {n: get(r) for n, r in named.items()}
        if any(v != values[names[0]] for v in values.values()):
            problems.append(describe(key, values))
    commits = {n: r["env"].get("git_commit") for n, r in named.items()}
    changed = {}
    if any(c is None for c in commits.values()):
        problems.append(describe("commit (unknown)", commits))
    else:
        for n in names[1:]:
            files = _changed_code(commits[names[0]], commits[n], repo)
            if files and not code_changed:
                problems.append(f"measured code ({', '.join(MEASURED_CODE)}) differs "
                                f"between {commits[names[0]]} ({names[0]}) and "
                                f"{commits[n]} ({n}); pool only the methods it leaves "
                                f"unchanged with --methods and --code-changed REASON")
            elif files:
                changed[(commits[names[0]], commits[n])] = files
    seen = {}
    for n, r in named.items():
        for key in dict.fromkeys((x["problem"], x["seed"]) for x in r["runs"]):
            if key in seen:
                problems.append(f"problem {key[0]!r} seed {key[1]} is in both "
                                f"{seen[key]} and {n}")
            seen[key] = n
    if problems:
        raise ValueError("cannot merge these results:\n- " + "\n- ".join(problems))
    return checked["budget"][names[0]], changed


def _keep_methods(raw, methods, name):
    present = {x["method"] for x in raw["runs"]}
    missing = [m for m in methods if m not in present]
    if missing:
        raise ValueError(f"{name} has no runs of {missing}")
    return {**raw, "runs": [x for x in raw["runs"] if x["method"] in methods]}


def merge(paths, repo=ROOT, methods=None, code_changed=None):
    """Pool the runs of fidelity result files; return ``(markdown, raw)``.

    ``methods`` keeps only those methods' runs (``"random"`` must be one);
    ``code_changed`` is the reason to pool although the measured code changed."""
    if methods is not None:
        methods = list(dict.fromkeys(methods))
        if "random" not in methods:
            raise ValueError("methods must include 'random': every time-to-quality "
                             "ratio is relative to its run")
    if code_changed is not None and not str(code_changed).strip():
        raise ValueError("code_changed must give the reason for pooling")
    named = {}
    for p in paths:
        name = Path(p).name
        if not name.startswith("fidelity") or not name.endswith(".json"):
            raise ValueError(f"expected a fidelity-*.json result, got {p}")
        named[name] = json.loads(Path(p).read_text())
        if methods is not None:
            named[name] = _keep_methods(named[name], methods, name)
    budget, changed = check_compatible(named, repo, code_changed)
    runs = [x for r in named.values() for x in r["runs"]]
    runs.sort(key=lambda x: (x["problem"], x["seed"]))
    seeds = sorted({x["seed"] for x in runs})
    rows = fidelity.summarise(runs)
    options = "" if methods is None else f" --methods {','.join(methods)}"
    if code_changed is not None:
        options += f" --code-changed {shlex.quote(code_changed)}"
    lines = ["# Multi-fidelity time-to-quality (merged)", "",
             f"- command: `python -m benchmarks.merge {' '.join(named)}{options}`",
             "- sources:"]
    for n, r in named.items():
        env = r["env"]
        lines.append(f"  - `{n}`: `{env['command']}`, date (UTC) {env['date']}, load "
                     f"average at start {env['load_average']}, skhpo commit "
                     f"{env['git_commit']}")
    env = next(iter(named.values()))["env"]
    if methods is not None:
        lines.append(f"- methods kept: {', '.join(methods)}")
    for (a, b), files in changed.items():
        lines.append(f"- measured code changed between {a} and {b}: "
                     f"{', '.join(f'`{f}`' for f in files)}; pooled because: "
                     f"{code_changed}")
    lines += [f"- machine: {env['platform']}, {env['cpu_count']} CPUs",
              f"- versions: {versions_text(env['versions'])}",
              f"- thread env: {env['thread_env']}"]
    md = fidelity.markdown(runs, rows, env, budget, seeds,
                           header="\n".join(lines) + "\n")
    return md, {"runs": runs, "rows": rows, "env": env, "budget": budget,
                "seeds": seeds, "sources": {n: r["env"] for n, r in named.items()},
                "methods": methods, "code_changed": {
                    "reason": code_changed,
                    "files": {f"{a}..{b}": files for (a, b), files in changed.items()},
                } if changed else None}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks.merge",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="+", help="fidelity-*.json result files")
    ap.add_argument("--out", help="results directory (default benchmarks/results)")
    ap.add_argument("--methods", help="comma-separated methods to pool (random always)")
    ap.add_argument("--code-changed", metavar="REASON",
                    help="pool although the measured code changed, for this reason "
                         "(written into the report with the changed files)")
    args = ap.parse_args(argv)
    methods = None if args.methods is None else [
        m.strip() for m in args.methods.split(",") if m.strip()]
    try:
        md, raw = merge(args.paths, methods=methods, code_changed=args.code_changed)
    except ValueError as exc:
        ap.error(str(exc))
    path = write("fidelity", md, raw, args.out, "merged")
    print(f"[merge] {len(raw['runs'])} runs from {len(args.paths)} files -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
