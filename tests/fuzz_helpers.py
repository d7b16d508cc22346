"""Settings and helpers of the fuzz tests (``tests/test_fuzz_*.py``).

The fuzz tests throw generated bad input at nndl's parsers and boundaries and
check the contract: a clean result, or nndl's own error (or a 4xx answer with
a message) -- never another exception, never a hang, nothing written where it
should not be.

By default each test runs a small, fixed set of examples (``derandomize``), so
the suite stays fast and gives the same result on every run.  To search
longer, with fresh random examples each run::

    NNDL_FUZZ_EXAMPLES=5000 python3 -m pytest tests/test_fuzz_*.py

(``NNDL_FUZZ_EXAMPLES`` multiplies nothing: it is the number of examples per
test.  Failures found then are saved in ``.hypothesis/`` and replayed first
on the next run.)
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings

#: Examples per test; set NNDL_FUZZ_EXAMPLES to search longer.
EXAMPLES = int(os.environ.get("NNDL_FUZZ_EXAMPLES", "0")) or None
#: Seconds one example may take before it counts as a hang.
HANG_S = float(os.environ.get("NNDL_FUZZ_HANG_S", "20"))

settings.register_profile(
    "nndl-ci", max_examples=40, derandomize=True, database=None, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    # No "explain" phase: it is slow, and a failure is reported well enough without it.
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
)
settings.register_profile(
    "nndl-long", max_examples=EXAMPLES or 1000, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("nndl-long" if EXAMPLES else "nndl-ci")


class Hang(Exception):
    """An example ran longer than :data:`HANG_S` seconds."""


@contextlib.contextmanager
def no_hang(seconds: float = HANG_S) -> Iterator[None]:
    """Fail with :class:`Hang` if the block runs longer than ``seconds`` (POSIX, main thread).

    Elsewhere it only runs the block: the contract is still checked, a hang
    is just not caught.
    """
    if not hasattr(signal, "setitimer") or threading.current_thread() is not \
            threading.main_thread():
        yield
        return

    def expired(signum: int, frame: object) -> None:
        raise Hang(f"the example ran longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) with its bytes."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}
