"""One training step for every optimiser: grads hold ∂C/∂θ, flat buffers change no number."""

from __future__ import annotations

import numpy as np
import pytest

from nndl import Network, Sequential
from nndl.train.optimizers import get_optimizer
from nndl.train.regularizers import L2

SPEC = "conv:3x3,pool:2,conv:2x2:tanh,bn:relu,flatten,dense:6:relu,dropout:0.2,softmax:3"


def nets(seed: int = 3):
    return [Sequential(SPEC, input_shape=(1, 9, 9), seed=seed, dtype="float64"),
            Network([81, 7, 3], cost="cross_entropy", seed=seed)]


def batch(m: int = 8):
    rng = np.random.default_rng(0)
    return rng.random((m, 81)), np.eye(3)[rng.integers(0, 3, m)]


@pytest.mark.parametrize("make", range(2))
def test_parameters_and_gradients_are_views_of_two_flat_buffers(make):
    net = nets()[make]
    (flat_p,), (flat_g,) = net._flat.params, net._flat.grads
    for layer in net.layers:
        for name, p in layer.params.items():
            assert p.base is flat_p and layer.grads[name].base is flat_g
            # the regularised arrays (weights) are one stretch at the start
            assert np.shares_memory(p, net._flat.weights) == (name == "w")
    assert net.parameters()[0] is net.layers[0].params["w"]
    assert flat_p.size >= net.n_params


@pytest.mark.parametrize("make", range(2))
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("lmbda", [0.0, 3.0])
def test_the_flat_step_gives_the_numbers_of_the_step_array_by_array(make, optimizer, lmbda):
    flat, plain = nets()[make], nets()[make]
    plain._flat = None  # the same step, one array at a time (as when a layer's dtype differs)
    x, y = batch()
    reg = L2(lmbda) if lmbda else None
    steps = [net.make_step(get_optimizer(optimizer), reg, 40) for net in (flat, plain)]
    for _ in range(3):
        for step in steps:
            step(x, y, 0.3)
    for a, b in zip(flat.state_arrays(), plain.state_arrays(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_after_a_step_grads_hold_the_gradient_of_the_regularised_cost(optimizer):
    net = Network([81, 7, 3], cost="cross_entropy", seed=1)  # no dropout: a deterministic pass
    x, y = batch()
    want = net.gradients(x, y)
    weights = {k: p.copy() for k, p in net.named_parameters().items()}
    net.make_step(get_optimizer(optimizer), L2(3.0), 40)(x, y, 0.3)
    for i, layer in enumerate(net.layers):
        for name, g in layer.grads.items():
            key = f"{i}.{name}"
            penalty = 3.0 / 40 * weights[key] if name == "w" else 0.0  # ∂Ω/∂w = (λ/n)w
            np.testing.assert_allclose(g, want[key] + penalty, rtol=1e-12, atol=1e-15)


def test_plain_sgd_is_theta_minus_eta_times_the_gradient():
    net = Network([81, 7, 3], seed=1)
    x, y = batch()
    want = {k: p - 3.0 * g for (k, p), g in zip(net.named_parameters().items(),
                                                net.gradients(x, y).values(), strict=True)}
    net.train_step(x, y, 3.0)
    for k, p in net.named_parameters().items():
        np.testing.assert_array_equal(p, want[k])
