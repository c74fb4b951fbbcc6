"""ResNet and its plain counterpart in PyTorch (He et al., arXiv 1512.03385v1, Table 1 and Sec. 3.3).

Module names follow the paper and match the Keras builders: conv1, conv2_x.maxpool, conv3_x.conv3_1.conv2,
avgpool, fc. Stride-2 convolutions and the max pool are preceded by explicit zero padding so that both
frameworks pad the same way. `input_size` (224, Sec. 3.4's crop; 32 for CIFAR-10, Sec. 4.2) is accepted for
the common builder interface; the average pool is global, so the network takes any side its strides leave ≥ 1×1.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from implementations.specs.resnet import BN_EPSILON, ResNetSpec, cifar_spec, needs_projection, spec_for
from implementations.torch.blocks import Add, ChannelPad, conv_bn_layers


class Block(nn.Module):
    """A building block (Fig. 5): the stacked convolutions of one Table 1 bracket, plus the shortcut."""

    def __init__(self, convs, cin: int, stride: int, residual: bool, shortcut: str) -> None:
        super().__init__()
        self.main: list[str] = []
        channels = cin
        for index, conv in enumerate(convs, start=1):
            conv_stride = stride if index == 1 else 1  # see specs.resnet: stride on the first convolution
            for name, layer in conv_bn_layers(
                str(index), channels, conv.filters, conv.kernel, conv_stride, epsilon=BN_EPSILON
            ):
                self.add_module(name, layer)
                self.main.append(name)
            if index < len(convs):
                self.add_module(f"relu{index}", nn.ReLU())
                self.main.append(f"relu{index}")
            channels = conv.filters
        self.residual = residual
        if residual:
            if needs_projection(shortcut, cin, channels, stride):
                projection = conv_bn_layers("", cin, channels, 1, stride, epsilon=BN_EPSILON)
                self.shortcut = nn.Sequential(OrderedDict(projection))
            elif stride != 1 or cin != channels:
                self.shortcut = nn.Sequential(
                    OrderedDict(subsample=nn.MaxPool2d(1, stride), pad=ChannelPad(channels - cin))
                )
            else:
                self.shortcut = nn.Identity()
            self.add = Add()
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x
        for name in self.main:
            y = getattr(self, name)(y)
        if self.residual:
            y = self.add(y, self.shortcut(x))
        return self.relu(y)


class ResNet(nn.Module):
    """Table 1's network: conv1, the max pool and conv2_x ... conv5_x, then average pool, fc, softmax (or a
    CIFAR-10 network of Sec. 4.2: conv1, conv2_x ... conv4_x, average pool, fc, softmax)."""

    def __init__(
        self, spec: ResNetSpec, *, residual: bool, shortcut: str, num_classes: int, input_channels: int = 3
    ) -> None:
        super().__init__()
        stem = conv_bn_layers(
            "", input_channels, spec.stem_filters, spec.stem_kernel, spec.stem_stride, epsilon=BN_EPSILON
        )
        self.conv1 = nn.Sequential(OrderedDict([*stem, ("relu", nn.ReLU())]))
        channels = spec.stem_filters
        self.stages = [stage.name for stage in spec.stages]
        for stage in spec.stages:
            layers: list[tuple[str, nn.Module]] = []
            if stage.index == 2 and spec.max_pool:  # Table 1 prints "3×3 max pool, stride 2" in the conv2_x row.
                layers.append(("maxpool", nn.Sequential(OrderedDict(pad=nn.ZeroPad2d(1), pool=nn.MaxPool2d(3, 2)))))
            for number in range(1, stage.blocks + 1):
                stride = stage.stride if number == 1 else 1
                layers.append((f"conv{stage.index}_{number}", Block(stage.block, channels, stride, residual, shortcut)))
                channels = stage.out_channels
            self.add_module(stage.name, nn.Sequential(OrderedDict(layers)))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(channels, num_classes)
        self.softmax = nn.Softmax(dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for name in ("conv1", *self.stages, "avgpool", "flatten", "fc", "softmax"):
            x = getattr(self, name)(x)
        return x


def _resnet(depth: int, residual: bool, shortcut: str, input_channels: int, num_classes: int) -> ResNet:
    return ResNet(
        spec_for(depth), residual=residual, shortcut=shortcut, num_classes=num_classes, input_channels=input_channels
    )


def resnet18(*, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000, shortcut: str = "B") -> ResNet:
    """ResNet-18, Table 1 18-layer column."""
    return _resnet(18, True, shortcut, input_channels, num_classes)


def resnet34(*, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000, shortcut: str = "B") -> ResNet:
    """ResNet-34, Table 1 34-layer column and Fig. 3 (right)."""
    return _resnet(34, True, shortcut, input_channels, num_classes)


def resnet50(*, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000, shortcut: str = "B") -> ResNet:
    """ResNet-50, Table 1 50-layer column."""
    return _resnet(50, True, shortcut, input_channels, num_classes)


def resnet101(
    *, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000, shortcut: str = "B"
) -> ResNet:
    """ResNet-101, Table 1 101-layer column."""
    return _resnet(101, True, shortcut, input_channels, num_classes)


def resnet152(
    *, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000, shortcut: str = "B"
) -> ResNet:
    """ResNet-152, Table 1 152-layer column."""
    return _resnet(152, True, shortcut, input_channels, num_classes)


def plain18(*, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000) -> ResNet:
    """The 18-layer plain network (Sec. 3.3): Table 1's 18-layer column without shortcuts."""
    return _resnet(18, False, "A", input_channels, num_classes)


def plain34(*, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000) -> ResNet:
    """The 34-layer plain network of Fig. 3 (middle): Table 1's 34-layer column without shortcuts."""
    return _resnet(34, False, "A", input_channels, num_classes)


def _cifar(depth: int, input_channels: int) -> ResNet:
    """Sec. 4.2 (p. 7): "we use identity shortcuts in all cases (i.e., option A)"; "The network ends with a global
    average pooling, a 10-way fully-connected layer, and softmax"."""
    return ResNet(cifar_spec(depth), residual=True, shortcut="A", num_classes=10, input_channels=input_channels)


def resnet20(*, input_size: int = 32, input_channels: int = 3) -> ResNet:
    """The 20-layer CIFAR-10 ResNet (n = 3), Sec. 4.2 and Table 6, p. 7."""
    return _cifar(20, input_channels)


def resnet32(*, input_size: int = 32, input_channels: int = 3) -> ResNet:
    """The 32-layer CIFAR-10 ResNet (n = 5), Sec. 4.2 and Table 6, p. 7."""
    return _cifar(32, input_channels)


def resnet44(*, input_size: int = 32, input_channels: int = 3) -> ResNet:
    """The 44-layer CIFAR-10 ResNet (n = 7), Sec. 4.2 and Table 6, p. 7."""
    return _cifar(44, input_channels)


def resnet56(*, input_size: int = 32, input_channels: int = 3) -> ResNet:
    """The 56-layer CIFAR-10 ResNet (n = 9), Sec. 4.2 and Table 6, p. 7."""
    return _cifar(56, input_channels)


def resnet110(*, input_size: int = 32, input_channels: int = 3) -> ResNet:
    """The 110-layer CIFAR-10 ResNet (n = 18), Sec. 4.2 and Table 6, p. 7."""
    return _cifar(110, input_channels)


def resnet1202(*, input_size: int = 32, input_channels: int = 3) -> ResNet:
    """The 1202-layer CIFAR-10 ResNet (n = 200), Sec. 4.2 (p. 8) and Table 6 (p. 7)."""
    return _cifar(1202, input_channels)
