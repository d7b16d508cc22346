"""Fixtures shared by several test files."""

from __future__ import annotations

import pytest

import nndl.data.fetch as fetch_module
from data_helpers import Unreachable


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every fetch fail at once, without touching the network."""
    monkeypatch.setattr(fetch_module, "default_sources", lambda: [Unreachable()])
