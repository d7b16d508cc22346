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
