"""MLP-Mixer in Keras 3 (Tolstikhin et al., arXiv 2105.01601, HTML rendering, Table 1 and Sec. 2).

Layer names match the PyTorch builders (`blocks.block1.token_mixing.fc1`). GELU is the exact x·Φ(x), as
PyTorch's default: Keras' own default is the tanh approximation, which `GELU` here turns off.
"""

from __future__ import annotations

import keras
from keras import layers

from implementations.specs.mixer import LN_EPSILON, VARIANTS, scale_for, sequence_length


class GELU(layers.Layer):
    """The exact GELU, x·Φ(x) (Sec. 2: "σ is an element-wise nonlinearity (GELU)")."""

    paperverify_kind = "gelu"

    def call(self, x):
        return keras.ops.gelu(x, approximate=False)

    def compute_output_shape(self, input_shape):
        return input_shape


def _mlp(x, name: str, hidden: int):
    """An MLP block: fc to the MLP dimension, GELU, fc back to the input's width (Sec. 2)."""
    width = x.shape[-1]
    x = layers.Dense(hidden, name=f"{name}.fc1")(x)
    x = GELU(name=f"{name}.gelu")(x)
    return layers.Dense(width, name=f"{name}.fc2")(x)


def _block(x, name: str, tokens_mlp: int, channels_mlp: int):
    """Token mixing (LayerNorm, transpose, MLP over the S tokens, transpose back, add), then channel mixing."""
    y = layers.LayerNormalization(epsilon=LN_EPSILON, name=f"{name}.token_mixing.norm")(x)
    y = layers.Permute((2, 1), name=f"{name}.token_mixing.transpose1")(y)
    y = _mlp(y, f"{name}.token_mixing", tokens_mlp)
    y = layers.Permute((2, 1), name=f"{name}.token_mixing.transpose2")(y)
    x = layers.Add(name=f"{name}.add1")([x, y])
    y = layers.LayerNormalization(epsilon=LN_EPSILON, name=f"{name}.channel_mixing.norm")(x)
    y = _mlp(y, f"{name}.channel_mixing", channels_mlp)
    return layers.Add(name=f"{name}.add2")([x, y])


def mixer(
    *,
    input_size: int = 224,
    input_channels: int = 3,
    scale: str,
    patch_size: int,
    num_classes: int = 1000,
    name: str = "mixer",
) -> keras.Model:
    """A Mixer of any Table 1 scale (S, B, L, H) and patch resolution; the token-mixing MLPs follow input_size."""
    spec = scale_for(scale)
    tokens = sequence_length(input_size, input_size, patch_size)
    inputs = keras.Input((input_size, input_size, input_channels), name="image")
    x = layers.Conv2D(spec.hidden, patch_size, patch_size, name="stem.conv")(inputs)
    x = layers.Reshape((tokens, spec.hidden), name="stem.tokens")(x)
    for index in range(1, spec.layers + 1):
        x = _block(x, f"blocks.block{index}", spec.tokens_mlp, spec.channels_mlp)
    x = layers.GlobalAveragePooling1D(name="pool")(x)
    outputs = layers.Dense(num_classes, name="head")(x)
    return keras.Model(inputs, outputs, name=name)


def _variant(name: str, input_size: int, input_channels: int, num_classes: int) -> keras.Model:
    scale, patch = VARIANTS[name]
    return mixer(
        input_size=input_size, input_channels=input_channels, scale=scale, patch_size=patch, num_classes=num_classes,
        name=name,
    )  # fmt: skip


def mixer_s32(*, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000) -> keras.Model:
    """Mixer-S/32, Table 1."""
    return _variant("mixer_s32", input_size, input_channels, num_classes)


def mixer_s16(*, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000) -> keras.Model:
    """Mixer-S/16, Table 1."""
    return _variant("mixer_s16", input_size, input_channels, num_classes)


def mixer_b32(*, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000) -> keras.Model:
    """Mixer-B/32, Table 1."""
    return _variant("mixer_b32", input_size, input_channels, num_classes)


def mixer_b16(*, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000) -> keras.Model:
    """Mixer-B/16, Table 1."""
    return _variant("mixer_b16", input_size, input_channels, num_classes)


def mixer_l32(*, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000) -> keras.Model:
    """Mixer-L/32, Table 1."""
    return _variant("mixer_l32", input_size, input_channels, num_classes)


def mixer_l16(*, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000) -> keras.Model:
    """Mixer-L/16, Table 1."""
    return _variant("mixer_l16", input_size, input_channels, num_classes)


def mixer_h14(*, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000) -> keras.Model:
    """Mixer-H/14, Table 1."""
    return _variant("mixer_h14", input_size, input_channels, num_classes)
