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


def test_blas_kernel_names_the_kernel_that_ran_and_checks_it(capsys):
    """CI's run under a second OpenBLAS kernel rests on this check (scripts/blas_kernel.py)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("blas_kernel", ROOT / "scripts/blas_kernel.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = module.kernels()
    assert found and all(found)
    assert module.main(["--expect", found[0]]) == 0
    assert found[0] in capsys.readouterr().out
    assert module.main(["--expect", "NoSuchKernel"]) == 1
    assert "expected the NoSuchKernel kernel" in capsys.readouterr().err
