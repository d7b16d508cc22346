"""ONNX export, checked by running the graph in onnxruntime against nndl on real MNIST images.

Skipped when the ``[onnx]`` extra (onnx, onnxruntime) is not installed.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from nndl import Sequential  # noqa: E402
from nndl._extras import MissingExtra  # noqa: E402
from nndl.data import load_sample  # noqa: E402
from nndl.export.onnx import save_onnx, to_onnx  # noqa: E402
from nndl.nn.activations import LeakyReLU  # noqa: E402
from nndl.nn.layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D  # noqa: E402


def _sample(dtype):
    data = load_sample(dtype=dtype)
    (x, y), (xt, _) = data.training, data.test
    return x, y, np.concatenate([x, xt])


def _run(proto, x):
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {"x": x})
    return out


def _check_same(model, x, proto=None, atol=1e-5):
    """ONNX outputs within atol of nndl's; predictions equal wherever the top two differ."""
    proto = proto if proto is not None else to_onnx(model)
    got = _run(proto, x.astype(onnx.helper.tensor_dtype_to_np_dtype(
        proto.graph.input[0].type.tensor_type.elem_type)))
    want = model.feedforward(x)
    assert got.shape == want.shape == (len(x), want.shape[1])
    np.testing.assert_allclose(got, want, rtol=0, atol=atol)
    # Same predictions: equal wherever nndl's top two outputs differ by more than
    # the tolerance, and otherwise a class that ties (within it) with nndl's top one.
    top2 = np.sort(want, axis=1)[:, -2:]
    clear = top2[:, 1] - top2[:, 0] > 2 * atol
    np.testing.assert_array_equal(got.argmax(1)[clear], want.argmax(1)[clear])
    assert (want[np.arange(len(x)), got.argmax(1)] >= top2[:, 1] - 2 * atol).all()
    assert (got.argmax(1) == want.argmax(1)).mean() > 0.99
    return got


def _trained(model, x, y, epochs=1, eta=0.1):
    model.SGD((x, y), epochs, 10, eta, verbose=False)
    return model


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "hidden", ["sigmoid", "tanh", "relu", LeakyReLU(0.2)], ids=lambda a: getattr(a, "name", a)
)
def test_dense_networks_with_every_activation_and_softmax_output(hidden, dtype):
    x, y, everything = _sample(dtype)
    net = Sequential([Dense(30, hidden), Dense(20, hidden), Dense(10, "softmax")],
                     input_shape=(784,), cost="log_likelihood", seed=1, dtype=dtype)
    eta = 1.0 if hidden == "sigmoid" else 0.1
    _trained(net, x, y, epochs=2, eta=eta)
    assert net.score(everything[:1000], y) > 0.5  # it learnt something: real outputs
    proto = to_onnx(net)
    ops = [n.op_type for n in proto.graph.node]
    assert ops.count("Gemm") == 3 and ops[-1] == "Softmax"
    if isinstance(hidden, LeakyReLU):
        alphas = [a.f for n in proto.graph.node for a in n.attribute if n.op_type == "LeakyRelu"]
        assert alphas == pytest.approx([0.2, 0.2])
    _check_same(net, everything, proto)


@pytest.mark.parametrize("output", ["sigmoid", "tanh", "relu"])
def test_dense_outputs_other_than_softmax(output):
    x, y, everything = _sample("float64")
    cost = "cross_entropy" if output == "sigmoid" else "quadratic"
    eta = {"sigmoid": 0.5, "tanh": 0.1, "relu": 0.1}[output]
    net = _trained(Sequential(f"dense:30:sigmoid,dense:10:{output}", input_shape=(784,),
                              cost=cost, seed=2, dtype="float64"), x, y, epochs=3, eta=eta)
    assert net.score(x, y) > 0.3  # chance is 0.1 (ReLU outputs learn slowly here)
    out = _check_same(net, everything)
    assert to_onnx(net).graph.node[-1].op_type == {"sigmoid": "Sigmoid", "tanh": "Tanh",
                                                    "relu": "Relu"}[output]
    assert out.dtype == np.float64


