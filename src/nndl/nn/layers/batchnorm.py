"""Batch normalisation (Ioffe & Szegedy, 2015): each feature scaled to zero mean, unit variance.

For a mini-batch, per feature (dense inputs ``(m, n)``) or per channel
(feature maps ``(m, C, H, W)``, statistics over the batch *and* the pixels,
N = m·H·W values per channel):

    μ_B = (1/N) Σ x                 σ²_B = (1/N) Σ (x − μ_B)²
    x̂ = (x − μ_B) / √(σ²_B + ε)     z = γ x̂ + β       a = σ(z)

with a trainable scale γ and shift β per feature (or channel) and an
optional element-wise activation σ (default: none, a = z).  Evaluation
(``train=False``) uses running estimates instead of the batch's numbers,
so a prediction does not depend on the other examples in its batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nndl.nn.activations import Activation, Linear, Softmax, get_activation
from nndl.nn.layers.base import Array, PlannedLayer, Shape, format_shape


def _number(value: Any, what: str, low: float, high: float, closed_low: bool) -> float:
    """``value`` as a float in [low, high) (or (low, high)), else ``ValueError``."""
    ok = isinstance(value, int | float | np.floating) and not isinstance(value, bool)
    if ok:
        value = float(value)
        ok = (value >= low if closed_low else value > low) and value < high
    if not ok:
        bracket = "[" if closed_low else "("
        raise ValueError(f"batchnorm {what} must be a number in {bracket}{low:g}, {high:g}), "
                         f"got {value!r}")
    return float(value)


class BatchNorm(PlannedLayer):
    """Batch normalisation ``(m, n)`` → ``(m, n)`` or ``(m, C, H, W)`` → ``(m, C, H, W)``.

    Training (``forward(x, train=True)``) normalises with the batch's mean
    and variance and updates the running estimates

        running_mean ← momentum·running_mean + (1 − momentum)·μ_B
        running_var  ← momentum·running_var  + (1 − momentum)·σ²_B·N/(N − 1)

    (the variance estimate is unbiased, as in the paper and PyTorch; with
    N = 1 the factor is 1).  Evaluation (``train=False``) computes
    z = γ(x − running_mean)/√(running_var + ε) + β.  ``momentum`` follows
    Keras: the share of the old estimate kept; PyTorch's ``momentum`` is
    1 − this one (its default 0.1 is this 0.9).

    The running estimates are *buffers*: saved and loaded with the model
    (in its state dict and model files) and restored with the best epoch,
    but not trainable — no gradient, no optimiser step, no weight decay,
    not counted in :attr:`n_params`.  Nor does a regulariser decay γ or β
    (it acts on weights named ``w`` only).

    A pass "as evaluated" (``train=False``: the gradients that
    :mod:`nndl.inspect.gradcheck` checks, :mod:`nndl.inspect.explain`) uses the running
    estimates, and its ``backward`` holds them fixed; a training pass uses
    the batch's.

    Parameters
    ----------
    momentum : float, default 0.9
        Share of the running estimates kept at each training pass, 0 ≤ momentum < 1.
    eps : float, default 1e-5
        ε > 0 added to the variance.
    activation : str or Activation, default "linear"
        An element-wise activation applied after the normalisation, so that
        ``Conv2D(32, 3, "linear"), BatchNorm(activation="relu")`` is the
        usual conv → BN → ReLU block (spec ``conv:32x3:linear,bn:relu``).

    Attributes
    ----------
    params : {"gamma": (n,) or (C,), "beta": (n,) or (C,)}
        γ starts at 1, β at 0.
    buffers : {"running_mean": (n,) or (C,), "running_var": (n,) or (C,)}
        Start at 0 and 1.

    Examples
    --------
    >>> import numpy as np
    >>> bn = BatchNorm()
    >>> bn.setup((3,), np.random.default_rng(0), np.float64)
    (3,)
    >>> x = np.array([[1.0, 2.0, 3.0], [3.0, 6.0, 9.0]])
    >>> bn.forward(x, train=True).round(4)        # each column: mean 0, variance 1
    array([[-1., -1., -1.],
           [ 1.,  1.,  1.]])
    >>> bn.buffers["running_mean"]                # 0.9·0 + 0.1·μ_B
    array([0.2, 0.4, 0.6])
    >>> bn.buffers["running_var"]                 # 0.9·1 + 0.1·σ²_B·2/(2 − 1)
    array([1.1, 1.7, 2.7])
    >>> bn.forward(x, train=False).round(4)       # evaluation: the running estimates
    array([[0.7628, 1.2271, 1.4606],
           [2.6697, 4.295 , 5.1121]])
    >>> bn.label(), bn.n_params
    ('batchnorm', 6)
    """

    kind = "batchnorm"

    def __init__(
        self, momentum: float = 0.9, eps: float = 1e-5, activation: str | Activation = "linear"
    ) -> None:
        super().__init__()
        self.momentum = _number(momentum, "momentum", 0.0, 1.0, closed_low=True)
        self.eps = _number(eps, "eps", 0.0, 1.0, closed_low=False)
        self.activation = get_activation(activation)
        if isinstance(self.activation, Softmax):
            raise ValueError("batchnorm needs an element-wise activation, not softmax")
        self.z: Array | None = None
        self.a: Array | None = None
        self._x_hat: Array | None = None
        self._inv_std: Array | None = None  # 1/√(σ² + ε), broadcastable to x
        self._train = True  # whether the last forward was a training pass

    def label(self) -> str:
        act = self.activation.name
        return "batchnorm" if act == "linear" else f"batchnorm {act}"

    def _config(self) -> dict[str, Any]:
        return {"momentum": self.momentum, "eps": self.eps,
                "activation": self.activation.config()}

    def shapes(self, input_shape: Shape) -> tuple[dict[str, Shape], dict[str, Shape], Shape]:
        if len(input_shape) not in (1, 3):
            raise ValueError(
                "batchnorm needs vectors (n,) or feature maps (channels, height, width), "
                f"got {format_shape(input_shape)}"
            )
        features = (input_shape[0],)
        return ({"gamma": features, "beta": features},
                {"running_mean": features, "running_var": features}, input_shape)

    def init_params(self) -> None:
        """γ = 1, β = 0 (the identity on normalised inputs); running mean 0, variance 1."""
        self.params["gamma"][...] = 1.0
        self.params["beta"][...] = 0.0
        self.buffers["running_mean"][...] = 0.0
        self.buffers["running_var"][...] = 1.0

    def _axes(self, x: Array) -> tuple[int, ...]:
        """The axes the statistics run over: the batch (and the pixels of a map)."""
        return (0,) if x.ndim == 2 else (0, 2, 3)

    def _per_feature(self, v: Array, ndim: int) -> Array:
        """A per-feature vector ``(C,)`` shaped to broadcast against x: (1, C) or (1, C, 1, 1)."""
        return v.reshape(-1) if ndim == 2 else v.reshape(1, -1, 1, 1)

    def forward(self, x: Array, train: bool) -> Array:
        self._train = train
        if not train:
            return self._evaluate(x)
        axes, n = self._axes(x), x.size // x.shape[1]  # N values per feature
        gamma = self._per_feature(self.params["gamma"], x.ndim)
        beta = self._per_feature(self.params["beta"], x.ndim)
        # μ_B = (1/N) Σ x; x − μ_B                                            (C,), x's shape
        mu = x.mean(axis=axes, keepdims=True)
        xc = x - mu
        # σ²_B = (1/N) Σ (x − μ_B)² (biased: the batch's own variance)        (C,)
        var = np.mean(xc * xc, axis=axes, keepdims=True)
        inv_std = 1.0 / np.sqrt(var + self.eps)
        # x̂ = (x − μ_B)/√(σ²_B + ε);  z = γ x̂ + β;  a = σ(z)                  x's shape
        x_hat = xc * inv_std
        z = x_hat * gamma + beta
        a = self.activation.fn(z)
        self._update_running(mu.reshape(-1), var.reshape(-1), n)
        self._x_hat, self._inv_std, self.z, self.a = x_hat, inv_std, z, a
        return a

    def _update_running(self, mu: Array, var: Array, n: int) -> None:
        """running ← momentum·running + (1 − momentum)·batch (variance unbiased: ·N/(N − 1))."""
        k = self.momentum
        mean, running_var = self.buffers["running_mean"], self.buffers["running_var"]
        mean *= k
        mean += (1.0 - k) * mu
        running_var *= k
        running_var += (1.0 - k) * var * (n / max(n - 1, 1))

    def _affine(self, ndim: int) -> tuple[Array, Array]:
        """``(1/√(running_var + ε), running_mean)``, shaped to broadcast against x."""
        inv_std = 1.0 / np.sqrt(self.buffers["running_var"] + self.eps)
        mean = self.buffers["running_mean"]
        return self._per_feature(inv_std, ndim), self._per_feature(mean, ndim)

    def _evaluate(self, x: Array) -> Array:
        """As evaluated: z = γ(x − running_mean)/√(running_var + ε) + β, a = σ(z)."""
        inv_std, mean = self._affine(x.ndim)
        x_hat = (x - mean) * inv_std
        z = x_hat * self._per_feature(self.params["gamma"], x.ndim) + self._per_feature(
            self.params["beta"], x.ndim)
        a = self.activation.fn(z)
        self._x_hat, self._inv_std, self.z, self.a = x_hat, inv_std, z, a
        return a

    def _backward_evaluated(self, g: Array, x_hat: Array) -> Array:
        """With the running estimates fixed: x̂ = (x − running_mean)/√(running_var + ε),
        ∂C/∂β = Σ g,  ∂C/∂γ = Σ g ⊙ x̂,  ∂C/∂x = g ⊙ γ/√(running_var + ε)."""
        axes = self._axes(g)
        self.grads["beta"][...] = g.sum(axis=axes)
        self.grads["gamma"][...] = np.sum(g * x_hat, axis=axes)
        inv_std, _ = self._affine(g.ndim)
        return g * (self._per_feature(self.params["gamma"], g.ndim) * inv_std)

    def backward(self, delta: Array) -> Array | None:
        """From ∂C/∂a: ∂C/∂γ, ∂C/∂β ``(C,)`` and ∂C/∂x (through the batch statistics
        after a training pass; with the running estimates fixed after an evaluation)."""
        x_hat, inv_std = self._x_hat, self._inv_std
        if x_hat is None or inv_std is None or self.z is None or self.a is None:
            raise RuntimeError("batchnorm: backward() needs a forward() first")
        # g = ∂C/∂z = ∂C/∂a ⊙ σ'(z) (a product keeps the conv's memory layout)  x's shape
        g = _through_activation(self.activation, self.z, self.a, delta)
        if not self._train:
            return self._backward_evaluated(g, x_hat)
        axes, n = self._axes(g), g.size // g.shape[1]
        # ∂C/∂β = Σ g;  ∂C/∂γ = Σ g ⊙ x̂  (sums over the batch and pixels)   (C,)
        sum_g = g.sum(axis=axes, keepdims=True)
        sum_gx = np.sum(g * x_hat, axis=axes, keepdims=True)
        self.grads["beta"][...] = sum_g.reshape(-1)
        self.grads["gamma"][...] = sum_gx.reshape(-1)
        # μ_B and σ²_B depend on every x of the batch; summing those paths gives
        # ∂C/∂x = (γ / (N√(σ²_B + ε))) ⊙ (N·g − Σ g − x̂ ⊙ Σ(g ⊙ x̂))          x's shape
        gamma = self._per_feature(self.params["gamma"], g.ndim)
        scale = gamma * inv_std / n
        return scale * (n * g - sum_g - x_hat * sum_gx)


def _through_activation(activation: Activation, z: Array, a: Array, grad_a: Array) -> Array:
    """∂C/∂z = ∂C/∂a ⊙ σ'(z) (nothing to do for the identity)."""
    if isinstance(activation, Linear):
        return grad_a
    return grad_a * activation.prime(z, a)
