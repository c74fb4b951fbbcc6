"""Network In Network in PyTorch (Lin, Chen, Yan, arXiv 1312.4400v3, Sec. 3 and 4.1): the CIFAR-10 network.

Module names match the Keras builder: mlpconv1.conv1 (the receptive field), mlpconv1.conv2 and .conv3 (1×1),
mlpconv1.relu1 ... relu3, mlpconv1.dropout, mlpconv1.pool, ..., gap, flatten, softmax. See specs.nin for what
the paper prints and what is chosen here. `input_size` is accepted for the common builder interface (and checked
to be at least 8); global average pooling takes any such side.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from implementations.specs.nin import (
    DROPOUT,
    INPUT_SIZE,
    KERNEL,
    MAPS,
    MLPCONVS,
    NUM_CLASSES,
    POOL_SIZE,
    POOL_STRIDE,
    check_options,
    layer_kernel,
    layer_maps,
)


class NIN(nn.Module):
    """Three mlpconv layers, each followed by max pooling, then global average pooling and softmax (Fig. 2)."""

    def __init__(self, *, num_classes: int, maps: int, kernel: int, input_channels: int = 3) -> None:
        super().__init__()
        channels = input_channels
        for index in range(1, MLPCONVS + 1):
            layers: list[tuple[str, nn.Module]] = []
            for layer, out in enumerate(layer_maps(index, maps, num_classes), start=1):
                size = layer_kernel(layer, kernel)
                layers.append((f"conv{layer}", nn.Conv2d(channels, out, size, padding=size // 2)))
                layers.append((f"relu{layer}", nn.ReLU()))  # Eq. 2: max(w^T f + b, 0) in every layer
                channels = out
            if index < MLPCONVS:  # "dropout is applied on the outputs of all but the last mlpconv layers"
                layers.append(("dropout", nn.Dropout(DROPOUT)))
            layers.append(("pool", nn.MaxPool2d(POOL_SIZE, POOL_STRIDE)))
            self.add_module(f"mlpconv{index}", nn.Sequential(OrderedDict(layers)))
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.softmax = nn.Softmax(dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for index in range(1, MLPCONVS + 1):
            x = getattr(self, f"mlpconv{index}")(x)
        return self.softmax(self.flatten(self.gap(x)))


def nin_cifar10(
    *,
    input_size: int = INPUT_SIZE,
    input_channels: int = 3,
    num_classes: int = NUM_CLASSES,
    maps: int = MAPS,
    kernel: int = KERNEL,
) -> NIN:
    """The NIN of the CIFAR-10 experiment (Sec. 4.1-4.2), on the paper's 32×32 images by default."""
    check_options(maps, kernel, input_size)
    return NIN(num_classes=num_classes, maps=maps, kernel=kernel, input_channels=input_channels)
