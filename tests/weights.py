"""Weights for the parity and equivalence tests: non-trivial BatchNorm parameters and statistics (fresh ones
are the identity in inference, which would let a misplaced or mis-copied BatchNorm pass unnoticed)."""

from __future__ import annotations

import torch
from torch import nn


def randomise_batchnorm(model: nn.Module, seed: int = 1) -> nn.Module:
    """Every BatchNorm2d of `model` with random scale, offset, mean and variance (variance ≥ 0.5); `model`."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                n = module.num_features
                module.weight.copy_(0.5 + torch.rand(n, generator=generator))
                module.bias.copy_(0.2 * torch.randn(n, generator=generator))
                module.running_mean.copy_(0.2 * torch.randn(n, generator=generator))
                module.running_var.copy_(0.5 + 1.5 * torch.rand(n, generator=generator))
    return model
