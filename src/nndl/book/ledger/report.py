"""``docs/ledger.md`` from the logs: the book's figure beside nndl's, entry by entry."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from nndl.book.ledger.entries import ENTRIES, Entry
from nndl.book.ledger.parse import MEASURES, measure
from nndl.book.ledger.runner import shown_command

_FOOTER = re.compile(r"^# finished: exit (\d+) in ([\d.]+) s(?:, ([\d.]+) s of CPU)?$", re.M)
_SEED = re.compile(r"-seed(\d+)\.log$")

CHAPTERS = {1: "Chapter 1 — using neural nets to recognize handwritten digits",
            3: "Chapter 3 — improving the way neural networks learn",
            5: "Chapter 5 — why are deep neural networks hard to train?",
            6: "Chapter 6 — deep learning"}


@dataclass(frozen=True)
class Run:
    """One finished run, as its log tells it."""

    seed: int
    status: int
    seconds: float
    cpu: float | None
    value: float | None
    also: float | None
    log: str


def runs(out: Path, entry: Entry) -> list[Run]:
    """Every finished run of ``entry`` logged in ``out``, by seed."""
    found = []
    for path in sorted(out.glob(f"{entry.id}-seed*.log")):
        seed = _SEED.search(path.name)
        text = path.read_text(encoding="utf-8", errors="replace")
        footer = _FOOTER.findall(text)
        if seed is None or not footer:
            continue
        status, seconds = int(footer[-1][0]), float(footer[-1][1])
        cpu = float(footer[-1][2]) if footer[-1][2] else None
        value, also = measure(entry.measure, text) if status == 0 else (None, None)
        found.append(Run(int(seed.group(1)), status, seconds, cpu, value, also, path.name))
    return sorted(found, key=lambda r: r.seed)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def _cells(entry: Entry, done: list[Run]) -> tuple[str, str, str, str]:
    """(nndl, seeds, difference, time) cells of an entry's row."""
    if entry.link:
        return (f"see [{Path(entry.link).name}]({Path(entry.link).name})", "—", "—",
                f"~{entry.minutes:g} min")
    good = [r for r in done if r.value is not None]
    if not good:
        failed = [r for r in done if r.status != 0]
        if failed:
            return (f"failed (exit {failed[0].status}; `{failed[0].log}`)", "—", "—", "—")
        return ("not run yet (command below)", "—", "—",
                f"est. ~{_duration(60 * entry.minutes)} per run")
    values = [r.value for r in good if r.value is not None]
    mean = sum(values) / len(values)
    best = entry.best_of_runs and len(values) > 1
    shown = max(values) if best else mean
    text = f"{shown:.2f}%" + (f" (best of {len(values)})" if best else "")
    also = [r.also for r in good if r.also is not None]
    if also:
        text += f" [{sum(also) / len(also):.2f}%]"
    seeds = ", ".join(str(r.seed) for r in good)
    spread = (f"{min(values):.2f}–{max(values):.2f} (seeds {seeds})" if len(values) > 1
              else f"one run (seed {seeds})")
    if best:
        spread = f"mean {mean:.2f}%, " + spread
    diff = "—" if entry.book_value is None else f"{shown - entry.book_value:+.2f}"
    secs = [r.seconds for r in good]
    cpus = [r.cpu for r in good if r.cpu is not None]
    cpu = f" ({_duration(sum(cpus) / len(cpus))} CPU)" if cpus else ""
    return text, spread, diff, _duration(sum(secs) / len(secs)) + " per run" + cpu


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render(out: Path, *, label: str | None = None, title_note: str = "") -> str:
    """The whole ledger as Markdown, from the logs in ``out`` (named ``label`` in the text)."""
    lines = ["# The book, number by number", "",
             "Every result of *Neural Networks and Deep Learning* that the book reports as a "
             "number, beside nndl's, from the logs in `" + (label or out.as_posix()) + "/`. "
             "`python3 -m nndl.book.ledger run` runs the entries and rewrites this file; "
             "`python3 -m nndl.book.ledger report` rewrites it from the logs alone; "
             "`--only ID` and `--seeds 0,1,2` choose what runs. nndl's number is the mean "
             "over the seeds run, with their range — or, where the book reports its best of "
             "three runs, nndl's best seed; the difference is nndl's number minus the "
             "book's figure, in percentage points. Times are wall-clock per run on this "
             "project's 2-core machine, shared with other jobs (runs under `nice -n 19`).",
             ""]
    logged = [r for e in ENTRIES for r in runs(out, e)]
    if logged:
        cpus = [r.cpu for r in logged if r.cpu is not None]
        lines += [f"{len(logged)} runs logged: {_duration(sum(r.seconds for r in logged))} of "
                  "wall-clock in all" + (f", {_duration(sum(cpus))} of CPU in the {len(cpus)} "
                                         "that record it" if cpus else "") + ".", ""]
    if title_note:
        lines += [title_note, ""]
    for chapter, heading in CHAPTERS.items():
        entries = [e for e in ENTRIES if e.chapter == chapter]
        lines += [f"## {heading}", "",
                  "| entry | the book's setting | the book | nndl | seeds | difference | time |",
                  "|---|---|---|---|---|---|---|"]
        notes = []
        for e in entries:
            done = runs(out, e)
            nndl, seeds, diff, secs = _cells(e, done)
            lines.append(f"| `{e.id}` | {_cell(e.setting)} | {_cell(e.book)} | {_cell(nndl)} "
                         f"| {seeds} | {diff} | {secs} |")
            commands = "; then ".join(f"`{c}`" for c in shown_command(e)) or "—"
            measured = MEASURES[e.measure][0]
            notes.append(f"- `{e.id}` ({e.section}): *{measured}.* {e.note} "
                         f"Command: {commands}".replace("  ", " "))
        lines += ["", *notes, ""]
    waiting = [e for e in ENTRIES if e.steps and not any(r.value is not None
                                                         for r in runs(out, e))]
    if waiting:
        total = sum(e.minutes * max(e.seeds, 1) for e in waiting)
        lines += ["## Not run yet", "",
                  ", ".join(f"`{e.id}` (~{_duration(60 * e.minutes)} × {max(e.seeds, 1)})"
                            for e in waiting)
                  + f": about {total / 60:.0f} hours here in all, by the estimates above. "
                  "`python3 -m nndl.book.ledger run --only ID` runs one (entries estimated "
                  "above 10 minutes run only when named).", ""]
    return "\n".join(lines).rstrip() + "\n"


def write(path: Path, out: Path, **kw) -> Path:
    """Write :func:`render` to ``path`` atomically."""
    from nndl.data._atomic import atomic_writer

    text = render(out, **kw)
    with atomic_writer(path) as fh:
        fh.write(text.encode("utf-8"))
    return path
