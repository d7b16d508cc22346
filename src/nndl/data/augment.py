"""Data augmentation made on the fly per mini-batch: random affine maps and elastic distortions.

Each image of a mini-batch gets its own small random transform — a shift
``t`` (pixels), a rotation by ``θ`` (degrees) and a scaling by ``s``, plus,
optionally, an elastic distortion ``d`` as in Simard, Steinkraus and Platt
(2003) — and is resampled once, by bilinear interpolation, on one sampling
grid computed for the whole batch with array operations (no loop over
examples or pixels).  Pixels that come from outside the image are 0
(MNIST's background).

The maths.  Pixel ``p = (row, column)`` of an ``H×W`` image, measured from
the centre ``c = ((H−1)/2, (W−1)/2)``, is read from the source position

    q(p) = A⁻¹ (p − c − t) + c + d(p),     A = s·R(θ),

    R(θ) = [[ cos θ, −sin θ],        so A⁻¹ = (1/s)·[[ cos θ, sin θ],
            [ sin θ,  cos θ]]                         [−sin θ, cos θ]]

(rows point down, so a positive θ turns the content anticlockwise as it is
seen, like ``np.rot90``; the content moves by ``+t`` and grows by ``s``).
The output is the bilinear interpolation of the source at ``q``:

    x'(p) = Σ_{a,b ∈ {0,1}} (1−|a−f_y|)(1−|b−f_x|) · x(⌊q_y⌋+a, ⌊q_x⌋+b),

with ``f = q − ⌊q⌋`` and ``x = 0`` outside the image.

Elastic distortion (Simard et al.): draw a field ``u`` of independent
``U(−1, 1)`` numbers for each pixel and each of the two directions, smooth it
with a Gaussian of standard deviation ``σ`` (pixels) and scale it by ``α``:

    d = α · (G_σ ∗ u),    G_σ ∗ u = K_H · u · K_Wᵀ,

where ``K_H[i, j] = g(i − j)`` is the banded (Toeplitz) matrix of the 1-D
kernel ``g(k) ∝ exp(−k²/2σ²)``, ``|k| ≤ ⌊4σ + ½⌋``, normalised to sum 1:
one product applies the small kernel along the columns, the other along the
rows (a separable convolution with zero padding, done by matrix products).

Random numbers are drawn from the generator given, in a fixed order
(angles, scales, shifts, then the elastic fields), so a seeded generator
gives the same batch every time.  Training takes them from the model's
own ``model.rng`` (see :func:`nndl.train.run.prepare`).

Examples
--------
>>> import numpy as np
>>> x = np.arange(9.0).reshape(1, 9)               # one 3×3 image
>>> warp(x, angle=90.0, image_shape=(3, 3)).reshape(3, 3).round(12) + 0.0
array([[2., 5., 8.],
       [1., 4., 7.],
       [0., 3., 6.]])
>>> aug = parse_spec("shift=2,rotate=10,scale=0.1,elastic=34:4")
>>> aug.spec()
'shift=2,rotate=10,scale=0.1,elastic=34:4'
>>> batch = np.random.default_rng(0).random((5, 784), dtype=np.float32)
>>> out = aug(batch, np.random.default_rng(1))
>>> out.shape, out.dtype
((5, 784), dtype('float32'))
>>> np.array_equal(out, aug(batch, np.random.default_rng(1)))
True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from numbers import Real
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from nndl.data.expand import image_shape_of

#: The keys of a spec string (``--augment``), each with what its value means.
#: The one registry: the parser, the error messages and the CLI's help read it.
SPEC_KEYS: dict[str, str] = {
    "shift": "largest shift in pixels, along each axis",
    "rotate": "largest rotation in degrees, either way (at most 180)",
    "scale": "largest change of size as a fraction, e.g. 0.1 for 0.9x to 1.1x (below 1)",
    "elastic": "elastic distortion ALPHA[:SIGMA] (pixels; sigma 4 if not given)",
}

#: Each amount's range: a test, and the words the error message uses.
_RANGES: dict[str, tuple[Callable[[float], bool], str]] = {
    "shift": (lambda v: v >= 0, ">= 0 (pixels)"),
    "rotate": (lambda v: 0 <= v <= 180, "in [0, 180] (degrees)"),
    "scale": (lambda v: 0 <= v < 1, "in [0, 1) (a fraction)"),
    "elastic_alpha": (lambda v: v >= 0, ">= 0 (pixels)"),
    "elastic_sigma": (lambda v: v > 0, "> 0 (pixels)"),
}

#: How much of the Gaussian is kept: ``|k| ≤ ⌊TRUNCATE·σ + ½⌋`` (as scipy.ndimage does).
TRUNCATE = 4.0


@dataclass(frozen=True)
class Augment:
    """Random affine maps and elastic distortions of mini-batches of images.

    Parameters
    ----------
    shift : float, default 0
        Each image moves by ``t ~ U(−shift, shift)`` pixels along each axis.
    rotate : float, default 0
        Each image turns by ``θ ~ U(−rotate, rotate)`` degrees (``0..180``).
    scale : float, default 0
        Each image is scaled by ``s ~ U(1 − scale, 1 + scale)`` (``0 <= scale < 1``).
    elastic_alpha, elastic_sigma : float, default 0 and 4
        Simard et al.'s elastic distortion: displacement field scale ``α``
        (0 for none) and Gaussian smoothing ``σ`` (pixels, > 0).

    Raises
    ------
    ValueError
        If an amount is not a finite number in its range; the message names it.
    """

    shift: float = 0.0
    rotate: float = 0.0
    scale: float = 0.0
    elastic_alpha: float = 0.0
    elastic_sigma: float = 4.0

    def __post_init__(self) -> None:
        for name, (ok, bound) in _RANGES.items():
            value = getattr(self, name)
            number = (not isinstance(value, bool) and isinstance(value, Real)
                      and math.isfinite(value))
            if not number or not ok(float(value)):
                raise ValueError(f"Augment: {name} must be a finite number {bound}, "
                                 f"got {value!r}")
            object.__setattr__(self, name, float(value))

    @property
    def active(self) -> bool:
        """Whether any transform is on (an inactive Augment returns its input)."""
        return any((self.shift, self.rotate, self.scale, self.elastic_alpha))

    def spec(self) -> str:
        """The spec string :func:`parse_spec` reads back (``"none"`` when inactive)."""
        parts = [f"{key}={getattr(self, key):g}" for key in ("shift", "rotate", "scale")
                 if getattr(self, key)]
        if self.elastic_alpha:
            parts.append(f"elastic={self.elastic_alpha:g}:{self.elastic_sigma:g}")
        return ",".join(parts) or "none"

    def __call__(self, x: NDArray[np.floating], rng: np.random.Generator,
                 image_shape: tuple[int, int] | None = None) -> NDArray[np.floating]:
        """Return a randomly transformed copy of the images ``x`` (same shape and dtype).

        Parameters
        ----------
        x : ndarray, shape (m, H·W), (m, C·H·W) or (m, C, H, W)
            A mini-batch of images (floating point).
        rng : numpy.random.Generator
            Source of the random transforms.
        image_shape : (H, W), optional
            For flat rows: the shape of one channel (default: square images,
            see :func:`nndl.data.expand.image_shape_of`).
        """
        imgs = _as_images(x, image_shape)
        if not self.active:
            return x.copy()
        m, _, h, w = imgs.shape
        angle = rng.uniform(-self.rotate, self.rotate, m)               # (m,) degrees
        scale = 1.0 + rng.uniform(-self.scale, self.scale, m)           # (m,)
        shift = rng.uniform(-self.shift, self.shift, (m, 2))            # (m, 2) pixels
        field = (elastic_field(rng, m, (h, w), self.elastic_alpha, self.elastic_sigma,
                               imgs.dtype) if self.elastic_alpha else None)  # (m, 2, H, W)
        return warp(x, angle, scale, shift, field, image_shape)


def warp(x: NDArray[np.floating], angle: ArrayLike = 0.0, scale: ArrayLike = 1.0,
         shift: ArrayLike = (0.0, 0.0), displacement: NDArray[np.floating] | None = None,
         image_shape: tuple[int, int] | None = None) -> NDArray[np.floating]:
    """Resample each image of ``x`` at ``q(p) = A⁻¹(p − c − t) + c + d(p)`` (module docstring).

    Parameters
    ----------
    x : ndarray, shape (m, H·W), (m, C·H·W) or (m, C, H, W)
        The images (floating point); the result has the same shape and dtype.
    angle : float or ndarray (m,)
        Rotation θ in degrees (anticlockwise as seen).
    scale : float or ndarray (m,)
        Scaling s > 0.
    shift : (dy, dx) or ndarray (m, 2)
        Translation t in pixels (rows down, columns right).
    displacement : ndarray (m, 2, H, W), optional
        An extra displacement d(p) of the source positions (rows, columns).
    image_shape : (H, W), optional
        For flat rows, the shape of one channel (default: square).
    """
    imgs = _as_images(x, image_shape)
    m, _, h, w = imgs.shape
    q = affine_grid(angle, scale, shift, m, (h, w), imgs.dtype)          # (m, 2, H, W)
    if displacement is not None:
        q += displacement
    return bilinear(imgs, q).reshape(x.shape)


def affine_grid(angle: ArrayLike, scale: ArrayLike, shift: ArrayLike, m: int,
                image_shape: tuple[int, int], dtype: Any = np.float64) -> NDArray[np.floating]:
    """Source positions ``q = A⁻¹(p − c − t) + c`` of every pixel, shape (m, 2, H, W).

    The per-image numbers are computed in float64, the grid in ``dtype``
    (the images' precision).
    """
    h, w = image_shape
    dtype = np.dtype(dtype)
    theta = np.deg2rad(np.broadcast_to(np.asarray(angle, np.float64), (m,)))[:, None, None]
    s = np.broadcast_to(np.asarray(scale, np.float64), (m,))[:, None, None]    # (m, 1, 1)
    t = np.broadcast_to(np.asarray(shift, np.float64), (m, 2))                 # (m, 2)
    cos = (np.cos(theta) / s).astype(dtype)                                    # A⁻¹'s entries
    sin = (np.sin(theta) / s).astype(dtype)
    cy, cx = (h - 1) / 2, (w - 1) / 2
    u = (np.arange(h)[None, :, None] - cy - t[:, 0, None, None]).astype(dtype)  # (m, H, 1)
    v = (np.arange(w)[None, None, :] - cx - t[:, 1, None, None]).astype(dtype)  # (m, 1, W)
    q = np.empty((m, 2, h, w), dtype)
    rows, cols = q[:, 0], q[:, 1]
    np.multiply(cos, u, out=rows)
    rows += sin * v
    rows += dtype.type(cy)                                   # rows: cos·u + sin·v + c_y
    np.multiply(cos, v, out=cols)
    cols -= sin * u
    cols += dtype.type(cx)                                   # columns: cos·v − sin·u + c_x
    return q


def bilinear(imgs: NDArray[np.floating], q: NDArray[np.floating]) -> NDArray[np.floating]:
    """Bilinear interpolation of ``imgs`` (m, C, H, W) at ``q`` (m, 2, H, W), zero outside.

    The images get a border of zeros (one pixel before, two after) and ``q``
    is clipped to ``[−1, H] × [−1, W]``: a corner outside the image then
    reads a border zero, the same as masking each corner.  With the four
    corners ``x₀₀, x₀₁, x₁₀, x₁₁`` around ``q`` and ``f = q − ⌊q⌋``:

        top = x₀₀ + f_x (x₀₁ − x₀₀),  bottom = x₁₀ + f_x (x₁₁ − x₁₀),
        x'  = top + f_y (bottom − top).
    """
    m, c, h, w = imgs.shape
    row = w + 3                                                                # padded width
    padded = np.zeros((m, c, h + 3, row), imgs.dtype)
    padded[:, :, 1:h + 1, 1:w + 1] = imgs
    lo, hi = np.array([-1, -1], q.dtype), np.array([h, w], q.dtype)
    f = np.clip(q, lo[:, None, None], hi[:, None, None])                       # (m, 2, H, W)
    base = np.floor(f)
    f -= base                                                                  # fractions
    f = f.astype(imgs.dtype, copy=False)
    corner = base[:, 0] * row                                                  # (m, H, W)
    corner += base[:, 1]
    first = np.arange(m * c).reshape(m, c, 1, 1) * ((h + 3) * row) + row + 1   # (m, C, 1, 1)
    at = (corner.astype(np.intp)[:, None] + first).ravel()   # x₀₀'s index, (m·C·H·W,)
    flat = padded.ravel()
    # x₀₁, x₁₀, x₁₁ sit 1, row and row + 1 places after x₀₀: read them through views.
    x00, x01, x10, x11 = (flat[k:].take(at).reshape(m, c, h, w) for k in (0, 1, row, row + 1))
    fy, fx = f[:, 0:1], f[:, 1:2]                                              # (m, 1, H, W)
    # In place (each temporary is a fresh page-faulted array otherwise):
    x01 -= x00
    x01 *= fx
    x01 += x00                                                                 # top
    x11 -= x10
    x11 *= fx
    x11 += x10                                                                 # bottom
    x11 -= x01
    x11 *= fy
    x11 += x01                                                                 # top + f_y (…)
    return x11


def gaussian_matrix(n: int, sigma: float) -> NDArray[np.float64]:
    """``K[i, j] = g(i − j)``: the n×n banded matrix of the normalised Gaussian kernel."""
    radius = int(TRUNCATE * sigma + 0.5)
    k = np.arange(-radius, radius + 1)
    total = np.exp(-0.5 * (k / sigma) ** 2).sum()
    offset = np.arange(n)[:, None] - np.arange(n)[None, :]                    # i − j
    band = np.abs(offset) <= radius
    return np.where(band, np.exp(-0.5 * (offset / sigma) ** 2), 0.0) / total


def smooth(u: NDArray[np.floating], sigma: float) -> NDArray[np.floating]:
    """Gaussian blur of the last two axes of ``u`` (…, H, W): ``K_H · u · K_Wᵀ``, zero padding."""
    h, w = u.shape[-2:]
    k_h, k_w = (gaussian_matrix(n, sigma).astype(u.dtype) for n in (h, w))
    return np.matmul(np.matmul(k_h, u), k_w.T)


def elastic_field(rng: np.random.Generator, m: int, image_shape: tuple[int, int],
                  alpha: float, sigma: float, dtype: Any = np.float64) -> NDArray[np.floating]:
    """Simard et al.'s displacement ``d = α·(G_σ ∗ u)``, ``u ~ U(−1, 1)``, shape (m, 2, H, W).

    ``u`` is drawn in ``dtype`` (float32 or float64), so the field of a
    seed depends on it.
    """
    u = rng.random((m, 2, *image_shape), dtype=dtype)
    u *= 2
    u -= 1                                                                     # U(−1, 1)
    d = smooth(u, sigma)
    d *= alpha
    return d


def _as_images(x: Any, image_shape: tuple[int, int] | None) -> NDArray[np.floating]:
    """View ``x`` as (m, C, H, W) images; refuse what is not a batch of floating images."""
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"Augment: x must be a floating-point NumPy array, got "
                         f"{getattr(x, 'dtype', type(x).__name__)}")
    if x.ndim == 4:
        return x
    if x.ndim != 2:
        raise ValueError(f"Augment: x must have shape (m, H*W), (m, C*H*W) or (m, C, H, W), "
                         f"got {x.shape}")
    h, w = image_shape if image_shape is not None else image_shape_of(x.shape[1])
    if x.shape[1] % (h * w):
        raise ValueError(f"Augment: rows of {x.shape[1]} numbers are not images of {h}x{w}")
    return x.reshape(len(x), -1, h, w)


def _number(part: str, key: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"augment spec {part!r}: {key} takes a number, got {text!r} "
                         f"({key}: {SPEC_KEYS[key]})") from None


def parse_spec(text: str) -> Augment | None:
    """Read a spec such as ``"shift=2,rotate=10,scale=0.1,elastic=34:4"``; ``"none"`` is None.

    Keys are those of :data:`SPEC_KEYS`, each at most once, in any order.

    Raises
    ------
    ValueError
        Naming the part of the spec that is wrong.
    """
    if text.strip().lower() in ("none", "off", ""):
        return None
    values: dict[str, float] = {}
    for part in text.split(","):
        key, eq, value = (s.strip() for s in part.partition("="))
        if key not in SPEC_KEYS or not eq:
            raise ValueError(f"augment spec {part!r}: expected KEY=VALUE with KEY one of "
                             f"{', '.join(SPEC_KEYS)}")
        if key in values or (key == "elastic" and "elastic_alpha" in values):
            raise ValueError(f"augment spec {part!r}: {key} is given twice")
        if key == "elastic":
            alpha, colon, sigma = value.partition(":")
            given = {"elastic_alpha": _number(part, key, alpha)}
            if colon:
                given["elastic_sigma"] = _number(part, key, sigma)
        else:
            given = {key: _number(part, key, value)}
        try:
            Augment(**given)
        except ValueError as exc:
            raise ValueError(f"augment spec {part!r}: {exc}".replace("Augment: ", "")) from None
        values.update(given)
    return Augment(**values)


def as_augment(value: Any) -> Augment | None:
    """``None``, an :class:`Augment`, a dict of its fields or a spec string → Augment or None.

    An augment that does nothing (all amounts 0) is None.
    """
    if value is None or isinstance(value, Augment):
        aug = value
    elif isinstance(value, str):
        aug = parse_spec(value)
    elif isinstance(value, dict):
        unknown = sorted(set(value) - {f.name for f in fields(Augment)})
        if unknown:
            raise ValueError(f"augment: unknown option(s) {unknown}; expected some of "
                             f"{[f.name for f in fields(Augment)]}")
        aug = Augment(**value)
    else:
        raise ValueError("augment must be None, an Augment, a dict of its options or a spec "
                         f"string such as 'shift=2,rotate=10', got {value!r}")
    return aug if aug is not None and aug.active else None


def batch_transform(value: Any, rng_of: Callable[[], np.random.Generator], n_inputs: int,
                    input_shape: tuple[int, ...] | None) -> Callable[[NDArray], NDArray] | None:
    """The per-mini-batch transform training applies, or None without augmentation.

    ``rng_of()`` gives the generator at each call (the model's ``rng``).
    """
    aug = as_augment(value)
    if aug is None:
        return None
    shape = image_shape_of(n_inputs, input_shape)
    return lambda x: aug(x, rng_of(), shape)
