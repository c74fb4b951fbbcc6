"""VGG-16 (Simonyan & Zisserman 2015, Table 1, configuration D) as PyTorch repositories write it: a config list
turned into one `features` Sequential (`features.28`), in-place ReLUs, an adaptive average pool to 7×7 before a
functional flatten, a `classifier` Sequential with dropout, and a softmax module at the end."""

from __future__ import annotations

import torch
from torch import nn

# "M" is a 2×2 max pool with stride 2; a number is a 3×3 convolution with that many filters.
CFG_D: list[int | str] = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


def make_layers(cfg: list[int | str]) -> nn.Sequential:
    layers: list[nn.Module] = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers += [nn.MaxPool2d(kernel_size=2, stride=2)]
        else:
            layers += [nn.Conv2d(in_channels, int(v), kernel_size=3, padding=1), nn.ReLU(inplace=True)]
            in_channels = int(v)
    return nn.Sequential(*layers)


class VGG(nn.Module):
    def __init__(self, features: nn.Sequential, num_classes: int = 1000) -> None:
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=0.5),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=0.5),
            nn.Linear(4096, num_classes),
        )
        self.softmax = nn.Softmax(dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        x = self.classifier(x)
        return self.softmax(x)


def vgg16() -> nn.Module:
    """Faithful to Table 1's column D: 13 convolutions (3×3, padding 1) in five blocks of 64, 128, 256, 512, 512
    filters, each block closed by a 2×2 max pool, then FC-4096, FC-4096, FC-1000, soft-max (138 million
    parameters, Table 2)."""
    return VGG(make_layers(CFG_D))


def vgg16_narrow_conv4_2() -> nn.Module:
    """Departure: the second convolution of the fourth block has 256 filters where Table 1's D column prints
    conv3-512 (and the third takes 256 channels in): the conv4 block's structure and Table 2's 138 million
    parameters (now 136.0 million) no longer hold."""
    cfg = list(CFG_D)
    cfg[11] = 256
    return VGG(make_layers(cfg))
