"""VGG in Keras 3 (Simonyan & Zisserman, arXiv 1409.1556v6, Table 1 and Sec. 2.1, 2.2, 3.1).

Layer names match the PyTorch builders: conv1.conv1_1, conv1.relu1_1, conv1.lrn (A-LRN), pool1, ...,
flatten, fc6, relu6, drop6, fc7, relu7, drop7, fc8, softmax. Convolutions have stride 1 and odd kernels, so
'same' padding pads symmetrically (1 pixel for 3×3, Sec. 2.1) exactly as PyTorch's padding = k // 2.
"""

from __future__ import annotations

import keras
from keras import layers

from implementations.keras.blocks import LocalResponseNorm
from implementations.specs.vgg import (
    DROPOUT,
    HIDDEN_UNITS,
    INPUT_SIZE,
    LRN_PARAMETERS,
    POOL_SIZE,
    Conv,
    classifier_side,
    configuration,
)


def _vgg(variant: str, input_size: int, input_channels: int, num_classes: int) -> keras.Model:
    classifier_side(input_size)  # raises for an input the five pools cannot halve
    inputs = keras.Input((input_size, input_size, input_channels), name="image")
    x = inputs
    for index, block in enumerate(configuration(variant), start=1):
        number = 0
        for layer in block:
            if isinstance(layer, Conv):
                number += 1
                x = layers.Conv2D(layer.filters, layer.kernel, 1, "same", name=f"conv{index}.conv{index}_{number}")(x)
                x = layers.ReLU(name=f"conv{index}.relu{index}_{number}")(x)
            else:  # LRN, after the ReLU as in Krizhevsky et al. (2012), Sec. 3.3
                p = LRN_PARAMETERS
                x = LocalResponseNorm(p.n, p.alpha, p.beta, p.k, name=f"conv{index}.lrn")(x)
        x = layers.MaxPooling2D(POOL_SIZE, POOL_SIZE, name=f"pool{index}")(x)
    x = layers.Flatten(name="flatten")(x)
    for number, units in enumerate(HIDDEN_UNITS, start=6):
        x = layers.Dense(units, name=f"fc{number}")(x)
        x = layers.ReLU(name=f"relu{number}")(x)
        x = layers.Dropout(DROPOUT, name=f"drop{number}")(x)
    x = layers.Dense(num_classes, name="fc8")(x)
    outputs = layers.Softmax(name="softmax")(x)
    return keras.Model(inputs, outputs, name=variant)


def vgg11(
    *,
    input_size: int = INPUT_SIZE,
    input_channels: int = 3,
    num_classes: int = 1000,
) -> keras.Model:
    """Configuration A, Table 1 (11 weight layers). fc6 follows `input_size`."""
    return _vgg("vgg11", input_size, input_channels, num_classes)


def vgg11_lrn(
    *,
    input_size: int = INPUT_SIZE,
    input_channels: int = 3,
    num_classes: int = 1000,
) -> keras.Model:
    """Configuration A-LRN, Table 1 (11 weight layers, LRN after conv1_1)."""
    return _vgg("vgg11_lrn", input_size, input_channels, num_classes)


def vgg13(
    *,
    input_size: int = INPUT_SIZE,
    input_channels: int = 3,
    num_classes: int = 1000,
) -> keras.Model:
    """Configuration B, Table 1 (13 weight layers)."""
    return _vgg("vgg13", input_size, input_channels, num_classes)


def vgg16_c(
    *,
    input_size: int = INPUT_SIZE,
    input_channels: int = 3,
    num_classes: int = 1000,
) -> keras.Model:
    """Configuration C, Table 1 (16 weight layers, 1×1 convolutions closing blocks 3 to 5)."""
    return _vgg("vgg16_c", input_size, input_channels, num_classes)


def vgg16(
    *,
    input_size: int = INPUT_SIZE,
    input_channels: int = 3,
    num_classes: int = 1000,
) -> keras.Model:
    """Configuration D, Table 1 (16 weight layers)."""
    return _vgg("vgg16", input_size, input_channels, num_classes)


def vgg19(
    *,
    input_size: int = INPUT_SIZE,
    input_channels: int = 3,
    num_classes: int = 1000,
) -> keras.Model:
    """Configuration E, Table 1 (19 weight layers)."""
    return _vgg("vgg19", input_size, input_channels, num_classes)
