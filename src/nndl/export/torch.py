"""PyTorch: an nndl model as a ``torch.nn.Sequential``, and a trained module back as an nndl model.

:func:`to_module` gives the module with the same weights (copied) and the
same outputs; :func:`from_module` reads a module of a supported shape back,
so that ``nndl explain``, ``serve`` and ``predict`` work on what was trained
in PyTorch (save it with :func:`nndl.model.io.save_model`).  :func:`loss` is nndl's
cost in PyTorch, so that PyTorch's SGD with ``lr=η`` takes exactly nndl's
steps (``scripts/train_ddp.py`` trains on many processes with it).
The module list and the state dict's names are described in
:mod:`nndl.export.torch_arch`.  Needs PyTorch: ``pip install "nndl[torch]"``.

Examples
--------
>>> import numpy as np, torch
>>> from nndl import Sequential
>>> net = Sequential("dense:8:relu,softmax:3", input_shape=(4,), seed=0, dtype="float64")
>>> module = to_module(net)
>>> module
Sequential(
  (0): Linear(in_features=4, out_features=8, bias=True)
  (1): ReLU()
  (2): Linear(in_features=8, out_features=3, bias=True)
  (3): Softmax(dim=1)
)
>>> x = np.random.default_rng(0).random((5, 4))
>>> bool(np.allclose(module(torch.from_numpy(x)).detach().numpy(), net.feedforward(x)))
True
>>> back = from_module(module)
>>> back.cost.name, bool(np.array_equal(back.feedforward(x), net.feedforward(x)))
('log_likelihood', True)
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from nndl._extras import require
from nndl.export.torch_arch import MODULES, architecture, model_from, read, state_dict
from nndl.model.sequential import Sequential

#: Packages the examples above need (tests/test_doctests.py skips the module without them).
__extras__ = ("torch",)


def _torch() -> Any:
    return require("torch", "nndl.export.torch")


def module_from_architecture(arch: list[dict[str, Any]], dtype: Any = "float32") -> Any:
    """Build the (freshly initialised) ``torch.nn.Sequential`` of a module list."""
    torch = _torch()
    nn = torch.nn
    modules = []
    for spec in arch:
        args = {k: (tuple(v) if isinstance(v, list) else v) for k, v in spec.items()}
        kind = args.pop("type")
        if kind not in MODULES:
            raise ValueError(f"unknown module {kind!r} in the architecture; expected one of "
                             f"{sorted(MODULES)}")
        try:
            modules.append(getattr(nn, kind)(**args))
        except TypeError as exc:
            raise ValueError(f"bad arguments for {kind} in the architecture: {exc}") from None
    return nn.Sequential(*modules).to(getattr(torch, np.dtype(dtype).name))


def to_module(model: Any) -> Any:
    """Return a ``torch.nn.Sequential`` computing what ``model`` computes, in its dtype.

    It takes flat rows ``(batch, n_inputs)`` like nndl (a leading
    ``Unflatten`` makes images of them) and holds copies of the weights.
    Dropout modules are active in ``train()`` mode, as in any PyTorch module;
    call ``eval()`` for nndl's outputs (``to_module`` returns it in eval mode).
    """
    torch = _torch()
    module = module_from_architecture(architecture(model), model.dtype)
    weights = {k: torch.from_numpy(np.array(v)) for k, v in state_dict(model).items()}
    module.load_state_dict(weights)
    return module.eval()


def _spec(m: Any, nn: Any) -> dict[str, Any]:
    """The architecture entry of one PyTorch module; ValueError for what nndl cannot hold."""
    kind = type(m).__name__
    if isinstance(m, nn.Linear):
        return {"type": kind, "in_features": m.in_features, "out_features": m.out_features}
    if isinstance(m, nn.Conv2d):
        if (any(m.padding) if isinstance(m.padding, tuple) else m.padding != "valid") \
                or any(d != 1 for d in m.dilation) or m.groups != 1:
            raise ValueError(f"{m}: nndl's convolutions have no padding, dilation or groups")
        return {"type": kind, "in_channels": m.in_channels, "out_channels": m.out_channels,
                "kernel_size": list(m.kernel_size), "stride": list(m.stride)}
    if isinstance(m, nn.MaxPool2d):
        if m.padding or m.dilation != 1 or m.ceil_mode:
            raise ValueError(f"{m}: nndl's pooling has no padding, dilation or ceil_mode")
        return {"type": kind, "kernel_size": m.kernel_size, "stride": m.stride}
    if isinstance(m, nn.Flatten) and (m.start_dim, m.end_dim) != (1, -1):
        raise ValueError(f"{m}: nndl flattens everything but the batch axis")
    if isinstance(m, nn.Unflatten):
        return {"type": kind, "dim": m.dim, "unflattened_size": list(m.unflattened_size)}
    fields = {"Dropout": "p", "LeakyReLU": "negative_slope", "Softmax": "dim"}
    return {"type": kind, **({fields[kind]: getattr(m, fields[kind])} if kind in fields else {})}


def module_architecture(module: Any) -> tuple[list[dict[str, Any]], list[dict[str, np.ndarray]]]:
    """The module list of ``module`` (nested ``nn.Sequential`` flattened) and its weights."""
    nn = _torch().nn
    arch, params = [], []
    for m in module.modules() if isinstance(module, nn.Sequential) else [module]:
        if isinstance(m, nn.Sequential):
            continue
        arch.append(_spec(m, nn))
        params.append({name: p.detach().cpu().numpy().copy()
                       for name, p in m.named_parameters(recurse=False)})
    return arch, params


def from_module(
    module: Any, *, input_shape: tuple[int, ...] | None = None, cost: str | None = None
) -> Sequential:
    """Return the nndl model of a trained ``torch.nn.Sequential`` (weights copied).

    Supported: ``Linear`` and ``Conv2d`` (no padding, dilation or groups; one
    stride), each followed by ``Sigmoid``, ``Tanh``, ``ReLU``, ``LeakyReLU`` or
    ``Softmax(dim=1)``; ``MaxPool2d(p)`` (stride p), ``Flatten()``,
    ``Dropout``, ``Identity``; a leading ``Unflatten(1, shape)`` gives the
    input shape.  A final ``Linear`` with no activation (logits, as trained
    with ``CrossEntropyLoss``) or followed by ``LogSoftmax`` becomes a softmax
    output layer: the same predictions, with probabilities as outputs.

    Parameters
    ----------
    module : torch.nn.Sequential
    input_shape : tuple of int, optional
        Needed when the module starts with ``Conv2d`` (no ``Unflatten``).
    cost : str, optional
        The cost for further training in nndl; by default the one that goes
        with the output activation (log-likelihood for softmax, cross-entropy
        for sigmoid, else quadratic).

    Raises
    ------
    ValueError
        Naming the module that nndl cannot hold.
    """
    arch, params = module_architecture(module)
    return model_from(arch, params, input_shape=input_shape, cost=cost)


def load_module(path: str | os.PathLike[str]) -> Any:
    """Rebuild the ``torch.nn.Sequential`` from a file of ``nndl export --format torch``."""
    torch = _torch()
    metadata, tensors = read(path)
    arch = json.loads(metadata["architecture"])
    dtype = next(iter(tensors.values())).dtype
    module = module_from_architecture(arch, dtype)
    try:
        module.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()})
    except RuntimeError as exc:
        raise ValueError(f"{path}: the weights do not fit the architecture: {exc}") from None
    return module.eval()


def loss(model: Any) -> Any:
    """nndl's cost C of ``model`` as a PyTorch loss ``C(z, y)``, averaged over the batch.

    ``z`` is the output layer's pre-activation, computed by
    ``to_module(model)[:-1]`` (every module but the output activation), and
    ``y`` holds one-hot target rows.  It is the same C as :mod:`nndl.nn.costs`
    (summed over the outputs, averaged over the examples), so SGD with
    ``lr=η`` on it takes nndl's steps; from z, log-likelihood is
    ``log_softmax`` and cross-entropy ``binary_cross_entropy_with_logits``,
    which stay finite where ln a would not.

    Examples
    --------
    >>> import torch
    >>> from nndl import Sequential
    >>> net = Sequential("softmax:2", input_shape=(3,), seed=0, dtype="float64")
    >>> x = torch.ones(4, 3, dtype=torch.float64)
    >>> y = torch.eye(2, dtype=torch.float64)[[0, 1, 1, 0]]
    >>> c = loss(net)(to_module(net)[:-1](x), y)
    >>> round(c.item(), 12) == round(net.total_cost(x.numpy(), [0, 1, 1, 0]), 12)
    True
    """
    torch = _torch()
    f = torch.nn.functional
    name = model.cost.name
    if name == "log_likelihood":
        return lambda z, y: -(y * f.log_softmax(z, dim=1)).sum(dim=1).mean()
    if name == "cross_entropy":
        return lambda z, y: f.binary_cross_entropy_with_logits(
            z, y, reduction="none").sum(dim=1).mean()
    if name == "quadratic":
        sigma = module_from_architecture(architecture(model)[-1:], model.dtype)
        return lambda z, y: 0.5 * ((sigma(z) - y) ** 2).sum(dim=1).mean()
    raise ValueError(f"no PyTorch loss for the cost {name!r}")
