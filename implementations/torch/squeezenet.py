"""SqueezeNet in PyTorch (Iandola et al., arXiv 1602.07360v4, Table 1, p. 6, Sec. 3 and 6, Figure 2).

Module names follow `implementations.specs.squeezenet` and match the Keras builder: conv1.conv, maxpool1,
fire2.squeeze.conv, fire2.expand.branch2.conv, fire2.expand.concat, fire3.add, conv10.conv, avgpool10.
`input_size` (Table 1's 224 by default) is accepted for the common builder interface; avgpool10 is global, so
the network takes any side its strides leave ≥ 1×1.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from implementations.specs.squeezenet import (
    CONV10,
    DROPOUT,
    LAYERS,
    PCT_3X3,
    SQUEEZE_RATIO,
    Conv,
    Fire,
    bypass_of,
    fire_widths,
)
from implementations.torch.blocks import Add, Concat


def _conv(cin: int, filters: int, kernel: int, stride: int = 1, padding: int = 0) -> nn.Sequential:
    """A convolution followed by ReLU; explicit zero padding first where it pads."""
    layers: list[tuple[str, nn.Module]] = []
    if padding:
        layers.append(("pad", nn.ZeroPad2d(padding)))
    layers += [("conv", nn.Conv2d(cin, filters, kernel, stride)), ("relu", nn.ReLU())]
    return nn.Sequential(OrderedDict(layers))


class Expand(nn.Module):
    """The expand layer (Sec. 3.2): e1x1 1x1 filters and e3x3 3x3 filters (zero-padded by 1), concatenated."""

    def __init__(self, cin: int, expand1x1: int, expand3x3: int) -> None:
        super().__init__()
        self.branch1 = _conv(cin, expand1x1, 1)
        self.branch2 = _conv(cin, expand3x3, 3, padding=1)
        self.concat = Concat()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.concat(self.branch1(x), self.branch2(x))


class FireModule(nn.Module):
    """A Fire module (Sec. 3.2, Figure 1): squeeze, then expand; with a bypass (Sec. 6), its input added."""

    def __init__(self, cin: int, spec: Fire, squeeze_ratio: float, pct3x3: float, bypass: str) -> None:
        super().__init__()
        widths = fire_widths(spec.index, squeeze_ratio, pct3x3)
        self.squeeze = _conv(cin, widths.squeeze, 1)
        self.expand = Expand(widths.squeeze, widths.expand1x1, widths.expand3x3)
        self.bypass = bypass_of(spec.name, bypass)
        if self.bypass == "simple" and cin != widths.out_channels:
            raise ValueError(f"{spec.name}: a simple bypass needs as many input as output channels (Sec. 6)")
        if self.bypass == "complex":
            self.shortcut = nn.Sequential(OrderedDict(conv=nn.Conv2d(cin, widths.out_channels, 1)))
        if self.bypass is not None:
            self.add = Add()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.expand(self.squeeze(x))
        if self.bypass == "simple":
            return self.add(y, x)
        if self.bypass == "complex":
            return self.add(y, self.shortcut(x))
        return y


class SqueezeNet(nn.Module):
    """Table 1's network: conv1, maxpool1, fire2 ... fire9 with maxpool4 and maxpool8, dropout, conv10,
    avgpool10, softmax."""

    def __init__(
        self, *, num_classes: int, squeeze_ratio: float, pct3x3: float, bypass: str, input_channels: int = 3
    ) -> None:
        super().__init__()
        channels = input_channels
        self.order: list[str] = []
        for layer in LAYERS:
            module: nn.Module
            if isinstance(layer, Conv):
                module = _conv(channels, layer.filters, layer.kernel, layer.stride, layer.padding)
                channels = layer.filters
            elif isinstance(layer, Fire):
                module = FireModule(channels, layer, squeeze_ratio, pct3x3, bypass)
                channels = fire_widths(layer.index, squeeze_ratio, pct3x3).out_channels
            else:
                module = nn.MaxPool2d(layer.kernel, layer.stride)
            self.add_module(layer.name, module)
            self.order.append(layer.name)
        self.dropout = nn.Dropout(DROPOUT)
        self.conv10 = _conv(channels, num_classes, CONV10.kernel, CONV10.stride)
        self.avgpool10 = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.softmax = nn.Softmax(dim=1)
        self.order += ["dropout", "conv10", "avgpool10", "flatten", "softmax"]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for name in self.order:
            x = getattr(self, name)(x)
        return x


def squeezenet(
    *,
    input_size: int = 224,
    input_channels: int = 3,
    num_classes: int = 1000,
    squeeze_ratio: float = SQUEEZE_RATIO,
    pct3x3: float = PCT_3X3,
    bypass: str = "none",
) -> SqueezeNet:
    """SqueezeNet, Table 1 (p. 6); `squeeze_ratio` is Sec. 5.2's SR, `pct3x3` Sec. 5.3's share of 3x3 expand
    filters, `bypass` one of Sec. 6's 'none', 'simple' or 'complex' (Figure 2, left, middle, right)."""
    return SqueezeNet(
        num_classes=num_classes,
        squeeze_ratio=squeeze_ratio,
        pct3x3=pct3x3,
        bypass=bypass,
        input_channels=input_channels,
    )


def squeezenet_simple_bypass(
    *,
    input_size: int = 224,
    input_channels: int = 3,
    num_classes: int = 1000,
    squeeze_ratio: float = SQUEEZE_RATIO,
    pct3x3: float = PCT_3X3,
) -> SqueezeNet:
    """SqueezeNet with simple bypass (Sec. 6, p. 9; Figure 2, middle)."""
    return squeezenet(
        input_size=input_size,
        input_channels=input_channels,
        num_classes=num_classes,
        squeeze_ratio=squeeze_ratio,
        pct3x3=pct3x3,
        bypass="simple",
    )


def squeezenet_complex_bypass(
    *,
    input_size: int = 224,
    input_channels: int = 3,
    num_classes: int = 1000,
    squeeze_ratio: float = SQUEEZE_RATIO,
    pct3x3: float = PCT_3X3,
) -> SqueezeNet:
    """SqueezeNet with complex bypass (Sec. 6, p. 9; Figure 2, right)."""
    return squeezenet(
        input_size=input_size,
        input_channels=input_channels,
        num_classes=num_classes,
        squeeze_ratio=squeeze_ratio,
        pct3x3=pct3x3,
        bypass="complex",
    )
