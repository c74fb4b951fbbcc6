"""GoogLeNet (Szegedy et al. 2015, Table 1 and Sec. 5) as a Keras notebook writes it with the functional API and
default layer names: `Conv2D` layers with `activation="relu"` and `padding="same"`, an `inception` function whose
four branches a `Concatenate` joins, 3×3/2 max pools with `padding="same"` (Table 1's output sizes), the local
response normalisations Figure 3 draws as a layer of the notebook's own around
`tf.nn.local_response_normalization` (its kind declared with `--kind LRN=lrn`), the two auxiliary classifiers
of Sec. 5 on inception (4a) and (4d) as extra outputs of the model, `Dropout(0.4)` and a softmax `Dense` after a
global average pool."""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers


class LRN(layers.Layer):
    def __init__(self, depth_radius: int = 2, bias: float = 1.0, alpha: float = 1e-4, beta: float = 0.75, **kwargs):
        super().__init__(**kwargs)
        self.depth_radius, self.bias, self.alpha, self.beta = depth_radius, bias, alpha, beta

    def call(self, x):
        return tf.nn.local_response_normalization(x, self.depth_radius, self.bias, self.alpha, self.beta)


def conv(x, filters: int, kernel: int, strides: int = 1):
    return layers.Conv2D(filters, kernel, strides=strides, padding="same", activation="relu")(x)


def inception(x, ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int, ch5x5: int, pool_proj: int):
    branch1 = conv(x, ch1x1, 1)
    branch2 = conv(conv(x, ch3x3red, 1), ch3x3, 3)
    branch3 = conv(conv(x, ch5x5red, 1), ch5x5, 5)
    branch4 = conv(layers.MaxPooling2D(3, strides=1, padding="same")(x), pool_proj, 1)
    return layers.Concatenate()([branch1, branch2, branch3, branch4])


def auxiliary(x):
    """Sec. 5: a 5×5/3 average pool, a 1×1 convolution of 128, fc 1024 with ReLU, dropout 70%, fc 1000."""
    x = conv(layers.AveragePooling2D(5, strides=3)(x), 128, 1)
    x = layers.Dropout(0.7)(layers.Dense(1024, activation="relu")(layers.Flatten()(x)))
    return layers.Dense(1000, activation="softmax")(x)


def build_googlenet(pool4_stride: int = 2) -> keras.Model:
    inputs = keras.Input((224, 224, 3))
    x = conv(inputs, 64, 7, 2)
    x = LRN()(layers.MaxPooling2D(3, strides=2, padding="same")(x))
    x = LRN()(conv(conv(x, 64, 1), 192, 3))
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    x = inception(x, 64, 96, 128, 16, 32, 32)
    x = inception(x, 128, 128, 192, 32, 96, 64)
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    x = inception(x, 192, 96, 208, 16, 48, 64)
    aux1 = auxiliary(x)
    x = inception(x, 160, 112, 224, 24, 64, 64)
    x = inception(x, 128, 128, 256, 24, 64, 64)
    x = inception(x, 112, 144, 288, 32, 64, 64)
    aux2 = auxiliary(x)
    x = inception(x, 256, 160, 320, 32, 128, 128)
    x = layers.MaxPooling2D(3, strides=pool4_stride, padding="same")(x)
    x = inception(x, 256, 160, 320, 32, 128, 128)
    x = inception(x, 384, 192, 384, 48, 128, 128)
    x = layers.Dropout(0.4)(layers.GlobalAveragePooling2D()(x))
    return keras.Model(inputs, [layers.Dense(1000, activation="softmax")(x), aux1, aux2])


def googlenet() -> keras.Model:
    """Faithful to Table 1 with Sec. 5's auxiliary classifiers."""
    return build_googlenet()


def googlenet_pool4_stride_1() -> keras.Model:
    """Departure: the max pool after inception (4e) strides 1 where Table 1 prints "max pool 3×3/2": the 5a and 5b
    modules work on 14×14 maps instead of 7×7, every parameter as printed."""
    return build_googlenet(pool4_stride=1)
