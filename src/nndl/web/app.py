"""The drawing page's web application: a Starlette app around one model.

Routes
------
``GET /``
    The page (``static/index.html``): draw a digit, watch the network answer.
``GET /static/...``
    The page's script and style sheet, served from the package (no CDN).
``GET /api/model``
    A summary of the model: layer sizes, test accuracy and how it was trained.
``POST /api/predict``
    ``{"pixels": [784 numbers]}`` or ``{"png": "<base64>"}`` (see
    :mod:`nndl.web.payload`) → ``{"digit", "activations", "image"}``.

Every refused request gets a 4xx status and ``{"error": "..."}``: 400 for a
bad body or a ``Host`` that is not this server, 403 for a cross-origin
request (see :mod:`nndl.web.guard`), 408 when the body does not arrive in
time, 413 when it is over the size limit, 415 unless it is
``Content-Type: application/json``.  503 (with ``Retry-After``) means too many
images are being decoded at once; try again.

The model is only read, never changed, so requests may run concurrently: the
preprocessing and the forward pass run in Starlette's thread pool, keeping
the event loop free.  At most ``max_decodes`` images are decoded at once,
each of at most :data:`~nndl.web.payload.MAX_IMAGE_PIXELS` pixels, which
bounds the memory the server can be made to use.

Examples
--------
>>> from starlette.testclient import TestClient
>>> from nndl import Network
>>> client = TestClient(create_app(Network([784, 30, 10], seed=0)),
...                     base_url="http://127.0.0.1:8000")
>>> reply = client.post("/api/predict", json={"pixels": [0.5] * 784}).json()
>>> sorted(reply), len(reply["activations"]), len(reply["image"])
(['activations', 'digit', 'image'], 10, 784)
>>> client.post("/api/predict", json={"pixels": [2.0] * 784}).json()["error"]
'"pixels"[0] = 2.0 is outside [0, 1]'
>>> client.post("/api/predict", json={"pixels": [0.5] * 784},
...             headers={"Origin": "https://elsewhere.example"}).status_code
403
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from nndl.web.guard import LOCAL_HOSTS, RequestGuard
from nndl.web.payload import MAX_IMAGE_PIXELS, N_PIXELS, PayloadError, parse_predict_body

#: The page's HTML, JavaScript and CSS.
STATIC_DIR = Path(__file__).resolve().parent / "static"
#: Largest request body accepted by ``POST /api/predict``, in bytes.
MAX_BODY_BYTES = 2 * 1024 * 1024
#: Seconds a client has to send the whole body (a slow client would hold a connection).
BODY_TIMEOUT_S = 10.0
#: Images decoded at once (each of at most ``MAX_IMAGE_PIXELS``, about 20 MB at the limit).
MAX_DECODES = 2
#: Seconds a request waits for its turn to decode before it gets HTTP 503.
DECODE_WAIT_S = 10.0


class _BodyTooLarge(Exception):
    pass


class ServerBusy(Exception):
    """Every image-decoding slot stayed taken for as long as a request may wait."""


class DecodeSlots:
    """At most ``n`` images decoded at once; a request waits up to ``wait_s`` for a slot.

    Examples
    --------
    >>> slots = DecodeSlots(1, wait_s=0.01)
    >>> with slots():
    ...     with slots():
    ...         pass
    Traceback (most recent call last):
    ...
    nndl.web.app.ServerBusy: too many images are being decoded; try again
    """

    def __init__(self, n: int, wait_s: float) -> None:
        if n < 1:
            raise ValueError(f"max_decodes must be at least 1, got {n}")
        self._free = threading.BoundedSemaphore(n)
        self.wait_s = wait_s

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        if not self._free.acquire(timeout=self.wait_s):
            raise ServerBusy("too many images are being decoded; try again")
        try:
            yield
        finally:
            self._free.release()


def error_response(message: str, status: int = 400,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    """``{"error": message}`` with HTTP ``status``: every refusal of the web pages."""
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _is_json(content_type: str | None) -> bool:
    """Whether a ``Content-Type`` header says JSON (``application/json``, any parameters)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json"


