"""EfficientNet-B0 ... B7 in Keras 3 (Tan & Le, arXiv 1905.11946v3, Table 1, p. 5, and Eq. 3).

Layer names follow `implementations.specs.efficientnet` and match the PyTorch builder
(`stage3.layer1.depthwise.conv`). A stride-2 layer is zero-padded explicitly by TensorFlow's 'same' amounts,
which the PyTorch builder pads too; the depthwise convolutions are DepthwiseConv2D.
"""

from __future__ import annotations

import keras
from keras import layers

from implementations.specs.efficientnet import (
    BN_EPSILON,
    BN_MOMENTUM,
    DROP_CONNECT_RATE,
    SCALINGS,
    STAGES,
    Layer,
    mbconv_layers,
    round_filters,
    scaling_for,
)
from implementations.specs.padding import same_padding


def _conv_unit(x, name: str, filters: int, kernel: int, stride: int = 1, depthwise: bool = False, swish: bool = True):
    """[pad,] conv (no bias), BatchNorm[, swish]; 'same' padding."""
    padding = "same"
    if stride > 1:
        pads = (same_padding(x.shape[1], kernel, stride), same_padding(x.shape[2], kernel, stride))
        x = layers.ZeroPadding2D(pads, name=f"{name}.pad")(x)
        padding = "valid"
    if depthwise:
        x = layers.DepthwiseConv2D(kernel, stride, padding, use_bias=False, name=f"{name}.conv")(x)
    else:
        x = layers.Conv2D(filters, kernel, stride, padding, use_bias=False, name=f"{name}.conv")(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM, epsilon=BN_EPSILON, name=f"{name}.bn")(x)
    if swish:
        x = layers.Activation("swish", name=f"{name}.swish")(x)
    return x


def _squeeze_excitation(x, name: str, squeezed: int):
    """SE (Hu et al. 2018): global average pool, 1×1 to `squeezed` with swish, 1×1 back with a sigmoid, scale."""
    channels = x.shape[-1]
    s = layers.GlobalAveragePooling2D(keepdims=True, name=f"{name}.pool")(x)
    s = layers.Conv2D(squeezed, 1, name=f"{name}.reduce")(s)
    s = layers.Activation("swish", name=f"{name}.swish")(s)
    s = layers.Conv2D(channels, 1, name=f"{name}.expand")(s)
    s = layers.Activation("sigmoid", name=f"{name}.sigmoid")(s)
    return layers.Multiply(name=f"{name}.scale")([x, s])


def _mbconv(x, layer: Layer):
    """One MBConv<e>, k<k>x<k> layer of Table 1: expansion, depthwise, SE, projection[, shortcut]."""
    stage, name = layer.stage, layer.name
    y = x
    if stage.expansion != 1:
        y = _conv_unit(y, f"{name}.expand", layer.expanded, 1)
    y = _conv_unit(y, f"{name}.depthwise", layer.expanded, stage.kernel, layer.stride, depthwise=True)
    y = _squeeze_excitation(y, f"{name}.se", layer.squeezed)
    y = _conv_unit(y, f"{name}.project", layer.cout, 1, swish=False)
    if layer.residual:
        # Drop-connect: a whole sample's residual branch at once (noise shape 1 × 1 × 1 per sample).
        y = layers.Dropout(layer.drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}.drop")(y)
        y = layers.Add(name=f"{name}.add")([y, x])
    return y


def _efficientnet(
    variant: str,
    input_size: int,
    input_channels: int,
    num_classes: int,
    width_coefficient: float | None,
    depth_coefficient: float | None,
    dropout: float | None,
    drop_connect_rate: float,
) -> keras.Model:
    scaling = scaling_for(variant)
    width = scaling.width if width_coefficient is None else width_coefficient
    depth = scaling.depth if depth_coefficient is None else depth_coefficient
    stem, head = STAGES[0], STAGES[-1]
    inputs = keras.Input((input_size, input_size, input_channels), name="image")
    x = _conv_unit(inputs, "stage1.layer1", round_filters(stem.channels, width), stem.kernel, stem.stride)
    for layer in mbconv_layers(width, depth, drop_connect_rate):
        x = _mbconv(x, layer)
    x = _conv_unit(x, "stage9.layer1", round_filters(head.channels, width), head.kernel)
    x = layers.GlobalAveragePooling2D(keepdims=True, name="stage9.layer1.pool")(x)
    x = layers.Flatten(name="stage9.layer1.flatten")(x)
    x = layers.Dropout(scaling.dropout if dropout is None else dropout, name="stage9.layer1.dropout")(x)
    outputs = layers.Dense(num_classes, name="stage9.layer1.fc")(x)
    return keras.Model(inputs, outputs, name=variant)


def efficientnet_b0(
    *,
    input_size: int = SCALINGS["efficientnet_b0"].resolution,
    input_channels: int = 3,
    num_classes: int = 1000,
    width_coefficient: float | None = None,
    depth_coefficient: float | None = None,
    dropout: float | None = None,
    drop_connect_rate: float = DROP_CONNECT_RATE,
) -> keras.Model:
    """EfficientNet-B0, Table 1 (p. 5), at 224×224 by default. The coefficients default to the variant's."""
    return _efficientnet(
        "efficientnet_b0", input_size, input_channels, num_classes,
        width_coefficient, depth_coefficient, dropout, drop_connect_rate,
    )  # fmt: skip


