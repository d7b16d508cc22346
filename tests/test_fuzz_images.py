"""Fuzz: image decoding and MNIST preprocessing.

Contract: a ``(784,)`` input with finite values in [0, 1], or ``ValueError``
with a message (``OSError`` for a file that cannot be opened); never another
exception, never a hang.
"""

from __future__ import annotations

import io

import numpy as np
import pytest

pytest.importorskip("hypothesis", reason="the fuzz tests need hypothesis")

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402
from PIL import Image  # noqa: E402

from fuzz_helpers import no_hang  # noqa: E402
from nndl.data.preprocess import image_file_to_mnist, to_mnist  # noqa: E402

# Pillow warns about some damaged files (e.g. TIFF tags past the end) and goes on.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

#: Pillow mode -> the NumPy dtype and channels of arrays that make such an image.
MODES = {
    "L": (np.uint8, 1), "LA": (np.uint8, 2), "RGB": (np.uint8, 3), "RGBA": (np.uint8, 4),
    "I;16": (np.uint16, 1), "I": (np.int32, 1), "F": (np.float32, 1), "1": (np.bool_, 1),
}
#: Formats that can hold each mode.
FORMATS = {"L": ["PNG", "JPEG", "TIFF", "BMP"], "LA": ["PNG", "TIFF"],
           "RGB": ["PNG", "JPEG", "TIFF"], "RGBA": ["PNG", "TIFF"], "I;16": ["PNG", "TIFF"],
           "I": ["TIFF"], "F": ["TIFF"], "1": ["PNG", "TIFF"]}


@st.composite
def encoded_images(draw: st.DrawFn) -> bytes:
    """A small image of any common mode, with arbitrary pixels, as PNG/JPEG/TIFF/BMP bytes."""
    mode = draw(st.sampled_from(sorted(MODES)))
    dtype, channels = MODES[mode]
    h, w = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    shape = (h, w) if channels == 1 else (h, w, channels)
    elements = (st.floats(width=32) if dtype is np.float32 else None)
    pixels = draw(hnp.arrays(dtype, shape, elements=elements))
    img = Image.fromarray(pixels)
    if mode == "1":
        img = img.convert("1")
    buf = io.BytesIO()
    img.save(buf, format=draw(st.sampled_from(FORMATS[mode])))
    data = buf.getvalue()
    if draw(st.booleans()):  # garble some bytes after the first 64 (headers stay sane)
        i = draw(st.integers(min(64, len(data) - 1), len(data) - 1))
        junk = draw(st.binary(min_size=1, max_size=16))
        data = data[:i] + junk + data[i + len(junk):]
    return data


def check(source, prepare=image_file_to_mnist) -> None:
    with no_hang():
        try:
            x = prepare(source)
        except ValueError as exc:
            assert str(exc)
            return
    assert x.shape == (784,) and np.isfinite(x).all() and x.min() >= 0 and x.max() <= 1


@given(encoded_images())
def test_images_of_every_mode(data):
    check(data)


@given(st.binary(max_size=200))
def test_arbitrary_bytes(data):
    check(data)


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=30),
                  elements=st.floats(allow_nan=True, allow_infinity=True)))
def test_to_mnist_on_arbitrary_arrays(arr):
    check(arr, to_mnist)


@given(encoded_images())
def test_image_files_on_disk(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("img") / "digit.png"
    path.write_bytes(data)
    check(path)
