"""Optimisers against hand-computed steps, and inside training."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nndl import Network
from nndl.data import load_sample
from nndl.model.sequential import Sequential
from nndl.train.optimizers import SGD, Adam, Momentum, get_optimizer


def test_sgd_step():
    p = [np.array([1.0, -2.0])]
    SGD().step(p, [np.array([0.5, 0.25])], eta=0.2)
    np.testing.assert_allclose(p[0], [0.9, -2.05])


def test_momentum_steps_by_hand():
    # v1 = -η g1 = [-0.1, 0.2];            p1 = [0.9, 2.2]
    # v2 = μ v1 - η g2 = [-0.05-0.2, 0.1]; p2 = [0.65, 2.3]
    p, opt = [np.array([1.0, 2.0])], Momentum(mu=0.5)
    opt.step(p, [np.array([1.0, -2.0])], eta=0.1)
    np.testing.assert_allclose(p[0], [0.9, 2.2])
    opt.step(p, [np.array([2.0, 0.0])], eta=0.1)
    np.testing.assert_allclose(opt.velocity[0], [-0.25, 0.1])
    np.testing.assert_allclose(p[0], [0.65, 2.3])


def test_adam_steps_by_hand():
    b1, b2, eps, eta = 0.9, 0.999, 1e-8, 0.01
    p, opt = [np.array([1.0, -1.0])], Adam(b1, b2, eps)
    g1, g2 = np.array([0.5, -2.0]), np.array([-1.0, 4.0])
    # Step 1: m̂ = g, v̂ = g², so the step is η·g/(|g| + ε) ≈ η·sign(g).
    opt.step(p, [g1.copy()], eta)
    expected1 = np.array([1.0, -1.0]) - eta * g1 / (np.abs(g1) + eps)
    np.testing.assert_allclose(p[0], expected1, rtol=1e-12)
    # Step 2, textbook form.
    m = b1 * (1 - b1) * g1 + (1 - b1) * g2
    v = b2 * (1 - b2) * g1**2 + (1 - b2) * g2**2
    m_hat, v_hat = m / (1 - b1**2), v / (1 - b2**2)
    opt.step(p, [g2.copy()], eta)
    np.testing.assert_allclose(p[0], expected1 - eta * m_hat / (np.sqrt(v_hat) + eps), rtol=1e-12)
    assert opt.t == 2
    # m̂ for the first coordinate by hand: (0.9·0.05 − 0.1)/(1 − 0.81) = −0.0552/0.19
    assert m_hat[0] == pytest.approx((0.9 * 0.05 - 0.1) / 0.19)


def test_state_is_lazy_in_param_dtype_and_resets():
    opt = Adam()
    assert opt.m is None
    p = [np.ones((2, 3), dtype=np.float32), np.ones(3, dtype=np.float32)]
    opt.step(p, [np.ones((2, 3), np.float32), np.ones(3, np.float32)], 1e-3)
    assert [m.dtype for m in opt.m] == [np.float32, np.float32]
    assert all(x.dtype == np.float32 for x in p)
    opt.reset()
    assert opt.t == 0 and opt.m is None


def test_config_round_trip_and_validation():
    for opt in (SGD(), Momentum(0.8), Adam(0.8, 0.99, 1e-7)):
        again = get_optimizer(opt.config())
        assert type(again) is type(opt) and again.config() == opt.config()
    with pytest.raises(ValueError, match=r"unknown optimizer 'rmsprop'; expected one of"):
        get_optimizer("rmsprop")
    with pytest.raises(ValueError, match=r"mu must be a number in \[0, 1\), got 1.5"):
        Momentum(1.5)
    with pytest.raises(ValueError, match=r"beta2 must be a number in \[0, 1\), got 1"):
        Adam(beta2=1)
    with pytest.raises(ValueError, match="bad parameters for optimizer 'adam'"):
        get_optimizer({"name": "adam", "rho": 0.9})


def _toy():
    rng = np.random.default_rng(0)
    x = rng.random((200, 4))
    return x, (x[:, 0] + x[:, 1] > x[:, 2] + x[:, 3]).astype(int)


@pytest.mark.parametrize(("optimizer", "eta"), [("momentum", 0.3), ("adam", 0.01),
                                                ({"name": "momentum", "mu": 0.5}, 1.0)])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_optimizers_train_a_network(optimizer, eta, dtype):
    x, y = _toy()
    net = Network([4, 8, 2], cost="cross_entropy", init="scaled_normal", seed=1, dtype=dtype)
    net.SGD((x, y), 20, 10, eta, optimizer=optimizer, verbose=False)
    assert net.evaluate(x, y) > 180
    assert all(p.dtype == np.dtype(dtype) for p in net.weights + net.biases)


def test_momentum_zero_is_plain_sgd():
    x, y = _toy()
    a, b = Network([4, 5, 2], seed=3), Network([4, 5, 2], seed=3)
    a.SGD((x, y), 2, 10, 2.0, verbose=False)
    b.SGD((x, y), 2, 10, 2.0, optimizer=Momentum(0.0), verbose=False)
    for p, q in zip(a.weights + a.biases, b.weights + b.biases, strict=True):
        np.testing.assert_allclose(p, q, rtol=1e-10, atol=1e-12)


def test_optimizer_object_keeps_state_between_calls():
    x, y = _toy()
    net, opt = Network([4, 5, 2], seed=3), Adam()
    net.SGD((x, y), 1, 50, 0.01, optimizer=opt, verbose=False)
    net.SGD((x, y), 1, 50, 0.01, optimizer=opt, verbose=False)
    assert opt.t == 2 * math.ceil(200 / 50)


@pytest.mark.slow
@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_optimizers_and_l2_train_a_conv_net(optimizer):
    data = load_sample(dtype="float32")
    x, y = data.training
    net = Sequential("conv:4x5x5,pool:2,dense:30:relu,softmax:10", seed=3)
    eta = 0.001 if optimizer == "adam" else 0.05
    history = net.SGD((x[:600], y[:600]), 3, 20, eta, data.test, lmbda=0.1,
                      optimizer=optimizer, verbose=False, monitor_training_cost=True)
    costs = history["training_cost"]
    assert costs[-1] < costs[0]
    assert history["test_accuracy"][-1] > 0.6
