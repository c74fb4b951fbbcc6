"""GoogLeNet (Szegedy et al. 2015, Table 1 and Sec. 5) as PyTorch repositories port the Caffe model: a
`conv_relu` helper returning `nn.Sequential(conv, ReLU)`, an `Inception` class with four branch Sequentials
joined by `torch.cat`, max pools in ceil mode, the local response normalisations Figure 3 draws, the two
auxiliary classifiers on inception (4a) and (4d) run and returned beside the output in training only
(torchvision's way; Sec. 5: "discarded at inference time"), and a functional flatten and softmax at the head.
Convolutions and linear layers keep PyTorch's default biases, which Table 1's params column does not count (its
linear row prints 1000K = 1024·1000 weights)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def conv_relu(in_channels: int, out_channels: int, kernel_size: int, **kwargs: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, **kwargs),
        nn.ReLU(inplace=True),
    )


class Inception(nn.Module):
    def __init__(
        self,
        in_channels: int,
        ch1x1: int,
        ch3x3red: int,
        ch3x3: int,
        ch5x5red: int,
        ch5x5: int,
        pool_proj: int,
        kernel_5x5: int = 5,
    ) -> None:
        super().__init__()
        self.branch1 = conv_relu(in_channels, ch1x1, 1)
        self.branch2 = nn.Sequential(
            conv_relu(in_channels, ch3x3red, 1),
            conv_relu(ch3x3red, ch3x3, 3, padding=1),
        )
        self.branch3 = nn.Sequential(
            conv_relu(in_channels, ch5x5red, 1),
            conv_relu(ch5x5red, ch5x5, kernel_5x5, padding=kernel_5x5 // 2),
        )
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True),
            conv_relu(in_channels, pool_proj, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outputs = [self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)]
        return torch.cat(outputs, 1)


class InceptionAux(nn.Module):
    def __init__(self, in_channels: int, num_classes: int) -> None:
        super().__init__()
        self.avgpool = nn.AvgPool2d(5, stride=3)
        self.conv = conv_relu(in_channels, 128, 1)
        self.fc1 = nn.Linear(2048, 1024)
        self.fc2 = nn.Linear(1024, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(self.avgpool(x))  # 4×4 at 14×14
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x), inplace=True)
        x = F.dropout(x, 0.7, training=self.training)
        return self.fc2(x)


class GoogLeNet(nn.Module):
    def __init__(self, num_classes: int = 1000, aux_logits: bool = True, kernel_5x5: int = 5) -> None:
        super().__init__()
        self.aux_logits = aux_logits
        self.conv1 = conv_relu(3, 64, 7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.lrn1 = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75)
        self.conv2 = conv_relu(64, 64, 1)
        self.conv3 = conv_relu(64, 192, 3, padding=1)
        self.lrn2 = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)

        self.inception3a = Inception(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = Inception(256, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)

        self.inception4a = Inception(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = Inception(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = Inception(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = Inception(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = Inception(528, 256, 160, 320, 32, 128, 128, kernel_5x5=kernel_5x5)
        self.maxpool4 = nn.MaxPool2d(3, stride=2, ceil_mode=True)

        self.inception5a = Inception(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = Inception(832, 384, 192, 384, 48, 128, 128)

        if aux_logits:
            self.aux1 = InceptionAux(512, num_classes)
            self.aux2 = InceptionAux(528, num_classes)

        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(0.4)
        self.fc = nn.Linear(1024, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = self.lrn1(self.maxpool1(self.conv1(x)))
        x = self.maxpool2(self.lrn2(self.conv3(self.conv2(x))))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        x = self.inception4a(x)
        aux1 = self.aux1(x) if self.aux_logits and self.training else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2 = self.aux2(x) if self.aux_logits and self.training else None
        x = self.maxpool4(self.inception4e(x))
        x = self.inception5b(self.inception5a(x))
        x = torch.flatten(self.avgpool(x), 1)
        x = F.softmax(self.fc(self.dropout(x)), dim=1)
        if aux1 is not None and aux2 is not None:
            return x, aux2, aux1
        return x


def googlenet() -> nn.Module:
    """Faithful to Table 1 (filters, 7×7/2 and 3×3/2 layers, 1×1×1024 average pool, dropout, linear, softmax)
    with Sec. 5's auxiliary classifiers (5×5/3 average pool to 4×4, 1×1 conv of 128, fc 1024, fc 1000)."""
    return GoogLeNet()


def googlenet_3x3_in_4e() -> nn.Module:
    """Departure: inception (4e)'s "#5×5" branch convolves 3×3, as torchvision's port does, where Table 1 and
    Figure 2(b) have 5×5: 4e's parameters (847K, printed 840K as an erratum) and multiply-adds (170M) shrink by
    16·32·128 weights, to 783K and 157M; the network's total (1.57×10^9) stays within Sec. 1's budget."""
    return GoogLeNet(kernel_5x5=3)
