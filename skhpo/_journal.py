"""Checkpoint journals: every completed candidate and batch of a search, on disk.

A checkpoint is a JSON-lines file (UTF-8, one JSON object per line):

- line 1, the **header**: ``{"format": "skhpo-checkpoint", "version": 2, "search":
  <class name>, "seed": <int>, "fingerprint": {...}}``. The fingerprint describes what a
  resumed search must match: the estimator, the search space, the scoring, the search's
  other settings, the CV splits and the data (hashes of ``X``, ``y`` and the fit
  parameters); ``"details"`` breaks the search's settings down, one by one, for error
  messages. ``seed`` is what the search's strategy is seeded with: ``random_state``
  when it is an int, otherwise the state of its generator when the search started, so
  that a resumed search proposes the same candidates.
- one line per completed **batch** (one parallel ``evaluate_candidates`` call):
  ``{"batch": i, "params": [repr, ...], "points": [[unit coordinates], ...],
  "more_results": {column: [...]}, "out": [per candidate x split: test scores, train
  scores, n_test_samples, fit_time, score_time, fit_error]}``.
- before it, one **part** line per candidate of the batch whose every split is done
  (the last excepted, which the batch line follows): the same fields for that
  candidate alone, and ``"part": j``, its index in the batch. Once the batch line is
  written they are redundant; after an interruption, the parts of the batch that did
  not complete are replayed, and only its other candidates are evaluated.

The file is created with its first line after the header (header and line written to
a temporary file and renamed into place, both fsync-ed if the line is a batch line).
Every later line is appended with
one ``write`` and flushed as soon as its candidate or batch completes, and a batch line
is ``fsync``-ed (which makes the part lines before it durable too). A
process killed mid-write can leave a truncated last line: it is dropped (what it
held is evaluated again) and cut from the file. Any other malformed line is an error;
nothing is ever silently mixed.

A search holds a lock on its checkpoint for the length of its ``fit``, and refuses,
with :class:`CheckpointMismatchError`, a checkpoint whose fingerprint (see
:mod:`skhpo._fingerprint`) is not its own.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from numbers import Integral, Real

import numpy as np

try:
    import fcntl
except ImportError:  # Windows: no lock
    fcntl = None

from ._fingerprint import describe

FORMAT = "skhpo-checkpoint"
VERSION = 2  # 2: part lines; a version-1 file (batch lines only) reads the same
_READABLE = (1, 2)

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
    to replay, or ``None``), then :meth:`take_part` (the candidates done of a batch an
    interruption cut short, or ``None``), :meth:`append_part` for each candidate of a
    batch under way as it completes, and :meth:`append` for the batch once complete.
    """

    def __init__(self, path, seed, records: list, header: bytes | None = None,
                 part: dict | None = None, dispatch: str | None = None):
        self.path = os.fspath(path)
        self._file = os.path.realpath(self.path)  # what a symbolic link points to
        self.seed = seed
        self._records = records
        self._part = part  # the completed candidates of an interrupted batch
        self._replayed = 0
        self._n_batches = 0  # batches replayed or appended during this fit
        self._header = header  # still to be written with the first line
        self._unsynced_file = False  # created without fsync (by a part line)
        self._dispatch = dispatch

    def settle_dispatch(self, mode: str) -> str:
        """How the search hands out its candidates, ``"batches"`` or ``"async"``: as
        the search that began this checkpoint did (a resumed search goes on as it
        began, whatever its workers now), or ``mode`` for a new checkpoint."""
        if self._header is None:  # read from an existing file
            return self._dispatch or "batches"
        header = json.loads(self._header)
        header["dispatch"] = self._dispatch = mode
        self._header = (json.dumps(header) + "\n").encode()
        return mode

    # -- opening -----------------------------------------------------------------------

    @classmethod
    def open(cls, path, search: str, fingerprint: dict, seed,
             details: dict | None = None) -> Journal:
        """Open the checkpoint at ``path`` for the search described (created with its
        first line after the header, a candidate's or a batch's, if it does not exist).
        ``details`` (kept in the header, not compared) break fingerprint entries down
        for error messages."""
        path = os.fspath(path)
        _check_writable(path)
        lock = _Lock.acquire(path)
        try:
            journal = cls._open(path, search, fingerprint, seed, details or {})
        except BaseException:
            lock.release()
            raise
        journal._lock = lock
        return journal

    def close(self) -> None:
        """Let other processes use the checkpoint."""
        lock, self._lock = getattr(self, "_lock", None), None
        if lock is not None:
            lock.release()

    @classmethod
    def _open(cls, path, search, fingerprint, seed, details) -> Journal:
        if not os.path.exists(path) or os.path.getsize(path) == 0:
            header = {"format": FORMAT, "version": VERSION, "search": search,
                      "seed": seed, "fingerprint": fingerprint, "details": details}
            return cls(path, seed, [], (json.dumps(header) + "\n").encode())
        with open(path, "rb") as f:
            raw = f.read()
        header, records, part, good_bytes = _parse(path, raw)
        if header.get("format") != FORMAT or header.get("version") not in _READABLE:
            raise ValueError(
                f"checkpoint={path!r} is not an skhpo checkpoint this skhpo can read "
                f"(versions {', '.join(map(str, _READABLE))}): "
                f"its first line is {raw.splitlines()[0][:200]!r}."
            )
        theirs = {"search": header.get("search"), **header.get("fingerprint", {})}
        ours = {"search": search, **fingerprint}
        differ = [k for k in ours if theirs.get(k) != ours[k]]
        if differ:
            lines = []
            their_details = header.get("details")
            their_details = their_details if isinstance(their_details, dict) else {}
            for k in differ:
                mine, theirs_k = details.get(k), their_details.get(k)
                named = []
                if isinstance(mine, dict) and isinstance(theirs_k, dict):
                    # name what changed, not the whole entry
                    named = [f"- {_WHAT.get(k, k)}: {name}="
                             f"{theirs_k.get(name, '(absent)')} in the checkpoint, "
                             f"{mine.get(name, '(absent)')} now"
                             for name in sorted(set(mine) | set(theirs_k))
                             if mine.get(name) != theirs_k.get(name)]
                if named:
                    lines.extend(named)
                elif k in ("cv", "X", "y", "fit_params"):
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
            with open(os.path.realpath(path), "r+b") as f:
                f.truncate(good_bytes)
                f.flush()
                os.fsync(f.fileno())
        dispatch = header.get("dispatch")
        return cls(path, header["seed"], records, part=part,
                   dispatch=dispatch if dispatch in ("batches", "async") else None)

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

    def take_part(self) -> dict | None:
        """The candidates of the batch an interruption cut short whose every split was
        done, as one record (once all completed batches are replayed; ``None`` if
        there are none). The batch itself is evaluated anew from the next candidate."""
        if self._replayed < len(self._records):
            return None
        part, self._part = self._part, None
        return part

    def check_batch(self, record: dict, points: np.ndarray, more_results: dict,
                    n_fits: int) -> None:
        """Refuse a replayed batch (or part record, :meth:`take_part`) that is not the
        batch (or the first candidates of the batch) the search proposes now."""
        if len(record["out"]) != n_fits:
            raise ValueError(
                f"checkpoint={self.path!r} is corrupt: batch {record['batch']} holds "
                f"{len(record['out'])} fits where {n_fits} were expected. Delete the "
                "file to start afresh."
            )
        theirs = np.asarray(record["points"], dtype=float)
        same = theirs.shape == points.shape and np.allclose(theirs, points, rtol=0,
                                                            atol=1e-12)
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
        self._write(self._record(params, points, more_results, out))
        self._n_batches += 1

    def append_part(self, index: int, params: list, points: np.ndarray,
                    more_results: dict, out: list) -> None:
        """Record completed candidates of the batch under way, the first of them at
        ``index`` in the batch (a part line).

        Written and flushed to the operating system, which keeps it if the process is
        killed, but not ``fsync``-ed (nor is a checkpoint a part line creates): the
        search takes joblib's next result only once this returns, and joblib drops the
        results it holds when a fit raises. The batch line's ``fsync`` makes the part
        lines before it, and the file's creation, durable too."""
        self._write({**self._record(params, points, more_results, out), "part": index},
                    sync=False)

    def _record(self, params, points, more_results, out) -> dict:
        return {
            "batch": self._n_batches,
            "params": [describe(p) for p in params],
            "points": _jsonable(np.asarray(points)),
            "more_results": _jsonable(more_results),
            "out": [_jsonable({k: v for k, v in o.items() if k != "parameters"})
                    for o in out],
        }

    def _write(self, record: dict, sync: bool = True) -> None:
        line = (json.dumps(record, allow_nan=True) + "\n").encode()
        if self._header is not None:
            _atomic_write(self._file, self._header + line, sync=sync)
            self._header = None
            self._unsynced_file = not sync
        else:
            with open(self._file, "ab") as f:
                f.write(line)
                f.flush()
                if sync:
                    os.fsync(f.fileno())
            if sync and self._unsynced_file:
                # created by a part line: its name is durable from this line on too
                _fsync_directory(os.path.dirname(self._file))
                self._unsynced_file = False


