"""``nndl serve`` against hostile pages and clients: Host/Origin/Content-Type checks,
decode limits, huge integers, disconnects and slow bodies -- always a 4xx with a JSON reason."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the web extra is not installed: pip install 'nndl[web]'")
httpx = pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx")

from PIL import Image  # noqa: E402

import nndl.web.payload as payload  # noqa: E402
from nndl import Network  # noqa: E402
from nndl.data import load_sample  # noqa: E402
from nndl.web.app import create_app  # noqa: E402
from web_helpers import live_server, make_client  # noqa: E402

PIXELS = load_sample().test[0][0].tolist()


@pytest.fixture(scope="module")
def net():
    return Network([784, 30, 10], seed=0)


@pytest.fixture(scope="module")
def client(net):
    with make_client(create_app(net)) as c:
        yield c


def png_b64(pixels: np.ndarray) -> str:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def a_digit_png(side: int = 56) -> str:
    img = np.full((side, side), 255, dtype=np.uint8)
    img[side // 4: 3 * side // 4, side // 2 - 3: side // 2 + 3] = 0
    return png_b64(img)


# -- Host (DNS rebinding) ----------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000", "LOCALHOST", "[::1]:8000",
                                  "127.0.0.1"])
def test_local_host_names_are_answered(net, host):
    with make_client(create_app(net)) as c:
        assert c.get("/api/model", headers={"host": host}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example",
                                  "localhost:80:80", "[::1", "testserver"])
@pytest.mark.parametrize("path", ["/", "/api/model", "/static/app.js"])
def test_other_host_names_are_refused(client, host, path):
    reply = client.get(path, headers={"host": host})
    assert reply.status_code == 400
    assert "is not an address of this server" in reply.json()["error"]


def test_predict_from_a_rebound_name_is_refused(client):
    reply = client.post("/api/predict", json={"pixels": PIXELS},
                        headers={"host": "attacker.example:8000"})
    assert reply.status_code == 400 and "Host" in reply.json()["error"]


def test_allowed_hosts_extend_the_local_names(net):
    with make_client(create_app(net, allowed_hosts=["digits.lan"]),
                     base_url="http://digits.lan:8000") as c:
        assert c.get("/api/model").status_code == 200
        assert c.get("/api/model", headers={"host": "other.lan"}).status_code == 400


# -- Origin (cross-site requests) --------------------------------------------------------


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://localhost:8000",
                                    "http://127.0.0.1:9999", "file://", "http://127.0.0.1"])
def test_cross_origin_posts_are_refused(client, origin):
    reply = client.post("/api/predict", json={"pixels": PIXELS}, headers={"origin": origin})
    assert reply.status_code == 403
    assert reply.json()["error"].startswith("cross-origin request refused")
    assert "access-control-allow-origin" not in reply.headers


def test_same_origin_posts_are_answered(client):
    reply = client.post("/api/predict", json={"pixels": PIXELS},
                        headers={"origin": "http://127.0.0.1:8000"})
    assert reply.status_code == 200 and 0 <= reply.json()["digit"] <= 9


def test_cross_origin_reads_get_no_cors_permission(client):
    reply = client.get("/api/model", headers={"origin": "http://evil.example"})
    assert reply.status_code == 200 and "access-control-allow-origin" not in reply.headers


# -- Content-Type (no "simple" requests without a preflight) -----------------------------


@pytest.mark.parametrize("content_type", [None, "text/plain", "text/plain;charset=UTF-8",
                                          "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "application/jsonx"])
def test_non_json_content_types_get_415(client, content_type):
    headers = {} if content_type is None else {"content-type": content_type}
    reply = client.post("/api/predict", content=json.dumps({"pixels": PIXELS}), headers=headers)
    assert reply.status_code == 415 and "application/json" in reply.json()["error"]


def test_json_with_a_charset_is_answered(client):
    reply = client.post("/api/predict", content=json.dumps({"pixels": PIXELS}),
                        headers={"content-type": "Application/JSON; charset=utf-8"})
    assert reply.status_code == 200


# -- huge integers -------------------------------------------------------------------------


@pytest.mark.parametrize("digits", [21, 400, 5000])
def test_huge_integer_pixels_get_400(client, digits):
    body = '{"pixels": [' + "9" * digits + "," + ",".join(["0"] * 783) + "]}"
    reply = client.post("/api/predict", content=body,
                        headers={"content-type": "application/json"})
    assert reply.status_code == 400
    assert f"an integer of {digits} digits is too large" in reply.json()["error"]


def test_large_but_sane_integer_is_just_out_of_range(client):
    body = '{"pixels": [' + "9" * 20 + "," + ",".join(["0"] * 783) + "]}"
    reply = client.post("/api/predict", content=body,
                        headers={"content-type": "application/json"})
    assert reply.status_code == 400 and "outside [0, 1]" in reply.json()["error"]


# -- images: size from the header, bounded decodes ---------------------------------------


def test_image_over_the_pixel_limit_is_refused_before_decoding(client, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("the image was decoded")

    monkeypatch.setattr(payload, "image_file_to_mnist", never)
    big = a_digit_png(1100)  # 1,210,000 pixels, a few KB of PNG
    assert len(big) < 20_000
    reply = client.post("/api/predict", json={"png": big})
    assert reply.status_code == 400
    assert "1100x1100; at most 1,048,576 pixels" in reply.json()["error"]


def test_other_image_formats_are_not_parsed(client):
    buf = io.BytesIO()
    Image.new("L", (30, 30), 255).save(buf, format="BMP")
    reply = client.post("/api/predict", json={"png": base64.b64encode(buf.getvalue()).decode()})
    assert reply.status_code == 400 and "PNG or JPEG" in reply.json()["error"]


class SlowDecoder:
    """Stands in for the image preparation: slow, and counting how many run at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.running = 0
        self.most = 0
        self.lock = threading.Lock()

    def __call__(self, data: bytes) -> np.ndarray:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(self.seconds)
        with self.lock:
            self.running -= 1
        return np.asarray(PIXELS)


