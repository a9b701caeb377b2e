"""Checkpoint journals: every completed batch of a search, durably on disk.

A checkpoint is a JSON-lines file (UTF-8, one JSON object per line):

- line 1, the **header**: ``{"format": "skhpo-checkpoint", "version": 1, "search":
  <class name>, "seed": <int>, "fingerprint": {...}}``. The fingerprint describes what a
  resumed search must match: the estimator, the search space, the scoring, the search's
  other settings, the CV splits and the data (hashes of ``X``, ``y`` and the fit
  parameters). ``seed`` is the seed the search's strategy uses (``random_state`` when it
  is an int; drawn once and kept otherwise, so that a resumed search proposes the same
  candidates).
- one line per completed **batch** (one parallel ``evaluate_candidates`` call):
  ``{"batch": i, "params": [repr, ...], "points": [[unit coordinates], ...],
  "more_results": {column: [...]}, "out": [per candidate x split: test scores, train
  scores, n_test_samples, fit_time, score_time, fit_error]}``.

A batch line is written with one ``write``, flushed and ``fsync``-ed as soon as the batch
completes. A process killed mid-write can leave a truncated last line: it is dropped
(that batch is evaluated again) and cut from the file. Any other malformed line is an
error; nothing is ever silently mixed.
"""

from __future__ import annotations

import json
import os
import tempfile
from numbers import Integral, Real

import joblib
import numpy as np

FORMAT = "skhpo-checkpoint"
VERSION = 1

#: what the fingerprint's entries mean, for error messages
_WHAT = {
    "search": "the search class",
    "estimator": "the estimator",
    "space": "param_distributions",
    "scoring": "scoring",
    "settings": "the search's settings",
    "cv": "the cross-validation splits",
    "X": "the data X",
    "y": "the target y",
    "fit_params": "the fit parameters",
}


def describe(obj) -> str:
    """A stable text for ``obj``: functions by qualified name, others by ``repr``."""
    if hasattr(obj, "get_params"):
        try:  # scikit-learn estimators: the whole repr, never abbreviated
            return obj.__repr__(N_CHAR_MAX=10**9)
        except TypeError:
            return repr(obj)
    if callable(obj) and hasattr(obj, "__qualname__"):
        return f"{getattr(obj, '__module__', '?')}.{obj.__qualname__}"
    if isinstance(obj, dict):
        return "{" + ", ".join(f"{k!r}: {describe(v)}" for k, v in obj.items()) + "}"
    if isinstance(obj, (list, tuple)):
        inner = ", ".join(describe(v) for v in obj)
        return f"[{inner}]" if isinstance(obj, list) else f"({inner})"
    return repr(obj)


def data_hash(obj) -> str:
    return joblib.hash(obj)


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (Integral, np.integer)):
        return int(value)
    if isinstance(value, (Real, np.floating)):
        return float(value)
    if value is None or isinstance(value, str):
        return value
    return str(value)


class CheckpointMismatchError(ValueError):
    """The checkpoint was written by a different search."""