def test_conv_net_with_pool_flatten_dropout_and_softmax():
    x, y, everything = _sample("float32")
    net = Sequential([Conv2D(6, 5), MaxPool2D(2), Conv2D(8, (3, 2), "tanh", stride=2),
                      Flatten(), Dropout(0.3), Dense(30, "relu"), Dropout(0.2),
                      Dense(10, "softmax")], input_shape=(1, 28, 28), seed=3)
    _trained(net, x, y, eta=0.1)
    proto = to_onnx(net)
    assert [n.op_type for n in proto.graph.node] == [
        "Reshape", "Conv", "Relu", "MaxPool", "Conv", "Tanh", "Flatten", "Identity", "Gemm",
        "Relu", "Identity", "Gemm", "Softmax"]
    assert net.score(everything[:1000], y) > 0.5
    _check_same(net, everything, proto)


def test_pool_drops_the_rows_and_columns_a_block_does_not_cover():
    rng = np.random.default_rng(0)
    net = Sequential("pool:3,softmax:4", input_shape=(2, 7, 8), seed=0, dtype="float64")
    _check_same(net, rng.standard_normal((50, 112)))  # (7, 8) → (2, 2): floor, as nndl


def test_float64_conv_nets_export_as_float32_unless_asked():
    x, _, _ = _sample("float64")
    net = Sequential("conv:3x5x5:sigmoid,pool:2,softmax:10", input_shape=(1, 28, 28),
                     seed=4, dtype="float64")
    proto = to_onnx(net)
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    _check_same(net, x, proto)
    exact = to_onnx(net, dtype="float64")  # valid ONNX; onnxruntime has no double Conv
    assert exact.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    onnx.checker.check_model(exact, full_check=True)


def test_graph_interface_and_metadata(tmp_path):
    net = Sequential("dense:5:tanh,softmax:3", input_shape=(4,), cost="log_likelihood", seed=0)
    path = save_onnx(net, tmp_path / "m.onnx")
    proto = onnx.load(path)
    (inp,), (out,) = proto.graph.input, proto.graph.output
    dims = [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim]
    assert (inp.name, dims) == ("x", ["batch", 4])
    assert [d.dim_param or d.dim_value for d in out.type.tensor_type.shape.dim] == ["batch", 3]
    props = {p.key: p.value for p in proto.metadata_props}
    assert props == {"nndl_input_shape": "[4]", "nndl_cost": "log_likelihood"}
    assert proto.producer_name == "nndl" and proto.opset_import[0].version == 17
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]  # no temporary file left


def test_errors_name_the_problem(monkeypatch):
    class NoLayers:
        pass

    with pytest.raises(ValueError, match="cannot export a NoLayers to ONNX: it has no layer"):
        to_onnx(NoLayers())
    net = Sequential("dense:5,softmax:3", input_shape=(4,), seed=0)
    with pytest.raises(ValueError, match="dtype must be 'float32' or 'float64'"):
        to_onnx(net, dtype="int8")
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(MissingExtra, match=r'ONNX export needs the onnx package: pip install '
                                           r'"nndl\[onnx\]"'):
        to_onnx(net)


@pytest.mark.parametrize(("kwargs", "dtype"), [
    ({}, "float64"),  # the seed's network: sigmoid, quadratic cost
    ({"cost": "log_likelihood", "activation": ["relu", "tanh"], "dropout": 0.3,
      "init": "he"}, "float32"),
])
def test_the_books_network_exports_too(kwargs, dtype):
    from nndl import Network

    x, y, both = _sample(dtype)
    sizes = [784, 30, 10] if not kwargs else [784, 30, 20, 10]
    net = _trained(Network(sizes, seed=0, dtype=dtype, **kwargs), x, y, eta=0.5)
    _check_same(net, both)
