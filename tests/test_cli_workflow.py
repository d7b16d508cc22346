"""End to end through the CLI on the bundled sample: train → save → evaluate → predict."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nndl import Network
from nndl.cli import main
from nndl.data import load_sample
from nndl.data.preprocess import save_png
from nndl.model.io import load_model, save_model


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    path = tmp_path_factory.mktemp("models") / "net.npz"
    code = main(["train", "--sample", "--epochs", "4", "--seed", "1", "--save", str(path)])
    assert code == 0
    return path


def test_train_prints_epochs_and_summary(tmp_path, capsys):
    code = main(["train", "--sample", "--epochs", "2", "--sizes", "784,20,10", "--seed", "3"])
    out = capsys.readouterr().out
    assert code == 0
    lines = [line for line in out.splitlines() if line.startswith("Epoch ")]
    assert len(lines) == 2
    assert lines[0].startswith("Epoch 0: ") and " / 100  (" in lines[0] and lines[0].endswith(" s")
    assert "Best epoch" in out and "Highest test accuracy" in out


def test_saved_model_carries_settings_and_history(trained):
    model = load_model(trained)
    meta = model.metadata
    assert model.sizes == [784, 30, 10]
    assert meta["training"]["epochs"] == 4 and meta["training"]["eta"] == 3.0
    assert meta["training"]["data"] == "sample"
    assert len(meta["history"]) == 4
    best = meta["history"][meta["best_epoch"]]
    assert meta["test_accuracy"] == best["test_accuracy"]
    x, y = load_sample().test
    assert model.evaluate(x, y) == best["test_correct"]  # the best epoch's weights were saved


def test_training_beats_chance_clearly(trained):
    x, y = load_sample().test
    assert load_model(trained).evaluate(x, y) >= 50  # chance is 10 / 100


def test_evaluate_prints_accuracy_table_and_confusion(trained, capsys):
    assert main(["evaluate", str(trained), "--sample"]) == 0
    out = capsys.readouterr().out
    assert "test images correct" in out and "confusion matrix" in out
    assert main(["evaluate", str(trained), "--sample", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    conf = np.array(result["confusion"])
    assert conf.shape == (10, 10) and conf.sum() == 100 == result["total"]
    assert np.trace(conf) == result["correct"]
    assert [d["total"] for d in result["per_digit"]] == conf.sum(axis=1).tolist()


def test_predict_reads_pngs_like_mnist(trained, tmp_path, capsys):
    x, y = load_sample().test
    files = []
    for i in range(3):
        save_png(x[i], tmp_path / f"digit{i}.png", scale=3)
        files.append(str(tmp_path / f"digit{i}.png"))
    assert main(["predict", str(trained), *files, "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    model = load_model(trained)
    assert [r["file"] for r in results] == files
    for r in results:
        assert len(r["activations"]) == 10
        assert r["digit"] == int(np.argmax(r["activations"]))
    # Same answers as the network on the MNIST pixels themselves, for digits it reads.
    direct = model.predict(x[:3])
    assert sum(r["digit"] == d for r, d in zip(results, direct, strict=True)) >= 2
    assert main(["predict", str(trained), files[0]]) == 0
    assert capsys.readouterr().out.startswith(f"{files[0]}: ")


def test_bad_model_and_image_give_one_line_errors(tmp_path, trained, capsys):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"garbage")
    assert main(["evaluate", str(bad), "--sample"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("nndl: error: ") and "not an nndl model file" in err
    assert "Traceback" not in err
    notimg = tmp_path / "x.png"
    notimg.write_text("text")
    assert main(["predict", str(trained), str(notimg)]) == 1
    assert "cannot read image" in capsys.readouterr().err
    assert main(["predict", str(tmp_path / "none.npz"), str(notimg)]) == 1
    assert "model file not found" in capsys.readouterr().err
    small = save_model(Network([4, 2]), tmp_path / "small.npz")
    assert main(["evaluate", str(small), "--sample"]) == 1
    assert "reads 4 inputs" in capsys.readouterr().err


def test_bad_options_are_refused_by_argparse(capsys):
    for argv in (["train", "--eta", "-1"], ["train", "--sizes", "784"],
                 ["train", "--mini-batch-size", "0"], ["train", "--cost", "hinge"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
    assert "expected" in capsys.readouterr().err


def test_ctrl_c_saves_the_best_model_so_far(tmp_path, monkeypatch, capsys):
    calls = {"n": 0}
    real = Network.make_step

    def interrupt_in_epoch_3(self, *args):
        inner = real(self, *args)

        def step(x, y, eta):
            calls["n"] += 1
            if calls["n"] > 2 * 100 + 5:  # 100 mini-batches of 10 per epoch on the sample
                raise KeyboardInterrupt
            inner(x, y, eta)

        return step

    monkeypatch.setattr(Network, "make_step", interrupt_in_epoch_3)
    path = tmp_path / "interrupted.npz"
    code = main(["train", "--sample", "--epochs", "30", "--save", str(path)])
    captured = capsys.readouterr()
    assert code == 130
    assert "Interrupted during epoch 2" in captured.err
    meta = load_model(path).metadata
    assert meta["training"]["interrupted"] is True
    assert meta["training"]["epochs_completed"] == 2
    assert "Best epoch" in captured.out
