"""The ledger (``nndl.book.ledger``): its entries run, its numbers are read right, it is current.

The fast tests check every entry's commands against the CLI's parser and Python's
compiler, the reading of each measure from printed lines, the Markdown built from
logs, and that the committed ``docs/ledger.md`` is what the committed logs give.
The slow test runs the whole ledger in quick mode (the bundled sample, an epoch or
two) into a temporary folder, so that no entry can stop running or stop printing
what the ledger reads.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from nndl.book.ledger import baselines, parse, report
from nndl.book.ledger.__main__ import main as ledger_main
from nndl.book.ledger.entries import ENTRIES, by_id
from nndl.book.ledger.runner import command, run_entry, shown_command
from nndl.cli import build_parser
from nndl.data import load_sample

ROOT = Path(__file__).resolve().parents[1]


def test_entries_are_complete_and_unique():
    table = by_id()
    assert len(table) == len(ENTRIES)
    for e in ENTRIES:
        assert e.measure in parse.MEASURES, e.id
        assert e.steps or e.link, e.id
        assert e.book and e.setting and e.section, e.id
    # The list: every chapter and the ensemble are there, figures as printed.
    assert {e.chapter for e in ENTRIES} == {1, 3, 5, 6}
    assert table["ch6-ensemble"].book_value == 99.67
    assert "95.42 percent" in table["ch1-30"].book and "82.27 percent" in table["ch3-overfit"].book
    assert table["ch5-speed"].link == "docs/vanishing-gradients.md"
    assert (ROOT / table["ch5-speed"].link).is_file()


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.steps], ids=lambda e: e.id)
@pytest.mark.parametrize("quick", [False, True])
def test_every_step_is_a_valid_command(entry, quick):
    for step in entry.steps:
        cmd = command(step, seed=1, epochs=entry.epochs, work="/w d", quick=quick)
        assert cmd.argv[0] == sys.executable
        if cmd.argv[1:3] == ["-m", "nndl"]:
            args = build_parser().parse_args(cmd.argv[3:])   # raises SystemExit if not
            assert callable(args.func)
            assert ("--sample" in cmd.argv) == (quick and args.command in ("train", "evaluate"))
        elif cmd.argv[1] == "-c":
            compile(cmd.argv[2], entry.id, "exec")
            assert ("1)" in cmd.argv[2]) and "{" not in cmd.argv[2]   # seeded, all filled in
            assert cmd.env == ({"NNDL_BOOK_DATA": "sample"} if quick else {})
        else:
            assert cmd.argv[1:4] == ["-m", "nndl.book.ledger", "baseline"]
    assert all("{" not in c for c in shown_command(entry))


LOG_NETWORK2 = """Epoch 0 training complete
Accuracy on evaluation data: 9012 / 10000

Epoch 1 training complete
Accuracy on evaluation data: 9320 / 10000

