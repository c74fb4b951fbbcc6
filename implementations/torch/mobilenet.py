"""MobileNet v1 in PyTorch (Howard et al., arXiv 1704.04861v1, Table 1 and Sec. 3).

Module names match the Keras builder (implementations/specs/mobilenet.py): conv1, conv_dw_1 ... conv_dw_13,
conv_pw_1 ... conv_pw_13, avgpool, flatten, fc, softmax. A depthwise convolution is a grouped convolution
with one group per channel. Stride-2 convolutions are preceded by explicit zero padding so that both
frameworks pad the same way.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from implementations.specs.mobilenet import (
    BN_EPSILON,
    CONV1,
    INPUT_SIZE,
    KERNEL,
    NUM_CLASSES,
    blocks,
    feature_side,
    width,
)


def _conv(cin: int, cout: int, kernel: int, stride: int, groups: int = 1) -> nn.Sequential:
    """A convolution without bias, then batchnorm and ReLU (Sec. 3.2, Fig. 3); explicit padding when strided."""
    layers: list[tuple[str, nn.Module]] = []
    padding = kernel // 2
    if stride > 1:
        layers.append(("pad", nn.ZeroPad2d(padding)))
        padding = 0
    layers.append(("conv", nn.Conv2d(cin, cout, kernel, stride, padding, groups=groups, bias=False)))
    layers.append(("bn", nn.BatchNorm2d(cout, eps=BN_EPSILON)))
    layers.append(("relu", nn.ReLU()))
    return nn.Sequential(OrderedDict(layers))


class MobileNet(nn.Module):
    """Table 1's network at width multiplier `alpha` on input_size × input_size images."""

    def __init__(
        self,
        *,
        alpha: float,
        input_size: int,
        num_classes: int,
        full_convolutions: bool,
        shallow: bool,
        input_channels: int = 3,
    ) -> None:
        super().__init__()
        channels = width(CONV1, alpha)
        self.conv1 = _conv(input_channels, channels, KERNEL, 2)
        self.blocks: list[str] = []
        for block in blocks(shallow):
            filters = width(block.filters, alpha)
            if full_convolutions:  # Table 4's Conv MobileNet
                self.add_module(f"conv_full_{block.index}", _conv(channels, filters, KERNEL, block.stride))
                self.blocks.append(f"conv_full_{block.index}")
            else:
                self.add_module(f"conv_dw_{block.index}", _conv(channels, channels, KERNEL, block.stride, channels))
                self.add_module(f"conv_pw_{block.index}", _conv(channels, filters, 1, 1))
                self.blocks += [f"conv_dw_{block.index}", f"conv_pw_{block.index}"]
            channels = filters
        side = feature_side(input_size)
        self.avgpool = nn.AvgPool2d(side, stride=1)  # Table 1: Avg Pool / s1, Pool 7 × 7 (at 224)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(channels, num_classes)
        self.softmax = nn.Softmax(dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for name in ("conv1", *self.blocks, "avgpool", "flatten", "fc", "softmax"):
            x = getattr(self, name)(x)
        return x


def mobilenet_v1(
    *,
    input_size: int = INPUT_SIZE,
    input_channels: int = 3,
    alpha: float = 1.0,
    num_classes: int = NUM_CLASSES,
    full_convolutions: bool = False,
    shallow: bool = False,
) -> MobileNet:
    """MobileNet (Table 1, p. 4) with width multiplier `alpha` (Sec. 3.3) for input_size² images (Sec. 3.4):
    the average pool covers the whole last feature map. `full_convolutions`: Table 4's Conv MobileNet;
    `shallow`: Table 5's Shallow MobileNet (Sec. 4.1, p. 5)."""
    return MobileNet(
        alpha=alpha, input_size=input_size, num_classes=num_classes, full_convolutions=full_convolutions,
        shallow=shallow, input_channels=input_channels,
    )  # fmt: skip
