"""AlexNet in PyTorch (Krizhevsky, Sutskever, Hinton, NIPS 2012, Sec. 3 and Figure 2, p. 2-5).

Module names follow the paper and match the Keras builder: conv1.conv, conv1.lrn, conv1.pool, ..., fc6.fc,
fc8.fc, softmax. The two GPUs are the two groups of conv2, conv4 and conv5 (`groups=2`). conv1 is preceded
by explicit zero padding of 2 (see specs.alexnet.CONV1_PADDING: the paper's 224 input with its 55×55 maps).
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from implementations.specs.alexnet import (
    CONV1_PADDING,
    CONVS,
    DROPOUT,
    FULLS,
    INPUT_SIZE,
    LRN_ALPHA,
    LRN_BETA,
    LRN_K,
    LRN_N,
    POOL_SIZE,
    POOL_STRIDE,
    feature_size,
)


def response_norm() -> nn.LocalResponseNorm:
    """Sec. 3.3's response normalization. PyTorch computes a / (k + alpha/n · Σ a²)^β, the paper
    a / (k + α Σ a²)^β: alpha = α·n gives the paper's layer."""
    return nn.LocalResponseNorm(LRN_N, alpha=LRN_ALPHA * LRN_N, beta=LRN_BETA, k=LRN_K)


class AlexNet(nn.Module):
    """Five convolutional and three fully-connected layers, then a 1000-way softmax (Sec. 3.5)."""

    def __init__(self, *, num_classes: int, input_size: int, conv1_padding: int, input_channels: int = 3) -> None:
        super().__init__()
        channels = input_channels
        for spec in CONVS:
            layers: list[tuple[str, nn.Module]] = []
            padding = conv1_padding if spec.name == "conv1" else spec.padding
            if spec.stride > 1 and padding:
                layers.append(("pad", nn.ZeroPad2d(padding)))
                padding = 0
            layers.append(
                ("conv", nn.Conv2d(channels, spec.kernels, spec.kernel, spec.stride, padding, groups=spec.groups))
            )
            layers.append(("relu", nn.ReLU()))  # "applied to the output of every convolutional ... layer"
            if spec.lrn:
                layers.append(("lrn", response_norm()))
            if spec.pool:
                layers.append(("pool", nn.MaxPool2d(POOL_SIZE, POOL_STRIDE)))
            self.add_module(spec.name, nn.Sequential(OrderedDict(layers)))
            channels = spec.kernels
        self.flatten = nn.Flatten()
        features = channels * feature_size(input_size, conv1_padding) ** 2
        for spec in FULLS:
            units = num_classes if spec.name == "fc8" else spec.units
            layers = [("fc", nn.Linear(features, units))]
            if spec.relu:
                layers.append(("relu", nn.ReLU()))
            if spec.dropout:
                layers.append(("dropout", nn.Dropout(DROPOUT)))
            self.add_module(spec.name, nn.Sequential(OrderedDict(layers)))
            features = units
        self.softmax = nn.Softmax(dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for name in ("conv1", "conv2", "conv3", "conv4", "conv5", "flatten", "fc6", "fc7", "fc8", "softmax"):
            x = getattr(self, name)(x)
        return x


def alexnet(
    *,
    input_size: int = INPUT_SIZE,
    input_channels: int = 3,
    num_classes: int = 1000,
    conv1_padding: int = CONV1_PADDING,
) -> AlexNet:
    """AlexNet (Sec. 3.5, Figure 2). `input_size` sizes fc6 for another input side than the paper's 224."""
    return AlexNet(
        num_classes=num_classes, input_size=input_size, conv1_padding=conv1_padding, input_channels=input_channels
    )
