"""ResNet as He et al. describe it (arXiv 1512.03385v1), shared by the Keras and PyTorch builders.

Table 1 (p. 5) gives the stages; Sec. 3.3 (p. 4) the shortcut options; Sec. 3.4 (p. 4) BN right after
each convolution and before activation. Decisions where the paper is silent are written beside each field.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Conv:
    """One convolution of a building block: kernel size and filters, as a Table 1 bracket prints them, and
    its groups (1 in every ResNet; a ResNeXt's 3×3 is grouped, see specs.senet)."""

    kernel: int
    filters: int
    groups: int = 1


@dataclass(frozen=True)
class Stage:
    """One row of Table 1: a stage name, its building block and how many times it is stacked."""

    name: str
    index: int
    block: tuple[Conv, ...]
    blocks: int
    stride: int

    @property
    def out_channels(self) -> int:
        return self.block[-1].filters


@dataclass(frozen=True)
class ResNetSpec:
    """The stem (one convolution; on ImageNet with stride 2 and a max pool after it) and the stages."""

    stem_filters: int
    stem_kernel: int
    stages: tuple[Stage, ...]
    stem_stride: int = 2
    #: Table 1's "3×3 max pool, stride 2" at the head of conv2_x (the ImageNet networks only).
    max_pool: bool = True


def _basic(filters: int) -> tuple[Conv, ...]:
    return (Conv(3, filters), Conv(3, filters))


def _bottleneck(filters: int) -> tuple[Conv, ...]:
    return (Conv(1, filters), Conv(3, filters), Conv(1, 4 * filters))


def _stages(block, counts: tuple[int, int, int, int]) -> tuple[Stage, ...]:
    # Table 1 caption: "Downsampling is performed by conv3_1, conv4_1, and conv5_1 with a stride of 2."
    # conv2_x is downsampled by the 3×3 max pool before it, so its first block keeps stride 1.
    widths = (64, 128, 256, 512)
    return tuple(
        Stage(f"conv{index}_x", index, block(width), count, 1 if index == 2 else 2)
        for index, width, count in zip(range(2, 6), widths, counts, strict=True)
    )


# Table 1, p. 5: conv1 is "7×7, 64, stride 2" in every column.
SPECS: dict[int, ResNetSpec] = {
    18: ResNetSpec(64, 7, _stages(_basic, (2, 2, 2, 2))),  # Table 1, 18-layer column
    34: ResNetSpec(64, 7, _stages(_basic, (3, 4, 6, 3))),  # Table 1, 34-layer column
    50: ResNetSpec(64, 7, _stages(_bottleneck, (3, 4, 6, 3))),  # Table 1, 50-layer column
    101: ResNetSpec(64, 7, _stages(_bottleneck, (3, 4, 23, 3))),  # Table 1, 101-layer column
    152: ResNetSpec(64, 7, _stages(_bottleneck, (3, 8, 36, 3))),  # Table 1, 152-layer column
}

#: The CIFAR-10 networks of Sec. 4.2 (p. 7): depth 6n+2 -> n. "We compare n = {3, 5, 7, 9}, leading to 20, 32,
#: 44, and 56-layer networks"; "n = 18 that leads to a 110-layer ResNet" (p. 7); "We set n = 200 that leads to
#: a 1202-layer network" (p. 8).
CIFAR_BLOCKS: dict[int, int] = {20: 3, 32: 5, 44: 7, 56: 9, 110: 18, 1202: 200}


def cifar_spec(depth: int) -> ResNetSpec:
    """A CIFAR-10 network of Sec. 4.2 (p. 7): "The first layer is 3×3 convolutions. Then we use a stack of 6n
    layers with 3×3 convolutions on the feature maps of sizes {32, 16, 8} respectively, with 2n layers for each
    feature map size. The numbers of filters are {16, 32, 64} respectively. The subsampling is performed by
    convolutions with a stride of 2." Its shortcuts join pairs of 3×3 layers (the basic block). The paper names
    no stages; they take Table 1's names, conv2_x to conv4_x, after conv1."""
    if depth not in CIFAR_BLOCKS:
        raise ValueError(f"CIFAR ResNet depth must be one of {sorted(CIFAR_BLOCKS)}. Received: depth={depth}")
    n = CIFAR_BLOCKS[depth]
    stages = tuple(
        Stage(f"conv{index}_x", index, _basic(width), n, 1 if index == 2 else 2)
        for index, width in zip(range(2, 5), (16, 32, 64), strict=True)
    )
    return ResNetSpec(16, 3, stages, stem_stride=1, max_pool=False)


# Where a downsampling block puts its stride: on its first convolution. Table 1 says only that conv3_1,
# conv4_1 and conv5_1 downsample; Fig. 3 (p. 4) shows "3x3 conv, 128, /2" on the first layer of the 2-layer
# block. For the bottleneck we put it on the first layer too (the 1×1): this gives 3.86×10^9 multiply-adds
# for the 50-layer net against the printed 3.8×10^9, where a stride on the 3×3 would give 4.09×10^9.

#: Sec. 3.3, p. 4: shortcuts that increase dimensions are (A) identity with zero-padded extra channels
#: (no parameters) or (B) 1×1 projections; "(C) all shortcuts are projections" (Sec. 4.1, p. 6).
SHORTCUT_OPTIONS = ("A", "B", "C")

#: BatchNorm epsilon, the same in both frameworks so that their outputs agree (the paper gives none).
BN_EPSILON = 1e-5


def needs_projection(option: str, in_channels: int, out_channels: int, stride: int) -> bool:
    """Whether a block's shortcut is a 1×1 projection under shortcut option A, B or C (Sec. 3.3)."""
    if option not in SHORTCUT_OPTIONS:
        raise ValueError(f"shortcut must be one of {SHORTCUT_OPTIONS}. Received: shortcut={option!r}")
    if option == "C":
        return True
    return option == "B" and (in_channels != out_channels or stride != 1)


def spec_for(depth: int) -> ResNetSpec:
    if depth not in SPECS:
        raise ValueError(f"ResNet depth must be one of {sorted(SPECS)}. Received: depth={depth}")
    return SPECS[depth]