Epoch 2 training complete
Accuracy on evaluation data: 9301 / 10000
"""
LOG_CLI = """Epoch 0: 9076 / 10000  (90.76%)  validation 91.00%  0.5 s
Epoch 1: 9201 / 10000  (92.01%)  validation 92.50%  0.5 s
Epoch 2: 9250 / 10000  (92.50%)  validation 92.50%  0.5 s
Epoch 3: 9190 / 10000  (91.90%)  validation 92.10%  0.5 s
"""


def test_measures_read_the_printed_lines():
    assert parse.measure("highest_eval", LOG_NETWORK2) == (93.2, None)
    assert parse.measure("first_eval", LOG_NETWORK2) == (90.12, 93.01)
    assert parse.measure("highest_test", LOG_CLI) == (92.5, None)
    assert parse.measure("last_test", LOG_CLI) == (91.9, None)
    assert parse.measure("cli_best_val", LOG_CLI) == (92.01, None)   # first epoch at 92.50
    net3 = "The corresponding test accuracy is 97.10%\nCorresponding test accuracy of 97.67%\n"
    assert parse.measure("network3", net3) == (97.67, None)
    assert parse.measure("ensemble", "m0: 9960 / 10000\nensemble of 5 (vote): 9967 / 10000 (99")\
        == (99.67, None)
    assert parse.measure("baseline", "darkness baseline: 2225 / 10000\n") == (22.25, None)
    assert parse.measure("highest_test", "nothing printed") == (None, None)


def _log(folder: Path, name: str, body: str, status: int = 0, seconds: float = 20.0) -> None:
    (folder / name).write_text(f"# ledger header\n{body}# finished: exit {status} in "
                               f"{seconds} s\n", encoding="utf-8")


def test_report_sets_the_runs_beside_the_book(tmp_path):
    evaluation = "Accuracy on evaluation data: {} / 10000\n"
    _log(tmp_path, "ch3-xent-30-seed0.log", evaluation.format(9500) + evaluation.format(9540))
    _log(tmp_path, "ch3-xent-30-seed1.log", evaluation.format(9480), seconds=30.0)
    _log(tmp_path, "ch1-30-seed0.log", "Epoch 0: 9500 / 10000\nEpoch 1: 9540 / 10000\n")
    (tmp_path / "ch1-30-seed1.log").write_text(
        "Epoch 0: 9480 / 10000\n# finished: exit 0 in 30.0 s, 12.5 s of CPU\n")
    _log(tmp_path, "ch1-eta-100-seed0.log", "Traceback\n", status=1)
    (tmp_path / "ch1-100-seed0.log.part").write_text("Epoch 0: 9600 / 10000\n")   # unfinished
    text = report.render(tmp_path, label="logs")
    row = next(line for line in text.splitlines() if line.startswith("| `ch3-xent-30` "))
    # mean of 95.40 and 94.80, their range, the difference from 95.49, the mean time
    assert "| 95.10% |" in row and "| 94.80–95.40 (seeds 0, 1) |" in row
    assert "| -0.39 |" in row and "25 s per run" in row
    # the book's best of three runs: nndl's best seed, beside the mean
    row = next(line for line in text.splitlines() if line.startswith("| `ch1-30` "))
    assert "| 95.40% (best of 2) |" in row and "| mean 95.10%, 94.80–95.40 (seeds 0, 1) |" in row
    assert "| -0.02 |" in row and "(12 s CPU)" in row
    assert "5 runs logged: 2 min of wall-clock in all, 12 s of CPU in the 1 that record" in text
    assert "not run yet" in next(line for line in text.splitlines()
                                 if line.startswith("| `ch1-100` "))
    assert "failed (exit 1; `ch1-eta-100-seed0.log`)" in text
    assert "(vanishing-gradients.md)" in text and "`ch6-ensemble`" in text and "99.67" in text
    assert "python3 -m nndl train --sizes 784,100,10 --seed S --epochs 30" in text
    assert "est. ~" in next(line for line in text.splitlines()
                            if line.startswith("| `ch6-dropout` "))


def test_committed_ledger_is_what_the_committed_logs_give():
    committed = (ROOT / "docs" / "ledger.md").read_text(encoding="utf-8")
    assert committed == report.render(ROOT / "docs" / "results" / "ledger",
                                      label="docs/results/ledger")


def test_darkness_baseline_against_a_loop():
    data = load_sample()
    x, y = data.training
    averages = {d: np.mean([img.sum() for img, t in zip(x, y, strict=True) if t == d])
                for d in range(10)}
    xt, yt = data.test
    guesses = [min(range(10), key=lambda d: abs(img.sum() - averages[d])) for img in xt]
    correct = sum(int(g == t) for g, t in zip(guesses, yt, strict=True))
    assert baselines.darkness(data) == (correct, len(yt))


def test_run_entry_writes_one_complete_log_without_machine_paths(tmp_path):
    e = replace(by_id()["ch1-30"], id="tiny", steps=(
        "nndl train --sizes 784,5,10 --seed {seed} --epochs {epochs} --save {work}/m.npz",))
    assert run_entry(e, 3, tmp_path, quick=True) == 0
    text = (tmp_path / "tiny-seed3.log").read_text(encoding="utf-8")
    assert text.startswith("# ledger tiny seed 3 (quick mode, 1 epochs)\n# $ python3 -m nndl ")
    assert "--seed 3 --epochs 1 --save DIR/m.npz --sample" in text and "DIR/m.npz" in text
    assert "/tmp" not in text and not list(tmp_path.glob("*.part"))
    (done,) = report.runs(tmp_path, e)
    assert done.status == 0 and done.value == max(parse.epoch_tests(text))
    bad = replace(e, id="bad", steps=("nndl train --eta -1", "nndl train"))
    assert run_entry(bad, 0, tmp_path, quick=True) == 2        # argparse's exit status
    text = (tmp_path / "bad-seed0.log").read_text(encoding="utf-8")
    assert text.count("# $ ") == 1 and "# finished: exit 2 in " in text   # stopped there
    assert report.runs(tmp_path, bad)[0].value is None


def test_command_line_errors_are_one_line(capsys, tmp_path, monkeypatch):
    assert ledger_main(["run", "--only", "ch9-nothing"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("nndl: error: no ledger entry ch9-nothing") and "\n" == err[-1]
    with pytest.raises(SystemExit):
        ledger_main(["run", "--seeds", "a,b"])
    monkeypatch.chdir(tmp_path)                        # not a checkout: no docs/ here
    assert ledger_main(["run", "--only", "ch1-darkness"]) == 1
    assert "run from the repository root" in capsys.readouterr().err
    assert not (tmp_path / "docs").exists()


@pytest.mark.slow
def test_the_whole_ledger_runs_in_quick_mode(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    out = tmp_path / "logs"
    run = subprocess.run([sys.executable, "-m", "nndl.book.ledger", "run", "--quick", "--out",
                          str(out), "--report", str(tmp_path / "ledger.md")],
                         capture_output=True, text=True, env=env, timeout=1800, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    for e in ENTRIES:
        if not e.steps:
            continue
        if e.id == "ch1-svm" and "needs the sklearn" in (out / "ch1-svm-seed0.log").read_text():
            continue
        (done,) = report.runs(out, e)
        assert done.status == 0 and done.value is not None, (e.id, shlex.quote(done.log))
    assert "not run yet" not in (tmp_path / "ledger.md").read_text(encoding="utf-8").replace(
        "`ch5-speed`", "")
