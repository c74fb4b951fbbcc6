"""MLP-Mixer as Tolstikhin et al. specify it (arXiv 2105.01601, HTML rendering, Table 1; no page numbers), shared
by the Keras and PyTorch builders.

Table 1 gives each scale's number of layers, hidden size C and MLP dimensions D_S (token mixing) and D_C
(channel mixing), and each variant's patch resolution P; Sec. 2: S = HW/P² patches, "Each MLP block contains two
fully-connected layers and a nonlinearity applied independently to each row of its input data tensor", the
nonlinearity is GELU, no position embeddings, "global average pooling layer followed by a linear classifier".
Not in the excerpt, taken as the brief specifies: a LayerNorm before each MLP block and a skip connection around
it (token mixing, then channel mixing); the per-patch fully-connected stem as a P×P convolution of stride P.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    """One model scale of Table 1: number of layers, hidden size C, MLP dimensions D_S and D_C."""

    layers: int
    hidden: int
    tokens_mlp: int
    channels_mlp: int


#: Table 1 (HTML rendering of arXiv 2105.01601): S, B, L, H.
SCALES: dict[str, Scale] = {
    "S": Scale(8, 512, 256, 2048),  # Table 1, S/32 and S/16 columns
    "B": Scale(12, 768, 384, 3072),  # Table 1, B/32 and B/16 columns
    "L": Scale(24, 1024, 512, 4096),  # Table 1, L/32 and L/16 columns
    "H": Scale(32, 1280, 640, 5120),  # Table 1, H/14 column
}

#: Table 1's columns: variant -> (scale, patch resolution P).
VARIANTS: dict[str, tuple[str, int]] = {
    "mixer_s32": ("S", 32),
    "mixer_s16": ("S", 16),
    "mixer_b32": ("B", 32),
    "mixer_b16": ("B", 16),
    "mixer_l32": ("L", 32),
    "mixer_l16": ("L", 16),
    "mixer_h14": ("H", 14),
}

#: LayerNorm epsilon, the same in both frameworks (the excerpt gives none; Keras' default is 1e-3, PyTorch's 1e-5).
LN_EPSILON = 1e-6


def scale_for(scale: str) -> Scale:
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {sorted(SCALES)}. Received: scale={scale!r}")
    return SCALES[scale]


def sequence_length(height: int, width: int, patch: int) -> int:
    """S = HW/P² (Sec. 2); the input must tile into whole patches."""
    if patch < 1 or height % patch or width % patch:
        raise ValueError(f"the input {height}×{width} does not tile into {patch}×{patch} patches")
    return (height // patch) * (width // patch)
