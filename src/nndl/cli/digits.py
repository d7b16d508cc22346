"""``nndl digits --out FILE``: a grid of MNIST digits with their labels."""

from __future__ import annotations

import argparse

from nndl.cli import _common, _preflight

#: Most digits drawn in one grid.
MAX_COUNT = 400


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "digits",
        help="draw a grid of MNIST digits with their labels as a PNG (needs matplotlib)",
        description="Draw the first COUNT images of an MNIST split in a grid, each titled "
        "with its label, and write it as a PNG.",
    )
    p.add_argument("--out", metavar="FILE", required=True, help="PNG file to write")
    p.add_argument("--count", type=_common.positive_int, default=25,
                   help=f"how many digits (default 25, at most {MAX_COUNT})")
    p.add_argument("--split", choices=["training", "test"], default="test",
                   help="which split to draw from (default test)")
    _common.add_data_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.count > MAX_COUNT:
        raise ValueError(f"--count {args.count} is too many: at most {MAX_COUNT} digits fit")
    _preflight.require_extra("plot", "nndl digits")
    _preflight.check_output_file(args.out, "--out")
    from nndl.inspect.plots import PIXELS, digits_figure, save_png

    data = _common.load_dataset(args)
    x, y = getattr(data, args.split)
    n = min(args.count, len(y))
    what = "bundled sample" if data.source == "sample" else "MNIST"
    fig = digits_figure(x[:n], y[:n], title=f"First {n} {args.split} digits of {what}")
    path = save_png(fig, args.out)
    w, h = PIXELS["digits"]
    print(f"wrote {path} ({w}x{h}, {n} digits)")
    return 0
