"""MobileNet v1 in Keras 3 (Howard et al., arXiv 1704.04861v1, Table 1 and Sec. 3).

Layer names match the PyTorch builder (implementations/specs/mobilenet.py): `conv1.conv`, `conv_dw_2.pad`,
`conv_dw_2.conv`, `conv_pw_2.bn`, ..., `avgpool`, `flatten`, `fc`, `softmax`. Depthwise convolutions are
`DepthwiseConv2D`. Stride-2 convolutions are preceded by explicit zero padding: TensorFlow's 'same' padding
with stride 2 pads (0, 1) where PyTorch pads (1, 1).
"""

from __future__ import annotations

import keras
from keras import layers

from implementations.specs.mobilenet import (
    BN_EPSILON,
    CONV1,
    INPUT_SIZE,
    KERNEL,
    NUM_CLASSES,
    blocks,
    feature_side,
    width,
)


def _conv(x, name: str, filters: int | None, kernel: int, stride: int):
    """A convolution without bias (depthwise when `filters` is None), then batchnorm and ReLU (Sec. 3.2,
    Fig. 3); explicit zero padding when strided."""
    padding = "same"
    if stride > 1:
        x = layers.ZeroPadding2D(kernel // 2, name=f"{name}.pad")(x)
        padding = "valid"
    if filters is None:
        x = layers.DepthwiseConv2D(kernel, stride, padding, use_bias=False, name=f"{name}.conv")(x)
    else:
        x = layers.Conv2D(filters, kernel, stride, padding, use_bias=False, name=f"{name}.conv")(x)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}.bn")(x)
    return layers.ReLU(name=f"{name}.relu")(x)


def mobilenet_v1(
    *,
    input_size: int = INPUT_SIZE,
    input_channels: int = 3,
    alpha: float = 1.0,
    num_classes: int = NUM_CLASSES,
    full_convolutions: bool = False,
    shallow: bool = False,
) -> keras.Model:
    """MobileNet (Table 1, p. 4) with width multiplier `alpha` (Sec. 3.3) for input_size² images (Sec. 3.4):
    the average pool covers the whole last feature map. `full_convolutions`: Table 4's Conv MobileNet;
    `shallow`: Table 5's Shallow MobileNet (Sec. 4.1, p. 5)."""
    inputs = keras.Input((input_size, input_size, input_channels), name="image")
    x = _conv(inputs, "conv1", width(CONV1, alpha), KERNEL, 2)
    for block in blocks(shallow):
        if full_convolutions:  # Table 4's Conv MobileNet
            x = _conv(x, f"conv_full_{block.index}", width(block.filters, alpha), KERNEL, block.stride)
        else:
            x = _conv(x, f"conv_dw_{block.index}", None, KERNEL, block.stride)
            x = _conv(x, f"conv_pw_{block.index}", width(block.filters, alpha), 1, 1)
    side = feature_side(input_size)
    x = layers.AveragePooling2D(side, strides=1, name="avgpool")(x)  # Table 1: Avg Pool / s1, Pool 7 × 7
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(num_classes, name="fc")(x)
    outputs = layers.Softmax(name="softmax")(x)
    return keras.Model(inputs, outputs, name=f"mobilenet_v1_{alpha}_{input_size}")
