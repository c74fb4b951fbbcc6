"""MobileNet v1 as Howard et al. describe it (arXiv 1704.04861v1), shared by the Keras and PyTorch builders.

Table 1 (p. 4) gives the body: a full 3×3 convolution with stride 2, thirteen depthwise separable
convolutions (a 3×3 depthwise convolution, then a 1×1 pointwise one), a 7×7 average pool, a fully connected
layer of 1000 units and a softmax. Sec. 3.2 (p. 3): every convolution is followed by batchnorm and ReLU, the
fully connected layer by neither; downsampling is by strided convolution. Sec. 3.3 (p. 4): the width
multiplier α thins every layer, M input channels become αM and N output channels αN; Sec. 3.4 (p. 5): the
resolution multiplier ρ is set implicitly by the input resolution (224, 192, 160 or 128).

Layer names (identical in both frameworks; the paper names no layer, these follow Table 1's rows and the
usual numbering of the thirteen separable blocks): `conv1` (`conv1.pad`, `conv1.conv`, `conv1.bn`,
`conv1.relu`), `conv_dw_1` ... `conv_dw_13` (the depthwise convolutions, `.pad` before a strided one,
`.conv`, `.bn`, `.relu`), `conv_pw_1` ... `conv_pw_13` (the pointwise ones), `avgpool`, `flatten`, `fc`,
`softmax`. Table 4's "Conv MobileNet", "a model built with full convolutions" (Sec. 4.1, p. 5), has a full
3 × 3 convolution from M to N channels with the depthwise one's stride in place of each separable block:
`conv_full_1` ... `conv_full_13`.
"""

from __future__ import annotations

from dataclasses import dataclass

#: "3 × 3 × 3 × 32", Table 1 row 1 (p. 4): the first layer is a full convolution with stride 2.
CONV1 = 32
KERNEL = 3
#: The input resolution of the baseline MobileNet (Table 1 row 1, p. 4: 224 × 224 × 3; Sec. 3.4, p. 5).
INPUT_SIZE = 224
NUM_CLASSES = 1000  # Table 1, FC row: 1024 × 1000
#: BatchNorm epsilon, the same in both frameworks so that their outputs agree (the paper gives none).
BN_EPSILON = 1e-5


@dataclass(frozen=True)
class Separable:
    """A depthwise separable convolution (Fig. 3 right): Table 1's `Conv dw / s` row and the `Conv / s1` row
    below it, at width multiplier 1."""

    index: int
    channels: int  # M: the depthwise filter shape `3 × 3 × M dw`
    filters: int  # N: the pointwise filter shape `1 × 1 × M × N`
    stride: int  # the depthwise convolution's stride


#: Table 1, p. 4, rows 2-27, top to bottom. The 13th depthwise convolution is printed `Conv dw / s2`, but its
#: input (7 × 7 × 1024) and the next row's input (7 × 7 × 1024) have the same size, and the 7 × 7 average pool
#: after it needs a 7 × 7 map: it has stride 1 (the recorded erratum of reference_tables/howard2017_mobilenet).
SEPARABLE: tuple[Separable, ...] = (
    Separable(1, 32, 64, 1),  # Conv dw / s1, 3 × 3 × 32 dw; Conv / s1, 1 × 1 × 32 × 64
    Separable(2, 64, 128, 2),  # Conv dw / s2, 3 × 3 × 64 dw; Conv / s1, 1 × 1 × 64 × 128
    Separable(3, 128, 128, 1),  # Conv dw / s1, 3 × 3 × 128 dw; Conv / s1, 1 × 1 × 128 × 128
    Separable(4, 128, 256, 2),  # Conv dw / s2, 3 × 3 × 128 dw; Conv / s1, 1 × 1 × 128 × 256
    Separable(5, 256, 256, 1),  # Conv dw / s1, 3 × 3 × 256 dw; Conv / s1, 1 × 1 × 256 × 256
    Separable(6, 256, 512, 2),  # Conv dw / s2, 3 × 3 × 256 dw; Conv / s1, 1 × 1 × 256 × 512
    *(Separable(i, 512, 512, 1) for i in range(7, 12)),  # 5× [Conv dw / s1, 3 × 3 × 512 dw; 1 × 1 × 512 × 512]
    Separable(12, 512, 1024, 2),  # Conv dw / s2, 3 × 3 × 512 dw; Conv / s1, 1 × 1 × 512 × 1024
    Separable(13, 1024, 1024, 1),  # printed Conv dw / s2 (erratum, see above); Conv / s1, 1 × 1 × 1024 × 1024
)
#: Sec. 4.1 (p. 5), Table 5's "Shallow MobileNet": "To make MobileNet shallower, the 5 layers of separable filters
#: with feature size 14 × 14 × 512 in Table 1 are removed."
SHALLOW_REMOVED = frozenset(block.index for block in SEPARABLE if block.channels == block.filters == 512)


def blocks(shallow: bool = False) -> tuple[Separable, ...]:
    """The separable blocks of Table 1, less the five 14 × 14 × 512 ones in the shallow MobileNet (Table 5)."""
    return tuple(block for block in SEPARABLE if not (shallow and block.index in SHALLOW_REMOVED))


#: The strides of conv1 and the separable blocks: the input size over the last map's size.
DOWNSAMPLING = 2 ** (1 + sum(block.stride == 2 for block in SEPARABLE))


def width(channels: int, alpha: float) -> int:
    """αM (Sec. 3.3, p. 4): a layer's channels thinned by the width multiplier; ValueError unless whole."""
    if not 0 < alpha <= 1:
        raise ValueError(f"the width multiplier α lies in (0, 1] (Sec. 3.3). Received: alpha={alpha}")
    thinned = channels * alpha
    if thinned != int(thinned):
        raise ValueError(
            f"α·{channels} = {thinned} is not a whole number of channels; choose α so that every layer's "
            f"width is whole (the paper's settings are 1, 0.75, 0.5 and 0.25). Received: alpha={alpha}"
        )
    return int(thinned)


def feature_side(input_size: int) -> int:
    """The side of the last feature map: each stride-2 3×3 convolution padded by 1 maps n to ⌈n/2⌉."""
    if input_size < 1:
        raise ValueError(f"input_size must be positive. Received: {input_size}")
    side = input_size
    for _ in range(DOWNSAMPLING.bit_length() - 1):
        side = (side + 1) // 2
    return side
