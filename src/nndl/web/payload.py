"""Turn the JSON body of ``POST /api/predict`` into the network's 784 inputs.

This module knows nothing about HTTP: it parses bytes and raises
:class:`PayloadError` (a ``ValueError``) with a message meant for the client.
Two inputs are accepted, exactly one per request:

``{"pixels": [784 numbers]}``
    An MNIST-ready 28×28 image, row-major, white ink (1) on black (0), as
    the MNIST files hold it.  It is used *as is*, without preprocessing, so
    pasting an MNIST test digit gives exactly ``model.feedforward(pixels)``.
``{"png": "<base64>"}``
    A picture of a digit (PNG or JPEG, optionally as a ``data:`` URL), prepared
    by :func:`nndl.preprocess.image_file_to_mnist` — the same code as
    ``nndl predict`` — so the drawing page and the CLI give the same answer for
    the same image.

Either way an input with no ink at all is refused: there is no digit to read.

Examples
--------
>>> x = parse_predict_body(b'{"pixels": [' + b",".join([b"0.5"] * 784) + b']}')
>>> x.shape
(784,)
>>> parse_predict_body(b'{"pixels": [1, 2]}')
Traceback (most recent call last):
...
nndl.web.payload.PayloadError: "pixels" must hold 784 numbers (28x28, row-major), got 2
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nndl.preprocess import SIDE, image_file_to_mnist

#: Inputs of an MNIST network: a 28×28 image.
N_PIXELS = SIDE * SIDE
#: Largest picture (width × height) decoded from ``"png"``; guards against
#: decompression bombs, since a small PNG can hold a huge blank image.
MAX_IMAGE_PIXELS = 4096 * 4096


class PayloadError(ValueError):
    """The request body is not a valid prediction request; the message says why."""


def _reject_constant(name: str) -> Any:
    raise PayloadError(f"invalid JSON: {name} is not a number JSON allows")


def parse_json(body: bytes) -> Any:
    """Decode a UTF-8 JSON document, refusing ``NaN`` and ``Infinity`` literals."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise PayloadError("invalid JSON: the body is not UTF-8 text") from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise PayloadError(f"invalid JSON: {exc}") from None
    except RecursionError:
        raise PayloadError("invalid JSON: nested too deeply") from None


def pixels_to_input(value: Any) -> NDArray[np.float64]:
    """Check a list of 784 numbers in [0, 1] and return it as a ``(784,)`` array."""
    if not isinstance(value, list):
        raise PayloadError(
            f'"pixels" must be a list of {N_PIXELS} numbers, got {type(value).__name__}'
        )
    if len(value) != N_PIXELS:
        raise PayloadError(
            f'"pixels" must hold {N_PIXELS} numbers (28x28, row-major), got {len(value)}'
        )
    for i, v in enumerate(value):
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise PayloadError(f'"pixels"[{i}] is not a number: {v!r}')
        if not (math.isfinite(v) and 0.0 <= v <= 1.0):
            raise PayloadError(f'"pixels"[{i}] = {v!r} is outside [0, 1]')
    x = np.asarray(value, dtype=np.float64)
    if not x.any():
        raise PayloadError('"pixels" has no ink: every value is 0 (draw a digit first)')
    return x


def _check_image_size(data: bytes) -> None:
    """Refuse images whose header announces more than :data:`MAX_IMAGE_PIXELS`."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
    except Exception:  # Pillow raises several unrelated types
        raise PayloadError('"png" does not hold a PNG or JPEG image') from None
    if width * height > MAX_IMAGE_PIXELS:
        raise PayloadError(
            f'"png" image is {width}x{height}; at most {MAX_IMAGE_PIXELS:,} pixels are accepted'
        )


def png_to_input(value: Any) -> NDArray[np.float64]:
    """Decode a base64 PNG/JPEG (or ``data:`` URL) and prepare it as ``nndl predict`` does."""
    if not isinstance(value, str):
        raise PayloadError(f'"png" must be a base64 string, got {type(value).__name__}')
    text = value.strip()
    if text.startswith("data:"):
        header, sep, text = text.partition(",")
        if not sep or not header.endswith(";base64"):
            raise PayloadError('"png" data URL must be base64-encoded ("data:image/png;base64,")')
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PayloadError(f'"png" is not valid base64: {exc}') from None
    if not data:
        raise PayloadError('"png" is empty')
    _check_image_size(data)
    try:
        return image_file_to_mnist(data)
    except ValueError as exc:
        message = str(exc).removeprefix("<bytes>: ")
        raise PayloadError(f'"png": {message}') from None


def parse_predict_body(body: bytes) -> NDArray[np.float64]:
    """Return the ``(784,)`` network input that a ``POST /api/predict`` body asks about.

    Raises
    ------
    PayloadError
        If the body is not JSON, is not an object with exactly one of
        ``"pixels"`` and ``"png"``, or that value is invalid.
    """
    doc = parse_json(body)
    if not isinstance(doc, dict):
        raise PayloadError(
            f'the body must be a JSON object such as {{"pixels": [...]}}, '
            f"got {type(doc).__name__}"
        )
    keys = [k for k in ("pixels", "png") if k in doc]
    if len(keys) != 1:
        what = "both" if keys else "neither"
        raise PayloadError(f'the body must have exactly one of "pixels" and "png", got {what}')
    extra = sorted(set(doc) - {"pixels", "png"})
    if extra:
        raise PayloadError(f"unknown keys {extra}; expected \"pixels\" or \"png\"")
    if keys[0] == "pixels":
        return pixels_to_input(doc["pixels"])
    return png_to_input(doc["png"])
