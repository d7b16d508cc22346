"""A training run that web pages watch and steer: the state behind ``nndl watch``.

:class:`WatchSession` is handed to :func:`nndl.cli.train.execute` as its
``hooks``: the training thread tells it when the network is built
(:meth:`~WatchSession.started`), after every mini-batch
(:meth:`~WatchSession.batch`) and after every epoch
(:meth:`~WatchSession.epoch`).  Pages read it (:meth:`~WatchSession.state`,
:meth:`~WatchSession.events_since`) and steer it (:meth:`~WatchSession.pause`,
:meth:`~WatchSession.resume`, :meth:`~WatchSession.stop`).  It knows nothing
about HTTP; :mod:`nndl.web.watch` serves it.

Everything the training thread does to the model happens in that thread:
pausing waits *between* two mini-batches, stopping raises
:class:`StopTraining` there (a ``KeyboardInterrupt``, so ``nndl train``
keeps and saves the best epoch exactly as after Ctrl-C), and work that needs
the weights to hold still (:meth:`~WatchSession.call_between_batches`, e.g.
saving the model) is run there too.

Examples
--------
>>> from types import SimpleNamespace
>>> from nndl import Network
>>> from nndl.data import load_sample
>>> data = load_sample()
>>> session = WatchSession(grid=4)
>>> net = Network([784, 5, 10], seed=0)
>>> session.started(net, data, {"epochs": 1, "mini_batch_size": 10, "eta": 3.0})
>>> session.status, len(session.state()["digits"]["labels"])
('training', 4)
>>> session.epoch({"epoch": 0, "test_accuracy": 0.5, "seconds": 0.1})
>>> [name for name, _ in session.events_since(Cursor())][:2]
['epoch', 'status']
>>> session.stop("stopped from the page")
'stopping'

The next :meth:`~WatchSession.batch` then raises :class:`StopTraining` in
the training thread.
"""

from __future__ import annotations

import asyncio
import base64
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import CancelledError, Future
from dataclasses import dataclass
from typing import Any

import numpy as np

from nndl.train.history import History
from nndl.train.record import kept_epoch

#: Test digits shown with the network's current answers.
GRID = 48
#: First-layer weight tiles sent to the page (as ``nndl plot`` draws).
MAX_TILES = 100
#: Seconds between two progress events within an epoch.
PROGRESS_EVERY_S = 0.2
#: Seconds the last page may be gone (a reload) before training is stopped.
GRACE_S = 5.0
#: States in which the training thread is at work.
ACTIVE = ("training", "paused", "stopping")


class StopTraining(KeyboardInterrupt):
    """Raised in the training thread to stop it cleanly (as Ctrl-C does)."""


@dataclass
class Cursor:
    """What one page has been sent so far (see :meth:`WatchSession.events_since`)."""

    epochs: int = 0
    progress: int = 0
    status: str = ""
    final: bool = False


def b64(array: np.ndarray) -> str:
    """The bytes of a small integer array, base64-encoded for JSON."""
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def jsonable(value: Any) -> Any:
    """``value`` with NumPy scalars made plain and non-finite floats made ``None``."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def weight_tiles(model: Any, max_tiles: int = MAX_TILES) -> dict[str, Any]:
    """The first layer's weights as square tiles: int8 in [-127, 127] of ``scale``."""
    from nndl.inspect.plots import first_layer_weights

    rows, what = first_layer_weights(model)
    rows = np.asarray(rows, dtype=np.float64)[:max_tiles]
    side = int(round(math.sqrt(rows.shape[1])))
    scale = float(np.abs(rows).max()) or 1.0
    if side * side != rows.shape[1]:  # not an image: nothing to draw
        return {"count": 0, "side": 0, "scale": scale, "what": what, "data": ""}
    quantised = np.round(rows / scale * 127).astype(np.int8)
    return {"count": len(rows), "side": side, "scale": scale, "what": what,
            "data": b64(quantised)}


