"""EfficientNet-B0 ... B7 in PyTorch (Tan & Le, arXiv 1905.11946v3, Table 1, p. 5, and Eq. 3).

Module names follow `implementations.specs.efficientnet` and match the Keras builder:
stage1.layer1.conv, stage3.layer1.depthwise.conv, stage3.layer2.se.scale, stage9.layer1.fc. The model
takes any input size: the resolution coefficient is the size it is called at (`SCALINGS[...].resolution`, each
builder's default `input_size`, which is accepted for the common builder interface and sizes no layer).
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from implementations.specs.efficientnet import (
    BN_EPSILON,
    BN_MOMENTUM,
    DROP_CONNECT_RATE,
    SCALINGS,
    STAGES,
    Layer,
    mbconv_layers,
    round_filters,
    scaling_for,
)
from implementations.specs.padding import same_padding
from implementations.torch.blocks import Add, Scale


class SamePad(nn.Module):
    """TensorFlow's 'same' zero padding before a strided k×k layer, worked out from the input's size."""

    paperverify_kind = "pad"

    def __init__(self, kernel: int, stride: int) -> None:
        super().__init__()
        self.kernel, self.stride = kernel, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        top, bottom = same_padding(x.shape[2], self.kernel, self.stride)
        left, right = same_padding(x.shape[3], self.kernel, self.stride)
        return nn.functional.pad(x, (left, right, top, bottom))


class DropConnect(nn.Module):
    """Stochastic depth on the residual branch (p. 6): in training, drop a sample's branch with probability
    `rate` and scale the kept ones by 1 / (1 − rate); the identity in inference."""

    paperverify_kind = "dropout"

    def __init__(self, rate: float) -> None:
        super().__init__()
        self.rate = rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.rate == 0:
            return x
        keep = 1 - self.rate
        mask = torch.floor(keep + torch.rand(x.shape[0], 1, 1, 1, dtype=x.dtype, device=x.device))
        return x / keep * mask


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPSILON, momentum=1 - BN_MOMENTUM)


def _conv_unit(
    cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1, swish: bool = True
) -> list[tuple[str, nn.Module]]:
    """[pad,] conv (no bias), BatchNorm[, swish]; 'same' padding."""
    layers: list[tuple[str, nn.Module]] = []
    if stride > 1:
        layers.append(("pad", SamePad(kernel, stride)))
    conv = nn.Conv2d(cin, cout, kernel, stride, kernel // 2 if stride == 1 else 0, groups=groups, bias=False)
    layers += [("conv", conv), ("bn", _bn(cout))]
    if swish:
        layers.append(("swish", nn.SiLU()))
    return layers


class SqueezeExcitation(nn.Module):
    """SE (Hu et al. 2018): global average pool, 1×1 to `squeezed` with swish, 1×1 back with a sigmoid, scale."""

    def __init__(self, channels: int, squeezed: int) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.reduce = nn.Conv2d(channels, squeezed, 1)
        self.swish = nn.SiLU()
        self.expand = nn.Conv2d(squeezed, channels, 1)
        self.sigmoid = nn.Sigmoid()
        self.scale = Scale()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights = self.sigmoid(self.expand(self.swish(self.reduce(self.pool(x)))))
        return self.scale(x, weights)


class MBConv(nn.Module):
    """One MBConv<e>, k<k>x<k> layer of Table 1: expansion, depthwise, SE, projection[, shortcut]."""

    def __init__(self, layer: Layer) -> None:
        super().__init__()
        stage, channels = layer.stage, layer.expanded
        if stage.expansion != 1:
            self.expand = nn.Sequential(OrderedDict(_conv_unit(layer.cin, channels, 1)))
        self.depthwise = nn.Sequential(
            OrderedDict(_conv_unit(channels, channels, stage.kernel, layer.stride, groups=channels))
        )
        self.se = SqueezeExcitation(channels, layer.squeezed)
        self.project = nn.Sequential(OrderedDict(_conv_unit(channels, layer.cout, 1, swish=False)))
        self.residual = layer.residual
        if self.residual:
            self.drop = DropConnect(layer.drop_rate)
            self.add = Add()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.expand(x) if hasattr(self, "expand") else x
        y = self.project(self.se(self.depthwise(y)))
        return self.add(self.drop(y), x) if self.residual else y


class EfficientNet(nn.Module):
    """Table 1's stages 1-9, widened by `width` and deepened by `depth` (Eq. 3)."""

    def __init__(
        self,
        width: float,
        depth: float,
        dropout: float,
        num_classes: int,
        drop_connect_rate: float,
        input_channels: int = 3,
    ) -> None:
        super().__init__()
        stem, head = STAGES[0], STAGES[-1]
        stem_channels = round_filters(stem.channels, width)
        stem_layers = _conv_unit(input_channels, stem_channels, stem.kernel, stem.stride)
        self.stage1 = nn.Sequential(OrderedDict(layer1=nn.Sequential(OrderedDict(stem_layers))))
        layers = mbconv_layers(width, depth, drop_connect_rate)
        for stage in STAGES[1:-1]:
            blocks = [(x.name.split(".")[1], MBConv(x)) for x in layers if x.stage == stage]
            self.add_module(stage.name, nn.Sequential(OrderedDict(blocks)))
        head_channels = round_filters(head.channels, width)
        top = _conv_unit(layers[-1].cout, head_channels, head.kernel)
        top += [
            ("pool", nn.AdaptiveAvgPool2d(1)),
            ("flatten", nn.Flatten()),
            ("dropout", nn.Dropout(dropout)),
            ("fc", nn.Linear(head_channels, num_classes)),
        ]
        self.stage9 = nn.Sequential(OrderedDict(layer1=nn.Sequential(OrderedDict(top))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for stage in STAGES:
            x = getattr(self, stage.name)(x)
        return x


def _efficientnet(
    variant: str,
    input_channels: int,
    num_classes: int,
    width_coefficient: float | None,
    depth_coefficient: float | None,
    dropout: float | None,
    drop_connect_rate: float,
) -> EfficientNet:
    scaling = scaling_for(variant)
    return EfficientNet(
        scaling.width if width_coefficient is None else width_coefficient,
        scaling.depth if depth_coefficient is None else depth_coefficient,
        scaling.dropout if dropout is None else dropout,
        num_classes,
        drop_connect_rate,
        input_channels,
    )


def efficientnet_b0(
    *,
    input_size: int = SCALINGS["efficientnet_b0"].resolution,
    input_channels: int = 3,
    num_classes: int = 1000,
    width_coefficient: float | None = None,
    depth_coefficient: float | None = None,
    dropout: float | None = None,
    drop_connect_rate: float = DROP_CONNECT_RATE,
) -> EfficientNet:
    """EfficientNet-B0, Table 1 (p. 5), at 224×224 by default. The coefficients default to the variant's."""
    return _efficientnet(
        "efficientnet_b0", input_channels, num_classes, width_coefficient, depth_coefficient, dropout, drop_connect_rate
    )


def efficientnet_b1(
    *,
    input_size: int = SCALINGS["efficientnet_b1"].resolution,
    input_channels: int = 3,
    num_classes: int = 1000,
    width_coefficient: float | None = None,
    depth_coefficient: float | None = None,
    dropout: float | None = None,
    drop_connect_rate: float = DROP_CONNECT_RATE,
) -> EfficientNet:
    """EfficientNet-B1, Table 2 (p. 6); the released code's width 1.0, depth 1.1, at 240×240 by default."""
    return _efficientnet(
        "efficientnet_b1", input_channels, num_classes, width_coefficient, depth_coefficient, dropout, drop_connect_rate
    )


def efficientnet_b2(
    *,
    input_size: int = SCALINGS["efficientnet_b2"].resolution,
    input_channels: int = 3,
    num_classes: int = 1000,
    width_coefficient: float | None = None,
    depth_coefficient: float | None = None,
    dropout: float | None = None,
    drop_connect_rate: float = DROP_CONNECT_RATE,
) -> EfficientNet:
    """EfficientNet-B2, Table 2 (p. 6); the released code's width 1.1, depth 1.2, at 260×260 by default."""
    return _efficientnet(
        "efficientnet_b2", input_channels, num_classes, width_coefficient, depth_coefficient, dropout, drop_connect_rate
    )


def efficientnet_b3(
    *,
    input_size: int = SCALINGS["efficientnet_b3"].resolution,
    input_channels: int = 3,
    num_classes: int = 1000,
    width_coefficient: float | None = None,
    depth_coefficient: float | None = None,
    dropout: float | None = None,
    drop_connect_rate: float = DROP_CONNECT_RATE,
) -> EfficientNet:
    """EfficientNet-B3, Table 2 (p. 6); the released code's width 1.2, depth 1.4, at 300×300 by default."""
    return _efficientnet(
        "efficientnet_b3", input_channels, num_classes, width_coefficient, depth_coefficient, dropout, drop_connect_rate
    )


def efficientnet_b4(
    *,
    input_size: int = SCALINGS["efficientnet_b4"].resolution,
    input_channels: int = 3,
    num_classes: int = 1000,
    width_coefficient: float | None = None,
    depth_coefficient: float | None = None,
    dropout: float | None = None,
    drop_connect_rate: float = DROP_CONNECT_RATE,
) -> EfficientNet:
    """EfficientNet-B4, Table 2 (p. 6); the released code's width 1.4, depth 1.8, at 380×380 by default."""
    return _efficientnet(
        "efficientnet_b4", input_channels, num_classes, width_coefficient, depth_coefficient, dropout, drop_connect_rate
    )


def efficientnet_b5(
    *,
    input_size: int = SCALINGS["efficientnet_b5"].resolution,
    input_channels: int = 3,
    num_classes: int = 1000,
    width_coefficient: float | None = None,
    depth_coefficient: float | None = None,
    dropout: float | None = None,
    drop_connect_rate: float = DROP_CONNECT_RATE,
) -> EfficientNet:
    """EfficientNet-B5, Table 2 (p. 6); the released code's width 1.6, depth 2.2, at 456×456 by default."""
    return _efficientnet(
        "efficientnet_b5", input_channels, num_classes, width_coefficient, depth_coefficient, dropout, drop_connect_rate
    )


def efficientnet_b6(
    *,
    input_size: int = SCALINGS["efficientnet_b6"].resolution,
    input_channels: int = 3,
    num_classes: int = 1000,
    width_coefficient: float | None = None,
    depth_coefficient: float | None = None,
    dropout: float | None = None,
    drop_connect_rate: float = DROP_CONNECT_RATE,
) -> EfficientNet:
    """EfficientNet-B6, Table 2 (p. 6); the released code's width 1.8, depth 2.6, at 528×528 by default."""
    return _efficientnet(
        "efficientnet_b6", input_channels, num_classes, width_coefficient, depth_coefficient, dropout, drop_connect_rate
    )


def efficientnet_b7(
    *,
    input_size: int = SCALINGS["efficientnet_b7"].resolution,
    input_channels: int = 3,
    num_classes: int = 1000,
    width_coefficient: float | None = None,
    depth_coefficient: float | None = None,
    dropout: float | None = None,
    drop_connect_rate: float = DROP_CONNECT_RATE,
) -> EfficientNet:
    """EfficientNet-B7, Table 2 (p. 6); the released code's width 2.0, depth 3.1, at 600×600 by default."""
    return _efficientnet(
        "efficientnet_b7", input_channels, num_classes, width_coefficient, depth_coefficient, dropout, drop_connect_rate
    )
