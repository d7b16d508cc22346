"""Helpers of the web tests: a small trained model and a real server in a thread."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from nndl import Network
from nndl.data import load_sample
from nndl.model.io import save_model
from nndl.web.threaded import serve_in_thread


def train_small_model(path: Path) -> Path:
    """Train ``[784, 30, 10]`` on the bundled sample for a few epochs; save it at ``path``."""
    net = Network([784, 30, 10], seed=1)
    data = load_sample()
    history = net.SGD(data.training, 4, 10, 3.0, test_data=data.test, verbose=False)
    save_model(net, path, metadata={"test_accuracy": history.to_list()[-1]["test_accuracy"],
                                    "training": {"data": "sample", "training_examples": 1000}})
    return path


@contextmanager
def live_server(app: Any, *, timeout: float = 10.0) -> Iterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 (a free port) in a thread; yield its base URL."""
    with serve_in_thread(app, timeout=timeout) as url:
        yield url


@contextmanager
def serve_in_subprocess(model_path: Path, *, timeout: float = 90.0) -> Iterator[str]:
    """Run ``nndl serve MODEL --port 0`` in its own process; yield its base URL.

    The server then has its own interpreter (and GIL), so a client in the
    test process measures the server, not itself.
    """
    import os
    import queue
    import re
    import subprocess
    import sys
    import threading

    src = str(Path(__file__).resolve().parents[1] / "src")
    env = dict(os.environ, PYTHONPATH=src + os.pathsep + os.environ.get("PYTHONPATH", ""),
               PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "nndl", "serve", str(model_path), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
    )
    # A thread reads the output line by line: select() on the pipe would miss
    # lines already pulled into the file object's buffer by an earlier readline().
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for raw in proc.stdout:
            lines.put(raw.decode(errors="replace"))
        lines.put(None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    output: list[str] = []
    try:
        deadline = time.monotonic() + timeout
        url = None
        while url is None:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                line = None
            if line is None:
                raise RuntimeError("nndl serve did not start:\n" + "".join(output))
            output.append(line)
            found = re.search(r"running on (http://127\.0\.0\.1:\d+)", line)
            url = found.group(1) if found else None
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(timeout=10)  # the pipe is at EOF once the server has exited
        proc.stdout.close()


def make_client(app: Any, **options: Any) -> Any:
    """Starlette's ``TestClient`` for ``app``, as a browser on http://127.0.0.1:8000 would be.

    (The server answers only requests whose ``Host`` names it, so the
    client's default ``testserver`` would be refused.)
    """
    import warnings

    with warnings.catch_warnings():  # Starlette >= 1.x suggests httpx2 for its TestClient
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    options.setdefault("base_url", "http://127.0.0.1:8000")
    return TestClient(app, **options)
