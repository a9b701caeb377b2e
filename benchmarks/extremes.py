"""Would BayesOptimizer's compression of extreme losses have changed a published run?

``BayesOptimizer`` compresses its losses with a signed logarithm when their range is
extreme (``_compress_extremes`` in ``skhpo/strategies/_bayes.py``; a diverged fit
scoring -1e25 among scores near -3000, say). This reads the score sequences stored in
the results files — every run's scores in evaluation order (``efficiency-*.json``) and
every run's full-fidelity trace (``fidelity-*.json``) — and checks each prefix of each
sequence (what an optimiser that had seen those scores would model, failures imputed
with the worst loss as in ``BayesOptimizer``): how many prefixes there are, and how many
the compression changes::

    python -m benchmarks.extremes benchmarks/results/*.json

Prints one line per file with sequences, then the total; writes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from skhpo.strategies._bayes import _compress_extremes  # noqa: E402


def sequences(raw) -> list:
    """The score sequences of a results file (``[]`` for a file that stores none)."""
    out = []
    for run in raw.get("runs", []) if isinstance(raw, dict) else []:
        if isinstance(run.get("scores"), list):
            out.append([np.nan if s is None else float(s) for s in run["scores"]])
        elif isinstance(run.get("trace"), list):
            out.append([float(s) for _, s in run["trace"]])
    return out


def count(seqs) -> tuple[int, int]:
    """(prefixes with at least one finite score, prefixes the compression changes)."""
    n_prefixes = n_changed = 0
    for seq in seqs:
        losses = -np.asarray(seq, dtype=float)
        for k in range(1, len(losses) + 1):
            prefix = losses[:k].copy()
            ok = np.isfinite(prefix)
            if not ok.any():
                continue
            prefix[~ok] = prefix[ok].max()  # failures imputed with the worst loss
            n_prefixes += 1
            n_changed += _compress_extremes(prefix) is not prefix
    return n_prefixes, n_changed


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks.extremes",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+", help="results files (*.json)")
    args = ap.parse_args(argv)
    total = changed = 0
    for path in args.paths:
        seqs = sequences(json.loads(Path(path).read_text()))
        if not seqs:
            continue
        n, c = count(seqs)
        total, changed = total + n, changed + c
        print(f"{Path(path).name}: {len(seqs)} sequences, {n} prefixes, {c} compressed")
    print(f"total: {total} prefixes, {changed} compressed")


if __name__ == "__main__":
    main()
