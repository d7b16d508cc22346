"""The drawing page in a real browser: Debian's Chromium driven by Playwright.

A real server (uvicorn, in a thread, on 127.0.0.1) serves a small model; the
tests draw on the canvas with the mouse (and a finger), and check that the
page's answer is the one ``nndl predict`` gives for the very PNG the page sent.
"""

from __future__ import annotations

import base64
import io
import json
import time
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.browser

from browser_helpers import launch, require_browser  # noqa: E402

sync_api = require_browser()

from PIL import Image  # noqa: E402

from nndl.cli import main  # noqa: E402
from nndl.data import load_sample  # noqa: E402
from nndl.data.preprocess import save_png  # noqa: E402
from nndl.model.io import load_model  # noqa: E402
from nndl.web.app import create_app  # noqa: E402
from web_helpers import live_server, train_small_model  # noqa: E402

IDLE = "window.nndl && window.nndl.state().sent > 0 && window.nndl.isIdle()"


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    return train_small_model(tmp_path_factory.mktemp("browser") / "net.npz")


@pytest.fixture(scope="module")
def server(model_path):
    with live_server(create_app(load_model(model_path))) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    yield from launch(sync_api)


class Page:
    """A fresh page on the drawing app, recording the PNGs it sends."""

    def __init__(self, browser, url: str, **context_options) -> None:
        self.context = browser.new_context(viewport={"width": 1100, "height": 760},
                                           **context_options)
        self.page = self.context.new_page()
        self.sent: list[bytes] = []
        self.page.on("request", self._record)
        self.page.goto(url + "/")
        self.page.wait_for_function("document.getElementById('model').textContent"
                                    ".startsWith('Network')")
        box = self.page.locator("#pad").bounding_box()
        self.left, self.top, self.size = box["x"], box["y"], box["width"]

    def _record(self, request) -> None:
        if request.url.endswith("/api/predict") and request.method == "POST":
            png = json.loads(request.post_data)["png"]
            self.sent.append(base64.b64decode(png.partition(",")[2]))

    def at(self, u: float, v: float) -> tuple[float, float]:
        """Page coordinates of the point (u, v) of the pad, both in [0, 1]."""
        return self.left + u * self.size, self.top + v * self.size

    def stroke(self, points: list[tuple[float, float]], steps: int = 4) -> None:
        mouse = self.page.mouse
        mouse.move(*self.at(*points[0]))
        mouse.down()
        for u, v in points[1:]:
            mouse.move(*self.at(u, v), steps=steps)
        mouse.up()

    def answer(self) -> dict:
        self.page.wait_for_function(IDLE, timeout=15_000)
        return self.page.evaluate("window.nndl.state()")

    def shown_digit(self) -> str:
        return self.page.locator("#digit").text_content()

    def bar_texts(self) -> list[str]:
        return self.page.locator(".bar").evaluate_all("bars => bars.map(b => b.dataset.value)")

    def bar_values(self) -> list[float]:
        return [float(v) for v in self.bar_texts()]


@pytest.fixture
def page(browser, server):
    p = Page(browser, server)
    yield p
    p.context.close()


def nndl_predict(model_path: Path, png: Path, capsys) -> dict:
    capsys.readouterr()
    assert main(["predict", str(model_path), str(png), "--json"]) == 0
    return json.loads(capsys.readouterr().out)[0]


def test_drawing_with_the_mouse_shows_a_digit_and_ten_bars(page):
    assert page.shown_digit() == "?"
    page.stroke([(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)])  # a "7"
    state = page.answer()
    digit = page.shown_digit()
    assert digit in list("0123456789") and int(digit) == state["last"]["digit"]
    labels = page.page.locator(".bar-label").all_text_contents()
    assert labels == [str(d) for d in range(10)]
    assert page.bar_values() == pytest.approx(state["last"]["activations"])
    assert page.page.locator(".bar.top .bar-label").text_content() == digit
    # the 28x28 panel shows the image the network saw
    seen = page.page.evaluate(
        "Array.from(document.getElementById('seen').getContext('2d')"
        ".getImageData(0, 0, 28, 28).data.filter((_, i) => i % 4 === 0))")
    expected = np.round(np.array(state["last"]["image"]) * 255)
    assert np.abs(np.array(seen) - expected).max() <= 1


