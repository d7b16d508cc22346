"""200 concurrent ``POST /api/predict`` against ``nndl serve``: all answered, all right.

The server runs as its own process (``nndl serve MODEL --port 0``) on 127.0.0.1.

The median and 99th-percentile latencies are printed (shown even without ``-s``)
and recorded as the test's ``record_property`` values.
"""

from __future__ import annotations

import asyncio
import base64
import time

import numpy as np
import pytest

httpx = pytest.importorskip("httpx", reason="the load test needs httpx")
pytest.importorskip("uvicorn", reason="the web extra is not installed: pip install 'nndl[web]'")

from nndl.data import load_sample  # noqa: E402
from nndl.data.preprocess import image_file_to_mnist, save_png  # noqa: E402
from nndl.model.io import load_model  # noqa: E402
from web_helpers import serve_in_subprocess, train_small_model  # noqa: E402

N_REQUESTS = 200
TIME_LIMIT_S = 30.0


def png_of(pixels: np.ndarray, path) -> bytes:
    save_png(pixels, path, scale=4)
    return path.read_bytes()


@pytest.mark.slow
def test_200_concurrent_predictions(tmp_path, record_property, capsys):
    model_path = train_small_model(tmp_path / "net.npz")
    model = load_model(model_path)
    x, _ = load_sample().test
    bodies: list[dict] = []
    expected: list[int] = []
    for i in range(N_REQUESTS):
        pixels = x[i % len(x)]
        if i % 4 == 3:  # a quarter as PNG: decoded and preprocessed on the server
            png = png_of(pixels, tmp_path / f"{i}.png")
            bodies.append({"png": base64.b64encode(png).decode("ascii")})
            expected.append(int(model.predict(image_file_to_mnist(png))))
        else:
            bodies.append({"pixels": pixels.tolist()})
            expected.append(int(model.predict(pixels)))

    async def one(client: httpx.AsyncClient, body: dict) -> tuple[int, dict, float]:
        start = time.perf_counter()
        reply = await client.post("/api/predict", json=body)
        return reply.status_code, reply.json(), time.perf_counter() - start

    async def all_at_once(url: str) -> list[tuple[int, dict, float]]:
        limits = httpx.Limits(max_connections=N_REQUESTS, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=TIME_LIMIT_S) as c:
            return await asyncio.wait_for(
                asyncio.gather(*(one(c, body) for body in bodies)), TIME_LIMIT_S
            )

    with serve_in_subprocess(model_path) as url:  # `nndl serve MODEL`, its own process
        start = time.perf_counter()
        results = asyncio.run(all_at_once(url))
        wall = time.perf_counter() - start

    assert len(results) == N_REQUESTS
    assert [status for status, _, _ in results] == [200] * N_REQUESTS
    assert [data["digit"] for _, data, _ in results] == expected
    latencies_ms = np.array([seconds for _, _, seconds in results]) * 1000
    median, p99 = np.percentile(latencies_ms, [50, 99])
    record_property("median_ms", round(float(median), 1))
    record_property("p99_ms", round(float(p99), 1))
    with capsys.disabled():
        print(f"\n[load] {N_REQUESTS} concurrent POST /api/predict in {wall:.2f} s: "
              f"median {median:.1f} ms, p99 {p99:.1f} ms")
    assert wall < TIME_LIMIT_S
