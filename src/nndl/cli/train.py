"""``nndl train``: the seed's network learning to read MNIST digits.

:func:`run` in named steps: the options (:func:`nndl.cli._options.from_args`),
the outputs checked (:func:`check_outputs`), the data (:func:`load_data`), the
model (:func:`build_model`), training (:func:`train`), then the summary and the
outputs (:func:`finish`).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path
from typing import Any

from nndl import __version__
from nndl._validate import DTYPES
from nndl.activations import ELEMENTWISE
from nndl.averaging import epochs_text, summary_line
from nndl.cli import _common, _conv, _options, _preflight, _presets, _signals
from nndl.costs import COSTS
from nndl.data.augment import SPEC_KEYS
from nndl.init import SCHEMES
from nndl.optimizers import OPTIMIZERS
from nndl.regularizers import REGULARIZERS
from nndl.schedule import STEP_SCHEDULES

#: The seed's values: the defaults the help texts name.
SEED = _presets.SEED

#: ``--schedule``: the halving schedule's patience K, or the name of a per-step schedule.
schedule_arg = _common._number(
    lambda text: text if text in STEP_SCHEDULES else int(text),
    lambda v: isinstance(v, str) or v >= 1,
    f"a patience K >= 1 or one of {', '.join(STEP_SCHEDULES)}",
)


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
    p.add_argument("--preset", default="seed", choices=sorted(_presets.PRESETS),
                   help="named configuration (default seed; see docs/howto/presets.md)")
    _add_network_options(p.add_argument_group("network"))
    _add_training_options(p.add_argument_group("training"))
    out = p.add_argument_group("data and output")
    _common.add_data_options(out)
    out.add_argument("--monitor", action="store_true",
                     help="also measure the training and validation cost and the training "
                     "accuracy every epoch (the book's monitor_* options)")
    out.add_argument("--monitor-gradients", action="store_true",
                     help="also measure each layer's learning speed every epoch: the book's "
                     "|dC/db| averaged over the first 1,000 training images (chapter 5)")
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
                      "N(0,1/n_in) 'scaled_normal', or 'lecun', 'glorot', 'he' (nndl.init)")
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


def _add_training_options(sgd: argparse._ArgumentGroup) -> None:
    """How to train: SGD's options, the optimizer, regularisation, schedule and data."""
    sgd.add_argument("--epochs", type=_common.non_negative_int,
                     help=f"passes over the data ({SEED['epochs']})")
    sgd.add_argument("--mini-batch-size", type=_common.positive_int,
                     help=f"examples per step ({SEED['mini_batch_size']})")
    sgd.add_argument("--eta", type=_common.positive_float,
                     help=f"learning rate ({SEED['eta']})")
    sgd.add_argument("--lmbda", type=_common.non_negative_float,
                     help="regularisation strength λ, the book's convention with n = "
                     f"training-set size ({SEED['lmbda']:g})")
    sgd.add_argument("--regularizer", choices=list(REGULARIZERS),
                     help=f"penalty weighed by λ ({SEED['regularizer']})")
    sgd.add_argument("--optimizer", choices=list(OPTIMIZERS), help=f"({SEED['optimizer']})")
    sgd.add_argument("--momentum", type=_common.fraction,
                     help=f"momentum coefficient μ for --optimizer momentum ({SEED['momentum']})")
    sgd.add_argument("--schedule", type=schedule_arg, metavar="K|NAME",
                     help="an integer K: halve eta after K epochs without better validation "
                     "accuracy, stop when eta falls to 1/128 of its start (the book's "
                     "schedule); or set eta every mini-batch: 'cosine' (from eta down to 0), "
                     "'onecycle' (up from eta/25 over 30%% of the run, then down to eta/1e4) "
                     "or 'constant' (see nndl.schedule)")
    sgd.add_argument("--warmup", type=_common.non_negative_float, metavar="W",
                     help="with --schedule cosine or constant: raise eta linearly over the "
                     "first W of the run if W < 1 (a fraction, e.g. 0.05), else over the "
                     "first W epochs")
    sgd.add_argument("--average", type=_common.positive_int, metavar="K",
                     help="end with the mean of the weights of the last K epochs (with "
                     "--early-stopping: the K ending at the best epoch); saved and "
                     "reported as its own line")
    sgd.add_argument("--early-stopping", type=_common.positive_int, metavar="K",
                     help="stop after K epochs without better validation accuracy and "
                     "keep the best epoch's weights")
    sgd.add_argument("--expand", action="store_true", default=None,
                     help="the book's expanded training data: each epoch also uses every "
                     "image moved by one pixel up, down, left and right (made on the fly)")
    sgd.add_argument("--augment", type=_common.augment_spec, metavar="SPEC",
                     help="random transforms of every mini-batch, made on the fly: "
                     "comma-separated KEY=VALUE with " + "; ".join(
                         f"{k}: {v}" for k, v in SPEC_KEYS.items())
                     + ", e.g. 'shift=2,rotate=10,scale=0.1,elastic=34:4' ('none' for "
                     "none); with --expand both apply (docs/augment.md)")
    sgd.add_argument("--full-train", action="store_true", default=None,
                     help="train on all 60,000 training images (no validation split)")
    sgd.add_argument("--seed", type=int, default=2,
                     help="seed of the weights and the shuffling (default 2; see docs/results.md)")


