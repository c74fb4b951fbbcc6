"""VGG-16 (Simonyan & Zisserman 2015, arXiv 1409.1556v6, Table 1, configuration D) as a Keras notebook writes
it: a `keras.Sequential` stack with every layer left at its default name (`conv2d_7`, `max_pooling2d_2`,
`dense_1`), 3×3 `Conv2D` layers with `activation="relu"` and `padding="same"` (Sec. 2.1: stride 1, padding 1),
2×2 max pools with stride 2, then `Flatten`, two `Dense(4096, activation="relu")` each followed by
`Dropout(0.5)` (Sec. 3.1) and a softmax `Dense(1000)`."""

from __future__ import annotations

import keras
from keras import layers

# Table 1, column D: the filters of each block's 3×3 convolutions, a max pool after each block.
CONFIG_D = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]]


def build_vgg(blocks: list[list[int]]) -> keras.Sequential:
    model = keras.Sequential()
    model.add(keras.Input(shape=(224, 224, 3)))
    for block in blocks:
        for filters in block:
            model.add(layers.Conv2D(filters, (3, 3), activation="relu", padding="same"))
        model.add(layers.MaxPooling2D((2, 2), strides=(2, 2)))
    model.add(layers.Flatten())
    model.add(layers.Dense(4096, activation="relu"))
    model.add(layers.Dropout(0.5))
    model.add(layers.Dense(4096, activation="relu"))
    model.add(layers.Dropout(0.5))
    model.add(layers.Dense(1000, activation="softmax"))
    return model


def vgg16() -> keras.Sequential:
    """Faithful to Table 1's column D: 16 weight layers, 138 million parameters (Table 2)."""
    return build_vgg(CONFIG_D)


def vgg16_short_block4() -> keras.Sequential:
    """Departure: the fourth block has two conv3-512 layers, not Table 1's three (column D), so 15 weight
    layers instead of 16 and 136.0 million parameters instead of Table 2's 138."""
    blocks = [list(block) for block in CONFIG_D]
    blocks[3] = [512, 512]
    return build_vgg(blocks)
