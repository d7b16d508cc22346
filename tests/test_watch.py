"""``nndl watch``: the session behind the live page, its HTTP API and the command itself."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")
from nndl.cli import main  # noqa: E402
from nndl.data import load_sample  # noqa: E402
from nndl.model.io import load_model  # noqa: E402
from nndl.web.session import Cursor, WatchSession, jsonable  # noqa: E402
from nndl.web.watch import create_watch_app  # noqa: E402
from watch_helpers import SLOW, training_session, wait_for  # noqa: E402
from web_helpers import live_server, make_client  # noqa: E402

BASE = "http://127.0.0.1:8000"
SRC = str(Path(__file__).resolve().parents[1] / "src")


def client_for(session: WatchSession):
    return make_client(create_watch_app(session), base_url=BASE)


# -- the session: what the training thread and the pages share -----------------------------

def test_epochs_arrive_with_their_records_weights_and_answers():
    with training_session("--sample", "--epochs", "3", grid=12) as session:
        wait_for(lambda: session.final is not None, what="the end of training")
        state = session.state()
    assert state["status"] == "finished" and session.exit_code == 0
    assert [r["epoch"] for r in state["history"]] == [0, 1, 2]
    for record in state["history"]:  # the monitors nndl watch turns on
        assert {"training_accuracy", "training_cost", "test_accuracy"} <= set(record)
        assert len(record["gradient_norms"]) == 2
    weights = state["snapshot"]["weights"]
    assert (weights["count"], weights["side"]) == (30, 28)
    tiles = np.frombuffer(__import__("base64").b64decode(weights["data"]), dtype=np.int8)
    w = np.asarray(session.model.weights[0])
    np.testing.assert_allclose(tiles.reshape(30, 784) / 127 * weights["scale"], w,
                               atol=weights["scale"] / 127)
    x, y = load_sample().test
    assert state["snapshot"]["predictions"] == session.model.predict(x[:12]).tolist()
    assert state["digits"]["labels"] == y[:12].tolist()
    assert state["info"]["speed_labels"] == ["hidden layer 1", "output layer"]
    # the model kept is the best epoch's, as nndl train keeps it
    best = max(state["history"], key=lambda r: r["test_accuracy"])
    assert state["final"]["best_epoch"] == best["epoch"]
    assert session.model.evaluate(x, y) == best["test_correct"]


def test_events_are_sent_once_and_in_order():
    with training_session(*SLOW, progress_every_s=0.0) as session:
        cursor = Cursor()
        session.state(cursor)
        seen: list[str] = []
        epochs: list[int] = []
        deadline = time.monotonic() + 60
        while len(epochs) < 2 and time.monotonic() < deadline:
            for name, data in session.events_since(cursor):
                seen.append(name)
                if name == "epoch":
                    epochs.append(data["record"]["epoch"])
            time.sleep(0.01)
    assert epochs == [0, 1]
    assert "progress" in seen and seen.index("progress") < seen.index("epoch")


def test_pause_holds_training_between_two_mini_batches_and_resume_goes_on():
    with training_session(*SLOW) as session:
        wait_for(lambda: session.progress, what="a mini-batch")
        assert session.pause() == "paused"
        time.sleep(0.3)  # the mini-batch under way finishes
        held = (len(session.history), dict(session.progress or {}))
        time.sleep(0.8)
        assert (len(session.history), dict(session.progress or {})) == held
        # work that needs still weights runs while paused
        assert session.call_between_batches(lambda: "done") == "done"
        assert session.resume() == "training"
        wait_for(lambda: dict(session.progress or {}) != held[1], what="training again")


def test_stop_ends_training_and_keeps_the_best_epoch(tmp_path):
    path = tmp_path / "net.npz"
    with training_session(*SLOW, "--save", str(path)) as session:
        wait_for(lambda: len(session.history) >= 2, what="two epochs")
        session.stop("stopped from the page")
        wait_for(lambda: session.final is not None, what="the end of training")
        assert session.status == "stopped" and session.exit_code == 130
        assert session.message == "stopped from the page"
    saved = load_model(path)
    x, y = load_sample().test
    best = max(session.history, key=lambda r: r["test_accuracy"])
    assert saved.metadata["best_epoch"] == best["epoch"]
    assert saved.metadata["training"]["interrupted"] is True
    assert saved.evaluate(x, y) == best["test_correct"]
    np.testing.assert_array_equal(saved.feedforward(x), session.model.feedforward(x))


def test_the_last_page_leaving_stops_training_after_the_grace_period():
    quits = []
    with training_session(*SLOW, grace_s=0.2) as session:
        session.on_quit = lambda: quits.append(True)
        session.viewer_joined()
        session.viewer_left()
        session.viewer_joined()  # a reload: back within the grace period
        time.sleep(0.5)
        assert session.stop_reason is None
        session.viewer_left()
        wait_for(lambda: session.final is not None, what="the end of training")
        assert session.stop_reason == "the page was closed" and quits == [True]


def test_refused_options_are_reported_not_hung():
    from nndl.cli import build_parser
    from nndl.cli.watch import start_training, watch_options

    args = build_parser().parse_args(["watch", "--sample", "--sizes", "100,10"])
    session = WatchSession()
    thread = start_training(watch_options(args), session)
    assert session.wait_started(30) is False
    thread.join(30)
    assert session.status == "failed" and isinstance(session.error, ValueError)
    assert "784 pixels" in session.message


def test_jsonable_makes_plain_json():
    value = jsonable({"a": np.float32(0.5), "b": [float("nan"), np.int64(3)], 1: (np.inf,)})
    assert json.dumps(value, allow_nan=False) == '{"a": 0.5, "b": [null, 3], "1": [null]}'


# -- the HTTP API --------------------------------------------------------------------------

def test_buttons_steer_training_through_the_api(tmp_path):
    with training_session(*SLOW) as session:
        client = client_for(session)
        assert client.get("/").headers["content-type"].startswith("text/html")
        assert "watch.js" in client.get("/").text
        assert client.get("/static/watch.js").status_code == 200
        assert client.post("/api/watch/pause").json() == {"status": "paused"}
        assert client.get("/api/watch/state").json()["status"] == "paused"
        assert client.post("/api/watch/resume").json() == {"status": "training"}
        assert client.post("/api/watch/stop").json() == {"status": "stopping"}
        wait_for(lambda: session.final is not None, what="the end of training")
        assert client.get("/api/watch/state").json()["status"] == "stopped"
        assert client.post("/api/watch/pause").json() == {"status": "stopped"}


def test_save_downloads_the_model_as_it_is_now(tmp_path):
    with training_session(*SLOW) as session:
        wait_for(lambda: len(session.history) >= 1, what="an epoch")
        client = client_for(session)
        session.pause()
        reply = client.get("/api/watch/model.npz")
        assert reply.status_code == 200
        assert re.match(r'attachment; filename="nndl-watch-epoch\d+\.npz"',
                        reply.headers["content-disposition"])
        path = tmp_path / "download.npz"
        path.write_bytes(reply.content)
        model = load_model(path)
        x, _ = load_sample().test
        np.testing.assert_array_equal(model.feedforward(x), session.model.feedforward(x))
        assert model.metadata["written_by"] == "nndl watch"
        assert len(model.metadata["history"]) == len(session.history)
        session.resume()
        # while training runs, the copy is taken between two mini-batches
        assert client.get("/api/watch/model.npz").status_code == 200


def test_the_drawing_page_opens_on_the_trained_model_when_training_ends():
    with training_session(*SLOW) as session:
        client = client_for(session)
        refused = client.get("/draw/")
        assert refused.status_code == 409 and "still training" in refused.json()["error"]
        session.stop()
        wait_for(lambda: session.final is not None, what="the end of training")
        page = client.get("/draw/")
        assert page.status_code == 200 and "Draw a digit" in page.text
        x, _ = load_sample().test
        reply = client.post("/draw/api/predict", json={"pixels": x[5].tolist()}).json()
        np.testing.assert_allclose(reply["activations"], session.model.feedforward(x[5]),
                                   rtol=0, atol=1e-12)


@pytest.mark.parametrize(("headers", "status"), [
    ({"Host": "evil.example"}, 400),  # DNS rebinding
    ({"Origin": "https://evil.example"}, 403),  # a cross-site POST
    ({"Sec-Fetch-Site": "cross-site"}, 403),  # e.g. a form on another site
    ({"Origin": BASE, "Sec-Fetch-Site": "same-origin"}, 200),  # the page itself
])
def test_only_the_page_itself_may_steer_training(headers, status):
    session = WatchSession()
    client = client_for(session)
    assert client.post("/api/watch/stop", headers=headers).status_code == status
    assert (session.stop_reason is not None) == (status == 200)


def test_other_sites_may_not_open_the_event_stream():
    client = client_for(WatchSession())
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        reply = client.get("/api/watch/events", headers=headers)
        assert reply.status_code == 403
    assert client.get("/api/watch/state", headers={"Host": "evil.example"}).status_code == 400


def test_the_event_stream_of_a_real_server():
    with training_session(*SLOW, grace_s=0.3) as session, \
            live_server(create_watch_app(session)) as url:
        names: list[str] = []
        first = None
        with httpx.stream("GET", url + "/api/watch/events", timeout=30) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            name = None
            for line in response.iter_lines():
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    names.append(name)
                    if name == "state":
                        first = json.loads(line[6:])
                    if names.count("epoch") == 2:
                        break
        assert names[0] == "state" and first["info"]["sizes"] == [784, 30, 30, 10]
        assert "progress" in names
        # the page has gone: training stops once the grace period is over
        wait_for(lambda: session.stop_reason == "the page was closed", what="the stop")


# -- the command ---------------------------------------------------------------------------

def _start(tmp_path, *options):
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
               PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "nndl", "watch", "--port", "0", *options],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                            text=True, cwd=tmp_path)
    lines = []
    for line in proc.stdout:
        lines.append(line)
        found = re.search(r"Watch it learn at (http://127\.0\.0\.1:\d+)/", line)
        if found:
            return proc, found.group(1), lines
    raise AssertionError("nndl watch did not start:\n" + "".join(lines))


def _finish(proc, lines):
    out, _ = proc.communicate(timeout=60)
    return "".join(lines) + out


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_training_and_saves_the_best_epoch(tmp_path, sig, code):
    path = tmp_path / "net.npz"
    proc, url, lines = _start(tmp_path, *SLOW, "--save", str(path))
    try:
        wait_for(lambda: httpx.get(url + "/api/watch/state").json()["history"], 60)
        proc.send_signal(sig)
        output = _finish(proc, lines)
    finally:
        proc.kill()
    assert proc.returncode == code, output
    assert "keeping the best epoch so far" in output and path.exists()
    assert load_model(path).metadata["training"]["interrupted"] is True


@pytest.mark.slow
def test_stop_from_the_page_then_quit_exits_zero(tmp_path):
    path = tmp_path / "net.npz"
    proc, url, lines = _start(tmp_path, *SLOW, "--save", str(path))
    try:
        wait_for(lambda: httpx.get(url + "/api/watch/state").json()["history"], 60)
        assert httpx.post(url + "/api/watch/stop").json()["status"] == "stopping"
        wait_for(lambda: httpx.get(url + "/api/watch/state").json()["final"], 60)
        assert httpx.get(url + "/draw/").status_code == 200
        proc.send_signal(signal.SIGINT)
        output = _finish(proc, lines)
    finally:
        proc.kill()
    assert proc.returncode == 0, output
    assert "Training has ended" in output and path.exists()


def test_watch_refuses_a_busy_port_before_training(capsys):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        assert main(["watch", "--sample", "--port", str(port)]) == 1
    err = capsys.readouterr()
    assert f"cannot listen on 127.0.0.1:{port}" in err.err and "Training" not in err.out


@pytest.mark.slow
def test_a_convolutional_network_is_watched_too():
    with training_session("--sample", "--layers", "conv:4x5x5,pool:2,dense:20:relu,softmax:10",
                          "--epochs", "1", "--mini-batch-size", "50", "--eta", "0.01") as session:
        wait_for(lambda: session.final is not None, 120, "the end of training")
        state = session.state()
    assert state["status"] == "finished"
    weights = state["snapshot"]["weights"]
    assert (weights["count"], weights["side"]) == (4, 5)  # the kernels
    assert len(state["history"][0]["gradient_norms"]) == 3 == len(state["info"]["speed_labels"])
    assert state["info"]["speed_labels"][0].startswith("0: conv 4×5×5")


def test_watch_without_the_web_extra_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn raises ImportError
    assert main(["watch", "--sample"]) == 1
    err = capsys.readouterr().err
    assert 'nndl watch needs the web extra (uvicorn is not installed): pip install "nndl[web]"' \
        in err


def test_watch_reports_refused_options_as_nndl_train_does(capsys):
    assert main(["watch", "--sample", "--sizes", "100,10", "--port", "0"]) == 1
    assert "--sizes starts with 100 inputs but the images have 784 pixels" in \
        capsys.readouterr().err
