"""SqueezeNet v1.0 (Iandola et al. 2016, arXiv 1602.07360v4, Table 1) as a Keras notebook writes it: the
functional API with every layer left at its default name (`conv2d_7`, `concatenate_2`, `max_pooling2d_1`), a
`fire_module(x, squeeze, expand)` helper whose expand layer is a 1×1 and a 3×3 `Conv2D` (`padding="same"`,
Sec. 3.3.1's 1-pixel border) joined by `Concatenate`, ReLU inside every `Conv2D`, dropout after fire9, a global
average pool and a softmax `Activation`. conv1 is zero-padded by 2 so that a 224 × 224 input gives Table 1's
111 × 111 × 96."""

from __future__ import annotations

import keras
from keras import layers


def fire_module(x, squeeze: int, expand: int):
    s = layers.Conv2D(squeeze, 1, activation="relu")(x)
    left = layers.Conv2D(expand, 1, activation="relu")(s)
    right = layers.Conv2D(expand, 3, padding="same", activation="relu")(s)
    return layers.Concatenate()([left, right])


def build_squeezenet(pool_after: tuple[int, ...] = (4, 8)) -> keras.Model:
    inputs = keras.Input(shape=(224, 224, 3))
    x = layers.ZeroPadding2D(2)(inputs)
    x = layers.Conv2D(96, 7, strides=2, activation="relu")(x)
    x = layers.MaxPooling2D(3, strides=2)(x)
    # fire2 ... fire9 of Table 1: (s1x1, e1x1 = e3x3)
    fires = {
        2: (16, 64),
        3: (16, 64),
        4: (32, 128),
        5: (32, 128),
        6: (48, 192),
        7: (48, 192),
        8: (64, 256),
        9: (64, 256),
    }
    for index, (squeeze, expand) in fires.items():
        x = fire_module(x, squeeze, expand)
        if index in pool_after:
            x = layers.MaxPooling2D(3, strides=2)(x)
    x = layers.Dropout(0.5)(x)
    x = layers.Conv2D(1000, 1, activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Activation("softmax")(x)
    return keras.Model(inputs, outputs)


def squeezenet() -> keras.Model:
    """Faithful to Table 1: max pools after conv1, fire4 and fire8 (Sec. 3.3), 1,248,424 parameters."""
    return build_squeezenet()


def squeezenet_late_pool() -> keras.Model:
    """Departure: the second max pool follows fire5, not fire4 (Table 1's maxpool4). fire5 then runs at
    55 × 55, where Table 1 prints 27 × 27 × 256 for it; every layer keeps its parameters (1,248,424 still)."""
    return build_squeezenet(pool_after=(5, 8))
