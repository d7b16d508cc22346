"""Initial weights and biases.

Every scheme draws from the network's own ``np.random.Generator``, biases
first and then weights, layer by layer (the seed's order), so a seed gives
the same network every time.

``"normal"``
    The seed's: weights and biases N(0, 1).  With many inputs z = Σ wx + b
    is then very wide, so sigmoid neurons start saturated and learn slowly.
``"scaled_normal"``
    The book's chapter 3: weights N(0, 1/n_in), biases N(0, 1).  z now has
    a standard deviation near 1 whatever n_in is.
``"glorot"``
    Glorot & Bengio (2010): weights N(0, 2/(n_in + n_out)), biases 0.
    Keeps the variance of both activations and gradients for tanh/sigmoid.
``"he"``
    He et al. (2015): weights N(0, 2/n_in), biases 0; for ReLU layers, which
    zero half their inputs.

Examples
--------
>>> import numpy as np
>>> b, w = initial_parameters([784, 30, 10], "he", np.random.default_rng(0), np.float64)
>>> [x.shape for x in w], float(b[0].sum())
([(30, 784), (10, 30)], 0.0)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

#: Scheme name -> (std of the weights given (n_in, n_out), whether biases are N(0, 1)).
SCHEMES = {
    "normal": (lambda n_in, n_out: 1.0, True),
    "scaled_normal": (lambda n_in, n_out: 1.0 / np.sqrt(n_in), True),
    "glorot": (lambda n_in, n_out: np.sqrt(2.0 / (n_in + n_out)), False),
    "he": (lambda n_in, n_out: np.sqrt(2.0 / n_in), False),
}


def check_scheme(name: object) -> str:
    """Return ``name`` if it names a scheme, else raise ``ValueError``."""
    if not isinstance(name, str) or name not in SCHEMES:
        raise ValueError(f"unknown init {name!r}; expected one of {sorted(SCHEMES)}")
    return name


def initial_parameters(
    sizes: list[int], scheme: str, rng: np.random.Generator, dtype: np.dtype
) -> tuple[list[NDArray], list[NDArray]]:
    """Return ``(biases, weights)`` for layer sizes ``sizes`` drawn by ``scheme``."""
    std, normal_biases = SCHEMES[check_scheme(scheme)]
    pairs = list(zip(sizes[:-1], sizes[1:], strict=True))
    if normal_biases:
        biases = [rng.standard_normal(n_out).astype(dtype) for _, n_out in pairs]
    else:
        biases = [np.zeros(n_out, dtype=dtype) for _, n_out in pairs]
    weights = []
    for n_in, n_out in pairs:
        w = rng.standard_normal((n_out, n_in))
        scale = std(n_in, n_out)
        if scale != 1.0:
            w *= scale
        weights.append(w.astype(dtype))
    return biases, weights
