"""PyTorch builders that fail in the ways real models fail; `tests/test_faults.py` registers them."""

from __future__ import annotations

import torch
from torch import nn

from implementations.torch.resnet import resnet50


def faulty_raises(**_: object) -> nn.Module:
    raise ValueError("the builder is broken")


def faulty_too_large(**_: object) -> nn.Module:
    raise MemoryError("cannot allocate 5.5 TiB for this configuration")


class _Mystery(nn.Module):
    """A class no probe knows, computing what no layer function names (its kind unknown until declared)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.roll(1, 1)


def faulty_unknown_layer(**_: object) -> nn.Module:
    model = resnet50()
    model.conv1.add_module("mystery", _Mystery())
    return model


class _NoBatch(nn.Module):
    """Drops the batch dimension after conv1: every later layer sees a tensor of the wrong rank."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.fc = nn.Linear(112, 1000)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.conv1(x)[0])


def faulty_wrong_rank(**_: object) -> nn.Module:
    return _NoBatch()
