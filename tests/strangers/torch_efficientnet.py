"""EfficientNet-B0 (Tan & Le 2019, Table 1, Sec. 4 and 5.2) as PyTorch repositories write it: a config list of
(expand ratio, channels, layers, stride, kernel) rows turned into one `features` Sequential of stages
(`features.4.1.block.3.0`), an `MBConv` whose expansion, depthwise and projection convolutions sit in one `block`
Sequential with a `Swish` module of its own, `x * torch.sigmoid(x)` (p. 6: "We also use swish activation"), as
the early ports wrote it before `nn.SiLU` existed, a `SqueezeExcitation` written with
`F.adaptive_avg_pool2d`, `F.silu` and `x * torch.sigmoid(...)`, drop-connect on the residual branch skipped in
eval (`if not self.training`), padding k // 2 inside the convolutions, a functional flatten, dropout and the FC
layer; it returns logits, as Table 1's last row (Conv1x1 & Pooling & FC) ends. The MBConv details the paper
leaves to MnasNet, MobileNetV2 and SENet are the authors' code's: BatchNorm after every convolution, no
activation after the projection, SE squeezing to a quarter of the layer's input channels (with biases), an
identity shortcut where a layer keeps its size and channels, the stride on a stage's first depthwise convolution.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# Table 1, stages 2-8: expand ratio (MBConv<e>), output channels Ĉi, layers L̂i, stride (from the resolutions
# Ĥi), kernel (k<k>x<k>).
B0_CONFIG: list[tuple[int, int, int, int, int]] = [
    (1, 16, 1, 1, 3),
    (6, 24, 2, 2, 3),
    (6, 40, 2, 2, 5),
    (6, 80, 3, 2, 3),
    (6, 112, 3, 1, 5),
    (6, 192, 4, 2, 5),
    (6, 320, 1, 1, 3),
]


class Swish(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(x)


class SigmoidSwish(nn.Module):
    """Swish as other ports write it: a module holding an `nn.Sigmoid`, `x * self.sigmoid(x)`."""

    def __init__(self) -> None:
        super().__init__()
        self.sigmoid = nn.Sigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.sigmoid(x)


class SqueezeExcitation(nn.Module):
    def __init__(self, in_channels: int, reduced_dim: int) -> None:
        super().__init__()
        self.reduce = nn.Conv2d(in_channels, reduced_dim, 1)
        self.expand = nn.Conv2d(reduced_dim, in_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = F.adaptive_avg_pool2d(x, 1)
        s = F.silu(self.reduce(s))
        s = torch.sigmoid(self.expand(s))
        return x * s


class MBConv(nn.Module):
    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int,
        expand_ratio: int,
        drop_rate: float,
        se_ratio: float = 0.25,
        swish: type[nn.Module] = Swish,
    ) -> None:
        super().__init__()
        hidden_dim = in_channels * expand_ratio
        self.use_residual = in_channels == out_channels and stride == 1
        self.drop_rate = drop_rate
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(
                nn.Sequential(nn.Conv2d(in_channels, hidden_dim, 1, bias=False), nn.BatchNorm2d(hidden_dim), swish())
            )
        layers += [
            nn.Sequential(
                nn.Conv2d(hidden_dim, hidden_dim, kernel_size, stride, kernel_size // 2, groups=hidden_dim, bias=False),
                nn.BatchNorm2d(hidden_dim),
                swish(),
            ),
            SqueezeExcitation(hidden_dim, max(1, int(in_channels * se_ratio))),
            nn.Sequential(nn.Conv2d(hidden_dim, out_channels, 1, bias=False), nn.BatchNorm2d(out_channels)),
        ]
        self.block = nn.Sequential(*layers)

    def _drop_connect(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.drop_rate == 0:
            return x
        keep_prob = 1 - self.drop_rate
        mask = torch.rand(x.shape[0], 1, 1, 1, dtype=x.dtype, device=x.device) < keep_prob
        return x / keep_prob * mask

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        x = self.block(inputs)
        if self.use_residual:
            return self._drop_connect(x) + inputs
        return x


class EfficientNet(nn.Module):
    def __init__(
        self,
        config: list[tuple[int, int, int, int, int]],
        num_classes: int = 1000,
        dropout: float = 0.2,
        drop_connect_rate: float = 0.2,
        swish: type[nn.Module] = Swish,
    ) -> None:
        super().__init__()
        self.dropout = dropout
        features: list[nn.Module] = [nn.Sequential(nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), swish())]
        total = sum(n for _, _, n, _, _ in config)
        in_channels, index = 32, 0
        for expand_ratio, channels, n, stride, kernel_size in config:
            stage: list[nn.Module] = []
            for i in range(n):
                rate = drop_connect_rate * index / total
                stride_i = stride if i == 0 else 1
                stage.append(MBConv(in_channels, channels, kernel_size, stride_i, expand_ratio, rate, swish=swish))
                in_channels, index = channels, index + 1
            features.append(nn.Sequential(*stage))
        features.append(nn.Sequential(nn.Conv2d(in_channels, 1280, 1, bias=False), nn.BatchNorm2d(1280), swish()))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Linear(1280, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = F.adaptive_avg_pool2d(x, 1)
        x = torch.flatten(x, 1)
        x = F.dropout(x, self.dropout, training=self.training)
        return self.classifier(x)


def efficientnet_b0() -> nn.Module:
    """Faithful to Table 1: Conv3x3 of 32 with stride 2 (224 → 112), MBConv1 k3x3 16 ×1, MBConv6 k3x3 24 ×2,
    MBConv6 k5x5 40 ×2, MBConv6 k3x3 80 ×3, MBConv6 k5x5 112 ×3, MBConv6 k5x5 192 ×4, MBConv6 k3x3 320 ×1,
    Conv1x1 of 1280, pooling and FC: 5,288,548 parameters and 0.39 billion multiply-adds (Table 2's 5.3M and
    0.39B), dropout 0.2 before the FC and stochastic depth up to 0.2 (Sec. 5.2)."""
    return EfficientNet(B0_CONFIG)


def efficientnet_b0_sigmoid_module() -> nn.Module:
    """The same network with swish written as a module holding an `nn.Sigmoid` (`SigmoidSwish`)."""
    return EfficientNet(B0_CONFIG, swish=SigmoidSwish)


def efficientnet_b0_k3_stage6() -> nn.Module:
    """Departure: stage 6 uses 3×3 depthwise kernels where Table 1 prints "MBConv6, k5x5": its three
    depthwise convolutions lose 16 weights per channel (29,184 parameters, still 5.3M) and 5,720,064
    multiply-adds, which takes B0 from 388.1 to 382.4 million, off Table 2's 0.39B (Table 7's 0.4B still holds)."""
    config = list(B0_CONFIG)
    config[4] = (6, 112, 3, 1, 3)
    return EfficientNet(config)
