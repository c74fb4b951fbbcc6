"""MobileNet v1 (Howard et al. 2017, arXiv 1704.04861v1, Table 1) as a Keras notebook writes it: the functional
API with every layer left at its default name (`depthwise_conv2d_4`, `conv2d_5`, `batch_normalization_9`),
`padding="same"` everywhere (TensorFlow pads a stride-2 3×3 convolution by (0, 1), not (1, 1): the sizes are
Table 1's all the same), convolutions without bias as BatchNorm follows each (Sec. 3.2), a `ReLU` layer after
every BatchNorm, a global average pool, and the classifier as one `Dense` with a softmax activation."""

from __future__ import annotations

import keras
from keras import layers

# (pointwise filters, depthwise stride) of the 13 depthwise separable blocks, Table 1 rows 2-27 (the 13th
# depthwise convolution printed "s2" is stride 1: its input and output are both 7 × 7 × 1024).
BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]


def depthwise_separable(x, filters: int, stride: int):
    x = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Conv2D(filters, 1, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


def build_mobilenet(blocks: list[tuple[int, int]]) -> keras.Model:
    inputs = keras.Input(shape=(224, 224, 3))
    x = layers.Conv2D(32, 3, strides=2, padding="same", use_bias=False)(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    for filters, stride in blocks:
        x = depthwise_separable(x, filters, stride)
    x = layers.GlobalAveragePooling2D()(x)  # Table 1's "Avg Pool 7 × 7 / s1" over the 7 × 7 map
    outputs = layers.Dense(1000, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def mobilenet() -> keras.Model:
    """Faithful to Table 1 (α = 1, 224 × 224): 569 million Mult-Adds and 4.2 million parameters (Table 6)."""
    return build_mobilenet(BLOCKS)


def mobilenet_thin_block7() -> keras.Model:
    """Departure: the 7th block's pointwise convolution has 256 filters, not Table 1's 1 × 1 × 512 × 512; the
    8th depthwise convolution then sees 256 channels (Table 1: 3 × 3 × 512 dw), and the network's Mult-Adds
    and parameters fall (Table 6's 569 million to 517 million, 4.2 million to 4.0 million)."""
    blocks = list(BLOCKS)
    blocks[6] = (256, 1)
    return build_mobilenet(blocks)
