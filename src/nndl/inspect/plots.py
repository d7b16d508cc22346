"""PNG figures of a model and of the data: learning curves, weights, confusion, digits.

matplotlib is an optional dependency (``pip install nndl[plot]``); it is
imported only when a figure is drawn.  Figures are ``matplotlib.figure.Figure``
objects rendered by the Agg canvas, never through ``pyplot``, so no global
state is touched and no display is needed.  Every figure has a fixed size in
inches and a fixed dpi, so its PNG has a known size in pixels
(:data:`PIXELS`), and files are written atomically (temporary file, then
rename).

Examples
--------
>>> import tempfile, pathlib
>>> from nndl.data import load_sample
>>> x, y = load_sample().test
>>> out = pathlib.Path(tempfile.mkdtemp()) / "digits.png"
>>> _ = save_png(digits_figure(x[:9], y[:9]), out)
>>> out.read_bytes()[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
True
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from nndl._extras import require_extra
from nndl.data._atomic import atomic_write_bytes

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DPI = 100
#: Figure sizes in inches; at :data:`DPI` they give :data:`PIXELS`.
SIZES: dict[str, tuple[float, float]] = {
    "curves": (9.0, 4.0),
    "weights": (8.0, 8.0),
    "confusion": (7.0, 6.0),
    "misclassified": (8.0, 8.0),
    "digits": (6.0, 6.0),
    "speed": (7.0, 4.5),
}
#: The figures :func:`plot_model` may write, each as ``NAME.png``.
MODEL_FIGURES = ("curves", "weights", "confusion", "misclassified", "speed")
#: ``(width, height)`` in pixels of each kind of figure.
PIXELS: dict[str, tuple[int, int]] = {
    k: (round(w * DPI), round(h * DPI)) for k, (w, h) in SIZES.items()
}


def _figure(kind: str) -> Figure:
    require_extra("plot", "plotting")
    from matplotlib.figure import Figure

    return Figure(figsize=SIZES[kind], dpi=DPI)


def save_png(fig: Figure, path: str | os.PathLike[str]) -> Path:
    """Render ``fig`` to PNG and write it to ``path`` atomically; return the path."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    path = Path(path)
    atomic_write_bytes(path, buf.getvalue())
    return path


def _grid(n: int) -> tuple[int, int]:
    cols = max(1, int(np.ceil(np.sqrt(n))))
    return int(np.ceil(n / cols)) if n else 1, cols


def _side(pixels: int) -> int | None:
    side = int(round(np.sqrt(pixels)))
    return side if side * side == pixels else None


def curves_figure(history: list[dict[str, Any]]) -> Figure:
    """Accuracy (and cost, where recorded) per epoch from a saved ``history``.

    With an empty history the figure says so instead of plotting.
    Any key ending in ``_accuracy`` is drawn on the left, any ending in ``_cost``
    on the right.
    """
    fig = _figure("curves")
    if not history:
        fig.text(0.5, 0.5, "This model has no training history\n(no per-epoch records saved)",
                 ha="center", va="center", fontsize=14)
        return fig
    keys = sorted({k for r in history for k in r})
    acc = [k for k in keys if k.endswith("_accuracy")]
    cost = [k for k in keys if k.endswith("_cost")]
    axes = fig.subplots(1, 2 if cost else 1, squeeze=False)[0]
    epochs = [r.get("epoch", i) for i, r in enumerate(history)]

    def draw(ax: Any, names: list[str], ylabel: str, scale: float) -> None:
        for k in names:
            pts = [(e, r[k] * scale) for e, r in zip(epochs, history, strict=True)
                   if r.get(k) is not None]
            if pts:
                ex, ey = zip(*pts, strict=True)
                ax.plot(ex, ey, marker="o", markersize=3, label=k.replace("_", " "))
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        if names:
            ax.legend()

    draw(axes[0], acc, "accuracy (%)", 100.0)
    axes[0].set_title("Accuracy per epoch")
    if cost:
        draw(axes[1], cost, "cost C", 1.0)
        axes[1].set_title("Cost per epoch")
    fig.tight_layout()
    return fig


