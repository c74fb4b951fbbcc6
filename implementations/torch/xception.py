"""Xception in PyTorch (Chollet, arXiv 1610.02357v3, Figure 5 and Sec. 3).

Module names match the Keras builder (implementations/specs/xception.py). A separable convolution is a
depthwise convolution (`groups` = its channels, depth multiplier 1) followed directly by a 1×1 pointwise
convolution, then BatchNorm; the max pools pad as TensorFlow's 'same' with -inf (`SamePool`), which Keras'
`MaxPooling2D(padding="same")` computes, so both frameworks give the same values. `input_size` (Figure 5's
299) is accepted for the common builder interface; the average pool is global, so the network takes any side its
strides leave ≥ 1×1.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from implementations.specs.padding import same_padding
from implementations.specs.xception import (
    BN_EPSILON,
    ENTRY,
    EXIT,
    INPUT_SIZE,
    KERNEL,
    MIDDLE_REPEATS,
    POOL,
    STEM,
    Block,
    Head,
    head,
    middle_blocks,
)
from implementations.torch.blocks import Add


class SamePool(nn.MaxPool2d):
    """A k×k stride-s max pool with TensorFlow's 'same' padding: ⌈n/s⌉ outputs, padded with -inf."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        top, bottom = same_padding(x.shape[2], POOL, 2)
        left, right = same_padding(x.shape[3], POOL, 2)
        return super().forward(nn.functional.pad(x, (left, right, top, bottom), value=float("-inf")))


def _separable(cin: int, cout: int, relu: str | None) -> nn.Sequential:
    """ReLU (when `relu` is "before"), depthwise k×k, pointwise 1×1, BatchNorm, ReLU (when "after")."""
    layers: list[tuple[str, nn.Module]] = [("relu", nn.ReLU())] if relu == "before" else []
    layers += [
        ("depthwise", nn.Conv2d(cin, cin, KERNEL, padding=KERNEL // 2, groups=cin, bias=False)),
        ("pointwise", nn.Conv2d(cin, cout, 1, bias=False)),
        ("bn", nn.BatchNorm2d(cout, eps=BN_EPSILON)),
    ]
    if relu == "after":
        layers.append(("relu", nn.ReLU()))
    return nn.Sequential(OrderedDict(layers))


class XceptionBlock(nn.Module):
    """One module of Figure 5: its separable convolutions, then a max pool and a 1×1 shortcut when it
    downsamples, and the residual sum when it has one."""

    def __init__(self, block: Block, cin: int) -> None:
        super().__init__()
        channels = cin
        self.names: list[str] = []
        for index, filters in enumerate(block.filters, start=1):
            self.add_module(f"sepconv{index}", _separable(channels, filters, block.relu(index)))
            self.names.append(f"sepconv{index}")
            channels = filters
        if block.downsample:
            self.pool = SamePool(POOL, 2)
            self.names.append("pool")
        self.shortcut = (
            nn.Sequential(
                OrderedDict(
                    [
                        ("conv", nn.Conv2d(cin, channels, 1, stride=2, bias=False)),
                        ("bn", nn.BatchNorm2d(channels, eps=BN_EPSILON)),
                    ]
                )
            )
            if block.downsample
            else None
        )
        self.add = Add() if block.residual else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x
        for name in self.names:
            y = getattr(self, name)(y)
        if self.add is None:
            return y
        return self.add(y, x if self.shortcut is None else self.shortcut(x))


def _stem_conv(cin: int, cout: int, kernel: int, stride: int) -> nn.Sequential:
    """An unpadded convolution without bias, BatchNorm, ReLU (Figure 5's stem boxes and caption)."""
    return nn.Sequential(
        OrderedDict(
            [
                ("conv", nn.Conv2d(cin, cout, kernel, stride, bias=False)),
                ("bn", nn.BatchNorm2d(cout, eps=BN_EPSILON)),
                ("relu", nn.ReLU()),
            ]
        )
    )


class Xception(nn.Module):
    """Figure 5's network with `middle_repeats` middle-flow blocks."""

    def __init__(self, *, middle_repeats: int, top: Head, input_channels: int = 3) -> None:
        super().__init__()
        stem: list[tuple[str, nn.Module]] = []
        channels = input_channels
        for conv in STEM:
            stem.append((conv.name, _stem_conv(channels, conv.filters, conv.kernel, conv.stride)))
            channels = conv.filters
        flows = {"entry_flow": ENTRY, "middle_flow": middle_blocks(middle_repeats), "exit_flow": EXIT}
        for flow, blocks in flows.items():
            modules = [("stem", nn.Sequential(OrderedDict(stem)))] if flow == "entry_flow" else []
            for block in blocks:
                modules.append((block.name, XceptionBlock(block, channels)))
                channels = block.filters[-1]
            # With no middle block, the middle flow passes its input through (an empty Sequential would be a leaf).
            self.add_module(flow, nn.Sequential(OrderedDict(modules)) if modules else nn.Identity())
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.order = ["entry_flow", "middle_flow", "exit_flow", "avgpool", "flatten"]
        for index, units in enumerate(top.hidden, 1):
            fc = nn.Sequential(OrderedDict([("fc", nn.Linear(channels, units)), ("relu", nn.ReLU())]))
            self.add_module(f"hidden{index}", fc)
            self.order.append(f"hidden{index}")
            channels = units
        if top.dropout:
            self.dropout = nn.Dropout(top.dropout)
            self.order.append("dropout")
        self.fc = nn.Linear(channels, top.classes)
        self.softmax = nn.Softmax(dim=1)
        self.order += ["fc", "softmax"]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for name in self.order:
            x = getattr(self, name)(x)
        return x


def xception(
    *,
    input_size: int = INPUT_SIZE,
    input_channels: int = 3,
    middle_repeats: int = MIDDLE_REPEATS,
    num_classes: int | None = None,
    dropout: float | None = None,
    jft: bool = False,
) -> Xception:
    """Xception (Figure 5, p. 5) with `middle_repeats` middle-flow blocks (8 in the paper) and the ImageNet head
    (Sec. 4.3's dropout, 1000 classes) or, with `jft`, the JFT one (Sec. 4.5.1's two fully-connected layers of
    4096 units, 17,000 classes, no dropout); `num_classes` and `dropout` replace the head's own."""
    top = head(jft=jft, num_classes=num_classes, dropout=dropout)
    return Xception(middle_repeats=middle_repeats, top=top, input_channels=input_channels)
