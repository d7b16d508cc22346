"""Draw ``docs/augment.png``: a few MNIST digits and random augmented versions of each.

Row ``i`` shows a digit of the bundled sample, then ``--versions`` draws of
``--augment SPEC`` (:mod:`nndl.data.augment`) from a generator seeded with
``--seed``, as ``nndl train --augment SPEC`` makes them per mini-batch.
Needs matplotlib (``pip install nndl[plot]``).

Usage::

    PYTHONPATH=src python3 scripts/augment_figure.py            # writes docs/augment.png
    ... --augment shift=2,rotate=15 --versions 5 --out /tmp/a.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from nndl.data import load_sample
from nndl.data.augment import parse_spec

SPEC = "shift=2,rotate=10,scale=0.1,elastic=34:4"
OUT = Path(__file__).resolve().parents[1] / "docs" / "augment.png"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--augment", default=SPEC, metavar="SPEC", help=f"(default {SPEC})")
    parser.add_argument("--digits", type=int, default=5, help="digits shown (5)")
    parser.add_argument("--versions", type=int, default=7, help="draws per digit (7)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (0)")
    parser.add_argument("--out", type=Path, default=OUT, help="PNG to write (docs/augment.png)")
    args = parser.parse_args()
    aug = parse_spec(args.augment)
    if aug is None:
        parser.error("--augment none draws nothing")
    from matplotlib.figure import Figure

    from nndl.inspect.plots import save_png

    x, labels = load_sample(dtype="float32").training
    picks = [int(np.flatnonzero(labels == d)[0]) for d in range(args.digits)]
    rng = np.random.default_rng(args.seed)
    cols = args.versions + 1
    fig = Figure(figsize=(1.1 * cols, 1.2 * args.digits), dpi=100)
    axes = fig.subplots(args.digits, cols, squeeze=False)
    for row, k in enumerate(picks):
        images = [x[k]] + list(aug(np.repeat(x[k : k + 1], args.versions, axis=0), rng))
        for col, (ax, img) in enumerate(zip(axes[row], images, strict=True)):
            ax.imshow(img.reshape(28, 28), cmap="gray_r", vmin=0.0, vmax=1.0)
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title("original" if col == 0 else f"draw {col}", fontsize=8)
    fig.suptitle(f"--augment {aug.spec()}", fontsize=10)
    fig.tight_layout()
    print(f"wrote {save_png(fig, args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