def run(args: argparse.Namespace) -> int:
    """``nndl train``: options, outputs checked, data, model, training, outputs."""
    opts = _options.from_args(args)
    check_outputs(opts)
    data, opts = load_data(opts)
    net = build_model(opts, data.training[0].shape[1])
    # ``nndl watch`` sets args.hooks: it is told started(net, data, options) once the
    # network is built, batch(epoch, done, total) after every mini-batch and
    # epoch(record) after every epoch; a KeyboardInterrupt raised there stops
    # training as Ctrl-C does (the best epoch is kept and saved).
    hooks = getattr(args, "hooks", None)
    if hooks is not None:
        hooks.started(net, data, dataclasses.asdict(opts))
    if not opts.quiet:
        print(_announcement(net, data, opts))
    with _signals.sigterm_as_interrupt() as sigterm:
        log = train(net, data, opts, hooks)
        # From here on a SIGTERM waits until the model is saved.
        sigterm.defer()
        code = finish(net, data, opts, log)
    if sigterm.received and log.stopped != "terminated":
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
    extras = ", ".join(
        f"{k} {getattr(opts, k)}" for k in ("lmbda", "dropout", "optimizer", "schedule",
                                            "warmup", "early_stopping", "average", "expand",
                                            "augment")
        if getattr(opts, k) not in (None, 0.0, "sgd", False, "none")
    )
    return (f"Training {net} on {len(data.training[1]):,} images of {what} (preset "
            f"{opts.preset}): {opts.epochs} epochs, mini-batch {opts.mini_batch_size}, "
            f"eta {opts.eta}, seed {opts.seed}" + (f", {extras}" if extras else ""))


def _epoch_line(record: dict[str, Any], show_eta: bool = False) -> str:
    line = (f"Epoch {record['epoch']}: {record['test_correct']} / {record['test_total']}"
            f"  ({_common.percent(record['test_correct'], record['test_total'])})")
    if "validation_accuracy" in record:
        line += f"  validation {100 * record['validation_accuracy']:.2f}%"
    for key in ("training_accuracy", "training_cost", "validation_cost"):
        if key in record:
            value = record[key]
            shown = f"{100 * value:.2f}%" if key.endswith("accuracy") else f"{value:.4f}"
            line += f"  {key.replace('_', ' ')} {shown}"
    if "gradient_norms" in record:
        from nndl.learning_speed import format_norms

        line += f"  |dC/db| {format_norms(record['gradient_norms'])}"
    if show_eta:
        line += f"  eta {record['eta']:.4g}"
    return f"{line}  {record['seconds']:.2f} s"


class TrainingLog:
    """Training as it goes and as it ended.

    Each epoch's record, the best epoch and its weights, a progress bar;
    then why training stopped and how long it took.  The best epoch is
    chosen on validation data when there is some, so that the test set stays
    an honest estimate; otherwise on the test set.
    """

    def __init__(self, net: Any, has_validation: bool, quiet: bool, hooks: Any = None,
                 show_eta: bool = False) -> None:
        self.net = net
        self.show_eta = show_eta
        self.hooks = hooks
        self.select_on = "validation" if has_validation else "test"
        self.quiet = quiet
        self.history: list[dict[str, Any]] = []
        self.best: dict[str, Any] | None = None
        self.snapshot: Any = None
        self._bar: Any = None
        #: "completed", a stop reason of the history ("early_stopping", ...),
        #: "interrupted", "terminated" or "diverged".
        self.stopped = "completed"
        self.seconds = 0.0
        self.message: str | None = None
        #: ``History.averaged`` when the run ended with averaged weights (``--average``).
        self.averaged: dict[str, Any] | None = None

    def on_batch(self, done: int, total: int) -> None:
        """Advance the progress bar (a tqdm bar on stderr, shown only on a terminal)."""
        if self.hooks is not None:
            self.hooks.batch(len(self.history), done, total)
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=f"Epoch {len(self.history)}", unit="batch",
                             leave=False, file=sys.stderr, mininterval=0.2,
                             disable=True if self.quiet else None)  # None: on a terminal
        self._bar.update(1)

    def close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def on_epoch(self, record: dict[str, Any]) -> None:
        """Record an epoch; keep its weights if it is the best so far."""
        self.close_bar()
        self.history.append(record)
        key = f"{self.select_on}_accuracy"
        if self.best is None or record[key] > self.best[key]:
            self.best = dict(record)
            self.snapshot = self.net.snapshot()
        if not self.quiet:
            print(_epoch_line(record, self.show_eta), flush=True)
        if self.hooks is not None:
            self.hooks.epoch(record)


