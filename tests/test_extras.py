"""The optional extras stay optional: nothing imports them until a feature needs them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nndl._extras import EXTRAS, MissingExtra, require


def test_core_and_cli_import_no_optional_package():
    code = (
        "import sys, nndl, nndl.cli, nndl.model.io, nndl.export.onnx, nndl.export.torch\n"
        "import nndl.export.torch_arch\n"
        "nndl.cli.build_parser()\n"
        "print(sorted(m for m in ('sklearn', 'scipy', 'torch', 'onnx', 'onnxruntime',"
        " 'safetensors') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    assert out.strip() == "[]"


def test_require_names_the_extra_of_each_package(monkeypatch):
    assert set(EXTRAS) == {"plot", "web", "sklearn", "onnx", "torch"}
    for extra, packages in EXTRAS.items():
        for package in packages:
            monkeypatch.setitem(sys.modules, package, None)
            with pytest.raises(MissingExtra, match=rf'pip install "nndl\[{extra}\]"') as info:
                require(package, "a feature")
            assert isinstance(info.value, ImportError)
