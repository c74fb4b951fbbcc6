"""ResNet-50 (He et al. 2016, Table 1) as PyTorch repositories write it: a `Bottleneck` with a `downsample`
Sequential run after the main path, stages in `nn.Sequential` (`layer1.0.conv1`), in-place ReLUs, a functional
flatten, and logits out (the softmax of Table 1's last row is left to the loss, as PyTorch classifiers do). The
stride of a downsampling block sits on its first 1×1 convolution, as the paper has it."""

from __future__ import annotations

import torch
from torch import nn


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, stride_on_3x3: bool = False) -> None:
        super().__init__()
        first, second = (1, stride) if stride_on_3x3 else (stride, 1)
        self.conv1 = nn.Conv2d(inplanes, planes, 1, stride=first, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=second, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or inplanes != planes * 4:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes * 4, 1, stride=stride, bias=False), nn.BatchNorm2d(planes * 4)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class ResNet(nn.Module):
    def __init__(self, layers: list[int], num_classes: int = 1000, stride_on_3x3: bool = False) -> None:
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, layers[0], 1, stride_on_3x3)
        self.layer2 = self._make_layer(128, layers[1], 2, stride_on_3x3)
        self.layer3 = self._make_layer(256, layers[2], 2, stride_on_3x3)
        self.layer4 = self._make_layer(512, layers[3], 2, stride_on_3x3)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(2048, num_classes)

    def _make_layer(self, planes: int, blocks: int, stride: int, stride_on_3x3: bool) -> nn.Sequential:
        layers = [Bottleneck(self.inplanes, planes, stride, stride_on_3x3)]
        self.inplanes = planes * 4
        layers += [Bottleneck(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)  # logits: the softmax is the loss's (nn.CrossEntropyLoss)


def resnet50() -> nn.Module:
    """Faithful to Table 1's 50-layer column."""
    return ResNet([3, 4, 6, 3])


def resnet50_stride_on_3x3() -> nn.Module:
    """Departure: each downsampling block strides on its 3×3, not its first 1×1 (the "v1.5" change), so the first
    1×1 runs at twice the resolution: Table 1's 3.8×10^9 FLOPs becomes 4.1×10^9."""
    return ResNet([3, 4, 6, 3], stride_on_3x3=True)
