"""An nndl model in PyTorch's terms, without PyTorch: module list, state_dict, safetensors file.

:mod:`nndl.export.torch` turns a model into a ``torch.nn.Sequential`` and back; this
module holds the half of that which needs no PyTorch, so that
``nndl export --format torch`` runs with the ``safetensors`` package alone.

**Architecture.**  A JSON list of PyTorch modules, one dict per module of the
``nn.Sequential``, in order: ``{"type": "Linear", "in_features": 784,
"out_features": 30}``, ``{"type": "Sigmoid"}``, ...

===========  ===================================================================
nndl layer   modules
===========  ===================================================================
input        ``Unflatten(1, input_shape)`` when the input has more than one axis
dense        ``Linear(n_in, n)`` then the activation
conv         ``Conv2d(C, F, (kh, kw), stride)`` then the activation
pool         ``MaxPool2d(p, p)``
flatten      ``Flatten()``
dropout      ``Dropout(p)``
activations  ``Sigmoid``, ``Tanh``, ``ReLU``, ``LeakyReLU(α)``, ``Softmax(dim=1)``
===========  ===================================================================

**State dict.**  PyTorch's names, ``"{position}.weight"`` and
``"{position}.bias"``; nndl's ``w`` has the layout of PyTorch's ``weight``
((out, in) for Linear, (F, C, kh, kw) for Conv2d), so the arrays are copied
as they are.

**File.**  A safetensors file of the state dict whose header metadata holds
``format`` (``"nndl-torch"``), ``architecture`` (the JSON list),
``input_shape``, ``cost`` and ``nndl_version``.  Read it with
:func:`load` (nndl) or :func:`nndl.export.torch.load_module` (PyTorch).

Examples
--------
>>> from nndl import Sequential
>>> net = Sequential("conv:2x3x3:tanh,pool:2,softmax:4", input_shape=(1, 6, 6), seed=0)
>>> [m["type"] for m in architecture(net)]
['Unflatten', 'Conv2d', 'Tanh', 'MaxPool2d', 'Flatten', 'Linear', 'Softmax']
>>> {name: a.shape for name, a in state_dict(net).items()}
{'1.weight': (2, 1, 3, 3), '1.bias': (2,), '5.weight': (4, 8), '5.bias': (4,)}
>>> again = model_from(architecture(net), module_params(net))
>>> again.input_shape, again.cost.name, [layer.label() for layer in again.layers]
((1, 6, 6), 'log_likelihood', ['conv 2×3×3 tanh', 'pool 2×2', 'flatten', 'dense 4 softmax'])
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from nndl import __version__
from nndl._extras import require
from nndl.data._atomic import atomic_write_bytes
from nndl.export._exportable import exportable_layers
from nndl.model.sequential import Sequential
from nndl.nn.activations import Activation, LeakyReLU
from nndl.nn.layers import Conv2D, Dense, Dropout, Flatten, Layer, MaxPool2D

FORMAT = "nndl-torch"
#: PyTorch module of each activation, and back.
ACTIVATION_MODULES = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "ReLU",
                      "leaky_relu": "LeakyReLU", "softmax": "Softmax"}
ACTIVATION_NAMES = {v: k for k, v in ACTIVATION_MODULES.items()}
#: Every PyTorch module an architecture may name (nothing else is ever instantiated).
MODULES = frozenset({"Unflatten", "Linear", "Conv2d", "MaxPool2d", "Flatten", "Dropout",
                     "Identity", "LogSoftmax", *ACTIVATION_NAMES})
#: The output activation a cost goes with, when none is named.
COST_OF_OUTPUT = {"softmax": "log_likelihood", "sigmoid": "cross_entropy"}

Params = dict[str, np.ndarray]


def _activation_spec(activation: Activation) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": ACTIVATION_MODULES[activation.name]}
    if isinstance(activation, LeakyReLU):
        spec["negative_slope"] = activation.alpha
    elif activation.name == "softmax":
        spec["dim"] = 1
    return spec


def _layer_specs(layer: Layer) -> list[dict[str, Any]]:
    if isinstance(layer, Dense):
        (n_in,) = layer.input_shape  # type: ignore[misc]
        return [{"type": "Linear", "in_features": n_in, "out_features": layer.n},
                _activation_spec(layer.activation)]
    if isinstance(layer, Conv2D):
        s = layer.stride
        return [{"type": "Conv2d", "in_channels": layer.input_shape[0],  # type: ignore[index]
                 "out_channels": layer.filters, "kernel_size": list(layer.kernel_size),
                 "stride": [s, s]}, _activation_spec(layer.activation)]
    if isinstance(layer, MaxPool2D):
        return [{"type": "MaxPool2d", "kernel_size": layer.pool, "stride": layer.pool}]
    if isinstance(layer, Flatten):
        return [{"type": "Flatten"}]
    if isinstance(layer, Dropout):
        return [{"type": "Dropout", "p": layer.p}]
    raise ValueError(f"{layer.label()} has no PyTorch form")  # pragma: no cover - checked before


def architecture(model: Any) -> list[dict[str, Any]]:
    """The ``nn.Sequential`` of ``model`` as a JSON-able list of module specs."""
    layers = exportable_layers(model, "PyTorch")
    arch: list[dict[str, Any]] = []
    if len(model.input_shape) > 1:
        arch.append({"type": "Unflatten", "dim": 1,
                     "unflattened_size": list(model.input_shape)})
    for layer in layers:
        arch.extend(_layer_specs(layer))
    return arch


def module_params(model: Any) -> list[Params]:
    """Parallel to :func:`architecture`: ``{"weight", "bias"}`` for Linear/Conv2d, else ``{}``."""
    params: list[Params] = [{}] if len(model.input_shape) > 1 else []
    for layer in exportable_layers(model, "PyTorch"):
        first = {"weight": layer.params["w"], "bias": layer.params["b"]} if layer.params else {}
        params += [first] + [{} for _ in _layer_specs(layer)[1:]]
    return params


def state_dict(model: Any) -> Params:
    """PyTorch's ``state_dict`` of ``to_module(model)``, as NumPy arrays (not copies)."""
    return {f"{i}.{name}": array for i, p in enumerate(module_params(model))
            for name, array in p.items()}


