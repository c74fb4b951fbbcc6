"""GoogLeNet in PyTorch (Szegedy et al., arXiv 1409.4842v1, Table 1, p. 6, and Figure 3, p. 7).

Module names follow `implementations.specs.googlenet` and match the Keras builder: conv1.conv,
pool1.pool, norm1, conv2.reduce.conv, inception_3a.branch2.conv.conv, inception_3a.concat, fc.
`input_size` (224, Sec. 5's receptive field) is accepted for the common builder interface; the average pool is
global, so the network takes any side its strides leave ≥ 1×1; with `aux_logits`, only 224 and its neighbours
(the auxiliary classifiers' fc reads a fixed 4×4 map; see the spec).
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from implementations.specs.googlenet import (
    AUX,
    DROPOUT,
    LAYERS,
    LRN,
    LRN_ALPHA,
    LRN_BETA,
    LRN_K,
    LRN_SIZE,
    Aux,
    Conv,
    Inception,
    MaxPool,
)
from implementations.torch.blocks import Concat


def _conv(cin: int, filters: int, kernel: int, stride: int, bias: bool) -> nn.Sequential:
    """A convolution followed by ReLU (Sec. 5, p. 6); a strided one is zero-padded explicitly first."""
    layers: list[tuple[str, nn.Module]] = []
    padding = kernel // 2
    if stride > 1:
        layers.append(("pad", nn.ZeroPad2d(padding)))
        padding = 0
    layers.append(("conv", nn.Conv2d(cin, filters, kernel, stride, padding, bias=bias)))
    layers.append(("relu", nn.ReLU()))
    return nn.Sequential(OrderedDict(layers))


def _max_pool(kernel: int, stride: int) -> nn.Module:
    """A max pool padded by kernel // 2 on each side (explicit zero padding when strided, see the spec)."""
    if stride == 1:
        return nn.MaxPool2d(kernel, 1, kernel // 2)
    return nn.Sequential(OrderedDict(pad=nn.ZeroPad2d(kernel // 2), pool=nn.MaxPool2d(kernel, stride)))


def _lrn() -> nn.LocalResponseNorm:
    # PyTorch divides alpha by size (it averages the squares); AlexNet's alpha multiplies their sum.
    return nn.LocalResponseNorm(LRN_SIZE, alpha=LRN_ALPHA * LRN_SIZE, beta=LRN_BETA, k=LRN_K)


class InceptionModule(nn.Module):
    """An Inception module with dimension reductions (Figure 2(b), p. 5), filters from a Table 1 row."""

    def __init__(self, spec: Inception, cin: int, bias: bool) -> None:
        super().__init__()
        self.branch1 = _conv(cin, spec.n1x1, 1, 1, bias)
        self.branch2 = nn.Sequential(
            OrderedDict(
                reduce=_conv(cin, spec.n3x3_reduce, 1, 1, bias), conv=_conv(spec.n3x3_reduce, spec.n3x3, 3, 1, bias)
            )
        )
        self.branch3 = nn.Sequential(
            OrderedDict(
                reduce=_conv(cin, spec.n5x5_reduce, 1, 1, bias), conv=_conv(spec.n5x5_reduce, spec.n5x5, 5, 1, bias)
            )
        )
        self.branch4 = nn.Sequential(OrderedDict(pool=_max_pool(3, 1), proj=_conv(cin, spec.pool_proj, 1, 1, bias)))
        self.concat = Concat()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.concat(self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x))


class AuxClassifier(nn.Module):
    """An auxiliary classifier (Sec. 5, pp. 6 and 8)."""

    def __init__(self, spec: Aux, cin: int, num_classes: int, bias: bool) -> None:
        super().__init__()
        self.pool = nn.AvgPool2d(spec.pool_kernel, spec.pool_stride)
        self.proj = _conv(cin, spec.proj_filters, 1, 1, bias)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(spec.grid * spec.grid * spec.proj_filters, spec.fc_units, bias=bias)
        self.relu = nn.ReLU()
        self.dropout = nn.Dropout(spec.dropout)
        self.classifier = nn.Linear(spec.fc_units, num_classes, bias=bias)
        self.softmax = nn.Softmax(dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for module in self.children():
            x = module(x)
        return x


class GoogLeNet(nn.Module):
    """Table 1's network: conv1 ... inception_5b, then average pool, dropout (40%), linear, softmax."""

    def __init__(self, *, num_classes: int, aux_logits: bool, bias: bool, input_channels: int = 3) -> None:
        super().__init__()
        self.order: list[str] = []
        aux = {spec.after: spec for spec in AUX} if aux_logits else {}
        self.aux_after: dict[str, str] = {}
        channels = input_channels
        for layer in LAYERS:
            module: nn.Module
            if isinstance(layer, Conv):
                module = _conv(channels, layer.filters, layer.kernel, layer.stride, bias)
                channels = layer.filters
            elif isinstance(layer, MaxPool):
                module = _max_pool(layer.kernel, layer.stride)
            elif isinstance(layer, LRN):
                module = _lrn()
            else:
                module = InceptionModule(layer, channels, bias)
                channels = layer.out_channels
            parent, _, name = layer.name.rpartition(".")
            if parent:  # conv2.reduce, conv2.conv
                if not hasattr(self, parent):
                    self.add_module(parent, nn.Sequential())
                    self.order.append(parent)
                getattr(self, parent).add_module(name, module)
            else:
                self.add_module(name, module)
                self.order.append(name)
            if layer.name in aux:
                spec = aux[layer.name]
                self.add_module(spec.name, AuxClassifier(spec, channels, num_classes, bias))
                self.aux_after[layer.name] = spec.name
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(DROPOUT)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(channels, num_classes, bias=bias)
        self.softmax = nn.Softmax(dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, ...]:
        features = {}
        for name in self.order:
            x = getattr(self, name)(x)
            if name in self.aux_after:
                features[self.aux_after[name]] = x
        for name in ("avgpool", "dropout", "flatten", "fc", "softmax"):
            x = getattr(self, name)(x)
        # The auxiliary classifiers run after the main output, in the order of the Keras model's outputs.
        aux_outputs = [getattr(self, aux)(feature) for aux, feature in features.items()]
        return (x, *aux_outputs) if aux_outputs else x


def googlenet(
    *,
    input_size: int = 224,
    input_channels: int = 3,
    num_classes: int = 1000,
    aux_logits: bool = False,
    bias: bool = True,
) -> GoogLeNet:
    """GoogLeNet, Table 1 (p. 6); with `aux_logits`, also the two auxiliary classifiers of Sec. 5.

    In that case the forward pass returns (output, aux1 output, aux2 output).
    """
    return GoogLeNet(num_classes=num_classes, aux_logits=aux_logits, bias=bias, input_channels=input_channels)
