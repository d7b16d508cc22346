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
    Bad requests get HTTP 400 (413 when the body is over the size limit)
    and ``{"error": "..."}``.

The model is only read, never changed, so requests may run concurrently: the
preprocessing and the forward pass run in Starlette's thread pool, keeping
the event loop free.

Examples
--------
>>> from starlette.testclient import TestClient
>>> from nndl import Network
>>> client = TestClient(create_app(Network([784, 30, 10], seed=0)))
>>> reply = client.post("/api/predict", json={"pixels": [0.5] * 784}).json()
>>> sorted(reply), len(reply["activations"]), len(reply["image"])
(['activations', 'digit', 'image'], 10, 784)
>>> client.post("/api/predict", json={"pixels": [2.0] * 784}).json()["error"]
'"pixels"[0] = 2.0 is outside [0, 1]'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from nndl.web.payload import N_PIXELS, PayloadError, parse_predict_body

#: The page's HTML, JavaScript and CSS.
STATIC_DIR = Path(__file__).resolve().parent / "static"
#: Largest request body accepted by ``POST /api/predict``, in bytes.
MAX_BODY_BYTES = 2 * 1024 * 1024


class _BodyTooLarge(Exception):
    pass


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


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
    training = meta.get("training") if isinstance(meta.get("training"), dict) else {}
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


def create_app(model: Any, *, max_body_bytes: int = MAX_BODY_BYTES) -> Starlette:
    """Return the Starlette application serving ``model`` on the drawing page.

    Parameters
    ----------
    model : nndl model
        Anything with ``feedforward(x)`` and ``n_inputs``/``n_outputs``, such as
        a :class:`nndl.Network` or the result of :func:`nndl.io.load_model`.
        It must read 784 inputs (a 28×28 image) and give 10 outputs.
    max_body_bytes : int
        Requests to ``POST /api/predict`` with a larger body get HTTP 413.

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

    def infer(body: bytes) -> dict[str, Any]:
        x: NDArray[np.float64] = parse_predict_body(body)
        out = np.asarray(model.feedforward(x), dtype=np.float64)
        return {
            "digit": int(np.argmax(out)),
            "activations": [float(v) for v in out],
            "image": [float(v) for v in x],
        }

    async def predict(request: Request) -> Response:
        try:
            body = await _read_body(request, max_body_bytes)
            return JSONResponse(await run_in_threadpool(infer, body))
        except _BodyTooLarge:
            return _error(f"request body too large: the limit is {max_body_bytes:,} bytes", 413)
        except PayloadError as exc:
            return _error(str(exc))

    async def model_info(request: Request) -> Response:
        return JSONResponse(summary)

    async def index(request: Request) -> Response:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return _error(str(exc.detail), exc.status_code)

    routes = [
        Route("/", index, methods=["GET"]),
        Route("/api/model", model_info, methods=["GET"]),
        Route("/api/predict", predict, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: http_error})
