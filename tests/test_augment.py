"""Data augmentation per mini-batch: the transforms against independent references, the spec,
training with ``augment=`` and ``nndl train --augment``."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nndl import Network
from nndl.cli import _options, build_parser, main
from nndl.data import load_sample
from nndl.data.augment import (
    SPEC_KEYS,
    Augment,
    as_augment,
    elastic_field,
    parse_spec,
    smooth,
    warp,
)
from nndl.data.expand import SHIFTS, shift_images
from nndl.model.io import load_model
from nndl.model.sequential import Sequential

FULL = Augment(shift=2, rotate=10, scale=0.1, elastic_alpha=34, elastic_sigma=4)


def digits(m: int = 4, dtype: str = "float64") -> np.ndarray:
    return load_sample(dtype=dtype).training[0][:m]


def shifted(img: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Reference: ``img`` (…, H, W) with its content moved by (dy, dx), zeros moved in."""
    h, w = img.shape[-2:]
    out = np.zeros_like(img)
    for r in range(h):
        for c in range(w):
            if 0 <= r - dy < h and 0 <= c - dx < w:
                out[..., r, c] = img[..., r - dy, c - dx]
    return out


def bilinear_loop(img: np.ndarray, angle: float, scale: float, shift: tuple[float, float],
                  disp: np.ndarray) -> np.ndarray:
    """Reference warp of one (C, H, W) image, pixel by pixel, straight from the formula."""
    _, h, w = img.shape
    cy, cx = (h - 1) / 2, (w - 1) / 2
    th = math.radians(angle)
    out = np.zeros_like(img)
    for r in range(h):
        for c in range(w):
            u, v = r - cy - shift[0], c - cx - shift[1]
            qy = (math.cos(th) * u + math.sin(th) * v) / scale + cy + disp[0, r, c]
            qx = (-math.sin(th) * u + math.cos(th) * v) / scale + cx + disp[1, r, c]
            y0, x0 = math.floor(qy), math.floor(qx)
            for yy, wy in ((y0, 1 - (qy - y0)), (y0 + 1, qy - y0)):
                for xx, wx in ((x0, 1 - (qx - x0)), (x0 + 1, qx - x0)):
                    if 0 <= yy < h and 0 <= xx < w:
                        out[:, r, c] += wy * wx * img[:, yy, xx]
    return out


def test_nothing_to_do_is_the_identity_exactly():
    x = digits()
    assert np.array_equal(Augment()(x, np.random.default_rng(0)), x)
    assert np.array_equal(warp(x), x)  # the full path with θ = 0, s = 1, t = 0
    assert np.array_equal(warp(x, 0.0, 1.0, (0, 0), np.zeros((4, 2, 28, 28))), x)
    assert as_augment(Augment()) is None and as_augment("none") is None
    assert as_augment({"shift": 0}) is None


def test_integer_shifts_equal_explicit_shifts_with_zero_fill():
    x = digits(3)
    moves = np.array([[2, -3], [-1, 0], [5, 4]])
    out = warp(x, shift=moves).reshape(3, 28, 28)
    for i, (dy, dx) in enumerate(moves):
        assert np.array_equal(out[i], shifted(x[i].reshape(28, 28), dy, dx))
    for k, move in enumerate(SHIFTS):  # the book's one-pixel shifts, as nndl.data.expand does
        assert np.array_equal(warp(x, shift=move), shift_images(x, k, (28, 28)))


@pytest.mark.parametrize("side", [28, 5, 6])
def test_quarter_turns_equal_rot90(side):
    img = np.random.default_rng(side).random((2, 1, side, side))
    for k, angle in ((1, 90.0), (2, 180.0), (3, 270.0), (3, -90.0)):
        np.testing.assert_allclose(warp(img, angle=angle), np.rot90(img, k, axes=(2, 3)),
                                   rtol=0, atol=1e-12)


def test_interpolation_matches_a_per_pixel_loop():
    rng = np.random.default_rng(3)
    img = rng.random((3, 2, 5, 7))                    # non-square, two channels
    angle, scale, shift = np.array([17.0, -40.0, 3.0]), np.array([1.2, 0.8, 1.0]), \
        rng.uniform(-2, 2, (3, 2))
    disp = rng.uniform(-1.5, 1.5, (3, 2, 5, 7))
    out = warp(img, angle, scale, shift, disp)
    for i in range(3):
        np.testing.assert_allclose(out[i], bilinear_loop(img[i], angle[i], scale[i],
                                                         tuple(shift[i]), disp[i]), atol=1e-12)
    flat = warp(img.reshape(3, -1), angle, scale, shift, disp, image_shape=(5, 7))
    np.testing.assert_array_equal(flat, out.reshape(3, -1))


def test_elastic_smoothing_is_a_zero_padded_gaussian_convolution():
    u = np.random.default_rng(0).uniform(-1, 1, (2, 6, 9))
    sigma = 1.3
    radius = int(4 * sigma + 0.5)
    g = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    g /= g.sum()
    ref = np.zeros_like(u)
    for i in range(6):
        for j in range(9):
            for a in range(-radius, radius + 1):
                for b in range(-radius, radius + 1):
                    if 0 <= i + a < 6 and 0 <= j + b < 9:
                        ref[:, i, j] += g[a + radius] * g[b + radius] * u[:, i + a, j + b]
    np.testing.assert_allclose(smooth(u, sigma), ref, atol=1e-12)
    field = elastic_field(np.random.default_rng(1), 3, (28, 28), 34.0, 4.0)
    assert field.shape == (3, 2, 28, 28) and 0.5 < np.abs(field).max() < 34