def train(net: Any, data: Any, opts: _options.TrainOptions, hooks: Any = None) -> TrainingLog:
    """Run SGD as the options say; Ctrl-C, SIGTERM or divergence end it with what it has."""
    from nndl.errors import TrainingDiverged

    log = TrainingLog(net, data.validation is not None, opts.quiet, hooks,
                      show_eta=opts.schedule is not None)
    with_batches = not opts.quiet or hooks is not None  # on_batch serves the hooks too
    start = time.perf_counter()
    try:
        history = net.SGD(
            data.training, opts.epochs, opts.mini_batch_size, opts.eta,
            test_data=data.test, validation_data=data.validation,
            lmbda=opts.lmbda, regularizer=opts.regularizer, optimizer=opts.optimizer_spec(),
            schedule=opts.schedule_spec(), early_stopping=opts.early_stopping,
            average=opts.average, expand=opts.expand, augment=opts.augment,
            monitor_training_cost=opts.monitor, monitor_training_accuracy=opts.monitor,
            monitor_evaluation_cost=opts.monitor and data.validation is not None,
            monitor_gradients=opts.monitor_gradients,
            verbose=False, on_batch=log.on_batch if with_batches else None,
            on_epoch=log.on_epoch,
        )
        log.averaged = history.averaged
        if history.stop_reason != "epochs":
            log.stopped = history.stop_reason
            log.message = getattr(history, "message", None)
    except KeyboardInterrupt as exc:
        log.close_bar()
        terminated = isinstance(exc, _signals.Terminated)
        log.stopped = "terminated" if terminated else "interrupted"
        print(f"\n{'Terminated (SIGTERM)' if terminated else 'Interrupted'} during epoch "
              f"{len(log.history)}; keeping the best epoch so far.", file=sys.stderr)
    except TrainingDiverged as exc:
        log.close_bar()
        log.stopped = "diverged"
        print(f"nndl: {exc}", file=sys.stderr)
    log.seconds = time.perf_counter() - start
    return log


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
    from nndl.io import save_model

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
        from nndl.plots import curves_figure, save_png

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


def finish(net: Any, data: Any, opts: _options.TrainOptions, log: TrainingLog) -> int:
    """Restore the best epoch, print the summary, write the outputs; return the exit code."""
    if log.message and not opts.quiet:
        print(log.message)
    best = log.best
    if best is None:
        print(f"No epoch completed ({log.seconds:.1f} s); nothing to save.")
        return _exit_code(log.stopped)
    if log.averaged is None:  # else the model ends with the averaged weights
        net.restore(log.snapshot)
    summary = (f"Best epoch {best['epoch']} (chosen on {log.select_on} accuracy): test "
               f"{best['test_correct']} / {best['test_total']} "
               f"({_common.percent(best['test_correct'], best['test_total'])})")
    if "validation_accuracy" in best:
        summary += f", validation {100 * best['validation_accuracy']:.2f}%"
    print(f"{summary}; {len(log.history)} epochs in {log.seconds:.1f} s")
    top = max(log.history, key=lambda r: r["test_accuracy"])
    print(f"Highest test accuracy: {top['test_correct']} / {top['test_total']} "
          f"({_common.percent(top['test_correct'], top['test_total'])}) at epoch {top['epoch']}")
    if log.averaged is not None:
        print(f"{summary_line(log.averaged)}; the model ends with these weights")
    written = write_outputs(opts, net, _metadata(data, opts, log), log.history)
    return _exit_code(log.stopped) or written


def _metadata(data: Any, opts: _options.TrainOptions, log: TrainingLog) -> dict[str, Any]:
    """What the model file records about its training."""
    best = log.best
    assert best is not None
    training = {k: v for k, v in opts.preset_values().items() if k != "sizes"}
    return {
        "nndl_version": __version__,
        "preset": opts.preset,
        "training": {
            **training, "epochs_completed": len(log.history), "seed": opts.seed,
            "data": data.source, "training_examples": len(data.training[1]),
            "stopped": log.stopped,
            "interrupted": log.stopped in ("interrupted", "terminated"),
            "seconds": round(log.seconds, 3),
        },
        "best_epoch": best["epoch"],
        "selected_on": log.select_on,
        # The accuracies of the weights saved: the averaged ones with --average.
        "test_accuracy": (log.averaged or best)["test_accuracy"],
        "validation_accuracy": (log.averaged or best).get("validation_accuracy"),
        "history": log.history,
        **({"averaged": log.averaged} if log.averaged is not None else {}),
    }
