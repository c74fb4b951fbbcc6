"""MLP-Mixer S/32 (Tolstikhin et al. 2021, arXiv 2105.01601, Table 1 and Sec. 2) as a Keras notebook writes it
with the functional API and default layer names: the per-patch fully-connected stem a `Conv2D` with kernel and
stride P and a `Reshape` into tokens, each block's token-mixing MLP two `Dense` layers between two
`Permute((2, 1))` transposes and its channel-mixing MLP two `Dense` layers, the first of each with
`activation="gelu"`, a `LayerNormalization` before each and an `Add` skip after each, then a last
`LayerNormalization`, `GlobalAveragePooling1D` over the tokens and a linear head."""

from __future__ import annotations

import keras
from keras import layers

#: Table 1's S/32 column: patch resolution, hidden size C, MLP dimensions D_S and D_C, layers.
PATCH, HIDDEN, TOKENS_MLP, CHANNELS_MLP, DEPTH = 32, 512, 256, 2048, 8


def build_mixer(tokens_mlp: int = TOKENS_MLP, size: int = 224) -> keras.Model:
    tokens = (size // PATCH) ** 2
    inputs = keras.Input((size, size, 3))
    x = layers.Conv2D(HIDDEN, PATCH, strides=PATCH)(inputs)
    x = layers.Reshape((tokens, HIDDEN))(x)
    for _ in range(DEPTH):
        y = layers.LayerNormalization()(x)
        y = layers.Permute((2, 1))(y)
        y = layers.Dense(tokens_mlp, activation="gelu")(y)
        y = layers.Dense(tokens)(y)
        y = layers.Permute((2, 1))(y)
        x = layers.Add()([x, y])
        y = layers.LayerNormalization()(x)
        y = layers.Dense(CHANNELS_MLP, activation="gelu")(y)
        y = layers.Dense(HIDDEN)(y)
        x = layers.Add()([x, y])
    x = layers.LayerNormalization()(x)
    x = layers.GlobalAveragePooling1D()(x)
    return keras.Model(inputs, layers.Dense(1000)(x))


def mixer_s32() -> keras.Model:
    """Faithful to Table 1's S/32 column: patches 32×32, hidden size C = 512, 8 layers, sequence length
    S = 224²/32² = 49, MLP dimensions D_S = 256 and D_C = 2048."""
    return build_mixer()


def mixer_s32_narrow_token_mlp() -> keras.Model:
    """Departure: every token-mixing MLP 128 wide, not Table 1's D_S = 256 for scale S."""
    return build_mixer(tokens_mlp=128)
