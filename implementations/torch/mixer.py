"""MLP-Mixer in PyTorch (Tolstikhin et al., arXiv 2105.01601, HTML rendering, Table 1 and Sec. 2).

Module names match the Keras builders: stem.conv, stem.tokens, blocks.block1.token_mixing.fc1, pool, head.
Tokens are (batch, S, C) in both frameworks; the token-mixing MLP reads them transposed, (batch, C, S).
GELU is the exact one, x·Φ(x) (PyTorch's default; Keras' default is the tanh approximation, which its builder
turns off). `input_size` defaults to 224, Table 1's resolution (its caption).
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from implementations.specs.mixer import LN_EPSILON, VARIANTS, scale_for, sequence_length
from implementations.torch.blocks import Add


class Tokens(nn.Module):
    """The stem's H'×W'×C map as a sequence of S = H'·W' tokens of C channels, in row-major patch order."""

    paperverify_kind = "flatten"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(2).transpose(1, 2)


class Transpose(nn.Module):
    """Swap the token and channel axes: (batch, S, C) <-> (batch, C, S)."""

    paperverify_kind = "transpose"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.transpose(1, 2)


class TokenPool(nn.Module):
    """Global average pooling over the tokens (Sec. 2)."""

    paperverify_kind = "avgpool"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=1)


def _mlp(width: int, hidden: int) -> list[tuple[str, nn.Module]]:
    """An MLP block: fc to the MLP dimension, GELU, fc back (Sec. 2)."""
    return [("fc1", nn.Linear(width, hidden)), ("gelu", nn.GELU()), ("fc2", nn.Linear(hidden, width))]


class MixerBlock(nn.Module):
    """Token mixing (LayerNorm, transpose, MLP over the S tokens, transpose back, add), then channel mixing
    (LayerNorm, MLP over the C channels, add)."""

    def __init__(self, tokens: int, channels: int, tokens_mlp: int, channels_mlp: int) -> None:
        super().__init__()
        self.token_mixing = nn.Sequential(
            OrderedDict(
                [
                    ("norm", nn.LayerNorm(channels, eps=LN_EPSILON)),
                    ("transpose1", Transpose()),
                    *_mlp(tokens, tokens_mlp),
                    ("transpose2", Transpose()),
                ]
            )
        )
        self.add1 = Add()
        self.channel_mixing = nn.Sequential(
            OrderedDict([("norm", nn.LayerNorm(channels, eps=LN_EPSILON)), *_mlp(channels, channels_mlp)])
        )
        self.add2 = Add()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.add1(x, self.token_mixing(x))
        return self.add2(x, self.channel_mixing(x))


class Mixer(nn.Module):
    """Per-patch fully-connected stem, N Mixer layers, global average pooling, linear classifier."""

    def __init__(self, scale: str, patch_size: int, input_size: int, num_classes: int, input_channels: int = 3) -> None:
        super().__init__()
        spec = scale_for(scale)
        tokens = sequence_length(input_size, input_size, patch_size)
        stem = nn.Conv2d(input_channels, spec.hidden, patch_size, patch_size)
        self.stem = nn.Sequential(OrderedDict(conv=stem, tokens=Tokens()))
        self.blocks = nn.Sequential(
            OrderedDict(
                (f"block{index}", MixerBlock(tokens, spec.hidden, spec.tokens_mlp, spec.channels_mlp))
                for index in range(1, spec.layers + 1)
            )
        )
        self.pool = TokenPool()
        self.head = nn.Linear(spec.hidden, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.pool(self.blocks(self.stem(x))))


def mixer(
    *, input_size: int = 224, input_channels: int = 3, scale: str, patch_size: int, num_classes: int = 1000
) -> Mixer:
    """A Mixer of any Table 1 scale (S, B, L, H) and patch resolution; input_size sizes the token-mixing MLPs."""
    return Mixer(scale, patch_size, input_size, num_classes, input_channels)


def _variant(name: str, input_size: int, input_channels: int, num_classes: int) -> Mixer:
    scale, patch = VARIANTS[name]
    return Mixer(scale, patch, input_size, num_classes, input_channels)


def mixer_s32(*, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000) -> Mixer:
    """Mixer-S/32, Table 1."""
    return _variant("mixer_s32", input_size, input_channels, num_classes)


def mixer_s16(*, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000) -> Mixer:
    """Mixer-S/16, Table 1."""
    return _variant("mixer_s16", input_size, input_channels, num_classes)


def mixer_b32(*, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000) -> Mixer:
    """Mixer-B/32, Table 1."""
    return _variant("mixer_b32", input_size, input_channels, num_classes)


def mixer_b16(*, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000) -> Mixer:
    """Mixer-B/16, Table 1."""
    return _variant("mixer_b16", input_size, input_channels, num_classes)


def mixer_l32(*, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000) -> Mixer:
    """Mixer-L/32, Table 1."""
    return _variant("mixer_l32", input_size, input_channels, num_classes)


def mixer_l16(*, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000) -> Mixer:
    """Mixer-L/16, Table 1."""
    return _variant("mixer_l16", input_size, input_channels, num_classes)


def mixer_h14(*, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000) -> Mixer:
    """Mixer-H/14, Table 1."""
    return _variant("mixer_h14", input_size, input_channels, num_classes)
