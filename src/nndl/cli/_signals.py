"""SIGTERM as Ctrl-C for ``nndl train``: stop training, keep the best epoch, then exit.

A batch system's time limit or ``kill PID`` sends SIGTERM; inside
:func:`sigterm_as_interrupt` it raises :class:`Terminated`, a
``KeyboardInterrupt``, so training stops exactly as on Ctrl-C.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

#: Exit code after SIGTERM: 128 + 15, what a shell reports for a process killed by it.
EXIT_TERMINATED = 128 + signal.SIGTERM
#: Exit code after Ctrl-C (SIGINT): 128 + 2.
EXIT_INTERRUPTED = 128 + signal.SIGINT


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when SIGTERM arrives, so it stops training like Ctrl-C."""


class SigtermGuard:
    """What SIGTERM does inside :func:`sigterm_as_interrupt`: interrupt, or wait (deferred)."""

    def __init__(self) -> None:
        self.received = False
        self._deferred = False

    def defer(self) -> None:
        """From now on only record a SIGTERM: the outputs being written are not cut short."""
        self._deferred = True

    def __call__(self, signum: int, frame: object) -> None:
        self.received = True
        if not self._deferred:
            raise Terminated


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[SigtermGuard]:
    """Within the block, SIGTERM raises :class:`Terminated` (a ``KeyboardInterrupt``).

    So ``kill PID`` (or a batch system's time limit) stops training as Ctrl-C
    does: the best epoch so far is kept and saved.  Only the main thread can
    handle signals; elsewhere SIGTERM keeps its usual effect.  The previous
    handler is restored on exit.
    """
    guard = SigtermGuard()
    if threading.current_thread() is not threading.main_thread():
        yield guard
        return
    previous = signal.signal(signal.SIGTERM, guard)
    try:
        yield guard
    finally:
        signal.signal(signal.SIGTERM, previous)