class WatchSession:
    """The shared state of one ``nndl watch`` run (thread-safe).

    Parameters
    ----------
    grid : int
        How many test digits the page shows with their predictions.
    grace_s : float
        After the last page closes, training is stopped (and ``on_quit``
        called) unless a page comes back within this many seconds.
    progress_every_s : float
        Least time between two progress events within an epoch.
    """

    def __init__(self, *, grid: int = GRID, grace_s: float = GRACE_S,
                 progress_every_s: float = PROGRESS_EVERY_S) -> None:
        self.grid = grid
        self.grace_s = grace_s
        self.progress_every_s = progress_every_s
        self._lock = threading.Condition()
        self.status = "loading"
        self.message = ""
        self.info: dict[str, Any] = {}
        self.digits: dict[str, Any] | None = None
        self.history: list[dict[str, Any]] = []
        self.snapshot: dict[str, Any] | None = None
        self.progress: dict[str, Any] | None = None
        self.final: dict[str, Any] | None = None
        self.model: Any = None
        self.error: BaseException | None = None
        self.exit_code: int | None = None
        self.stop_reason: str | None = None
        self.closed = False
        #: Called (from a timer thread) when the last page has gone for good.
        self.on_quit: Callable[[], None] | None = None
        self._grid_x: np.ndarray | None = None
        self._paused = False
        self._progress_id = 0
        self._last_progress = -math.inf
        self._requests: list[tuple[Callable[[], Any], Future]] = []
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._viewers = 0
        self._timer: threading.Timer | None = None
        self._ready = threading.Event()

    # -- hooks: called by the training thread (nndl.cli.train.execute) -------------------
    def started(self, net: Any, data: Any, opts: dict[str, Any]) -> None:
        """The network is built and the data loaded (``opts``: what the file records)."""
        from nndl.inspect.learning_speed import layer_labels
        from nndl.web.app import model_summary

        x, labels = data.test
        self._grid_x = np.asarray(x[: self.grid])
        side = int(round(math.sqrt(self._grid_x.shape[1])))
        pixels = np.round(np.clip(self._grid_x, 0, 1) * 255).astype(np.uint8)
        with self._lock:
            self.model = net
            self.info = jsonable({
                **model_summary(net),
                "describe": net.describe(),
                "speed_labels": layer_labels(net),
                "data": data.source,
                "training_examples": len(data.training[0]),
                "validation": data.validation is not None,
                "options": opts,  # what the model file records about the training
            })
            self.digits = {"count": len(pixels), "side": side, "data": b64(pixels),
                           "labels": [int(v) for v in labels[: self.grid]]}
            self.snapshot = self._snapshot(None)
            self._set_status("training")
        self._ready.set()

    def batch(self, epoch: int, done: int, total: int) -> None:
        """After each mini-batch: report progress now and then; pause or stop here."""
        now = time.monotonic()
        with self._lock:
            self.progress = {"epoch": epoch, "done": done, "total": total}
            if done in (1, total) or now - self._last_progress >= self.progress_every_s:
                self._last_progress = now
                self._progress_id += 1
                self._changed()
        self._checkpoint()

    def epoch(self, record: dict[str, Any]) -> None:
        """After each epoch: the record, the first layer's weights and the grid's answers."""
        snapshot = self._snapshot(record.get("epoch"))
        with self._lock:
            self.history.append(jsonable(record))
            self.snapshot = snapshot
            self.progress = None
            self._changed()
        self._checkpoint()

    def run_training(self, train: Callable[[WatchSession], int]) -> None:
        """Run ``train(self)`` (in the training thread) and record how it ended."""
        status, message = "failed", ""
        try:
            self.exit_code = train(self)
            if self.stop_reason is not None:
                status, message = "stopped", self.stop_reason
            elif self.exit_code == 0:
                status, message = "finished", "all epochs done"
            else:
                message = "training failed (see the terminal)"
        except BaseException as exc:  # reported to the page and re-raised by the CLI
            self.error = exc
            message = str(exc) or type(exc).__name__
        finally:
            self._finish(status, message)

    def wait_started(self, timeout: float | None = None) -> bool:
        """Block until the network is built or training ended; True if it was built."""
        self._ready.wait(timeout)
        return self.model is not None

    # -- steering: any thread ---------------------------------------------------------
    def pause(self) -> str:
        """Hold training after the current mini-batch."""
        with self._lock:
            if self.status == "training":
                self._paused = True
                self._set_status("paused")
            return self.status

    def resume(self) -> str:
        """Carry on after :meth:`pause`."""
        with self._lock:
            if self.status == "paused":
                self._paused = False
                self._set_status("training")
            return self.status

    def stop(self, reason: str = "stopped from the page") -> str:
        """Stop training after the current mini-batch (the best epoch is kept)."""
        with self._lock:
            if self.stop_reason is None and self.status in (*ACTIVE, "loading"):
                self.stop_reason = reason
                self._paused = False
                if self.status != "loading":
                    self._set_status("stopping")
            return self.status

    def close(self) -> None:
        """The server is shutting down: end every event stream."""
        with self._lock:
            self.closed = True
            self._changed()

    def call_between_batches(self, fn: Callable[[], Any], timeout: float = 60.0) -> Any:
        """Run ``fn()`` while the weights hold still and return its result.

        While training runs or is paused, the training thread runs it between two
        mini-batches (a paused thread waits at that point); once training has ended it runs here.
        """
        future: Future = Future()
        with self._lock:
            # Paused too: the training thread may still be inside the mini-batch it was in
            # when pause() was called; it serves requests while it waits at its checkpoint.
            if self.status in ACTIVE:
                self._requests.append((fn, future))
                self._lock.notify_all()
            else:
                future = None  # type: ignore[assignment]
        if future is not None:
            try:
                return future.result(timeout)
            except CancelledError:  # training ended first: the weights hold still now
                pass
        with self._lock:  # a paused training thread waits on this lock's condition
            return fn()

    # -- pages ----------------------------------------------------------------------------
    def viewer_joined(self) -> None:
        with self._lock:
            self._viewers += 1
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def viewer_left(self) -> None:
        with self._lock:
            self._viewers -= 1
            if self._viewers == 0 and not self.closed:
                self._timer = threading.Timer(self.grace_s, self._abandoned)
                self._timer.daemon = True
                self._timer.start()

    def add_waiter(self, loop: asyncio.AbstractEventLoop, event: asyncio.Event) -> None:
        """Have ``event`` set (on ``loop``) whenever something changes."""
        with self._lock:
            self._waiters.add((loop, event))

    def remove_waiter(self, loop: asyncio.AbstractEventLoop, event: asyncio.Event) -> None:
        with self._lock:
            self._waiters.discard((loop, event))

    def state(self, cursor: Cursor | None = None) -> dict[str, Any]:
        """Everything a page needs to draw itself; moves ``cursor`` to the present."""
        with self._lock:
            if cursor is not None:
                cursor.epochs, cursor.progress = len(self.history), self._progress_id
                cursor.status, cursor.final = self.status, self.final is not None
            return {"status": self.status, "message": self.message, "info": self.info,
                    "digits": self.digits, "history": list(self.history),
                    "snapshot": self.snapshot, "progress": self.progress,
                    "final": self.final}

    def events_since(self, cursor: Cursor) -> list[tuple[str, dict[str, Any]]]:
        """The events a page with ``cursor`` has not seen yet; moves the cursor."""
        events: list[tuple[str, dict[str, Any]]] = []
        with self._lock:
            new = self.history[cursor.epochs:]
            for k, record in enumerate(new):
                last = k == len(new) - 1
                events.append(("epoch", {"record": record,
                                         "snapshot": self.snapshot if last else None}))
            cursor.epochs = len(self.history)
            if self.progress is not None and cursor.progress != self._progress_id:
                events.append(("progress", dict(self.progress)))
            cursor.progress = self._progress_id
            if cursor.status != self.status or (self.final is not None) != cursor.final:
                events.append(("status", {"status": self.status, "message": self.message,
                                          "final": self.final,
                                          "snapshot": self.snapshot if self.final else None}))
                cursor.status, cursor.final = self.status, self.final is not None
        return events

    # -- inside ---------------------------------------------------------------------------
    def _changed(self) -> None:
        """Wake every waiting event stream (call with the lock held)."""
        for loop, event in list(self._waiters):
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # that loop has closed
                self._waiters.discard((loop, event))

    def _set_status(self, status: str, message: str = "") -> None:
        self.status, self.message = status, message
        self._lock.notify_all()
        self._changed()

    def _snapshot(self, epoch: int | None) -> dict[str, Any]:
        """The first layer's weights and the grid's predictions, now (training thread)."""
        predictions = self.model.predict(self._grid_x) if self._grid_x is not None else []
        return {"epoch": epoch, "weights": weight_tiles(self.model),
                "predictions": [int(p) for p in predictions]}

    def _checkpoint(self) -> None:
        """Serve requests; wait while paused; raise :class:`StopTraining` when stopped."""
        with self._lock:
            while True:
                requests, self._requests = self._requests, []
                for fn, future in requests:
                    try:
                        future.set_result(fn())
                    except Exception as exc:  # the requester gets it
                        future.set_exception(exc)
                if self.stop_reason is not None:
                    raise StopTraining(self.stop_reason)
                if not self._paused:
                    return
                self._lock.wait(0.5)

    def _finish(self, status: str, message: str) -> None:
        with self._lock:
            for _, future in self._requests:
                future.cancel()
            self._requests = []
            if self.model is not None:
                self.snapshot = self._snapshot(None)
                history = getattr(self.model, "history_", None)  # the library's record
                kept = kept_epoch(history) if isinstance(history, History) else None
                self.final = {"best_epoch": None if kept is None else kept["epoch"],
                              "epochs": len(self.history), "exit_code": self.exit_code}
            self._set_status(status, message)
        self._ready.set()

    def _abandoned(self) -> None:
        with self._lock:
            if self._viewers > 0 or self.closed:
                return
        self.stop("the page was closed")
        if self.on_quit is not None:
            self.on_quit()
