"""Initial weights and biases: the one registry of initialisation schemes.

Every scheme draws weights w ~ N(0, s²), with s a function of the layer's
fan-in (inputs per neuron, C·kh·kw for a convolution) and fan-out, and
biases that are either N(0, 1) (the book's) or 0.  Draws come from a
``np.random.Generator`` only, biases before weights (the seed's order).

``"normal"``
    The seed's: weights and biases N(0, 1).  With many inputs z = Σ wx + b
    is then very wide, so sigmoid neurons start saturated and learn slowly.
``"scaled_normal"``
    The book's chapter 3: weights N(0, 1/n_in), biases N(0, 1).  z now has
    a standard deviation near 1 whatever n_in is.
``"lecun"``
    LeCun et al. (1998): weights N(0, 1/n_in) as ``scaled_normal``, biases 0.
``"glorot"``
    Glorot & Bengio (2010): weights N(0, 2/(n_in + n_out)), biases 0.
    Keeps the variance of both activations and gradients for tanh/sigmoid.
``"he"``
    He et al. (2015): weights N(0, 2/n_in), biases 0; for ReLU layers, which
    zero half their inputs.

A layer may also say ``"auto"``: ``"he"`` for ReLU-like activations,
``"lecun"`` otherwise (see :func:`resolve`).

Examples
--------
>>> import numpy as np
>>> w, b = np.empty((30, 784)), np.empty(30)
>>> draw(np.random.default_rng(0), [("he", w, b, 784, 30)])
>>> round(float(w.std() * np.sqrt(784 / 2)), 2), float(b.sum())
(1.0, 0.0)
>>> sorted(SCHEMES)
['glorot', 'he', 'lecun', 'normal', 'scaled_normal']
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray


class Scheme(NamedTuple):
    """How one scheme draws: ``std(fan_in, fan_out)`` of the weights; biases N(0, 1) or 0."""

    std: Callable[[int, int], float]
    normal_biases: bool


#: Scheme name -> Scheme.  The one source of truth for ``init`` choices.
SCHEMES: dict[str, Scheme] = {
    "normal": Scheme(lambda n_in, n_out: 1.0, True),
    "scaled_normal": Scheme(lambda n_in, n_out: 1.0 / math.sqrt(n_in), True),
    "lecun": Scheme(lambda n_in, n_out: math.sqrt(1.0 / n_in), False),
    "glorot": Scheme(lambda n_in, n_out: math.sqrt(2.0 / (n_in + n_out)), False),
    "he": Scheme(lambda n_in, n_out: math.sqrt(2.0 / n_in), False),
}

#: A layer's default: the scheme suited to its activation (see :func:`resolve`).
AUTO = "auto"


def check_scheme(name: object, *, allow_auto: bool = False) -> str:
    """Return ``name`` if it names a scheme (or ``"auto"`` when allowed), else raise."""
    if isinstance(name, str) and (name in SCHEMES or (allow_auto and name == AUTO)):
        return name
    choices = sorted(SCHEMES) + ([AUTO] if allow_auto else [])
    raise ValueError(f"unknown init {name!r}; expected one of {choices}")


def resolve(name: str, activation_name: str) -> str:
    """The scheme ``"auto"`` stands for: ``"he"`` for ReLU-like activations, else ``"lecun"``."""
    if name != AUTO:
        return name
    return "he" if activation_name in ("relu", "leaky_relu") else "lecun"


def draw(
    rng: np.random.Generator,
    layers: list[tuple[str, NDArray, NDArray, int, int]],
) -> None:
    """Draw initial values into each layer's ``(scheme, w, b, fan_in, fan_out)``, in place.

    Every layer's biases first, then every layer's weights: for one layer,
    b then w; for the book's ``Network``, which draws all its layers from one
    generator, the seed's order (``Network.__init__`` of network.py), so the
    same seed gives the same network here.  The one path by which every
    layer gets its initial weights.
    """
    for scheme, _, b, _, _ in layers:
        if SCHEMES[check_scheme(scheme)].normal_biases:
            b[...] = rng.standard_normal((b.shape[0],)).astype(b.dtype)
        else:
            b[...] = 0.0
    for scheme, w, _, fan_in, fan_out in layers:
        draws: NDArray = rng.standard_normal(w.shape)
        scale = SCHEMES[scheme].std(fan_in, fan_out)
        if scale != 1.0:
            draws *= scale
        w[...] = draws.astype(w.dtype, copy=False)
