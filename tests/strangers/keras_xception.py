"""Xception (Chollet 2017, arXiv 1610.02357v3, Figure 5) as a Keras notebook writes it: the functional API with
every layer left at its default name (`separable_conv2d_5`, `batch_normalization_12`, `add_3`), one
`SeparableConv2D` per separable convolution (`padding="same"`, no bias: BatchNorm follows every convolution,
Figure 5's caption), `Activation("relu")` layers, the entry, middle and exit flows as helper functions, each
residual module's 1×1 stride-2 `Conv2D` shortcut written first, `Add` layers, a global average pool, dropout 0.5
(Sec. 4.3) and the logistic regression as a softmax `Dense`."""

from __future__ import annotations

import keras
from keras import layers


def sep_bn(x, filters: int):
    x = layers.SeparableConv2D(filters, 3, padding="same", use_bias=False)(x)
    return layers.BatchNormalization()(x)


def downsampling_module(x, filters: tuple[int, int], relu_first: bool = True):
    residual = layers.Conv2D(filters[1], 1, strides=2, padding="same", use_bias=False)(x)
    residual = layers.BatchNormalization()(residual)
    if relu_first:
        x = layers.Activation("relu")(x)
    x = sep_bn(x, filters[0])
    x = layers.Activation("relu")(x)
    x = sep_bn(x, filters[1])
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    return layers.Add()([x, residual])


def entry_flow(x):
    x = layers.Conv2D(32, 3, strides=2, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.Conv2D(64, 3, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = downsampling_module(x, (128, 128), relu_first=False)
    x = downsampling_module(x, (256, 256))
    return downsampling_module(x, (728, 728))


def middle_flow(x, repeats: int = 8):
    for _ in range(repeats):
        residual = x
        for _ in range(3):
            x = layers.Activation("relu")(x)
            x = sep_bn(x, 728)
        x = layers.Add()([x, residual])
    return x


def exit_flow(x):
    x = downsampling_module(x, (728, 1024))
    x = sep_bn(x, 1536)
    x = layers.Activation("relu")(x)
    x = sep_bn(x, 2048)
    x = layers.Activation("relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.5)(x)
    return layers.Dense(1000, activation="softmax")(x)


def build_xception(middle_repeats: int = 8) -> keras.Model:
    inputs = keras.Input(shape=(299, 299, 3))
    x = entry_flow(inputs)
    x = middle_flow(x, middle_repeats)
    outputs = exit_flow(x)
    return keras.Model(inputs, outputs)


def xception() -> keras.Model:
    """Faithful to Figure 5: the middle flow "Repeated 8 times", 36 convolutional layers in 14 modules (Sec. 3),
    22,855,952 parameters (Table 3)."""
    return build_xception()


def xception_short_middle() -> keras.Model:
    """Departure: the middle flow repeated 4 times, not Figure 5's 8: 24 convolutional layers in 10 modules
    instead of Sec. 3's 36 in 14, and 16,400,048 parameters instead of Table 3's 22,855,952."""
    return build_xception(middle_repeats=4)
