"""The chapter notebooks (notebooks/*.ipynb): committed with outputs that are valid and small,
free of this machine's paths, linked from the site's notebooks page and the tutorial; and
they run.

The fast checks read the committed files.  The slow test runs every notebook top to
bottom in a fresh kernel in quick mode (``NNDL_NOTEBOOK_QUICK=1``: the bundled sample,
a few epochs), through ``scripts/run_notebooks.py``, as CI does.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: The book's chapters that have a notebook.
CHAPTERS = ("ch1", "ch2", "ch3", "ch4", "ch5", "ch6")

#: Bounds that keep the repository light and the notebooks quick to open.
MAX_NOTEBOOK_BYTES = 800_000
MAX_TOTAL_BYTES = 2_500_000
MAX_IMAGE_BYTES = 200_000
MAX_TEXT_CHARS = 10_000
#: Paths of the machine that ran them must not leak into committed outputs.
MACHINE_PATH = re.compile(r"(/work|/root|/tmp|/home|/Users)\b")
#: The only rich outputs allowed: PNG pictures and text (no SVG, no widgets, no HTML).
ALLOWED_DATA = {"image/png", "text/plain"}
#: The size switch every notebook's first code cell reads.
SWITCH = "NNDL_NOTEBOOK_QUICK"


def _ids(path: Path) -> str:
    return path.stem


def _texts(output: dict) -> list[str]:
    """Every piece of text in one output: stream text, text/plain, a traceback."""
    if output["output_type"] == "stream":
        return [output["text"]]
    if output["output_type"] == "error":
        return ["\n".join(output.get("traceback", []))]
    return [output.get("data", {}).get("text/plain", "")]


def test_one_notebook_per_chapter():
    assert [p.name.split("-")[0] for p in NOTEBOOKS] == list(CHAPTERS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_valid_with_the_size_switch_first(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert SWITCH in code[0].source, "the first code cell must set the size switch"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# Chapter")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_committed_with_the_outputs_of_a_full_run(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), (
        "every code cell run once, in order")
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert "full mode" in "".join(_texts(code[0].outputs[0])), "run without NNDL_NOTEBOOK_QUICK"
    assert any("image/png" in o.get("data", {}) for o in outputs), "no picture"
    assert all("execution" not in c.metadata for c in code), "per-cell timestamps are noise"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_small_and_free_of_machine_paths(path):
    assert path.stat().st_size <= MAX_NOTEBOOK_BYTES
    nb = nbformat.read(path, as_version=4)
    for k, cell in enumerate(nb.cells):
        assert not MACHINE_PATH.search(cell.source), f"cell {k} names a machine path"
        for output in cell.get("outputs", []):
            for text in _texts(output):
                assert len(text) <= MAX_TEXT_CHARS, f"cell {k}: {len(text)} characters of text"
                found = MACHINE_PATH.search(text)
                assert not found, f"cell {k} shows a machine path: ...{found.group(0)}..."
            data = output.get("data", {})
            assert set(data) <= ALLOWED_DATA, f"cell {k}: {sorted(set(data) - ALLOWED_DATA)}"
            if "image/png" in data:
                assert len(data["image/png"]) <= MAX_IMAGE_BYTES * 4 // 3, f"cell {k}: big PNG"


def test_total_size_is_bounded():
    assert sum(p.stat().st_size for p in NOTEBOOKS) <= MAX_TOTAL_BYTES


def test_the_site_and_tutorial_point_to_them():
    # The README's table of notebooks moved to the site's notebooks page (docs/book/).
    listing = (ROOT / "docs" / "book" / "notebooks.md").read_text(encoding="utf-8")
    assert all(f"`notebooks/{p.name}`" in listing for p in NOTEBOOKS)
    assert "notebooks/" in (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_runs_top_to_bottom_in_quick_mode(path):
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "run_notebooks.py"), "--quick", "--timeout",
         "120", str(path)], capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"{path.name}: " in run.stdout
