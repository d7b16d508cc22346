"""``nndl train``: the seed's network learning to read MNIST digits."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nndl import __version__
from nndl.cli import _common, _conv, _preflight, _presets

COSTS = ["quadratic", "cross_entropy", "log_likelihood"]
ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu"]


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
                   help="named configuration (default seed; see the README)")
    arch = p.add_argument_group("network")
    arch.add_argument("--sizes", type=_common.sizes, help="layer sizes, input first (784,30,10)")
    arch.add_argument("--cost", choices=COSTS, help="cost function (quadratic)")
    arch.add_argument("--activation", choices=ACTIVATIONS,
                      help="activation of the hidden layers (sigmoid)")
    arch.add_argument("--init", choices=["normal", "scaled_normal", "glorot", "he"],
                      help="weight initialisation: the seed's N(0,1) 'normal', the book's "
                      "N(0,1/n_in) 'scaled_normal', 'glorot' or 'he'")
    arch.add_argument("--dropout", type=_common.fraction,
                      help="dropout rate of the hidden layers, in [0, 1) (0)")
    arch.add_argument("--dtype", choices=["float64", "float32"], help="precision (float64)")
    arch.add_argument(
        "--layers", metavar="SPEC",
        help="train a layered (convolutional) network on 1x28x28 images instead of --sizes, "
        "e.g. 'conv:20x5x5,pool:2,conv:40x5x5,pool:2,dense:100:relu,dropout:0.5,softmax:10' "
        "(conv:FxK[:ACT][:sS], pool:P, flatten, dense:N[:ACT], dropout:P, softmax:N); "
        "--sizes, --activation, --init and --dropout then do not apply, and training "
        "options not given come from --preset conv rather than the seed's")
    sgd = p.add_argument_group("training")
    sgd.add_argument("--epochs", type=_common.non_negative_int, help="passes over the data (30)")
    sgd.add_argument("--mini-batch-size", type=_common.positive_int,
                     help="examples per step (10)")
    sgd.add_argument("--eta", type=_common.positive_float, help="learning rate (3.0)")
    sgd.add_argument("--lmbda", type=_common.non_negative_float,
                     help="regularisation strength λ, the book's convention with n = "
                     "training-set size (0)")
    sgd.add_argument("--regularizer", choices=["l2", "l1"], help="penalty weighed by λ (l2)")
    sgd.add_argument("--optimizer", choices=["sgd", "momentum", "adam"], help="(sgd)")
    sgd.add_argument("--momentum", type=_common.fraction,
                     help="momentum coefficient μ for --optimizer momentum (0.9)")
    sgd.add_argument("--schedule", type=_common.positive_int, metavar="K",
                     help="halve eta after K epochs without better validation accuracy; "
                     "stop when eta falls to 1/128 of its start (the book's schedule)")
    sgd.add_argument("--early-stopping", type=_common.positive_int, metavar="K",
                     help="stop after K epochs without better validation accuracy and "
                     "keep the best epoch's weights")
    sgd.add_argument("--expand", action="store_true", default=None,
                     help="the book's expanded training data: each epoch also uses every "
                     "image moved by one pixel up, down, left and right (made on the fly)")
    sgd.add_argument("--full-train", action="store_true", default=None,
                     help="train on all 60,000 training images (no validation split)")
    sgd.add_argument("--seed", type=int, default=2,
                     help="seed of the weights and the shuffling (default 2; see README)")
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


def _progress_bar(total: int, epoch: int, enabled: bool):
    """A tqdm bar over the mini-batches of one epoch, shown only on a terminal."""
    from tqdm import tqdm

    return tqdm(total=total, desc=f"Epoch {epoch}", unit="batch", leave=False,
                disable=None if enabled else True, file=sys.stderr, mininterval=0.2)


def build_network(opts: dict[str, Any], seed: int):
    """The :class:`~nndl.network.Network` the options describe."""
    from nndl import Network

    # The output layer follows the cost: softmax for log-likelihood, sigmoid
    # for cross-entropy, else the hidden activation (see Network).
    return Network(
        opts["sizes"], cost=opts["cost"], activation=opts["activation"],
        init=opts["init"], dropout=opts["dropout"], seed=seed, dtype=opts["dtype"],
    )


def _epoch_line(record: dict[str, Any]) -> str:
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
    return f"{line}  {record['seconds']:.2f} s"


def _without_validation(
    opts: dict[str, Any], given: dict[str, Any], source: str, quiet: bool
) -> dict[str, Any]:
    """Drop a preset's schedule/early stopping when there is no validation data to watch.

    Given explicitly, they are an error: the user asked for something that
    cannot work, and should hear why.
    """
    why = "the bundled sample has" if source == "sample" else "--full-train leaves"
    opts = dict(opts)
    for key in ("schedule", "early_stopping"):
        if opts[key] is None:
            continue
        option = "--" + key.replace("_", "-")
        if given.get(key) is not None:
            raise ValueError(f"{option} watches the validation accuracy, but {why} "
                             "no validation split")
        opts[key] = None
        if not quiet:
            print(f"note: the preset's {option} is off: {why} no validation split")
    return opts


#: Exit code after SIGTERM: 128 + 15, what a shell reports for a process killed by it.
EXIT_TERMINATED = 128 + signal.SIGTERM
#: Exit code after Ctrl-C (SIGINT): 128 + 2.
EXIT_INTERRUPTED = 128 + signal.SIGINT


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when SIGTERM arrives, so it stops training like Ctrl-C."""


