"""Old import path: ``nndl.torch`` is now ``nndl.export.torch``."""

import sys

import nndl.export.torch as _module
from nndl.export.torch import *  # noqa: F403  (for type checkers and ``from nndl.torch import name``)

sys.modules[__name__] = _module
