"""AlexNet (Krizhevsky et al. 2012, Sec. 3.5 and Figure 2) as a Keras notebook writes the original two-GPU network
with the functional API and default layer names: `Conv2D` layers with `activation="relu"`, conv2, conv4 and conv5
grouped with `groups=2` (the kernels see only the maps "which reside on the same GPU"), a `ZeroPadding2D(2)`
before conv1 so that the printed 224×224 input gives Figure 2's 55×55, the response normalisation after conv1
and conv2 a layer of its own wrapping `tf.nn.local_response_normalization` with its argument names (Sec. 3.3:
k = 2, n = 5 as `depth_radius=2`, α = 10^−4, β = 0.75; its kind declared with `--kind LRN=lrn`), overlapping
3×3/2 max pools (Sec. 3.4), `Flatten`, fc6 and fc7 with `Dropout(0.5)` (Sec. 4.2) and a softmax fc8."""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers


class LRN(layers.Layer):
    def __init__(self, depth_radius: int = 2, bias: float = 2.0, alpha: float = 1e-4, beta: float = 0.75, **kwargs):
        super().__init__(**kwargs)
        self.depth_radius, self.bias, self.alpha, self.beta = depth_radius, bias, alpha, beta

    def call(self, x):
        return tf.nn.local_response_normalization(x, self.depth_radius, self.bias, self.alpha, self.beta)


def build_alexnet(conv4_groups: int = 2, normalise: type[layers.Layer] = LRN) -> keras.Model:
    inputs = keras.Input((224, 224, 3))
    x = layers.ZeroPadding2D(2)(inputs)
    x = normalise()(layers.Conv2D(96, 11, strides=4, activation="relu")(x))
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = normalise()(layers.Conv2D(256, 5, padding="same", groups=2, activation="relu")(x))
    x = layers.MaxPooling2D(3, strides=2)(x)
    x = layers.Conv2D(384, 3, padding="same", activation="relu")(x)
    x = layers.Conv2D(384, 3, padding="same", groups=conv4_groups, activation="relu")(x)
    x = layers.Conv2D(256, 3, padding="same", groups=2, activation="relu")(x)
    x = layers.Flatten()(layers.MaxPooling2D(3, strides=2)(x))
    x = layers.Dropout(0.5)(layers.Dense(4096, activation="relu")(x))
    x = layers.Dropout(0.5)(layers.Dense(4096, activation="relu")(x))
    return keras.Model(inputs, layers.Dense(1000, activation="softmax")(x))


def alexnet() -> keras.Model:
    """Faithful to Sec. 3.5 and Figure 2: 60,965,224 parameters (the printed 60 million)."""
    return build_alexnet()


def alexnet_ungrouped_conv4() -> keras.Model:
    """Departure: conv4 connected to all of conv3's maps (`groups=1`), where Sec. 3.5 connects it to the maps on
    its own GPU: 663,552 parameters more."""
    return build_alexnet(conv4_groups=1)
