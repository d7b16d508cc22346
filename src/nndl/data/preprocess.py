"""Turn an ordinary picture of a digit into an MNIST-style input vector.

MNIST's digits were made by a fixed recipe (LeCun et al.): white ink on a
black background, the digit's bounding box scaled (keeping its aspect ratio)
to fit a 20×20 box, then placed in a 28×28 image so that its centre of mass
sits at the centre.  A network trained on MNIST only reads digits well when
they are prepared the same way, so ``nndl predict`` and the drawing page
both go through :func:`to_mnist`.

Pillow is used to read files and to resample; the rest is NumPy.

Examples
--------
>>> import numpy as np
>>> canvas = np.zeros((100, 60))
>>> canvas[20:80, 25:35] = 1.0          # a thick vertical stroke: a "1"
>>> x = to_mnist(canvas)
>>> x.shape, float(x.max()) <= 1.0
((784,), True)
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from nndl.data._atomic import atomic_write_bytes

#: MNIST geometry: the digit fits a BOX×BOX square inside a SIDE×SIDE image.
SIDE = 28
BOX = 20
#: Pixels at or below this (after scaling to [0, 1]) count as background.
INK_THRESHOLD = 0.1


def _pil():
    try:
        from PIL import Image
    except ImportError as exc:  # pragma: no cover - Pillow is a dependency
        raise ImportError("reading images needs Pillow: pip install pillow") from exc
    return Image


def _scaled_to_range(pixels: NDArray, name: str) -> NDArray[np.float64]:
    """Map an image of more than 8 bits per pixel onto [0, 1] by its real range.

    The darkest pixel becomes 0 and the lightest 1 (a constant image becomes
    0): a 16-bit PNG holds 0..65535 and a float TIFF any finite numbers, so a
    fixed divisor would clip or crush them.

    Examples
    --------
    >>> _scaled_to_range(np.array([[0, 32768, 65535]], dtype=np.uint16), "x").round(3)
    array([[0. , 0.5, 1. ]])
    """
    values = np.asarray(pixels, dtype=np.float64)
    if not np.isfinite(values).all():
        raise ValueError(f"cannot read image {name}: it holds NaN or infinite pixel values")
    lo, hi = float(values.min()), float(values.max())
    if hi <= lo:
        return np.zeros_like(values)
    return (values - lo) / (hi - lo)


#: Pillow's modes of one channel with more than 8 bits (16-bit PNG, 32-bit TIFF...).
_DEEP_MODES = ("I", "F")


def load_image(source: str | os.PathLike[str] | bytes) -> NDArray[np.float64]:
    """Read a PNG/JPEG (path or bytes) as grayscale floats in [0, 1], shape (H, W).

    Transparent pixels are composited onto white, as a drawing on a
    transparent canvas would appear.  8-bit images are divided by 255; deeper
    grayscale images (16-bit PNG, 32-bit integer or float TIFF) are scaled
    by their own range, darkest pixel 0 and lightest 1.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> deep = np.zeros((8, 8), dtype=np.uint16)
    >>> deep[2:6, 3:5] = 40000                      # a 16-bit "1"
    >>> buf = io.BytesIO(); Image.fromarray(deep).save(buf, format="PNG")
    >>> img = load_image(buf.getvalue())
    >>> img.shape, float(img.max()), float(img.min())
    ((8, 8), 1.0, 0.0)
    """
    image_mod = _pil()
    name = "<bytes>" if isinstance(source, bytes) else str(source)
    if not isinstance(source, bytes) and os.path.exists(source) and not os.path.isfile(source):
        raise OSError(f"cannot read image {name}: not a regular file")  # a FIFO would block
    try:
        fh = io.BytesIO(source) if isinstance(source, bytes) else open(Path(source), "rb")  # noqa: SIM115
    except OSError as exc:
        raise OSError(f"cannot read image {name}: {exc.strerror or exc}") from None
    with fh:
        try:
            img = image_mod.open(fh)
            img.load()
        except Exception as exc:  # Pillow raises several unrelated types
            raise ValueError(f"cannot read image {name}: not a PNG/JPEG image ({exc})") from None
    if img.mode in _DEEP_MODES or img.mode.startswith("I;"):
        return _scaled_to_range(np.asarray(img), name)
    try:
        if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
            rgba = img.convert("RGBA")
            background = image_mod.new("RGBA", rgba.size, (255, 255, 255, 255))
            img = image_mod.alpha_composite(background, rgba)
        gray = np.asarray(img.convert("L"), dtype=np.float64) / 255.0
    except (ValueError, OSError) as exc:  # a mode Pillow cannot turn into grayscale
        raise ValueError(f"cannot read image {name}: cannot convert its {img.mode} pixels "
                         f"to grayscale ({exc})") from None
    return gray


def to_mnist(image: NDArray, *, invert: bool | None = None) -> NDArray[np.float64]:
    """Prepare a grayscale image (values in [0, 1]) as MNIST was prepared; return (784,).

    Parameters
    ----------
    image : array, shape (H, W)
        Grayscale in [0, 1].
    invert : bool, optional
        Whether the image is dark ink on a light background (and must be
        inverted).  By default this is decided from the border: a light
        border means a light background.

    Raises
    ------
    ValueError
        If the image is not 2-D, holds values outside [0, 1] or NaN, or has no ink.
    """
    img = np.asarray(image, dtype=np.float64)
    if img.ndim != 2 or min(img.shape) < 1:
        raise ValueError(f"image must be a 2-D grayscale array, got shape {img.shape}")
    if not np.isfinite(img).all() or img.min() < 0.0 or img.max() > 1.0:
        raise ValueError("image values must be finite numbers in [0, 1]")
    if invert is None:
        border = np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]])
        invert = bool(border.mean() > 0.5)
    if invert:
        img = 1.0 - img
    ink = img > INK_THRESHOLD
    if not ink.any():
        raise ValueError("image has no ink: nothing darker/lighter than its background")
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    digit = img[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]

    # Scale the bounding box so its longer side is BOX pixels, keeping the
    # aspect ratio; an anti-aliasing filter gives MNIST's grey edges.
    h, w = digit.shape
    scale = BOX / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    image_mod = _pil()
    resized = image_mod.fromarray(digit.astype(np.float32), mode="F").resize(
        (new_w, new_h), image_mod.Resampling.LANCZOS
    )
    digit = np.clip(np.asarray(resized, dtype=np.float64), 0.0, 1.0)

    # Place it so that its centre of mass falls on pixel (14, 14), as in MNIST.
    total = digit.sum()
    ys, xs = np.indices(digit.shape)
    com_y, com_x = (ys * digit).sum() / total, (xs * digit).sum() / total
    top = int(np.clip(round(SIDE / 2 - com_y), 0, SIDE - new_h))
    left = int(np.clip(round(SIDE / 2 - com_x), 0, SIDE - new_w))
    out = np.zeros((SIDE, SIDE))
    out[top : top + new_h, left : left + new_w] = digit
    return out.reshape(-1)


def image_file_to_mnist(source: str | os.PathLike[str] | bytes) -> NDArray[np.float64]:
    """Read an image file (or its bytes) and prepare it with :func:`to_mnist`."""
    name = "<bytes>" if isinstance(source, bytes) else str(source)
    try:
        return to_mnist(load_image(source))
    except ValueError as exc:
        if str(exc).startswith("cannot read image"):
            raise
        raise ValueError(f"{name}: {exc}") from None


def save_png(pixels: NDArray, path: str | os.PathLike[str], *, scale: int = 1) -> None:
    """Save a (784,) or (28, 28) white-on-black MNIST vector as a dark-on-light PNG.

    Handy for making test images; ``scale`` enlarges it with nearest-neighbour.
    The file is written by nndl's one writer (atomically; a link is followed,
    a device or FIFO refused).
    """
    arr = np.asarray(pixels, dtype=np.float64).reshape(SIDE, SIDE)
    img = _pil().fromarray(np.round((1.0 - arr) * 255).astype(np.uint8), mode="L")
    if scale > 1:
        img = img.resize((SIDE * scale, SIDE * scale), _pil().Resampling.NEAREST)
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    atomic_write_bytes(path, buffer.getvalue())
