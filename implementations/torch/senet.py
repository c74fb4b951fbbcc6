"""SE-ResNet and SE-ResNeXt in PyTorch (Hu et al., arXiv 1709.01507v4, Table 1, p. 5; Fig. 3, p. 4).

Module names follow ResNet's and match the Keras builders; each block's SE module is `<block>.se` with
`squeeze`, `flatten`, `fc1`, `relu`, `fc2`, `sigmoid` and `scale` (`conv4_x.conv4_2.se.fc1`). `input_size`
(224, Sec. 5.1's crops) is accepted for the common builder interface; the average pools are global, so the
network takes any side its strides leave ≥ 1×1.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from implementations.specs.resnet import BN_EPSILON, ResNetSpec, needs_projection
from implementations.specs.senet import (
    ALL_STAGES,
    REDUCTION,
    RESNET_STRIDE_CONV,
    RESNEXT50,
    RESNEXT_STRIDE_CONV,
    SE_BIAS,
    resnet_spec,
    se_stage_indices,
    se_width,
)
from implementations.torch.blocks import Add, ChannelPad, Scale, conv_bn_layers


class SqueezeExcitation(nn.Module):
    """The SE block (Sec. 3.1-3.2, Eqs. 2-4): global average pool, fc C/r, ReLU, fc C, sigmoid, scale."""

    def __init__(self, channels: int, reduction: int, bias: bool) -> None:
        super().__init__()
        width = se_width(channels, reduction)
        self.squeeze = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(channels, width, bias=bias)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(width, channels, bias=bias)
        self.sigmoid = nn.Sigmoid()
        self.scale = Scale()

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        s = self.sigmoid(self.fc2(self.relu(self.fc1(self.flatten(self.squeeze(u))))))
        return self.scale(u, s)


class SEBlock(nn.Module):
    """A residual block (one Table 1 bracket) with its SE module before the addition (Fig. 3, right)."""

    def __init__(
        self, convs, cin: int, stride: int, stride_conv: int, shortcut: str, se: SqueezeExcitation | None
    ) -> None:
        super().__init__()
        self.main: list[str] = []
        channels = cin
        for index, conv in enumerate(convs, start=1):
            conv_stride = stride if index == stride_conv else 1
            for name, layer in conv_bn_layers(
                str(index), channels, conv.filters, conv.kernel, conv_stride, conv.groups, epsilon=BN_EPSILON
            ):
                self.add_module(name, layer)
                self.main.append(name)
            if index < len(convs):
                self.add_module(f"relu{index}", nn.ReLU())
                self.main.append(f"relu{index}")
            channels = conv.filters
        if se is not None:
            self.se = se
            self.main.append("se")
        if needs_projection(shortcut, cin, channels, stride):
            self.shortcut = nn.Sequential(OrderedDict(conv_bn_layers("", cin, channels, 1, stride, epsilon=BN_EPSILON)))
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
        return self.relu(self.add(y, self.shortcut(x)))


class SENet(nn.Module):
    """Table 1's network with SE blocks: conv1, max pool, conv2_x ... conv5_x, average pool, fc, softmax."""

    def __init__(
        self,
        spec: ResNetSpec,
        *,
        stride_conv: int,
        reduction: int,
        se_bias: bool,
        se_stages: str,
        shortcut: str,
        num_classes: int,
        input_channels: int = 3,
    ) -> None:
        super().__init__()
        stages = se_stage_indices(se_stages)
        self.conv1 = nn.Sequential(
            OrderedDict(
                [
                    *conv_bn_layers("", input_channels, spec.stem_filters, spec.stem_kernel, 2, epsilon=BN_EPSILON),
                    ("relu", nn.ReLU()),
                ]
            )
        )
        channels = spec.stem_filters
        for stage in spec.stages:
            layers: list[tuple[str, nn.Module]] = []
            if stage.index == 2:  # Table 1 prints "max pool, 3×3, stride 2" above conv2_x.
                layers.append(("maxpool", nn.Sequential(OrderedDict(pad=nn.ZeroPad2d(1), pool=nn.MaxPool2d(3, 2)))))
            for number in range(1, stage.blocks + 1):
                stride = stage.stride if number == 1 else 1
                se = SqueezeExcitation(stage.out_channels, reduction, se_bias) if stage.index in stages else None
                block = SEBlock(stage.block, channels, stride, stride_conv, shortcut, se)
                layers.append((f"conv{stage.index}_{number}", block))
                channels = stage.out_channels
            self.add_module(stage.name, nn.Sequential(OrderedDict(layers)))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(channels, num_classes)
        self.softmax = nn.Softmax(dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for name in ("conv1", "conv2_x", "conv3_x", "conv4_x", "conv5_x", "avgpool", "flatten", "fc", "softmax"):
            x = getattr(self, name)(x)
        return x


def _se_resnet(depth: int, **options) -> SENet:
    return SENet(resnet_spec(depth), stride_conv=RESNET_STRIDE_CONV, **options)


def se_resnet50(
    *,
    input_size: int = 224,
    input_channels: int = 3,
    num_classes: int = 1000,
    reduction: int = REDUCTION,
    se_bias: bool = SE_BIAS,
    se_stages: str = ALL_STAGES,
    shortcut: str = "B",
) -> SENet:
    """SE-ResNet-50, Table 1 (p. 5), middle column."""
    return _se_resnet(
        50,
        reduction=reduction,
        se_bias=se_bias,
        se_stages=se_stages,
        shortcut=shortcut,
        num_classes=num_classes,
        input_channels=input_channels,
    )


def se_resnet101(
    *,
    input_size: int = 224,
    input_channels: int = 3,
    num_classes: int = 1000,
    reduction: int = REDUCTION,
    se_bias: bool = SE_BIAS,
    se_stages: str = ALL_STAGES,
    shortcut: str = "B",
) -> SENet:
    """SE-ResNet-101 (Table 2, p. 5): He et al.'s 101-layer stages with SE blocks as in Table 1."""
    return _se_resnet(
        101,
        reduction=reduction,
        se_bias=se_bias,
        se_stages=se_stages,
        shortcut=shortcut,
        num_classes=num_classes,
        input_channels=input_channels,
    )


def se_resnet152(
    *,
    input_size: int = 224,
    input_channels: int = 3,
    num_classes: int = 1000,
    reduction: int = REDUCTION,
    se_bias: bool = SE_BIAS,
    se_stages: str = ALL_STAGES,
    shortcut: str = "B",
) -> SENet:
    """SE-ResNet-152 (Table 2, p. 5): He et al.'s 152-layer stages with SE blocks as in Table 1."""
    return _se_resnet(
        152,
        reduction=reduction,
        se_bias=se_bias,
        se_stages=se_stages,
        shortcut=shortcut,
        num_classes=num_classes,
        input_channels=input_channels,
    )


def se_resnext50(
    *,
    input_size: int = 224,
    input_channels: int = 3,
    num_classes: int = 1000,
    reduction: int = REDUCTION,
    se_bias: bool = SE_BIAS,
    se_stages: str = ALL_STAGES,
    shortcut: str = "B",
) -> SENet:
    """SE-ResNeXt-50 (32×4d), Table 1 (p. 5), right column."""
    return SENet(
        RESNEXT50,
        stride_conv=RESNEXT_STRIDE_CONV,
        reduction=reduction,
        se_bias=se_bias,
        se_stages=se_stages,
        shortcut=shortcut,
        num_classes=num_classes,
        input_channels=input_channels,
    )
