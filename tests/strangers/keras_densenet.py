"""DenseNet-121 (Huang et al. 2017, arXiv 1608.06993v5, Table 1, p. 4, and Sec. 3, pp. 3-4) as a Keras notebook
writes it: the functional API with every layer left at its default name (`conv2d_17`, `batch_normalization_17`,
`concatenate_5`), `conv_block` / `dense_block` / `transition_block` helpers, every "conv" of Table 1 the sequence
BN-ReLU-Conv (its caption), the 7×7 stem convolution included, with `Activation("relu")` layers and bias-free
convolutions; each dense layer a 1×1 bottleneck of 4k filters then a 3×3 convolution of k (Sec. 3, Bottleneck
layers), concatenated after its input; transitions halving the channels (θ = 0.5, Sec. 3, Compression) before a
2×2 average pool; `ZeroPadding2D` before the stem convolution and the max pool (224 → 112 → 56, Table 1's output
sizes); a `GlobalAveragePooling2D` and a softmax `Dense`."""

from __future__ import annotations

import keras
from keras import layers


def conv_block(x, growth_rate: int):
    x1 = layers.BatchNormalization(epsilon=1.001e-5)(x)
    x1 = layers.Activation("relu")(x1)
    x1 = layers.Conv2D(4 * growth_rate, 1, use_bias=False)(x1)
    x1 = layers.BatchNormalization(epsilon=1.001e-5)(x1)
    x1 = layers.Activation("relu")(x1)
    x1 = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False)(x1)
    return layers.Concatenate()([x, x1])


def dense_block(x, blocks: int, growth_rate: int):
    for _ in range(blocks):
        x = conv_block(x, growth_rate)
    return x


def transition_block(x, reduction: float):
    x = layers.BatchNormalization(epsilon=1.001e-5)(x)
    x = layers.Activation("relu")(x)
    x = layers.Conv2D(int(x.shape[-1] * reduction), 1, use_bias=False)(x)
    return layers.AveragePooling2D(2, strides=2)(x)


def build_densenet(
    blocks: tuple[int, int, int, int] = (6, 12, 24, 16),
    growth_rates: tuple[int, int, int, int] = (32, 32, 32, 32),
    reduction: float = 0.5,
    input_shape: tuple[int, int, int] = (224, 224, 3),
    classes: int = 1000,
) -> keras.Model:
    inputs = keras.Input(shape=input_shape)
    x = layers.BatchNormalization(epsilon=1.001e-5)(inputs)
    x = layers.Activation("relu")(x)
    x = layers.ZeroPadding2D(3)(x)
    x = layers.Conv2D(2 * growth_rates[0], 7, strides=2, use_bias=False)(x)
    x = layers.ZeroPadding2D(1)(x)
    x = layers.MaxPooling2D(3, strides=2)(x)
    for index, (count, growth_rate) in enumerate(zip(blocks, growth_rates, strict=True)):
        x = dense_block(x, count, growth_rate)
        if index < len(blocks) - 1:
            x = transition_block(x, reduction)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def densenet121() -> keras.Model:
    """Faithful to Table 1's DenseNet-121 column (p. 4): k = 32, dense blocks of 6, 12, 24 and 16 layers, the
    output sizes 112, 56, 56, 28, 28, 14, 14, 7, 7 and 1, and 2·58 + 5 = 121 weight layers."""
    return build_densenet()


def densenet121_short_block4() -> keras.Model:
    """Departure: dense block 4 of 15 layers, not Table 1's 16: its row reads [1×1 conv; 3×3 conv] ×15 and the
    network has 2·57 + 5 = 119 weight layers, not the 121 its name states (every output size is unchanged; the
    classifier reads 992 features, not 1024)."""
    return build_densenet(blocks=(6, 12, 24, 15))
