"""SE-ResNet-50 (Hu et al. 2018, Table 1, middle column) as a Keras notebook writes it with `keras.ops` on the
functional API's tensors: the squeeze a `Lambda` around `ops.mean` over the map, the excitation two bias-free
`Dense` layers around `ops.relu` and `ops.sigmoid` (Sec. 6: no biases), the scale `x * s`, the residual sum
`y + shortcut` and its ReLU as operations, not layers; every layer at its default name, `padding="same"`."""

from __future__ import annotations

import keras
from keras import layers, ops


def _squeeze_excite(x, channels: int, reduction: int = 16):
    s = layers.Lambda(lambda t: ops.mean(t, axis=(1, 2)))(x)
    s = ops.relu(layers.Dense(channels // reduction, use_bias=False)(s))
    s = ops.sigmoid(layers.Dense(channels, use_bias=False)(s))
    return x * ops.reshape(s, (-1, 1, 1, channels))


def _block(x, filters: int, stride: int, project: bool, squeeze: bool):
    shortcut = x
    if project:
        shortcut = layers.BatchNormalization()(layers.Conv2D(filters * 4, 1, strides=stride, use_bias=False)(x))
    y = ops.relu(layers.BatchNormalization()(layers.Conv2D(filters, 1, strides=stride, use_bias=False)(x)))
    y = ops.relu(layers.BatchNormalization()(layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)))
    y = layers.BatchNormalization()(layers.Conv2D(filters * 4, 1, use_bias=False)(y))
    if squeeze:
        y = _squeeze_excite(y, filters * 4)
    return ops.relu(y + shortcut)


def _se_resnet(squeeze_in_conv5: bool = True) -> keras.Model:
    inputs = keras.Input((224, 224, 3))
    x = layers.Conv2D(64, 7, strides=2, padding="same", use_bias=False)(inputs)
    x = ops.relu(layers.BatchNormalization()(x))
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    for stage, (filters, blocks) in enumerate([(64, 3), (128, 4), (256, 6), (512, 3)]):
        for block in range(blocks):
            stride = 2 if stage > 0 and block == 0 else 1
            x = _block(x, filters, stride, block == 0, squeeze_in_conv5 or stage < 3)
    x = ops.mean(x, axis=(1, 2))
    outputs = ops.softmax(layers.Dense(1000)(x))
    return keras.Model(inputs, outputs)


def se_resnet50() -> keras.Model:
    """Faithful to Table 1's SE-ResNet-50 column: an SE module of fc widths [C/16, C] in every block."""
    return _se_resnet()


def se_resnet50_no_se_in_conv5() -> keras.Model:
    """Departure: conv5_x's three blocks have no SE module, where Table 1 prints fc, [128, 2048] in its bracket
    (26.5M parameters in all, not 28.1M)."""
    return _se_resnet(squeeze_in_conv5=False)
