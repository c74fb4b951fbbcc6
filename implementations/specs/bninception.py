"""BN-Inception as Ioffe & Szegedy describe it (arXiv 1502.03167v3), shared by the Keras and PyTorch builders.

Figure 5 (p. 11, a table) gives the layers and the filters of every Inception module; the appendix (pp. 9-10)
lists the changes from GoogLeNet (Szegedy et al., arXiv 1409.4842v1), whose Table 1 and Figure 2(b) the
appendix refers to "for the interpretation of this table"; Sec. 3.2 (p. 5) places BatchNorm "immediately
before the nonlinearity" and drops the bias it makes redundant: z = g(BN(Wu)).

Layer names, identical in both frameworks (a convolution unit `X` is `X.conv`, `X.bn`, `X.relu`, with
`X.pad` first when it is strided):

    conv1 (.pad, .depthwise, .pointwise, .bn, .relu)     convolution* 7×7/2, separable (p. 10)
    pool1 (.pad, .pool)                                  max pool 3×3/2
    conv2.reduce, conv2.conv                             convolution 3×3/1: #3×3 reduce, #3×3
    pool2 (.pad, .pool)                                  max pool 3×3/2
    inception_3a.branch1                                 #1×1 (absent where the figure prints 0)
    inception_3a.branch2.reduce, .branch2.conv           #3×3 reduce, #3×3
    inception_3a.branch3.reduce, .branch3.conv1, .conv2  double #3×3 reduce, double #3×3 (twice)
    inception_3a.branch4.pool, inception_3a.branch4.proj Pool +proj ("avg + 32"; "max + pass through"
                                                         has no .proj)
    inception_3a.concat                                  the module's output (the named point)
    ... inception_3b, 3c, 4a ... 4e, 5a, 5b
    avgpool, flatten, fc, softmax

The `branch<N>` components make the engine count a module's depth as its deepest branch (3, Figure 5's depth
column: reduce, then two 3×3).

Decisions where the paper is silent, or inconsistent:

* Module outputs. Every module concatenates its branches (GoogLeNet Figure 2(b)), so its depth is the sum of
  its branches' filters, a pass-through branch keeping its input's channels. Figure 5 prints totals that
  disagree with its own filters for (4c) (160 + 160 + 160 + 128 = 608, printed 576) and (4d) (96 + 192 + 192
  + 128 = 608, printed 576), and hence for (4e) (192 + 256 + 608 = 1056, printed 1024). The builders follow
  the printed filters: a total alone cannot say which branch would have to lose its 32 filters.
* Strides. The appendix (p. 10) puts "stride-2 convolution/pooling layers ... before the filter concatenation
  in the modules 3c, 4e": there the 3×3 convolution of branch2, the second 3×3 of branch3 and the max pool
  have stride 2, halving the size (Figure 5 prints the modules' input size, 28×28 and 14×14, as their output;
  the next rows print 14×14 and 7×7).
* Pooling inside the modules. Figure 5 prints only avg or max; GoogLeNet (Figure 2(b), p. 5) pools 3×3.
  Stride 1 keeps the size with a padding of 1: the average excludes the padding (TensorFlow's 'same', PyTorch's
  count_include_pad=False); a max pool pads with -inf (stride 1) or zeros (stride 2, explicit) alike, as every
  pooled input has passed a ReLU (>= 0).
* Padding. Every k×k layer is padded by k // 2 on each side; before a strided layer explicitly (ZeroPad),
  since TensorFlow's 'same' pads (2, 3) and (0, 1) there where PyTorch pads symmetrically. A stride-2 layer
  then gives ceil(n / 2), which yields Figure 5's sizes at 224.
* conv1. "Our model employed separable convolution with depth multiplier 8 on the first convolutional layer"
  (p. 10, the asterisk of "convolution*"): a 7×7/2 depthwise convolution (3 → 3·8 = 24 channels) and a 1×1
  pointwise convolution to 64, with no nonlinearity between them (a separable convolution is one linear
  layer, depth 1 in Figure 5), so one BatchNorm and ReLU follow the pointwise convolution.
* BatchNorm. Sec. 3.2 (p. 5): "We add the BN transform immediately before the nonlinearity", "the bias b can
  be ignored", "z = g(BN(Wu))": every convolution has no bias and is followed by BatchNorm, then ReLU (Sec. 4.2,
  p. 6: "Convolutional layers use ReLU as the nonlinearity"). The paper gives no epsilon: 1e-5 in both
  frameworks. The classifier, a linear layer with a bias and softmax (Sec. 4.2: "a softmax layer to predict the
  image class, out of 1000 possibilities"), has no BatchNorm (no nonlinearity follows it).
* Average pool. Figure 5 prints "avg pool 7×7/1" giving 1×1×1024 at 224; it is a global average pool, which is
  that pool at 224 and keeps the classifier (and the parameter count) independent of the input size.
* No dropout and no local response normalisation: Sec. 4.2.1 (p. 6) removes both ("Remove Dropout", "Remove
  Local Response Normalization").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SeparableConv:
    """conv1 ("convolution*", p. 10): a depthwise k×k convolution with a depth multiplier, then a 1×1 one."""

    name: str
    kernel: int
    filters: int
    stride: int
    depth_multiplier: int


@dataclass(frozen=True)
class Conv:
    """A convolution unit (convolution, BatchNorm, ReLU): kernel size, filters and stride."""

    name: str
    kernel: int
    filters: int
    stride: int = 1


@dataclass(frozen=True)
class MaxPool:
    """A max pool row of Figure 5 ("3×3/2")."""

    name: str
    kernel: int = 3
    stride: int = 2


@dataclass(frozen=True)
class Inception:
    """An inception row of Figure 5 (p. 11): the filters of its four branches."""

    name: str
    n1x1: int  # "#1×1": branch1, a 1×1 convolution; 0 = no such branch
    n3x3_reduce: int  # "#3×3 reduce": branch2.reduce, 1×1 filters before the 3×3
    n3x3: int  # "#3×3": branch2.conv
    double_reduce: int  # "double #3×3 reduce": branch3.reduce, 1×1 filters before the two 3×3
    double_3x3: int  # "double #3×3": branch3.conv1 and branch3.conv2
    pool: str  # "Pool +proj": "avg" or "max", a 3×3 pool (GoogLeNet Figure 2(b), p. 5)
    proj: int | None  # the 1×1 projection after the pool; None = "pass through"
    stride: int = 1  # "stride 2" (patch size/stride column): branch2.conv, branch3.conv2 and the pool

    def __post_init__(self) -> None:
        if self.pool not in ("avg", "max") or (self.pool == "avg" and self.stride != 1):
            raise ValueError(f"{self.name}: expected an 'avg' pool of stride 1 or a 'max' pool. Received: {self!r}")

    def out_channels(self, in_channels: int) -> int:
        """The filter concatenation: the sum of the branches' outputs, a pass-through keeping its input's."""
        return self.n1x1 + self.n3x3 + self.double_3x3 + (in_channels if self.proj is None else self.proj)


Layer = SeparableConv | Conv | MaxPool | Inception

#: Figure 5 (p. 11), top to bottom.
LAYERS: tuple[Layer, ...] = (
    SeparableConv("conv1", 7, 64, stride=2, depth_multiplier=8),  # convolution* 7×7/2, 112×112×64 (p. 10)
    MaxPool("pool1"),  # max pool 3×3/2, 56×56×64
    # convolution 3×3/1, 56×56×192: "#3×3 reduce" 64 then "#3×3" 192 (as GoogLeNet Table 1's conv2 row)
    Conv("conv2.reduce", 1, 64),
    Conv("conv2.conv", 3, 192),
    MaxPool("pool2"),  # max pool 3×3/2, 28×28×192
    Inception("inception_3a", 64, 64, 64, 64, 96, "avg", 32),  # 28×28×256
    Inception("inception_3b", 64, 64, 96, 64, 96, "avg", 64),  # 28×28×320
    Inception("inception_3c", 0, 128, 160, 64, 96, "max", None, stride=2),  # stride 2, printed 28×28×576
    Inception("inception_4a", 224, 64, 96, 96, 128, "avg", 128),  # 14×14×576
    Inception("inception_4b", 192, 96, 128, 96, 128, "avg", 128),  # 14×14×576
    Inception("inception_4c", 160, 128, 160, 128, 160, "avg", 128),  # printed 14×14×576 (filters: 608)
    Inception("inception_4d", 96, 128, 192, 160, 192, "avg", 128),  # printed 14×14×576 (filters: 608)
    Inception("inception_4e", 0, 128, 192, 192, 256, "max", None, stride=2),  # stride 2, printed 14×14×1024
    Inception("inception_5a", 352, 192, 320, 160, 224, "avg", 128),  # 7×7×1024
    Inception("inception_5b", 352, 192, 320, 192, 224, "max", 128),  # 7×7×1024
)

#: The pool inside every module: 3×3 (GoogLeNet Figure 2(b), p. 5; Figure 5 prints no size).
MODULE_POOL = 3

#: BatchNorm epsilon, the same in both frameworks so that their outputs agree (the paper gives none).
BN_EPSILON = 1e-5