def efficientnet_b1(
    *,
    input_size: int = SCALINGS["efficientnet_b1"].resolution,
    input_channels: int = 3,
    num_classes: int = 1000,
    width_coefficient: float | None = None,
    depth_coefficient: float | None = None,
    dropout: float | None = None,
    drop_connect_rate: float = DROP_CONNECT_RATE,
) -> keras.Model:
    """EfficientNet-B1, Table 2 (p. 6); the released code's width 1.0, depth 1.1, at 240×240 by default."""
    return _efficientnet(
        "efficientnet_b1", input_size, input_channels, num_classes,
        width_coefficient, depth_coefficient, dropout, drop_connect_rate,
    )  # fmt: skip


def efficientnet_b2(
    *,
    input_size: int = SCALINGS["efficientnet_b2"].resolution,
    input_channels: int = 3,
    num_classes: int = 1000,
    width_coefficient: float | None = None,
    depth_coefficient: float | None = None,
    dropout: float | None = None,
    drop_connect_rate: float = DROP_CONNECT_RATE,
) -> keras.Model:
    """EfficientNet-B2, Table 2 (p. 6); the released code's width 1.1, depth 1.2, at 260×260 by default."""
    return _efficientnet(
        "efficientnet_b2", input_size, input_channels, num_classes,
        width_coefficient, depth_coefficient, dropout, drop_connect_rate,
    )  # fmt: skip


def efficientnet_b3(
    *,
    input_size: int = SCALINGS["efficientnet_b3"].resolution,
    input_channels: int = 3,
    num_classes: int = 1000,
    width_coefficient: float | None = None,
    depth_coefficient: float | None = None,
    dropout: float | None = None,
    drop_connect_rate: float = DROP_CONNECT_RATE,
) -> keras.Model:
    """EfficientNet-B3, Table 2 (p. 6); the released code's width 1.2, depth 1.4, at 300×300 by default."""
    return _efficientnet(
        "efficientnet_b3", input_size, input_channels, num_classes,
        width_coefficient, depth_coefficient, dropout, drop_connect_rate,
    )  # fmt: skip


def efficientnet_b4(
    *,
    input_size: int = SCALINGS["efficientnet_b4"].resolution,
    input_channels: int = 3,
    num_classes: int = 1000,
    width_coefficient: float | None = None,
    depth_coefficient: float | None = None,
    dropout: float | None = None,
    drop_connect_rate: float = DROP_CONNECT_RATE,
) -> keras.Model:
    """EfficientNet-B4, Table 2 (p. 6); the released code's width 1.4, depth 1.8, at 380×380 by default."""
    return _efficientnet(
        "efficientnet_b4", input_size, input_channels, num_classes,
        width_coefficient, depth_coefficient, dropout, drop_connect_rate,
    )  # fmt: skip


def efficientnet_b5(
    *,
    input_size: int = SCALINGS["efficientnet_b5"].resolution,
    input_channels: int = 3,
    num_classes: int = 1000,
    width_coefficient: float | None = None,
    depth_coefficient: float | None = None,
    dropout: float | None = None,
    drop_connect_rate: float = DROP_CONNECT_RATE,
) -> keras.Model:
    """EfficientNet-B5, Table 2 (p. 6); the released code's width 1.6, depth 2.2, at 456×456 by default."""
    return _efficientnet(
        "efficientnet_b5", input_size, input_channels, num_classes,
        width_coefficient, depth_coefficient, dropout, drop_connect_rate,
    )  # fmt: skip


def efficientnet_b6(
    *,
    input_size: int = SCALINGS["efficientnet_b6"].resolution,
    input_channels: int = 3,
    num_classes: int = 1000,
    width_coefficient: float | None = None,
    depth_coefficient: float | None = None,
    dropout: float | None = None,
    drop_connect_rate: float = DROP_CONNECT_RATE,
) -> keras.Model:
    """EfficientNet-B6, Table 2 (p. 6); the released code's width 1.8, depth 2.6, at 528×528 by default."""
    return _efficientnet(
        "efficientnet_b6", input_size, input_channels, num_classes,
        width_coefficient, depth_coefficient, dropout, drop_connect_rate,
    )  # fmt: skip


def efficientnet_b7(
    *,
    input_size: int = SCALINGS["efficientnet_b7"].resolution,
    input_channels: int = 3,
    num_classes: int = 1000,
    width_coefficient: float | None = None,
    depth_coefficient: float | None = None,
    dropout: float | None = None,
    drop_connect_rate: float = DROP_CONNECT_RATE,
) -> keras.Model:
    """EfficientNet-B7, Table 2 (p. 6); the released code's width 2.0, depth 3.1, at 600×600 by default."""
    return _efficientnet(
        "efficientnet_b7", input_size, input_channels, num_classes,
        width_coefficient, depth_coefficient, dropout, drop_connect_rate,
    )  # fmt: skip
