"""SE-ResNet and SE-ResNeXt in Keras 3 (Hu et al., arXiv 1709.01507v4, Table 1, p. 5; Fig. 3, p. 4).

Layer names match the PyTorch builders (`conv4_x.conv4_2.se.fc1`); the strided convolutions and the max pool
are zero-padded explicitly, as in `implementations.keras.resnet`.
"""

from __future__ import annotations

import keras
from keras import layers

from implementations.keras.blocks import ChannelPad, conv_bn
from implementations.specs.resnet import BN_EPSILON, ResNetSpec, needs_projection
from implementations.specs.senet import (
    ALL_STAGES,
    REDUCTION,
    RESNET_STRIDE_CONV,
    RESNEXT50,
    RESNEXT_STRIDE_CONV,
    SE_BIAS,
    resnet_spec,
    se_stage_indices,
    se_width,
)


class Scale(layers.Layer):
    """F_scale (Eq. 4, p. 4): each channel of the block's output times its gate s_c; called on [u, s]."""

    paperverify_kind = "multiply"

    def call(self, inputs):
        u, s = inputs
        return u * keras.ops.expand_dims(keras.ops.expand_dims(s, 1), 1)

    def compute_output_shape(self, input_shapes):
        return input_shapes[0]


def _squeeze_excitation(u, name: str, reduction: int, bias: bool):
    """The SE block (Sec. 3.1-3.2, Eqs. 2-4): global average pool, fc C/r, ReLU, fc C, sigmoid, scale."""
    channels = u.shape[-1]
    s = layers.GlobalAveragePooling2D(keepdims=True, name=f"{name}.squeeze")(u)
    s = layers.Flatten(name=f"{name}.flatten")(s)
    s = layers.Dense(se_width(channels, reduction), use_bias=bias, name=f"{name}.fc1")(s)
    s = layers.ReLU(name=f"{name}.relu")(s)
    s = layers.Dense(channels, use_bias=bias, name=f"{name}.fc2")(s)
    s = layers.Activation("sigmoid", name=f"{name}.sigmoid")(s)
    return Scale(name=f"{name}.scale")([u, s])


def _block(x, name: str, convs, stride: int, stride_conv: int, shortcut: str, se: tuple[int, bool] | None):
    """A residual block (one Table 1 bracket) with its SE module before the addition (Fig. 3, right)."""
    cin = x.shape[-1]
    y = x
    for index, conv in enumerate(convs, start=1):
        conv_stride = stride if index == stride_conv else 1
        y = conv_bn(y, name, str(index), conv.filters, conv.kernel, conv_stride, conv.groups, epsilon=BN_EPSILON)
        if index < len(convs):
            y = layers.ReLU(name=f"{name}.relu{index}")(y)
    if se is not None:
        y = _squeeze_excitation(y, f"{name}.se", *se)
    cout = convs[-1].filters
    if needs_projection(shortcut, cin, cout, stride):
        s = conv_bn(x, f"{name}.shortcut", "", cout, 1, stride, epsilon=BN_EPSILON)
    elif stride != 1 or cin != cout:
        s = layers.MaxPooling2D(1, stride, name=f"{name}.shortcut.subsample")(x)
        s = ChannelPad(cout - cin, name=f"{name}.shortcut.pad")(s)
    else:
        s = x
    y = layers.Add(name=f"{name}.add")([y, s])
    return layers.ReLU(name=f"{name}.relu")(y)


