"""Exceptions that carry a message meant for a person.

Parameter validation raises plain :class:`ValueError` (as NumPy and
scikit-learn do).  Problems with files get their own subclasses so that a
caller can tell "your data file is bad" from "your argument is bad"; both are
still ``ValueError`` so one ``except ValueError`` catches every input problem.
"""


class NNDLError(Exception):
    """Base class of the errors nndl raises on purpose."""


class DataError(NNDLError, ValueError):
    """A dataset file is missing, malformed, truncated or fails its checksum."""


class DataUnavailable(DataError):
    """The data set is not there and could not be fetched (as opposed to present but broken).

    Only this error lets :func:`nndl.data.load_data` fall back to the bundled
    sample: a damaged file is never silently replaced by other data.
    """


class MissingExtraError(NNDLError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


class ModelFileError(NNDLError, ValueError):
    """A saved model file cannot be read: unknown format, missing or mis-shaped arrays."""


class ModelTooLarge(NNDLError, ValueError):
    """A network would not fit in memory; raised before anything is allocated."""


class TrainingDiverged(NNDLError):
    """The cost or the weights became NaN or infinite during training (η too large?).

    The model's weights have been restored to the last good ones (the start
    of the failing epoch); ``history`` holds the epochs that completed.
    """

    def __init__(self, message: str, history: object = None) -> None:
        super().__init__(message)
        self.history = history


class NotFittedError(NNDLError, ValueError, AttributeError):
    """An estimator was asked to predict before ``fit`` (as in scikit-learn)."""
