"""Run the chapter notebooks (notebooks/*.ipynb) top to bottom, each in a fresh kernel.

Each notebook runs with ``notebooks/`` as its working folder and this checkout's
``src`` first on ``PYTHONPATH``; ``--quick`` sets ``NNDL_NOTEBOOK_QUICK=1`` (the
bundled sample and a few epochs: what CI runs), otherwise the notebooks train on
real MNIST as a reader's first run would.  The seconds each notebook took are
printed.  The first error stops the run (exit status 1) and names the cell.

``--write`` saves the outputs into the notebook files (how the committed
outputs are made: a full run, no ``--quick``), with each cell's printed
lines merged into one output and without the per-cell timestamps, so that
re-running changes only what the code printed and drew.
``tests/test_notebooks.py`` then checks that they are valid, small and free of
this machine's paths.

Usage::

    PYTHONPATH=src python3 scripts/run_notebooks.py --quick         # all of them, as CI
    PYTHONPATH=src python3 scripts/run_notebooks.py --write notebooks/ch2-backpropagation.ipynb
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def kernel_environment(quick: bool) -> None:
    """What the kernels inherit: this checkout's sources first, and the size switch."""
    paths = [str(ROOT / "src"), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    os.environ["NNDL_NOTEBOOK_QUICK"] = "1" if quick else "0"


def run(path: Path, timeout: int) -> tuple[object, float]:
    """Execute the notebook at ``path``; return it (with outputs) and the seconds taken."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            coalesce_streams=True,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - start


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("notebooks", nargs="*", type=Path,
                   help="notebooks to run (default: every notebooks/*.ipynb)")
    p.add_argument("--quick", action="store_true",
                   help="NNDL_NOTEBOOK_QUICK=1: the bundled sample and a few epochs")
    p.add_argument("--write", action="store_true", help="save the outputs into the files")
    p.add_argument("--timeout", type=int, default=1800, help="seconds allowed per cell (1800)")
    a = p.parse_args()
    paths = a.notebooks or sorted(NOTEBOOKS.glob("*.ipynb"))
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        p.error(f"no such notebook: {', '.join(missing)}")
    from nbclient.exceptions import CellExecutionError

    kernel_environment(a.quick)
    for path in paths:
        try:
            nb, seconds = run(path.resolve(), a.timeout)
        except CellExecutionError as exc:
            print(f"{path.name}: FAILED\n{exc}", file=sys.stderr)
            return 1
        print(f"{path.name}: {seconds:.1f} s ({'quick' if a.quick else 'full'} mode)",
              flush=True)
        if a.write:
            import nbformat

            from nndl.data._atomic import atomic_write_bytes

            text = nbformat.writes(nb)
            atomic_write_bytes(path, (text if text.endswith("\n") else text + "\n").encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
