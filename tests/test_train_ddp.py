"""scripts/train_ddp.py: two CPU processes train with DistributedDataParallel, nndl gets the model.

Slow (two processes start PyTorch) and skipped without PyTorch.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_processes_learn_and_the_model_comes_back_intact(tmp_path, capsys):
    pytest.importorskip("torch")
    from nndl.cli import main
    from nndl.data import load_sample
    from nndl.model.io import load_model

    out = tmp_path / "ddp.npz"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "GLOO_SOCKET_IFNAME": "lo",
           "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
           "--master_addr=127.0.0.1", f"--master_port={_free_port()}",
           str(ROOT / "scripts" / "train_ddp.py"), "--layers", "dense:30:sigmoid,softmax:10",
           "--steps", "300", "--eta", "0.5", "--sample", "-o", str(out)]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert (report["processes"], report["backend"], report["steps"]) == (2, "gloo", 300)
    assert report["examples"] == 300 * 10 * 2 and report["replicas_identical"] is True
    assert report["accuracy_before"] < 0.3 and report["accuracy_after"] > 0.7  # it learnt

    net = load_model(out)  # back in nndl, as a layer model with nndl's metadata
    assert [layer.label() for layer in net.layers] == ["dense 30 sigmoid", "dense 10 softmax"]
    assert net.cost.name == "log_likelihood" and net.metadata["steps"] == 300
    xt, yt = load_sample(dtype="float32").test
    assert net.score(xt, yt) == pytest.approx(report["accuracy_after"])
    assert all(np.isfinite(p).all() for p in net.parameters())
    assert main(["evaluate", str(out), "--sample", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] == pytest.approx(
        report["accuracy_after"])


def test_the_script_refuses_a_bad_output_before_any_work(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "train_ddp.py"), "--layers", "softmax:10",
         "--sample", "-o", str(tmp_path / "missing" / "x.npz")],
        env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.startswith("train_ddp: error: -o ")
    assert "does not exist" in run.stderr
