"""Helpers of the web tests: a small trained model and a real server in a thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from nndl import Network
from nndl.data import load_sample
from nndl.io import save_model


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
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                            access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="nndl-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)
