"""Layer specs: a network's layers written as one short string (for the CLI and configs)."""

from __future__ import annotations

import re

from nndl.nn.activations import ACTIVATIONS
from nndl.nn.layers.base import Layer
from nndl.nn.layers.batchnorm import BatchNorm
from nndl.nn.layers.conv import Conv2D
from nndl.nn.layers.dense import Dense
from nndl.nn.layers.dropout import Dropout
from nndl.nn.layers.flatten import Flatten
from nndl.nn.layers.pool import MaxPool2D

#: The accepted forms, quoted in error messages.
FORMS = (
    "conv:FxK or conv:FxKHxKW, optionally followed by :ACTIVATION and/or :sSTRIDE "
    "(e.g. conv:20x5x5, conv:32x3x3:tanh:s2); "
    "pool:P (or pool, P=2); flatten; dense:N or dense:N:ACTIVATION; "
    "dropout:P with 0 <= P < 1; softmax:N; "
    "bn or bn:ACTIVATION (batch normalisation, e.g. conv:32x3x3:linear,bn:relu)"
)

_INT = re.compile(r"[1-9][0-9]*\Z")


def _int(text: str) -> int | None:
    return int(text) if _INT.match(text) else None


def _parse_token(token: str) -> Layer:
    """Return the layer of one token; raise ValueError (without context) if it is bad."""
    name, *args = token.split(":")
    name = name.strip().lower()
    args = [a.strip().lower() for a in args]
    if name == "conv" and args:
        dims = [_int(d) for d in args[0].split("x")]
        if len(dims) not in (2, 3) or None in dims:
            raise ValueError("conv size must be FxK or FxKHxKW with positive integers")
        filters, kh, kw = (dims[0], dims[1], dims[1]) if len(dims) == 2 else dims
        activation, stride = "relu", 1
        for extra in args[1:]:
            if extra in ACTIVATIONS:
                activation = extra
            elif extra.startswith("s") and _int(extra[1:]) is not None:
                stride = int(extra[1:])
            else:
                raise ValueError(f"{extra!r} is neither an activation nor a stride sN")
        return Conv2D(filters, (kh, kw), activation, stride=stride)  # type: ignore[arg-type]
    if name in ("pool", "maxpool") and len(args) <= 1:
        size = _int(args[0]) if args else 2
        if size is None:
            raise ValueError("the pool size must be a positive integer")
        return MaxPool2D(size)
    if name == "flatten" and not args:
        return Flatten()
    if name == "dense" and len(args) in (1, 2):
        n = _int(args[0])
        if n is None:
            raise ValueError("the dense size must be a positive integer")
        return Dense(n, args[1] if len(args) == 2 else "sigmoid")
    if name == "softmax" and len(args) == 1:
        n = _int(args[0])
        if n is None:
            raise ValueError("the softmax size must be a positive integer")
        return Dense(n, "softmax")
    if name == "dropout" and len(args) == 1:
        try:
            p = float(args[0])
        except ValueError:
            raise ValueError("the dropout probability must be a number") from None
        return Dropout(p)
    if name in ("bn", "batchnorm") and len(args) <= 1:
        if args and args[0] not in ACTIVATIONS:
            raise ValueError(f"{args[0]!r} is not an activation")
        return BatchNorm(activation=args[0] if args else "linear")
    raise ValueError("unknown layer or wrong number of ':' fields")


def parse_layers(spec: str) -> list[Layer]:
    """Return the layers described by ``spec``, a comma-separated list of tokens.

    Tokens (case-insensitive; ``:``-separated fields):

    ==============================  ==================================================
    ``conv:FxK``                    :class:`Conv2D` with F filters of K×K (ReLU)
    ``conv:FxKHxKW``                non-square kernel KH×KW
    ``conv:...:ACT``, ``:sN``       activation (sigmoid, tanh, relu, ...), stride N
    ``pool:P`` (``pool``)           :class:`MaxPool2D` of P×P blocks (default 2)
    ``flatten``                     :class:`Flatten`
    ``dense:N`` / ``dense:N:ACT``   :class:`Dense` with N neurons (default sigmoid)
    ``dropout:P``                   :class:`Dropout` with drop probability P
    ``softmax:N``                   ``Dense(N, "softmax")``: the output layer
    ``bn`` / ``bn:ACT``             :class:`BatchNorm` (``batchnorm`` too), then ACT
    ==============================  ==================================================

    A :class:`Flatten` is inserted before the first ``dense``/``softmax`` that
    follows convolution or pooling (and any dropout or batchnorm after them)
    without one, so the book's network reads as below.

    Raises
    ------
    ValueError
        Naming the bad token, its position and the accepted forms.

    Examples
    --------
    >>> [layer.label() for layer in parse_layers("conv:20x5x5,pool:2,dense:100:relu,softmax:10")]
    ['conv 20×5×5 relu', 'pool 2×2', 'flatten', 'dense 100 relu', 'dense 10 softmax']
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(
            f"a layer spec must be a non-empty string like 'conv:20x5,pool:2,softmax:10', "
            f"got {spec!r}"
        )
    layers: list[Layer] = []
    spatial = False  # the last non-dropout layer gives feature maps, not vectors
    for i, token in enumerate(spec.split(",")):
        try:
            layer = _parse_token(token.strip())
        except ValueError as exc:
            raise ValueError(
                f"bad layer token {token.strip()!r} (item {i} of {spec!r}): {exc}; "
                f"expected {FORMS}"
            ) from None
        if isinstance(layer, Dense) and spatial:
            layers.append(Flatten())
        if isinstance(layer, Conv2D | MaxPool2D):
            spatial = True
        elif not isinstance(layer, Dropout | BatchNorm):
            spatial = False
        layers.append(layer)
    return layers
