"""``nndl export``: ONNX and PyTorch files from a saved model; clear errors before any work."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from nndl import Sequential
from nndl.cli import main
from nndl.data import load_sample
from nndl.model.io import save_model


@pytest.fixture
def saved(tmp_path):
    net = Sequential("conv:3x5x5,pool:2,dropout:0.25,dense:20:tanh,softmax:10",
                     input_shape=(1, 28, 28), seed=0)
    x, y = load_sample(dtype="float32").training
    net.SGD((x, y), 1, 10, 0.1, verbose=False)
    return net, save_model(net, tmp_path / "conv.npz")


def test_export_onnx_runs_in_onnxruntime(saved, tmp_path, capsys):
    ort = pytest.importorskip("onnxruntime")
    net, path = saved
    out = tmp_path / "conv.onnx"
    assert main(["export", str(path), "--format", "onnx", "-o", str(out)]) == 0
    assert f"Wrote {out}: an ONNX graph" in capsys.readouterr().out
    x = load_sample(dtype="float32").test[0]
    (got,) = ort.InferenceSession(str(out)).run(None, {"x": x})
    np.testing.assert_allclose(got, net.feedforward(x), atol=1e-5)


def test_export_torch_writes_a_safetensors_state_dict_with_the_architecture(saved, tmp_path):
    safetensors = pytest.importorskip("safetensors")
    from nndl.export.torch_arch import load

    net, path = saved
    out = tmp_path / "conv.safetensors"
    assert main(["export", str(path), "--format", "torch", "-o", str(out)]) == 0
    with safetensors.safe_open(str(out), framework="numpy") as f:
        names, meta = list(f.keys()), f.metadata()
        np.testing.assert_array_equal(f.get_tensor("1.weight"), net.layers[0].params["w"])
    assert sorted(names) == ["1.bias", "1.weight", "6.bias", "6.weight", "8.bias", "8.weight"]
    arch = json.loads(meta["architecture"])
    assert [m["type"] for m in arch] == ["Unflatten", "Conv2d", "ReLU", "MaxPool2d", "Dropout",
                                         "Flatten", "Linear", "Tanh", "Linear", "Softmax"]
    assert (meta["format"], meta["cost"], meta["input_shape"]) == (
        "nndl-torch", "log_likelihood", "[1, 28, 28]")
    back = load(out)  # nndl reads its own export back without PyTorch
    for ours, theirs in zip(back.parameters(), net.parameters(), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_export_torch_file_rebuilds_the_module_in_pytorch(saved, tmp_path):
    torch = pytest.importorskip("torch")
    from nndl.export.torch import load_module

    net, path = saved
    out = tmp_path / "conv.safetensors"
    assert main(["export", str(path), "--format", "torch", "-o", str(out)]) == 0
    module = load_module(out)
    x = load_sample(dtype="float32").test[0]
    with torch.no_grad():
        got = module(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(got, net.feedforward(x), atol=1e-5)


def test_bad_output_paths_and_missing_extras_fail_before_any_work(saved, tmp_path, capsys,
                                                                  monkeypatch):
    _, path = saved
    for output, message in [(tmp_path, "expected a file name, got a folder"),
                            (tmp_path / "no" / "m.onnx", "does not exist")]:
        assert main(["export", str(path), "--format", "onnx", "-o", str(output)]) == 1
        assert message in capsys.readouterr().err
    assert main(["export", str(tmp_path / "missing.npz"), "--format", "torch",
                 "-o", str(tmp_path / "m.st")]) == 1
    assert "model file not found" in capsys.readouterr().err
    assert main(["export", str(path), "--format", "torch", "--dtype", "float64",
                 "-o", str(tmp_path / "m.st")]) == 1
    assert "--dtype applies to --format onnx only" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "onnx", None)
    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    for fmt, extra in (("onnx", "onnx"), ("torch", "torch")):
        assert main(["export", str(path), "--format", fmt, "-o", str(tmp_path / "x")]) == 1
        err = capsys.readouterr().err
        assert err.startswith("nndl: error:") and f'pip install "nndl[{extra}]"' in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["conv.npz"]  # nothing written


def test_export_a_books_network(tmp_path, capsys):
    onnxruntime = pytest.importorskip("onnxruntime")
    from nndl import Network

    net = Network([784, 30, 10], seed=2)
    path = save_model(net, tmp_path / "net.npz")
    out = tmp_path / "net.onnx"
    assert main(["export", str(path), "--format", "onnx", "-o", str(out)]) == 0
    session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    x = load_sample().test[0]
    (got,) = session.run(None, {"x": x.astype(np.float64)})
    np.testing.assert_allclose(got, net.feedforward(x), rtol=0, atol=1e-9)
