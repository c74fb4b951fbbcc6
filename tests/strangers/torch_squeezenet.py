"""SqueezeNet v1.0 (Iandola et al. 2016, Table 1) as torchvision-like repositories write it: a `Fire` module whose
expand layer is `torch.cat` of `expand1x1` and `expand3x3` (padding 1), named ReLU modules in place, `features`
and `classifier` Sequentials (`features.3.expand3x3`), max pools in ceil mode, conv10 followed by a global
average pool, a functional flatten and softmax. Unlike torchvision, conv1 pads by 2, which Table 1's 111×111 at
224×224 needs."""

from __future__ import annotations

import torch
from torch import nn


class Fire(nn.Module):
    def __init__(self, inplanes: int, squeeze_planes: int, expand1x1_planes: int, expand3x3_planes: int) -> None:
        super().__init__()
        self.inplanes = inplanes
        self.squeeze = nn.Conv2d(inplanes, squeeze_planes, kernel_size=1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze_planes, expand1x1_planes, kernel_size=1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze_planes, expand3x3_planes, kernel_size=3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.squeeze_activation(self.squeeze(x))
        return torch.cat(
            [self.expand1x1_activation(self.expand1x1(x)), self.expand3x3_activation(self.expand3x3(x))], 1
        )


class SqueezeNet(nn.Module):
    def __init__(self, num_classes: int = 1000, fire6_squeeze: int = 48) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, kernel_size=7, stride=2, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
            Fire(96, 16, 64, 64),
            Fire(128, 16, 64, 64),
            Fire(128, 32, 128, 128),
            nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
            Fire(256, 32, 128, 128),
            Fire(256, fire6_squeeze, 192, 192),
            Fire(384, 48, 192, 192),
            Fire(384, 64, 256, 256),
            nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
            Fire(512, 64, 256, 256),
        )
        final_conv = nn.Conv2d(512, self.num_classes, kernel_size=1)
        self.classifier = nn.Sequential(
            nn.Dropout(p=0.5), final_conv, nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d((1, 1))
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = self.classifier(x)
        return torch.softmax(torch.flatten(x, 1), dim=1)


def squeezenet() -> nn.Module:
    """Faithful to Table 1: conv1 7×7/2 ×96 (111×111), maxpool1, fire2-fire4, maxpool4, fire5-fire8, maxpool8,
    fire9, dropout 50% (Sec. 3.3.1), conv10 1×1 ×1000, avgpool10; 1,248,424 parameters with biases."""
    return SqueezeNet()


def squeezenet_fire6_squeeze32() -> nn.Module:
    """Departure: fire6's squeeze layer has 32 filters where Table 1 prints s1x1 = 48 (SR = 0.125 of its 384
    expand filters, Sec. 5.1): fire6's s1x1 and its #parameter before pruning (104,880, now 70,048) no longer
    hold, nor the 1,248,424 total (now 1,213,592)."""
    return SqueezeNet(fire6_squeeze=32)