def speed_series(history: list[dict[str, Any]]) -> tuple[list[int], NDArray[np.floating]]:
    """``(epochs, norms)`` of the epochs that recorded ``gradient_norms``.

    ``norms[k, l]`` is ‖δˡ‖ of layer l after epoch ``epochs[k]`` (the
    output layer last); see :mod:`nndl.inspect.learning_speed`.
    """
    rows = [(r.get("epoch", i), r["gradient_norms"]) for i, r in enumerate(history)
            if r.get("gradient_norms")]
    if not rows:
        return [], np.zeros((0, 0))
    width = {len(norms) for _, norms in rows}
    if len(width) != 1:
        raise ValueError(f"gradient_norms has different lengths across epochs: {sorted(width)}")
    return [int(e) for e, _ in rows], np.array([n for _, n in rows], dtype=np.float64)


def draw_speed(ax: Any, epochs: list[int], norms: NDArray[np.floating],
               labels: list[str] | None = None, *, title: str | None = None) -> None:
    """The book's chapter-5 figure on ``ax``: ‖δˡ‖ per epoch, log scale, one line per hidden layer.

    ``norms`` has one column per layer with parameters, the output layer
    last (not drawn, as in the book); ``labels`` names the columns.
    """
    hidden = norms.shape[1] - 1
    labels = labels or [f"hidden layer {i + 1}" for i in range(hidden)]
    for layer in range(hidden):
        ax.plot(epochs, norms[:, layer], label=labels[layer])
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning speed ‖δˡ‖ = ‖mean ∂C/∂bˡ‖")
    ax.grid(True, which="both", alpha=0.3)
    ax.set_title(title or f"Speed of learning: {hidden} hidden layers")
    if hidden:
        ax.legend(loc="best", fontsize=8)


def speed_figure(history: list[dict[str, Any]], labels: list[str] | None = None) -> Figure:
    """The learning speed of each hidden layer per epoch, from a saved ``history``.

    Drawn from the records' ``gradient_norms`` (``nndl train
    --monitor-gradients``); without them the figure says so.
    """
    fig = _figure("speed")
    epochs, norms = speed_series(history)
    if not epochs or norms.shape[1] < 2:
        fig.text(0.5, 0.5, "No learning speed recorded\n(train with --monitor-gradients)",
                 ha="center", va="center", fontsize=14)
        return fig
    draw_speed(fig.subplots(), epochs, norms, labels)
    fig.tight_layout()
    return fig


def first_layer_weights(model: Any) -> tuple[NDArray[np.floating], str]:
    """The first layer's weights as rows of square images, and what they are.

    For the fully connected network that is w², one 28×28 row per hidden
    neuron; for a layered network whose first layer is a convolution, each
    filter's kernel on the first input channel (e.g. 5×5).
    """
    for layer in model.layers:
        w = layer.params.get("w")
        if w is None:
            continue
        if w.ndim == 4:  # (filters, channels, kh, kw)
            return w[:, 0].reshape(len(w), -1), "filters (first input channel)"
        return np.asarray(w), "neurons" if layer is model.output_layer else "hidden neurons"
    raise ValueError(f"{type(model).__name__} has no weights to draw")


