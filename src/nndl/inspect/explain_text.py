"""What ``nndl explain`` prints: an :class:`~nndl.inspect.explanation.Explanation` as text."""

from __future__ import annotations

import numpy as np

from nndl.inspect.explanation import (
    _PARAM_NAMES,
    SHORT,
    Array,
    Explanation,
    _stats,
    sup,
)
from nndl.nn.layers.base import format_shape


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + (",)" if len(shape) == 1 else ")")


def _num(v: float) -> str:
    return f"{v:.4g}"




def _values(value: Array) -> str:
    """A short array as a bracketed list: a vector flat, a matrix row by row."""
    v = np.asarray(value)
    if v.ndim == 2 and min(v.shape) > 1:
        return "[" + ", ".join(_values(row) for row in v) + "]"
    return "[" + ", ".join(_num(float(x)) for x in np.ravel(v)) + "]"


def _rule(title: str) -> str:
    return title + "─" * max(3, 78 - len(title))


def _stat_cells(value: Array) -> str:
    st = _stats(value)
    return f"{_num(st['min']):>11}{_num(st['mean']):>11}{_num(st['max']):>11}"


def format_text(ex: Explanation, network: str = "", example: str = "") -> str:
    """The explanation as aligned text for a terminal.

    ``network`` and ``example`` say where the model and the example came
    from (e.g. "loaded from net.npz", "test image 0 of MNIST, true label 7").
    """
    body = _steps_text(ex, network, example) if ex.fully_connected else _layers_text(
        ex, network, example)
    return "\n".join(body + _result_text(ex) + _learning_speed_text(ex))


def _steps_text(ex: Explanation, network: str, example: str) -> list[str]:
    """The five steps, one header and one table each."""
    width = max(len(q.symbol) for s in ex.steps for q in s.quantities) + 2
    out = [
        f"Network {ex.sizes} ({ex.cost_name} cost; σ = {', '.join(ex.activations)}): "
        f"{network}",
        f"Example: {example}",
        "Layers are numbered as in the book: the input layer is 1, so weights[0] is w².",
        "Shapes: 'column' is the book's notation (one example is a column vector);",
        "        'batch' is the code's (examples are rows: z = a @ w.T + b).",
    ]
    head = (f"  {'symbol':<{width}}{'column':<12}{'batch':<12}"
            f"{'min':>11}{'mean':>11}{'max':>11}   meaning")
    for step in ex.steps:
        out += ["", _rule(f"Step {step.number} · {step.title} "),
                f"  {step.equation}", f"  code: {step.code}"]
        if step.quantities:
            out.append(head)
        for q in step.quantities:
            out.append(f"  {q.symbol:<{width}}{_shape(q.shape_column):<12}"
                       f"{_shape(q.shape_batch):<12}{_stat_cells(q.value)}   {q.meaning}")
            if q.short:
                out.append(f"  {'':<{width}}= {_values(q.value)}")
    return out


def _layers_text(ex: Explanation, network: str, example: str) -> list[str]:
    """Every layer: its shapes, parameters and gradients, output a and error δ."""
    out = [
        f"Network: input {format_shape(ex.input_shape)}, {ex.cost_name} cost, {ex.dtype}, "
        f"{ex.n_params:,} parameters: {network}",
        f"Example: {example}",
        "Layers are numbered as model.layers (parameters 'i.w', 'i.b'). Shapes are of one",
        "example; in the code every array of the pass has a leading batch axis m.",
        "δ = ∂C/∂z is the error of a layer's weighted input z (BP1/BP2); a = σ(z).",
    ]
    head = f"  {'symbol':<8}{'shape':<16}{'min':>11}{'mean':>11}{'max':>11}   meaning"
    for v in ex.layers:
        rows = [row for name, p in v.params.items() for row in (
            (name, p, _PARAM_NAMES.get(name, name)), (f"∂C/∂{name}", v.grads[name], "gradient"))]
        if v.a is not None:
            rows.append(("a", v.a[0], "output σ(z)"))
        if v.delta is not None:
            rows.append(("δ", v.delta[0], f"error ∂C/∂z, ‖δ‖ = {_num(v.delta_norm or 0.0)}"))
        out += ["", _rule(f"Layer {v.index} · {v.label}: input {format_shape(v.input_shape)} "
                          f"→ output {format_shape(v.output_shape)} ")]
        if rows:
            out.append(head)
        out += [f"  {sym:<8}{format_shape(val.shape):<16}{_stat_cells(val)}   {meaning}"
                for sym, val, meaning in rows]
    return out


def _result_text(ex: Explanation) -> list[str]:
    """The output, the prediction against the label, and the cost."""
    out = ["", _rule("Result ")]
    if ex.output.size <= SHORT:
        symbol = f"a{sup(len(ex.sizes))}" if ex.fully_connected else "aᴸ"
        out.append(f"  output {symbol} = [{', '.join(_num(v) for v in ex.output)}]")
    label = "unknown" if ex.label is None else str(ex.label)
    verdict = "" if ex.label is None else ("  (right)" if ex.label == ex.predicted
                                          else "  (wrong)")
    out.append(f"  predicted {ex.predicted}, true label {label}{verdict}")
    out.append(f"  cost C = {ex.cost:.6g}")
    return out


def _learning_speed_text(ex: Explanation) -> list[str]:
    """One line per layer: ‖∂C/∂bˡ‖, the book's chapter-5 speed of learning."""
    return [
        "", _rule("Learning speed ‖∂C/∂bˡ‖ (book, chapter 5) "),
        "  how fast each layer's biases learn from this example (= ‖δˡ‖ for a dense layer)",
        *(f"  layer {row['layer']:<4}{row['norm']:>11.4g}   {row['label']}"
          for row in ex.learning_speed()),
    ]
