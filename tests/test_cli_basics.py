"""The command line's skeleton: help, version, error reporting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import nndl
from nndl.cli import COMMANDS, main

SRC = str(Path(__file__).resolve().parents[1] / "src")


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"nndl {nndl.__version__}"


def test_help_lists_usage(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "usage: nndl" in capsys.readouterr().out


def test_python_dash_m_nndl_runs():
    env = dict(os.environ, PYTHONPATH=SRC)
    result = subprocess.run(
        [sys.executable, "-m", "nndl", "--version"], capture_output=True, text=True, env=env
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"nndl {nndl.__version__}"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert f"usage: nndl {command}" in capsys.readouterr().out