def _activation_of(spec: dict[str, Any] | None) -> str | Activation | None:
    """The nndl activation of a module spec, or None if the module is not an activation."""
    name = ACTIVATION_NAMES.get(spec["type"]) if spec else None
    if name == "leaky_relu":
        return LeakyReLU(spec.get("negative_slope", 0.01))  # type: ignore[union-attr]
    if name == "softmax" and spec.get("dim", 1) not in (1, -1):  # type: ignore[union-attr]
        raise ValueError(f"Softmax over dim {spec['dim']} has no nndl form; nndl's "  # type: ignore[index]
                         "softmax is over the classes (dim 1)")
    return name


def _weighted_layer(spec: dict[str, Any], act: Any, where: str) -> Layer:
    if spec["type"] == "Linear":
        return Dense(int(spec["out_features"]), act)
    stride = spec.get("stride", [1, 1])
    stride = stride if isinstance(stride, list | tuple) else [stride, stride]
    if len(set(stride)) != 1:
        raise ValueError(f"{where}: nndl's convolutions have one stride for both axes, "
                         f"got {stride}")
    return Conv2D(int(spec["out_channels"]), tuple(spec["kernel_size"]), act,  # type: ignore[arg-type]
                  stride=int(stride[0]))


def _plain_layer(spec: dict[str, Any], where: str) -> Layer | None:
    kind = spec["type"]
    if kind == "MaxPool2d":
        if spec.get("stride", spec["kernel_size"]) != spec["kernel_size"]:
            raise ValueError(f"{where}: nndl pools non-overlapping p×p blocks (stride = "
                             f"kernel size), got {spec}")
        return MaxPool2D(int(spec["kernel_size"]))
    if kind == "Flatten":
        return Flatten()
    if kind == "Dropout":
        return Dropout(float(spec["p"]))
    if kind == "Identity":
        return None
    raise ValueError(
        f"{where}: nndl has no layer for a {kind} here; it reads Linear and Conv2d (each "
        "followed by Sigmoid, Tanh, ReLU, LeakyReLU or Softmax), MaxPool2d, Flatten, "
        "Dropout and Identity, with a leading Unflatten(1, shape) for image inputs"
    )


def _layers(arch: list[dict[str, Any]]) -> tuple[list[Layer], list[int]]:
    """nndl layers of a module list, and for each the position of its module in ``arch``.

    A weighted module (Linear, Conv2d) takes the activation module after it.
    A last Linear without one (logits, as trained with ``CrossEntropyLoss``),
    or followed by ``LogSoftmax``, becomes a softmax output layer.
    """
    layers: list[Layer] = []
    where: list[int] = []
    i = 0
    while i < len(arch):
        spec, here = arch[i], f"module {i} ({arch[i]['type']})"
        if spec["type"] in ("Linear", "Conv2d"):
            nxt = arch[i + 1] if i + 1 < len(arch) else None
            act = _activation_of(nxt)
            last = i + 1 >= len(arch) - 1
            if act is None and spec["type"] == "Linear" and last and (
                    nxt is None or nxt["type"] == "LogSoftmax"):
                act = "softmax"
            if act is None:
                raise ValueError(f"{here} must be followed by an activation (Sigmoid, Tanh, "
                                 f"ReLU, LeakyReLU, Softmax); got {nxt and nxt['type']}")
            layers.append(_weighted_layer(spec, act, here))
            where.append(i)
            i += 2
            continue
        layer = _plain_layer(spec, here)
        if layer is not None:
            layers.append(layer)
            where.append(i)
        i += 1
    return layers, where