class _Lock:
    """An exclusive lock on a checkpoint for the length of a ``fit``: a second process
    (or a second search in this one) appending to it would interleave their batches.

    An advisory ``flock`` on ``<checkpoint>.lock`` next to it (where ``fcntl`` exists),
    removed on release.
    """

    def __init__(self, path, fd):
        self.path, self._fd = path, fd

    @classmethod
    def acquire(cls, checkpoint: str) -> _Lock:
        path = os.path.realpath(checkpoint) + ".lock"
        if fcntl is None:
            return cls(path, None)
        while True:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
            except OSError:  # a directory that takes no new file: appends still work
                return cls(path, None)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise ValueError(
                    f"checkpoint={checkpoint!r} is in use by another search that is "
                    f"running (it holds {path!r}); two searches appending to one "
                    "checkpoint would mix their batches. Wait for it to end, or use "
                    "another path."
                ) from None
            try:
                same = os.fstat(fd).st_ino == os.stat(path).st_ino
            except FileNotFoundError:  # removed by the holder releasing it meanwhile
                same = False
            if same:
                return cls(path, fd)
            os.close(fd)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.unlink(self.path)
        except OSError:
            pass
        os.close(fd)  # closing the descriptor releases the lock


def _check_writable(path: str) -> None:
    """Refuse, before any fit, a checkpoint path that could not be written."""
    if path == "":
        raise ValueError("checkpoint='' is not a file path.")
    if os.path.isdir(path):
        raise ValueError(f"checkpoint={path!r} is a directory; pass a file path.")
    real = os.path.realpath(path)  # a symbolic link: the file it points to
    if os.path.exists(real):
        if not stat.S_ISREG(os.stat(real).st_mode):
            # a device, a pipe...: the first batch would replace it with a file
            raise ValueError(f"checkpoint={path!r} is not a regular file.")
        if not os.access(real, os.R_OK | os.W_OK):
            raise ValueError(f"checkpoint={path!r} cannot be read and written.")
        if os.path.getsize(real) > 0:
            return  # batches are appended to it
    # a new (or empty) checkpoint is written with its first line to a temporary file
    # in the same directory, then renamed into place
    directory = os.path.dirname(real)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".skhpo-", dir=directory)
    except OSError as e:
        verb = "written" if os.path.exists(real) else "created"
        raise ValueError(
            f"checkpoint={path!r} cannot be {verb} in {directory!r}: {e.strerror}."
        ) from e
    os.close(fd)
    os.unlink(tmp)


