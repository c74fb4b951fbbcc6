"""Models written as their users write them, not as paperverify's implementations are: faithful to the paper,
but with classes, names and calls of their own. `tests/test_check.py` points `paperverify check` at them as
`tests/user_models.py:<builder>`.
"""

from __future__ import annotations

import torch
from torch import nn

from implementations.torch.resnet import resnet18


class Rectifier(nn.Module):
    """A user's ReLU: max(x, 0), written as a module of their own."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.clamp(min=0)


def resnet18_with_own_rectifier() -> nn.Module:
    """ResNet-18 (Table 1) whose stem activation is `Rectifier`, a class the probe cannot know."""
    model = resnet18()
    model.conv1.relu = Rectifier()
    return model


class _FunctionalHead(nn.Module):
    """ResNet-18's stages, then the head written with functional calls, as many repositories write it."""

    def __init__(self) -> None:
        super().__init__()
        stages = resnet18()
        for name in ("conv1", "conv2_x", "conv3_x", "conv4_x", "conv5_x", "fc"):
            self.add_module(name, getattr(stages, name))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for name in ("conv1", "conv2_x", "conv3_x", "conv4_x", "conv5_x"):
            x = getattr(self, name)(x)
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)
        return nn.functional.softmax(self.fc(x), dim=1)


def resnet18_with_a_functional_head() -> nn.Module:
    """ResNet-18 (Table 1) whose average pool, flatten and softmax are functional calls: no module stands for
    them, yet they are the paper's `average pool` and `softmax` (named `avgpool`, `flatten`, `softmax`)."""
    return _FunctionalHead()
