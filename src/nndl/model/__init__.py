"""Models: the layer stack (Sequential), the book's Network, model files."""

from nndl.model.base import Model

__all__ = ["Model"]
