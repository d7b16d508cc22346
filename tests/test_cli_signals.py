"""Interruptions: SIGTERM during training saves the best model like Ctrl-C; Ctrl-C elsewhere
ends quietly with exit code 130; ``nndl`` alone is a usage error."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from nndl import Network
from nndl.cli import main
from nndl.model.io import load_model

SRC = str(Path(__file__).resolve().parents[1] / "src")
needs_sigterm = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")


@needs_sigterm
def test_sigterm_during_training_saves_the_best_model(tmp_path, monkeypatch, capsys):
    calls = {"n": 0}
    real = Network.make_step

    def terminate_in_epoch_2(self, *args):
        inner = real(self, *args)

        def step(x, y, eta):
            calls["n"] += 1
            if calls["n"] == 100 + 5:  # 100 mini-batches of 10 per epoch on the sample
                os.kill(os.getpid(), signal.SIGTERM)
            inner(x, y, eta)

        return step

    monkeypatch.setattr(Network, "make_step", terminate_in_epoch_2)
    path = tmp_path / "terminated.npz"
    code = main(["train", "--sample", "--epochs", "30", "--save", str(path)])
    captured = capsys.readouterr()
    assert code == 143
    assert "Terminated (SIGTERM) during epoch 1" in captured.err
    meta = load_model(path).metadata
    assert meta["training"]["stopped"] == "terminated"
    assert meta["training"]["interrupted"] is True
    assert meta["training"]["epochs_completed"] == 1
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # restored


@needs_sigterm
def test_sigterm_while_saving_waits_for_the_model(tmp_path, monkeypatch, capsys):
    import nndl.model.io

    real_save = nndl.model.io.save_model

    def save_with_a_sigterm(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        return real_save(*args, **kwargs)

    monkeypatch.setattr(nndl.model.io, "save_model", save_with_a_sigterm)
    path = tmp_path / "m.npz"
    code = main(["train", "--sample", "--epochs", "1", "--sizes", "784,10,10",
                 "--save", str(path)])
    assert code == 143
    assert load_model(path).metadata["training"]["stopped"] == "completed"
    assert "outputs were written" in capsys.readouterr().err


@needs_sigterm
def test_kill_of_a_real_training_process_saves_the_model(tmp_path):
    """``kill PID`` on ``python -m nndl train``: exit 143, the best epoch saved."""
    path = tmp_path / "m.npz"
    env = dict(os.environ, PYTHONPATH=SRC, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "nndl", "train", "--sample", "--epochs", "10000",
         "--sizes", "784,10,10", "--save", str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        for line in proc.stdout:
            if line.startswith("Epoch 1:"):
                break
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143, err
    assert "Traceback" not in err and "Terminated (SIGTERM)" in err
    assert load_model(path).metadata["training"]["stopped"] == "terminated"


def test_ctrl_c_outside_training_exits_130_without_traceback(monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("nndl.cli.fetch.fetch_mnist", interrupted)
    assert main(["fetch"]) == 130
    err = capsys.readouterr().err
    assert "interrupted" in err and "Traceback" not in err


def test_no_command_is_a_usage_error(capsys):
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: nndl") and "a COMMAND is required" in err


def test_no_command_exit_status_of_the_program():
    env = dict(os.environ, PYTHONPATH=SRC)
    result = subprocess.run([sys.executable, "-m", "nndl"], capture_output=True, text=True,
                            env=env)
    assert result.returncode == 2 and "usage: nndl" in result.stderr
