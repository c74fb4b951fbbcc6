"""Xception as Chollet describes it (arXiv 1610.02357v3), shared by the Keras and PyTorch builders.

Figure 5 (p. 5) draws three flows. The entry flow: `Conv 32, 3x3, stride=2x2` and `Conv 64, 3x3`, each with a
ReLU, then three residual blocks of two separable convolutions and a 3x3 stride-2 max pool, each added to a
`Conv 1x1 stride=2x2` shortcut. The middle flow: a block of three ReLU + `SeparableConv 728, 3x3` with an
identity shortcut, "Repeated 8 times". The exit flow: a residual block (728 and 1024 filters, max pool,
1x1 stride-2 shortcut), then `SeparableConv 1536, 3x3` and `SeparableConv 2048, 3x3` each followed by a ReLU,
`GlobalAveragePooling`, and the logistic regression. Its caption: every convolution and separable convolution
is followed by batch normalization, every separable convolution has depth multiplier 1. Sec. 1.2 (p. 2): a
separable convolution is a depthwise k×k convolution then a pointwise 1×1 one, with no non-linearity between
them (p. 3; Sec. 4.7, p. 7). Sec. 4.3 (p. 4): a dropout layer of rate 0.5 before the logistic regression (on
ImageNet).

What the paper does not print, and the reading followed: no convolution has a bias (BatchNorm follows each;
Table 3's 22,855,952 parameters, p. 6, are reproduced exactly without biases); conv1 and conv2 are unpadded,
separable convolutions keep the size (padding 1), the max pools pad as TensorFlow's 'same' (output ⌈n/2⌉,
the padding never chosen as a maximum): with these 299 gives Figure 5's 19x19x728 (so would padded stem
convolutions; this is the reading of the Keras Applications implementation the paper points to, footnote 2,
p. 4). BatchNorm epsilon 1e-3 (the paper gives none; TensorFlow's and Keras' default) in both frameworks.

Layer names (identical in both frameworks): `entry_flow.stem.conv1`, `entry_flow.stem.conv2` (`.conv`, `.bn`,
`.relu`); `entry_flow.block1` ... `block3`, `middle_flow.block1` ... `block8`, `exit_flow.block1`, each with
`sepconv1`, `sepconv2` (`sepconv3` in the middle flow) holding `.relu` (before the convolution; none in
entry block 1's first), `.depthwise`, `.pointwise`, `.bn`; then `pool` (downsampling blocks), `shortcut`
(`.conv`, `.bn`) and `add`; `exit_flow.block2` with `sepconv1`, `sepconv2` (`.depthwise`, `.pointwise`, `.bn`,
`.relu`); then `avgpool`, `flatten`, `dropout`, `fc`, `softmax` (the logistic regression).

The JFT networks (Sec. 4.5.1, p. 5) put "two fully-connected layers of 4096 units each before the logistic
regression layer", `hidden1` and `hidden2` (`.fc`, `.relu`: the paper names no activation for them; a ReLU, as
every other layer of Xception has), over JFT's 17,000 classes (Sec. 4.1, p. 4), with no dropout (Sec. 4.3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Figure 5, p. 5: "299x299x3 images".
INPUT_SIZE = 299
#: Sec. 4.5.2, p. 6: the parameter count is "reported on ImageNet (1000 classes ...)".
NUM_CLASSES = 1000
#: Figure 5, p. 5: the middle flow is "Repeated 8 times".
MIDDLE_REPEATS = 8
KERNEL = 3
POOL = 3
#: Sec. 4.3, p. 4: "a dropout layer of rate 0.5 before the logistic regression layer".
DROPOUT = 0.5
#: Sec. 4.5.1, p. 5: on JFT, "two fully-connected layers of 4096 units each before the logistic regression layer".
JFT_FULLY_CONNECTED = (4096, 4096)
#: Sec. 4.1, p. 4: JFT's images are "annotated with labels from a set of 17,000 classes".
JFT_CLASSES = 17_000
#: Sec. 4.3, p. 4: "For the JFT experiments, no dropout was included".
JFT_DROPOUT = 0.0
#: BatchNorm epsilon, the same in both frameworks (the paper gives none).
BN_EPSILON = 1e-3


@dataclass(frozen=True)
class Head:
    """What follows the global average pool: fully-connected layers of `hidden` units (each with a ReLU), a dropout
    of rate `dropout` (none at 0), and the logistic regression over `classes`."""

    hidden: tuple[int, ...]
    dropout: float
    classes: int


def head(*, jft: bool, num_classes: int | None, dropout: float | None) -> Head:
    """The ImageNet head (Sec. 4.3's dropout, 1000 classes) or the JFT one (Sec. 4.5.1), `num_classes` and `dropout`
    replacing its own where given."""
    if jft:
        return Head(JFT_FULLY_CONNECTED, JFT_DROPOUT if dropout is None else dropout, num_classes or JFT_CLASSES)
    return Head((), DROPOUT if dropout is None else dropout, num_classes or NUM_CLASSES)


@dataclass(frozen=True)
class Conv:
    """A plain convolution of the entry flow's stem, with BatchNorm and ReLU after it."""

    name: str
    filters: int
    kernel: int
    stride: int


@dataclass(frozen=True)
class Block:
    """A module of separable convolutions: `filters` per separable convolution, in order.

    `relu_before` whether each is preceded by a ReLU (else followed by one, exit_flow.block2's boxes);
    `first_relu` False where the first box prints no ReLU (entry block 1: conv2's ReLU precedes it);
    `downsample`: a 3x3 stride-2 max pool and a 1x1 stride-2 convolution shortcut; `residual`: an addition.
    """

    name: str
    filters: tuple[int, ...]
    relu_before: bool = True
    first_relu: bool = True
    downsample: bool = False
    residual: bool = True

    def relu(self, index: int) -> str | None:
        """Where the `index`-th (1-based) separable convolution's ReLU stands: "before", "after" or None."""
        if not self.relu_before:
            return "after"
        return "before" if index > 1 or self.first_relu else None


#: Figure 5, Entry flow, p. 5, top to bottom.
STEM: tuple[Conv, ...] = (
    Conv("conv1", 32, 3, 2),  # Conv 32, 3x3, stride=2x2; ReLU
    Conv("conv2", 64, 3, 1),  # Conv 64, 3x3; ReLU
)
ENTRY: tuple[Block, ...] = (
    # SeparableConv 128, 3x3; ReLU, SeparableConv 128, 3x3; MaxPooling 3x3, stride=2x2; Conv 1x1 stride=2x2
    Block("block1", (128, 128), first_relu=False, downsample=True),
    # ReLU, SeparableConv 256, 3x3 (twice); MaxPooling 3x3, stride=2x2; Conv 1x1 stride=2x2
    Block("block2", (256, 256), downsample=True),
    # ReLU, SeparableConv 728, 3x3 (twice); MaxPooling 3x3, stride=2x2; Conv 1x1 stride=2x2
    Block("block3", (728, 728), downsample=True),
)
#: Figure 5, Middle flow, p. 5: ReLU, SeparableConv 728, 3x3 (three times), identity shortcut.
MIDDLE = (728, 728, 728)
#: Figure 5, Exit flow, p. 5.
EXIT: tuple[Block, ...] = (
    # ReLU, SeparableConv 728, 3x3; ReLU, SeparableConv 1024, 3x3; MaxPooling 3x3, stride=2x2; Conv 1x1 stride=2x2
    Block("block1", (728, 1024), downsample=True),
    # SeparableConv 1536, 3x3, ReLU; SeparableConv 2048, 3x3, ReLU (the last module: no residual, Sec. 3)
    Block("block2", (1536, 2048), relu_before=False, residual=False),
)


def middle_blocks(repeats: int) -> tuple[Block, ...]:
    """The middle flow's block repeated `repeats` times (8 in Figure 5)."""
    if repeats < 0:
        raise ValueError(f"middle_repeats must be 0 or more (Figure 5 repeats the block 8 times). Received: {repeats}")
    return tuple(Block(f"block{index}", MIDDLE) for index in range(1, repeats + 1))


def feature_sides(input_size: int) -> dict[str, int]:
    """The side of the map after the stem and after each flow: unpadded 3x3 convolutions (stride 2, then 1),
    then one ⌈n/2⌉ per downsampling block. ValueError when the input is too small for the stem."""
    if input_size < 7:
        raise ValueError(f"input_size must be at least 7 (two unpadded 3x3 convolutions). Received: {input_size}")
    side = (input_size - KERNEL) // 2 + 1 - (KERNEL - 1)
    sides = {"stem": side}
    for flow, blocks in (("entry_flow", ENTRY), ("exit_flow", EXIT)):
        for block in blocks:
            side = math.ceil(side / 2) if block.downsample else side
        sides[flow] = side
    return sides
