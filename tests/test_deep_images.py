"""Images of more than 8 bits per pixel are scaled by their real range, not clipped to 8 bits."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from nndl.data import load_sample
from nndl.data.preprocess import image_file_to_mnist, load_image


@pytest.fixture(scope="module")
def seven() -> np.ndarray:
    """The sample's first test digit (a 7) as dark ink on white, 8-bit, 0..255 used fully."""
    x = load_sample().test[0][0].reshape(28, 28)
    return np.round((1.0 - x) * 255).astype(np.uint8)


def encoded(pixels: np.ndarray, fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format=fmt)
    return buf.getvalue()


@pytest.mark.parametrize("deep, fmt, tol", [
    (lambda a: a.astype(np.uint16) * 257, "PNG", 1e-12),               # 16-bit PNG
    (lambda a: a.astype(np.int32) * 1_000_000 - 5, "TIFF", 1e-12),      # 32-bit int TIFF
    (lambda a: a.astype(np.float32) / 255, "TIFF", 1e-6),               # float TIFF in [0, 1]
    (lambda a: a.astype(np.float32) * 3.5 - 100, "TIFF", 1e-6),         # float TIFF, any range
])
def test_deep_image_reads_as_its_8_bit_version(seven, deep, fmt, tol):
    assert seven.min() == 0 and seven.max() == 255
    data = encoded(deep(seven), fmt)
    assert Image.open(io.BytesIO(data)).mode in ("I;16", "I", "F")
    np.testing.assert_allclose(load_image(data), seven / 255.0, atol=tol, rtol=0)
    np.testing.assert_allclose(image_file_to_mnist(data),
                               image_file_to_mnist(encoded(seven, "PNG")), atol=1e-5, rtol=0)


def test_faint_16_bit_digit_is_not_lost(seven):
    """A 16-bit image using only 0..1000 is all black at 8 bits; scaled, the 7 is there."""
    faint = (seven.astype(np.uint32) * 1000 // 255).astype(np.uint16)
    x = image_file_to_mnist(encoded(faint, "PNG"))
    np.testing.assert_allclose(x, image_file_to_mnist(encoded(seven, "PNG")), atol=0.02)


def test_float_tiff_with_nan_is_refused(seven):
    bad = seven.astype(np.float32)
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        image_file_to_mnist(encoded(bad, "TIFF"))


def test_constant_deep_image_has_no_ink():
    with pytest.raises(ValueError, match="no ink"):
        image_file_to_mnist(encoded(np.full((10, 10), 300, dtype=np.uint16), "PNG"))


def test_web_reads_a_16_bit_png_like_its_8_bit_version(seven):
    pytest.importorskip("starlette")
    from nndl import Network
    from nndl.web.app import create_app
    from web_helpers import make_client

    client = make_client(create_app(Network([784, 30, 10], seed=0)))

    def seen(data: bytes) -> list[float]:
        reply = client.post("/api/predict", json={"png": base64.b64encode(data).decode()})
        assert reply.status_code == 200, reply.text
        return reply.json()["image"]

    deep = seen(encoded(seven.astype(np.uint16) * 257, "PNG"))
    np.testing.assert_allclose(deep, seen(encoded(seven, "PNG")), atol=1e-12)
