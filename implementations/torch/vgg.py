"""VGG in PyTorch (Simonyan & Zisserman, arXiv 1409.1556v6, Table 1 and Sec. 2.1, 2.2, 3.1).

Module names follow the paper's numbering and match the Keras builders: conv1.conv1_1, conv1.relu1_1,
conv1.lrn (A-LRN), pool1, ..., flatten, fc6, relu6, drop6, fc7, relu7, drop7, fc8, softmax.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from implementations.specs.vgg import (
    DROPOUT,
    HIDDEN_UNITS,
    INPUT_SIZE,
    LRN_PARAMETERS,
    POOL_SIZE,
    Block,
    Conv,
    classifier_side,
    configuration,
)


def _block(index: int, layers: Block, cin: int) -> tuple[nn.Sequential, int]:
    """One Table 1 block: each convolution (stride 1, padding that keeps the size) with its ReLU."""
    modules: list[tuple[str, nn.Module]] = []
    number = 0
    for layer in layers:
        if isinstance(layer, Conv):
            number += 1
            modules.append((f"conv{index}_{number}", nn.Conv2d(cin, layer.filters, layer.kernel, 1, layer.kernel // 2)))
            modules.append((f"relu{index}_{number}", nn.ReLU()))
            cin = layer.filters
        else:  # LRN, after the ReLU as in Krizhevsky et al. (2012), Sec. 3.3
            p = LRN_PARAMETERS
            modules.append(("lrn", nn.LocalResponseNorm(p.n, alpha=p.alpha_mean, beta=p.beta, k=p.k)))
    return nn.Sequential(OrderedDict(modules)), cin


class VGG(nn.Module):
    """A Table 1 column: five blocks each followed by a 2×2 max pool, FC-4096, FC-4096, FC-1000, soft-max."""

    def __init__(self, variant: str, *, num_classes: int, input_size: int, input_channels: int = 3) -> None:
        super().__init__()
        channels = input_channels
        for index, layers in enumerate(configuration(variant), start=1):
            block, channels = _block(index, layers, channels)
            self.add_module(f"conv{index}", block)
            self.add_module(f"pool{index}", nn.MaxPool2d(POOL_SIZE, POOL_SIZE))
        self.flatten = nn.Flatten()
        features = channels * classifier_side(input_size) ** 2
        for number, units in enumerate(HIDDEN_UNITS, start=6):
            self.add_module(f"fc{number}", nn.Linear(features, units))
            self.add_module(f"relu{number}", nn.ReLU())
            self.add_module(f"drop{number}", nn.Dropout(DROPOUT))
            features = units
        self.fc8 = nn.Linear(features, num_classes)
        self.softmax = nn.Softmax(dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for module in self.children():  # in the order they were added, which is Table 1's
            x = module(x)
        return x


def vgg11(*, input_size: int = INPUT_SIZE, input_channels: int = 3, num_classes: int = 1000) -> VGG:
    """Configuration A, Table 1 (11 weight layers). `input_size` sizes fc6 for input_size² images."""
    return VGG("vgg11", num_classes=num_classes, input_size=input_size, input_channels=input_channels)


def vgg11_lrn(*, input_size: int = INPUT_SIZE, input_channels: int = 3, num_classes: int = 1000) -> VGG:
    """Configuration A-LRN, Table 1 (11 weight layers, LRN after conv1_1)."""
    return VGG("vgg11_lrn", num_classes=num_classes, input_size=input_size, input_channels=input_channels)


def vgg13(*, input_size: int = INPUT_SIZE, input_channels: int = 3, num_classes: int = 1000) -> VGG:
    """Configuration B, Table 1 (13 weight layers)."""
    return VGG("vgg13", num_classes=num_classes, input_size=input_size, input_channels=input_channels)


def vgg16_c(*, input_size: int = INPUT_SIZE, input_channels: int = 3, num_classes: int = 1000) -> VGG:
    """Configuration C, Table 1 (16 weight layers, 1×1 convolutions closing blocks 3 to 5)."""
    return VGG("vgg16_c", num_classes=num_classes, input_size=input_size, input_channels=input_channels)


def vgg16(*, input_size: int = INPUT_SIZE, input_channels: int = 3, num_classes: int = 1000) -> VGG:
    """Configuration D, Table 1 (16 weight layers)."""
    return VGG("vgg16", num_classes=num_classes, input_size=input_size, input_channels=input_channels)


def vgg19(*, input_size: int = INPUT_SIZE, input_channels: int = 3, num_classes: int = 1000) -> VGG:
    """Configuration E, Table 1 (19 weight layers)."""
    return VGG("vgg19", num_classes=num_classes, input_size=input_size, input_channels=input_channels)
