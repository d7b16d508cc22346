"""``nndl train``: the seed's network learning to read MNIST digits."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from nndl import __version__
from nndl.cli import _common, _conv


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train",
        help="train a network on MNIST (the seed's configuration by default)",
        description=(
            "Train a network by mini-batch stochastic gradient descent on MNIST. "
            "The defaults are the seed's: sizes 784,30,10, 30 epochs, mini-batch 10, "
            "eta 3.0, quadratic cost, sigmoid neurons. Each epoch prints the test "
            "accuracy as 'Epoch k: correct / total'."
        ),
    )
    p.add_argument("--sizes", type=_common.sizes, default=[784, 30, 10],
                   help="layer sizes, input first (default 784,30,10)")
    p.add_argument("--epochs", type=_common.non_negative_int, default=30,
                   help="passes over the training data (default 30)")
    p.add_argument("--mini-batch-size", type=_common.positive_int, default=10,
                   help="examples per gradient step (default 10)")
    p.add_argument("--eta", type=_common.positive_float, default=3.0,
                   help="learning rate (default 3.0)")
    p.add_argument("--cost", default="quadratic",
                   choices=["quadratic", "cross_entropy", "log_likelihood"],
                   help="cost function (default quadratic)")
    p.add_argument("--activation", default="sigmoid",
                   choices=["sigmoid", "tanh", "relu", "leaky_relu"],
                   help="activation of the hidden layers (default sigmoid)")
    p.add_argument("--seed", type=int, default=2,
                   help="seed of the weights and the shuffling (default 2; see README)")
    p.add_argument("--dtype", default="float64", choices=["float64", "float32"],
                   help="floating-point precision (default float64)")
    p.add_argument("--full-train", action="store_true",
                   help="train on all 60,000 training images (no validation split)")
    _common.add_data_options(p)
    _conv.add_conv_arguments(p)  # [conv] --layers, --expand, --preset conv/conv-book
    p.add_argument("--save", metavar="MODEL",
                   help="write the best model (.npz) here; saved atomically")
    p.add_argument("--quiet", action="store_true", help="print only the summary")
    p.set_defaults(func=run)


def _progress_bar(total: int, epoch: int, enabled: bool):
    """A tqdm bar over the mini-batches of one epoch, shown only on a terminal."""
    from tqdm import tqdm

    return tqdm(total=total, desc=f"Epoch {epoch}", unit="batch", leave=False,
                disable=None if enabled else True, file=sys.stderr, mininterval=0.2)


def run(args: argparse.Namespace) -> int:
    from nndl import Network
    from nndl.io import save_model

    _conv.apply_conv_preset(args)  # [conv]
    data = _common.load_dataset(args, dtype=args.dtype, full_train=args.full_train)
    x_train, y_train = data.training
    if args.sizes[0] != x_train.shape[1]:
        raise ValueError(
            f"--sizes starts with {args.sizes[0]} inputs but the images have "
            f"{x_train.shape[1]} pixels"
        )
    net = _conv.build_model_from_args(args) or Network(  # [conv]
        args.sizes, cost=args.cost, activation=args.activation,
        output_activation="softmax" if args.cost == "log_likelihood" else None,
        seed=args.seed, dtype=args.dtype)
    x_test, y_test = data.test
    # The best epoch is chosen on validation data when there is some, so that
    # the test set stays an honest estimate; otherwise on the test set.
    select_on = "validation" if data.validation is not None else "test"
    if not args.quiet:
        what = "the bundled sample" if data.source == "sample" else "MNIST"
        print(f"Training {net} on {len(y_train):,} images of {what}: {args.epochs} epochs, "
              f"mini-batch {args.mini_batch_size}, eta {args.eta}, seed {args.seed}")

    state: dict[str, Any] = {"best": None, "snapshot": None, "bar": None}
    show_bar = not args.quiet

    def on_batch(done: int, total: int) -> None:
        if state["bar"] is None:
            state["bar"] = _progress_bar(total, len(history_rows), show_bar)
        state["bar"].update(1)

    history_rows: list[dict[str, Any]] = []

    def on_epoch(record: dict[str, Any]) -> None:
        if state["bar"] is not None:
            state["bar"].close()
            state["bar"] = None
        if data.validation is not None:
            vx, vy = data.validation
            record["validation_correct"] = net.evaluate(vx, vy)
            record["validation_total"] = len(vy)
            record["validation_accuracy"] = record["validation_correct"] / len(vy)
        history_rows.append(record)
        key = f"{select_on}_accuracy"
        if state["best"] is None or record[key] > state["best"][key]:
            state["best"] = dict(record)
            state["snapshot"] = net.snapshot()
        if not args.quiet:
            line = (f"Epoch {record['epoch']}: {record['test_correct']} / {record['test_total']}"
                    f"  ({_common.percent(record['test_correct'], record['test_total'])})")
            if "validation_accuracy" in record:
                line += f"  validation {100 * record['validation_accuracy']:.2f}%"
            print(f"{line}  {record['seconds']:.2f} s", flush=True)

    start = time.perf_counter()
    interrupted = False
    try:
        net.SGD((x_train, y_train), args.epochs, args.mini_batch_size, args.eta,
                test_data=(x_test, y_test), verbose=False,
                on_batch=on_batch if show_bar else None, on_epoch=on_epoch,
                **_conv.sgd_options(args))  # [conv]
    except KeyboardInterrupt:
        interrupted = True
        if state["bar"] is not None:
            state["bar"].close()
        print(f"\nInterrupted during epoch {len(history_rows)}; "
              "keeping the best epoch so far.", file=sys.stderr)
    total_s = time.perf_counter() - start

    best = state["best"]
    if best is None:
        print(f"No epoch completed ({total_s:.1f} s); nothing to save.")
        return 130 if interrupted else 0
    net.restore(state["snapshot"])
    summary = (f"Best epoch {best['epoch']} (chosen on {select_on} accuracy): test "
               f"{best['test_correct']} / {best['test_total']} "
               f"({_common.percent(best['test_correct'], best['test_total'])})")
    if "validation_accuracy" in best:
        summary += f", validation {100 * best['validation_accuracy']:.2f}%"
    print(f"{summary}; {len(history_rows)} epochs in {total_s:.1f} s")
    top = max(history_rows, key=lambda r: r["test_accuracy"])
    print(f"Highest test accuracy: {top['test_correct']} / {top['test_total']} "
          f"({_common.percent(top['test_correct'], top['test_total'])}) at epoch {top['epoch']}")
    if args.save:
        metadata = {
            "nndl_version": __version__,
            "training": {
                "epochs": args.epochs, "epochs_completed": len(history_rows),
                "mini_batch_size": args.mini_batch_size, "eta": args.eta,
                "seed": args.seed, "dtype": args.dtype, "full_train": args.full_train,
                "data": data.source, "training_examples": len(y_train),
                "interrupted": interrupted, "seconds": round(total_s, 3),
                **_conv.training_metadata(args),  # [conv]
            },
            "best_epoch": best["epoch"],
            "selected_on": select_on,
            "test_accuracy": best["test_accuracy"],
            "validation_accuracy": best.get("validation_accuracy"),
            "history": history_rows,
        }
        path = save_model(net, args.save, metadata=metadata)
        print(f"Saved the model of epoch {best['epoch']} to {path}")
    return 130 if interrupted else 0
