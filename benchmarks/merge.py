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
- the measured code: ``skhpo/`` and ``benchmarks/fidelity.py`` at the recorded commits
  (checked with ``git diff``), so the files must come from this repository.

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

MEASURED_CODE = ("skhpo", "benchmarks/fidelity.py")
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


def _same_code(commit_a, commit_b, repo=ROOT) -> bool:
    """Whether the measured code is identical at two commits (``git diff``)."""
    if commit_a == commit_b:
        return True
    try:
        out = subprocess.run(["git", "diff", "--quiet", commit_a, commit_b, "--",
                              *MEASURED_CODE], cwd=repo, capture_output=True, text=True)
    except OSError as exc:
        raise ValueError(f"cannot compare commits {commit_a} and {commit_b}: {exc}")
    if out.returncode not in (0, 1):
        raise ValueError(f"cannot compare commits {commit_a} and {commit_b}: "
                         f"{out.stderr.strip()}")
    return out.returncode == 0


def check_compatible(named, repo=ROOT):
    """The common budget of results ``{name: raw}``; ``ValueError`` naming what differs."""
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
    if any(c is None for c in commits.values()):
        problems.append(describe("commit (unknown)", commits))
    else:
        for n in names[1:]:
            if not _same_code(commits[names[0]], commits[n], repo):
                problems.append(f"measured code ({', '.join(MEASURED_CODE)}) differs "
                                f"between {commits[names[0]]} ({names[0]}) and "
                                f"{commits[n]} ({n})")
    seen = {}
    for n, r in named.items():
        for key in dict.fromkeys((x["problem"], x["seed"]) for x in r["runs"]):
            if key in seen:
                problems.append(f"problem {key[0]!r} seed {key[1]} is in both "
                                f"{seen[key]} and {n}")
            seen[key] = n
    if problems:
        raise ValueError("cannot merge these results:\n- " + "\n- ".join(problems))
    return checked["budget"][names[0]]


def merge(paths, repo=ROOT):
    """Pool the runs of fidelity result files; return ``(markdown, raw)``."""
    named = {}
    for p in paths:
        name = Path(p).name
        if not name.startswith("fidelity") or not name.endswith(".json"):
            raise ValueError(f"expected a fidelity-*.json result, got {p}")
        named[name] = json.loads(Path(p).read_text())
    budget = check_compatible(named, repo)
    runs = [x for r in named.values() for x in r["runs"]]
    runs.sort(key=lambda x: (x["problem"], x["seed"]))
    seeds = sorted({x["seed"] for x in runs})
    rows = fidelity.summarise(runs)
    lines = ["# Multi-fidelity time-to-quality (merged)", "",
             f"- command: `python -m benchmarks.merge {' '.join(named)}`",
             "- sources:"]
    for n, r in named.items():
        env = r["env"]
        lines.append(f"  - `{n}`: `{env['command']}`, date (UTC) {env['date']}, load "
                     f"average at start {env['load_average']}, skhpo commit "
                     f"{env['git_commit']}")
    env = next(iter(named.values()))["env"]
    lines += [f"- machine: {env['platform']}, {env['cpu_count']} CPUs",
              f"- versions: {versions_text(env['versions'])}",
              f"- thread env: {env['thread_env']}"]
    md = fidelity.markdown(runs, rows, env, budget, seeds,
                           header="\n".join(lines) + "\n")
    return md, {"runs": runs, "rows": rows, "env": env, "budget": budget,
                "seeds": seeds, "sources": {n: r["env"] for n, r in named.items()}}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks.merge",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="+", help="fidelity-*.json result files")
    ap.add_argument("--out", help="results directory (default benchmarks/results)")
    args = ap.parse_args(argv)
    try:
        md, raw = merge(args.paths)
    except ValueError as exc:
        ap.error(str(exc))
    path = write("fidelity", md, raw, args.out, "merged")
    print(f"[merge] {len(raw['runs'])} runs from {len(args.paths)} files -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