def test_seeded_generators_give_the_same_batch_and_others_differ():
    x = digits(8, "float32")
    first = FULL(x, np.random.default_rng(7))
    assert np.array_equal(first, FULL(x, np.random.default_rng(7)))
    assert not np.allclose(first, FULL(x, np.random.default_rng(8)))
    assert not np.allclose(first, x)
    rng = np.random.default_rng(7)
    assert not np.array_equal(FULL(x, rng), FULL(x, rng))  # a new draw per call


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("layout", ["flat", "image", "channels"])
def test_shape_and_dtype_are_kept(dtype, layout):
    rng = np.random.default_rng(0)
    x = {"flat": rng.random((5, 784)), "image": rng.random((5, 1, 28, 28)),
         "channels": rng.random((5, 3 * 6 * 8))}[layout].astype(dtype)
    out = FULL(x, rng, image_shape=(6, 8) if layout == "channels" else None)
    assert out.shape == x.shape and out.dtype == x.dtype and out is not x


@pytest.mark.parametrize(("bad", "message"), [
    (dict(shift=-1), "shift must be a finite number >= 0"),
    (dict(rotate=181), r"rotate must be a finite number in \[0, 180\]"),
    (dict(scale=1.0), r"scale must be a finite number in \[0, 1\)"),
    (dict(scale=True), "scale must be"),
    (dict(elastic_alpha=float("nan")), "elastic_alpha must be"),
    (dict(elastic_sigma=0), "elastic_sigma must be a finite number > 0"),
    (dict(rotate="10"), "rotate must be"),
])
def test_bad_amounts_are_refused_by_name(bad, message):
    with pytest.raises(ValueError, match=message):
        Augment(**bad)


@pytest.mark.parametrize(("spec", "message"), [
    ("rot=10", "'rot=10': expected KEY=VALUE with KEY one of shift, rotate, scale, elastic"),
    ("shift=2,rotate", "'rotate': expected KEY=VALUE"),
    ("shift=two", "'shift=two': shift takes a number, got 'two'"),
    ("elastic=34:x", "'elastic=34:x': elastic takes a number, got 'x'"),
    ("scale=0.1,rotate=200", r"'rotate=200': rotate must be a finite number in \[0, 180\]"),
    ("shift=1,shift=2", "'shift=2': shift is given twice"),
    ("elastic=3:0", "'elastic=3:0': elastic_sigma must be"),
])
def test_bad_specs_name_the_bad_part(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_spec(spec)


def test_specs_read_back_and_other_forms():
    assert set(SPEC_KEYS) == {"shift", "rotate", "scale", "elastic"}
    aug = parse_spec(" rotate = 10 , elastic=34 ")
    assert aug == Augment(rotate=10, elastic_alpha=34, elastic_sigma=4)
    assert parse_spec(FULL.spec()) == FULL
    assert as_augment("shift=1.5") == as_augment({"shift": 1.5}) == Augment(shift=1.5)
    with pytest.raises(ValueError, match=r"unknown option\(s\) \['rot'\]"):
        as_augment({"rot": 3})
    with pytest.raises(ValueError, match="augment must be None, an Augment"):
        as_augment(5)
    with pytest.raises(ValueError, match="floating-point"):
        FULL(np.zeros((2, 784), dtype=np.int64), np.random.default_rng(0))
    with pytest.raises(ValueError, match="not square"):
        FULL(np.zeros((2, 780)), np.random.default_rng(0))


def _train(augment=None, expand=False, seed=1):
    net = Network([784, 20, 10], seed=seed)
    history = net.SGD(load_sample().training, 1, 20, 3.0, test_data=load_sample().test,
                      augment=augment, expand=expand, verbose=False)
    return net, history


def test_training_with_augment_is_seeded_and_differs_from_without():
    plain, _ = _train()
    net, history = _train("shift=2,rotate=10,scale=0.1,elastic=34:4")
    again, _ = _train(FULL)
    pairs = zip(net.parameters(), again.parameters(), strict=True)
    assert all(np.array_equal(a, b) for a, b in pairs)
    assert not np.allclose(net.weights[0], plain.weights[0])
    assert 0 <= history["test_accuracy"][0] <= 1
    other, _ = _train(FULL, seed=2)
    assert not np.allclose(other.weights[0], net.weights[0])


def test_augment_composes_with_expand_and_runs_on_conv_nets():
    both, _ = _train({"rotate": 10}, expand=True)
    expand_only, _ = _train(expand=True)
    assert not np.allclose(both.weights[0], expand_only.weights[0])
    net = Sequential("conv:2x5x5,pool:2,softmax:10", input_shape=(1, 28, 28), seed=0)
    x, y = load_sample().training
    net.SGD((x[:100], y[:100]), 1, 25, 0.1, augment=FULL, expand=True, verbose=False)
    assert all(np.isfinite(p).all() for p in net.parameters())
    with pytest.raises(ValueError, match="augment spec 'turn=3'"):
        _train("turn=3")


def options(*argv: str) -> _options.TrainOptions:
    return _options.from_args(build_parser().parse_args(["train", *argv]))


def test_cli_flag_is_parsed_checked_and_recorded(tmp_path, capsys):
    assert options().augment is None
    assert options("--augment", "rotate=10, shift=2").augment == "shift=2,rotate=10"
    assert options("--augment", "none").augment == "none"
    with pytest.raises(SystemExit) as exit_info:
        options("--augment", "shift=2,rotate=x")
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --augment: augment spec 'rotate=x': rotate takes a number" in err
    model = tmp_path / "m.npz"
    code = main(["train", "--sample", "--epochs", "1", "--sizes", "784,10,10", "--augment",
                 "shift=1,elastic=8:3", "--save", str(model)])
    assert code == 0
    assert "augment shift=1,elastic=8:3" in capsys.readouterr().out
    assert load_model(model).metadata["training"]["augment"] == "shift=1,elastic=8:3"
