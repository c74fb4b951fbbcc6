"""Weights for the parity and equivalence tests: non-trivial normalisation parameters and statistics, and
biases (fresh ones are the identity in inference, or zero, which would let a misplaced or mis-copied
BatchNorm, LayerNorm or bias pass unnoticed)."""

from __future__ import annotations

from typing import Any

import numpy as np


def _statistics(n: int, draw: Any) -> tuple[Any, Any, Any, Any]:
    """Scale in [0.5, 1.5), offset and mean ~ 0.2·N(0, 1), variance in [0.5, 2): one definition for both
    frameworks. `draw(kind, n)` gives n uniform [0, 1) ("rand") or standard normal ("randn") values."""
    return 0.5 + draw("rand", n), 0.2 * draw("randn", n), 0.2 * draw("randn", n), 0.5 + 1.5 * draw("rand", n)


def randomise_torch_weights(model: Any, seed: int = 1) -> Any:
    """Every BatchNorm2d of the PyTorch `model` with random scale, offset, mean and variance, every LayerNorm
    with random scale and offset (its biases are random already); `model`."""
    import torch
    from torch import nn

    generator = torch.Generator().manual_seed(seed)

    def draw(kind: str, n: int) -> torch.Tensor:
        return getattr(torch, kind)(n, generator=generator)

    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                tensors = (module.weight, module.bias, module.running_mean, module.running_var)
            elif isinstance(module, nn.LayerNorm) and module.elementwise_affine:
                tensors = (module.weight, module.bias)
            else:
                continue
            values = _statistics(tensors[0].numel(), draw)
            for tensor, value in zip(tensors, values, strict=False):
                if tensor is not None:
                    tensor.copy_(value.reshape(tensor.shape))
    return model


def random_keras_weights(model: Any, seed: int = 0) -> Any:
    """Values for a Keras `model` built without initialising its variables: every kernel drawn uniformly from
    ±1/√fan-in, as PyTorch's default initialisation draws them (a depthwise kernel's fan-in is its window),
    everything else zero until `randomise_keras_weights`; `model`. Much faster than Keras' own initialisers."""
    from paperverify.frameworks.keras import run as run_keras

    rng = np.random.default_rng(seed)

    def draw(variable: Any) -> np.ndarray:
        shape = tuple(variable.shape)
        if len(shape) < 2:
            return np.zeros(shape, np.float32)
        fan_in = int(np.prod(shape[:2] if "depthwise" in variable.path else shape[:-1]))
        return rng.uniform(-1.0, 1.0, shape).astype(np.float32) / np.float32(np.sqrt(fan_in))

    run_keras.materialise(model, draw)
    return model


def randomise_keras_weights(model: Any, seed: int = 1) -> Any:
    """Every BatchNormalization layer of the Keras `model` with random scale, offset, mean and variance, every
    LayerNormalization with random scale and offset, and every bias (Keras starts them at zero) random;
    `model`."""
    import keras

    rng = np.random.default_rng(seed)

    def draw(kind: str, n: int) -> np.ndarray:
        return (rng.random(n) if kind == "rand" else rng.standard_normal(n)).astype(np.float32)

    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            variables = (layer.gamma if layer.scale else None, layer.beta if layer.center else None,
                         layer.moving_mean, layer.moving_variance)  # fmt: skip
        elif isinstance(layer, keras.layers.LayerNormalization):
            variables = (layer.gamma if layer.scale else None, layer.beta if layer.center else None)
        elif getattr(layer, "use_bias", False) and getattr(layer, "bias", None) is not None:
            layer.bias.assign(0.1 * draw("randn", layer.bias.shape[0]))
            continue
        else:
            continue
        values = _statistics(int(np.prod(next(v for v in variables if v is not None).shape)), draw)
        for variable, value in zip(variables, values, strict=False):
            if variable is not None:
                variable.assign(value.reshape(variable.shape))
    return model
