"""Dropout (the book's chapter 3 and network3): randomly silence neurons while training."""

from __future__ import annotations

from typing import Any

import numpy as np

from nndl.nn.layers.base import Array, Layer, Shape


class Dropout(Layer):
    """Inverted dropout: while training, y = x ⊙ mask / (1 − p), mask ~ Bernoulli(1 − p).

    Each input is zeroed with probability ``p`` and the survivors are scaled
    by 1/(1 − p), so E[y] = x and evaluation (``train=False``) is simply the
    identity — no rescaling of the weights afterwards, unlike the book's
    network3, which scales at evaluation instead.  The mask is drawn from the
    layer's generator (never NumPy's global state), so a seeded network drops
    the same neurons every run.  ``backward`` multiplies by the mask of the
    last ``forward`` (after an evaluation: the identity).

    Parameters
    ----------
    p : float
        Probability of dropping each input, 0 ≤ p < 1.

    Examples
    --------
    >>> import numpy as np
    >>> drop = Dropout(0.5)
    >>> drop.setup((4,), np.random.default_rng(0), np.float64)
    (4,)
    >>> drop.forward(np.ones((1, 4)), train=False)
    array([[1., 1., 1., 1.]])
    >>> set(drop.forward(np.ones((1, 4)), train=True)[0].tolist()) <= {0.0, 2.0}
    True
    """

    kind = "dropout"

    def __init__(self, p: float) -> None:
        super().__init__()
        ok = isinstance(p, int | float) and not isinstance(p, bool) and 0.0 <= p < 1.0
        if not ok:
            raise ValueError(f"dropout p must be a number in [0, 1), got {p!r}")
        self.p = float(p)
        self._mask: Array | None = None

    def label(self) -> str:
        return f"dropout {self.p:g}"

    def _config(self) -> dict[str, Any]:
        return {"p": self.p}

    def build(self, input_shape: Shape) -> Shape:
        return input_shape

    def forward(self, x: Array, train: bool) -> Array:
        if not train or self.p == 0.0:
            self._mask = None  # the identity
            return x
        if self.rng is None:
            raise RuntimeError("dropout: setup() the layer before training with it")
        dtype = x.dtype if x.dtype in (np.float32, np.float64) else self.dtype
        mask = self.rng.random(x.shape, dtype=dtype) >= self.p
        self._mask = mask.astype(dtype)
        self._mask *= 1.0 / (1.0 - self.p)
        return x * self._mask

    def backward(self, delta: Array) -> Array | None:
        return delta if self._mask is None else delta * self._mask
