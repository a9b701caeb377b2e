"""Fingerprints: what identifies a search and its data, for a checkpoint to match.

A checkpoint's header holds a fingerprint of the search that wrote it; a search resuming
from it must have the same one. The functions here turn what a search depends on into
text or hashes that are the same in every process (memory addresses left out):
:func:`describe` for estimators, scorers, functions and settings, :func:`space_signature`
for a search space, :func:`data_hash` for data, CV splits and fit parameters.
:func:`seed_to_json` and :func:`seed_from_json` keep a ``random_state`` in the header
and restore it, so that a resumed search proposes the same candidates.
"""

from __future__ import annotations

import functools
import hashlib
import marshal
import re
from numbers import Integral

import joblib
import numpy as np
from sklearn.utils import check_random_state

_ADDRESS = re.compile(r" at 0x[0-9A-Fa-f]+")


def describe(obj, _seen=None) -> str:
    """A text for ``obj`` that is the same in every process: scikit-learn estimators by
    their whole ``repr`` (with a hash of their array and number parameters, which
    ``repr`` abbreviates, and a description of their function parameters), functions by
    qualified name and a hash of their code, default arguments and closure, other
    objects by ``repr``; memory addresses are left out."""
    if hasattr(obj, "get_params") and not isinstance(obj, type):
        try:
            text = obj.__repr__(N_CHAR_MAX=10**9)
        except TypeError:
            text = repr(obj)
        try:
            params = obj.get_params(deep=True)
            # every value, which repr abbreviates (arrays; lists and dicts past 30
            # items, such as a ColumnTransformer's columns)
            values = {k: _param_digest(v) for k, v in params.items()
                      if not hasattr(v, "get_params") and not _is_function(v)}
            text += f" [{joblib.hash(values)}]"
            functions = {k: describe(v, _seen) for k, v in params.items()
                         if _is_function(v)}
            if functions:
                text += f" {functions}"
        except Exception:  # an estimator whose parameters cannot be read or hashed
            pass
        return _ADDRESS.sub("", text)
    if hasattr(obj, "_score_func") and hasattr(obj, "_sign"):
        # a scorer from make_scorer: its function's code, not only its name
        return (f"{type(obj).__name__}({describe(obj._score_func, _seen)}, "
                f"sign={obj._sign!r}, kwargs={describe(getattr(obj, '_kwargs', {}))}, "
                f"response_method={getattr(obj, '_response_method', None)!r})")
    if isinstance(obj, functools.partial):
        return (f"partial({describe(obj.func, _seen)}, {describe(list(obj.args), _seen)}, "
                f"{describe(obj.keywords, _seen)})")
    code = getattr(obj, "__code__", None)
    if callable(obj) and code is not None:
        name = f"{getattr(obj, '__module__', '?')}.{obj.__qualname__}"
        _seen = set() if _seen is None else _seen
        if id(obj) in _seen:  # a recursive closure
            return name
        _seen.add(id(obj))
        state = [getattr(obj, "__defaults__", None), getattr(obj, "__kwdefaults__", None)]
        for cell in getattr(obj, "__closure__", None) or ():
            try:
                state.append(cell.cell_contents)
            except ValueError:  # an empty cell
                state.append(None)
        state = [describe(v, _seen) if callable(v) or hasattr(v, "get_params")
                 else _value_hash(v) for v in state]
        digest = hashlib.sha1(marshal.dumps(code) + repr(state).encode()).hexdigest()[:12]
        return f"{name} [{digest}]"
    if isinstance(obj, dict):
        return "{" + ", ".join(f"{k!r}: {describe(v)}" for k, v in obj.items()) + "}"
    if isinstance(obj, (list, tuple)):
        inner = ", ".join(describe(v) for v in obj)
        return f"[{inner}]" if isinstance(obj, list) else f"({inner})"
    return _ADDRESS.sub("", repr(obj))


def _is_function(value) -> bool:
    return getattr(value, "__code__", None) is not None or isinstance(value,
                                                                       functools.partial)


def _param_digest(value):
    """A parameter value as something ``joblib.hash`` gives the same digest for in every
    process: estimators and functions described, containers item by item."""
    if hasattr(value, "get_params") and not isinstance(value, type):
        return describe(value)
    if _is_function(value):
        return describe(value)
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_param_digest(v) for v in value])
    if isinstance(value, dict):
        return ("dict", [(_param_digest(k), _param_digest(v)) for k, v in value.items()])
    return _value_hash(value)


def _value_hash(value) -> str:
    try:
        return joblib.hash(value)
    except Exception:  # not picklable
        return _ADDRESS.sub("", repr(value))


def space_signature(space) -> str:
    """The space's ``repr`` and a hash of what each dimension decodes a grid of unit
    coordinates to: two spaces that print alike but map values differently (say, two
    ``rv_histogram`` of different data) differ."""
    grid = np.linspace(0.0, 1.0, 33)
    decoded = []
    for dims in space.subspaces:
        for name, dim in dims:
            decoded.append((name, describe(dim.from_unit(grid))))
    return f"{_ADDRESS.sub('', repr(space))} [{joblib.hash(decoded)}]"


def seed_to_json(random_state):
    """What a checkpoint keeps of ``random_state``: an int as is; otherwise the state of
    the generator (a fresh one for ``None``), so that a resumed search continues the
    same sequence of candidates."""
    if isinstance(random_state, Integral) and not isinstance(random_state, bool):
        return int(random_state)
    state = check_random_state(random_state).get_state(legacy=True)
    return {"mt19937": state[1].tolist(), "pos": int(state[2]),
            "has_gauss": int(state[3]), "cached_gaussian": float(state[4])}


def seed_from_json(seed):
    """The ``random_state`` a search uses from a checkpoint's seed."""
    if isinstance(seed, int):
        return seed
    rng = np.random.RandomState()
    rng.set_state(("MT19937", np.asarray(seed["mt19937"], dtype=np.uint32), seed["pos"],
                   seed["has_gauss"], seed["cached_gaussian"]))
    return rng


def data_hash(obj) -> str:
    return joblib.hash(obj)
