"""``python3 -m nndl.book.ledger run|report|list|baseline``: the ledger's command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nndl.book.ledger import baselines, report
from nndl.book.ledger.entries import ENTRIES, Entry, by_id
from nndl.book.ledger.runner import run_entry, shown_command

#: Where a full run keeps its logs and writes the ledger (from the repository root).
FULL_OUT, FULL_REPORT = Path("docs/results/ledger"), Path("docs/ledger.md")
#: Where --quick writes by default: never among the full run's logs.
QUICK_OUT = Path("build/ledger-quick")


def _seeds(text: str) -> list[int]:
    try:
        seeds = [int(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seeds such as 0,1,2, got {text!r}") from None
    if not seeds or min(seeds) < 0:
        raise argparse.ArgumentTypeError(f"expected seeds >= 0 such as 0,1,2, got {text!r}")
    return seeds


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python3 -m nndl.book.ledger",
                                description="The book's results, one command each, "
                                "side by side with nndl's (docs/ledger.md).")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    run = sub.add_parser("run", help="run entries, keep their logs, rewrite the ledger")
    run.add_argument("--quick", action="store_true",
                     help="every entry on the bundled sample for an epoch or two (a check "
                     f"that the ledger still runs; logs and ledger in {QUICK_OUT}/)")
    run.add_argument("--only", metavar="ID[,ID...]", help="run only these entries")
    run.add_argument("--seeds", type=_seeds, metavar="S,S,...",
                     help="seeds to run (default: each entry's own count from 0)")
    run.add_argument("--max-minutes", type=float, default=10.0, metavar="M",
                     help="skip entries estimated above M minutes per run unless named by "
                     "--only (default 10; no limit in --quick)")
    run.add_argument("--out", type=Path, help=f"log folder (default {FULL_OUT})")
    run.add_argument("--report", type=Path, help=f"ledger to write (default {FULL_REPORT})")
    rep = sub.add_parser("report", help="rewrite the ledger from the logs")
    rep.add_argument("--out", type=Path, default=FULL_OUT)
    rep.add_argument("--report", type=Path, default=FULL_REPORT)
    sub.add_parser("list", help="list the entries and their commands")
    base = sub.add_parser("baseline", help="run one of the book's chapter-1 baselines")
    base.add_argument("name", choices=sorted(baselines.BASELINES))
    base.add_argument("--sample", action="store_true", help="the bundled sample")
    return p


def _selected(args: argparse.Namespace) -> list[Entry]:
    table = by_id()
    if args.only:
        ids = [i for i in args.only.split(",") if i]
        unknown = [i for i in ids if i not in table]
        if unknown:
            raise ValueError(f"no ledger entry {', '.join(unknown)}; "
                             f"`python3 -m nndl.book.ledger list` lists them")
        return [table[i] for i in ids]
    limit = None if args.quick else args.max_minutes
    return [e for e in ENTRIES if limit is None or e.minutes <= limit]


def _run(args: argparse.Namespace) -> int:
    if not args.quick and not (args.out and args.report) and not Path("docs").is_dir():
        raise ValueError("no docs/ folder here: run from the repository root, or give "
                         "--out and --report")
    out = args.out or (QUICK_OUT if args.quick else FULL_OUT)
    target = args.report or (out / "ledger.md" if args.quick else FULL_REPORT)
    out.mkdir(parents=True, exist_ok=True)          # check both paths before any work
    if not target.parent.is_dir():
        raise ValueError(f"cannot write the ledger to {target}: {target.parent} is not a folder")
    failures = 0
    for entry in _selected(args):
        default = [0] if args.quick else list(range(entry.seeds))   # quick: one seed
        seeds = [] if entry.link else (args.seeds or default)
        if entry.measure == "baseline":
            seeds = seeds[:1]                         # deterministic: one run is the figure
        for seed in seeds:
            status = run_entry(entry, seed, out, quick=args.quick)
            print(f"{entry.id} seed {seed}: {'ok' if status == 0 else f'FAILED (exit {status})'}",
                  flush=True)
            failures += status != 0
    report.write(target, out)
    print(f"wrote {target}")
    return 1 if failures else 0


def _baseline(args: argparse.Namespace) -> int:
    from nndl.data import load_data, load_sample

    data = load_sample() if args.sample else load_data()
    correct, total = baselines.BASELINES[args.name](data)
    print(f"{args.name} baseline: {correct} / {total}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "report":
            report.write(args.report, args.out)
            print(f"wrote {args.report}")
            return 0
        if args.command == "list":
            for e in ENTRIES:
                print(f"{e.id:<16} ch. {e.chapter}  {e.book}\n    " + "\n    ".join(
                    shown_command(e)) if e.steps else f"{e.id:<16} ch. {e.chapter}  {e.link}")
            return 0
        return _baseline(args)
    except (ValueError, OSError) as exc:
        print(f"nndl: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