def weights_figure(
    weights: NDArray[np.floating], what: str = "hidden neurons", max_tiles: int = 100
) -> Figure:
    """First-layer weights w², one tile per hidden neuron (row of ``weights``).

    Each row is reshaped to a square image (28×28 for MNIST, the kernel for
    a convolution) and drawn with a diverging colormap centred on 0: red
    pulls the neuron's z up, blue down.
    """
    fig = _figure("weights")
    w = np.asarray(weights)[:max_tiles]
    side = _side(w.shape[1])
    if side is None:
        raise ValueError(f"first-layer weights have {w.shape[1]} inputs, not a square image")
    rows, cols = _grid(len(w))
    limit = float(np.abs(w).max()) or 1.0
    axes = fig.subplots(rows, cols, squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if k < len(w):
            ax.imshow(w[k].reshape(side, side), cmap="RdBu_r", vmin=-limit, vmax=limit)
            ax.set_title(str(k), fontsize=7)
    shown = f"{len(w)} of {len(weights)}" if len(weights) > len(w) else f"{len(w)}"
    # w² is the book's name for the first dense layer's weights; filters are just w.
    symbol = "w" if what.startswith("filters") else "w²"
    fig.suptitle(f"First-layer weights {symbol}: {shown} {what} "
                 f"(red > 0 > blue, |w| ≤ {limit:.2f})")
    return fig


def confusion_figure(labels: NDArray[np.integer], predicted: NDArray[np.integer],
                     n: int = 10) -> Figure:
    """The confusion matrix (row: true, column: predicted) with its counts written in."""
    counts = np.zeros((n, n), dtype=np.int64)
    np.add.at(counts, (np.asarray(labels), np.asarray(predicted)), 1)
    fig = _figure("confusion")
    ax = fig.subplots()
    ax.imshow(counts, cmap="Blues")
    top = counts.max() or 1
    for i in range(n):
        for j in range(n):
            if counts[i, j]:
                ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=8,
                        color="white" if counts[i, j] > top / 2 else "black")
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    correct = int(np.trace(counts))
    total = int(counts.sum())
    ax.set_title(f"Confusion matrix: {correct} / {total} correct")
    fig.tight_layout()
    return fig


def digits_figure(x: NDArray[np.floating], labels: NDArray[np.integer],
                  predicted: NDArray[np.integer] | None = None, *,
                  kind: str = "digits", title: str | None = None) -> Figure:
    """A grid of digit images titled by label (and prediction, when given)."""
    fig = _figure(kind)
    x = np.asarray(x)
    side = _side(x.shape[1]) if x.ndim == 2 and len(x) else None
    if len(x) and side is None:
        raise ValueError(f"images have {x.shape[1]} pixels, not a square image")
    rows, cols = _grid(len(x))
    axes = fig.subplots(rows, cols, squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if k < len(x):
            ax.imshow(x[k].reshape(side, side), cmap="gray_r", vmin=0.0, vmax=1.0)
            text = (f"{labels[k]}" if predicted is None
                    else f"true {labels[k]}, got {predicted[k]}")
            ax.set_title(text, fontsize=8, color="black" if predicted is None else "crimson")
    if not len(x):
        fig.text(0.5, 0.5, "nothing to show", ha="center", va="center", fontsize=14)
    if title:
        fig.suptitle(title)
    return fig


def misclassified_figure(x: NDArray[np.floating], labels: NDArray[np.integer],
                         predicted: NDArray[np.integer], max_images: int = 36) -> Figure:
    """A gallery of the first ``max_images`` misclassified digits."""
    wrong = np.flatnonzero(np.asarray(labels) != np.asarray(predicted))
    shown = wrong[:max_images]
    title = (f"Misclassified test digits: {len(shown)} of {len(wrong)} shown"
             if len(wrong) else "No misclassified test digits")
    return digits_figure(x[shown], np.asarray(labels)[shown], np.asarray(predicted)[shown],
                         kind="misclassified", title=title)


def plot_model(
    model: Any, test: tuple[Any, Any], out_dir: str | os.PathLike[str]
) -> dict[str, Path]:
    """Write ``curves.png``, ``weights.png``, ``confusion.png`` and ``misclassified.png``.

    Returns ``{name: path}``.  ``model.metadata["history"]`` feeds the curves
    (a model without one gets a figure saying so); when it recorded the
    learning speed per layer (``gradient_norms``), ``speed.png`` draws it too.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    x, y = test
    predicted = model.predict(x)
    history = (getattr(model, "metadata", None) or {}).get("history") or []
    figures = {
        "curves": curves_figure(history),
        "weights": weights_figure(*first_layer_weights(model)),
        "confusion": confusion_figure(y, predicted, model.n_outputs),
        "misclassified": misclassified_figure(x, y, predicted),
    }
    if speed_series(history)[0]:
        from nndl.inspect.learning_speed import layer_labels

        figures["speed"] = speed_figure(history, layer_labels(model))
    return {name: save_png(fig, out / f"{name}.png") for name, fig in figures.items()}
