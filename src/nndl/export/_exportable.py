"""What the exporters (ONNX, PyTorch) read from a model: its layers and input shape, checked.

Every nndl model is a stack of layers (``model.layers``) that takes flat rows
``(m, prod(model.input_shape))``; an exporter walks the stack and maps each
layer kind to its own operators.

Examples
--------
>>> from nndl import Sequential
>>> net = Sequential("dense:3:tanh,softmax:2", input_shape=(4,), seed=0)
>>> [layer.kind for layer in exportable_layers(net, "ONNX")], net.input_shape
(['dense', 'dense'], (4,))
"""

from __future__ import annotations

from typing import Any

from nndl.nn.layers import Layer

#: The layer kinds that every exporter handles.
KINDS = ("dense", "conv", "pool", "flatten", "dropout")


def exportable_layers(model: Any, target: str) -> list[Layer]:
    """Return ``model.layers``, or raise ``ValueError`` naming what ``target`` cannot express."""
    layers = getattr(model, "layers", None)
    shape = getattr(model, "input_shape", None)
    if not isinstance(layers, list) or not layers or shape is None:
        raise ValueError(
            f"cannot export a {type(model).__name__} to {target}: it has no layer stack "
            "(model.layers and model.input_shape)"
        )
    for i, layer in enumerate(layers):
        if not isinstance(layer, Layer) or layer.kind not in KINDS:
            what = layer.label() if isinstance(layer, Layer) else type(layer).__name__
            raise ValueError(
                f"layer {i} ({what}) has no {target} form; the exporters handle the layer "
                f"kinds {', '.join(KINDS)}"
            )
    return layers
