"""Helpers of the ``nndl watch`` tests: a real training run in a thread, watched by a session."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from nndl.cli import build_parser
from nndl.cli.watch import start_training, watch_options
from nndl.web.session import WatchSession

#: A run slow enough to watch: 1,000 sample images, mini-batch 5 (200 steps an epoch).
SLOW = ["--sample", "--sizes", "784,30,30,10", "--cost", "cross_entropy", "--init",
        "scaled_normal", "--eta", "0.5", "--mini-batch-size", "5", "--epochs", "500"]


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "") -> Any:
    """Poll ``predicate`` until it is true; return its value or fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(0.02)


@contextmanager
def training_session(*options: str, **session_options: Any) -> Iterator[WatchSession]:
    """``nndl watch OPTIONS`` without the server: the session, training in its thread."""
    args = build_parser().parse_args(["watch", "--quiet", *options])
    session = WatchSession(**session_options)
    thread = start_training(watch_options(args), session)
    assert session.wait_started(60), session.error
    try:
        yield session
    finally:
        session.stop("the test is over")
        session.close()
        thread.join(60)
        assert not thread.is_alive()
