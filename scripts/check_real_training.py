"""CI check on real MNIST: two epochs of the seed's network must reach 90% test accuracy.

Run after ``nndl fetch``; exits non-zero (with the figures) when the accuracy is short.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from nndl.cli import main as nndl
from nndl.data import load_mnist
from nndl.model.io import load_model

THRESHOLD = 0.90


def main() -> int:
    data = load_mnist(fetch=False)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ci.npz"
        code = nndl(["train", "--epochs", "2", "--save", str(path)])
        if code != 0:
            return code
        model = load_model(path)
    x, y = data.test
    accuracy = model.evaluate(x, y) / len(y)
    print(f"real MNIST, 2 epochs: test accuracy {accuracy:.2%} (need {THRESHOLD:.0%})")
    return 0 if accuracy >= THRESHOLD else 1


if __name__ == "__main__":
    sys.exit(main())
