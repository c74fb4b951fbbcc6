"""Network In Network in Keras 3 (Lin, Chen, Yan, arXiv 1312.4400v3, Sec. 3 and 4.1): the CIFAR-10 network.

Layer names match the PyTorch builder (mlpconv1.conv1, mlpconv1.relu1, ..., mlpconv1.dropout, mlpconv1.pool,
gap, flatten, softmax). Convolutions have stride 1 and odd kernels, so 'same' pads kernel // 2 on every side,
as PyTorch does. See specs.nin for what the paper prints and what is chosen here.
"""

from __future__ import annotations

import keras
from keras import layers

from implementations.specs.nin import (
    DROPOUT,
    INPUT_SIZE,
    KERNEL,
    MAPS,
    MLPCONVS,
    NUM_CLASSES,
    POOL_SIZE,
    POOL_STRIDE,
    check_options,
    layer_kernel,
    layer_maps,
)


def nin_cifar10(
    *,
    input_size: int = INPUT_SIZE,
    input_channels: int = 3,
    num_classes: int = NUM_CLASSES,
    maps: int = MAPS,
    kernel: int = KERNEL,
) -> keras.Model:
    """The NIN of the CIFAR-10 experiment (Sec. 4.1-4.2) on an input_size × input_size × input_channels image
    (32 × 32 × 3)."""
    check_options(maps, kernel, input_size)
    inputs = keras.Input((input_size, input_size, input_channels), name="image")
    x = inputs
    for index in range(1, MLPCONVS + 1):
        name = f"mlpconv{index}"
        for layer, out in enumerate(layer_maps(index, maps, num_classes), start=1):
            x = layers.Conv2D(out, layer_kernel(layer, kernel), padding="same", name=f"{name}.conv{layer}")(x)
            x = layers.ReLU(name=f"{name}.relu{layer}")(x)  # Eq. 2: max(w^T f + b, 0) in every layer
        if index < MLPCONVS:  # "dropout is applied on the outputs of all but the last mlpconv layers"
            x = layers.Dropout(DROPOUT, name=f"{name}.dropout")(x)
        x = layers.MaxPooling2D(POOL_SIZE, POOL_STRIDE, name=f"{name}.pool")(x)
    x = layers.GlobalAveragePooling2D(keepdims=True, name="gap")(x)
    x = layers.Flatten(name="flatten")(x)
    outputs = layers.Softmax(name="softmax")(x)
    return keras.Model(inputs, outputs, name="nin_cifar10")
