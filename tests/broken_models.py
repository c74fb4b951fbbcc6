"""Deliberately broken ResNets, the kind of mistakes people make implementing the paper.

Each builder returns an ordinary PyTorch model; `tests/test_check.py` points `paperverify check` at them
as `tests/broken_models.py:<builder>` and expects the right table cell and first diverging point.
"""

from __future__ import annotations

import torch
from torch import nn

from implementations.specs.resnet import spec_for
from implementations.torch.resnet import ResNet, resnet50


class _WrongFeed(ResNet):
    """ResNet-18 whose conv3_x is fed from conv1's output instead of conv2_x's (conv2_x runs, unused)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        stem = self.conv1(x)
        self.conv2_x(stem)
        x = self.conv3_x(stem)  # the bug: should be the output of conv2_x
        for name in ("conv4_x", "conv5_x", "avgpool", "flatten", "fc", "softmax"):
            x = getattr(self, name)(x)
        return x


def wrong_feed() -> nn.Module:
    """conv3_1 reads the 112×112 stem output: every stage from conv3_x on is twice as large."""
    return _WrongFeed(spec_for(18), residual=True, shortcut="B", num_classes=1000)


def stride_moved_from_pool() -> nn.Module:
    """ResNet-50 with the max pool's stride moved into conv2_1 (its first 1×1 and its projection)."""
    model = resnet50()
    model.conv2_x.maxpool.pool.stride = 1
    block = model.conv2_x.conv2_1
    block.conv1.stride = (2, 2)
    block.shortcut.conv.stride = (2, 2)
    return model


def stride_on_3x3() -> nn.Module:
    """ResNet-50 with each downsampling block's stride on its 3×3 instead of its first 1×1 (as in v1.5):
    every output size is right, only the multiply-adds tell."""
    model = resnet50()
    for stage, block in (("conv3_x", "conv3_1"), ("conv4_x", "conv4_1"), ("conv5_x", "conv5_1")):
        module = getattr(getattr(model, stage), block)
        module.conv1.stride = (1, 1)
        module.conv2.stride = (2, 2)
    return model


def ten_classes() -> nn.Module:
    """ResNet-50 with a 10-way classifier instead of Table 1's 1000-d fc."""
    return resnet50(num_classes=10)


def raises() -> nn.Module:
    raise RuntimeError("the builder is broken")


def not_a_model() -> int:
    return 42
