"""ShuffleNet (v1) in Keras 3 (Zhang et al., arXiv 1707.01083v2, Table 1, Sec. 3, Fig. 2).

Layer names match the PyTorch builder (implementations/specs/shufflenet.py): `conv1.conv`, `maxpool.pool`,
`stage2.unit1.gconv1`, `stage2.unit1.shuffle`, ..., `globalpool`, `flatten`, `fc`, `softmax`. Depthwise
convolutions are `DepthwiseConv2D`; the 1×1 group convolutions are `Conv2D(groups=g)`. Every strided 3×3
layer is preceded by explicit zero padding: TensorFlow's 'same' padding with stride 2 pads (0, 1) where
PyTorch pads (1, 1). The channel shuffle uses the network's g in every unit and a stride-2 unit concatenates
[shortcut, residual], as in the PyTorch builder (see its docstring).
"""

from __future__ import annotations

from typing import Any

import keras
from keras import layers, ops

from implementations.specs.shufflenet import (
    BN_EPSILON,
    INPUT_SIZE,
    KERNEL,
    NUM_CLASSES,
    Unit,
    conv1_channels,
    feature_side,
    units,
)


class ChannelShuffle(layers.Layer):
    """Sec. 3.1, p. 3: "reshape the output channel dimension into (g, n), transposing and then flattening it
    back"; a permutation of the channels (the last axis), without weights."""

    paperverify_kind = "channel_shuffle"

    def __init__(self, groups: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.groups = groups

    def paperverify_attributes(self) -> dict[str, int]:
        return {"groups": self.groups}

    def call(self, x):
        _, h, w, c = x.shape
        x = ops.reshape(x, (-1, h, w, self.groups, c // self.groups))
        return ops.reshape(ops.transpose(x, (0, 1, 2, 4, 3)), (-1, h, w, c))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "groups": self.groups}


def _bn(x, name: str):
    return layers.BatchNormalization(epsilon=BN_EPSILON, name=name)(x)


def _unit(x, unit: Unit, groups: int):
    """Fig. 2 (b) (stride 1) or (c) (stride 2): GConv 1×1, BN, ReLU, channel shuffle, DWConv 3×3, BN, GConv 1×1,
    BN; add the input, or concatenate its 3×3 average pool; ReLU."""
    name, strided = unit.name, unit.stride == 2
    y = layers.Conv2D(unit.bottleneck, 1, groups=unit.groups1, use_bias=False, name=f"{name}.gconv1")(x)
    y = layers.ReLU(name=f"{name}.relu1")(_bn(y, f"{name}.bn1"))
    y = ChannelShuffle(groups, name=f"{name}.shuffle")(y)
    padding = "same"
    if strided:
        y = layers.ZeroPadding2D(1, name=f"{name}.pad")(y)
        padding = "valid"
    y = layers.DepthwiseConv2D(KERNEL, unit.stride, padding, use_bias=False, name=f"{name}.dwconv")(y)
    y = _bn(y, f"{name}.bn2")
    y = layers.Conv2D(unit.residual_channels, 1, groups=unit.groups2, use_bias=False, name=f"{name}.gconv2")(y)
    y = _bn(y, f"{name}.bn3")
    if strided:
        shortcut = layers.ZeroPadding2D(1, name=f"{name}.shortcut.pad")(x)
        shortcut = layers.AveragePooling2D(KERNEL, 2, name=f"{name}.shortcut.pool")(shortcut)
        y = layers.Concatenate(name=f"{name}.concat")([shortcut, y])
    else:
        y = layers.Add(name=f"{name}.add")([y, x])
    return layers.ReLU(name=f"{name}.relu")(y)


def _shufflenet(groups: int, scale: float, input_size: int, input_channels: int, num_classes: int) -> keras.Model:
    inputs = keras.Input((input_size, input_size, input_channels), name="image")
    x = layers.ZeroPadding2D(1, name="conv1.pad")(inputs)
    x = layers.Conv2D(conv1_channels(scale, groups), KERNEL, 2, use_bias=False, name="conv1.conv")(x)
    x = layers.ReLU(name="conv1.relu")(_bn(x, "conv1.bn"))
    x = layers.ZeroPadding2D(1, name="maxpool.pad")(x)
    x = layers.MaxPooling2D(KERNEL, 2, name="maxpool.pool")(x)
    for unit in units(groups, scale):
        x = _unit(x, unit, groups)
    x = layers.AveragePooling2D(feature_side(input_size), strides=1, name="globalpool")(x)  # Table 1: 7 × 7
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(num_classes, name="fc")(x)
    outputs = layers.Softmax(name="softmax")(x)
    return keras.Model(inputs, outputs, name=f"shufflenet_g{groups}_{scale}x")


def shufflenet_g1(
    *,
    input_size: int = INPUT_SIZE,
    input_channels: int = 3,
    scale: float = 1.0,
    num_classes: int = NUM_CLASSES,
) -> keras.Model:
    """ShuffleNet s× with g = 1 (Table 1, p. 4; Sec. 3.3): no pointwise group convolution, "Xception-like"."""
    return _shufflenet(1, scale, input_size, input_channels, num_classes)


def shufflenet_g2(
    *,
    input_size: int = INPUT_SIZE,
    input_channels: int = 3,
    scale: float = 1.0,
    num_classes: int = NUM_CLASSES,
) -> keras.Model:
    """ShuffleNet s× with g = 2 (Table 1, p. 4; Sec. 3.3)."""
    return _shufflenet(2, scale, input_size, input_channels, num_classes)


def shufflenet_g3(
    *,
    input_size: int = INPUT_SIZE,
    input_channels: int = 3,
    scale: float = 1.0,
    num_classes: int = NUM_CLASSES,
) -> keras.Model:
    """ShuffleNet s× with g = 3 (Table 1, p. 4; Sec. 3.3)."""
    return _shufflenet(3, scale, input_size, input_channels, num_classes)


def shufflenet_g4(
    *,
    input_size: int = INPUT_SIZE,
    input_channels: int = 3,
    scale: float = 1.0,
    num_classes: int = NUM_CLASSES,
) -> keras.Model:
    """ShuffleNet s× with g = 4 (Table 1, p. 4; Sec. 3.3)."""
    return _shufflenet(4, scale, input_size, input_channels, num_classes)


def shufflenet_g8(
    *,
    input_size: int = INPUT_SIZE,
    input_channels: int = 3,
    scale: float = 1.0,
    num_classes: int = NUM_CLASSES,
) -> keras.Model:
    """ShuffleNet s× with g = 8 (Table 1, p. 4; Sec. 3.3)."""
    return _shufflenet(8, scale, input_size, input_channels, num_classes)
