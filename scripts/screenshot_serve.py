"""Take ``docs/serve.png``: the ``nndl serve`` page after drawing a "2" with the mouse.

Starts the page's app with uvicorn on 127.0.0.1 (a free port) in a thread,
draws with Debian's Chromium through Playwright, and saves a screenshot.

Usage::

    python scripts/screenshot_serve.py                 # the default model of nndl serve
    python scripts/screenshot_serve.py --model net.npz --out docs/serve.png
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


def two_strokes() -> list[list[tuple[float, float]]]:
    """A handwritten "2" in pad coordinates (0..1): an arc, a diagonal, a base line."""
    arc = [(0.5 + 0.2 * math.cos(a), 0.34 + 0.16 * math.sin(a))
           for a in [math.pi * (1.05 + 0.95 * t / 14) for t in range(15)]]
    arc += [(0.68 - 0.37 * t / 10, 0.42 + 0.38 * t / 10) for t in range(1, 11)]
    arc += [(0.31 + 0.42 * t / 8, 0.80 + 0.005 * t) for t in range(1, 9)]
    return [arc]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model file (default: nndl serve's default model)")
    parser.add_argument("--out", default="docs/serve.png", help="where to save the PNG")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from nndl.data._atomic import atomic_write_bytes
    from nndl.model.io import load_model
    from nndl.web.app import create_app
    from nndl.web.default_model import load_or_train_default
    from nndl.web.threaded import serve_in_thread

    model = load_model(args.model) if args.model else load_or_train_default()
    with serve_in_thread(create_app(model)) as base:
        url = base + "/"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            page = browser.new_page(viewport={"width": 1060, "height": 540},
                                    device_scale_factor=2)
            page.goto(url)
            page.wait_for_function("document.getElementById('model').textContent"
                                   ".startsWith('Network')")
            box = page.locator("#pad").bounding_box()
            for stroke in two_strokes():
                points = [(box["x"] + u * box["width"], box["y"] + v * box["height"])
                          for u, v in stroke]
                page.mouse.move(*points[0])
                page.mouse.down()
                for point in points[1:]:
                    page.mouse.move(*point, steps=3)
                page.mouse.up()
            page.wait_for_function("window.nndl.state().sent > 0 && window.nndl.isIdle()")
            page.wait_for_timeout(300)  # let the bars' transition finish
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(args.out, page.screenshot(full_page=True))
            print(f"{args.out}: the page reads {page.locator('#digit').text_content()}")
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
