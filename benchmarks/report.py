"""Writing results: a markdown report and the raw JSON next to it."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import subprocess
from pathlib import Path

from benchmarks._peers import versions

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _git_commit():
    """Commit of the working tree the harness runs from, if any (read-only)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=RESULTS_DIR.parent,
            capture_output=True, text=True, timeout=10)
        return out.stdout.strip() if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def environment(command: str) -> dict:
    """Command, date, machine and package versions recorded with a result."""
    threads = {k: os.environ[k] for k in
               ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
               if k in os.environ}
    return {
        "command": command,
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "thread_env": threads,
        "git_commit": _git_commit(),
        "versions": versions(),
    }


def table(header, rows) -> str:
    """A markdown table from a header and rows of already-formatted cells."""
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def fmt(x, spec=".4f") -> str:
    """Format a number, showing missing or non-finite values as '-'."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return format(x, spec)


def _jsonable(obj):
    """Replace non-finite floats by None so the JSON is standard."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return obj


def versions_text(versions: dict) -> str:
    """``"name version, ..."`` of the installed packages among ``versions``."""
    return ", ".join(f"{k} {v}" for k, v in versions.items() if v is not None)


def header_md(title: str, env: dict) -> str:
    """Markdown preamble with everything needed to reproduce a run."""
    vers = versions_text(env["versions"])
    lines = [
        f"# {title}", "",
        f"- command: `{env['command']}`",
        f"- date (UTC): {env['date']}",
        f"- machine: {env['platform']}, {env['cpu_count']} CPUs, load "
        f"average at start {env['load_average']} (1, 5, 15 min)",
        f"- versions: {vers}",
    ]
    if env["git_commit"]:
        lines.append(f"- skhpo commit: {env['git_commit']}")
    if env["thread_env"]:
        lines.append(f"- thread env: {env['thread_env']}")
    return "\n".join(lines) + "\n"


def write(suite: str, markdown: str, raw: dict, out_dir=None, tag="") -> Path:
    """Write ``<suite>[-tag]-<timestamp>.md`` and ``.json``; return the .md path."""
    out_dir = Path(out_dir) if out_dir else RESULTS_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    stem = "-".join(p for p in (suite, tag, stamp) if p)
    md_path = out_dir / f"{stem}.md"
    md_path.write_text(markdown)
    (out_dir / f"{stem}.json").write_text(
        json.dumps(_jsonable(raw), indent=1, default=str) + "\n")
    return md_path
