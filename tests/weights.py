"""Weights for the parity and equivalence tests: non-trivial BatchNorm parameters and statistics (fresh ones
are the identity in inference, which would let a misplaced or mis-copied BatchNorm pass unnoticed)."""

from __future__ import annotations

from typing import Any

import numpy as np


def _statistics(n: int, draw: Any) -> tuple[Any, Any, Any, Any]:
    """Scale in [0.5, 1.5), offset and mean ~ 0.2·N(0, 1), variance in [0.5, 2): one definition for both
    frameworks. `draw(kind, n)` gives n uniform [0, 1) ("rand") or standard normal ("randn") values."""
    return 0.5 + draw("rand", n), 0.2 * draw("randn", n), 0.2 * draw("randn", n), 0.5 + 1.5 * draw("rand", n)


def randomise_batchnorm(model: Any, seed: int = 1) -> Any:
    """Every BatchNorm2d of the PyTorch `model` with random scale, offset, mean and variance; `model`."""
    import torch
    from torch import nn

    generator = torch.Generator().manual_seed(seed)

    def draw(kind: str, n: int) -> torch.Tensor:
        return getattr(torch, kind)(n, generator=generator)

    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                values = _statistics(module.num_features, draw)
                for tensor, value in zip(
                    (module.weight, module.bias, module.running_mean, module.running_var), values, strict=True
                ):
                    tensor.copy_(value)
    return model


def randomise_keras_batchnorm(model: Any, seed: int = 1) -> Any:
    """Every BatchNormalization layer of the Keras `model` with random scale, offset, mean and variance; `model`."""
    import keras

    rng = np.random.default_rng(seed)

    def draw(kind: str, n: int) -> np.ndarray:
        return (rng.random(n) if kind == "rand" else rng.standard_normal(n)).astype(np.float32)

    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = _statistics(layer.moving_mean.shape[0], draw)
            if layer.scale:
                layer.gamma.assign(gamma)
            if layer.center:
                layer.beta.assign(beta)
            layer.moving_mean.assign(mean)
            layer.moving_variance.assign(var)
    return model
