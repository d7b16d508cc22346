"""nndl's number in a log: what each ledger measure reads from a run's printed lines.

Every measure is a percentage read from the lines the commands print —
``Epoch k: correct / total`` (``nndl train``, the book's ``network.py``),
``Accuracy on evaluation data: correct / total`` (``network2``),
``Corresponding test accuracy of X%`` (``network3``), ``ensemble of K (rule):
correct / total`` (``nndl evaluate`` with several models) and ``... baseline:
correct / total`` (:mod:`nndl.book.ledger.baselines`) — so a ledger can be
rebuilt from its logs alone.

Examples
--------
>>> log = "Epoch 0: 9129 / 10000  (91.29%)  validation 91.90%\\nEpoch 1: 9295 / 10000"
>>> measure("highest_test", log)
(92.95, None)
>>> measure("last_test", log), measure("cli_best_val", log)
((92.95, None), (91.29, None))
"""

from __future__ import annotations

import re
from collections.abc import Callable

_EPOCH = re.compile(r"^Epoch \d+: (\d+) / (\d+)(?:.*?validation (\d+(?:\.\d+)?)%)?", re.M)
_EVAL = re.compile(r"^Accuracy on evaluation data: (\d+) / (\d+)", re.M)
_NETWORK3 = re.compile(r"^Corresponding test accuracy of (\d+(?:\.\d+)?)%", re.M)
_ENSEMBLE = re.compile(r"^ensemble of \d+ \(\w+\): (\d+) / (\d+)", re.M)
_BASELINE = re.compile(r"^\w+ baseline: (\d+) / (\d+)", re.M)


def _percent(correct: str, total: str) -> float:
    return round(100.0 * int(correct) / int(total), 2)


def epoch_tests(log: str) -> list[float]:
    """The test accuracy (percent) of every ``Epoch k: correct / total`` line, in order."""
    return [_percent(c, t) for c, t, _ in _EPOCH.findall(log)]


def evaluations(log: str) -> list[float]:
    """Every ``Accuracy on evaluation data: correct / total`` of a ``network2`` run, in order."""
    return [_percent(c, t) for c, t in _EVAL.findall(log)]


def _test_at_best_validation(log: str) -> float | None:
    """The test accuracy of the first epoch with the best validation accuracy.

    Without validation data (the bundled sample) ``nndl train`` chooses the epoch on
    test accuracy; so does this, then.
    """
    rows = [(float(v), _percent(c, t)) for c, t, v in _EPOCH.findall(log) if v]
    if not rows:
        tests = epoch_tests(log)
        return max(tests) if tests else None
    best = max(v for v, _ in rows)
    return next(test for v, test in rows if v == best)   # the first epoch reaching it


def _one(pattern: re.Pattern[str], log: str) -> float | None:
    found = pattern.findall(log)
    if not found:
        return None
    last = found[-1]
    return _percent(*last) if isinstance(last, tuple) else round(float(last), 2)


def _pick(values: list[float], which: str) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    if which == "highest":
        return max(values), None
    if which == "last":
        return values[-1], None
    return values[0], values[-1]   # "first", with the last one beside it


#: Measure name -> (what it is, in the ledger's words; how to read it from a log).
MEASURES: dict[str, tuple[str, Callable[[str], tuple[float | None, float | None]]]] = {
    "highest_test": ("highest test accuracy over the epochs",
                     lambda log: _pick(epoch_tests(log), "highest")),
    "last_test": ("test accuracy after the last epoch",
                  lambda log: _pick(epoch_tests(log), "last")),
    "highest_eval": ("highest accuracy on the evaluation data over the epochs",
                     lambda log: _pick(evaluations(log), "highest")),
    "first_eval": ("validation accuracy after the first epoch [after the last]",
                   lambda log: _pick(evaluations(log), "first")),
    "network3": ("test accuracy at the epoch of best validation accuracy",
                 lambda log: (_one(_NETWORK3, log), None)),
    "cli_best_val": ("test accuracy at the epoch of best validation accuracy",
                     lambda log: (_test_at_best_validation(log), None)),
    "ensemble": ("the ensemble's test accuracy", lambda log: (_one(_ENSEMBLE, log), None)),
    "baseline": ("test accuracy", lambda log: (_one(_BASELINE, log), None)),
    "link": ("reported in the linked document", lambda log: (None, None)),
}


def measure(name: str, log: str) -> tuple[float | None, float | None]:
    """``(value, also)`` of measure ``name`` in ``log``, in percent; ``None`` where absent."""
    return MEASURES[name][1](log)
