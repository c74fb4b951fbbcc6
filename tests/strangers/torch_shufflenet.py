"""ShuffleNet 1× with g = 3 (Zhang et al. 2018, Table 1, Sec. 3 and Fig. 2) as PyTorch repositories write it: a
`channel_shuffle` function that reshapes with `x.view`, swaps the two channel axes with `torch.transpose`, makes
the tensor `.contiguous()` and flattens it back with `.view`; a `ShuffleUnit` of a grouped 1×1 convolution, BN,
ReLU, the shuffle, a 3×3 depthwise convolution (stride 2 in a stage's first unit), BN, a grouped 1×1 convolution
and BN, whose stride-2 form `torch.cat`s a 3×3/2 average pool of its input (Fig. 2 c) in front of its residual
output and whose stride-1 form adds its input, a functional ReLU after the merge; stages as `nn.Sequential`
(`stage3.0.g_conv_1x1_expand`), a functional global average pool over the last map, `x.view` and a functional
softmax. Table 1's caption: "for Stage 2, we do not apply group convolution on the first pointwise layer"; the
shuffle still uses g = 3 there. Convolutions carry no bias (each is followed by BatchNorm); padding sits inside
the convolutions and pools."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    batchsize, num_channels, height, width = x.size()
    channels_per_group = num_channels // groups
    x = x.view(batchsize, groups, channels_per_group, height, width)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(batchsize, -1, height, width)


class ShuffleUnit(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, groups: int, stride: int, grouped_conv: bool) -> None:
        super().__init__()
        self.groups = groups
        self.stride = stride
        bottleneck_channels = out_channels // 4
        if stride == 2:
            out_channels -= in_channels  # the average-pooled input makes up the rest
        first_1x1_groups = groups if grouped_conv else 1
        self.g_conv_1x1_compress = nn.Conv2d(
            in_channels, bottleneck_channels, kernel_size=1, groups=first_1x1_groups, bias=False
        )
        self.bn_compress = nn.BatchNorm2d(bottleneck_channels)
        self.depthwise_conv3x3 = nn.Conv2d(
            bottleneck_channels,
            bottleneck_channels,
            kernel_size=3,
            stride=stride,
            padding=1,
            groups=bottleneck_channels,
            bias=False,
        )
        self.bn_after_depthwise = nn.BatchNorm2d(bottleneck_channels)
        self.g_conv_1x1_expand = nn.Conv2d(bottleneck_channels, out_channels, kernel_size=1, groups=groups, bias=False)
        self.bn_expand = nn.BatchNorm2d(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x
        out = F.relu(self.bn_compress(self.g_conv_1x1_compress(x)), inplace=True)
        out = channel_shuffle(out, self.groups)
        out = self.bn_after_depthwise(self.depthwise_conv3x3(out))
        out = self.bn_expand(self.g_conv_1x1_expand(out))
        if self.stride == 2:
            residual = F.avg_pool2d(residual, kernel_size=3, stride=2, padding=1)
            out = torch.cat((residual, out), 1)
        else:
            out = out + residual
        return F.relu(out, inplace=True)


class ShuffleNet(nn.Module):
    def __init__(self, groups: int = 3, num_classes: int = 1000, group_stage2_first: bool = False) -> None:
        super().__init__()
        self.groups = groups
        self.stage_repeats = [3, 7, 3]
        self.stage_out_channels = [24, 240, 480, 960]  # Table 1, column g = 3
        self.conv1 = nn.Conv2d(3, self.stage_out_channels[0], kernel_size=3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(self.stage_out_channels[0])
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.stage2 = self._make_stage(2, group_stage2_first)
        self.stage3 = self._make_stage(3)
        self.stage4 = self._make_stage(4)
        self.fc = nn.Linear(self.stage_out_channels[-1], num_classes)

    def _make_stage(self, stage: int, group_first: bool = False) -> nn.Sequential:
        in_channels = self.stage_out_channels[stage - 2]
        out_channels = self.stage_out_channels[stage - 1]
        grouped_conv = stage > 2 or group_first
        modules = [ShuffleUnit(in_channels, out_channels, self.groups, 2, grouped_conv)]
        for _ in range(self.stage_repeats[stage - 2]):
            modules.append(ShuffleUnit(out_channels, out_channels, self.groups, 1, True))
        return nn.Sequential(*modules)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(F.relu(self.bn1(self.conv1(x)), inplace=True))
        x = self.stage4(self.stage3(self.stage2(x)))
        x = F.avg_pool2d(x, x.size()[-2:])
        x = x.view(x.size(0), -1)
        x = self.fc(x)
        return F.softmax(x, dim=1)


def shufflenet_g3() -> nn.Module:
    """Faithful to Table 1's column g = 3 (ShuffleNet 1×): Conv1 3×3/2 of 24 (112×112), MaxPool 3×3/2 (56×56),
    Stages 2-4 of 1 + 3, 1 + 7 and 1 + 3 units with 240, 480 and 960 output channels and bottlenecks of a
    quarter of them (Sec. 3.3), a 7×7 global pool and a 1000-way FC layer: 136.5 million multiply-adds without
    the FC layer, Table 1's 137M."""
    return ShuffleNet()


def shufflenet_g3_grouped_stage2_first() -> nn.Module:
    """Departure: Stage 2's first pointwise convolution is grouped (g = 3) where Table 1's caption says "we do not
    apply group convolution on the first pointwise layer" of Stage 2: that layer's multiply-adds fall from
    4,515,840 to 1,505,280, and the network's from 136.5 to 133.5 million, off Table 1's 137M and its
    repetition in Table 8 (printed 140M, corrected to 137M); Table 2's ~140 level still holds."""
    return ShuffleNet(group_stage2_first=True)
