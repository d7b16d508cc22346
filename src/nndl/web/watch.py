"""The live training page of ``nndl watch``: a Starlette app around a :class:`WatchSession`.

Routes
------
``GET /``
    The page (``static/watch.html``): accuracy and cost curves, the learning
    speed of each layer, the first layer's weights, test digits with the
    current answers, and pause / resume / stop / save buttons.
``GET /static/...``
    The page's files, from the same folder as the drawing page's.
``GET /api/watch/state``
    Everything so far, as JSON (:meth:`WatchSession.state`).
``GET /api/watch/events``
    Server-Sent Events: ``state`` (everything so far) first, then ``epoch``
    (a record, with the weights and answers after it), ``progress`` (within
    an epoch, a few times a second), ``status`` and, when the server shuts
    down, ``closed``.  While at least one page listens, training goes on;
    when the last one has gone for :data:`~nndl.web.session.GRACE_S`
    seconds, training stops (and ``nndl watch`` quits).
``POST /api/watch/pause``, ``/resume``, ``/stop``
    Steer training; the answer is ``{"status": ...}``.
``GET /api/watch/model.npz``
    The model as it is now (taken between two mini-batches), as an nndl
    model file to download.
``/draw/...``
    Once training has ended: the drawing page of ``nndl serve``
    (:func:`nndl.web.app.create_app`) on the model just trained (the best
    epoch's weights, as ``nndl train`` keeps).  HTTP 409 before.

Requests pass the same Host and Origin checks as ``nndl serve``
(:class:`nndl.web.guard.RequestGuard`).  Since closing the event stream can
stop training, opening it and every ``POST`` must also come from the page
itself: a cross-site ``Sec-Fetch-Site`` or a foreign ``Origin`` gets 403.

Examples
--------
>>> from starlette.testclient import TestClient
>>> from nndl.web.session import WatchSession
>>> client = TestClient(create_watch_app(WatchSession()), base_url="http://127.0.0.1:8000")
>>> client.get("/api/watch/state").json()["status"]
'loading'
>>> client.post("/api/watch/stop", headers={"Origin": "https://elsewhere.example"}).status_code
403
>>> client.get("/draw/").status_code
409
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from nndl.train.history import History
from nndl.train.record import run_record
from nndl.web.app import STATIC_DIR, create_app, error_response
from nndl.web.guard import LOCAL_HOSTS, RequestGuard
from nndl.web.session import Cursor, WatchSession

#: Seconds between two comments on an idle event stream (keeps proxies and browsers from
#: timing it out, and lets the server notice a page that has gone).
KEEPALIVE_S = 10.0
#: ``Sec-Fetch-Site`` values of requests made by the page itself (or typed by the user).
OWN_SITES = ("same-origin", "none")


def _sse(event: str, data: Any) -> str:
    """One Server-Sent Event: ``event: NAME`` and its JSON data on one line."""
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _foreign(request: Request, guard: RequestGuard) -> JSONResponse | None:
    """403 unless the request comes from the page itself (see the module's notes)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in OWN_SITES:
        return error_response(f"refused: a {site} request may not steer training", 403)
    refused = guard.refusal("POST", request.headers)  # Origin, if any, must be ours
    return None if refused is None else error_response(refused[1], refused[0])


class DrawingPage:
    """The drawing page of ``nndl serve`` under ``/draw``, once training has ended."""

    def __init__(self, session: WatchSession) -> None:
        self.session = session
        self.app: Any = None
        self.problem = ""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.app is None and not self.problem and self.session.final is not None:
            try:
                self.app = create_app(self.session.model)
            except (ValueError, AttributeError) as exc:
                self.problem = f"this model cannot read drawings: {exc}"
        if self.app is None:
            message = self.problem or ("the model is still training: the drawing page "
                                       "opens when training ends")
            await error_response(message, 409)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def model_file_bytes(session: WatchSession) -> tuple[bytes, str]:
    """The model as it is now, as the bytes of an nndl model file, and a file name."""
    from nndl.model.io import model_bytes

    def write() -> tuple[bytes, str]:
        state = session.state()
        history = state["history"]
        epoch = history[-1]["epoch"] if history else None
        info, options = state["info"], dict(state["info"].get("options", {}))
        seed = options.pop("seed", None)
        metadata = run_record(
            History(history), options, data_source=info.get("data"),
            training_examples=info.get("training_examples"), seed=seed,
            stopped=state["status"], written_by="nndl watch")
        name = "nndl-watch-untrained.npz" if epoch is None else f"nndl-watch-epoch{epoch}.npz"
        return model_bytes(session.model, metadata=metadata), name

    return session.call_between_batches(write)


async def _events(session: WatchSession) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()
    session.add_waiter(loop, wake)
    session.viewer_joined()
    try:
        cursor = Cursor()
        yield _sse("state", session.state(cursor))
        while not session.closed:
            try:
                await asyncio.wait_for(wake.wait(), KEEPALIVE_S)
            except TimeoutError:
                yield ": keep-alive\n\n"
            wake.clear()
            for name, data in session.events_since(cursor):
                yield _sse(name, data)
        yield _sse("closed", {"message": "the server has shut down"})
    finally:
        session.remove_waiter(loop, wake)
        session.viewer_left()


def create_watch_app(session: WatchSession, *,
                     allowed_hosts: Iterable[str] = LOCAL_HOSTS) -> Starlette:
    """Return the Starlette application of the live page for ``session``.

    ``allowed_hosts``: the names the server is reached by (the ``Host``
    header), as for :func:`nndl.web.app.create_app`.
    """
    hosts = list(allowed_hosts)
    guard = RequestGuard(lambda *a: None, hosts)  # type: ignore[arg-type, return-value]

    async def index(request: Request) -> Response:
        return FileResponse(STATIC_DIR / "watch.html", media_type="text/html")

    async def state(request: Request) -> Response:
        return JSONResponse(session.state())

    async def events(request: Request) -> Response:
        refused = _foreign(request, guard)
        if refused is not None:
            return refused
        return StreamingResponse(_events(session), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache",
                                          "X-Accel-Buffering": "no"})

    def control(action: str) -> Any:
        steer = {"pause": session.pause, "resume": session.resume,
                 "stop": lambda: session.stop("stopped from the page")}[action]

        async def endpoint(request: Request) -> Response:
            refused = _foreign(request, guard)
            return refused or JSONResponse({"status": steer()})

        return endpoint

    async def model_file(request: Request) -> Response:
        if session.model is None:
            return error_response("no model yet: the network is still being built", 409)
        data, name = await run_in_threadpool(model_file_bytes, session)
        return Response(data, media_type="application/octet-stream",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    routes = [
        Route("/", index, methods=["GET"]),
        Route("/api/watch/state", state, methods=["GET"]),
        Route("/api/watch/events", events, methods=["GET"]),
        *[Route(f"/api/watch/{action}", control(action), methods=["POST"])
          for action in ("pause", "resume", "stop")],
        Route("/api/watch/model.npz", model_file, methods=["GET"]),
        Mount("/draw", app=DrawingPage(session)),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    return Starlette(routes=routes, middleware=[Middleware(RequestGuard, allowed_hosts=hosts)])
