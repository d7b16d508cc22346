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
    by :func:`nndl.data.preprocess.image_file_to_mnist` — the same code as
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
import contextlib
import io
import json
import math
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nndl.data.preprocess import SIDE, image_file_to_mnist

#: Inputs of an MNIST network: a 28×28 image.
N_PIXELS = SIDE * SIDE
#: Largest picture (width × height) decoded from ``"png"``, read from the
#: image's header before decoding: a 30 KB PNG can hold 4096×4096 pixels,
#: which take ~1.7 s and ~320 MB to prepare; 1024×1024 take ~0.09 s and ~20 MB.
#: (The drawing page sends its 280×280 canvas.)
MAX_IMAGE_PIXELS = 1024 * 1024
#: Image formats read from ``"png"`` (Pillow's names); no other parser sees a request.
IMAGE_FORMATS = ("PNG", "JPEG", "TIFF")
#: Longest integer literal accepted in the JSON body: Python would spend
#: quadratic time on a huge one, and a pixel is at most 1 anyway.
MAX_INT_DIGITS = 20


class PayloadError(ValueError):
    """The request body is not a valid prediction request; the message says why."""


def _reject_constant(name: str) -> Any:
    raise PayloadError(f"invalid JSON: {name} is not a number JSON allows")


def _bounded_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise PayloadError(f"invalid JSON: an integer of {digits} digits is too large "
                           f"(at most {MAX_INT_DIGITS})")
    return int(text)


def parse_json(body: bytes) -> Any:
    """Decode a UTF-8 JSON document, refusing ``NaN``/``Infinity`` and huge integers.

    Examples
    --------
    >>> parse_json(b'{"a": [1, 2.5]}')
    {'a': [1, 2.5]}
    >>> parse_json(b"[" + b"9" * 400 + b"]")
    Traceback (most recent call last):
    ...
    nndl.web.payload.PayloadError: invalid JSON: an integer of 400 digits is too large (at most 20)
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise PayloadError("invalid JSON: the body is not UTF-8 text") from None
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_int=_bounded_int)
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


#: Makes the context in which an image is decoded (e.g. one of a few slots).
ImageSlot = Callable[[], AbstractContextManager[object]]


def _check_image_size(data: bytes, max_pixels: int) -> None:
    """Refuse images whose header announces more than ``max_pixels``, before decoding.

    Only the header is read (``Image.open`` is lazy), and only
    :data:`IMAGE_FORMATS` are tried.
    """
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data), formats=IMAGE_FORMATS) as img:
            width, height = img.size
    except Exception:  # Pillow raises several unrelated types
        raise PayloadError('"png" does not hold a PNG or JPEG image') from None
    if width * height > max_pixels:
        raise PayloadError(
            f'"png" image is {width}x{height}; at most {max_pixels:,} pixels are accepted '
            "(scale it down)"
        )


def png_to_input(value: Any, *, max_pixels: int = MAX_IMAGE_PIXELS,
                 image_slot: ImageSlot | None = None) -> NDArray[np.float64]:
    """Decode a base64 PNG/JPEG (or ``data:`` URL) and prepare it as ``nndl predict`` does.

    The size in the image's header is checked against ``max_pixels`` before
    anything is decoded; the decoding itself runs inside ``image_slot()``
    (the app uses it to bound how many images are decoded at once).
    """
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
    _check_image_size(data, max_pixels)
    try:
        with image_slot() if image_slot is not None else contextlib.nullcontext():
            return image_file_to_mnist(data)
    except ValueError as exc:
        message = str(exc).removeprefix("<bytes>: ")
        raise PayloadError(f'"png": {message}') from None


def parse_predict_body(body: bytes, *, max_pixels: int = MAX_IMAGE_PIXELS,
                       image_slot: ImageSlot | None = None) -> NDArray[np.float64]:
    """Return the ``(784,)`` network input that a ``POST /api/predict`` body asks about.

    ``max_pixels`` and ``image_slot`` apply to a ``"png"`` (see :func:`png_to_input`).

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
    return png_to_input(doc["png"], max_pixels=max_pixels, image_slot=image_slot)
