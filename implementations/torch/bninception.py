"""BN-Inception in PyTorch (Ioffe & Szegedy, arXiv 1502.03167v3, Figure 5, p. 11, and the appendix, pp. 9-10).

Module names follow `implementations.specs.bninception` and match the Keras builder: conv1.depthwise,
pool1.pool, conv2.reduce.conv, inception_3a.branch3.conv2.bn, inception_3a.concat, fc. `input_size` (224,
Figure 4's resolution) is accepted for the common builder interface; the average pool is global, so the network
takes any side its strides leave ≥ 1×1.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from implementations.specs.bninception import (
    BN_EPSILON,
    LAYERS,
    MODULE_POOL,
    Conv,
    Inception,
    MaxPool,
    SeparableConv,
)
from implementations.torch.blocks import Concat


def _conv(cin: int, filters: int, kernel: int, stride: int = 1) -> nn.Sequential:
    """A convolution without bias, BatchNorm, ReLU (Sec. 3.2, p. 5); a strided one is zero-padded first."""
    layers: list[tuple[str, nn.Module]] = []
    padding = kernel // 2
    if stride > 1:
        layers.append(("pad", nn.ZeroPad2d(padding)))
        padding = 0
    layers.append(("conv", nn.Conv2d(cin, filters, kernel, stride, padding, bias=False)))
    layers.append(("bn", nn.BatchNorm2d(filters, eps=BN_EPSILON)))
    layers.append(("relu", nn.ReLU()))
    return nn.Sequential(OrderedDict(layers))


def _separable_conv(cin: int, spec: SeparableConv) -> nn.Sequential:
    """conv1 (p. 10): depthwise k×k with a depth multiplier, pointwise 1×1, then BatchNorm and ReLU."""
    depthwise = cin * spec.depth_multiplier
    return nn.Sequential(
        OrderedDict(
            pad=nn.ZeroPad2d(spec.kernel // 2),
            depthwise=nn.Conv2d(cin, depthwise, spec.kernel, spec.stride, groups=cin, bias=False),
            pointwise=nn.Conv2d(depthwise, spec.filters, 1, bias=False),
            bn=nn.BatchNorm2d(spec.filters, eps=BN_EPSILON),
            relu=nn.ReLU(),
        )
    )


def _max_pool(kernel: int, stride: int) -> nn.Module:
    """A max pool padded by kernel // 2 on each side (explicit zero padding when strided, see the spec)."""
    if stride == 1:
        return nn.MaxPool2d(kernel, 1, kernel // 2)
    return nn.Sequential(OrderedDict(pad=nn.ZeroPad2d(kernel // 2), pool=nn.MaxPool2d(kernel, stride)))


def _avg_pool(kernel: int) -> nn.AvgPool2d:
    """A stride-1 average pool padded by kernel // 2, the padding left out of the average (see the spec)."""
    return nn.AvgPool2d(kernel, 1, kernel // 2, count_include_pad=False)


class InceptionModule(nn.Module):
    """An Inception module of Figure 5 (p. 11): 1×1; 1×1 then 3×3; 1×1 then two 3×3; pool then 1×1 or nothing."""

    def __init__(self, spec: Inception, cin: int) -> None:
        super().__init__()
        stride = spec.stride
        if spec.n1x1:
            self.branch1 = _conv(cin, spec.n1x1, 1)
        self.branch2 = nn.Sequential(
            OrderedDict(reduce=_conv(cin, spec.n3x3_reduce, 1), conv=_conv(spec.n3x3_reduce, spec.n3x3, 3, stride))
        )
        self.branch3 = nn.Sequential(
            OrderedDict(
                reduce=_conv(cin, spec.double_reduce, 1),
                conv1=_conv(spec.double_reduce, spec.double_3x3, 3),
                conv2=_conv(spec.double_3x3, spec.double_3x3, 3, stride),
            )
        )
        pool = _max_pool(MODULE_POOL, stride) if spec.pool == "max" else _avg_pool(MODULE_POOL)
        branch4: list[tuple[str, nn.Module]] = [("pool", pool)]
        if spec.proj is not None:
            branch4.append(("proj", _conv(cin, spec.proj, 1)))
        self.branch4 = nn.Sequential(OrderedDict(branch4))
        self.concat = Concat()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branches = [self.branch1(x)] if hasattr(self, "branch1") else []
        return self.concat(*branches, self.branch2(x), self.branch3(x), self.branch4(x))


class BNInception(nn.Module):
    """Figure 5's network: conv1 ... inception_5b, then the global average pool, linear and softmax."""

    def __init__(self, *, num_classes: int, input_channels: int = 3) -> None:
        super().__init__()
        channels = input_channels
        for layer in LAYERS:
            module: nn.Module
            if isinstance(layer, SeparableConv):
                module = _separable_conv(channels, layer)
                channels = layer.filters
            elif isinstance(layer, Conv):
                module = _conv(channels, layer.filters, layer.kernel, layer.stride)
                channels = layer.filters
            elif isinstance(layer, MaxPool):
                module = _max_pool(layer.kernel, layer.stride)
            else:
                module = InceptionModule(layer, channels)
                channels = layer.out_channels(channels)
            parent, _, name = layer.name.rpartition(".")
            if parent:  # conv2.reduce, conv2.conv
                if not hasattr(self, parent):
                    self.add_module(parent, nn.Sequential())
                getattr(self, parent).add_module(name, module)
            else:
                self.add_module(name, module)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(channels, num_classes)
        self.softmax = nn.Softmax(dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for module in self.children():
            x = module(x)
        return x


def bn_inception(*, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000) -> BNInception:
    """BN-Inception, Figure 5 (p. 11), with Sec. 3.2's BatchNorm before every ReLU and 1000 classes (Sec. 4.2)."""
    return BNInception(num_classes=num_classes, input_channels=input_channels)
