"""DenseNet-121 (Huang et al. 2017, Table 1 and Sec. 3) as torchvision-style repositories write it: a `_DenseLayer`
that `torch.cat`s the list of all earlier feature-maps before its BN-ReLU-Conv(1×1, 4k)-BN-ReLU-Conv(3×3, k), a
`_DenseBlock` (`nn.ModuleDict`) that keeps that list and concatenates it at its end, a `_Transition` Sequential
(BN-ReLU-Conv 1×1, 2×2 average pool), everything in one `features` Sequential with named entries
(`features.denseblock3.denselayer7.conv2`), then `F.adaptive_avg_pool2d`, `torch.flatten`, a `classifier` and a
functional softmax. Unlike torchvision, the stem follows Table 1's caption, "each 'conv' layer shown in the table
corresponds the sequence BN-ReLU-Conv", for the 7×7 convolution too (norm0, relu0, conv0, pool0), and no
BatchNorm-ReLU follows the last dense block, which Table 1 does not show. Convolutions carry no bias."""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn


class _DenseLayer(nn.Module):
    def __init__(self, num_input_features: int, growth_rate: int, bn_size: int) -> None:
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, kernel_size=1, stride=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, stride=1, padding=1, bias=False)

    def forward(self, inputs: list[torch.Tensor]) -> torch.Tensor:
        concated_features = torch.cat(inputs, 1)
        bottleneck_output = self.conv1(self.relu1(self.norm1(concated_features)))
        return self.conv2(self.relu2(self.norm2(bottleneck_output)))


class _DenseBlock(nn.ModuleDict):
    def __init__(self, num_layers: int, num_input_features: int, bn_size: int, growth_rate: int) -> None:
        super().__init__()
        for i in range(num_layers):
            layer = _DenseLayer(num_input_features + i * growth_rate, growth_rate, bn_size)
            self.add_module(f"denselayer{i + 1}", layer)

    def forward(self, init_features: torch.Tensor) -> torch.Tensor:
        features = [init_features]
        for _name, layer in self.items():
            new_features = layer(features)
            features.append(new_features)
        return torch.cat(features, 1)


class _Transition(nn.Sequential):
    def __init__(self, num_input_features: int, num_output_features: int) -> None:
        super().__init__()
        self.add_module("norm", nn.BatchNorm2d(num_input_features))
        self.add_module("relu", nn.ReLU(inplace=True))
        self.add_module("conv", nn.Conv2d(num_input_features, num_output_features, kernel_size=1, bias=False))
        self.add_module("pool", nn.AvgPool2d(kernel_size=2, stride=2))


class DenseNet(nn.Module):
    def __init__(
        self,
        growth_rate: int = 32,
        block_config: tuple[int, int, int, int] = (6, 12, 24, 16),
        num_init_features: int = 64,
        bn_size: int = 4,
        num_classes: int = 1000,
        stem_pool_kernel: int = 3,
    ) -> None:
        super().__init__()
        self.features = nn.Sequential(
            OrderedDict(
                [
                    ("norm0", nn.BatchNorm2d(3)),
                    ("relu0", nn.ReLU(inplace=True)),
                    ("conv0", nn.Conv2d(3, num_init_features, kernel_size=7, stride=2, padding=3, bias=False)),
                    (
                        "pool0",
                        nn.MaxPool2d(kernel_size=stem_pool_kernel, stride=2, padding=(stem_pool_kernel - 1) // 2),
                    ),
                ]
            )
        )
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            block = _DenseBlock(num_layers, num_features, bn_size, growth_rate)
            self.features.add_module(f"denseblock{i + 1}", block)
            num_features = num_features + num_layers * growth_rate
            if i != len(block_config) - 1:
                trans = _Transition(num_features, num_features // 2)
                self.features.add_module(f"transition{i + 1}", trans)
                num_features = num_features // 2
        self.classifier = nn.Linear(num_features, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.features(x)
        out = F.adaptive_avg_pool2d(features, (1, 1))
        out = torch.flatten(out, 1)
        out = self.classifier(out)
        return F.softmax(out, dim=1)


def densenet121() -> nn.Module:
    """Faithful to Table 1's DenseNet-121 column with k = 32: 7×7 conv stride 2 (112×112, 2k = 64 filters), 3×3
    max pool stride 2 (56×56), dense blocks of 6, 12, 24, 16 bottleneck layers ([1×1 conv of 4k; 3×3 conv of k]),
    transitions of a 1×1 conv halving the feature-maps (θ = 0.5) and a 2×2 average pool stride 2, a global
    average pool, a 1000-d fully-connected layer and softmax."""
    return DenseNet()


def densenet121_2x2_stem_pool() -> nn.Module:
    """Departure: the stem's max pool is 2×2 (stride 2, no padding) where Table 1's Pooling row prints a 3×3 max
    pool, stride 2: that row's structure no longer holds; its 56×56 output and every count are unchanged."""
    return DenseNet(stem_pool_kernel=2)
