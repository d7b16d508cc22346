"""nndl.export.torch: to_module / from_module round trips, PyTorch-trained modules back in nndl.

Skipped when PyTorch (the ``[torch]`` extra) is not installed.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nndl import Network, Sequential  # noqa: E402
from nndl._extras import MissingExtra  # noqa: E402
from nndl.cli import main  # noqa: E402
from nndl.data import load_sample  # noqa: E402
from nndl.export.torch import from_module, loss, to_module  # noqa: E402
from nndl.model.io import load_model, save_model  # noqa: E402
from nndl.nn.activations import LeakyReLU  # noqa: E402
from nndl.nn.layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D  # noqa: E402

nn = torch.nn


def _x(dtype="float32"):
    data = load_sample(dtype=dtype)
    return np.concatenate([data.training[0], data.test[0]]), data.training[1]


def _outputs(module, x):
    with torch.no_grad():
        return module(torch.from_numpy(x)).numpy()


NETS = {
    "sigmoid-quadratic": lambda dt: Sequential("dense:30:sigmoid,dense:10:sigmoid",
                                               input_shape=(784,), cost="quadratic",
                                               seed=0, dtype=dt),
    "tanh-leaky-softmax": lambda dt: Sequential(
        [Dense(20, "tanh"), Dense(16, LeakyReLU(0.2)), Dropout(0.5), Dense(10, "softmax")],
        input_shape=(784,), seed=1, dtype=dt),
    "relu-cross-entropy": lambda dt: Sequential("dense:20:relu,dense:10:sigmoid",
                                                input_shape=(784,), cost="cross_entropy",
                                                seed=2, dtype=dt),
    "network-seed": lambda dt: Network([784, 30, 10], seed=4, dtype=dt),
    "network-dropout-softmax": lambda dt: Network(
        [784, 20, 16, 10], activation="tanh", cost="log_likelihood", dropout=0.3, seed=5,
        dtype=dt),
    "conv": lambda dt: Sequential(
        [Conv2D(4, 5), MaxPool2D(2), Conv2D(6, (3, 2), "tanh", stride=2), Flatten(),
         Dropout(0.2), Dense(10, "softmax")], input_shape=(1, 28, 28), seed=3, dtype=dt),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(NETS))
def test_to_module_computes_what_nndl_computes_and_comes_back_exactly(name, dtype):
    net = NETS[name](dtype)
    x, _ = _x(dtype)
    module = to_module(net)
    assert not module.training and next(module.parameters()).dtype == getattr(torch, dtype)
    np.testing.assert_allclose(_outputs(module, x), net.feedforward(x), rtol=0, atol=1e-5)
    # The module holds copies: changing it leaves the nndl model alone.
    with torch.no_grad():
        next(module.parameters()).add_(1.0)
    assert not np.allclose(_outputs(module, x[:5]), net.feedforward(x[:5]))
    back = from_module(to_module(net), cost=net.cost.name)  # a module holds no cost
    assert [layer.label() for layer in back.layers] == [layer.label() for layer in net.layers]
    assert (back.input_shape, back.cost.name, back.dtype) == (net.input_shape, net.cost.name,
                                                              net.dtype)
    for ours, theirs in zip(back.parameters(), net.parameters(), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_state_dict_uses_pytorchs_names():
    net = NETS["conv"]("float32")
    names = list(to_module(net).state_dict())
    assert names == ["1.weight", "1.bias", "4.weight", "4.bias", "8.weight", "8.bias"]


@pytest.mark.parametrize("cost", ["quadratic", "cross_entropy", "log_likelihood"])
def test_loss_is_nndls_cost_so_one_sgd_step_is_nndls_step(cost):
    out = {"quadratic": "tanh", "cross_entropy": "sigmoid", "log_likelihood": "softmax"}[cost]
    net = Sequential(f"dense:12:relu,dense:10:{out}", input_shape=(784,), cost=cost, seed=4,
                     dtype="float64")
    x, y = _x("float64")
    x, y = x[:64], y[:64]
    module = to_module(net).train()
    target = torch.from_numpy(np.eye(10)[y])
    c = loss(net)(module[:-1](torch.from_numpy(x)), target)
    assert c.item() == pytest.approx(net.total_cost(x, y), rel=1e-12)
    c.backward()
    torch.optim.SGD(module.parameters(), lr=0.3).step()
    net.SGD((x, y), 1, 64, 0.3, verbose=False)  # one mini-batch of all 64: one step
    np.testing.assert_allclose(_outputs(module.eval(), x), net.feedforward(x), atol=1e-12)


def test_a_module_trained_in_pytorch_works_in_nndl(tmp_path, capsys):
    x, y = _x()
    torch.manual_seed(0)
    module = nn.Sequential(nn.Unflatten(1, (1, 28, 28)), nn.Conv2d(1, 4, 5), nn.ReLU(),
                           nn.MaxPool2d(2), nn.Flatten(), nn.Linear(576, 10))  # logits
    opt = torch.optim.SGD(module.parameters(), lr=0.1)
    xt, yt = torch.from_numpy(x[:1000]), torch.from_numpy(y)
    for k in range(0, 1000, 20):
        opt.zero_grad()
        nn.functional.cross_entropy(module(xt[k:k + 20]), yt[k:k + 20]).backward()
        opt.step()
    net = from_module(module)
    assert [layer.label() for layer in net.layers][-1] == "dense 10 softmax"
    assert net.cost.name == "log_likelihood" and net.input_shape == (1, 28, 28)
    logits = _outputs(module, x)
    probs = torch.softmax(torch.from_numpy(logits), 1).numpy()
    np.testing.assert_allclose(net.feedforward(x), probs, atol=1e-5)
    assert (net.predict(x) == logits.argmax(1)).mean() > 0.999
    assert net.score(x[:1000], y) > 0.6  # it really learnt, in PyTorch
    path = save_model(net, tmp_path / "from_torch.npz")
    assert main(["evaluate", str(path), "--sample", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["accuracy"] == pytest.approx(load_model(path).score(x[1000:], _test_y()))


def _test_y():
    return load_sample().test[1]


def test_from_module_needs_an_input_shape_when_it_starts_with_a_convolution():
    module = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Sigmoid(), nn.Flatten(), nn.Linear(8, 3),
                           nn.Softmax(dim=1))
    with pytest.raises(ValueError, match="input_shape must be given"):
        from_module(module)
    net = from_module(module, input_shape=(1, 4, 4))
    x = np.random.default_rng(0).random((3, 16), dtype=np.float32)
    np.testing.assert_allclose(net.feedforward(x), _outputs(module, x.reshape(3, 1, 4, 4)),
                               atol=1e-6)


@pytest.mark.parametrize("module, message", [
    (nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, 2)),
     r"module 0 \(Linear\) must be followed by an activation"),
    (nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.BatchNorm1d(3), nn.Linear(3, 2)),
     r"module 2 \(BatchNorm1d\): nndl has no layer for a BatchNorm1d"),
    (nn.Sequential(nn.Unflatten(1, (1, 5, 5)), nn.Conv2d(1, 2, 3, padding=1), nn.ReLU()),
     "no padding, dilation or groups"),
    (nn.Sequential(nn.Unflatten(1, (1, 6, 6)), nn.MaxPool2d(2, stride=1), nn.Flatten(),
                   nn.Linear(25, 2)), "stride = kernel size"),
    (nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=0)), "Softmax over dim 0"),
])
def test_unsupported_modules_are_named(module, message):
    with pytest.raises(ValueError, match=message):
        from_module(module)


def test_missing_torch_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(MissingExtra, match=r'pip install "nndl\[torch\]"'):
        to_module(NETS["sigmoid-quadratic"]("float32"))