async def _read_body(request: Request, limit: int) -> bytes:
    """Read the body, refusing it once its declared or actual size exceeds ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise PayloadError(f"invalid Content-Length header {declared!r}")
        if int(declared) > limit:
            raise _BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def model_summary(model: Any) -> dict[str, Any]:
    """The JSON answer of ``GET /api/model``: sizes and what the metadata says."""
    meta = getattr(model, "metadata", None) or {}
    training: dict[str, Any] = (
        meta["training"] if isinstance(meta.get("training"), dict) else {}
    )
    config = model.config()
    return {
        "kind": type(model).__name__,
        # A fully connected network is named by its sizes, as in the book.
        "sizes": config.get("sizes"),
        # Every model describes itself layer by layer.
        "layers": [layer.label() for layer in model.layers],
        "n_inputs": int(model.n_inputs),
        "n_outputs": int(model.n_outputs),
        "cost": config.get("cost"),
        "activation": config.get("activation"),
        "test_accuracy": meta.get("test_accuracy"),
        "validation_accuracy": meta.get("validation_accuracy"),
        "training": {
            key: training.get(key)
            for key in ("data", "epochs_completed", "training_examples", "eta",
                        "mini_batch_size", "seed")
            if key in training
        },
        "nndl_version": meta.get("nndl_version"),
    }


def _inference(model: Any, max_pixels: int, slots: DecodeSlots) -> Callable[[bytes], dict]:
    """``infer(body)``: a checked request body through the model, as the JSON answer."""

    def infer(body: bytes) -> dict[str, Any]:
        x: NDArray[np.float64] = parse_predict_body(body, max_pixels=max_pixels,
                                                    image_slot=slots)
        out = np.asarray(model.feedforward(x), dtype=np.float64)
        return {
            "digit": int(np.argmax(out)),
            "activations": [float(v) for v in out],
            "image": [float(v) for v in x],
        }

    return infer


def _predict_endpoint(infer: Callable[[bytes], dict], max_body_bytes: int,
                      body_timeout_s: float) -> Callable[[Request], Any]:
    """``POST /api/predict``: JSON only, a bounded body read in time, every refusal a 4xx."""

    async def predict(request: Request) -> Response:
        if not _is_json(request.headers.get("content-type")):
            return error_response(
                "the body must be JSON, sent with Content-Type: application/json", 415)
        try:
            async with asyncio.timeout(body_timeout_s):
                body = await _read_body(request, max_body_bytes)
            return JSONResponse(await run_in_threadpool(infer, body))
        except _BodyTooLarge:
            return error_response(
                f"request body too large: the limit is {max_body_bytes:,} bytes", 413)
        except TimeoutError:
            return error_response(
                f"the request body did not arrive within {body_timeout_s:g} s", 408)
        except ClientDisconnect:  # the client left: nobody to answer, nothing to log
            return Response(status_code=400)
        except PayloadError as exc:
            return error_response(str(exc))
        except ServerBusy as exc:
            return error_response(str(exc), 503, headers={"Retry-After": "1"})

    return predict


async def _index(request: Request) -> Response:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_response(str(exc.detail), exc.status_code)


def create_app(
    model: Any,
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
    allowed_hosts: Iterable[str] = LOCAL_HOSTS,
    body_timeout_s: float = BODY_TIMEOUT_S,
    max_image_pixels: int = MAX_IMAGE_PIXELS,
    max_decodes: int = MAX_DECODES,
    decode_wait_s: float = DECODE_WAIT_S,
) -> Starlette:
    """Return the Starlette application serving ``model`` on the drawing page.

    Parameters
    ----------
    model : nndl model
        Anything with ``feedforward(x)`` and ``n_inputs``/``n_outputs``, such as
        a :class:`nndl.Network` or the result of :func:`nndl.model.io.load_model`.
        It must read 784 inputs (a 28×28 image) and give 10 outputs.
    max_body_bytes : int
        Requests to ``POST /api/predict`` with a larger body get HTTP 413.
    allowed_hosts : iterable of str
        Names the server is reached by (the ``Host`` header; any port); other
        requests get HTTP 400.  Default: ``localhost``, ``127.0.0.1``, ``::1``.
    body_timeout_s : float
        Seconds a client has to send the body; then HTTP 408.
    max_image_pixels : int
        Largest image (width × height, read from its header) decoded.
    max_decodes, decode_wait_s
        At most ``max_decodes`` images are decoded at once; a request waits
        up to ``decode_wait_s`` seconds for its turn, then gets HTTP 503.

    Raises
    ------
    ValueError
        If the model does not read 28×28 images into ten classes.
    """
    if model.n_inputs != N_PIXELS or model.n_outputs != 10:
        raise ValueError(
            f"the drawing page needs a model with {N_PIXELS} inputs (28x28 pixels) and "
            f"10 outputs (digits); this one has {model.n_inputs} and {model.n_outputs}"
        )
    summary = model_summary(model)
    infer = _inference(model, max_image_pixels, DecodeSlots(max_decodes, decode_wait_s))
    predict = _predict_endpoint(infer, max_body_bytes, body_timeout_s)

    async def model_info(request: Request) -> Response:
        return JSONResponse(summary)

    routes = [
        Route("/", _index, methods=["GET"]),
        Route("/api/model", model_info, methods=["GET"]),
        Route("/api/predict", predict, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: _http_error},
                     middleware=[Middleware(RequestGuard, allowed_hosts=list(allowed_hosts))])
