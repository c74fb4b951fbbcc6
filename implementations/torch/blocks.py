"""Layers several PyTorch implementations share: the element-wise sum of a residual connection, the
concatenation along the channels that joins parallel branches, the channel-wise product of a gate, and ResNet's
and SENet's zero-channel shortcut and convolution with BatchNorm."""

from __future__ import annotations

import torch
from torch import nn


class Add(nn.Module):
    """The element-wise sum of a residual branch and its shortcut (ResNet's Eqn. 1; the identity or projection
    shortcuts of SENet, Xception, ShuffleNet's stride-1 units, EfficientNet's MBConv, SqueezeNet's bypasses,
    the Mixer's skips)."""

    paperverify_kind = "add"

    def forward(self, residual: torch.Tensor, shortcut: torch.Tensor) -> torch.Tensor:
        return residual + shortcut


class Concat(nn.Module):
    """Branches joined along the channels (an Inception module's filter concatenation, DenseNet's
    [x_0, ..., x_l-1] of Eq. 2, a Fire module's expand layers, ShuffleNet's stride-2 units)."""

    paperverify_kind = "concat"

    def forward(self, *branches: torch.Tensor) -> torch.Tensor:
        return torch.cat(branches, dim=1)


class Scale(nn.Module):
    """Each channel of a map times its gate: SENet's F_scale (Eq. 4, p. 4), the SE blocks of EfficientNet's
    MBConv layers. The gate is one value per channel, (N, C) or (N, C, 1, 1)."""

    paperverify_kind = "multiply"

    def forward(self, u: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        return u * s.reshape(s.shape[0], s.shape[1], 1, 1)


class ChannelPad(nn.Module):
    """ResNet's option A shortcut (Sec. 3.3; SENet's too): identity with `extra` zero channels appended."""

    paperverify_kind = "pad_channels"

    def __init__(self, extra: int) -> None:
        super().__init__()
        self.extra = extra

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.pad(x, (0, 0, 0, 0, 0, self.extra))


def conv_bn_layers(
    prefix: str, cin: int, cout: int, kernel: int, stride: int, groups: int = 1, *, epsilon: float
) -> list[tuple[str, nn.Module]]:
    """A convolution without bias, as BN follows it (ResNet, Sec. 3.4; SENet), zero-padded explicitly when
    strided, then its BatchNorm: (name, layer) pairs named `pad<prefix>`, `conv<prefix>`, `bn<prefix>`."""
    layers: list[tuple[str, nn.Module]] = []
    padding = kernel // 2
    if stride > 1 and kernel > 1:
        layers.append((f"pad{prefix}", nn.ZeroPad2d(padding)))
        padding = 0
    layers.append((f"conv{prefix}", nn.Conv2d(cin, cout, kernel, stride, padding, groups=groups, bias=False)))
    layers.append((f"bn{prefix}", nn.BatchNorm2d(cout, eps=epsilon)))
    return layers
