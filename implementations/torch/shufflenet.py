"""ShuffleNet (v1) in PyTorch (Zhang et al., arXiv 1707.01083v2, Table 1, Sec. 3, Fig. 2).

Module names match the Keras builder (implementations/specs/shufflenet.py): conv1, maxpool, stage2 ... stage4
(units `stage<N>.unit<i>`), globalpool, flatten, fc, softmax. A depthwise convolution is a grouped convolution
with one group per channel. Every strided 3×3 layer (conv1, the max pool, a stride-2 unit's depthwise
convolution and its shortcut's average pool) is preceded by explicit zero padding so that both frameworks pad
the same way; the max pool follows a ReLU, so padding it with zeros is padding it with its minimum.

The channel shuffle (Sec. 3.1, p. 3) uses the network's g in every unit, Stage 2's first included, whose
first pointwise convolution is not grouped (Table 1's caption): there the shuffle is a fixed relabelling of
channels, which Fig. 2 (c) draws all the same. A stride-2 unit concatenates [shortcut, residual] in that
order (Fig. 2 c draws the average pool on the left).
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from implementations.specs.shufflenet import (
    BN_EPSILON,
    INPUT_SIZE,
    KERNEL,
    NUM_CLASSES,
    Unit,
    conv1_channels,
    feature_side,
    units,
)
from implementations.torch.blocks import Add, Concat


class ChannelShuffle(nn.Module):
    """Sec. 3.1, p. 3: "reshape the output channel dimension into (g, n), transposing and then flattening it
    back"; a permutation of the channels, without weights."""

    paperverify_kind = "channel_shuffle"

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def paperverify_attributes(self) -> dict[str, int]:
        return {"groups": self.groups}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        return x.reshape(n, self.groups, c // self.groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class ShuffleUnit(nn.Module):
    """Fig. 2 (b) (stride 1) or (c) (stride 2): GConv 1×1, BN, ReLU, channel shuffle, DWConv 3×3, BN, GConv 1×1,
    BN; add the input, or concatenate its 3×3 average pool; ReLU."""

    def __init__(self, unit: Unit, groups: int) -> None:
        super().__init__()
        m, strided = unit.bottleneck, unit.stride == 2
        self.gconv1 = nn.Conv2d(unit.in_channels, m, 1, groups=unit.groups1, bias=False)
        self.bn1 = nn.BatchNorm2d(m, eps=BN_EPSILON)
        self.relu1 = nn.ReLU()
        self.shuffle = ChannelShuffle(groups)
        self.pad = nn.ZeroPad2d(1) if strided else nn.Identity()
        self.dwconv = nn.Conv2d(m, m, KERNEL, unit.stride, 0 if strided else 1, groups=m, bias=False)
        self.bn2 = nn.BatchNorm2d(m, eps=BN_EPSILON)
        self.gconv2 = nn.Conv2d(m, unit.residual_channels, 1, groups=unit.groups2, bias=False)
        self.bn3 = nn.BatchNorm2d(unit.residual_channels, eps=BN_EPSILON)
        if strided:
            self.shortcut = nn.Sequential(OrderedDict(pad=nn.ZeroPad2d(1), pool=nn.AvgPool2d(KERNEL, 2)))
            self.concat = Concat()
        else:
            self.add = Add()
        self.relu = nn.ReLU()
        self.strided = strided

    def _residual(self, x: torch.Tensor) -> torch.Tensor:
        x = self.shuffle(self.relu1(self.bn1(self.gconv1(x))))
        return self.bn3(self.gconv2(self.bn2(self.dwconv(self.pad(x)))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.strided:
            shortcut = self.shortcut(x)
            return self.relu(self.concat(shortcut, self._residual(x)))
        return self.relu(self.add(self._residual(x), x))


class ShuffleNet(nn.Module):
    """Table 1's network for g groups at scale s on input_size × input_size images."""

    def __init__(
        self, *, groups: int, scale: float, input_size: int, num_classes: int, input_channels: int = 3
    ) -> None:
        super().__init__()
        channels = conv1_channels(scale, groups)
        self.conv1 = nn.Sequential(
            OrderedDict(
                pad=nn.ZeroPad2d(1),
                conv=nn.Conv2d(input_channels, channels, KERNEL, 2, bias=False),
                bn=nn.BatchNorm2d(channels, eps=BN_EPSILON),
                relu=nn.ReLU(),
            )
        )
        self.maxpool = nn.Sequential(OrderedDict(pad=nn.ZeroPad2d(1), pool=nn.MaxPool2d(KERNEL, 2)))
        stages: dict[str, nn.Sequential] = {}
        for unit in units(groups, scale):
            stage, name = unit.name.split(".")
            stages.setdefault(stage, nn.Sequential()).add_module(name, ShuffleUnit(unit, groups))
            channels = unit.out_channels
        for stage, modules in stages.items():
            self.add_module(stage, modules)
        self.stages = list(stages)
        self.globalpool = nn.AvgPool2d(feature_side(input_size), stride=1)  # Table 1: GlobalPool, 7 × 7
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(channels, num_classes)
        self.softmax = nn.Softmax(dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for name in ("conv1", "maxpool", *self.stages, "globalpool", "flatten", "fc", "softmax"):
            x = getattr(self, name)(x)
        return x


def _shufflenet(groups: int, scale: float, input_size: int, input_channels: int, num_classes: int) -> ShuffleNet:
    return ShuffleNet(
        groups=groups, scale=scale, input_size=input_size, num_classes=num_classes, input_channels=input_channels
    )


def shufflenet_g1(
    *, input_size: int = INPUT_SIZE, input_channels: int = 3, scale: float = 1.0, num_classes: int = NUM_CLASSES
) -> ShuffleNet:
    """ShuffleNet s× with g = 1 (Table 1, p. 4; Sec. 3.3): no pointwise group convolution, "Xception-like"."""
    return _shufflenet(1, scale, input_size, input_channels, num_classes)


def shufflenet_g2(
    *, input_size: int = INPUT_SIZE, input_channels: int = 3, scale: float = 1.0, num_classes: int = NUM_CLASSES
) -> ShuffleNet:
    """ShuffleNet s× with g = 2 (Table 1, p. 4; Sec. 3.3)."""
    return _shufflenet(2, scale, input_size, input_channels, num_classes)


def shufflenet_g3(
    *, input_size: int = INPUT_SIZE, input_channels: int = 3, scale: float = 1.0, num_classes: int = NUM_CLASSES
) -> ShuffleNet:
    """ShuffleNet s× with g = 3 (Table 1, p. 4; Sec. 3.3)."""
    return _shufflenet(3, scale, input_size, input_channels, num_classes)


def shufflenet_g4(
    *, input_size: int = INPUT_SIZE, input_channels: int = 3, scale: float = 1.0, num_classes: int = NUM_CLASSES
) -> ShuffleNet:
    """ShuffleNet s× with g = 4 (Table 1, p. 4; Sec. 3.3)."""
    return _shufflenet(4, scale, input_size, input_channels, num_classes)


def shufflenet_g8(
    *, input_size: int = INPUT_SIZE, input_channels: int = 3, scale: float = 1.0, num_classes: int = NUM_CLASSES
) -> ShuffleNet:
    """ShuffleNet s× with g = 8 (Table 1, p. 4; Sec. 3.3)."""
    return _shufflenet(8, scale, input_size, input_channels, num_classes)
