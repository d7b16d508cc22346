"""Helpers of the browser tests: Debian's Chromium, driven by Playwright, or a skip."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


def require_browser() -> Any:
    """``playwright.sync_api``, or skip the calling test module when it or Chromium is absent."""
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="Playwright for Python is not installed: pip install playwright")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium); browser tests skipped",
                    allow_module_level=True)
    return sync_api


def launch(sync_api: Any) -> Iterator[Any]:
    """Yield a headless Chromium (the body of a module-scoped ``browser`` fixture)."""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()
