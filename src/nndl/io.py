"""Old import path: ``nndl.io`` is now ``nndl.model.io``."""

import sys

import nndl.model.io as _module
from nndl.model.io import *  # noqa: F403  (for type checkers and ``from nndl.io import name``)

sys.modules[__name__] = _module
