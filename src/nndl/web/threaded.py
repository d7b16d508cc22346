"""Serve an ASGI app with uvicorn in a background thread (tests, scripts, notebooks).

Examples
--------
>>> import urllib.request
>>> from nndl import Network
>>> from nndl.web import create_app
>>> with serve_in_thread(create_app(Network([784, 10, 10], seed=0))) as url:
...     with urllib.request.urlopen(url + "/api/model") as reply:
...         reply.status
200
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def serve_in_thread(app: Any, *, timeout: float = 10.0) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 (a free port) in a daemon thread; yield its base URL.

    The server is shut down when the block ends.
    """
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                            access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="nndl-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)
