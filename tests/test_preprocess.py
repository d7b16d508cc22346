"""MNIST-style preparation of ordinary images."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from nndl.data import load_sample
from nndl.data.preprocess import image_file_to_mnist, load_image, save_png, to_mnist


def centre_of_mass(x):
    img = x.reshape(28, 28)
    ys, xs = np.indices(img.shape)
    return (ys * img).sum() / img.sum(), (xs * img).sum() / img.sum()


def test_digit_is_scaled_to_20_pixels_and_centred():
    canvas = np.zeros((200, 300))
    canvas[40:160, 100:130] = 1.0  # tall stroke far from the centre
    x = to_mnist(canvas)
    img = x.reshape(28, 28)
    rows = np.flatnonzero((img > 0.1).any(axis=1))
    assert x.shape == (784,) and 0.0 <= x.min() and x.max() <= 1.0
    assert 19 <= rows[-1] - rows[0] + 1 <= 21
    cy, cx = centre_of_mass(x)
    assert abs(cy - 14) < 0.75 and abs(cx - 14) < 0.75


def test_dark_on_light_is_inverted_and_light_on_dark_is_not():
    canvas = np.zeros((50, 50))
    canvas[10:40, 20:28] = 1.0
    white_on_black = to_mnist(canvas)
    black_on_white = to_mnist(1.0 - canvas)
    np.testing.assert_allclose(white_on_black, black_on_white, atol=1e-6)
    assert white_on_black.reshape(28, 28)[0, 0] == 0.0  # background stays black


def test_mnist_digits_survive_the_round_trip_through_png(tmp_path):
    x, _ = load_sample().test
    for i in range(5):
        path = tmp_path / f"d{i}.png"
        save_png(x[i], path, scale=4)  # dark on light, 112x112
        again = image_file_to_mnist(path)
        # Same recipe as MNIST itself: the result is close to the original.
        assert np.abs(again - x[i]).mean() < 0.08


def test_transparent_png_is_composited_on_white(tmp_path):
    rgba = np.zeros((40, 40, 4), dtype=np.uint8)
    rgba[5:35, 18:22] = (0, 0, 0, 255)  # opaque black stroke, transparent elsewhere
    path = tmp_path / "t.png"
    Image.fromarray(rgba, "RGBA").save(path)
    gray = load_image(path)
    assert gray[0, 0] == 1.0 and gray[20, 20] == 0.0
    assert image_file_to_mnist(path).max() > 0.9


def test_errors_name_the_problem(tmp_path):
    blank = tmp_path / "blank.png"
    Image.new("L", (28, 28), 255).save(blank)
    with pytest.raises(ValueError, match=r"blank.png: image has no ink"):
        image_file_to_mnist(blank)
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    with pytest.raises(ValueError, match=r"cannot read image .*notes.png: not a PNG/JPEG"):
        image_file_to_mnist(text)
    with pytest.raises(OSError, match=r"cannot read image .*missing.png"):
        image_file_to_mnist(tmp_path / "missing.png")
    with pytest.raises(ValueError, match=r"values must be finite numbers in \[0, 1\]"):
        to_mnist(np.full((5, 5), 2.0))
    with pytest.raises(ValueError, match=r"2-D grayscale array, got shape \(5,\)"):
        to_mnist(np.zeros(5))
