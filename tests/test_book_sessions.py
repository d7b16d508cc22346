"""The book's interactive sessions (chapters 1, 3 and 6) run unchanged on nndl.book.

The sessions are the code blocks marked ``<!-- session: NAME -->`` in
docs/book.md: the book's text with only the import lines changed.  They run
here as written, on the bundled sample (``NNDL_BOOK_DATA=sample``), with
every ``SGD`` call cut to a few epochs — the book's 30, 60 and 400 epochs
stay in the text.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np
import pytest

from nndl.book import expand_mnist, mnist_loader, network, network2, network3
from nndl.data.pickled import read_mnist_pkl, write_mnist_pkl

DOC = Path(__file__).resolve().parents[1] / "docs" / "book.md"
SESSION = re.compile(r"<!-- session: ([\w-]+) -->\n```python\n(.*?)```", re.S)


def sessions() -> dict[str, str]:
    return dict(SESSION.findall(DOC.read_text(encoding="utf-8")))


def small_sample(path: Path, images: int) -> Path:
    """The sample cut to ``images`` training images (and 100 validation), as a book file."""
    training, validation, test = mnist_loader.load_data("sample")
    write_mnist_pkl(path, ((training[0][:images], training[1][:images]),
                           (validation[0][:100], validation[1][:100]), test))
    return path


@pytest.fixture
def book(monkeypatch, capsys, tmp_path):
    """Run sessions with SGD capped at ``cap`` epochs; return the printed lines.

    The data are the bundled sample (800 / 200 / 100), or with ``images`` the
    first ``images`` of its training images (and 100 validation images).
    """
    np.random.seed(3)
    random.seed(3)
    namespace: dict = {}

    def run(names: list[str], cap: int, images: int | None = None) -> list[str]:
        data = "sample" if images is None else small_sample(tmp_path / "small.pkl.gz", images)
        monkeypatch.setenv(mnist_loader.ENV_VAR, str(data))
        for cls in (network.Network, network2.Network, network3.Network):
            original = cls.__dict__["SGD"]

            def capped(self, training_data, epochs, *args, _original=original, **kwargs):
                return _original(self, training_data, min(epochs, cap), *args, **kwargs)

            monkeypatch.setattr(cls, "SGD", capped)
        texts = sessions()
        capsys.readouterr()
        for name in names:
            exec(compile(texts[name], f"docs/book.md:{name}", "exec"), namespace)
        return capsys.readouterr().out.splitlines()

    return run


def test_the_doc_marks_every_session():
    assert set(sessions()) == {
        "chapter1", "chapter1-more", "chapter3-cross-entropy", "chapter3-regularization",
        "chapter3-full", "chapter6-fully-connected", "chapter6-conv", "chapter6-relu",
        "chapter6-relu-network", "chapter6-expanded", "chapter6-dropout",
    }
    for text in sessions().values():
        imports = [line for line in text.splitlines() if "import" in line]
        assert all(line.startswith("from nndl.book") for line in imports)


def test_chapter1(book):
    lines = book(["chapter1", "chapter1-more"], cap=2)
    assert len(lines) == 4 * 2
    counts = [int(re.fullmatch(r"Epoch [01]: (\d+) / 100", line).group(1)) for line in lines]
    assert max(counts) > 40  # the [784, 30, 10] or [784, 100, 10] networks learn


def test_chapter3(book):
    lines = book(["chapter3-cross-entropy"], cap=2)
    assert lines[0] == "Epoch 0 training complete" and lines[2] == ""
    accuracy = [int(m.group(1)) for m in map(re.compile(
        r"Accuracy on evaluation data: (\d+) / 100").fullmatch, lines) if m]
    assert len(accuracy) == 2 and accuracy[-1] > 50
    lines = book(["chapter3-regularization", "chapter3-full"], cap=1)
    assert lines[:7] == [
        "Epoch 0 training complete",
        lines[1], lines[2],  # training cost and evaluation accuracy of the first run
        "",
        "Epoch 0 training complete",
        lines[5], lines[6],
    ]
    assert re.fullmatch(r"Cost on training data: [\d.]+", lines[1])
    assert re.fullmatch(r"Accuracy on evaluation data: \d+ / 100", lines[2])
    assert [line.split(":")[0] for line in lines[5:9]] == [
        "Cost on training data", "Accuracy on training data", "Cost on evaluation data",
        "Accuracy on evaluation data"]
    assert lines[-2] == "Accuracy on evaluation data: " + lines[-2].split(": ")[1]
    assert lines[-2].endswith(" / 100")  # validation_data[:100]


BOOK6 = re.compile(
    r"Training mini-batch number 0\n"
    r"(Epoch (\d+): validation accuracy \d+\.\d\d%\n"
    r"(This is the best validation accuracy to date\.\n"
    r"The corresponding test accuracy is \d+\.\d\d%\n)?)+"
    r"Finished training network\.\n"
    r"Best validation accuracy of \d+\.\d\d% obtained at iteration \d+\n"
    r"Corresponding test accuracy of \d+\.\d\d%\n"
)


def book6_runs(lines: list[str]) -> int:
    """How many complete SGD reports of network3 the lines hold (and nothing else)."""
    text = "\n".join(lines) + "\n"
    assert BOOK6.sub("", text).strip() == ""
    return text.count("Finished training network.")


def best_accuracies(lines: list[str]) -> list[float]:
    pattern = r"Best validation accuracy of (\d+\.\d\d)%"
    return [float(v) for v in re.findall(pattern, "\n".join(lines))]


CONV = ["chapter6-fully-connected", "chapter6-conv", "chapter6-relu", "chapter6-relu-network"]
EXPANDED = ["chapter6-fully-connected", "chapter6-relu", "chapter6-expanded", "chapter6-dropout"]


def test_chapter6_fully_connected_and_convolutional_fast(book):
    lines = book(CONV, cap=1, images=200)
    assert book6_runs(lines) == 4


@pytest.mark.slow
def test_chapter6_fully_connected_and_convolutional(book):
    lines = book(CONV, cap=3)
    assert book6_runs(lines) == 4
    assert max(best_accuracies(lines)) > 70


def _expanded_file(tmp_path, monkeypatch, images):
    """Run ``python -m nndl.book.expand_mnist`` as the book runs it: from src/, into ../data."""
    (tmp_path / "src").mkdir()
    (tmp_path / "data").mkdir()
    monkeypatch.chdir(tmp_path / "src")
    source = "sample" if images is None else small_sample(tmp_path / "in.pkl.gz", images)
    monkeypatch.setenv(mnist_loader.ENV_VAR, str(source))
    assert expand_mnist.main(["--seed", "0"]) == 0
    return read_mnist_pkl("../data/mnist_expanded.pkl.gz")[0]


def test_chapter6_expanded_data_and_dropout_fast(book, tmp_path, monkeypatch):
    x, _ = _expanded_file(tmp_path, monkeypatch, images=60)
    assert len(x) == 300
    lines = book(EXPANDED, cap=1, images=60)
    assert book6_runs(lines) == 3


@pytest.mark.slow
def test_chapter6_expanded_data_and_dropout(book, tmp_path, monkeypatch):
    x, _ = _expanded_file(tmp_path, monkeypatch, images=None)
    assert len(x) == 4000
    lines = book(EXPANDED, cap=1)
    assert book6_runs(lines) == 3
    assert min(best_accuracies(lines)[1:]) > 50  # one epoch of 4,000 expanded images