def model_from(
    arch: list[dict[str, Any]],
    params: list[Params],
    *,
    input_shape: tuple[int, ...] | None = None,
    cost: str | None = None,
) -> Sequential:
    """Build the nndl model of a module list ``arch`` with the weights ``params`` (parallel).

    ``input_shape`` comes from a leading ``Unflatten(1, shape)``, else from
    the first Linear's ``in_features``; a network starting with a
    convolution needs it given.  ``cost`` defaults to the one the output
    activation goes with (log-likelihood for softmax, cross-entropy for
    sigmoid, else quadratic).
    """
    arch = list(arch)
    if arch and arch[0]["type"] == "Unflatten":
        input_shape = input_shape or tuple(int(n) for n in arch[0]["unflattened_size"])
        arch, params = arch[1:], params[1:]
    if input_shape is None:
        if not arch or arch[0]["type"] != "Linear":
            raise ValueError("input_shape must be given: the network does not start with "
                             "Linear or Unflatten(1, shape)")
        input_shape = (int(arch[0]["in_features"]),)
    layers, where = _layers(arch)
    weights = [params[i] for i in where]
    dtypes = {np.asarray(p["weight"]).dtype for p in weights if p}
    if len(dtypes) > 1 or not dtypes <= {np.dtype(np.float32), np.dtype(np.float64)}:
        raise ValueError(f"the weights must all be float32 or all float64, got {dtypes}")
    output = layers[-1].activation.name if isinstance(layers[-1], Dense) else ""
    net = Sequential(layers, input_shape=input_shape, seed=0,
                     cost=cost or COST_OF_OUTPUT.get(output, "quadratic"),
                     dtype=dtypes.pop() if dtypes else np.dtype(np.float32))
    for layer, p, i in zip(net.layers, weights, where, strict=True):
        _copy_params(layer, p, f"module {i} ({arch[i]['type']})")
    return net


def _copy_params(layer: Layer, p: Params, where: str) -> None:
    if not layer.params:
        return
    for name, key in (("w", "weight"), ("b", "bias")):
        array = p.get(key)
        if array is None and key == "bias":
            array = np.zeros_like(layer.params["b"])  # bias=False: a bias of 0
        if array is None or array.shape != layer.params[name].shape:
            raise ValueError(f"{where}: {key} has shape {getattr(array, 'shape', None)}, expected "
                             f"{layer.params[name].shape}")
        layer.params[name][...] = array


def save(model: Any, path: str | os.PathLike[str]) -> Path:
    """Write the state dict and architecture of ``model`` as a safetensors file (atomically)."""
    st = require("safetensors.numpy", "PyTorch export")
    metadata = {
        "format": FORMAT,
        "architecture": json.dumps(architecture(model)),
        "input_shape": json.dumps(list(model.input_shape)),
        "cost": model.cost.name,
        "nndl_version": __version__,
    }
    tensors = {k: np.ascontiguousarray(v) for k, v in state_dict(model).items()}
    atomic_write_bytes(path, st.save(tensors, metadata=metadata))
    return Path(path)


def read(path: str | os.PathLike[str]) -> tuple[dict[str, str], Params]:
    """Return ``(metadata, tensors)`` of a file written by :func:`save`."""
    safetensors = require("safetensors", "Reading a PyTorch export")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"file not found: {path}")
    try:
        with safetensors.safe_open(str(path), framework="numpy") as f:
            metadata = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    except Exception as exc:  # safetensors raises its own error types
        raise ValueError(f"{path}: not a safetensors file: {exc}") from None
    if metadata.get("format") != FORMAT:
        raise ValueError(f"{path}: not an nndl PyTorch export (format "
                         f"{metadata.get('format')!r}, expected {FORMAT!r})")
    return metadata, tensors


def params_of(arch: list[dict[str, Any]], tensors: Params) -> list[Params]:
    """Split a flat state dict ``{"3.weight": ...}`` into the list parallel to ``arch``."""
    return [{k.split(".", 1)[1]: v for k, v in tensors.items() if k.split(".", 1)[0] == str(i)}
            for i in range(len(arch))]


def load(path: str | os.PathLike[str]) -> Sequential:
    """Read a file written by :func:`save` back as an nndl model (no PyTorch needed)."""
    metadata, tensors = read(path)
    arch = json.loads(metadata["architecture"])
    return model_from(arch, params_of(arch, tensors),
                      input_shape=tuple(json.loads(metadata["input_shape"])),
                      cost=metadata.get("cost"))
