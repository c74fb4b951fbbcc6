"""BN-Inception (Ioffe & Szegedy 2015, arXiv 1502.03167v3, Figure 5, p. 11, and the appendix, pp. 9-10) as a Keras
notebook writes it with the functional API and default layer names: a `conv_bn` function (`Conv2D` without bias,
`BatchNormalization`, `Activation("relu")`: BN "immediately before the nonlinearity", Sec. 3.2), an `inception`
function whose branches a `Concatenate` joins, `padding="same"` throughout, the stride-2 modules 3c and 4e
striding their 3×3 convolutions and passing a max pool through unprojected, conv1 the appendix's "separable
convolution with depth multiplier 8" as one `SeparableConv2D`, and a softmax `Dense` after a 7×7 average pool
and `Flatten`. Modules follow Figure 5's filters as printed (see tests/strangers/torch_bninception.py)."""

from __future__ import annotations

import keras
from keras import layers


def conv_bn(x, filters: int, kernel: int, strides: int = 1):
    x = layers.Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.Activation("relu")(x)


def inception(x, ch1x1: int, ch3x3red: int, ch3x3: int, dbl3x3red: int, dbl3x3: int, pool: str, proj, strides=1):
    """Figure 5's columns: #1×1, #3×3 reduce, #3×3, double #3×3 reduce, double #3×3, Pool +proj."""
    branches = [conv_bn(x, ch1x1, 1)] if ch1x1 else []
    branches.append(conv_bn(conv_bn(x, ch3x3red, 1), ch3x3, 3, strides))
    branches.append(conv_bn(conv_bn(conv_bn(x, dbl3x3red, 1), dbl3x3, 3), dbl3x3, 3, strides))
    pooling = layers.MaxPooling2D if pool == "max" else layers.AveragePooling2D
    pooled = pooling(3, strides=strides, padding="same")(x)
    branches.append(pooled if proj is None else conv_bn(pooled, proj, 1))
    return layers.Concatenate()(branches)


def build_bn_inception(pool_4a: str = "avg") -> keras.Model:
    inputs = keras.Input((224, 224, 3))
    x = layers.SeparableConv2D(64, 7, strides=2, depth_multiplier=8, padding="same", use_bias=False)(inputs)
    x = layers.Activation("relu")(layers.BatchNormalization()(x))
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    x = conv_bn(conv_bn(x, 64, 1), 192, 3)
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    x = inception(x, 64, 64, 64, 64, 96, "avg", 32)
    x = inception(x, 64, 64, 96, 64, 96, "avg", 64)
    x = inception(x, 0, 128, 160, 64, 96, "max", None, strides=2)
    x = inception(x, 224, 64, 96, 96, 128, pool_4a, 128)
    x = inception(x, 192, 96, 128, 96, 128, "avg", 128)
    x = inception(x, 160, 128, 160, 128, 160, "avg", 128)
    x = inception(x, 96, 128, 192, 160, 192, "avg", 128)
    x = inception(x, 0, 128, 192, 192, 256, "max", None, strides=2)
    x = inception(x, 352, 192, 320, 160, 224, "avg", 128)
    x = inception(x, 352, 192, 320, 192, 224, "max", 128)
    x = layers.Flatten()(layers.AveragePooling2D(7, strides=1)(x))
    return keras.Model(inputs, layers.Dense(1000, activation="softmax")(x))


def bn_inception() -> keras.Model:
    """Faithful to Figure 5 with the appendix's separable conv1 and 1000 classes (Sec. 4.2)."""
    return build_bn_inception()


def bn_inception_max_pool_4a() -> keras.Model:
    """Departure: inception (4a) pools its fourth branch by max where Figure 5's "Pool +proj" prints "avg + 128"."""
    return build_bn_inception(pool_4a="max")
