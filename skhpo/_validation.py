"""How skhpo's strategies and search-space dimensions refuse bad arguments: one family of
checks, each raising before anything is computed, with a message that names the argument,
says what it must be and shows what it got (``"eta must be a finite number > 1, got
0.5."``).

A wrong type raises ``TypeError``, a value of the right type out of range ``ValueError``.
The ``*SearchCV`` classes declare theirs the scikit-learn way instead
(``_parameter_constraints``, checked when ``fit`` starts), so that they behave as every
scikit-learn estimator does.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence

import numpy as np
from sklearn.utils import check_random_state as sklearn_check


def check(name: str, value, ok: bool, expected: str, error: type = ValueError) -> None:
    """Raise ``error("{name} must be {expected}, got {value!r}.")`` unless ``ok``."""
    if not ok:
        raise error(f"{name} must be {expected}, got {value!r}.")


def is_int(value) -> bool:
    """An integer, not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def check_int(name: str, value, low: int | None = None) -> int:
    """``value`` as an ``int``: an integer (not a bool), at least ``low``."""
    check(name, value, is_int(value), "an int", TypeError)
    if low is not None:
        check(name, value, value >= low, f">= {low}")
    return int(value)


def check_real(name: str, value, ok: Callable[[float], bool] | None = None,
               expected: str = "finite", *, as_float: bool = False) -> float:
    """``value``, a finite real number (not a bool) for which ``ok`` holds, as a
    ``float``; ``expected`` says what it must be when it is not (showing ``value``, or
    with ``as_float`` the float it converts to)."""
    check(name, value, isinstance(value, numbers.Real)
          and not isinstance(value, (bool, np.bool_)), "a real number", TypeError)
    try:
        number = float(value)
    except OverflowError:  # an int beyond any float
        number = math.inf if value > 0 else -math.inf
    check(name, number if as_float else value,
          math.isfinite(number) and (ok is None or bool(ok(number))), expected)
    return number


def check_bool(name: str, value) -> bool:
    check(name, value, isinstance(value, (bool, np.bool_)), "a bool", TypeError)
    return bool(value)


def check_option(name: str, value, options: Sequence) -> None:
    check(name, value, isinstance(value, str) and value in options,
          f"one of {list(options)}")


def check_random_state(random_state) -> np.random.RandomState:
    """scikit-learn's ``check_random_state``, with an error that names
    ``random_state``."""
    try:
        return sklearn_check(random_state)
    except (TypeError, ValueError):
        raise ValueError(
            "random_state must be None, an int in [0, 2**32 - 1] or a "
            f"numpy.random.RandomState, got {random_state!r}."
        ) from None