def _atomic_write(path: str, data: bytes, sync: bool = True) -> None:
    """Write ``path`` whole or not at all (a temporary file renamed into place); with
    ``sync``, durably (the file and the rename ``fsync``-ed)."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".skhpo-", dir=directory)
    try:
        # the permissions of a file created as usual (mkstemp's are owner-only), or of
        # the empty file this replaces
        if os.path.exists(path):
            mode = stat.S_IMODE(os.stat(path).st_mode)
        else:
            mode = 0o666 & ~_umask()
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if sync:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    if sync:
        _fsync_directory(directory)


def _fsync_directory(directory: str) -> None:
    """Make the creation or renaming of a file in ``directory`` durable."""
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _umask() -> int:
    try:  # Linux: read without changing it (os.umask would, for every thread)
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _parse(path: str, raw: bytes):
    """Header, batch records, the part lines after the last batch merged into one
    record (``None`` if none), and the byte length of the well-formed prefix."""
    lines = raw.split(b"\n")
    # raw ends with "\n" when the last line is complete: the final element is b""
    complete, tail = lines[:-1], lines[-1]
    records, parts, offset, header = [], [], 0, None
    for i, line in enumerate(complete):
        try:
            try:
                obj = json.loads(line.decode())
            except (ValueError, UnicodeDecodeError):
                if i > 0 and i == len(complete) - 1 and not tail:
                    break  # the last line, garbled by a crash: redo that batch
                raise
            if i > 0:
                # a well-formed line must be a valid batch, the last one too
                _check_record(obj, len(records))
                if "part" in obj:
                    _check_part(obj, parts)
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
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
        elif "part" in obj:
            parts.append(obj)
        else:
            records.append(obj)
            parts = []  # the batch completed: its parts are redundant
        offset += len(line) + 1
    if header is None:
        raise ValueError(f"checkpoint={path!r} is corrupt: it has no complete header line.")
    return header, records, _merge_parts(parts), offset


def _check_part(obj, parts) -> None:
    done = sum(len(p["params"]) for p in parts)
    if obj["part"] != done:
        raise ValueError(f"part {obj['part']!r} of batch {obj['batch']} where part "
                         f"{done} was expected")
    fits = [len(p["out"]) // len(p["params"]) for p in [*parts, obj]]
    if len(set(fits)) > 1:
        raise ValueError("not the same number of fits for every candidate")


def _merge_parts(parts) -> dict | None:
    if not parts:
        return None
    columns = dict.fromkeys(k for p in parts for k in p["more_results"])
    return {
        "batch": parts[0]["batch"],
        "params": [x for p in parts for x in p["params"]],
        "points": [x for p in parts for x in p["points"]],
        "more_results": {k: [x for p in parts for x in p["more_results"].get(k, [])]
                         for k in columns},
        "out": [x for p in parts for x in p["out"]],
    }


_OUT_KEYS = {"test_scores", "n_test_samples", "fit_time", "score_time", "fit_error"}


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
    if "part" in obj and (not isinstance(obj["part"], int) or isinstance(obj["part"], bool)
                          or not obj["params"]):
        raise ValueError(f"a part line with part={obj['part']!r}")
    if not isinstance(obj["points"], list) or len(obj["points"]) != len(obj["params"]):
        raise ValueError("as many points as candidates expected")
    if not isinstance(obj["more_results"], dict):
        raise ValueError("more_results is not a JSON object")
    if len(obj["out"]) % max(1, len(obj["params"])):
        raise ValueError("not the same number of fits for every candidate")
    for o in obj["out"]:
        if not isinstance(o, dict) or not _OUT_KEYS <= set(o):
            raise ValueError(f"a fit's results lack {sorted(_OUT_KEYS - set(o or {}))}")
    scores = [o["test_scores"] for o in obj["out"]]
    for s in scores:
        values = s.values() if isinstance(s, dict) else [s]
        if any(not isinstance(v, (int, float)) or isinstance(v, bool) for v in values):
            raise ValueError("non-numeric score")
