"""AlexNet in Keras 3 (Krizhevsky, Sutskever, Hinton, NIPS 2012, Sec. 3 and Figure 2, p. 2-5).

Layer names follow the paper and match the PyTorch builder (conv1.conv, conv1.lrn, conv1.pool, ..., fc6.fc,
fc8.fc, softmax). The two GPUs are the two groups of conv2, conv4 and conv5 (`groups=2`). conv1 is preceded by
explicit zero padding of 2 (see specs.alexnet.CONV1_PADDING); 'same' padding with stride 4 would pad
differently. Flatten runs over H×W×C here and C×H×W in PyTorch: the same features in another order.
"""

from __future__ import annotations

import keras
from keras import layers

from implementations.keras.blocks import LocalResponseNorm
from implementations.specs.alexnet import (
    CONV1_PADDING,
    CONVS,
    DROPOUT,
    FULLS,
    INPUT_SIZE,
    LRN_ALPHA,
    LRN_BETA,
    LRN_K,
    LRN_N,
    POOL_SIZE,
    POOL_STRIDE,
    feature_size,
)


def alexnet(
    *,
    input_size: int = INPUT_SIZE,
    input_channels: int = 3,
    num_classes: int = 1000,
    conv1_padding: int = CONV1_PADDING,
) -> keras.Model:
    """AlexNet (Sec. 3.5, Figure 2) on an input_size × input_size × input_channels image (the paper's 224 × 224 × 3)."""
    feature_size(input_size, conv1_padding)  # raises for an input too small for the network
    inputs = keras.Input((input_size, input_size, input_channels), name="image")
    x = inputs
    for spec in CONVS:
        padding = conv1_padding if spec.name == "conv1" else spec.padding
        if spec.stride > 1 and padding:
            x = layers.ZeroPadding2D(padding, name=f"{spec.name}.pad")(x)
            padding = 0
        mode = "valid" if padding == 0 else "same"  # stride 1, padding kernel // 2: 'same' pads alike
        x = layers.Conv2D(spec.kernels, spec.kernel, spec.stride, mode, groups=spec.groups, name=f"{spec.name}.conv")(x)
        x = layers.ReLU(name=f"{spec.name}.relu")(x)
        if spec.lrn:
            x = LocalResponseNorm(LRN_N, LRN_ALPHA, LRN_BETA, LRN_K, name=f"{spec.name}.lrn")(x)
        if spec.pool:
            x = layers.MaxPooling2D(POOL_SIZE, POOL_STRIDE, name=f"{spec.name}.pool")(x)
    x = layers.Flatten(name="flatten")(x)
    for spec in FULLS:
        x = layers.Dense(num_classes if spec.name == "fc8" else spec.units, name=f"{spec.name}.fc")(x)
        if spec.relu:
            x = layers.ReLU(name=f"{spec.name}.relu")(x)
        if spec.dropout:
            x = layers.Dropout(DROPOUT, name=f"{spec.name}.dropout")(x)
    outputs = layers.Softmax(name="softmax")(x)
    return keras.Model(inputs, outputs, name="alexnet")
