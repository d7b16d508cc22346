"""Layers for :class:`~nndl.model.sequential.Sequential` networks (convolutional nets, chapter 6).

Examples
--------
>>> from nndl.nn.layers import parse_layers
>>> [layer.label() for layer in parse_layers("conv:20x5x5,pool:2,softmax:10")]
['conv 20×5×5 relu', 'pool 2×2', 'flatten', 'dense 10 softmax']
"""

from nndl.nn.layers.activated import ActivatedLayer
from nndl.nn.layers.base import Layer, layer_from_config
from nndl.nn.layers.batchnorm import BatchNorm
from nndl.nn.layers.conv import Conv2D
from nndl.nn.layers.dense import Dense
from nndl.nn.layers.dropout import Dropout
from nndl.nn.layers.flatten import Flatten
from nndl.nn.layers.pool import MaxPool2D
from nndl.nn.layers.spec import parse_layers

__all__ = [
    "ActivatedLayer",
    "BatchNorm",
    "Conv2D",
    "Dense",
    "Dropout",
    "Flatten",
    "Layer",
    "MaxPool2D",
    "layer_from_config",
    "parse_layers",
]
