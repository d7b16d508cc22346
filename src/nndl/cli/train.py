"""``nndl train``: the seed's network learning to read MNIST digits.

:func:`run` parses the options (:func:`nndl.cli._options.from_args`) and
:func:`execute` does the rest in named steps: the outputs checked
(:func:`check_outputs`), the data (:func:`load_data`), the model
(:func:`build_model`), training (:func:`fit`, which runs
:func:`nndl.train.train` and prints as it goes), then the summary and the
outputs (:func:`finish`).  What is trained, which epoch is kept and what the
model file records are the library's (:mod:`nndl.train`).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

from nndl._validate import DTYPES
from nndl.cli import _common, _conv, _options, _preflight, _signals
from nndl.cli._progress import Progress
from nndl.nn.activations import ELEMENTWISE
from nndl.nn.costs import COSTS
from nndl.nn.init import SCHEMES
from nndl.train import Hooks, kept_epoch, presets, run_record
from nndl.train.averaging import epochs_text, summary_line
from nndl.train.config import TrainConfig
from nndl.train.history import History

#: The seed's values: the defaults the help texts name.
SEED = presets.SEED


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train",
        help="train a network on MNIST (the seed's configuration by default)",
        description=(
            "Train a network by mini-batch stochastic gradient descent on MNIST. "
            "The defaults are the seed's (--preset seed): sizes 784,30,10, 30 epochs, "
            "mini-batch 10, eta 3.0, quadratic cost, sigmoid neurons. Each epoch prints "
            "the test accuracy as 'Epoch k: correct / total'. Options given explicitly "
            "override the preset's. Output paths are checked before training starts. "
            "Ctrl-C or SIGTERM stops training and keeps (and with --save saves) the best "
            "epoch so far; the exit code is then 130 or 143."
        ),
    )
    add_options(p)
    p.set_defaults(func=run)


def add_options(p: argparse.ArgumentParser) -> None:
    """The options of ``nndl train`` (``nndl watch`` takes them too)."""
    p.add_argument("--preset", default="seed", choices=sorted(presets.PRESETS),
                   help="named configuration (default seed; see docs/howto/presets.md)")
    _add_network_options(p.add_argument_group("network"))
    sgd = p.add_argument_group("training")
    _options.add_config_options(sgd)  # every TrainConfig field the command line takes
    sgd.add_argument("--full-train", action="store_true", default=None,
                     help="train on all 60,000 training images (no validation split)")
    sgd.add_argument("--seed", type=int, default=2,
                     help="seed of the weights and the shuffling (default 2; see docs/results.md)")
    out = p.add_argument_group("data and output")
    _common.add_data_options(out)
    out.add_argument("--monitor", action="store_true",
                     help="also measure the training and validation cost and the training "
                     "accuracy every epoch (the book's monitor_* options)")
    _options.add_config_options(out, "output")
    out.add_argument("--save", metavar="MODEL",
                     help="write the best model (.npz) here; saved atomically")
    out.add_argument("--plot", metavar="PNG",
                     help="write learning curves here (needs matplotlib: nndl[plot])")
    out.add_argument("--quiet", action="store_true", help="print only the summary")


def _add_network_options(arch: argparse._ArgumentGroup) -> None:
    """What network: --sizes (fully connected) or --layers, its cost, neurons and precision."""
    arch.add_argument("--sizes", type=_common.sizes, help="layer sizes, input first "
                      f"({','.join(map(str, SEED['sizes']))})")
    arch.add_argument("--cost", choices=list(COSTS), help=f"cost function ({SEED['cost']})")
    arch.add_argument("--activation", choices=ELEMENTWISE,
                      help=f"activation of the hidden layers ({SEED['activation']})")
    arch.add_argument("--init", choices=list(SCHEMES),
                      help="weight initialisation: the seed's N(0,1) 'normal', the book's "
                      "N(0,1/n_in) 'scaled_normal', or 'lecun', 'glorot', 'he' (nndl.nn.init)")
    arch.add_argument("--dropout", type=_common.fraction,
                      help=f"dropout rate of the hidden layers, in [0, 1) ({SEED['dropout']:g})")
    arch.add_argument("--dtype", choices=DTYPES, help=f"precision ({SEED['dtype']})")
    arch.add_argument(
        "--layers", metavar="SPEC",
        help="train a layered (convolutional) network on 1x28x28 images instead of --sizes, "
        "e.g. 'conv:20x5x5,pool:2,conv:40x5x5,pool:2,dense:100:relu,dropout:0.5,softmax:10' "
        "(conv:FxK[:ACT][:sS], pool:P, flatten, dense:N[:ACT], dropout:P, softmax:N); "
        "it cannot be combined with --sizes, --activation, --init or --dropout, and "
        "training options not given come from --preset conv rather than the seed's")


def run(args: argparse.Namespace) -> int:
    """``nndl train``: the options parsed, then :func:`execute`."""
    return execute(_options.from_args(args))


def execute(opts: _options.TrainOptions, hooks: Any = None) -> int:
    """Train as ``opts`` say: outputs checked, data, model, training, outputs; the exit code.

    ``hooks`` (``nndl watch``'s session) is told ``started(net, data, options)``
    once the network is built, ``batch(epoch, done, total)`` after every
    mini-batch and ``epoch(record)`` after every epoch; a KeyboardInterrupt
    raised there stops training as Ctrl-C does (the best epoch is kept and saved).
    """
    check_outputs(opts)
    data, opts = load_data(opts)
    net = build_model(opts, data.training[0].shape[1])
    if hooks is not None:
        hooks.started(net, data, {**opts.recorded(), "seed": opts.seed})
    if not opts.quiet:
        print(_announcement(net, data, opts))
    with _signals.sigterm_as_interrupt() as sigterm:
        history, stopped = fit(net, data, opts, hooks)
        # From here on a SIGTERM waits until the model is saved.
        sigterm.defer()
        code = finish(net, data, opts, history, stopped)
    if sigterm.received and stopped != "terminated":
        print("Terminated (SIGTERM) after training; the outputs were written.", file=sys.stderr)
        return _signals.EXIT_TERMINATED
    return code


def load_data(opts: _options.TrainOptions) -> tuple[Any, _options.TrainOptions]:
    """The data set the options name, and the options fitted to it.

    Without a validation split (the sample, or --full-train) a preset's
    schedule and early stopping are turned off, with a note.
    """
    data = _common.load_dataset(opts, dtype=opts.dtype, full_train=opts.full_train)
    if data.validation is None:
        opts, notes = opts.without_validation(data.source)
        if not opts.quiet:
            for note in notes:
                print(note)
    return data, opts


def build_model(opts: _options.TrainOptions, n_pixels: int) -> Any:
    """The network the options describe, checked against images of ``n_pixels`` pixels."""
    from nndl import Network

    if opts.layers:
        net = _conv.build_sequential(opts.layers, cost=opts.cost, dtype=opts.dtype,
                                     seed=opts.seed)
    else:
        if opts.sizes[0] != n_pixels:
            raise ValueError(f"--sizes starts with {opts.sizes[0]} inputs but the images have "
                             f"{n_pixels} pixels")
        # The output layer follows the cost: softmax for log-likelihood, sigmoid
        # for cross-entropy, else the hidden activation (see Network).
        net = Network(opts.sizes, cost=opts.cost, activation=opts.activation, init=opts.init,
                      dropout=opts.dropout, seed=opts.seed, dtype=opts.dtype)
    if net.n_inputs != n_pixels:
        raise ValueError(f"the network reads {net.n_inputs} inputs but the images have "
                         f"{n_pixels} pixels")
    return net


def _announcement(net: Any, data: Any, opts: _options.TrainOptions) -> str:
    """The line that says what is trained on what, before the first epoch."""
    what = "the bundled sample" if data.source == "sample" else "MNIST"
    values = opts.preset_values()
    extras = ", ".join(
        f"{k} {values[k]}" for k in ("lmbda", "dropout", "optimizer", "schedule",
                                     "warmup", "early_stopping", "average", "expand",
                                     "augment")
        if values[k] not in (None, 0.0, "sgd", False, "none")
    )
    return (f"Training {net} on {len(data.training[1]):,} images of {what} (preset "
            f"{opts.preset}): {opts.config.epochs} epochs, mini-batch "
            f"{opts.config.mini_batch_size}, eta {opts.config.eta}, seed {opts.seed}"
            + (f", {extras}" if extras else ""))


def run_config(opts: _options.TrainOptions, data: Any) -> TrainConfig:
    """The configuration the library trains with: the options, fitted to the data.

    The best epoch is chosen on the validation data; without a validation
    split, on the test data, and the summary says so (see :func:`finish`).
    """
    has_validation = data.validation is not None
    return dataclasses.replace(
        opts.config, monitor_training_cost=opts.monitor, monitor_training_accuracy=opts.monitor,
        monitor_evaluation_cost=opts.monitor and has_validation,
        select_on="validation" if has_validation else "test")


def fit(net: Any, data: Any, opts: _options.TrainOptions,
        hooks: Any = None) -> tuple[History, str]:
    """Train as the options say; Ctrl-C, SIGTERM or divergence end it with what it has.

    Returns the history and how training stopped: "completed", a stop
    reason of the history ("early_stopping", ...), "interrupted",
    "terminated" or "diverged".
    """
    from nndl.errors import TrainingDiverged
    from nndl.train import train

    progress = Progress(opts.quiet, hooks, show_eta=opts.config.schedule is not None)
    with_batches = not opts.quiet or hooks is not None  # on_batch serves the hooks too
    try:
        history = train(net, data, run_config(opts, data),
                        Hooks(progress.on_batch if with_batches else None, progress.on_epoch))
        stopped = "completed" if history.stop_reason == "epochs" else str(history.stop_reason)
    except KeyboardInterrupt as exc:
        progress.close_bar()
        history = _done(exc)
        terminated = isinstance(exc, _signals.Terminated)
        stopped = "terminated" if terminated else "interrupted"
        print(f"\n{'Terminated (SIGTERM)' if terminated else 'Interrupted'} during epoch "
              f"{len(history)}; keeping the best epoch so far.", file=sys.stderr)
    except TrainingDiverged as exc:
        progress.close_bar()
        history, stopped = _done(exc), "diverged"
        print(f"nndl: {exc}", file=sys.stderr)
    return history, stopped


def _done(exc: BaseException) -> History:
    """The epochs done before ``exc`` ended training (the library restored the best one)."""
    history = getattr(exc, "history", None)
    return history if isinstance(history, History) else History()


def check_outputs(opts: _options.TrainOptions) -> None:
    """Refuse, before any data is loaded, output paths that could not be written."""
    if opts.save:
        _preflight.check_output_file(opts.save, "--save")
    if opts.plot:
        _preflight.require_extra("plot", "--plot")
        _preflight.check_output_file(opts.plot, "--plot")
        if opts.save and Path(opts.plot).expanduser().resolve() == \
                Path(opts.save).expanduser().resolve():
            raise ValueError(f"--plot and --save name the same file {opts.save}")


def write_outputs(opts: _options.TrainOptions, net: Any, metadata: dict[str, Any],
                  history_rows: list[dict[str, Any]]) -> int:
    """Save the model, then draw the curves: a plot failure never costs the model."""
    from nndl.model.io import save_model

    if opts.save:
        try:
            path = save_model(net, opts.save, metadata=metadata)
        except OSError as exc:
            raise OSError(f"--save {opts.save}: cannot write the model: "
                          f"{exc.strerror or exc}") from None
        averaged = metadata.get("averaged")
        which = f"epoch {metadata['best_epoch']}" if averaged is None else \
            f"the averaged weights of {epochs_text(averaged['epochs'])}"
        print(f"Saved the model of {which} to {path}")
    if opts.plot:
        from nndl.inspect.plots import curves_figure, save_png

        try:
            path = save_png(curves_figure(history_rows), opts.plot)
        except (OSError, ValueError, ImportError) as exc:
            kept = f" (the model was saved to {opts.save})" if opts.save else ""
            print(f"nndl: error: --plot {opts.plot}: cannot draw the learning curves: "
                  f"{getattr(exc, 'strerror', None) or exc}{kept}", file=sys.stderr)
            return 1
        print(f"Wrote learning curves to {path}")
    return 0


def _exit_code(stopped: str) -> int:
    return {"interrupted": _signals.EXIT_INTERRUPTED, "terminated": _signals.EXIT_TERMINATED,
            "diverged": 1}.get(stopped, 0)


def finish(net: Any, data: Any, opts: _options.TrainOptions, history: History,
           stopped: str) -> int:
    """Print the summary of the epoch kept, write the outputs; return the exit code."""
    if history.message and stopped in ("early_stopping", "schedule") and not opts.quiet:
        print(history.message)
    best = kept_epoch(history)
    if best is None:
        print(f"No epoch completed ({history.seconds or 0.0:.1f} s); nothing to save.")
        return _exit_code(stopped)
    on = f"{history.selected_on} accuracy" + (  # the test accuracy is then optimistic
        ", for want of a validation split" if history.selected_on == "test" else "")
    summary = (f"Best epoch {best['epoch']} (chosen on {on}): test "
               f"{best['test_correct']} / {best['test_total']} "
               f"({_common.percent(best['test_correct'], best['test_total'])})")
    if "validation_accuracy" in best:
        summary += f", validation {100 * best['validation_accuracy']:.2f}%"
    print(f"{summary}; {len(history)} epochs in {history.seconds or 0.0:.1f} s")
    top = max(history, key=lambda r: r["test_accuracy"])
    print(f"Highest test accuracy: {top['test_correct']} / {top['test_total']} "
          f"({_common.percent(top['test_correct'], top['test_total'])}) at epoch {top['epoch']}")
    if history.averaged is not None:
        print(f"{summary_line(history.averaged)}; the model ends with these weights")
    metadata = run_record(history, opts.recorded(), data_source=data.source,
                          training_examples=len(data.training[1]), seed=opts.seed,
                          stopped=stopped, preset=opts.preset)
    written = write_outputs(opts, net, metadata, history.to_list())
    return _exit_code(stopped) or written
