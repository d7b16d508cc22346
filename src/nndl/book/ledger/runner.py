"""Run ledger entries as subprocesses, one log per entry and seed.

A log is ``<out>/<id>-seed<S>.log``: a header (``# ledger ...`` lines naming
the entry, the mode and each command), everything the commands printed, and
a last line ``# finished: exit N in T s, C s of CPU`` (wall-clock, then the
CPU time of the commands).  It is written beside its final
name and renamed when the run ends, so a log is never half-written and an
interrupted run leaves the previous log in place.
"""

from __future__ import annotations

import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from nndl.book.ledger.entries import Entry

#: The subcommands of ``nndl`` that read MNIST and so take ``--sample`` in quick mode.
DATA_COMMANDS = ("train", "evaluate")


@dataclass(frozen=True)
class Command:
    """One step, ready to run: its argv, the extra environment, and how it reads."""

    argv: list[str]
    env: dict[str, str]
    shown: str


def command(step: str, *, seed: int, epochs: int, work: str, quick: bool) -> Command:
    """The argv of one entry step (see :mod:`nndl.book.ledger.entries`)."""
    kind, _, rest = step.partition(" ")
    filled = rest.format(seed=seed, epochs=epochs, work=shlex.quote(work) if kind != "session"
                         else work)
    env = {"NNDL_BOOK_DATA": "sample"} if quick else {}
    if kind == "session":
        return Command([sys.executable, "-c", filled], env, f"python3 -c {shlex.quote(filled)}")
    args = shlex.split(filled)
    if kind == "nndl":
        if quick and args[0] in DATA_COMMANDS:
            args.append("--sample")
        return Command([sys.executable, "-m", "nndl", *args], env,
                       "python3 -m nndl " + shlex.join(args))
    if kind == "baseline":
        args = ["baseline", *args, *(["--sample"] if quick else [])]
        return Command([sys.executable, "-m", "nndl.book.ledger", *args], env,
                       "python3 -m nndl.book.ledger " + shlex.join(args))
    raise ValueError(f"unknown step kind {kind!r} in {step!r}")


#: How each step kind is typed at a shell.
PREFIX = {"nndl": "python3 -m nndl", "baseline": "python3 -m nndl.book.ledger baseline",
          "session": "python3 -c"}


def shown_command(entry: Entry, seed: str = "S") -> list[str]:
    """The entry's commands as a reader types them (full mode; ``{work}`` shown as ``DIR``)."""
    out = []
    for step in entry.steps:
        kind, _, rest = step.partition(" ")
        text = rest.replace("{seed}", seed).replace("{epochs}", str(entry.epochs))
        text = text.replace("{work}", "DIR")
        out.append(f"{PREFIX[kind]} {shlex.quote(text) if kind == 'session' else text}")
    return out


def log_path(out: Path, entry: Entry, seed: int) -> Path:
    return out / f"{entry.id}-seed{seed}.log"


def timeout_for(entry: Entry, quick: bool) -> float:
    """Seconds one step may take: generous against the estimate (4×, at least 2 minutes)."""
    return 900.0 if quick else max(120.0, 4 * 60.0 * entry.minutes)


def _children_cpu() -> float:
    """CPU seconds (user + system) used so far by the finished child processes."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_entry(entry: Entry, seed: int, out: Path, *, quick: bool = False) -> int:
    """Run every step of ``entry`` for ``seed``; write its log; return the exit status."""
    final = log_path(out, entry, seed)
    part = final.with_name(final.name + ".part")
    epochs = entry.quick_epochs if quick else entry.epochs
    start, cpu = time.perf_counter(), _children_cpu()
    status = 0
    with tempfile.TemporaryDirectory(prefix="nndl-ledger-") as work, \
            open(part, "w", encoding="utf-8") as log:
        log.write(f"# ledger {entry.id} seed {seed} ({'quick' if quick else 'full'} mode, "
                  f"{epochs} epochs)\n")
        for step in entry.steps:
            cmd = command(step, seed=seed, epochs=epochs, work=work, quick=quick)
            log.write(f"# $ {cmd.shown.replace(work, 'DIR')}\n")
            log.flush()
            try:
                status = subprocess.run(cmd.argv, stdout=log, stderr=subprocess.STDOUT,
                                        env={**os.environ, **cmd.env}, check=False,
                                        timeout=timeout_for(entry, quick)).returncode
            except subprocess.TimeoutExpired:
                log.write(f"\n# timed out after {timeout_for(entry, quick):.0f} s\n")
                status = 124
            if status != 0:
                break
        log.write(f"# finished: exit {status} in {time.perf_counter() - start:.1f} s, "
                  f"{_children_cpu() - cpu:.1f} s of CPU\n")
        scratch = work
    text = part.read_text(encoding="utf-8", errors="replace")
    part.write_text(text.replace(scratch, "DIR"), encoding="utf-8")   # no machine paths
    os.replace(part, final)
    return status
