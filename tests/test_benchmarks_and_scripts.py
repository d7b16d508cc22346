"""Every benchmark and script at least starts: its imports hold and ``--help`` works.

They are not run (benchmarks time things; scripts train), but a renamed module
or option would otherwise only show when someone next measures.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALL = sorted(p for folder in ("benchmarks", "scripts") for p in (ROOT / folder).glob("*.py"))
#: Those with options (the rest, e.g. CI's real-data check, run as they are: compiled only).
PROGRAMS = [p for p in ALL if "ArgumentParser" in p.read_text(encoding="utf-8")]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_help_works(program):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    run = subprocess.run([sys.executable, str(program), "--help"], capture_output=True,
                         text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "usage" in run.stdout.lower()


@pytest.mark.parametrize("program", [p for p in ALL if p not in PROGRAMS],
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_others_compile(program):
    compile(program.read_text(encoding="utf-8"), str(program), "exec")
