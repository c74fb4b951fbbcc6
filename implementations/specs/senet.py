"""SE-ResNet and SE-ResNeXt as Hu et al. describe them (arXiv 1709.01507v4), shared by Keras and PyTorch.

Table 1 (p. 5) gives the stages: ResNet-50 (He et al.'s, `specs.resnet`), SE-ResNet-50 (the same stages with
an SE module `fc, [C/r, C]` in every block) and SE-ResNeXt-50 (32×4d). Fig. 3 (p. 4) places the SE block on
the non-identity branch: "Squeeze and Excitation both act before summation with the identity branch"
(Sec. 3.3, p. 4), i.e. after the block's last BatchNorm and before the addition. The SE block (Sec. 3.1-3.2,
Eqs. 2-4, pp. 3-4): global average pooling (squeeze), fc to C/r, ReLU, fc to C, sigmoid (excitation), and a
channel-wise multiplication of the block's output by the C gates (scale).
"""

from __future__ import annotations

from implementations.specs.resnet import SPECS, Conv, ResNetSpec, Stage

#: Sec. 5.1, p. 5: "The reduction ratio r (in Section 3.2) is set to 16 by default".
REDUCTION = 16

#: Stages that hold SE blocks: all of conv2_x ... conv5_x (Table 1). Table 13 (p. 9) adds them "one stage at a
#: time" (stage 2 is conv2_x, as Fig. 6's SE_stageID_blockID names them).
ALL_STAGES = "2345"

#: Sec. 6, p. 8: "on ResNet architectures, removing the biases of the FC layers in the excitation operation
#: facilitates the modelling of channel dependencies"; Eq. 5 (p. 4) counts the FC weights only.
SE_BIAS = False

#: Which convolution of a downsampling block carries its stride (1-based). SE-ResNet keeps He et al.'s
#: ResNet-50 (Table 1, left: "ResNet-50 [13]"), stride on the first 1×1: Table 2 (p. 5) prints 3.86 GFLOPs for
#: it, the 3.858×10^9 multiply-adds of that placement (on the 3×3 it would be 4.09×10^9). The paper prints no
#: stride for SE-ResNeXt-50; ResNeXt [19] puts it on the 3×3 (see RESNEXT_STRIDE_CONV).
RESNET_STRIDE_CONV = 1
RESNEXT_STRIDE_CONV = 2

#: Table 1 (p. 5), right column: SE-ResNeXt-50 (32×4d): conv1 and the max pool as ResNet-50, then brackets of
#: [conv 1×1, 2w; conv 3×3, 2w, C = 32; conv 1×1, 4w] ×3, ×4, ×6, ×3 with w = 64, 128, 256, 512
#: (conv2_x: 128, 128, 256; conv3_x: 256, 256, 512; conv4_x: 512, 512, 1024; conv5_x: 1024, 1024, 2048).
CARDINALITY = 32
RESNEXT50 = ResNetSpec(
    64,
    7,
    tuple(
        Stage(
            f"conv{index}_x",
            index,
            (Conv(1, 2 * width), Conv(3, 2 * width, CARDINALITY), Conv(1, 4 * width)),
            count,
            1 if index == 2 else 2,
        )
        for index, width, count in zip(range(2, 6), (64, 128, 256, 512), (3, 4, 6, 3), strict=True)
    ),
)


def se_width(channels: int, reduction: int) -> int:
    """C/r, the width of the dimensionality-reduction fc (Eq. 3, p. 4: W1 ∈ R^(C/r × C))."""
    if reduction < 1 or channels % reduction:
        raise ValueError(
            f"the reduction ratio must be a positive divisor of the channels. Received: reduction={reduction} "
            f"for {channels} channels"
        )
    return channels // reduction


def se_stage_indices(se_stages: str) -> frozenset[int]:
    """The stage indices named by `se_stages` ("2345" for all, "4" for conv4_x only as in Table 13, p. 9; ""
    for none: the baseline network)."""
    if any(char not in ALL_STAGES for char in se_stages):
        raise ValueError(f"se_stages must name stages among {ALL_STAGES!r}. Received: se_stages={se_stages!r}")
    return frozenset(int(char) for char in se_stages)


def resnet_spec(depth: int) -> ResNetSpec:
    """SE-ResNet-50/101/152: He et al.'s ResNet stages (Table 1, p. 5, SE-ResNet-50 column; Table 2, p. 5)."""
    if depth not in (50, 101, 152):
        raise ValueError(f"SE-ResNet depth must be one of [50, 101, 152]. Received: depth={depth}")
    return SPECS[depth]
