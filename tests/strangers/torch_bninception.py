"""BN-Inception (Ioffe & Szegedy 2015, arXiv 1502.03167v3, Figure 5, p. 11, and the appendix, pp. 9-10) as PyTorch
repositories write it: a `conv_bn` helper returning `nn.Sequential(conv, BatchNorm, ReLU)` (Sec. 3.2: BN
"immediately before the nonlinearity", no bias), an `Inception` class with branch Sequentials joined by
`torch.cat`, the stride-2 modules 3c and 4e striding their 3×3 convolutions and a max pool passed through
unprojected ("max + pass through"), and a functional flatten and softmax at the head. conv1 is the appendix's
"separable convolution with depth multiplier 8" (a 7×7/2 depthwise convolution to 24 channels, then a 1×1 to 64);
no dropout and no local response normalisation (Sec. 4.2.1). Modules follow Figure 5's filters as printed: 4c and
4d concatenate 608 channels (the figure's 576 is its own erratum), so 4e passes 608 through and gives 1056."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def conv_bn(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=kernel_size // 2, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class Inception(nn.Module):
    """Figure 5's columns: #1×1, #3×3 reduce, #3×3, double #3×3 reduce, double #3×3, Pool +proj."""

    def __init__(
        self,
        in_channels: int,
        ch1x1: int,
        ch3x3red: int,
        ch3x3: int,
        dbl3x3red: int,
        dbl3x3: int,
        pool: str,
        pool_proj: int | None,
        stride: int = 1,
    ) -> None:
        super().__init__()
        self.branch1 = conv_bn(in_channels, ch1x1, 1) if ch1x1 else None
        self.branch2 = nn.Sequential(conv_bn(in_channels, ch3x3red, 1), conv_bn(ch3x3red, ch3x3, 3, stride))
        self.branch3 = nn.Sequential(
            conv_bn(in_channels, dbl3x3red, 1),
            conv_bn(dbl3x3red, dbl3x3, 3),
            conv_bn(dbl3x3, dbl3x3, 3, stride),
        )
        if pool == "max":
            pooling: nn.Module = nn.MaxPool2d(3, stride=stride, padding=1)
        else:
            pooling = nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)
        self.branch4 = (
            nn.Sequential(pooling) if pool_proj is None else nn.Sequential(pooling, conv_bn(in_channels, pool_proj, 1))
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = [self.branch1(x)] if self.branch1 is not None else []
        outputs += [self.branch2(x), self.branch3(x), self.branch4(x)]
        return torch.cat(outputs, 1)


class BNInception(nn.Module):
    def __init__(self, num_classes: int = 1000, pool_4a: str = "avg") -> None:
        super().__init__()
        self.conv1 = nn.Sequential(
            nn.Conv2d(3, 24, 7, stride=2, padding=3, groups=3, bias=False),  # depth multiplier 8
            nn.Conv2d(24, 64, 1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
        )
        self.pool1 = nn.MaxPool2d(3, stride=2, padding=1)
        self.conv2_reduce = conv_bn(64, 64, 1)
        self.conv2 = conv_bn(64, 192, 3)
        self.pool2 = nn.MaxPool2d(3, stride=2, padding=1)

        self.inception_3a = Inception(192, 64, 64, 64, 64, 96, "avg", 32)
        self.inception_3b = Inception(256, 64, 64, 96, 64, 96, "avg", 64)
        self.inception_3c = Inception(320, 0, 128, 160, 64, 96, "max", None, stride=2)
        self.inception_4a = Inception(576, 224, 64, 96, 96, 128, pool_4a, 128)
        self.inception_4b = Inception(576, 192, 96, 128, 96, 128, "avg", 128)
        self.inception_4c = Inception(576, 160, 128, 160, 128, 160, "avg", 128)
        self.inception_4d = Inception(608, 96, 128, 192, 160, 192, "avg", 128)
        self.inception_4e = Inception(608, 0, 128, 192, 192, 256, "max", None, stride=2)
        self.inception_5a = Inception(1056, 352, 192, 320, 160, 224, "avg", 128)
        self.inception_5b = Inception(1024, 352, 192, 320, 192, 224, "max", 128)

        self.avgpool = nn.AvgPool2d(7, stride=1)
        self.fc = nn.Linear(1024, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool1(self.conv1(x))
        x = self.pool2(self.conv2(self.conv2_reduce(x)))
        x = self.inception_3c(self.inception_3b(self.inception_3a(x)))
        x = self.inception_4b(self.inception_4a(x))
        x = self.inception_4e(self.inception_4d(self.inception_4c(x)))
        x = self.inception_5b(self.inception_5a(x))
        x = torch.flatten(self.avgpool(x), 1)
        return F.softmax(self.fc(x), dim=1)


def bn_inception() -> nn.Module:
    """Faithful to Figure 5 (filters, pools inside the modules, stride-2 modules 3c and 4e, 7×7/1 average pool)
    with the appendix's separable conv1 and 1000 classes (Sec. 4.2)."""
    return BNInception()


def bn_inception_max_pool_4a() -> nn.Module:
    """Departure: inception (4a) pools its fourth branch by max where Figure 5's "Pool +proj" prints "avg + 128"
    (a copy of 3c's and 4e's max pool left in place); every filter count and size stays as printed."""
    return BNInception(pool_4a="max")
