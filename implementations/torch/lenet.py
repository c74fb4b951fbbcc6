"""LeNet-5 in PyTorch (LeCun et al., Proc. IEEE 86(11), 1998, Sec. II.B and Fig. 2, PDF pp. 6-8).

Module names follow the paper and match the Keras builder: C1.conv, C1.squash, S2.subsample, ..., F6.fc,
F6.squash, output. Feature maps are NCHW; F6 and the RBF output act on the channels at every position of
C5's map (a single position at the paper's 32×32 input; see specs.lenet5). `input_size` is accepted for the
common builder interface; the network takes any side ≥ 32.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

import torch
from torch import nn

from implementations.specs.lenet import (
    C1,
    C3,
    C5,
    F6,
    INPUT_CHANNELS,
    INPUT_SIZE,
    NUM_CLASSES,
    S2,
    S4,
    SQUASH_A,
    SQUASH_S,
    Convolution,
)


class Squash(nn.Module):
    """The squashing function f(a) = A tanh(S a), Eq. (6), PDF p. 8; A = 1.7159, S = 2/3 (Appendix A, p. 41)."""

    paperverify_kind = "tanh"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return SQUASH_A * torch.tanh(SQUASH_S * x)


class Subsample(nn.Module):
    """A subsampling layer (Sec. II.B, PDF pp. 7-8): each window×window window of a map summed, times a
    trainable coefficient of that map, plus a trainable bias of that map."""

    paperverify_kind = "subsample"

    def __init__(self, maps: int, window: int) -> None:
        super().__init__()
        self.window = window
        # Starts as the average of the window (Sec. II.A, PDF p. 7: "computes the average of its four inputs").
        self.weight = nn.Parameter(torch.full((maps,), 1.0 / window**2))
        self.bias = nn.Parameter(torch.zeros(maps))

    def paperverify_attributes(self) -> dict[str, Any]:
        window = (self.window, self.window)
        return {"kernel": window, "stride": window, "channels": self.weight.shape[0], "bias": True}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        sums = nn.functional.avg_pool2d(x, self.window, self.window, divisor_override=1)
        return sums * self.weight[:, None, None] + self.bias[:, None, None]


class TableConv2d(nn.Module):
    """A convolution whose output map j reads only the input maps `table[j]` (C3, Table I, PDF p. 8).

    Only connected kernels are parameters: `weight` holds one kh×kw kernel per connected (input map, output
    map) pair, in table order, and `bias` one bias per output map. The full OIHW kernel, zero where the table
    has no X, is assembled on every call.
    """

    paperverify_kind = "conv2d"

    def __init__(self, in_maps: int, table: tuple[tuple[int, ...], ...], kernel: int) -> None:
        super().__init__()
        self.in_maps, self.kernel = in_maps, kernel
        pairs = [(out, inp) for out, maps in enumerate(table) for inp in maps]
        self.register_buffer("out_index", torch.tensor([out for out, _ in pairs]), persistent=False)
        self.register_buffer("in_index", torch.tensor([inp for _, inp in pairs]), persistent=False)
        self.weight = nn.Parameter(torch.empty(len(pairs), kernel, kernel))
        self.bias = nn.Parameter(torch.empty(len(table)))
        fan_in = torch.tensor([len(table[out]) * kernel * kernel for out, _ in pairs], dtype=torch.float32)
        with torch.no_grad():  # uniform within ±1/sqrt(fan-in), the fan-in of each kernel's own output map
            bound = fan_in.to(self.weight.device).rsqrt()[:, None, None]
            self.weight.uniform_(-1, 1).mul_(bound)
            self.bias.uniform_(-1, 1).mul_(1 / math.sqrt(kernel * kernel * in_maps))

    def paperverify_attributes(self) -> dict[str, Any]:
        kernel = (self.kernel, self.kernel)
        return {
            "kernel": kernel,
            "stride": (1, 1),
            "channels": self.bias.shape[0],
            "links": self.weight.shape[0],
            "bias": True,
        }

    def full_kernel(self) -> torch.Tensor:
        """The OIHW kernel of an ordinary convolution with the unconnected kernels zero."""
        full = self.weight.new_zeros(self.bias.shape[0], self.in_maps, self.kernel, self.kernel)
        return full.index_put((self.out_index, self.in_index), self.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.conv2d(x, self.full_kernel(), self.bias)


class PositionLinear(nn.Linear):
    """A fully connected layer over the channels of an NCHW map, at every position (F6, see specs.lenet5)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class EuclideanRBF(nn.Module):
    """The output layer: y_i = Σ_j (x_j − w_ij)², Eq. (7), PDF p. 8, over the channels at every position.

    The parameter vectors are fixed (a buffer, not a parameter): "chosen by hand and kept fixed", components
    −1 or +1 (p. 8); drawn at random here (see specs.lenet5).
    """

    paperverify_kind = "rbf"

    def __init__(self, inputs: int, classes: int) -> None:
        super().__init__()
        self.register_buffer("centres", torch.randint(0, 2, (classes, inputs)).float() * 2 - 1)

    def paperverify_attributes(self) -> dict[str, Any]:
        return {"channels": self.centres.shape[0]}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = x.permute(0, 2, 3, 1)[..., None, :]  # N×H×W×1×inputs
        return ((features - self.centres) ** 2).sum(-1).permute(0, 3, 1, 2)


def _convolution(layer: Convolution, in_maps: int) -> nn.Module:
    if layer.table is None:
        return nn.Conv2d(in_maps, layer.maps, layer.kernel)
    return TableConv2d(in_maps, layer.table, layer.kernel)


def _stage(name: str, module: nn.Module) -> nn.Sequential:
    return nn.Sequential(OrderedDict([(name, module), ("squash", Squash())]))


class LeNet5(nn.Module):
    """Fig. 2: C1, S2, C3, S4, C5, F6 (each followed by the squashing function), then the RBF output."""

    def __init__(self, num_classes: int, input_channels: int = INPUT_CHANNELS) -> None:
        super().__init__()
        self.C1 = _stage("conv", _convolution(C1, input_channels))
        self.S2 = _stage("subsample", Subsample(C1.maps, S2.window))
        self.C3 = _stage("conv", _convolution(C3, C1.maps))
        self.S4 = _stage("subsample", Subsample(C3.maps, S4.window))
        self.C5 = _stage("conv", _convolution(C5, C3.maps))
        self.F6 = _stage("fc", PositionLinear(C5.maps, F6.units))
        self.output = EuclideanRBF(F6.units, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in (self.C1, self.S2, self.C3, self.S4, self.C5, self.F6, self.output):
            x = layer(x)
        return x


def lenet5(
    *, input_size: int = INPUT_SIZE, input_channels: int = INPUT_CHANNELS, num_classes: int = NUM_CLASSES
) -> LeNet5:
    """LeNet-5 (Sec. II.B and Fig. 2, PDF pp. 6-8); input N×input_channels×H×W with H, W ≥ 32, output
    N×classes×h×w."""
    return LeNet5(num_classes, input_channels)