def _senet(
    spec: ResNetSpec,
    name: str,
    *,
    stride_conv: int,
    reduction: int,
    se_bias: bool,
    se_stages: str,
    shortcut: str,
    input_size: int,
    input_channels: int,
    num_classes: int,
) -> keras.Model:
    stages = se_stage_indices(se_stages)
    inputs = keras.Input((input_size, input_size, input_channels), name="image")
    x = conv_bn(inputs, "conv1", "", spec.stem_filters, spec.stem_kernel, 2, epsilon=BN_EPSILON)
    x = layers.ReLU(name="conv1.relu")(x)
    for stage in spec.stages:
        if stage.index == 2:  # Table 1 prints "max pool, 3×3, stride 2" above conv2_x.
            x = layers.ZeroPadding2D(1, name="conv2_x.maxpool.pad")(x)
            x = layers.MaxPooling2D(3, 2, name="conv2_x.maxpool.pool")(x)
        for number in range(1, stage.blocks + 1):
            stride = stage.stride if number == 1 else 1
            se = (reduction, se_bias) if stage.index in stages else None
            block = f"{stage.name}.conv{stage.index}_{number}"
            x = _block(x, block, stage.block, stride, stride_conv, shortcut, se)
    x = layers.GlobalAveragePooling2D(keepdims=True, name="avgpool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(num_classes, name="fc")(x)
    outputs = layers.Softmax(name="softmax")(x)
    return keras.Model(inputs, outputs, name=name)


def se_resnet50(
    *,
    input_size: int = 224,
    input_channels: int = 3,
    num_classes: int = 1000,
    reduction: int = REDUCTION,
    se_bias: bool = SE_BIAS,
    se_stages: str = ALL_STAGES,
    shortcut: str = "B",
) -> keras.Model:
    """SE-ResNet-50, Table 1 (p. 5), middle column."""
    return _senet(
        resnet_spec(50), "se_resnet50", stride_conv=RESNET_STRIDE_CONV, reduction=reduction, se_bias=se_bias,
        se_stages=se_stages, shortcut=shortcut, input_size=input_size, input_channels=input_channels,
        num_classes=num_classes,
    )  # fmt: skip


def se_resnet101(
    *,
    input_size: int = 224,
    input_channels: int = 3,
    num_classes: int = 1000,
    reduction: int = REDUCTION,
    se_bias: bool = SE_BIAS,
    se_stages: str = ALL_STAGES,
    shortcut: str = "B",
) -> keras.Model:
    """SE-ResNet-101 (Table 2, p. 5): He et al.'s 101-layer stages with SE blocks as in Table 1."""
    return _senet(
        resnet_spec(101), "se_resnet101", stride_conv=RESNET_STRIDE_CONV, reduction=reduction, se_bias=se_bias,
        se_stages=se_stages, shortcut=shortcut, input_size=input_size, input_channels=input_channels,
        num_classes=num_classes,
    )  # fmt: skip


def se_resnet152(
    *,
    input_size: int = 224,
    input_channels: int = 3,
    num_classes: int = 1000,
    reduction: int = REDUCTION,
    se_bias: bool = SE_BIAS,
    se_stages: str = ALL_STAGES,
    shortcut: str = "B",
) -> keras.Model:
    """SE-ResNet-152 (Table 2, p. 5): He et al.'s 152-layer stages with SE blocks as in Table 1."""
    return _senet(
        resnet_spec(152), "se_resnet152", stride_conv=RESNET_STRIDE_CONV, reduction=reduction, se_bias=se_bias,
        se_stages=se_stages, shortcut=shortcut, input_size=input_size, input_channels=input_channels,
        num_classes=num_classes,
    )  # fmt: skip


def se_resnext50(
    *,
    input_size: int = 224,
    input_channels: int = 3,
    num_classes: int = 1000,
    reduction: int = REDUCTION,
    se_bias: bool = SE_BIAS,
    se_stages: str = ALL_STAGES,
    shortcut: str = "B",
) -> keras.Model:
    """SE-ResNeXt-50 (32×4d), Table 1 (p. 5), right column."""
    return _senet(
        RESNEXT50, "se_resnext50", stride_conv=RESNEXT_STRIDE_CONV, reduction=reduction, se_bias=se_bias,
        se_stages=se_stages, shortcut=shortcut, input_size=input_size, input_channels=input_channels,
        num_classes=num_classes,
    )  # fmt: skip
