"""EfficientNet as Tan & Le describe it (arXiv 1905.11946v3), shared by the Keras and PyTorch builders.

Table 1 (p. 5) gives EfficientNet-B0 stage by stage: operator F̂i, input resolution Ĥi × Ŵi, output channels
Ĉi and layers L̂i. Sec. 3.3 (p. 5, Eq. 3) scales it by a depth coefficient d = α^φ, a width coefficient
w = β^φ and a resolution coefficient r = γ^φ, with α = 1.2, β = 1.1, γ = 1.15 (Sec. 4, p. 5, STEP 1).

Layer names, identical in both frameworks (stage i of Table 1 is `stage<i>`, its j-th layer `layer<j>`):

    stage1.layer1 (.pad, .conv, .bn, .swish)                        Conv3x3, stride 2
    stage2.layer1 ... stage8.layer<L>                               MBConv<e>, k<k>x<k>:
        .expand (.conv, .bn, .swish)                                1×1 to e·Cin channels (absent for e = 1)
        .depthwise (.pad, .conv, .bn, .swish)                       k×k depthwise (.pad when strided)
        .se (.pool, .reduce, .swish, .expand, .sigmoid, .scale)     squeeze-and-excitation
        .project (.conv, .bn)                                       1×1 to Ĉi, linear
        .drop, .add                                                 drop-connect and identity shortcut
    stage9.layer1 (.conv, .bn, .swish, .pool, .dropout, .fc)        Conv1x1 & Pooling & FC

Decisions where the paper is silent:

* Strides. Table 1 prints each stage's input resolution; stage i halves it when Ĥi+1 = Ĥi / 2 (stages 1, 3,
  4, 5 and 7; stage 9's pooling is global). The stride sits on the stage's first layer, in an MBConv on its
  depthwise convolution (MobileNetV2, Sandler et al. 2018, which the paper cites for MBConv).
* MBConv (p. 5: "mobile inverted bottleneck MBConv (Sandler et al., 2018; Tan et al., 2019), to which we also
  add squeeze-and-excitation optimization (Hu et al., 2018)"): 1×1 expansion by the printed factor, k×k
  depthwise, SE, linear 1×1 projection; BatchNorm after every convolution, swish after the expansion and the
  depthwise convolution (p. 6: "We also use swish activation"). MBConv1 has no expansion convolution (its
  expansion would be a 1×1 convolution to as many channels as it receives). An identity shortcut is added
  when the layer keeps its size and channels. The SE branch squeezes to max(1, ⌊0.25 · Cin⌋) channels of the
  layer's input Cin, with swish, and excites with a sigmoid; its two 1×1 convolutions have biases. These
  details are those of the authors' released code, as keras/src/applications/efficientnet.py (keras 3.15.1)
  reproduces it (`block`: expand_ratio, se_ratio 0.25 of filters_in, DepthwiseConv2D, use_bias=False).
* Padding. TensorFlow's 'same', as the authors' code: a stride-1 k×k layer pads k // 2 on every side; a
  stride-2 layer pads explicitly (`same_padding`), less before than after when the size is even (for k = 3,
  0 before and 1 after), so both frameworks compute the same values.
* BatchNorm: momentum 0.99 (Sec. 5.2, p. 6: "batch norm momentum 0.99", TensorFlow's convention: the moving
  statistics keep 0.99 of their value; PyTorch's momentum is 1 − 0.99); the paper gives no epsilon: 1e-3, the
  authors' code's and Keras' default, in both frameworks.
* Regularisation (training only; the probes and the parity test run in inference, where both are identity):
  dropout before the FC, "from 0.2 for EfficientNet-B0 to 0.5 for EfficientNet-B7" (p. 6), and stochastic
  depth "with survival probability 0.8" (p. 6) as drop-connect on the residual branch of layers with an
  identity shortcut, its rate rising linearly from 0 to 0.2 over the layers (the released code's rule).
* Scaling B1–B7. The paper prints φ for none of B1–B7 and no per-model width, depth or resolution (Table 2
  gives only their parameters and FLOPS). `SCALINGS` takes (width, depth, resolution, dropout) from the
  authors' released code, as keras.applications also does (keras/src/applications/efficientnet.py,
  EfficientNetB0 ... EfficientNetB7, lines 575-810). Channels are rounded to multiples of 8 (`round_filters`,
  never more than 10% below w·C), layers up to whole layers (`round_repeats`: ⌈d · L̂i⌉); stages 1 and 9 are
  widened but not repeated, as in the released code (Table 2's parameters and FLOPS are those of that rule).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Channels are rounded to multiples of this (the released code's depth_divisor).
DIVISOR = 8
#: SE squeezes to this fraction of an MBConv layer's input channels (the released code's se_ratio).
SE_RATIO = 0.25
#: Sec. 5.2, p. 6: stochastic depth "with survival probability 0.8".
DROP_CONNECT_RATE = 0.2
#: Sec. 5.2, p. 6: "batch norm momentum 0.99" (TensorFlow's convention); epsilon: the released code's 1e-3.
BN_MOMENTUM = 0.99
BN_EPSILON = 1e-3


@dataclass(frozen=True)
class Stage:
    """One row of Table 1: stage i, its operator, its stride (from the resolutions), Ĉi and L̂i."""

    index: int
    operator: str  # "conv" (Conv3x3), "mbconv" or "head" (Conv1x1 & Pooling & FC)
    kernel: int
    expansion: int  # MBConv<e>; 1 for the plain convolutions
    stride: int
    channels: int
    layers: int

    @property
    def name(self) -> str:
        return f"stage{self.index}"


# Table 1, p. 5 (Stage i, Operator F̂i, Resolution Ĥi × Ŵi, #Channels Ĉi, #Layers L̂i). The stride of stage i is
# Ĥi / Ĥi+1 of the printed resolutions.
STAGES: tuple[Stage, ...] = (
    Stage(1, "conv", 3, 1, 2, 32, 1),  # 1, Conv3x3, 224 × 224, 32, 1 (then 112 × 112)
    Stage(2, "mbconv", 3, 1, 1, 16, 1),  # 2, MBConv1, k3x3, 112 × 112, 16, 1
    Stage(3, "mbconv", 3, 6, 2, 24, 2),  # 3, MBConv6, k3x3, 112 × 112, 24, 2 (then 56 × 56)
    Stage(4, "mbconv", 5, 6, 2, 40, 2),  # 4, MBConv6, k5x5, 56 × 56, 40, 2 (then 28 × 28)
    Stage(5, "mbconv", 3, 6, 2, 80, 3),  # 5, MBConv6, k3x3, 28 × 28, 80, 3 (then 14 × 14)
    Stage(6, "mbconv", 5, 6, 1, 112, 3),  # 6, MBConv6, k5x5, 14 × 14, 112, 3
    Stage(7, "mbconv", 5, 6, 2, 192, 4),  # 7, MBConv6, k5x5, 14 × 14, 192, 4 (then 7 × 7)
    Stage(8, "mbconv", 3, 6, 1, 320, 1),  # 8, MBConv6, k3x3, 7 × 7, 320, 1
    Stage(9, "head", 1, 1, 1, 1280, 1),  # 9, Conv1x1 & Pooling & FC, 7 × 7, 1280, 1
)


@dataclass(frozen=True)
class Scaling:
    """A model's width and depth coefficients, its resolution and its dropout before the FC."""

    width: float
    depth: float
    resolution: int
    dropout: float


