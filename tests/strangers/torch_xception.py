"""Xception (Chollet 2017, arXiv 1610.02357v3, Figure 5, p. 5) as PyTorch ports of the Keras model write it: a
`SeparableConv2d` module holding a depthwise `conv1` (`groups=in_channels`) and a 1×1 `pointwise`, no biases
(BatchNorm follows every convolution, Figure 5's caption); a `Block` per residual module whose `rep` Sequential
starts with an `nn.ReLU` (not in place, since the skip reads the block's input too; left out where the entry
flow's first module follows a ReLU already) and has in-place ReLUs between its separable convolutions,
stride-2 modules ending in `nn.MaxPool2d(3, 2, 1)` and taking a `skip` 1×1 stride-2 convolution with `skipbn`,
the sum written `x += skip`; twelve blocks named `block1` ... `block12` (3 entry, 8 middle, 1 exit), the exit
flow's two separable convolutions `conv3` and `conv4` with ReLUs, and a functional ReLU, average pool,
flatten and dropout (Sec. 4.3's rate 0.5) before the logistic regression `fc`. The first two convolutions pad
nothing, so that 299×299 gives Figure 5's 149 and 147, and the 19×19×728 of the middle flow."""

from __future__ import annotations

import itertools

import torch
import torch.nn.functional as F
from torch import nn


class SeparableConv2d(nn.Module):
    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, in_channels, 3, 1, 1, groups=in_channels, bias=False)
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.conv1(x))


class Block(nn.Module):
    def __init__(
        self, in_filters: int, out_filters: int, reps: int, stride: int = 1, start_with_relu: bool = True,
        grow_first: bool = True,
    ) -> None:  # fmt: skip
        super().__init__()
        if out_filters != in_filters or stride != 1:
            self.skip = nn.Conv2d(in_filters, out_filters, 1, stride=stride, bias=False)
            self.skipbn = nn.BatchNorm2d(out_filters)
        else:
            self.skip = None
        widths = [in_filters] + [out_filters if grow_first else in_filters] * (reps - 1) + [out_filters]
        rep: list[nn.Module] = []
        for cin, cout in itertools.pairwise(widths):
            rep += [nn.ReLU(inplace=True), SeparableConv2d(cin, cout), nn.BatchNorm2d(cout)]
        if start_with_relu:
            rep[0] = nn.ReLU()  # not in place: the skip reads the block's input too
        else:
            rep = rep[1:]
        if stride != 1:
            rep.append(nn.MaxPool2d(3, stride, 1))
        self.rep = nn.Sequential(*rep)

    def forward(self, inp: torch.Tensor) -> torch.Tensor:
        x = self.rep(inp)
        skip = self.skipbn(self.skip(inp)) if self.skip is not None else inp
        x += skip
        return x


class Xception(nn.Module):
    def __init__(self, num_classes: int = 1000, middle_blocks: int = 8) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, 2, 0, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(32, 64, 3, bias=False)
        self.bn2 = nn.BatchNorm2d(64)
        self.relu2 = nn.ReLU(inplace=True)
        self.block1 = Block(64, 128, 2, 2, start_with_relu=False)
        self.block2 = Block(128, 256, 2, 2)
        self.block3 = Block(256, 728, 2, 2)
        self.middle = [f"block{4 + i}" for i in range(middle_blocks)]
        for name in self.middle:
            self.add_module(name, Block(728, 728, 3))
        self.block12 = Block(728, 1024, 2, 2, grow_first=False)
        self.conv3 = SeparableConv2d(1024, 1536)
        self.bn3 = nn.BatchNorm2d(1536)
        self.relu3 = nn.ReLU(inplace=True)
        self.conv4 = SeparableConv2d(1536, 2048)
        self.bn4 = nn.BatchNorm2d(2048)
        self.fc = nn.Linear(2048, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu1(self.bn1(self.conv1(x)))
        x = self.relu2(self.bn2(self.conv2(x)))
        for name in ("block1", "block2", "block3", *self.middle, "block12"):
            x = getattr(self, name)(x)
        x = self.relu3(self.bn3(self.conv3(x)))
        x = F.relu(self.bn4(self.conv4(x)))
        x = F.adaptive_avg_pool2d(x, (1, 1))
        return self.fc(F.dropout(x.view(x.size(0), -1), 0.5, self.training))


def xception() -> nn.Module:
    """Faithful to Figure 5: the entry flow's 32 and 64 3×3 convolutions and three modules of 128, 256 and 728
    separable convolutions, the middle flow's module of three 728 separable convolutions repeated eight times,
    the exit flow's 728/1024 module and separable convolutions of 1536 and 2048, global average pooling and a
    1000-way logistic regression: 22,855,952 parameters (Table 3's 22,855,952)."""
    return Xception()


def xception_short_middle() -> nn.Module:
    """Departure: the middle flow repeated seven times where Figure 5 prints "Repeated 8 times"."""
    return Xception(middle_blocks=7)
