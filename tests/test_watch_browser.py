"""The live training page of ``nndl watch`` in a real browser: Debian's Chromium via Playwright.

Each test trains a network on the bundled sample in a thread (``nndl train``
with the session as its hooks) and serves the page with uvicorn on 127.0.0.1.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pytest

from browser_helpers import launch, require_browser  # noqa: E402

sync_api = require_browser()

from nndl.data import load_sample  # noqa: E402
from nndl.web.watch import create_watch_app  # noqa: E402
from watch_helpers import SLOW, training_session, wait_for  # noqa: E402
from web_helpers import live_server  # noqa: E402

pytestmark = pytest.mark.browser

WATCH = "window.nndlWatch && window.nndlWatch.state()"


@pytest.fixture(scope="module")
def browser():
    yield from launch(sync_api)


@contextmanager
def watched(browser, *options, **session_options):
    """A training run, its server and a page on it: yields ``(session, page)``."""
    with training_session(*options, **session_options) as session, \
            live_server(create_watch_app(session)) as url:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url + "/")
        page.wait_for_function(WATCH)
        try:
            yield session, page
        finally:
            context.close()
        assert errors == []


def page_state(page) -> dict:
    return page.evaluate(f"({WATCH})")


def test_the_curves_gain_points_as_epochs_end(browser):
    with watched(browser, *SLOW) as (session, page):
        page.wait_for_function(f"({WATCH}).points.accuracy >= 2", timeout=60_000)
        first = page_state(page)
        page.wait_for_function(f"({WATCH}).epochs >= {first['epochs'] + 2}", timeout=60_000)
        later = page_state(page)
        for chart in ("accuracy", "cost", "speed"):
            assert later["points"][chart] > first["points"][chart], chart
        # one point per epoch and series: training and test accuracy; training cost;
        # the two hidden layers' learning speed
        n = later["epochs"]
        assert later["points"] == {"accuracy": 2 * n, "cost": n, "speed": 2 * n}
        assert page.locator("#status").text_content() == "training"
        tiles = page.locator(".digit-tile")
        assert tiles.count() == 48
        # the marks are those of the epoch last shown: both read in one script, so no
        # epoch's update can come between the two reads while training goes on
        wrong, shown = page.evaluate(
            "[document.querySelectorAll('.digit-tile.wrong').length,"
            " document.getElementById('digits-note').textContent]")
        assert shown.startswith(f"{wrong} of 48 wrong")
        assert "after epoch" in shown
        assert page.locator("#speed-legend span").all_text_contents() == [
            "hidden layer 1", "hidden layer 2"]


def test_pause_stops_the_curves_and_resume_restarts_them(browser):
    with watched(browser, *SLOW) as (session, page):
        page.wait_for_function(f"({WATCH}).epochs >= 1", timeout=60_000)
        page.click("#pause")
        page.wait_for_function(f"({WATCH}).status === 'paused'")
        assert page.locator("#resume").is_visible() and not page.locator("#pause").is_visible()
        page.wait_for_timeout(300)
        held = page_state(page)
        page.wait_for_timeout(1500)
        assert page_state(page) == held  # no new epoch, no progress
        assert session.status == "paused"
        page.click("#resume")
        page.wait_for_function(f"({WATCH}).status === 'training'")
        page.wait_for_function(
            f"JSON.stringify(({WATCH}).progress) !== '{_js(held['progress'])}'"
            f" || ({WATCH}).epochs > {held['epochs']}", timeout=30_000)


def _js(value) -> str:
    import json

    return json.dumps(value, separators=(",", ":")).replace("'", "\\'")


def test_stop_ends_the_run_and_the_drawing_page_uses_the_model(browser):
    with watched(browser, *SLOW) as (session, page):
        page.wait_for_function(f"({WATCH}).epochs >= 1", timeout=60_000)
        page.click("#stop")
        page.wait_for_function(f"({WATCH}).status === 'stopped'", timeout=30_000)
        assert page.locator("#stop").is_disabled() and page.locator("#pause").is_disabled()
        assert session.exit_code == 130 and session.stop_reason == "stopped from the page"
        epochs = page_state(page)["epochs"]
        page.wait_for_timeout(800)
        assert page_state(page)["epochs"] == epochs  # nothing moves any more
        # the drawing page opens in the iframe, on the model just trained
        draw = page.wait_for_selector("#draw:not([hidden])").content_frame()
        draw.wait_for_function("window.nndl && document.getElementById('model')"
                               ".textContent.startsWith('Network')")
        x, _ = load_sample().test
        draw.evaluate("pixels => window.nndl.pastePixels(pixels)", x[0].tolist())
        draw.wait_for_function("window.nndl.state().sent > 0 && window.nndl.isIdle()",
                               timeout=15_000)
        answer = draw.evaluate("window.nndl.state().last")
        expected = session.model.feedforward(np.array(answer["image"]))
        np.testing.assert_allclose(answer["activations"], expected, rtol=0, atol=1e-12)
        assert answer["digit"] == int(np.argmax(expected))
        assert "best epoch" in page.locator("#draw-note").text_content()


def test_closing_the_page_stops_training(browser):
    with training_session(*SLOW, grace_s=0.5) as session, \
            live_server(create_watch_app(session)) as url:
        context = browser.new_context()
        page = context.new_page()
        page.goto(url + "/")
        page.wait_for_function(WATCH)
        wait_for(lambda: session.history, 60, "an epoch")
        assert session.stop_reason is None
        context.close()
        wait_for(lambda: session.final is not None, 30, "the end of training")
        assert session.stop_reason == "the page was closed"
        assert session.status == "stopped"
