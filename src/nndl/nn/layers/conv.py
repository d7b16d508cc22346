"""Convolutional layer: shared weights over local receptive fields (the book's chapter 6).

For a filter f, an input channel c and a kernel offset (p, q), with stride s,

    z[n, f, i, j] = b[f] + Σ_{c,p,q} w[f, c, p, q] · x[n, c, i·s + p, j·s + q]

(a cross-correlation, as in every deep-learning library and ``network3``;
"convolution" by convention).  Computed as **im2col + one GEMM**: the
``K = C·kh·kw`` input values each output pixel sees are copied into the
columns of a matrix ``cols`` of shape ``(K, m·Ho·Wo)``, and then
``z = W · cols`` with ``W`` the ``(F, K)`` filter matrix.  The same ``cols``
serves the weight gradient in the backward pass.

**Memory layout.**  The layer takes and returns ``(m, C, H, W)`` arrays, but
inside it keeps the batch index *innermost*: ``cols`` is ordered
``(C, kh, kw, Ho, Wo, m)`` and z comes out of the GEMM as
``(F, Ho, Wo, m)``, returned as its ``(m, F, Ho, Wo)`` *view* (no copy).
Every copy of im2col and every add of col2im then moves contiguous runs of
``Wo·m`` numbers instead of ``Wo`` (on the book's second layer that makes
col2im 4× faster).  Element-wise operations and pooling keep that layout,
so the next convolution reads its input with the same long runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from nndl._validate import positive_int
from nndl.nn.activations import Activation, ReLU, Softmax
from nndl.nn.layers._scratch import work_array
from nndl.nn.layers.activated import ActivatedLayer
from nndl.nn.layers.base import Array, Shape, image_input


def _pair(value: Any, what: str) -> tuple[int, int]:
    if isinstance(value, list | tuple):
        if len(value) != 2:
            raise ValueError(f"{what} must be an int or a pair (height, width), got {value!r}")
        return positive_int(value[0], what), positive_int(value[1], what)
    k = positive_int(value, what)
    return k, k


class Conv2D(ActivatedLayer):
    """2-D convolution with valid padding: ``(m, C, H, W)`` → ``(m, F, Ho, Wo)``.

    Ho = ⌊(H − kh)/s⌋ + 1 and Wo = ⌊(W − kw)/s⌋ + 1 (rows or columns that
    the last stride does not reach are not used).

    Parameters
    ----------
    filters : int
        Number of feature maps F.
    kernel_size : int or (int, int)
        Local receptive field ``kh × kw`` (an int gives a square one).
    activation : str or Activation, default "relu"
        Any element-wise activation of :mod:`nndl.nn.activations` (not softmax).
    stride : int, default 1
    init : str, default "auto"
        A scheme of :mod:`nndl.nn.init` with fan-in K = C·kh·kw and fan-out
        F·kh·kw; "auto" is "he" for ReLU-like activations and "lecun"
        otherwise (weights N(0, 2/K) or N(0, 1/K), biases 0).

    Attributes
    ----------
    params : {"w": (F, C, kh, kw), "b": (F,)}

    Examples
    --------
    >>> import numpy as np
    >>> conv = Conv2D(20, 5)
    >>> conv.setup((1, 28, 28), np.random.default_rng(0), np.float32)
    (20, 24, 24)
    >>> conv.describe()
    'conv 20×5×5 relu (1,28,28)→(20,24,24)'
    >>> conv.forward(np.zeros((2, 1, 28, 28), np.float32), train=False).shape
    (2, 20, 24, 24)
    """

    kind = "conv"

    def __init__(
        self,
        filters: int,
        kernel_size: int | tuple[int, int],
        activation: str | Activation = "relu",
        *,
        stride: int = 1,
        init: str = "auto",
    ) -> None:
        super().__init__(activation, init)
        self.filters = positive_int(filters, "conv filters")
        self.kernel_size = _pair(kernel_size, "conv kernel_size")
        self.stride = positive_int(stride, "conv stride")
        if isinstance(self.activation, Softmax):
            raise ValueError("conv layers need an element-wise activation, not softmax")
        self._cols: Array | None = None
        self._x_shape: Shape | None = None
        self._work: dict[str, Array] = {}  # scratch arrays of the training pass

    def label(self) -> str:
        kh, kw = self.kernel_size
        stride = f" stride {self.stride}" if self.stride != 1 else ""
        return f"conv {self.filters}×{kh}×{kw} {self.activation.name}{stride}"

    def _config(self) -> dict[str, Any]:
        return {
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "activation": self.activation.config(),
            "stride": self.stride,
            "init": self.init,
        }

    def shapes(self, input_shape: Shape) -> tuple[dict[str, Shape], dict[str, Shape], Shape]:
        c, h, w = image_input(input_shape, "conv", self.kernel_size, "input")
        kh, kw = self.kernel_size
        s = self.stride
        params = {"w": (self.filters, c, kh, kw), "b": (self.filters,)}
        return params, {}, (self.filters, (h - kh) // s + 1, (w - kw) // s + 1)

    def _fans(self) -> tuple[int, int]:
        _, c, kh, kw = self.params["w"].shape
        return c * kh * kw, self.filters * kh * kw

    def _im2col(self, xt: Array, train: bool) -> Array:
        """Return ``cols`` of shape ``(C·kh·kw, Ho·Wo·m)`` from ``xt`` laid out ``(C, H, W, m)``.

        Row ``(c, p, q)`` holds, for every output pixel ``(i, j)`` and example
        ``n``, the input value ``xt[c, i·s + p, j·s + q, n]`` that weight
        ``w[f, c, p, q]`` multiplies.
        """
        c, _, _, m = xt.shape
        kh, kw = self.kernel_size
        _, ho, wo = self.output_shape  # type: ignore[misc]
        s = self.stride
        xt = np.ascontiguousarray(xt)  # the data input is (m, C, H, W): one small copy
        # Every kh×kw window, as a view: (C, H−kh+1, W−kw+1, m, kh, kw).
        win = sliding_window_view(xt, (kh, kw), axis=(1, 2))
        if s != 1:
            win = win[:, : (ho - 1) * s + 1 : s, : (wo - 1) * s + 1 : s]
        # The one copy of the forward pass; runs of Wo·m contiguous numbers.
        shape = (c, kh, kw, ho, wo, m)
        cols = self._scratch("cols", shape) if train else np.empty(shape, xt.dtype)
        np.copyto(cols, win.transpose(0, 4, 5, 1, 2, 3))
        return cols.reshape(c * kh * kw, ho * wo * m)

    def _scratch(self, name: str, shape: Shape, like: Array | None = None) -> Array:
        return work_array(self._work, name, shape, self.dtype, like)

    def linear(self, x: Array, train: bool) -> Array:
        """z = w ⋆ x + b ``(m, F, Ho, Wo)``, a view of batch-innermost memory; with
        ``train`` (a training pass) into scratch arrays kept for the next step."""
        m = len(x)
        f = self.filters
        _, ho, wo = self.output_shape  # type: ignore[misc]
        cols = self._im2col(x.transpose(1, 2, 3, 0), train)  # (K, Ho·Wo·m)
        w2 = self.params["w"].reshape(f, -1)  # (F, K)
        out = self._scratch("z", (f, cols.shape[1])) if train else None
        z = np.matmul(w2, cols, out=out)  # zˡ = wˡ ⋆ aˡ⁻¹ + bˡ, one GEMM  (F, Ho·Wo·m)
        z += self.params["b"][:, np.newaxis]
        self._cols, self._x_shape = cols, x.shape
        return z.reshape(f, ho, wo, m).transpose(3, 0, 1, 2)  # view   (m, F, Ho, Wo)

    def forward(self, x: Array, train: bool) -> Array:
        z = self.linear(x, train)  # zˡ = wˡ ⋆ aˡ⁻¹ + bˡ                      (m, F, Ho, Wo)
        a = self._scratch("a", z.shape, like=z) if train else np.empty_like(z)  # z's layout
        _activate_into(self.activation, z, a)  # aˡ = σ(zˡ)
        self.z, self.a = z, a
        return a

    def backward(self, delta: Array) -> Array | None:
        """From ∂C/∂a ``(m, F, Ho, Wo)``: δ, the gradients, and ∂C/∂x ``(m, C, H, W)``."""
        if self.z is None or self.a is None:
            raise RuntimeError(f"{self.label()}: backward() needs a forward() first")
        # BP2's second factor, δ = ∂C/∂a ⊙ σ'(z): an element-wise product keeps
        # z's batch-innermost layout (np.where would not, and is slower)  (m, F, Ho, Wo)
        return self.backward_delta(delta * self.activation.prime(self.z, self.a))

    def backward_delta(self, delta: Array) -> Array | None:
        """Gradients from δ = ∂C/∂z of shape ``(m, F, Ho, Wo)``; return ∂C/∂x ``(m, C, H, W)``."""
        cols = self._cols
        if cols is None or self._x_shape is None:
            raise RuntimeError("conv: backward() needs a forward() first")
        self.delta = delta
        f = self.filters
        kh, kw = self.kernel_size
        s = self.stride
        m, c, h, w = self._x_shape
        _, ho, wo = self.output_shape  # type: ignore[misc]
        # δ as (F, Ho·Wo·m): free when δ kept z's layout.
        d2 = delta.transpose(1, 2, 3, 0).reshape(f, ho * wo * m)
        # BP3, shared bias: ∂C/∂b_f = Σ_{n,i,j} δ[n,f,i,j]                  (F,)
        np.add.reduce(d2, axis=1, out=self.grads["b"])
        # BP4, shared weights: ∂C/∂w[f,c,p,q] = Σ_{n,i,j} δ[n,f,i,j]·x[n,c,is+p,js+q],
        # the correlation δ ⋆ input; in matrix form δ · colsᵀ            (F, K)
        np.matmul(d2, cols.T, out=self.grads["w"].reshape(f, c * kh * kw))
        if not self.needs_input_grad:
            return None
        # BP2, ∂C/∂x = Σ over the outputs each input pixel fed of δ·w: the full
        # convolution of δ with the flipped kernel.  As matrices: every column
        # of Wᵀδ holds the K contributions of one output pixel to its window …
        dcols = np.matmul(self.params["w"].reshape(f, -1).T, d2,
                          out=self._scratch("dcols", (c * kh * kw, d2.shape[1])))
        dcols = dcols.reshape(c, kh, kw, ho, wo, m)
        # … and col2im adds each kernel offset (p, q) back where it came from.
        dx = self._scratch("dx", (c, h, w, m))  # batch innermost, like cols
        dx[...] = 0.0
        for p in range(kh):
            for q in range(kw):
                dx[:, p : p + (ho - 1) * s + 1 : s, q : q + (wo - 1) * s + 1 : s] += dcols[:, p, q]
        return dx.transpose(3, 0, 1, 2)  # view                          (m, C, H, W)


def _activate_into(activation: Activation, z: Array, out: Array) -> None:
    """Write σ(z) into ``out`` (ReLU without a temporary: the common case)."""
    if type(activation) is ReLU:
        np.maximum(z, 0.0, out=out)
    else:
        out[...] = activation.fn(z)
