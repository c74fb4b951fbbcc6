"""AlexNet (Krizhevsky et al. 2012, Sec. 3.5 and Figure 2) as PyTorch repositories write the original two-GPU
network: one `features` Sequential (`features.4`) whose conv2, conv4 and conv5 are grouped with `groups=2` (the
kernels see only the maps "which reside on the same GPU"), `nn.LocalResponseNorm` after the first two
convolutions (Sec. 3.3: k = 2, n = 5, α = 10^−4, β = 0.75; PyTorch divides its alpha by n, so it is given 5·α),
overlapping 3×3/2 max pools (Sec. 3.4), a `classifier` Sequential with dropout on fc6 and fc7 (Sec. 4.2), a
`x.view` flatten and a functional softmax. conv1 pads by 2 inside the convolution, so that the printed
224×224 input gives Figure 2's 55×55."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class AlexNet(nn.Module):
    def __init__(self, num_classes: int = 1000, conv4_groups: int = 2) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, kernel_size=11, stride=4, padding=2),
            nn.ReLU(inplace=True),
            nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(96, 256, kernel_size=5, padding=2, groups=2),
            nn.ReLU(inplace=True),
            nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(256, 384, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, kernel_size=3, padding=1, groups=conv4_groups),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1, groups=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.classifier = nn.Sequential(
            nn.Linear(256 * 6 * 6, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=0.5),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(p=0.5),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = x.view(x.size(0), 256 * 6 * 6)
        x = self.classifier(x)
        return F.softmax(x, dim=1)


def alexnet() -> nn.Module:
    """Faithful to Sec. 3.5 and Figure 2: 96 kernels 11×11×3 stride 4 (55×55), 256 of 5×5×48, 384 of 3×3×256,
    384 of 3×3×192, 256 of 3×3×192, three fully-connected layers of 4096, 4096 and 1000 and a softmax:
    60,965,224 parameters with biases (the abstract's "60 million")."""
    return AlexNet()


def alexnet_ungrouped_conv4() -> nn.Module:
    """Departure: conv4 sees all 384 of conv3's maps (`groups=1`) where Sec. 3.5 prints kernels of 3×3×192,
    conv4's kernels being connected only to the maps on their own GPU: conv4 doubles to 1,327,488 parameters and
    the network grows to 61,628,776, outside the ±1 million the abstract's and Sec. 4's "60 million" allow."""
    return AlexNet(conv4_groups=1)
