"""DenseNet in PyTorch (Huang et al., arXiv 1608.06993v5, Table 1, p. 4, and Sec. 3, pp. 3-4).

Module names follow `implementations.specs.densenet` and match the Keras builders: conv1.conv, pool1.pool,
dense_block1.layer1.conv1, dense_block1.layer1.concat, transition1.conv, classification.fc.
`input_size` (224, Sec. 3's ImageNet inputs; 32 for the CIFAR networks) is accepted for the common builder
interface; the classification pool is global, so the network takes any side its strides leave ≥ 1×1.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from implementations.specs.densenet import (
    BN_EPSILON,
    BOTTLENECK_WIDTH,
    CIFAR_CLASSES,
    CIFAR_DEPTH,
    CIFAR_GROWTH_RATE,
    CIFAR_KERNEL,
    COMPRESSION,
    GROWTH_RATE,
    POOL_KERNEL,
    POOL_STRIDE,
    STEM_KERNEL,
    STEM_STRIDE,
    STEM_WIDTH,
    TRANSITION_POOL,
    DenseNetSpec,
    check_options,
    cifar_spec,
    cifar_stem_width,
    spec_for,
    transition_channels,
)
from implementations.torch.blocks import Concat


def _bn_relu_conv(suffix: str, cin: int, cout: int, kernel: int, stride: int = 1) -> list[tuple[str, nn.Module]]:
    """BN-ReLU-Conv (Table 1 caption, p. 4), the convolution zero-padded explicitly when strided."""
    layers: list[tuple[str, nn.Module]] = [
        (f"norm{suffix}", nn.BatchNorm2d(cin, eps=BN_EPSILON)),
        (f"relu{suffix}", nn.ReLU()),
    ]
    padding = kernel // 2
    if stride > 1:
        layers.append((f"pad{suffix}", nn.ZeroPad2d(padding)))
        padding = 0
    layers.append((f"conv{suffix}", nn.Conv2d(cin, cout, kernel, stride, padding, bias=False)))
    return layers


class DenseLayer(nn.Module):
    """H_l (Sec. 3, p. 3): BN-ReLU-Conv(1×1, 4k)-BN-ReLU-Conv(3×3, k) with the bottleneck, BN-ReLU-Conv(3×3, k)
    without; its k feature-maps are concatenated after its input."""

    def __init__(self, cin: int, growth_rate: int, bottleneck: bool) -> None:
        super().__init__()
        layers: list[tuple[str, nn.Module]] = []
        width = cin
        if bottleneck:
            width = BOTTLENECK_WIDTH * growth_rate
            layers += _bn_relu_conv("1", cin, width, 1)
        layers += _bn_relu_conv("2", width, growth_rate, 3)
        self.main = [name for name, _ in layers]
        for name, module in layers:
            self.add_module(name, module)
        self.concat = Concat()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x
        for name in self.main:
            y = getattr(self, name)(y)
        return self.concat(x, y)


class DenseNet(nn.Module):
    """Table 1's network: conv1, pool1, four dense blocks with transition layers between them, classification;
    with `cifar`, Table 2's: a plain 3×3 conv1 and three dense blocks."""

    def __init__(
        self,
        spec: DenseNetSpec,
        *,
        growth_rate: int,
        compression: float,
        bottleneck: bool,
        num_classes: int,
        cifar: bool = False,
        input_channels: int = 3,
    ) -> None:
        super().__init__()
        check_options(growth_rate, compression)
        if cifar:
            channels = cifar_stem_width(growth_rate, bottleneck, compression)
            conv = nn.Conv2d(input_channels, channels, CIFAR_KERNEL, padding=CIFAR_KERNEL // 2, bias=False)
            self.conv1 = nn.Sequential(OrderedDict(conv=conv))
            self.order = ["conv1"]
        else:
            channels = STEM_WIDTH * growth_rate
            self.conv1 = nn.Sequential(
                OrderedDict(_bn_relu_conv("", input_channels, channels, STEM_KERNEL, STEM_STRIDE))
            )
            self.pool1 = nn.Sequential(
                OrderedDict(pad=nn.ZeroPad2d(POOL_KERNEL // 2), pool=nn.MaxPool2d(POOL_KERNEL, POOL_STRIDE))
            )
            self.order = ["conv1", "pool1"]
        for index, count in enumerate(spec.blocks, start=1):
            layers = []
            for number in range(1, count + 1):
                layers.append((f"layer{number}", DenseLayer(channels, growth_rate, bottleneck)))
                channels += growth_rate
            self.add_module(f"dense_block{index}", nn.Sequential(OrderedDict(layers)))
            self.order.append(f"dense_block{index}")
            if index < len(spec.blocks):
                out = transition_channels(channels, compression)
                transition = [*_bn_relu_conv("", channels, out, 1), ("pool", nn.AvgPool2d(TRANSITION_POOL))]
                self.add_module(f"transition{index}", nn.Sequential(OrderedDict(transition)))
                self.order.append(f"transition{index}")
                channels = out
        self.classification = nn.Sequential(
            OrderedDict(
                pool=nn.AdaptiveAvgPool2d(1),
                flatten=nn.Flatten(),
                fc=nn.Linear(channels, num_classes),
                softmax=nn.Softmax(dim=1),
            )
        )
        self.order.append("classification")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for name in self.order:
            x = getattr(self, name)(x)
        return x


def _densenet(
    depth: int, input_channels: int, growth_rate: int, compression: float, bottleneck: bool, num_classes: int
) -> DenseNet:
    return DenseNet(
        spec_for(depth),
        growth_rate=growth_rate,
        compression=compression,
        bottleneck=bottleneck,
        num_classes=num_classes,
        input_channels=input_channels,
    )


def densenet121(
    *,
    input_size: int = 224,
    input_channels: int = 3,
    num_classes: int = 1000,
    growth_rate: int = GROWTH_RATE,
    compression: float = COMPRESSION,
    bottleneck: bool = True,
) -> DenseNet:
    """DenseNet-121, Table 1 (p. 4), DenseNet-121 column."""
    return _densenet(121, input_channels, growth_rate, compression, bottleneck, num_classes)


def densenet169(
    *,
    input_size: int = 224,
    input_channels: int = 3,
    num_classes: int = 1000,
    growth_rate: int = GROWTH_RATE,
    compression: float = COMPRESSION,
    bottleneck: bool = True,
) -> DenseNet:
    """DenseNet-169, Table 1 (p. 4), DenseNet-169 column."""
    return _densenet(169, input_channels, growth_rate, compression, bottleneck, num_classes)


def densenet201(
    *,
    input_size: int = 224,
    input_channels: int = 3,
    num_classes: int = 1000,
    growth_rate: int = GROWTH_RATE,
    compression: float = COMPRESSION,
    bottleneck: bool = True,
) -> DenseNet:
    """DenseNet-201, Table 1 (p. 4), DenseNet-201 column."""
    return _densenet(201, input_channels, growth_rate, compression, bottleneck, num_classes)


def densenet264(
    *,
    input_size: int = 224,
    input_channels: int = 3,
    num_classes: int = 1000,
    growth_rate: int = GROWTH_RATE,
    compression: float = COMPRESSION,
    bottleneck: bool = True,
) -> DenseNet:
    """DenseNet-264, Table 1 (p. 4), DenseNet-264 column."""
    return _densenet(264, input_channels, growth_rate, compression, bottleneck, num_classes)


def densenet_cifar(
    *,
    input_size: int = 32,
    input_channels: int = 3,
    depth: int = CIFAR_DEPTH,
    growth_rate: int = CIFAR_GROWTH_RATE,
    bottleneck: bool = False,
    compression: float = 1.0,
    num_classes: int = CIFAR_CLASSES,
) -> DenseNet:
    """Table 2's CIFAR DenseNets (p. 5; Sec. 3, Implementation Details, p. 4) of depth L and growth rate k;
    DenseNet-BC with the bottleneck and compression 0.5."""
    return DenseNet(
        cifar_spec(depth, bottleneck),
        growth_rate=growth_rate,
        compression=compression,
        bottleneck=bottleneck,
        num_classes=num_classes,
        cifar=True,
        input_channels=input_channels,
    )
