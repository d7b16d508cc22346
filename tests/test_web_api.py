"""The JSON API of ``nndl serve``: good requests match the library, bad ones get 400."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the web extra is not installed: pip install 'nndl[web]'")
pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx")

from PIL import Image  # noqa: E402

from nndl import Network  # noqa: E402
from nndl.cli import main  # noqa: E402
from nndl.data import load_sample  # noqa: E402
from nndl.data.preprocess import save_png  # noqa: E402
from nndl.model.io import load_model  # noqa: E402
from nndl.web.app import STATIC_DIR, create_app  # noqa: E402
from web_helpers import make_client, train_small_model  # noqa: E402


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    return train_small_model(tmp_path_factory.mktemp("web") / "net.npz")


@pytest.fixture(scope="module")
def model(model_path):
    return load_model(model_path)


@pytest.fixture(scope="module")
def client(model):
    with make_client(create_app(model)) as c:
        yield c


def png_b64(image: Image.Image) -> str:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def test_page_and_static_files_are_served_without_external_links(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<canvas id="pad"' in page.text and 'id="bars"' in page.text
    for name in ("app.js", "style.css"):
        reply = client.get(f"/static/{name}")
        assert reply.status_code == 200
    for path in STATIC_DIR.iterdir():  # works offline: nothing fetched from elsewhere
        text = path.read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text, path.name


def test_model_summary(client, model):
    summary = client.get("/api/model").json()
    assert summary["sizes"] == [784, 30, 10]
    assert summary["n_inputs"] == 784 and summary["n_outputs"] == 10
    assert summary["test_accuracy"] == model.metadata["test_accuracy"]
    assert summary["training"]["data"] == "sample"
    assert summary["layers"] == ["dense 30 sigmoid", "dense 10 sigmoid"]


def test_a_convolutional_model_is_served_too():
    from nndl import Sequential

    net = Sequential("conv:4x5x5,pool:2,dense:16:relu,softmax:10", seed=0)
    x, _ = load_sample(dtype="float32").test
    with make_client(create_app(net)) as conv_client:
        summary = conv_client.get("/api/model").json()
        assert summary["kind"] == "Sequential" and summary["layers"][0] == "conv 4×5×5 relu"
        reply = conv_client.post("/api/predict", json={"pixels": x[0].tolist()})
    assert reply.status_code == 200
    expected = net.feedforward(x[0])
    np.testing.assert_allclose(reply.json()["activations"], expected, rtol=1e-6)
    assert reply.json()["digit"] == int(np.argmax(expected))


def test_pixels_give_exactly_the_models_answer(client, model):
    x, _ = load_sample().test
    for pixels in x[:10]:
        reply = client.post("/api/predict", json={"pixels": pixels.tolist()})
        assert reply.status_code == 200
        data = reply.json()
        expected = model.feedforward(pixels)
        assert data["digit"] == int(model.predict(pixels))
        assert data["activations"] == expected.tolist()  # exact: floats survive JSON
        assert data["image"] == pixels.tolist()  # pixels are used as they are


def test_png_gives_the_same_answer_as_nndl_predict(client, model_path, tmp_path, capsys):
    x, _ = load_sample().test
    files = []
    for i, pixels in enumerate(x[:5]):
        path = tmp_path / f"digit{i}.png"
        save_png(pixels, path, scale=3)
        files.append(path)
    assert main(["predict", str(model_path), *map(str, files), "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    for path, expected in zip(files, cli, strict=True):
        b64 = base64.b64encode(path.read_bytes()).decode("ascii")
        for png in (b64, f"data:image/png;base64,{b64}"):
            data = client.post("/api/predict", json={"png": png}).json()
            assert data["digit"] == expected["digit"]
            np.testing.assert_allclose(data["activations"], expected["activations"],
                                       rtol=0, atol=1e-12)
            assert len(data["image"]) == 784 and 0 <= min(data["image"]) <= max(data["image"])


def test_a_drawing_on_transparent_canvas_is_read(client):
    image = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    image.paste((0, 0, 0, 255), (90, 30, 110, 170))  # a "1"
    data = client.post("/api/predict", json={"png": png_b64(image)}).json()
    assert 0 <= data["digit"] <= 9 and max(data["image"]) > 0.5


def _pixels_body(values: list[str]) -> bytes:
    return ('{"pixels": [' + ", ".join(values) + "]}").encode()


ZERO = ["0"] * 784
BLANK_PNG = png_b64(Image.new("L", (64, 64), 255))
HUGE_PNG = png_b64(Image.new("1", (5000, 5000), 1))

BAD_REQUESTS = [
    ("invalid JSON", b'{"pixels": [', "invalid JSON"),
    ("not UTF-8", b"\xff\xfe{}", "not UTF-8"),
    ("empty body", b"", "invalid JSON"),
    ("not an object", b"[0.5, 0.5]", "JSON object"),
    ("neither key", b"{}", "neither"),
    ("both keys", json.dumps({"pixels": [0.5] * 784, "png": BLANK_PNG}).encode(), "both"),
    ("unknown key", json.dumps({"pixels": [0.5] * 784, "label": 3}).encode(), "unknown keys"),
    ("pixels not a list", b'{"pixels": "0.5"}', "must be a list"),
    ("too few pixels", json.dumps({"pixels": [0.5] * 783}).encode(), "got 783"),
    ("too many pixels", json.dumps({"pixels": [0.5] * 785}).encode(), "got 785"),
    ("nested rows", json.dumps({"pixels": [[0.5] * 28] * 28}).encode(), "got 28"),
    ("a string pixel", _pixels_body(['"0.5"'] + ZERO[1:]), '"pixels"[0] is not a number'),
    ("a null pixel", _pixels_body(ZERO[:5] + ["null"] + ZERO[6:]), '"pixels"[5]'),
    ("a boolean pixel", _pixels_body(["true"] + ZERO[1:]), "not a number"),
    ("NaN literal", _pixels_body(["NaN"] + ZERO[1:]), "NaN"),
    ("Infinity literal", _pixels_body(ZERO[:-1] + ["Infinity"]), "Infinity"),
    ("above 1", _pixels_body(["1.5"] + ZERO[1:]), "outside [0, 1]"),
    ("below 0", _pixels_body(ZERO[:9] + ["-0.1"] + ZERO[10:]), '"pixels"[9] = -0.1'),
    ("huge number", _pixels_body(["1e400"] + ZERO[1:]), "outside [0, 1]"),
    ("no ink in pixels", _pixels_body(ZERO), "no ink"),
    ("png not a string", b'{"png": 42}', "base64 string"),
    ("empty png", b'{"png": ""}', "empty"),
    ("bad base64", b'{"png": "not base64!"}', "not valid base64"),
    ("not an image", json.dumps({"png": base64.b64encode(b"hello").decode()}).encode(),
     "PNG or JPEG"),
    ("data URL not base64", b'{"png": "data:image/png,abc"}', "base64"),
    ("blank image", json.dumps({"png": BLANK_PNG}).encode(), "no ink"),
    ("image too big", json.dumps({"png": HUGE_PNG}).encode(), "5000x5000"),
]


@pytest.mark.parametrize(("body", "message"), [(b, m) for _, b, m in BAD_REQUESTS],
                         ids=[name for name, _, _ in BAD_REQUESTS])
def test_bad_requests_get_400_with_a_reason(client, model, body, message):
    reply = client.post("/api/predict", content=body,
                        headers={"content-type": "application/json"})
    assert reply.status_code == 400, reply.text
    assert message in reply.json()["error"]
    # ...and the server keeps answering.
    x, _ = load_sample().test
    assert client.post("/api/predict", json={"pixels": x[0].tolist()}).json()["digit"] == int(
        model.predict(x[0])
    )


def test_body_over_the_limit_gets_413(client):
    reply = client.post("/api/predict", content=b" " * (2 * 1024 * 1024 + 1),
                        headers={"content-type": "application/json"})
    assert reply.status_code == 413 and "too large" in reply.json()["error"]


def test_body_over_the_limit_without_content_length_gets_413(model):
    app = create_app(model, max_body_bytes=10_000)

    def chunks():  # sent chunked: only the bytes actually read can tell
        for _ in range(20):
            yield b" " * 1000

    with make_client(app) as c:
        reply = c.post("/api/predict", content=chunks(),
                       headers={"content-type": "application/json"})
        assert reply.status_code == 413 and "10,000 bytes" in reply.json()["error"]
        small = c.post("/api/predict", json={"pixels": [0.25] * 784})
        assert small.status_code == 200


def test_wrong_method_and_unknown_paths_answer_json(client):
    assert client.get("/api/predict").status_code == 405
    reply = client.get("/api/nothing")
    assert reply.status_code == 404 and "error" in reply.json()


def test_create_app_refuses_a_model_that_does_not_read_28x28_digits():
    with pytest.raises(ValueError, match="784 inputs"):
        create_app(Network([4, 3, 2], seed=0))
