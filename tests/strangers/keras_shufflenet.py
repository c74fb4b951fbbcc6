"""ShuffleNet 1× with g = 3 (Zhang et al. 2018, arXiv 1707.01083v2, Table 1, p. 4, Sec. 3 and Fig. 2) as a Keras
notebook writes it: the functional API with every layer left at its default name (`conv2d_17`,
`depthwise_conv2d_5`, `reshape_8`, `permute_4`), `padding="same"` everywhere (the stride-2 layers too), the
1×1 group convolutions as `Conv2D(groups=3)` (Stage 2's first one not grouped, Table 1's caption), the channel
shuffle (Sec. 3.1: "reshape the output channel dimension into (g, n), transposing and then flattening it back")
as `Reshape`, `Permute`, `Reshape` layers, the 3×3 depthwise convolution a `DepthwiseConv2D` with no ReLU after
its BatchNorm (Sec. 3.2), a stride-2 unit's shortcut a 3×3 `AveragePooling2D` concatenated before the residual
branch (Fig. 2 c), a stride-1 unit's an `Add`, `Activation("relu")` layers, the bottleneck a quarter of the
unit's output channels (Sec. 3.3), a `GlobalAveragePooling2D` and a softmax `Dense`. `shufflenet_g3_sliced` writes
each group convolution as older notebooks did, before `Conv2D` took `groups`: one `Conv2D` per slice of the
channels (`x[..., i * n:(i + 1) * n]`), concatenated."""

from __future__ import annotations

import keras
from keras import layers


def channel_shuffle(x, groups: int):
    height, width, channels = x.shape[1:]
    x = layers.Reshape((height, width, groups, channels // groups))(x)
    x = layers.Permute((1, 2, 4, 3))(x)
    return layers.Reshape((height, width, channels))(x)


def group_conv(x, filters: int, groups: int, sliced: bool):
    """A 1×1 group convolution: `Conv2D(groups=...)`, or one `Conv2D` per slice of the channels, concatenated."""
    if not sliced or groups == 1:
        return layers.Conv2D(filters, 1, groups=groups, use_bias=False)(x)
    width = x.shape[-1] // groups
    parts = [
        layers.Conv2D(filters // groups, 1, use_bias=False)(x[..., i * width : (i + 1) * width]) for i in range(groups)
    ]
    return layers.Concatenate()(parts)


def shuffle_unit(x, out_channels: int, strides: int, groups: int, first_grouped: bool = True, sliced: bool = False):
    in_channels = x.shape[-1]
    bottleneck = out_channels // 4
    if strides == 2:
        out_channels -= in_channels  # the shortcut's channels are concatenated
    y = group_conv(x, bottleneck, groups if first_grouped else 1, sliced)
    y = layers.BatchNormalization()(y)
    y = layers.Activation("relu")(y)
    y = channel_shuffle(y, groups)
    y = layers.DepthwiseConv2D(3, strides=strides, padding="same", use_bias=False)(y)
    y = layers.BatchNormalization()(y)
    y = group_conv(y, out_channels, groups, sliced)
    y = layers.BatchNormalization()(y)
    if strides == 2:
        shortcut = layers.AveragePooling2D(3, strides=2, padding="same")(x)
        y = layers.Concatenate()([shortcut, y])
    else:
        y = layers.Add()([y, x])
    return layers.Activation("relu")(y)


def stage(x, out_channels: int, repeats: int, groups: int, first_grouped: bool = True, sliced: bool = False):
    x = shuffle_unit(x, out_channels, 2, groups, first_grouped, sliced)
    for _ in range(repeats):
        x = shuffle_unit(x, out_channels, 1, groups, sliced=sliced)
    return x


def build_shufflenet(
    groups: int = 3,
    channels: tuple[int, int, int] = (240, 480, 960),
    repeats: tuple[int, int, int] = (3, 7, 3),
    classes: int = 1000,
    sliced: bool = False,
) -> keras.Model:
    inputs = keras.Input(shape=(224, 224, 3))
    x = layers.Conv2D(24, 3, strides=2, padding="same", use_bias=False)(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    x = stage(x, channels[0], repeats[0], groups, first_grouped=False, sliced=sliced)
    x = stage(x, channels[1], repeats[1], groups, sliced=sliced)
    x = stage(x, channels[2], repeats[2], groups, sliced=sliced)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def shufflenet_g3() -> keras.Model:
    """Faithful to Table 1's g = 3 column: Conv1 of 24, Stages 2-4 of 1 + 3, 1 + 7 and 1 + 3 units with 240, 480
    and 960 output channels, 50 weight layers (Sec. 4.3), 136,500,672 multiply-adds without the FC layer (the
    printed 137M)."""
    return build_shufflenet()


def shufflenet_g3_short_stage3() -> keras.Model:
    """Departure: Stage 3 of 1 + 6 units, not Table 1's 1 + 7 (its Repeat column): every output size and width is
    unchanged, but the network has 47 weight layers, not Sec. 4.3's 50, and one stride-1 unit's
    14·14·(2·480·120/3 + 9·120) = 7,738,080 multiply-adds fewer, 128,762,592 (129M, not Table 1's 137M nor the
    140M level of Tables 2 and 8)."""
    return build_shufflenet(repeats=(3, 6, 3))


def shufflenet_g3_sliced() -> keras.Model:
    """Faithful, as `shufflenet_g3`, with every group convolution written as three sliced ones: still 50 weight
    layers deep (Sec. 4.3), since the three read one input side by side."""
    return build_shufflenet(sliced=True)