#: The authors' released code's (width, depth, resolution, dropout) per model, as keras.applications builds
#: them (keras/src/applications/efficientnet.py, EfficientNetB0 ... EfficientNetB7); the paper prints none.
SCALINGS: dict[str, Scaling] = {
    "efficientnet_b0": Scaling(1.0, 1.0, 224, 0.2),
    "efficientnet_b1": Scaling(1.0, 1.1, 240, 0.2),
    "efficientnet_b2": Scaling(1.1, 1.2, 260, 0.3),
    "efficientnet_b3": Scaling(1.2, 1.4, 300, 0.3),
    "efficientnet_b4": Scaling(1.4, 1.8, 380, 0.4),
    "efficientnet_b5": Scaling(1.6, 2.2, 456, 0.4),
    "efficientnet_b6": Scaling(1.8, 2.6, 528, 0.5),
    "efficientnet_b7": Scaling(2.0, 3.1, 600, 0.5),
}


def round_filters(channels: int, width: float) -> int:
    """w·C rounded to the nearest multiple of 8 (at least 8), and never more than 10% below w·C."""
    scaled = channels * width
    rounded = max(DIVISOR, int(scaled + DIVISOR / 2) // DIVISOR * DIVISOR)
    return int(rounded + DIVISOR if rounded < 0.9 * scaled else rounded)


def round_repeats(layers: int, depth: float) -> int:
    """d·L̂ rounded up to whole layers."""
    return math.ceil(depth * layers)


@dataclass(frozen=True)
class Layer:
    """One MBConv layer of a scaled network: its name, channels in and out, stride and drop-connect rate."""

    name: str
    stage: Stage
    cin: int
    cout: int
    stride: int
    drop_rate: float

    @property
    def expanded(self) -> int:
        return self.cin * self.stage.expansion

    @property
    def squeezed(self) -> int:
        return max(1, int(self.cin * SE_RATIO))

    @property
    def residual(self) -> bool:
        return self.stride == 1 and self.cin == self.cout


def mbconv_layers(width: float, depth: float, drop_connect_rate: float = DROP_CONNECT_RATE) -> tuple[Layer, ...]:
    """The MBConv layers (stages 2-8) of the network scaled by `width` and `depth`, in order."""
    stages = [stage for stage in STAGES if stage.operator == "mbconv"]
    total = sum(round_repeats(stage.layers, depth) for stage in stages)
    cin = round_filters(STAGES[0].channels, width)
    layers = []
    for stage in stages:
        cout = round_filters(stage.channels, width)
        for j in range(round_repeats(stage.layers, depth)):
            rate = drop_connect_rate * len(layers) / total
            layers.append(Layer(f"{stage.name}.layer{j + 1}", stage, cin, cout, stage.stride if j == 0 else 1, rate))
            cin = cout
    return tuple(layers)


def scaling_for(variant: str) -> Scaling:
    if variant not in SCALINGS:
        raise ValueError(f"EfficientNet variant must be one of {sorted(SCALINGS)}. Received: {variant!r}")
    return SCALINGS[variant]