class Journal:
    """An open checkpoint: the batches to replay, then new batches appended.

    Use :meth:`open`; then, for each batch of the search, :meth:`next_record` (a batch
    to replay, or ``None``) and :meth:`append` for a batch evaluated anew.
    """

    def __init__(self, path, seed: int, records: list, n_bytes: int):
        self.path = os.fspath(path)
        self.seed = seed
        self._records = records
        self._replayed = 0
        self._n_batches = 0  # batches replayed or appended during this fit
        self._n_bytes = n_bytes

    # -- opening -----------------------------------------------------------------------

    @classmethod
    def open(cls, path, search: str, fingerprint: dict, seed: int) -> Journal:
        """Open (or create) the checkpoint at ``path`` for the search described."""
        path = os.fspath(path)
        if not os.path.exists(path) or os.path.getsize(path) == 0:
            header = {"format": FORMAT, "version": VERSION, "search": search,
                      "seed": int(seed), "fingerprint": fingerprint}
            data = (json.dumps(header) + "\n").encode()
            _atomic_write(path, data)
            return cls(path, int(seed), [], len(data))
        with open(path, "rb") as f:
            raw = f.read()
        header, records, good_bytes = _parse(path, raw)
        if header.get("format") != FORMAT or header.get("version") != VERSION:
            raise ValueError(
                f"checkpoint={path!r} is not an skhpo checkpoint (version {VERSION}): "
                f"its first line is {raw.splitlines()[0][:200]!r}."
            )
        theirs = {"search": header.get("search"), **header.get("fingerprint", {})}
        ours = {"search": search, **fingerprint}
        differ = [k for k in ours if theirs.get(k) != ours[k]]
        if differ:
            lines = []
            for k in differ:
                if k in ("cv", "X", "y", "fit_params"):
                    lines.append(f"- {_WHAT.get(k, k)} differ (hash {theirs.get(k)} in "
                                 f"the checkpoint, {ours[k]} now)")
                else:
                    lines.append(f"- {_WHAT.get(k, k)}: {theirs.get(k)} in the "
                                 f"checkpoint, {ours[k]} now")
            raise CheckpointMismatchError(
                f"checkpoint={path!r} was written by a different search; refusing to "
                "mix their results. What differs:\n" + "\n".join(lines)
                + "\nUse another checkpoint path, or delete this file to start afresh."
            )
        if good_bytes < len(raw):
            # a batch line cut short by a crash: drop it, it is evaluated again
            with open(path, "r+b") as f:
                f.truncate(good_bytes)
                f.flush()
                os.fsync(f.fileno())
        return cls(path, int(header["seed"]), records, good_bytes)

    # -- replay ------------------------------------------------------------------------

    @property
    def n_records(self) -> int:
        return len(self._records)

    def next_record(self) -> dict | None:
        """The next completed batch to replay, ``None`` once all have been."""
        if self._replayed >= len(self._records):
            return None
        rec = self._records[self._replayed]
        self._replayed += 1
        self._n_batches += 1
        return rec

    def check_batch(self, record: dict, points: np.ndarray, more_results: dict) -> None:
        """Refuse a replayed batch that is not the batch the search proposes now."""
        theirs = np.asarray(record["points"], dtype=float)
        same = theirs.shape == points.shape and np.allclose(theirs, points, atol=1e-9)
        if same:
            mine = _jsonable(more_results)
            same = all(record["more_results"].get(k) == v for k, v in mine.items())
        if not same:
            raise CheckpointMismatchError(
                f"checkpoint={self.path!r}: batch {record['batch']} holds candidates "
                f"{record['params']}, but the search now proposes others. The checkpoint "
                "comes from a different search (or a different version of skhpo); use "
                "another checkpoint path, or delete this file to start afresh."
            )

    # -- appending ---------------------------------------------------------------------

    def append(self, params: list, points: np.ndarray, more_results: dict,
               out: list) -> None:
        """Durably record one completed batch."""
        record = {
            "batch": self._n_batches,
            "params": [describe(p) for p in params],
            "points": _jsonable(np.asarray(points)),
            "more_results": _jsonable(more_results),
            "out": [_jsonable({k: v for k, v in o.items() if k != "parameters"})
                    for o in out],
        }
        line = (json.dumps(record, allow_nan=True) + "\n").encode()
        with open(self.path, "ab") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())
        self._n_bytes += len(line)
        self._n_batches += 1


def _atomic_write(path: str, data: bytes) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".skhpo-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _parse(path: str, raw: bytes):
    """Header, batch records and the byte length of the well-formed prefix."""
    lines = raw.split(b"\n")
    # raw ends with "\n" when the last line is complete: the final element is b""
    complete, tail = lines[:-1], lines[-1]
    records, offset, header = [], 0, None
    for i, line in enumerate(complete):
        try:
            obj = json.loads(line.decode())
            if i > 0:
                _check_record(obj, len(records))
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            is_last = i == len(complete) - 1 and not tail
            if i > 0 and is_last:
                break  # the last line, cut short: redo that batch
            what = "header" if i == 0 else "line"
            raise ValueError(
                f"checkpoint={path!r} is corrupt: {what} {i + 1} cannot be read ({exc}). "
                "Only a truncated last line is tolerated; delete the file to start "
                "afresh."
            ) from None
        if i == 0:
            if not isinstance(obj, dict):
                raise ValueError(f"checkpoint={path!r} is corrupt: its header is not a "
                                 "JSON object.")
            header = obj
        else:
            records.append(obj)
        offset += len(line) + 1
    if header is None:
        raise ValueError(f"checkpoint={path!r} is corrupt: it has no complete header line.")
    return header, records, offset


def _check_record(obj, expected_batch):
    if not isinstance(obj, dict):
        raise TypeError("not a JSON object")
    for key in ("batch", "params", "points", "more_results", "out"):
        if key not in obj:
            raise KeyError(f"missing {key!r}")
    if obj["batch"] != expected_batch:
        raise ValueError(f"batch {obj['batch']} where batch {expected_batch} was expected")
    if not isinstance(obj["out"], list) or not obj["out"]:
        raise ValueError("no results")
    if any(not isinstance(o, dict) or "test_scores" not in o for o in obj["out"]):
        raise ValueError("malformed results")
    scores = [o["test_scores"] for o in obj["out"]]
    for s in scores:
        values = s.values() if isinstance(s, dict) else [s]
        if any(not isinstance(v, (int, float)) or isinstance(v, bool) for v in values):
            raise ValueError("non-numeric score")
