"""Export to ONNX: any nndl model as an ONNX graph that onnxruntime (or any ONNX runtime) runs.

The graph takes what nndl takes, flat rows ``x`` of shape ``(batch, n_inputs)``,
and gives the output activations ``y`` of shape ``(batch, n_outputs)`` (the
probabilities of a softmax output layer).  Layer by layer:

===========  ================================================================
nndl layer   ONNX operators (opset 17)
===========  ================================================================
input        ``Reshape`` to ``(batch, *input_shape)`` when that has more than one axis
dense        ``Gemm(x, w, b, transB=1)``: z = x·wᵀ + b, then the activation
conv         ``Conv`` (valid padding, the layer's stride), then the activation
pool         ``MaxPool`` with a p×p kernel and stride p (floor: as nndl)
flatten      ``Flatten(axis=1)``
dropout      ``Identity``: inverted dropout is the identity at inference
activations  ``Sigmoid``, ``Tanh``, ``Relu``, ``LeakyRelu(alpha)``, ``Softmax(axis=-1)``
===========  ================================================================

Needs the ``onnx`` package (``pip install "nndl[onnx]"``, which brings
onnxruntime too).  The graph is built with ``onnx.helper`` and checked with
``onnx.checker`` (full shape inference) before it is returned.

Examples
--------
>>> import numpy as np, onnxruntime
>>> from nndl import Sequential
>>> net = Sequential("conv:4x3x3,pool:2,dropout:0.5,softmax:3", input_shape=(1, 8, 8), seed=0)
>>> proto = to_onnx(net)
>>> [node.op_type for node in proto.graph.node]
['Reshape', 'Conv', 'Relu', 'MaxPool', 'Identity', 'Flatten', 'Gemm', 'Softmax']
>>> session = onnxruntime.InferenceSession(proto.SerializeToString())
>>> x = np.random.default_rng(0).random((5, 64), dtype=np.float32)
>>> bool(np.abs(session.run(None, {"x": x})[0] - net.feedforward(x)).max() < 1e-6)
True
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from nndl import __version__
from nndl._extras import require
from nndl.data._atomic import atomic_write_bytes
from nndl.export._exportable import exportable_layers
from nndl.nn.activations import Activation, LeakyReLU
from nndl.nn.layers import Layer

#: Packages the examples above need (tests/test_doctests.py skips the module without them).
__extras__ = ("onnx", "onnxruntime")

#: The ONNX operator set the graphs use (onnxruntime ≥ 1.12 runs it).
OPSET = 17
#: IR version written: that of opset 17, so that older runtimes read the file too.
IR_VERSION = 8
#: ONNX operator of each element-wise activation (softmax: ``Softmax(axis=-1)``).
ACTIVATION_OPS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu",
                  "leaky_relu": "LeakyRelu", "softmax": "Softmax"}


class _Graph:
    """Nodes and initialisers of the graph being built (names are unique per layer)."""

    def __init__(self, onnx: Any, dtype: np.dtype) -> None:
        self.helper, self.numpy_helper, self.dtype = onnx.helper, onnx.numpy_helper, dtype
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []

    def constant(self, name: str, array: Any, dtype: Any = None) -> str:
        arr = np.asarray(array, dtype=dtype or self.dtype)
        self.initializers.append(self.numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def node(self, op: str, inputs: list[str], name: str, **attrs: Any) -> str:
        self.nodes.append(self.helper.make_node(op, inputs, [name], name=name, **attrs))
        return name


def _activation(g: _Graph, activation: Activation, x: str, prefix: str) -> str:
    op = ACTIVATION_OPS.get(activation.name)
    if op is None:
        raise ValueError(f"{prefix}: activation {activation.name!r} has no ONNX operator")
    attrs: dict[str, Any] = {}
    if isinstance(activation, LeakyReLU):
        attrs["alpha"] = activation.alpha
    elif op == "Softmax":
        attrs["axis"] = -1
    return g.node(op, [x], f"{prefix}_{activation.name}", **attrs)


def _dense(g: _Graph, layer: Any, x: str, prefix: str) -> str:
    w = g.constant(f"{prefix}.w", layer.params["w"])  # (n, n_in): z = x·wᵀ + b
    b = g.constant(f"{prefix}.b", layer.params["b"])
    z = g.node("Gemm", [x, w, b], f"{prefix}_z", transB=1)
    return _activation(g, layer.activation, z, prefix)


def _conv(g: _Graph, layer: Any, x: str, prefix: str) -> str:
    w = g.constant(f"{prefix}.w", layer.params["w"])  # (F, C, kh, kw), as ONNX's Conv
    b = g.constant(f"{prefix}.b", layer.params["b"])
    s = layer.stride
    z = g.node("Conv", [x, w, b], f"{prefix}_z", kernel_shape=list(layer.kernel_size),
               strides=[s, s], pads=[0, 0, 0, 0])
    return _activation(g, layer.activation, z, prefix)


def _pool(g: _Graph, layer: Any, x: str, prefix: str) -> str:
    p = layer.pool
    return g.node("MaxPool", [x], f"{prefix}_pool", kernel_shape=[p, p], strides=[p, p])


def _flatten(g: _Graph, layer: Any, x: str, prefix: str) -> str:
    return g.node("Flatten", [x], f"{prefix}_flatten", axis=1)


def _dropout(g: _Graph, layer: Any, x: str, prefix: str) -> str:
    return g.node("Identity", [x], f"{prefix}_dropout")


#: layer kind -> function adding its nodes; returns the name of the layer's output.
EMITTERS: dict[str, Callable[[_Graph, Any, str, str], str]] = {
    "dense": _dense, "conv": _conv, "pool": _pool, "flatten": _flatten, "dropout": _dropout,
}


def graph_dtype(model: Any, dtype: Any = None) -> np.dtype:
    """The graph's float type: ``dtype``, else the model's — float32 for a float64 conv net.

    onnxruntime has no float64 ``Conv`` kernel, so by default a float64 model
    with convolutions is exported in float32 (pass ``dtype="float64"`` for an
    exact float64 graph that other runtimes may run).
    """
    layers: list[Layer] = exportable_layers(model, "ONNX")
    if dtype is None:
        has_conv = any(layer.kind == "conv" for layer in layers)
        dtype = np.float32 if has_conv else model.dtype
    dt = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    return dt


def to_onnx(model: Any, *, dtype: Any = None) -> Any:
    """Return the ONNX ``ModelProto`` of ``model`` (see the module docstring for the mapping).

    Parameters
    ----------
    model : nndl model
        Any model with a layer stack (``model.layers``, ``model.input_shape``).
    dtype : {"float32", "float64"}, optional
        Float type of the graph's input, weights and output; by default
        :func:`graph_dtype`.

    Raises
    ------
    ValueError
        If a layer or activation has no ONNX form.
    nndl._extras.MissingExtra
        If the ``onnx`` package is not installed.
    """
    onnx = require("onnx", "ONNX export")
    layers = exportable_layers(model, "ONNX")
    g = _Graph(onnx, graph_dtype(model, dtype))
    name = "x"
    if len(model.input_shape) > 1:  # flat rows → (batch, C, H, W) images
        shape = g.constant("input_shape", [-1, *model.input_shape], dtype=np.int64)
        name = g.node("Reshape", [name, shape], "input_images")
    for i, layer in enumerate(layers):
        name = EMITTERS[layer.kind](g, layer, name, f"layer{i}")
    g.nodes[-1].output[0] = "y"
    return _model(onnx, g, model)


def _model(onnx: Any, g: _Graph, model: Any) -> Any:
    helper = onnx.helper
    elem = helper.np_dtype_to_tensor_dtype(g.dtype)
    n_in = int(np.prod(model.input_shape))
    n_out = model.layers[-1].output_shape[0]
    graph = helper.make_graph(
        g.nodes, "nndl",
        [helper.make_tensor_value_info("x", elem, ["batch", n_in])],
        [helper.make_tensor_value_info("y", elem, ["batch", n_out])],
        g.initializers,
    )
    proto = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="nndl",
        producer_version=__version__,
        doc_string="nndl model: " + ", ".join(layer.label() for layer in model.layers),
    )
    proto.ir_version = IR_VERSION
    helper.set_model_props(proto, {
        "nndl_input_shape": json.dumps(list(model.input_shape)),
        "nndl_cost": getattr(getattr(model, "cost", None), "name", ""),
    })
    onnx.checker.check_model(proto, full_check=True)
    return proto


def save_onnx(model: Any, path: str | os.PathLike[str], *, dtype: Any = None) -> Path:
    """Write :func:`to_onnx` of ``model`` to ``path`` (atomically); return the path."""
    data = to_onnx(model, dtype=dtype).SerializeToString()
    atomic_write_bytes(path, data)
    return Path(path)
