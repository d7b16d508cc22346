"""``nndl watch [train options]``: train in the background and watch it learn on a local page."""

from __future__ import annotations

import argparse
import dataclasses
import signal
import socket
import threading
from typing import Any

from nndl._extras import install_hint
from nndl.cli import _options, _preflight, _signals, serve, train

#: Why training stopped, as the page and the terminal say it, by signal name.
CTRL_C = "interrupted in the terminal"
TERMINATED = "terminated (SIGTERM)"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "watch",
        help="train a network while a local web page shows it learning",
        description=(
            "Train exactly as 'nndl train' does (same options, same terminal output, "
            "--save keeps the best epoch, written atomically) while a page on "
            "http://127.0.0.1:PORT/ shows it learning: accuracy and cost per epoch "
            "(training and validation data), the learning speed of each layer, the "
            "first layer's weights, test digits with the network's current answers, "
            "and pause / resume / stop / save buttons. When training ends the page "
            "lets you draw a digit for the model just trained. Closing the page (for "
            "more than a few seconds) or Ctrl+C stops training cleanly. Needs the web "
            f"extra: {install_hint('web')}."
        ),
    )
    train.add_options(p)
    page = p.add_argument_group("the page")
    page.add_argument("--port", type=serve.port_number, default=8000,
                      help="port on 127.0.0.1 (default 8000; 0 picks a free one)")
    page.add_argument("--open", action="store_true",
                      help="open the page in the default web browser")
    p.set_defaults(func=run)


def _listen(port: int) -> socket.socket:
    """A socket listening on 127.0.0.1:``port``, before any work, so a busy port fails fast."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc} "
                      "(choose another port with --port, or --port 0)") from None
    sock.listen(128)
    return sock


def _server(uvicorn: Any, app: Any, session: Any, open_page: bool) -> Any:
    """A uvicorn server that names its address once listening and stops training on Ctrl+C."""

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if self.started and sockets:
                url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}/"
                print(f"Watch it learn at {url} (Ctrl+C to stop training and quit)",
                      flush=True)
                if open_page:
                    import webbrowser

                    webbrowser.open(url)

        def handle_exit(self, sig: int, frame: Any) -> None:
            session.stop(TERMINATED if sig == signal.SIGTERM else CTRL_C)
            session.close()
            super().handle_exit(sig, frame)

    config = uvicorn.Config(app, access_log=False, log_level="warning", lifespan="off",
                            timeout_graceful_shutdown=3)
    return Server(config)


def watch_options(args: argparse.Namespace) -> _options.TrainOptions:
    """``nndl train``'s options from ``args``, with the monitors the page draws."""
    opts = _options.from_args(args)
    # The page draws the costs and the accuracies, and the learning speed of each layer.
    config = dataclasses.replace(opts.config, monitor_gradients=True)
    return dataclasses.replace(opts, monitor=True, config=config)


def start_training(opts: _options.TrainOptions, session: Any) -> threading.Thread:
    """Start ``nndl train`` with ``opts`` in a background thread that ``session`` watches."""

    def train_in_background(hooks: Any) -> int:
        code = train.execute(opts, hooks)  # nndl train reports to the session
        if not session.closed:  # the page stays: it now reads drawings
            print("Training has ended: draw a digit on the page to try the model "
                  "(Ctrl+C to quit).", flush=True)
        return code

    thread = threading.Thread(target=session.run_training, args=(train_in_background,),
                              name="nndl-watch-training", daemon=True)
    thread.start()
    return thread


def _serve(uvicorn: Any, app: Any, session: Any, thread: threading.Thread,
           sock: socket.socket, open_page: bool) -> None:
    """Serve the page until Ctrl+C, SIGTERM or the page is closed; then let training end."""
    server = _server(uvicorn, app, session, open_page)

    def quit_when_abandoned() -> None:
        print("The page was closed: stopping.", flush=True)
        session.close()
        server.should_exit = True

    session.on_quit = quit_when_abandoned
    # uvicorn handles Ctrl+C and SIGTERM while it serves (see handle_exit), then
    # raises the signal again once shut down: here that is a KeyboardInterrupt,
    # and a later SIGTERM waits until the model is saved, as in nndl train.
    with _signals.sigterm_as_interrupt() as sigterm:
        try:
            server.run(sockets=[sock])
        except KeyboardInterrupt:
            pass
        sigterm.defer()
        session.stop(CTRL_C)  # the server has gone: nobody watches any more
        session.close()
        thread.join()


def _exit_code(session: Any) -> int:
    """0 when training finished or was stopped from the page, 130/143 after a signal."""
    if isinstance(session.error, Exception):
        raise session.error
    code = session.exit_code or 0
    if code != _signals.EXIT_INTERRUPTED:  # finished, or failed
        return code
    return {CTRL_C: code, TERMINATED: _signals.EXIT_TERMINATED}.get(session.stop_reason, 0)


def run(args: argparse.Namespace) -> int:
    _preflight.require_extra("web", "nndl watch")
    import uvicorn

    from nndl.web.session import WatchSession
    from nndl.web.watch import create_watch_app

    opts = watch_options(args)
    sock = _listen(args.port)
    session = WatchSession()
    thread = start_training(opts, session)
    with sock:
        try:
            started = session.wait_started()
        except KeyboardInterrupt:  # while the data loads
            session.stop(CTRL_C)
            return _signals.EXIT_INTERRUPTED
        if not started:  # the options or the data were refused
            thread.join()
            return _exit_code(session) or 1
        _serve(uvicorn, create_watch_app(session), session, thread, sock, args.open)
    return _exit_code(session)
