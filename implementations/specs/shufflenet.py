"""ShuffleNet (v1) as Zhang et al. describe it (arXiv 1707.01083v2), shared by the Keras and PyTorch builders.

Table 1 (p. 4): a 3×3 convolution of 24 filters with stride 2, a 3×3 max pool with stride 2, three stages of
ShuffleNet units (4, 8 and 4 units; the first of each with stride 2), a 7×7 global pool and a 1000-way fully
connected layer; the output channels of each stage depend on the number of groups g. Sec. 3.2 and Fig. 2
(p. 3): a unit is a 1×1 group convolution, BN, ReLU, a channel shuffle, a 3×3 depthwise convolution (stride 2 in
the first unit of a stage), BN (no ReLU), a 1×1 group convolution and BN; a stride-1 unit adds its input, a
stride-2 unit concatenates a 3×3 average pool (stride 2) of its input; a ReLU follows the merge. Sec. 3.3
(p. 4): the bottleneck has 1/4 of the unit's output channels, Stage 2's first pointwise layer is not grouped,
and "ShuffleNet s×" scales the number of filters of every layer by s. Where s makes a width that does not
divide into g groups, Conv1 and the bottleneck are rounded to multiples of g (`conv1_channels`,
`bottleneck`: our rounding, which the paper does not state and Table 1, at s = 1, never needs).

Layer names (identical in both frameworks): `conv1` (`.pad`, `.conv`, `.bn`, `.relu`), `maxpool` (`.pad`,
`.pool`), `stage<N>.unit<i>` (`.gconv1`, `.bn1`, `.relu1`, `.shuffle`, `.pad` when strided, `.dwconv`, `.bn2`,
`.gconv2`, `.bn3`, then `.shortcut.pad` and `.shortcut.pool` and `.concat` for a stride-2 unit or `.add`,
then `.relu`), `globalpool`, `flatten`, `fc`, `softmax`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

#: Table 1, p. 4, row Conv1: 24 output channels for every g, a 3×3 kernel, stride 2.
CONV1 = 24
KERNEL = 3
#: Table 1, row Image: 224 × 224 × 3.
INPUT_SIZE = 224
NUM_CLASSES = 1000  # Table 1, row FC
GROUPS = (1, 2, 3, 4, 8)  # Table 1's columns
#: Table 1, p. 4: the output channels of Stage2, Stage3 and Stage4 for each number of groups g (s = 1).
STAGE_CHANNELS: dict[int, tuple[int, int, int]] = {
    1: (144, 288, 576),
    2: (200, 400, 800),
    3: (240, 480, 960),
    4: (272, 544, 1088),
    8: (384, 768, 1536),
}
#: Table 1's Repeat column: one stride-2 unit, then 3, 7 and 3 stride-1 units in Stages 2, 3 and 4.
STAGE_REPEATS = (3, 7, 3)
#: Sec. 3.3, p. 4: "we set the number of bottleneck channels to 1/4 of the output channels".
BOTTLENECK_RATIO = 4
#: BatchNorm epsilon, the same in both frameworks so that their outputs agree (the paper gives none).
BN_EPSILON = 1e-5


@dataclass(frozen=True)
class Unit:
    """One ShuffleNet unit (Fig. 2 b, c): its name, input and output channels, bottleneck, stride and the groups
    of its first and second pointwise convolutions."""

    name: str
    in_channels: int
    out_channels: int
    bottleneck: int
    stride: int
    groups1: int
    groups2: int

    @property
    def residual_channels(self) -> int:
        """The residual branch's output: all channels when added, the new ones when concatenated (Fig. 2 c)."""
        return self.out_channels - self.in_channels if self.stride == 2 else self.out_channels


def scaled(channels: int, scale: float) -> int:
    """s times a layer's filters (Sec. 3.3, p. 4, "ShuffleNet s×"); ValueError unless a whole number."""
    if scale <= 0:
        raise ValueError(f"the scale factor s must be positive (Sec. 3.3). Received: scale={scale}")
    value = Fraction(channels) * Fraction(str(scale))
    if value.denominator != 1:
        raise ValueError(
            f"s·{channels} = {float(value)} is not a whole number of channels; choose s so that every layer's "
            f"width is whole (the paper's settings are 0.25, 0.5, 1, 1.5 and 2). Received: scale={scale}"
        )
    return int(value)


def conv1_channels(scale: float, groups: int) -> int:
    """Conv1's filters at scale s: 24·s (Sec. 3.3 scales "the number of filters"), rounded up to a multiple of g.

    The rounding is ours (the paper states none; it changes nothing at s = 1, where 24 is a multiple of every g
    of Table 1): Stage 2's first unit concatenates Conv1's channels with its residual branch's output, which
    must divide into g groups, and 24·s is no multiple of g at s = 0.5, g = 8 (12) or s = 0.25, g = 4 or 8 (6).
    """
    return groups * math.ceil(Fraction(CONV1) * Fraction(str(scale)) / groups)


def bottleneck(out_channels: int, groups: int) -> int:
    """A unit's bottleneck: 1/4 of its output channels (Sec. 3.3, p. 4), rounded down to a multiple of g.

    The rounding is ours (the paper states none; at s = 1 every bottleneck of Table 1 is a multiple of its g):
    both pointwise group convolutions need it, and out/4 is no multiple of g at s = 0.5 with g = 2 (25) or
    g = 4 (34), nor at s = 0.25 with g = 2 (12.5) or g = 4 (17).
    """
    return groups * (out_channels // (BOTTLENECK_RATIO * groups))


def units(groups: int, scale: float = 1.0) -> tuple[Unit, ...]:
    """Every unit of Stages 2-4 for g groups at scale s, in order; ValueError for a g Table 1 does not list, or
    a scale too small to leave each unit g bottleneck channels."""
    if groups not in STAGE_CHANNELS:
        raise ValueError(f"Table 1 gives g = {', '.join(map(str, GROUPS))}. Received: groups={groups}")
    channels = conv1_channels(scale, groups)
    found = []
    for stage, (width, repeats) in enumerate(zip(STAGE_CHANNELS[groups], STAGE_REPEATS, strict=True), start=2):
        out = scaled(width, scale)
        m = bottleneck(out, groups)
        if m == 0:
            raise ValueError(f"stage{stage} has {out} channels at s = {scale}: no bottleneck of g = {groups} groups")
        for index in range(1, repeats + 2):
            stride = 2 if index == 1 else 1
            # Table 1's caption: no group convolution on Stage 2's first pointwise layer.
            groups1 = 1 if (stage, index) == (2, 1) else groups
            found.append(Unit(f"stage{stage}.unit{index}", channels, out, m, stride, groups1, groups))
            channels = out
    return tuple(found)


def feature_side(input_size: int) -> int:
    """The side of Stage 4's output: conv1, the max pool and each stage's first unit map n to ⌈n/2⌉ (a 3×3
    window padded by 1 with stride 2)."""
    if input_size < 1:
        raise ValueError(f"input_size must be positive. Received: {input_size}")
    side = input_size
    for _ in range(2 + len(STAGE_REPEATS)):
        side = (side + 1) // 2
    return side
