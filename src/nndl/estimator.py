"""Old import path: ``nndl.estimator`` is now ``nndl.sklearn.estimator``."""

import sys

import nndl.sklearn.estimator as _module
from nndl.sklearn.estimator import *  # noqa: F403  (for type checkers and ``from nndl.estimator import name``)

sys.modules[__name__] = _module
