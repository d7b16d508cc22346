"""Fuzz: ``POST /api/predict`` bodies and headers, and the body parser behind it.

Contract: HTTP 200 with a digit, or a 4xx answer ``{"error": "<message>"}`` --
never a 5xx, never a hang; the parser returns a valid input or raises
:class:`~nndl.web.payload.PayloadError`.
"""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest

pytest.importorskip("hypothesis", reason="the fuzz tests need hypothesis")
pytest.importorskip("starlette", reason="the web extra is not installed")
pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx")

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from PIL import Image  # noqa: E402

from fuzz_helpers import no_hang  # noqa: E402
from nndl import Network  # noqa: E402
from nndl.web.app import create_app  # noqa: E402
from nndl.web.payload import N_PIXELS, PayloadError, parse_predict_body  # noqa: E402
from web_helpers import make_client  # noqa: E402


def _png(side: int, ink: int) -> bytes:
    img = np.full((side, side), 255, dtype=np.uint8)
    img[side // 4: 3 * side // 4, side // 3: side // 2] = ink
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()


A_PNG = _png(40, 0)

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-2, 2),
    st.integers(-(10**30), 10**30), st.sampled_from([0, 1, 0.5, 1e-320, -0.0, 1.0000001]),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)


@st.composite
def pixel_lists(draw: st.DrawFn) -> list:
    """Mostly-valid pixel lists: a fill value, a few odd values, a length near 784."""
    n = draw(st.sampled_from([N_PIXELS, N_PIXELS, N_PIXELS - 1, N_PIXELS + 1, 0, 28]))
    values = [draw(st.sampled_from([0, 0.0, 0.5, 1]))] * n
    for _ in range(draw(st.integers(0, 3))):
        if n:
            values[draw(st.integers(0, n - 1))] = draw(st.one_of(numbers, json_values))
    return values


@st.composite
def png_values(draw: st.DrawFn) -> object:
    """Base64 text: of a real PNG (perhaps damaged), of random bytes, or not base64 at all."""
    kind = draw(st.sampled_from(["png", "damaged", "random", "text", "data-url", "other"]))
    if kind == "png":
        data = _png(draw(st.integers(1, 64)), draw(st.integers(0, 255)))
    elif kind == "damaged":  # keep the signature and IHDR, garble what follows
        i = draw(st.integers(33, len(A_PNG) - 1))
        junk = draw(st.binary(min_size=1, max_size=16))
        data = A_PNG[:i] + junk + A_PNG[i + len(junk):]
    elif kind == "random":
        data = draw(st.binary(max_size=64))
    elif kind == "text":
        return draw(st.text(max_size=40))
    elif kind == "data-url":
        head = draw(st.sampled_from(["data:image/png;base64,", "data:,", "data:image/png,"]))
        return head + base64.b64encode(A_PNG).decode()
    else:
        return draw(json_values)
    return base64.b64encode(data).decode()


bodies = st.one_of(
    st.builds(lambda p: {"pixels": p}, pixel_lists()),
    st.builds(lambda p: {"png": p}, png_values()),
    st.dictionaries(st.sampled_from(["pixels", "png", "label", ""]),
                    st.one_of(pixel_lists(), png_values(), json_values), max_size=3),
    json_values,
)


def encode(doc: object) -> bytes:
    return json.dumps(doc, allow_nan=True).encode()  # NaN/Infinity literals included


def check_parse(body: bytes) -> None:
    with no_hang():
        try:
            x = parse_predict_body(body)
        except PayloadError as exc:
            assert str(exc)
            return
    assert x.shape == (N_PIXELS,) and np.isfinite(x).all()
    assert x.min() >= 0 and x.max() <= 1 and x.any()


@given(st.binary(max_size=200))
def test_parser_on_arbitrary_bytes(body):
    check_parse(body)


@given(bodies)
def test_parser_on_generated_documents(doc):
    check_parse(encode(doc))


@given(st.text(alphabet="[]{}\",:0123456789.eE-+ tfnrueals", max_size=60))
def test_parser_on_json_like_text(text):
    check_parse(text.encode())


@pytest.fixture(scope="module")
def client():
    with make_client(create_app(Network([784, 20, 10], seed=0))) as c:
        yield c


HOSTS = st.sampled_from(["127.0.0.1:8000", "localhost:8000", "[::1]:8000", "evil.example",
                         "", "127.0.0.1:x", "[::1", "LOCALHOST."])
ORIGINS = st.one_of(st.none(), st.sampled_from(["http://127.0.0.1:8000", "null",
                                                "http://evil.example", "http://[::1]:8000"]),
                    st.text(max_size=20))
TYPES = st.one_of(st.none(), st.sampled_from(["application/json", "text/plain",
                                              "application/json; charset=utf-8",
                                              "application/x-www-form-urlencoded"]),
                  st.text(max_size=20))


def _header_safe(text: str) -> bool:
    return all(32 <= ord(c) < 127 for c in text)


@given(doc=bodies, raw=st.one_of(st.none(), st.binary(max_size=100)), host=HOSTS,
       origin=ORIGINS, content_type=TYPES)
def test_predict_answers_200_or_a_4xx_with_a_message(client, doc, raw, host, origin,
                                                      content_type):
    headers = {"host": host}
    if origin is not None and _header_safe(origin):
        headers["origin"] = origin
    if content_type is not None and _header_safe(content_type):
        headers["content-type"] = content_type
    body = raw if raw is not None else encode(doc)
    with no_hang():
        reply = client.post("/api/predict", content=body, headers=headers)
    if reply.status_code == 200:
        assert 0 <= reply.json()["digit"] <= 9
    else:
        assert 400 <= reply.status_code < 500, (reply.status_code, reply.text)
        assert isinstance(reply.json()["error"], str) and reply.json()["error"]
