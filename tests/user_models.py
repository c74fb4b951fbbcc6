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
