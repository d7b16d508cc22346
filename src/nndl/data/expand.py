"""Training-data expansion by one-pixel shifts (the book's chapter 6, ``expand_mnist.py``).

The book enlarges MNIST's 50,000 training images to 250,000 by adding, for
each image, copies moved by one pixel up, down, left and right.  Here the
copies are never stored: an expanded epoch runs over ``5·n`` *virtual*
indices, and index ``k`` stands for example ``k % n`` moved by shift
``k // n`` (see :data:`SHIFTS`).  The shift is applied to a gathered
mini-batch with NumPy slicing — one slice assignment per kind of shift, no
loop over examples — and the pixel row or column uncovered at the edge is
filled with zeros (MNIST's background).

Examples
--------
>>> import numpy as np
>>> x = np.arange(9.0).reshape(1, 9)           # one 3×3 image
>>> shift_images(x, np.array([1]), (3, 3)).reshape(3, 3)   # up
array([[3., 4., 5.],
       [6., 7., 8.],
       [0., 0., 0.]])
>>> expanded_index(np.array([0, 4, 5, 9]), 4)
(array([0, 0, 1, 1]), array([0, 1, 1, 2]))
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

#: Shift number → (rows, columns) the image content moves by: 0 none, 1 up,
#: 2 down, 3 left, 4 right.
SHIFTS: tuple[tuple[int, int], ...] = ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1))

#: How many versions of each example an expanded epoch visits.
N_VERSIONS = len(SHIFTS)


def image_shape_of(n_inputs: int, input_shape: tuple[int, ...] | None = None) -> tuple[int, int]:
    """Return the ``(height, width)`` of the images behind flat rows of ``n_inputs`` pixels.

    Parameters
    ----------
    n_inputs : int
        Length of one flat example.
    input_shape : tuple of int, optional
        The model's example shape (e.g. ``(1, 28, 28)``); its last two
        entries are taken.  Without it the images must be square.

    Raises
    ------
    ValueError
        If no image shape fits.
    """
    if input_shape is not None and len(input_shape) >= 2:
        return int(input_shape[-2]), int(input_shape[-1])
    side = math.isqrt(n_inputs)
    if side * side != n_inputs:
        raise ValueError(
            f"cannot move the images (expanded or augmented data): examples of {n_inputs} "
            "numbers are not square images (give the model an input_shape)"
        )
    return side, side


def shift_images(
    x: NDArray[np.floating], shifts: NDArray[np.integer] | int, image_shape: tuple[int, int]
) -> NDArray[np.floating]:
    """Return a copy of the flat images ``x`` with each moved by its shift (zero fill).

    Parameters
    ----------
    x : ndarray, shape (m, channels·height·width)
        Flat images, as the models take them.
    shifts : int or ndarray of int, shape (m,)
        Shift number of each row (or of all rows), an index into :data:`SHIFTS`.
    image_shape : (height, width)
        Shape of one channel of an image.

    Returns
    -------
    ndarray
        Same shape and dtype as ``x``; row ``i`` is ``x[i]`` moved by
        ``SHIFTS[shifts[i]]`` pixels, with zeros where nothing moved in.

    Raises
    ------
    ValueError
        If the shapes do not fit or a shift number is outside 0..4.
    """
    h, w = image_shape
    m = len(x)
    if x.ndim != 2 or h * w == 0 or x.shape[1] % (h * w):
        raise ValueError(
            f"shift_images: x of shape {x.shape} is not a batch of flat images of "
            f"{h}x{w} pixels per channel"
        )
    s = np.broadcast_to(np.asarray(shifts), (m,))
    if m and (s.min() < 0 or s.max() >= N_VERSIONS):
        raise ValueError(f"shift numbers must be in 0..{N_VERSIONS - 1}, got {s.min()}..{s.max()}")
    src = x.reshape(m, -1, h, w)
    out = np.zeros_like(src)
    for k, (dy, dx) in enumerate(SHIFTS):
        rows = np.flatnonzero(s == k)
        if rows.size == 0:
            continue
        if rows.size == m:
            rows = slice(None)  # type: ignore[assignment]
        # content moves by (dy, dx): out[r, c] = src[r − dy, c − dx] where both exist
        out_r = slice(max(dy, 0), h + min(dy, 0))
        src_r = slice(max(-dy, 0), h + min(-dy, 0))
        out_c = slice(max(dx, 0), w + min(dx, 0))
        src_c = slice(max(-dx, 0), w + min(-dx, 0))
        out[rows, :, out_r, out_c] = src[rows, :, src_r, src_c]
    return out.reshape(x.shape)


def expanded_index(k: NDArray[np.integer], n: int) -> tuple[NDArray[np.integer],
                                                            NDArray[np.integer]]:
    """Split virtual indices ``k`` (``0 <= k < 5·n``) into ``(example, shift)`` arrays."""
    k = np.asarray(k)
    return k % n, k // n


def expanded_batch(
    x: NDArray[np.floating],
    y: NDArray,
    k: NDArray[np.integer],
    image_shape: tuple[int, int],
) -> tuple[NDArray[np.floating], NDArray]:
    """Gather the mini-batch of virtual indices ``k`` from ``(x, y)``, shifted.

    ``n = len(x)``; index ``k`` is example ``k % n`` under shift ``k // n``.
    """
    examples, shifts = expanded_index(k, len(x))
    return shift_images(x[examples], shifts, image_shape), y[examples]
