"""``nndl serve [MODEL]``: a web page to draw a digit and watch the network answer."""

from __future__ import annotations

import argparse

from nndl._extras import install_hint
from nndl.cli import _preflight


def port_number(text: str) -> int:
    """argparse type: a TCP port, 0 (any free port) to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 0-65535, got {text!r}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "serve",
        help="serve a page to draw digits and watch the network read them",
        description=(
            "Serve a web page with a drawing canvas: the network's answer and its ten "
            "output activations update while you draw, next to the 28x28 image it "
            "actually sees. Drawings are prepared exactly as 'nndl predict' prepares "
            "image files. Without MODEL, a model cached in ~/.cache/nndl/models/serve.npz "
            "is used, or a quick one is trained on MNIST and saved there first. "
            "The API: POST /api/predict, GET /api/model. Needs the web extra: "
            f"{install_hint('web')}."
        ),
    )
    p.add_argument("model", metavar="MODEL", nargs="?",
                   help="model file written by 'nndl train --save' (default: the cached "
                        "default model, trained first if missing)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=port_number, default=8000,
                   help="port to listen on (default 8000; 0 picks a free one)")
    p.add_argument("--allow-host", metavar="NAME", action="append", default=[],
                   help="also answer requests addressed to NAME (the Host header), e.g. the "
                        "machine's name when --host 0.0.0.0; repeatable. Always answered: "
                        "localhost, 127.0.0.1, [::1] and the --host address")
    p.add_argument("--retrain", action="store_true",
                   help="without MODEL: train a fresh default model and replace the cached one")
    p.add_argument("--data-dir", metavar="DIR",
                   help="without MODEL, when training: folder with the MNIST files")
    p.set_defaults(func=run)


#: ``--host`` values that listen on every interface.
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def _machine_names() -> list[str]:
    """This machine's host names and their addresses (best effort)."""
    import socket

    names = [socket.gethostname(), socket.getfqdn()]
    try:
        names += [str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None)]
    except OSError:
        pass
    return names


def allowed_hosts(host: str, extra: list[str]) -> list[str]:
    """The ``Host`` names the server answers: local names, ``--host``, ``--allow-host``."""
    from nndl.web.guard import LOCAL_HOSTS

    served = _machine_names() if host in WILDCARD_HOSTS else [host]
    return [*LOCAL_HOSTS, *served, *extra]


def run(args: argparse.Namespace) -> int:
    import sys

    _preflight.require_extra("web", "nndl serve")
    import uvicorn

    from nndl.web import app as app_module

    if args.model is not None:
        from nndl.model.io import load_model

        model = load_model(args.model)
    else:
        from nndl.web.default_model import load_or_train_default

        model = load_or_train_default(retrain=args.retrain, data_dir=args.data_dir,
                                      log=lambda line: print(line, flush=True))
    app = app_module.create_app(model, allowed_hosts=allowed_hosts(args.host, args.allow_host))
    host = f"[{args.host}]" if ":" in args.host else args.host
    if args.port:
        where = f"at http://{host}:{args.port}/"
    else:  # uvicorn's "running on" line (shown at level info) tells the port chosen
        where = f"on {host}, on a free port (named below)"
    print(f"Serving {model!r} {where} (Ctrl+C to stop)", flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"nndl: warning: listening on {args.host}: other machines can reach this page "
              "(requests must name this machine in their Host header; add names with "
              "--allow-host)", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, access_log=False,
                log_level="warning" if args.port else "info")
    return 0
