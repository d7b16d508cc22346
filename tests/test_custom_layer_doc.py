"""docs/custom-layer.md: its code, run exactly as written (so the page cannot rot)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

DOC = Path(__file__).resolve().parents[1] / "docs" / "custom-layer.md"


def doc_code() -> str:
    return "\n".join(re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S))


def test_the_documented_layer_passes_gradcheck_and_trains():
    code = doc_code()
    assert "class TanhLayer(Layer)" in code and "gradcheck(" in code and ".SGD(" in code
    namespace: dict = {}
    exec(compile(code, str(DOC), "exec"), namespace)  # the doc's own asserts check it
    net = namespace["net"]
    assert net.score(namespace["x"], namespace["y"]) > 0.9


def test_the_documented_layer_is_the_contract_only():
    namespace: dict = {}
    exec(compile(doc_code().split("from nndl import Sequential")[0], str(DOC), "exec"), namespace)
    own = set(vars(namespace["TanhLayer"])) - {"__module__", "__doc__", "__qualname__"}
    assert own <= {"__init__", "build", "forward", "backward", "__firstlineno__",
                   "__static_attributes__"}
    assert len(doc_code().splitlines()) <= 50


def test_after_a_step_grads_hold_the_mean_gradient_and_the_optimizer_stepped_by_it():
    namespace: dict = {}
    exec(compile(doc_code(), str(DOC), "exec"), namespace)
    net, x, y = namespace["net"], namespace["x"][:7], namespace["y"][:7]
    from nndl.train.optimizers import Momentum

    grads = net.gradients(x, y)  # no dropout: the training pass's gradient too
    before = {k: p.copy() for k, p in net.named_parameters().items()}
    net.make_step(Momentum(mu=0.0), None, 7)(x, np.eye(3)[y], 0.25)
    for i, layer in enumerate(net.layers):
        for name, p in layer.params.items():
            key = f"{i}.{name}"
            np.testing.assert_array_equal(layer.grads[name], grads[key])  # ∂C/∂θ, not η∇
            np.testing.assert_allclose(before[key] - p, 0.25 * grads[key], rtol=1e-9, atol=1e-15)
