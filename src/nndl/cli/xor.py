"""``nndl xor``: a network without a hidden layer cannot learn XOR; one with it can."""

from __future__ import annotations

import argparse
import textwrap

from nndl.cli import _common


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "xor",
        help="XOR: why a [2, 1] network fails and a [2, 3, 1] network learns it",
        description=(
            "Train a network without a hidden layer ([2, 1], the seed's XOR snippet) and one "
            "with a hidden layer ([2, H, 1]) on the four XOR examples, show their outputs "
            "and the epoch at which all four outputs were within 0.1 of their targets."
        ),
    )
    p.add_argument("--epochs", type=_common.positive_int, default=2000,
                   help="passes over the four examples (default 2000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--eta", type=_common.positive_float, default=2.0,
                   help="learning rate (default 2.0)")
    p.add_argument("--hidden", type=_common.positive_int, default=3,
                   help="neurons in the hidden layer of the second network (default 3)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from nndl.book.xor import INPUTS, TARGETS, TOLERANCE, WHY, train_xor

    results = [train_xor(sizes, args.epochs, args.seed, args.eta)
               for sizes in ([2, 1], [2, args.hidden, 1])]
    print(f"XOR, {args.epochs} epochs of full-batch gradient descent "
          f"(cross-entropy cost, eta {args.eta}, seed {args.seed})")
    print()
    header = f"  {'x':<10}{'target':>7}" + "".join(f"{str(r.sizes):>13}" for r in results)
    print(header)
    for k, (x, t) in enumerate(zip(INPUTS, TARGETS[:, 0], strict=True)):
        row = f"  {f'({x[0]:g}, {x[1]:g})':<10}{t:>7g}"
        row += "".join(f"{r.outputs[k]:>13.4f}" for r in results)
        print(row)
    print()
    for r in results:
        if r.converged_epoch is None:
            print(f"{str(r.sizes):<10} never got all four outputs within {TOLERANCE} of "
                  f"their targets (largest error {r.max_error:.3f})")
        else:
            print(f"{str(r.sizes):<10} all four outputs within {TOLERANCE} of their targets "
                  f"from epoch {r.converged_epoch} (largest error now {r.max_error:.3g})")
    print()
    print(textwrap.fill("Why: " + WHY, width=88))
    return 0