def post_concurrently(url: str, n: int) -> list[httpx.Response]:
    body = {"png": a_digit_png()}
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _: httpx.post(f"{url}/api/predict", json=body, timeout=30),
                             range(n)))


def test_image_decodes_run_at_most_max_decodes_at_once(net, monkeypatch):
    decoder = SlowDecoder(0.15)
    monkeypatch.setattr(payload, "image_file_to_mnist", decoder)
    with live_server(create_app(net, max_decodes=2)) as url:
        replies = post_concurrently(url, 6)
    assert [r.status_code for r in replies] == [200] * 6
    assert decoder.most == 2


def test_requests_waiting_too_long_for_a_decode_get_503(net, monkeypatch):
    monkeypatch.setattr(payload, "image_file_to_mnist", SlowDecoder(0.5))
    with live_server(create_app(net, max_decodes=1, decode_wait_s=0.05)) as url:
        replies = post_concurrently(url, 3)
    busy = [r for r in replies if r.status_code == 503]
    assert busy and all(r.headers["retry-after"] == "1" and "try again" in r.json()["error"]
                        for r in busy)
    assert any(r.status_code == 200 for r in replies)


# -- disconnects and slow bodies (the ASGI app driven directly) ----------------------------


def asgi_post(app, receive, timeout: float = 5.0) -> list[dict]:
    """POST /api/predict to ``app`` with the given ``receive``; return the messages sent."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/api/predict", "raw_path": b"/api/predict",
        "query_string": b"", "root_path": "", "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
        "headers": [(b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json")],
    }
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    async def main() -> None:
        await asyncio.wait_for(app(scope, receive, send), timeout)

    asyncio.run(main())
    return sent


def test_client_disconnect_is_not_an_error(net):
    messages = iter([{"type": "http.request", "body": b'{"pix', "more_body": True},
                     {"type": "http.disconnect"}])

    async def receive() -> dict:
        return next(messages)

    sent = asgi_post(create_app(net), receive)  # raises if ClientDisconnect escapes
    assert sent[0]["type"] == "http.response.start"


def test_a_body_that_never_arrives_gets_408(net):
    async def receive() -> dict:
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    start = time.monotonic()
    sent = asgi_post(create_app(net, body_timeout_s=0.2), receive)
    assert time.monotonic() - start < 3
    assert sent[0]["status"] == 408
    assert "did not arrive within 0.2 s" in json.loads(sent[1]["body"])["error"]
