"""MobileNet v1 (Howard et al. 2017, Table 1) as PyTorch repositories write it: `conv_bn` and `conv_dw` helpers
returning `nn.Sequential`s (a depthwise separable block is `conv_dw, bn, relu, conv_pw, bn, relu`), the whole body
one `model` Sequential (`model.7.3`), bias-free convolutions with `padding=1`, in-place ReLUs, a 7×7 average
pool, a `view` flatten and a functional softmax. Width multiplier 1.0, 224×224 input."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def conv_bn(inp: int, oup: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(inp, oup, 3, stride, 1, bias=False),
        nn.BatchNorm2d(oup),
        nn.ReLU(inplace=True),
    )


def conv_dw(inp: int, oup: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(inp, inp, 3, stride, 1, groups=inp, bias=False),
        nn.BatchNorm2d(inp),
        nn.ReLU(inplace=True),
        nn.Conv2d(inp, oup, 1, 1, 0, bias=False),
        nn.BatchNorm2d(oup),
        nn.ReLU(inplace=True),
    )


# (output channels, stride of the depthwise convolution) of the thirteen separable blocks.
BLOCKS = [
    (64, 1),
    (128, 2),
    (128, 1),
    (256, 2),
    (256, 1),
    (512, 2),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (1024, 2),
    (1024, 1),
]


class MobileNet(nn.Module):
    def __init__(self, blocks: list[tuple[int, int]] = BLOCKS, num_classes: int = 1000) -> None:
        super().__init__()
        layers = [conv_bn(3, 32, 2)]
        inp = 32
        for oup, stride in blocks:
            layers.append(conv_dw(inp, oup, stride))
            inp = oup
        layers.append(nn.AvgPool2d(7, stride=1))
        self.model = nn.Sequential(*layers)
        self.fc = nn.Linear(1024, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.model(x)
        x = x.view(-1, 1024)
        x = self.fc(x)
        return F.softmax(x, dim=1)


def mobilenet_v1() -> nn.Module:
    """Faithful to Table 1: a 3×3 convolution of 32 with stride 2, thirteen depthwise separable convolutions
    (stride 2 on the depthwise layers of blocks 2, 4, 6 and 12; block 13 at stride 1, Table 1's recorded
    erratum), a 7×7 average pool, FC 1024×1000 and softmax: 569 million multiply-adds, 4.2 million parameters."""
    return MobileNet()


def mobilenet_v1_late_stride() -> nn.Module:
    """Departure: block 4's depthwise convolution keeps stride 1 and block 5's takes the stride 2 instead, where
    Table 1 prints `Conv dw / s2` on 56 × 56 × 128 then `Conv dw / s1` on 28 × 28 × 256: block 4's pointwise layer
    runs at 56×56 (the input sizes of conv_pw_4 and conv_dw_5 double), so the multiply-adds grow from 569 million
    to 649 million (Tables 2, 6-8); every later layer is unchanged."""
    blocks = list(BLOCKS)
    blocks[3], blocks[4] = (256, 1), (256, 2)
    return MobileNet(blocks)
