"""The documentation site (docs/), built with warnings as errors and read as a reader would.

One Sphinx build per session (``-W --keep-going -n``, the command of docs/conf.py) into a
temporary folder, then:

- from the built files: every public module and every public name it defines has its
  place in the API reference, every sub-command and option of ``nndl`` is in the CLI
  reference;
- in Chromium (Playwright), served by ``python3 -m http.server`` on 127.0.0.1: every page
  opens with no console error, no failed request and no request leaving 127.0.0.1 (the
  site works offline); every internal link resolves (no 404, anchors exist); the maths is
  typeset by MathJax (no raw ``$$``); every image, the notebooks' figures included, has
  loaded; the search box finds the backpropagation page for "BP2".

Marked slow (the build takes tens of seconds) and, for the browser part, browser.
"""

from __future__ import annotations

import argparse
import fcntl
import importlib
import inspect
import os
import pkgutil
import re
import socket
import subprocess
import sys
import time
import types
import urllib.request
from collections import deque
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

import nndl
from nndl.cli import build_parser

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
BUILD_TIMEOUT_S = 900


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The site, built as CI builds it (warnings are errors) into a temporary folder.

    Built once per test session: under pytest-xdist the workers share one build (the
    first to take the lock builds; the build also writes its generated pages into docs/,
    so two builds must never run at once)."""
    for module in ("sphinx", "myst_nb", "numpydoc", "pydata_sphinx_theme", "sphinx_design",
                   "sphinx_copybutton"):
        pytest.importorskip(module, reason='the docs extra: pip install -e ".[docs]"')
    # The session's own temporary root: shared by the xdist workers of this session only.
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    out = shared / "docs-site"
    with open(shared / "docs-site.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = out / "built"
        if not done.exists():
            run = subprocess.run(
                [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q", "-b",
                 "html", "-d", str(out / "doctrees"), str(DOCS), str(out / "html")],
                capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, cwd=ROOT)
            assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-5000:]
            done.write_text("ok")
    return out / "html"


def _public_modules() -> list[types.ModuleType]:
    modules = [nndl]
    for info in pkgutil.walk_packages(nndl.__path__, "nndl."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            modules.append(importlib.import_module(info.name))
    return modules


def _defined_names(module: types.ModuleType) -> list[str]:
    """The public classes and functions that ``module`` defines itself."""
    names = []
    for name, obj in vars(module).items():
        if name.startswith("_") or isinstance(obj, types.GenericAlias):
            continue
        if (inspect.isclass(obj) or inspect.isfunction(obj)) \
                and obj.__module__ == module.__name__:
            names.append(name)
    return names


def test_every_public_module_and_name_has_its_api_entry(site):
    api = site / "reference" / "generated"
    modules = _public_modules()
    assert len(modules) > 40
    for module in modules:
        page = api / f"{module.__name__}.html"
        assert page.exists(), f"no API page for {module.__name__}"
        html = page.read_text(encoding="utf-8")
        for name in _defined_names(module):
            assert f'id="{module.__name__}.{name}"' in html, f"{module.__name__}.{name}"
    top = (api / "nndl.html").read_text(encoding="utf-8")
    for name in nndl.__all__:
        obj = getattr(nndl, name)
        if name.startswith("_"):
            assert f'id="nndl.{name}"' in top
            continue
        # a top-level name links to the page of the module that defines it
        where = f"{obj.__module__}.html#{obj.__module__}.{obj.__qualname__}"
        assert where in top, f"nndl.{name} does not link to {where}"


def test_the_cli_reference_has_every_command_and_option(site):
    text = re.sub(r"<[^>]+>", "", (site / "reference" / "cli.html").read_text("utf-8"))
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert len(commands.choices) >= 12
    for name, sub in commands.choices.items():
        assert f"nndl {name}" in text
        for action in sub._actions:
            for flag in action.option_strings:
                assert flag in text, f"nndl {name} {flag}"


# --- in the browser ---------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(site):
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port),
         "--directory", str(site)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base, timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from browser_helpers import launch, require_browser

    yield from launch(require_browser())


class Reader:
    """One page of Chromium that records what went wrong while it reads the site."""

    def __init__(self, browser, base: str) -> None:
        self.base = base
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.context.route("**/*", self._only_local)
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(
            f"console error: {m.text}"))
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(
            f"failed request: {r.url} ({r.failure})"))
        self.page.on("response", lambda r: r.status >= 400 and self.problems.append(
            f"HTTP {r.status}: {r.url}"))

    def _only_local(self, route) -> None:
        url = route.request.url
        if url.startswith(self.base) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            self.problems.append(f"request leaving 127.0.0.1: {url}")
            route.abort()

    def open(self, url: str) -> None:
        self.page.goto(url, wait_until="load")
        if self.page.evaluate("document.querySelector('.math') !== null"):
            self.page.wait_for_function(
                "window.MathJax && MathJax.startup && MathJax.startup.promise"
                " && document.querySelectorAll('mjx-container').length > 0", timeout=20000)
            self.page.evaluate("MathJax.startup.promise")
        self.page.evaluate("document.fonts.ready.then(() => true)")   # MathJax's fonts too


LINKS = """() => Array.from(document.querySelectorAll('a[href]'), a => a.href)"""
IDS = """() => Array.from(document.querySelectorAll('[id]'), e => e.id)"""
BROKEN_IMAGES = """() => Array.from(document.images)
    .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"""
MATHS = """() => ({maths: document.querySelectorAll('.math').length,
                  typeset: document.querySelectorAll('.math mjx-container').length,
                  raw: document.body.innerText.includes('$$')})"""


@pytest.mark.browser
def test_every_page_reads_cleanly_and_every_link_resolves(browser, served, site):
    reader = Reader(browser, served)
    pages = {served + p.relative_to(site).as_posix() for p in site.rglob("*.html")
             if not p.relative_to(site).parts[0].startswith("_")}
    queue, seen, ids, anchors, files = deque([served + "index.html"]), set(), {}, [], set()
    queue.extend(sorted(pages))
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        reader.open(url)
        ids[url] = set(reader.page.evaluate(IDS))
        assert reader.page.evaluate(BROKEN_IMAGES) == [], url
        maths = reader.page.evaluate(MATHS)
        assert maths["typeset"] == maths["maths"] and not maths["raw"], (url, maths)
        for link in reader.page.evaluate(LINKS):
            target, fragment = urldefrag(link)
            if not target.startswith(served):
                assert urlparse(link).scheme in ("http", "https", "mailto"), link
                continue
            if target.endswith("/"):
                target += "index.html"
            if target.endswith(".html"):
                queue.append(target)
                if fragment:
                    anchors.append((url, target, fragment))
            else:
                files.add(target)
        assert reader.problems == [], (url, reader.problems)
    assert pages <= seen and len(pages) > 60
    missing = [(src, f"{target}#{frag}") for src, target, frag in anchors
               if frag not in ids[target]]
    assert missing == []
    for target in sorted(files):         # downloads: logs, notebooks' sources, code
        assert reader.page.request.get(target).status == 200, target


@pytest.mark.browser
def test_maths_and_notebook_figures_render(browser, served):
    reader = Reader(browser, served)
    reader.open(urljoin(served, "book/ch2-backpropagation.html"))
    maths = reader.page.evaluate(MATHS)
    assert maths["maths"] >= 8 and maths["typeset"] == maths["maths"] and not maths["raw"]
    assert reader.page.locator("mjx-container[display='true']").count() >= 4
    for notebook in ("ch1-network-reads-digits", "ch2-backpropagation"):
        reader.open(urljoin(served, f"notebooks/{notebook}.html"))
        widths = reader.page.evaluate(
            "() => Array.from(document.querySelectorAll('.cell_output img'), i => i.naturalWidth)")
        assert len(widths) >= 2 and min(widths) > 0, (notebook, widths)
    assert reader.problems == []


@pytest.mark.browser
def test_search_finds_the_backpropagation_page_for_bp2(browser, served):
    reader = Reader(browser, served)
    reader.open(served + "index.html")
    reader.page.keyboard.press("Control+k")     # the theme's search shortcut
    box = reader.page.locator("input[name='q']:visible").first
    box.fill("BP2")
    box.press("Enter")
    reader.page.wait_for_url("**/search.html?q=BP2*")
    results = reader.page.locator("#search-results a")
    results.first.wait_for(timeout=20000)
    hrefs = [results.nth(k).get_attribute("href") for k in range(results.count())]
    assert any("book/ch2-backpropagation.html" in h for h in hrefs), hrefs
    assert reader.problems == []
