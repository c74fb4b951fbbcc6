"""LeNet-5 (LeCun et al., Proc. IEEE 1998, Sec. II.B, Table I, Eq. 6-7) as a PyTorch repository writes it from the
paper: lower-case attribute names (`c1`, `s2`, ...), the squashing function a plain function called in `forward`
(`1.7159 * torch.tanh(2 / 3 * x)`), the trainable subsampling a module of its own (`F.avg_pool2d` times four,
times a coefficient and plus a bias per map), C3 a `ModuleList` of sixteen convolutions, each of the S2 maps Table I
connects it to, sliced and concatenated, F6 an `nn.Linear` after a flatten, and the Euclidean RBF output a module
with its parameter vectors in a buffer. The subsampling and RBF classes are the user's own: `check` needs their
kinds declared (`--kind Subsampling=subsample --kind RBF=rbf`) for the claims that count their cost."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

#: Table I: the S2 feature maps each C3 feature map is connected to.
TABLE = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (0, 4, 5), (0, 1, 5), (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5),
    (0, 3, 4, 5), (0, 1, 4, 5), (0, 1, 2, 5), (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5), (0, 1, 2, 3, 4, 5),
)  # fmt: skip


def squash(x: torch.Tensor) -> torch.Tensor:
    return 1.7159 * torch.tanh(2 / 3 * x)


class Subsampling(nn.Module):
    """The four inputs added, multiplied by a trainable coefficient, plus a trainable bias."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(x, 2) * 4 * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


class PartialConv(nn.Module):
    """C3: each output map a 5×5 convolution of the maps Table I connects it to."""

    def __init__(self, table: tuple[tuple[int, ...], ...]) -> None:
        super().__init__()
        self.table = table
        self.convs = nn.ModuleList(nn.Conv2d(len(maps), 1, 5) for maps in table)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([conv(x[:, list(maps)]) for conv, maps in zip(self.convs, self.table, strict=True)], 1)


class RBF(nn.Module):
    """y_i = sum_j (x_j - w_ij)^2 with fixed parameter vectors of -1 and +1."""

    def __init__(self, inputs: int, classes: int) -> None:
        super().__init__()
        self.register_buffer("centres", torch.randint(0, 2, (classes, inputs)).float() * 2 - 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ((x.unsqueeze(1) - self.centres) ** 2).sum(-1)


class LeNet5(nn.Module):
    def __init__(self, c3: nn.Module) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5)
        self.s2 = Subsampling(6)
        self.c3 = c3
        self.s4 = Subsampling(16)
        self.c5 = nn.Conv2d(16, 120, 5)
        self.f6 = nn.Linear(120, 84)
        self.output = RBF(84, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = squash(self.s2(squash(self.c1(x))))
        x = squash(self.s4(squash(self.c3(x))))
        x = torch.flatten(squash(self.c5(x)), 1)
        return self.output(squash(self.f6(x)))


def lenet5() -> nn.Module:
    """Faithful to Sec. II.B: C1 (6 maps, 5×5), S2, C3 (16 maps of the S2 maps Table I connects, 1,516 parameters),
    S4, C5 (120 maps), F6 (84 units), each squashed by Eq. 6's A tanh(S a), and the RBF output of Eq. 7."""
    return LeNet5(PartialConv(TABLE))


def lenet5_full_c3() -> nn.Module:
    """Departure (the most common one): C3 an ordinary convolution of all six S2 maps, Table I's connection scheme
    left out: 2,416 parameters and 241,600 connections where Sec. II.B counts 1,516 and 151,600."""
    return LeNet5(nn.Conv2d(6, 16, 5))