class SigtermGuard:
    """What SIGTERM does inside :func:`sigterm_as_interrupt`: interrupt, or wait (deferred)."""

    def __init__(self) -> None:
        self.received = False
        self._deferred = False

    def defer(self) -> None:
        """From now on only record a SIGTERM: the outputs being written are not cut short."""
        self._deferred = True

    def __call__(self, signum: int, frame: object) -> None:
        self.received = True
        if not self._deferred:
            raise Terminated


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[SigtermGuard]:
    """Within the block, SIGTERM raises :class:`Terminated` (a ``KeyboardInterrupt``).

    So ``kill PID`` (or a batch system's time limit) stops training as Ctrl-C
    does: the best epoch so far is kept and saved.  Only the main thread can
    handle signals; elsewhere SIGTERM keeps its usual effect.  The previous
    handler is restored on exit.
    """
    guard = SigtermGuard()
    if threading.current_thread() is not threading.main_thread():
        yield guard
        return
    previous = signal.signal(signal.SIGTERM, guard)
    try:
        yield guard
    finally:
        signal.signal(signal.SIGTERM, previous)


def check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before any data is loaded, output paths that could not be written."""
    if args.save:
        _preflight.check_output_file(args.save, "--save")
    if args.plot:
        _preflight.require_extra("plot", "--plot")
        _preflight.check_output_file(args.plot, "--plot")
        if args.save and Path(args.plot).expanduser().resolve() == \
                Path(args.save).expanduser().resolve():
            raise ValueError(f"--plot and --save name the same file {args.save}")


def write_outputs(args: argparse.Namespace, net: Any, metadata: dict[str, Any],
                  history_rows: list[dict[str, Any]]) -> int:
    """Save the model, then draw the curves: a plot failure never costs the model."""
    from nndl.io import save_model

    if args.save:
        try:
            path = save_model(net, args.save, metadata=metadata)
        except OSError as exc:
            raise OSError(f"--save {args.save}: cannot write the model: "
                          f"{exc.strerror or exc}") from None
        print(f"Saved the model of epoch {metadata['best_epoch']} to {path}")
    if args.plot:
        from nndl.plots import curves_figure, save_png

        try:
            path = save_png(curves_figure(history_rows), args.plot)
        except (OSError, ValueError, ImportError) as exc:
            kept = f" (the model was saved to {args.save})" if args.save else ""
            print(f"nndl: error: --plot {args.plot}: cannot draw the learning curves: "
                  f"{getattr(exc, 'strerror', None) or exc}{kept}", file=sys.stderr)
            return 1
        print(f"Wrote learning curves to {path}")
    return 0


def run(args: argparse.Namespace) -> int:
    from nndl.errors import TrainingDiverged

    check_outputs(args)
    given = {key: getattr(args, key, None) for key in _presets.SEED}
    opts = _presets.resolve(args.preset, given)
    if opts["layers"] and not _presets.PRESETS[args.preset]["layers"]:
        opts = _conv.conv_defaults(opts, given)
    data = _common.load_dataset(args, dtype=opts["dtype"], full_train=opts["full_train"])
    x_train, y_train = data.training
    if data.validation is None:
        opts = _without_validation(opts, given, data.source, args.quiet)
    if opts["layers"]:
        net = _conv.build_sequential(opts, args.seed)
    else:
        if opts["sizes"][0] != x_train.shape[1]:
            raise ValueError(
                f"--sizes starts with {opts['sizes'][0]} inputs but the images have "
                f"{x_train.shape[1]} pixels"
            )
        net = build_network(opts, args.seed)
    if net.n_inputs != x_train.shape[1]:
        raise ValueError(f"the network reads {net.n_inputs} inputs but the images have "
                         f"{x_train.shape[1]} pixels")
    # ``nndl watch`` sets args.hooks: it is told started(net, data, opts) once the
    # network is built, batch(epoch, done, total) after every mini-batch and
    # epoch(record) after every epoch; a KeyboardInterrupt raised there stops
    # training as Ctrl-C does (the best epoch is kept and saved).
    hooks = getattr(args, "hooks", None)
    if hooks is not None:
        hooks.started(net, data, opts)
    x_test, y_test = data.test
    # The best epoch is chosen on validation data when there is some, so that
    # the test set stays an honest estimate; otherwise on the test set.
    select_on = "validation" if data.validation is not None else "test"
    if not args.quiet:
        what = "the bundled sample" if data.source == "sample" else "MNIST"
        extras = ", ".join(
            f"{k} {opts[k]}" for k in ("lmbda", "dropout", "optimizer", "schedule",
                                       "early_stopping", "expand")
            if opts[k] not in (None, 0.0, "sgd", False)
        )
        print(f"Training {net} on {len(y_train):,} images of {what} (preset {args.preset}): "
              f"{opts['epochs']} epochs, mini-batch {opts['mini_batch_size']}, "
              f"eta {opts['eta']}, seed {args.seed}" + (f", {extras}" if extras else ""))

    state: dict[str, Any] = {"best": None, "snapshot": None, "bar": None}
    history_rows: list[dict[str, Any]] = []
    show_bar = not args.quiet or hooks is not None  # on_batch serves the hooks too

    def on_batch(done: int, total: int) -> None:
        if hooks is not None:
            hooks.batch(len(history_rows), done, total)
        if state["bar"] is None:
            state["bar"] = _progress_bar(total, len(history_rows), not args.quiet)
        state["bar"].update(1)

    def close_bar() -> None:
        if state["bar"] is not None:
            state["bar"].close()
            state["bar"] = None

    def on_epoch(record: dict[str, Any]) -> None:
        close_bar()
        history_rows.append(record)
        key = f"{select_on}_accuracy"
        if state["best"] is None or record[key] > state["best"][key]:
            state["best"] = dict(record)
            state["snapshot"] = net.snapshot()
        if not args.quiet:
            print(_epoch_line(record), flush=True)
        if hooks is not None:
            hooks.epoch(record)

    optimizer: Any = opts["optimizer"]
    if optimizer == "momentum":
        optimizer = {"name": "momentum", "mu": opts["momentum"]}
    start = time.perf_counter()
    stopped = "completed"
    message = None
    history = None
    with sigterm_as_interrupt() as sigterm:
        try:
            history = net.SGD(
                (x_train, y_train), opts["epochs"], opts["mini_batch_size"], opts["eta"],
                test_data=(x_test, y_test), validation_data=data.validation,
                lmbda=opts["lmbda"], regularizer=opts["regularizer"], optimizer=optimizer,
                schedule=opts["schedule"], early_stopping=opts["early_stopping"],
                expand=opts["expand"],
                monitor_training_cost=args.monitor, monitor_training_accuracy=args.monitor,
                monitor_evaluation_cost=args.monitor and data.validation is not None,
                monitor_gradients=args.monitor_gradients,
                verbose=False, on_batch=on_batch if show_bar else None, on_epoch=on_epoch,
            )
            if history.stop_reason != "epochs":
                stopped = history.stop_reason
                message = getattr(history, "message", None)
        except KeyboardInterrupt as exc:
            close_bar()
            terminated = isinstance(exc, Terminated)
            stopped = "terminated" if terminated else "interrupted"
            print(f"\n{'Terminated (SIGTERM)' if terminated else 'Interrupted'} during epoch "
                  f"{len(history_rows)}; keeping the best epoch so far.", file=sys.stderr)
        except TrainingDiverged as exc:
            close_bar()
            stopped = "diverged"
            print(f"nndl: {exc}", file=sys.stderr)
        # From here on a SIGTERM waits until the model is saved.
        sigterm.defer()
        total_s = time.perf_counter() - start
        if message and not args.quiet:
            print(message)
        code = _finish(args, net, state, history_rows, stopped, total_s,
                       {"opts": opts, "data": data, "select_on": select_on,
                        "training_examples": len(y_train)})
    if sigterm.received and stopped != "terminated":
        print("Terminated (SIGTERM) after training; the outputs were written.", file=sys.stderr)
        return EXIT_TERMINATED
    return code


def _exit_code(stopped: str) -> int:
    return {"interrupted": EXIT_INTERRUPTED, "terminated": EXIT_TERMINATED,
            "diverged": 1}.get(stopped, 0)


def _finish(args: argparse.Namespace, net: Any, state: dict[str, Any],
            history_rows: list[dict[str, Any]], stopped: str, total_s: float,
            run_info: dict[str, Any]) -> int:
    """Restore the best epoch, print the summary, write the outputs; return the exit code."""
    best = state["best"]
    if best is None:
        print(f"No epoch completed ({total_s:.1f} s); nothing to save.")
        return _exit_code(stopped)
    net.restore(state["snapshot"])
    select_on = run_info["select_on"]
    summary = (f"Best epoch {best['epoch']} (chosen on {select_on} accuracy): test "
               f"{best['test_correct']} / {best['test_total']} "
               f"({_common.percent(best['test_correct'], best['test_total'])})")
    if "validation_accuracy" in best:
        summary += f", validation {100 * best['validation_accuracy']:.2f}%"
    print(f"{summary}; {len(history_rows)} epochs in {total_s:.1f} s")
    top = max(history_rows, key=lambda r: r["test_accuracy"])
    print(f"Highest test accuracy: {top['test_correct']} / {top['test_total']} "
          f"({_common.percent(top['test_correct'], top['test_total'])}) at epoch {top['epoch']}")
    metadata = {
        "nndl_version": __version__,
        "preset": args.preset,
        "training": {
            **{k: v for k, v in run_info["opts"].items() if k != "sizes"},
            "epochs_completed": len(history_rows), "seed": args.seed,
            "data": run_info["data"].source,
            "training_examples": run_info["training_examples"],
            "stopped": stopped, "interrupted": stopped in ("interrupted", "terminated"),
            "seconds": round(total_s, 3),
        },
        "best_epoch": best["epoch"],
        "selected_on": select_on,
        "test_accuracy": best["test_accuracy"],
        "validation_accuracy": best.get("validation_accuracy"),
        "history": history_rows,
    }
    written = write_outputs(args, net, metadata, history_rows)
    return _exit_code(stopped) or written
