"""Network in Network for CIFAR-10 (Lin et al. 2014, Sec. 3 and 4.1-4.2) as PyTorch repositories port the Caffe
model: an `mlpconv` helper returning `nn.Sequential(conv, ReLU, conv 1×1, ReLU, conv 1×1, ReLU)` (Sec. 3.3: "a
three-layer perceptron" in each mlpconv, its later layers "a convolution layer with 1x1 convolution kernel",
Sec. 3.1), one `features` Sequential (`features.3.2`) with in-place ReLUs, dropout after the first two mlpconvs
(Sec. 4.1), then `F.adaptive_avg_pool2d`, `x.view` and a functional softmax fed directly by the averages
(Sec. 3.2). The widths (192-160-96, 192-192-192, 192-192-10) and receptive fields (5, 5, 3) are the Caffe model's;
the paper prints neither. Unlike the Caffe model, every mlpconv is followed by a max pool that halves the map,
as Sec. 4.1 says ("followed by a spatial max pooling layer which down-samples the input image by a factor of
two"): 32 → 16 → 8 → 4."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def mlpconv(in_channels: int, channels: tuple[int, int, int], kernel_size: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, channels[0], kernel_size=kernel_size, stride=1, padding=kernel_size // 2),
        nn.ReLU(inplace=True),
        nn.Conv2d(channels[0], channels[1], kernel_size=1),
        nn.ReLU(inplace=True),
        nn.Conv2d(channels[1], channels[2], kernel_size=1),
        nn.ReLU(inplace=True),
    )


class NIN(nn.Module):
    def __init__(self, num_classes: int = 10, pool_last: bool = True) -> None:
        super().__init__()
        self.num_classes = num_classes
        layers: list[nn.Module] = [
            mlpconv(3, (192, 160, 96), 5),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
            nn.Dropout(0.5),
            mlpconv(96, (192, 192, 192), 5),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
            nn.Dropout(0.5),
            mlpconv(192, (192, 192, num_classes), 3),
        ]
        if pool_last:
            layers.append(nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
        self.features = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = F.adaptive_avg_pool2d(x, 1)
        x = x.view(x.size(0), self.num_classes)
        return F.softmax(x, dim=1)


def nin_cifar10() -> nn.Module:
    """Faithful to Sec. 3-4: three mlpconv layers of three perceptron layers each (a receptive field, then two
    1×1 convolutions, every one with a ReLU, Eq. 2), each followed by a max pool with stride 2, dropout on all
    but the last, one feature map per CIFAR-10 class in the last, global average pooling (no parameter, Sec. 3.2)
    and softmax."""
    return NIN()


def nin_cifar10_no_third_pool() -> nn.Module:
    """Departure: the third mlpconv is not followed by max pooling, as in the Caffe model and Figure 2's drawing,
    where Sec. 4.1 says "the mlpconv layers in all the experiments are followed by a spatial max pooling layer
    which down-samples the input image by a factor of two": the global average pool takes 8×8 maps, and the
    third mlpconv's down-sampling by two no longer holds."""
    return NIN(pool_last=False)
