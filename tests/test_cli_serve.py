"""``nndl serve`` argument handling, without starting a long-lived server."""

from __future__ import annotations

import socket
import sys

import pytest

pytest.importorskip("starlette", reason="the web extra is not installed: pip install 'nndl[web]'")
uvicorn = pytest.importorskip("uvicorn", reason="the web extra is not installed")

import nndl.data  # noqa: E402
from nndl import Network  # noqa: E402
from nndl.cli import main  # noqa: E402
from nndl.model.io import load_model, save_model  # noqa: E402
from nndl.web.default_model import default_model_path  # noqa: E402
from web_helpers import train_small_model  # noqa: E402


@pytest.fixture
def served(monkeypatch):
    """Replace ``uvicorn.run`` with a recorder: what would have been served, and where."""
    calls: list[dict] = []

    def fake_run(app, **options):
        calls.append({"app": app, **options})

    monkeypatch.setattr(uvicorn, "run", fake_run)
    return calls


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    return train_small_model(tmp_path_factory.mktemp("serve") / "net.npz")


def test_serve_is_listed_in_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "serve" in capsys.readouterr().out


def test_serves_a_model_on_localhost_by_default(model_path, served, capsys):
    assert main(["serve", str(model_path)]) == 0
    assert len(served) == 1
    assert served[0]["host"] == "127.0.0.1" and served[0]["port"] == 8000
    assert "http://127.0.0.1:8000/" in capsys.readouterr().out


@pytest.fixture
def machine_names(monkeypatch):
    """With 0.0.0.0, serve also answers to this machine's own names: stand-ins for their
    lookups, so that no test asks a name server."""
    monkeypatch.setattr(socket, "getfqdn", lambda *args: "vm.example")
    monkeypatch.setattr(socket, "getaddrinfo",
                        lambda *args, **kwargs: [(None, None, None, "", ("192.0.2.7", 0))])


def test_host_and_port_options(model_path, served, capsys, machine_names):
    assert main(["serve", str(model_path), "--host", "0.0.0.0", "--port", "8123"]) == 0
    assert served[0]["host"] == "0.0.0.0" and served[0]["port"] == 8123
    assert "other machines can reach this page" in capsys.readouterr().err


def test_missing_model_file_is_a_clear_error(tmp_path, served, capsys):
    assert main(["serve", str(tmp_path / "nope.npz")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("nndl: error: model file not found") and "Traceback" not in err
    assert served == []


def test_model_that_does_not_read_digits_is_refused(tmp_path, served, capsys):
    path = save_model(Network([4, 3, 2], seed=0), tmp_path / "small.npz")
    assert main(["serve", str(path)]) == 1
    assert "784 inputs" in capsys.readouterr().err and served == []


@pytest.mark.parametrize("port", ["-1", "65536", "http"])
def test_bad_port_is_a_usage_error(port, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["serve", "--port", port])
    assert exc.value.code == 2 and "port" in capsys.readouterr().err


def test_missing_web_extra_says_how_to_install_it(model_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn now fails
    assert main(["serve", str(model_path)]) == 1
    assert 'pip install "nndl[web]"' in capsys.readouterr().err


@pytest.mark.slow
def test_without_model_trains_once_then_reuses_the_cached_one(tmp_path, monkeypatch, served,
                                                             capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    # No downloads in tests: "MNIST" here is the bundled sample.
    monkeypatch.setattr(nndl.data, "load_data", lambda *a, **k: nndl.data.load_sample())
    path = default_model_path()
    assert path == tmp_path / "cache" / "nndl" / "models" / "serve.npz"

    assert main(["serve"]) == 0
    out = capsys.readouterr().out
    assert "training a quick one first" in out and f"Saved it to {path}" in out
    model = load_model(path)
    assert model.sizes == [784, 30, 10] and model.metadata["training"]["data"] == "sample"
    assert served[-1]["app"] is not None

    assert main(["serve"]) == 0
    out = capsys.readouterr().out
    assert f"Using the default model {path}" in out and "Training" not in out

    assert main(["serve", "--retrain"]) == 0
    assert "Retraining" in capsys.readouterr().out
    assert len(served) == 3


def test_served_app_answers_only_its_own_host_names(model_path, served):
    from web_helpers import make_client

    assert main(["serve", str(model_path), "--host", "192.0.2.7",
                 "--allow-host", "digits.lan"]) == 0
    app = served[0]["app"]
    for host in ("127.0.0.1:8000", "localhost:8000", "192.0.2.7:8000", "digits.lan:8000"):
        with make_client(app, base_url=f"http://{host}") as client:
            assert client.get("/api/model").status_code == 200, host
    with make_client(app, base_url="http://rebound.example:8000") as client:
        reply = client.get("/api/model")
    assert reply.status_code == 400 and "not an address of this server" in reply.json()["error"]


def test_listening_everywhere_answers_the_machines_name(model_path, served, capsys,
                                                        machine_names):
    from web_helpers import make_client

    assert main(["serve", str(model_path), "--host", "0.0.0.0"]) == 0
    with make_client(served[0]["app"], base_url=f"http://{socket.gethostname()}:8000") as c:
        assert c.get("/api/model").status_code == 200
    assert "--allow-host" in capsys.readouterr().err
