"""What a package index shows: the licence, the links, a README whose links work there."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _project():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_mit_licence_as_an_spdx_expression_with_its_file():
    project = _project()
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in text
    # PEP 639: no licence classifier beside an SPDX expression.
    assert not any(c.startswith("License ::") for c in project["classifiers"])


def test_urls_classifiers_and_extras():
    project = _project()
    assert all(url.startswith(("https://", "http://")) for url in project["urls"].values())
    assert "Typing :: Typed" in project["classifiers"]
    extras = project["optional-dependencies"]
    assert {"sklearn", "onnx", "torch"} <= set(extras)
    assert "nndl[all,sklearn,onnx]" in extras["test"]


def test_readme_links_are_absolute_so_they_work_on_a_package_index():
    readme = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(([^)\s]+)\)", readme) + re.findall(r"^\[[^]]+\]:\s*(\S+)",
                                                                     readme, re.M)
    relative = [t for t in targets if not re.match(r"https?://|mailto:|#", t)]
    assert relative == []
    assert not re.search(r"<img[^>]+src=\"(?!https?://)", readme)


def test_readme_is_short_and_keeps_the_two_commands():
    """The README is the repository's front page (<= 150 lines); the rest is the site."""
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 150
    assert "python3 -m pip install -e . && python3 -m nndl train" in readme
    assert 'python3 -m pip install -e ".[test]" && python3 -m pytest' in readme
    assert "python3 -m sphinx -W --keep-going -n -b html docs docs/_build/html" in readme


def test_the_old_import_paths_are_the_new_modules():
    """Code written before the layout (issue 26) imports nndl.io, nndl.onnx, nndl.torch and
    nndl.estimator: each is the module that moved, not a copy (monkeypatching one patches both)."""
    import importlib

    moved = {"nndl.io": "nndl.model.io", "nndl.onnx": "nndl.export.onnx",
             "nndl.torch": "nndl.export.torch", "nndl.estimator": "nndl.sklearn.estimator"}
    for old, new in moved.items():
        assert importlib.import_module(old) is importlib.import_module(new), old
    from nndl.io import load_model, save_model  # noqa: F401  (the names users import)
    from nndl.onnx import to_onnx  # noqa: F401
