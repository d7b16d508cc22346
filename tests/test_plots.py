"""``nndl plot`` and ``nndl digits``: valid PNGs of the expected size."""

from __future__ import annotations

import pytest

pytest.importorskip("matplotlib")
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from nndl import Network  # noqa: E402
from nndl.cli import main  # noqa: E402
from nndl.inspect.plots import PIXELS  # noqa: E402
from nndl.model.io import save_model  # noqa: E402


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = tmp_path_factory.mktemp("plots") / "net.npz"
    assert main(["train", "--sample", "--epochs", "2", "--quiet", "--save", str(path)]) == 0
    return path


def _png_size(path):
    with Image.open(path) as im:
        assert im.format == "PNG"
        im.verify()
        return im.size


@pytest.mark.slow
def test_plot_writes_four_pngs(model, tmp_path, capsys):
    out = tmp_path / "figs"
    assert main(["plot", str(model), "--out", str(out), "--sample"]) == 0
    for name in ("curves", "weights", "confusion", "misclassified"):
        assert _png_size(out / f"{name}.png") == PIXELS[name]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp files left


@pytest.mark.slow
def test_model_without_history_says_so(tmp_path, capsys):
    path = save_model(Network([784, 4, 10], seed=0), tmp_path / "bare.npz")
    assert main(["plot", str(path), "--out", str(tmp_path / "figs"), "--sample"]) == 0
    assert "no training history" in capsys.readouterr().out
    assert _png_size(tmp_path / "figs" / "curves.png") == PIXELS["curves"]


def test_plot_missing_model(tmp_path, capsys):
    assert main(["plot", str(tmp_path / "nope.npz"), "--out", str(tmp_path)]) == 1
    assert "model file not found" in capsys.readouterr().err


def test_digits(tmp_path, capsys):
    path = tmp_path / "d.png"
    assert main(["digits", "--sample", "--out", str(path), "--count", "16"]) == 0
    assert _png_size(path) == PIXELS["digits"]
    assert main(["digits", "--sample", "--out", str(path), "--count", "1000"]) == 1
    assert "too many" in capsys.readouterr().err


@pytest.mark.slow
def test_plot_draws_a_convolutional_model(tmp_path):
    from nndl import Sequential

    net = Sequential("conv:6x5x5,pool:2,dense:12:relu,softmax:10", seed=0)
    path = save_model(net, tmp_path / "conv.npz")
    assert main(["plot", str(path), "--out", str(tmp_path / "figs"), "--sample"]) == 0
    with Image.open(tmp_path / "figs" / "weights.png") as img:
        assert img.format == "PNG" and img.size == (800, 800)


def test_weights_figure_names_filters_w_and_dense_weights_w2():
    from nndl.inspect.plots import weights_figure

    rng = np.random.default_rng(0)
    dense = weights_figure(rng.standard_normal((4, 784)))
    filters = weights_figure(rng.standard_normal((4, 25)), "filters (first input channel)")
    assert dense._suptitle.get_text().startswith("First-layer weights w²: 4 hidden neurons")
    assert filters._suptitle.get_text().startswith("First-layer weights w: 4 filters")
