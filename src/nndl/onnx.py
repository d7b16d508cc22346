"""Old import path: ``nndl.onnx`` is now ``nndl.export.onnx``."""

import sys

import nndl.export.onnx as _module
from nndl.export.onnx import *  # noqa: F403  (for type checkers and ``from nndl.onnx import name``)

sys.modules[__name__] = _module