def test_requests_are_throttled_while_drawing(page):
    points = [(0.2 + 0.6 * t / 40, 0.5 + 0.3 * np.sin(t / 5)) for t in range(41)]
    start = time.perf_counter()
    page.stroke(points, steps=5)  # 200 pointer moves
    page.answer()
    elapsed = time.perf_counter() - start
    # At most one request per THROTTLE_MS (100 ms in app.js) while drawing, and one more
    # after the pen lifts.  Bounded by the time the stroke really took, so that a loaded
    # machine (a slow stroke) cannot make the test fail; and fewer than one per move.
    assert 1 <= len(page.sent) <= elapsed / 0.100 + 1
    assert len(page.sent) < 200


def test_traced_mnist_digit_gets_the_answer_of_nndl_predict(page, model_path, tmp_path,
                                                             capsys):
    x, _ = load_sample().test
    pixels = x[7].reshape(28, 28)
    for r in range(28):  # trace each row's runs of ink with short strokes
        ink = np.flatnonzero(pixels[r] > 0.5)
        if ink.size == 0:
            continue
        runs = np.split(ink, np.flatnonzero(np.diff(ink) > 1) + 1)
        for run in runs:
            v = (r + 0.5) / 28
            page.stroke([((run[0] + 0.5) / 28, v), ((run[-1] + 0.5) / 28, v)], steps=2)
    state = page.answer()
    assert state["sent"] == len(page.sent)
    drawn = tmp_path / "drawn.png"
    drawn.write_bytes(page.sent[-1])  # the final drawing, exactly as the page sent it
    expected = nndl_predict(model_path, drawn, capsys)
    assert int(page.shown_digit()) == expected["digit"] == state["last"]["digit"]
    np.testing.assert_allclose(state["last"]["activations"], expected["activations"],
                               rtol=0, atol=1e-12)


def test_pasted_mnist_digit_is_read_like_the_same_png_file(page, model_path, tmp_path, capsys):
    x, _ = load_sample().test
    for i in (0, 3):
        page.page.evaluate("pixels => window.nndl.pastePixels(pixels)", x[i].tolist())
        state = page.answer()
        reference = tmp_path / f"digit{i}.png"
        save_png(x[i], reference, scale=10)  # 280x280, the pad's size
        sent = np.asarray(Image.open(io.BytesIO(page.sent[-1])).convert("L"), dtype=int)
        assert np.abs(sent - np.asarray(Image.open(reference), dtype=int)).max() <= 1
        expected = nndl_predict(model_path, reference, capsys)
        assert int(page.shown_digit()) == expected["digit"] == state["last"]["digit"]
        np.testing.assert_allclose(state["last"]["activations"], expected["activations"],
                                   rtol=0, atol=1e-9)


def test_clear_resets_the_answer(page):
    page.stroke([(0.5, 0.2), (0.5, 0.8)])
    page.page.click("#clear")  # perhaps while a request is in flight: its answer is dropped
    page.page.wait_for_function("window.nndl.isIdle()")
    page.page.wait_for_timeout(200)
    assert page.shown_digit() == "?"
    assert page.bar_texts() == [""] * 10
    assert page.page.locator("#confidence").text_content() == "draw a digit to begin"


def test_a_finger_draws_too(browser, server):
    p = Page(browser, server, has_touch=True)
    try:
        cdp = p.context.new_cdp_session(p.page)
        points = [p.at(0.5, 0.15 + 0.7 * t / 10) for t in range(11)]  # a "1"
        for kind, (x, y) in [("touchStart", points[0]),
                             *[("touchMove", pt) for pt in points[1:]]]:
            cdp.send("Input.dispatchTouchEvent",
                     {"type": kind, "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        state = p.answer()
        assert p.shown_digit() == str(state["last"]["digit"])
        assert max(state["last"]["image"]) > 0.5
    finally:
        p.context.close()
