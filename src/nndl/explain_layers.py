"""Explain a layered network (:class:`~nndl.sequential.Sequential`) on one example.

The companion of :mod:`nndl.explain` for convolutional networks: for every
layer it gives the shapes of the symbols that flow through it — its input
aˡ⁻¹, its output aˡ, its parameters (e.g. ``w`` of shape ``(F, C, kh, kw)``
and ``b`` of shape ``(F,)`` for a convolution) and their gradients ∂C/∂w,
∂C/∂b (same shapes) — and, on the example, the min/mean/max of the output
and of each gradient.  Shapes are those of one example (the code adds a
leading batch axis m).

Examples
--------
>>> import numpy as np
>>> from nndl.sequential import Sequential
>>> net = Sequential("conv:2x3x3,pool:2,softmax:3", input_shape=(1, 6, 6), seed=0)
>>> ex = explain_layers(net)
>>> [(row["layer"], row["input_shape"], row["output_shape"]) for row in ex["layers"]]
[('conv 2×3×3 relu', [1, 6, 6], [2, 4, 4]), ('pool 2×2', [2, 4, 4], [2, 2, 2]), \
('flatten', [2, 2, 2], [8]), ('dense 3 softmax', [8], [3])]
>>> ex["layers"][0]["params"]
{'w': [2, 1, 3, 3], 'b': [2]}
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nndl import _validate
from nndl.sequential import Sequential


def _stats(a: np.ndarray) -> dict[str, float]:
    return {"min": float(a.min()), "mean": float(a.mean()), "max": float(a.max())}


def explain_layers(net: Sequential, x: Any = None, y: Any = None) -> dict[str, Any]:
    """Describe every layer of ``net``: shapes of its symbols, and values on one example.

    Parameters
    ----------
    net : Sequential
    x : array_like, shape (n_inputs,), optional
        One flat example.  Without it only the shapes are given.
    y : int or array_like, optional
        Its label (or target vector); with it the gradients are computed too.

    Returns
    -------
    dict
        ``input_shape``, ``cost``, ``dtype``, ``n_params`` and ``layers``: one
        dict per layer with ``index``, ``layer`` (its label), ``input_shape``,
        ``output_shape``, ``params`` (name → shape), ``n_params`` and, given
        ``x``, ``output`` (min/mean/max) and, given ``y`` as well, ``grads``
        (name → min/mean/max of ∂C/∂name).  With ``x`` the top level also has
        ``output`` (the activations) and ``predicted``.

    Raises
    ------
    ValueError
        If ``x`` is not one example of ``net.n_inputs`` numbers.
    """
    rows: list[dict[str, Any]] = []
    for i, layer in enumerate(net.layers):
        rows.append({
            "index": i,
            "layer": layer.label(),
            "input_shape": list(layer.input_shape or ()),
            "output_shape": list(layer.output_shape or ()),
            "params": {name: list(p.shape) for name, p in layer.params.items()},
            "n_params": layer.n_params,
        })
    doc: dict[str, Any] = {
        "input_shape": list(net.input_shape),
        "cost": net.cost.name,
        "dtype": net.dtype.name,
        "n_params": net.n_params,
        "layers": rows,
    }
    if x is None:
        return doc
    x2, _ = _validate.inputs(x, net.n_inputs, net.dtype, "x")
    if len(x2) != 1:
        raise ValueError(f"explain_layers takes one example, got {len(x2)} rows")
    h = x2.reshape(1, *net.input_shape)
    for row, layer in zip(rows, net.layers, strict=True):
        h = layer.forward(h, train=False)
        row["output"] = _stats(h)
    doc["output"] = [float(v) for v in h[0]]
    doc["predicted"] = int(np.argmax(h[0]))
    if y is not None:
        # Gradients without dropout (as evaluated), so they match the output above.
        grads = net.gradients(x2, np.atleast_1d(np.asarray(y)))
        for row, layer in zip(rows, net.layers, strict=True):
            i = row["index"]
            row["grads"] = {name: _stats(grads[f"{i}.{name}"]) for name in layer.params}
    return doc


def _shape(shape: list[int]) -> str:
    return "(" + ",".join(str(n) for n in shape) + ")"


def format_layers(doc: dict[str, Any]) -> str:
    """Render :func:`explain_layers`' result as text for a terminal."""
    lines = [
        f"Sequential network: input {_shape(doc['input_shape'])}, {doc['cost']} cost, "
        f"{doc['dtype']}, {doc['n_params']:,} parameters",
        "Shapes are of one example; in the code every activation has a leading "
        "batch axis m (e.g. (m,20,24,24)).",
        "",
    ]
    for row in doc["layers"]:
        lines.append(
            f"layer {row['index']}: {row['layer']}   "
            f"a_in {_shape(row['input_shape'])} -> a_out {_shape(row['output_shape'])}"
        )
        for name, shape in row["params"].items():
            line = f"    {name} {_shape(shape)}   dC/d{name} {_shape(shape)}"
            if "grads" in row:
                g = row["grads"][name]
                line += f"   dC/d{name} min {g['min']:.3g} mean {g['mean']:.3g} max {g['max']:.3g}"
            lines.append(line)
        if "output" in row:
            o = row["output"]
            lines.append(f"    a_out min {o['min']:.3g} mean {o['mean']:.3g} max {o['max']:.3g}")
    if "predicted" in doc:
        acts = " ".join(f"{d}:{v:.3f}" for d, v in enumerate(doc["output"]))
        lines += ["", f"output {acts}", f"predicted {doc['predicted']}"]
    return "\n".join(lines)
