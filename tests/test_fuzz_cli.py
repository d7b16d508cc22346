"""Fuzz: command lines, built from every sub-command's options with odd values and junk.

Contract: exit code 0, 1 (one line ``nndl: error: ...``) or 2 (usage); no
traceback, no hang; nothing written to the data cache, and no existing model
or image changed unless the command was told to write there.  Output and
input paths include a device node, a FIFO, a link to the device and a
dangling link (nndl's one writer): the device, FIFO and links stay as they were
(a dangling link may get its target), and nothing blocks on the FIFO.

The values are chosen so that no command runs long (few epochs, small
networks: huge sizes are issue 11 item 6, outside this suite); no network
is touched (fetching fails at once) and no server is started.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
from pathlib import Path

import pytest

pytest.importorskip("hypothesis", reason="the fuzz tests need hypothesis")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from data_helpers import Unreachable  # noqa: E402
from fuzz_helpers import EXAMPLES, no_hang, snapshot  # noqa: E402
from nndl import Network  # noqa: E402
from nndl.cli import main  # noqa: E402
from nndl.data import load_sample  # noqa: E402
from nndl.data.preprocess import save_png  # noqa: E402
from nndl.model.io import save_model  # noqa: E402

INTS = ["0", "1", "2", "-1", "x", "", "1.5", "nan", "0x1", " 1", "1e3"]
NUMBERS = ["0", "1", "0.5", "-1", "nan", "inf", "-inf", "1e309", "1e300", "x", "", "1e-320"]
SIZES = ["784,10,10", "784,0,10", "4,3", "784", "a,b", "", "784,,10", "784,5,5,10", "-784,10",
         "784,10,20"]
LAYERS = ["conv:2x3x3,pool:2,softmax:10", "conv:0x5x5,softmax:10", "pool:0", "dense:",
          "softmax:10", "conv:2x30x30,softmax:10", "dropout:1.5,softmax:10", "",
          "conv:2x3x3:relu:s2,flatten,dense:5:tanh,softmax:10", "conv:2x3x3,pool:3,softmax:7"]
CHOICES = ["quadratic", "cross_entropy", "log_likelihood", "sigmoid", "tanh", "relu",
           "leaky_relu", "normal", "he", "float32", "float64", "l1", "l2", "adam", "sgd",
           "momentum", "seed", "network2", "training", "test", "text", "json", "bogus"]
JUNK = ["--", "-", "--nope", "\x00", "é", "--sample=1", "-h", "--json", "--help=1"]

#: Placeholders filled in per test: {tmp} the scratch folder, {model} a valid model...
PATHS = ["{tmp}/out/new.npz", "{tmp}/missing/x.npz", "{tmp}/file.txt/x", "{tmp}/out",
         "{model}", "", "{tmp}/out/fig.png", "{device}", "{fifo}", "{devlink}", "{dangling}"]
MODELS = ["{model}", "{small}", "{five}", "{garbage}", "{tmp}/none.npz", "{tmp}/out", "{fifo}"]
IMAGES = ["{digit}", "{garbage}", "{tmp}/none.png", "{tmp}/out", "{model}", "{fifo}"]
#: The odd files of the scratch folder and the file type each must keep.
ODD = {"device": stat.S_IFCHR, "fifo": stat.S_IFIFO, "devlink": stat.S_IFLNK,
       "dangling": stat.S_IFLNK}
DIRS = ["{tmp}/cache", "{tmp}/baddata", "{tmp}/file.txt", "{tmp}/nowhere"]

OPTIONS: dict[str, dict[str, list[str] | None]] = {
    "train": {"--epochs": ["0", "1", "-1", "x", ""], "--sizes": SIZES, "--layers": LAYERS,
              "--mini-batch-size": INTS, "--eta": NUMBERS, "--lmbda": NUMBERS,
              "--cost": CHOICES, "--activation": CHOICES, "--init": CHOICES,
              "--dropout": NUMBERS, "--dtype": CHOICES, "--optimizer": CHOICES,
              "--momentum": NUMBERS, "--schedule": INTS + ["cosine", "onecycle"],
              "--warmup": NUMBERS, "--average": INTS, "--early-stopping": INTS,
              "--seed": INTS, "--save": PATHS, "--plot": PATHS, "--data-dir": DIRS,
              "--preset": ["seed", "network2", "bogus"], "--regularizer": CHOICES,
              "--sample": None, "--monitor": None, "--quiet": None, "--full-train": None},
    "evaluate": {"--data-dir": DIRS, "--sample": None, "--json": None},
    "predict": {"--json": None},
    "plot": {"--out": PATHS, "--data-dir": DIRS, "--sample": None},
    "digits": {"--out": PATHS, "--count": INTS + ["401", "5"], "--split": CHOICES,
               "--data-dir": DIRS, "--sample": None},
    "fetch": {"--data-dir": DIRS, "--timeout": NUMBERS},
    "explain": {"--index": INTS + ["99", "100", "99999999999"], "--xor": None, "--seed": INTS,
                "--format": CHOICES, "--data-dir": DIRS, "--sample": None},
    "gradcheck": {"--sizes": SIZES[:5], "--cost": CHOICES, "--activation": CHOICES,
                  "--batch": INTS, "--seed": INTS},
    "xor": {"--epochs": ["0", "1", "10", "-1", "x"], "--seed": INTS, "--eta": NUMBERS,
            "--hidden": ["0", "1", "3", "-2", "x"]},
    "serve": {"--host": ["127.0.0.1", "0.0.0.0", "::1", "a b"], "--port": INTS + ["70000"],
              "--allow-host": ["digits.lan", ""]},
}
#: Positional arguments each command takes (drawn from these lists).
POSITIONAL = {"evaluate": [MODELS], "predict": [MODELS, IMAGES], "plot": [MODELS],
              "serve": [MODELS], "explain": [MODELS + [None]]}


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from(sorted(OPTIONS)))
    argv = [command]
    for choices in POSITIONAL.get(command, []):
        value = draw(st.sampled_from(choices))
        if value is not None:
            argv.append(value)
    names = draw(st.lists(st.sampled_from(sorted(OPTIONS[command])), max_size=5, unique=True))
    if command == "train":  # never the default 30 epochs: keep every run short
        names = ["--epochs", *[n for n in names if n != "--epochs"]]
    for name in names:
        values = OPTIONS[command][name]
        argv += [name] if values is None else [name, draw(st.sampled_from(values))]
    if draw(st.integers(0, 4)) == 0:
        argv.insert(draw(st.integers(0, len(argv))), draw(st.sampled_from(JUNK)))
    return argv


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> dict[str, str]:
    """A folder with a valid model, odd models, a digit image, junk files and bad data."""
    tmp = tmp_path_factory.mktemp("cli-fuzz")
    (tmp / "out").mkdir()
    (tmp / "file.txt").write_text("not a folder")
    (tmp / "garbage").write_bytes(b"PK\x03\x04 not really a zip")
    bad = tmp / "baddata"
    bad.mkdir()
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (bad / name).write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x09short")
    x, _ = load_sample().test
    save_png(x[0], tmp / "digit.png")
    odd = odd_files(tmp)
    return {
        **odd,
        "tmp": str(tmp),
        "model": str(save_model(Network([784, 10, 10], seed=0), tmp / "model.npz")),
        "small": str(save_model(Network([4, 3, 2], seed=0), tmp / "small.npz")),
        "five": str(save_model(Network([784, 6, 5], seed=0), tmp / "five.npz")),
        "garbage": str(tmp / "garbage"),
        "digit": str(tmp / "digit.png"),
    }


def odd_files(tmp: Path) -> dict[str, str]:
    """A /dev/null-like device (as root; else a second FIFO), a FIFO and two links."""
    device = tmp / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except OSError:
        os.mkfifo(device)
        ODD["device"] = ODD["devlink"] = stat.S_IFIFO
    os.mkfifo(tmp / "pipe")
    os.symlink(device, tmp / "devlink")
    os.symlink(tmp / "out" / "created.npz", tmp / "dangling")
    return {"device": str(device), "fifo": str(tmp / "pipe"), "devlink": str(tmp / "devlink"),
            "dangling": str(tmp / "dangling")}


def run_cli(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
            code = exc.code
            assert code in (0, 2), code
    return code, err.getvalue()


@settings(max_examples=EXAMPLES or 30)
@given(argv=command_lines())
def test_any_command_line_ends_cleanly(scratch, argv):
    argv = [a.format(**scratch) for a in argv]
    tmp = Path(scratch["tmp"])
    cache = tmp / "cache"
    written = {Path(a) for a in argv}  # files the command may legitimately write
    protected = {p: p.read_bytes() for p in tmp.iterdir()
                 if p.is_file() and not p.is_symlink() and p not in written}
    with pytest.MonkeyPatch.context() as mp, no_hang():
        mp.setenv("NNDL_DATA_DIR", str(cache))
        mp.setenv("XDG_CACHE_HOME", str(tmp / "xdg"))
        mp.setattr("nndl.data.fetch.default_sources", lambda: [Unreachable()])
        mp.setattr("uvicorn.run", lambda app, **kw: None)
        mp.chdir(tmp / "out")
        code, err = run_cli(argv)
    assert code in (0, 1, 2), (code, err)
    assert "Traceback" not in err, err
    if code == 1:
        assert "nndl: error: " in err, err
    assert snapshot(cache) == {}, "something was written to the data cache"
    for path, content in protected.items():
        assert path.read_bytes() == content, f"{path} was changed"
    assert os.path.isdir(tmp / "out")
    for name, kind in ODD.items():
        assert stat.S_IFMT(os.lstat(scratch[name]).st_mode) == kind, f"{name} was replaced"
    assert stat.S_ISCHR(os.stat(scratch["devlink"]).st_mode) or ODD["device"] == stat.S_IFIFO


#: Every command-line writer, with the option that names its output.
WRITERS = [(["train", "--epochs", "1", "--sizes", "784,10,10", "--sample"], "--save"),
           (["train", "--epochs", "1", "--sizes", "784,10,10", "--sample"], "--plot"),
           (["digits", "--sample", "--count", "2"], "--out"),
           (["export", "{model}", "--format", "onnx"], "-o"),
           (["export", "{model}", "--format", "torch"], "-o")]


@st.composite
def writer_lines(draw: st.DrawFn) -> tuple[list[str], str]:
    argv, option = draw(st.sampled_from(WRITERS))
    target = draw(st.sampled_from(["{device}", "{fifo}", "{devlink}", "{tmp}/out"]))
    extra = draw(st.lists(st.sampled_from(["--quiet", "--monitor", "--seed=3", "--dtype=float32"]),
                          max_size=2, unique=True)) if argv[0] == "train" else []
    return [*argv, *extra, option, target], option


@settings(max_examples=EXAMPLES or 12)
@given(case=writer_lines())
def test_every_writer_refuses_an_odd_target_first(scratch, case):
    argv, option = case
    argv = [a.format(**scratch) for a in argv]
    with no_hang():
        code, err = run_cli(argv)
    assert code == 1 and err.startswith(f"nndl: error: {option} ") and err.count("\n") == 1, err
    assert "not a regular file" in err or "got a folder" in err or "not installed" in err, err
    for name, kind in ODD.items():
        assert stat.S_IFMT(os.lstat(scratch[name]).st_mode) == kind, f"{name} was replaced"
