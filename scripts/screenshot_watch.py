"""Take ``docs/watch.png``: the ``nndl watch`` page while a network learns MNIST.

Trains as ``nndl watch`` does (``nndl train`` in a thread, watched by a
:class:`~nndl.web.session.WatchSession`), serves the page with uvicorn on
127.0.0.1 (a free port) in a thread, waits in Debian's Chromium (Playwright)
until ``--epochs-shown`` epochs are drawn, and saves a screenshot.

Usage::

    python scripts/screenshot_watch.py                       # real MNIST (nndl fetch first)
    python scripts/screenshot_watch.py --sample --out /tmp/watch.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
#: The book's chapter-5 network with three hidden layers, trained as chapter 5 trains it.
TRAIN = ["--sizes", "784,30,30,30,10", "--cost", "cross_entropy", "--init", "scaled_normal",
         "--eta", "0.1", "--lmbda", "5", "--epochs", "30", "--quiet"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/watch.png", help="where to save the PNG")
    parser.add_argument("--epochs-shown", type=int, default=6)
    parser.add_argument("--sample", action="store_true", help="train on the bundled sample")
    a = parser.parse_args()

    from nndl.cli import build_parser
    from nndl.cli.watch import start_training
    from nndl.web.session import WatchSession
    from nndl.web.threaded import serve_in_thread
    from nndl.web.watch import create_watch_app

    args = build_parser().parse_args(["watch", *TRAIN, *(["--sample"] if a.sample else [])])
    session = WatchSession()
    training = start_training(args, session)
    if not session.wait_started():
        raise SystemExit(f"training did not start: {session.message}")
    try:
        with serve_in_thread(create_watch_app(session)) as base:
            screenshot(base + "/", a.out, a.epochs_shown)
    finally:
        session.stop("screenshot taken")
        session.close()
        training.join(60)
    return 0


def screenshot(url: str, out: str, epochs_shown: int) -> None:
    """Open the page in Chromium, wait for ``epochs_shown`` epochs, save a screenshot."""
    from playwright.sync_api import sync_playwright

    from nndl.data._atomic import atomic_write_bytes

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1320, "height": 900})
        page.goto(url)
        page.wait_for_function("window.nndlWatch && window.nndlWatch.state() && "
                               f"window.nndlWatch.state().epochs >= {epochs_shown}", timeout=0)
        page.wait_for_function("window.nndlWatch.state().progress && "
                               "window.nndlWatch.state().progress.done > 0")
        page.wait_for_timeout(500)
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(out, page.screenshot(full_page=True))
        print(f"{out}: after {page.evaluate('window.nndlWatch.state().epochs')} epochs")
        browser.close()


if __name__ == "__main__":
    raise SystemExit(main())
