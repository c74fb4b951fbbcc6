"""EfficientNet-B0 (Tan & Le 2019, Table 1, Sec. 4 and 5.2) as a Keras notebook writes it with the functional API
and default layer names: a config list of (expand ratio, channels, layers, stride, kernel) rows, an `mbconv`
function of `Conv2D` expansion, `DepthwiseConv2D` and `Conv2D` projection, each with `BatchNormalization` and
`Activation("swish")` but the projection, `padding="same"` throughout (TensorFlow's, as the authors' code pads),
the squeeze-and-excitation a `GlobalAveragePooling2D(keepdims=True)`, two 1×1 `Conv2D` with `activation="swish"`
and `"sigmoid"`, and `multiply`, an `Add` skip where a layer keeps its size and channels, then the 1×1 head
convolution, `GlobalAveragePooling2D`, `Dropout(0.2)` and a softmax `Dense`. The MBConv details the paper leaves
to MnasNet, MobileNetV2 and SENet are the authors' code's (see tests/strangers/torch_efficientnet.py)."""

from __future__ import annotations

import keras
from keras import layers

# Table 1, stages 2-8: expand ratio (MBConv<e>), output channels, layers, stride, kernel.
B0_CONFIG: list[tuple[int, int, int, int, int]] = [
    (1, 16, 1, 1, 3),
    (6, 24, 2, 2, 3),
    (6, 40, 2, 2, 5),
    (6, 80, 3, 2, 3),
    (6, 112, 3, 1, 5),
    (6, 192, 4, 2, 5),
    (6, 320, 1, 1, 3),
]


def conv_bn(x, filters: int, kernel: int = 1, strides: int = 1, swish: bool = True):
    x = layers.Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.Activation("swish")(x) if swish else x


def mbconv(inputs, filters: int, kernel: int, strides: int, expand_ratio: int):
    channels = inputs.shape[-1]
    hidden = channels * expand_ratio
    x = conv_bn(inputs, hidden) if expand_ratio != 1 else inputs
    x = layers.DepthwiseConv2D(kernel, strides=strides, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("swish")(x)
    se = layers.GlobalAveragePooling2D(keepdims=True)(x)
    se = layers.Conv2D(max(1, int(channels * 0.25)), 1, activation="swish")(se)
    se = layers.Conv2D(hidden, 1, activation="sigmoid")(se)
    x = layers.multiply([x, se])
    x = conv_bn(x, filters, swish=False)
    if strides == 1 and channels == filters:
        x = layers.Add()([x, inputs])
    return x


def build_efficientnet(config: list[tuple[int, int, int, int, int]]) -> keras.Model:
    inputs = keras.Input((224, 224, 3))
    x = conv_bn(inputs, 32, 3, 2)
    for expand_ratio, filters, repeats, strides, kernel in config:
        for index in range(repeats):
            x = mbconv(x, filters, kernel, strides if index == 0 else 1, expand_ratio)
    x = conv_bn(x, 1280)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.2)(x)
    return keras.Model(inputs, layers.Dense(1000, activation="softmax")(x))


def efficientnet_b0() -> keras.Model:
    """Faithful to Table 1 (5.3M parameters and 0.39 billion multiply-adds, Table 2)."""
    return build_efficientnet(B0_CONFIG)


def efficientnet_b0_k3_stage6() -> keras.Model:
    """Departure: stage 6 uses 3×3 depthwise kernels where Table 1 prints "MBConv6, k5x5": 382.4 million
    multiply-adds, off Table 2's 0.39B."""
    config = list(B0_CONFIG)
    config[4] = (6, 112, 3, 1, 3)
    return build_efficientnet(config)
