"""ResNet-50 (He et al. 2016, Table 1) as a Keras notebook writes it: the functional API with every layer left at
its default name (`conv2d_17`, `batch_normalization_17`, `add_3`), `padding="same"`, the projection shortcut
written before the block's main path, activations as `Activation` layers."""

from __future__ import annotations

import keras
from keras import layers


def _block(x, filters: int, stride: int, project: bool, stride_on_3x3: bool):
    first, second = (1, stride) if stride_on_3x3 else (stride, 1)
    shortcut = x
    if project:
        shortcut = layers.Conv2D(filters * 4, 1, strides=stride, use_bias=False)(x)
        shortcut = layers.BatchNormalization()(shortcut)
    y = layers.Conv2D(filters, 1, strides=first, use_bias=False)(x)
    y = layers.Activation("relu")(layers.BatchNormalization()(y))
    y = layers.Conv2D(filters, 3, strides=second, padding="same", use_bias=False)(y)
    y = layers.Activation("relu")(layers.BatchNormalization()(y))
    y = layers.BatchNormalization()(layers.Conv2D(filters * 4, 1, use_bias=False)(y))
    return layers.Activation("relu")(layers.Add()([y, shortcut]))


def _resnet(stride_on_3x3: bool = False, size: int = 224) -> keras.Model:
    inputs = keras.Input((size, size, 3))
    x = layers.Conv2D(64, 7, strides=2, padding="same", use_bias=False)(inputs)
    x = layers.Activation("relu")(layers.BatchNormalization()(x))
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    for stage, (filters, blocks) in enumerate([(64, 3), (128, 4), (256, 6), (512, 3)]):
        for block in range(blocks):
            stride = 2 if stage > 0 and block == 0 else 1
            x = _block(x, filters, stride, block == 0, stride_on_3x3)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(1000, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def resnet50(size: int = 224) -> keras.Model:
    """Faithful to Table 1's 50-layer column (at a `size`×`size` input)."""
    return _resnet(size=size)


def resnet50_stride_on_3x3(size: int = 224) -> keras.Model:
    """Departure: each downsampling block strides on its 3×3, not its first 1×1 (3.8×10^9 FLOPs becomes 4.1)."""
    return _resnet(stride_on_3x3=True, size=size)
