"""What ``nndl train`` prints while it trains: a progress bar and a line per epoch.

:class:`Progress` is the library's :class:`~nndl.train.Hooks` for the
command line: it also tells ``nndl watch``'s session (``hooks``) of every
mini-batch and epoch.
"""

from __future__ import annotations

import sys
from typing import Any

from nndl.cli import _common


def epoch_line(record: dict[str, Any], show_eta: bool = False) -> str:
    """``Epoch k: correct / total  (p%)`` and the epoch's other measurements."""
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
        from nndl.inspect.learning_speed import format_norms

        line += f"  |dC/db| {format_norms(record['gradient_norms'])}"
    if show_eta:
        line += f"  eta {record['eta']:.4g}"
    return f"{line}  {record['seconds']:.2f} s"


class Progress:
    """A tqdm bar on stderr within each epoch (on a terminal), and each epoch's line."""

    def __init__(self, quiet: bool, hooks: Any = None, show_eta: bool = False) -> None:
        self.quiet = quiet
        self.hooks = hooks
        self.show_eta = show_eta
        self.epochs = 0
        self._bar: Any = None

    def on_batch(self, done: int, total: int) -> None:
        """Advance the progress bar; tell the hooks."""
        if self.hooks is not None:
            self.hooks.batch(self.epochs, done, total)
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=f"Epoch {self.epochs}", unit="batch",
                             leave=False, file=sys.stderr, mininterval=0.2,
                             disable=True if self.quiet else None)  # None: on a terminal
        self._bar.update(1)

    def close_bar(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def on_epoch(self, record: dict[str, Any]) -> None:
        """Print the epoch's line; tell the hooks."""
        self.close_bar()
        self.epochs += 1
        if not self.quiet:
            print(epoch_line(record, self.show_eta), flush=True)
        if self.hooks is not None:
            self.hooks.epoch(record)
