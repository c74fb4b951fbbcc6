"""GoogLeNet as Szegedy et al. describe it (arXiv 1409.4842v1), shared by the Keras and PyTorch builders.

Table 1 (p. 6) gives the layers and the filters of every Inception module; Sec. 5 (p. 6) says every
convolution, including the reductions and projections, uses ReLU; Figure 3 (p. 7) shows the local response
normalisations and the auxiliary classifiers, whose structure Sec. 5 (pp. 6 and 8) spells out.

Layer names, identical in both frameworks (a convolution unit `X` is `X.conv` followed by `X.relu`):

    conv1 (.pad, .conv, .relu)       pool1 (.pad, .pool)      norm1
    conv2.reduce, conv2.conv         norm2                    pool2 (.pad, .pool)
    inception_3a.branch1                                      #1×1
    inception_3a.branch2.reduce, inception_3a.branch2.conv    #3×3 reduce, #3×3
    inception_3a.branch3.reduce, inception_3a.branch3.conv    #5×5 reduce, #5×5
    inception_3a.branch4.pool, inception_3a.branch4.proj      3×3 max pool, pool proj
    inception_3a.concat                                       the module's output (the named point)
    ... pool3, inception_4a ... inception_4e, pool4, inception_5a, inception_5b
    avgpool, dropout, flatten, fc, softmax
    aux1.* after inception_4a and aux2.* after inception_4d (only with aux_logits=True):
    aux1.pool, aux1.proj, aux1.flatten, aux1.fc, aux1.relu, aux1.dropout, aux1.classifier, aux1.softmax

The `branch<N>` components are what makes the engine count an Inception module's depth as its deepest
branch (2), as Table 1's depth column and Sec. 5's "22 layers deep" do.

Decisions where the paper is silent:

* Padding. Table 1 prints only sizes: 224 → 112 (7×7/2), → 56, 28, 14, 7 (3×3/2 max pools), and the
  3×3 and 5×5 convolutions and the 3×3/1 pools inside the modules keep the size. Every k×k layer is padded
  by k // 2 on each side, explicitly (ZeroPad) before the strided conv1 and the stride-2 max pools, since
  TensorFlow's 'same' pads (2, 3) and (0, 1) there where PyTorch pads symmetrically. A stride-2 max pool
  then gives ceil(n / 2), which yields exactly Table 1's sizes at 224. Zero padding before a max pool equals
  the usual -inf padding here because every pooled input has passed a ReLU (>= 0).
* Local response normalisation. Figure 3 (p. 7) draws "LocalRespNorm" after the first max pool and after
  the 3×3 convolution of conv2; Table 1 does not list it. It has no parameters and no multiply-adds, so it
  changes no number of Table 1; it is included (`norm1`, `norm2`) because Figure 3 is part of the
  paper's description. The paper gives no constants: those of AlexNet (Krizhevsky et al. 2012, Sec. 3.3,
  p. 4: "k = 2, n = 5, α = 10−4, and β = 0.75"), b = a / (k + α Σ a²)^β over n adjacent channels.
* Average pooling. Table 1 prints "avg pool 7×7/1" giving 1×1×1024 at 224; it is implemented as a global
  average pool, which is that pool at 224 and gives 1×1×1024 at any input size, so that the linear layer
  (and the parameter count) does not depend on the input size.
* Biases. The paper does not say whether the convolutions and the linear layers have biases; the builders
  give them biases (`bias=True`, 8,280 parameters in all; `bias=False` leaves them out). Table 1's params
  column counts weights only (its linear row prints 1000K = 1024 × 1000 / 1024; with 1000 biases it would be
  1001K), so the reference table measures it as weights (`layer_weights`), with or without biases.
* Auxiliary classifiers (Sec. 5, pp. 6 and 8) are "discarded at inference time" and are not in Table 1's
  rows: they are built only with `aux_logits=True`, and only at an input size that gives Sec. 5's 4×4 maps
  (224 and its neighbours), since their fully connected layer takes the flattened map.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Conv:
    """A convolution unit (convolution + ReLU): kernel size, filters and stride."""

    name: str
    kernel: int
    filters: int
    stride: int = 1


@dataclass(frozen=True)
class MaxPool:
    """A max pool row of Table 1 ("3×3/2")."""

    name: str
    kernel: int = 3
    stride: int = 2


@dataclass(frozen=True)
class LRN:
    """A LocalRespNorm box of Figure 3 (p. 7)."""

    name: str


@dataclass(frozen=True)
class Inception:
    """An inception row of Table 1 (p. 6): the filters of its four branches (Figure 2(b), p. 5)."""

    name: str
    n1x1: int  # "#1×1": branch1, a 1×1 convolution
    n3x3_reduce: int  # "#3×3 reduce": branch2.reduce, 1×1 filters before the 3×3
    n3x3: int  # "#3×3": branch2.conv
    n5x5_reduce: int  # "#5×5 reduce": branch3.reduce, 1×1 filters before the 5×5
    n5x5: int  # "#5×5": branch3.conv
    pool_proj: int  # "pool proj": branch4.proj, 1×1 filters after the 3×3 max pool (stride 1)

    @property
    def out_channels(self) -> int:
        """The filter concatenation (Figure 2(b)): the sum of the four branches' outputs."""
        return self.n1x1 + self.n3x3 + self.n5x5 + self.pool_proj


@dataclass(frozen=True)
class Aux:
    """An auxiliary classifier (Sec. 5, pp. 6 and 8), attached to the output of the Inception module `after`."""

    name: str
    after: str
    pool_kernel: int = 5  # "An average pooling layer with 5×5 filter size and stride 3" (p. 6)
    pool_stride: int = 3
    # "resulting in an 4×4×512 output for the (4a), and 4×4×528 for the (4d) stage" (p. 6), at 224×224:
    # the fully connected layer takes the flattened 4×4 map, so the classifiers need the paper's input size.
    grid: int = 4
    proj_filters: int = 128  # "A 1×1 convolution with 128 filters for dimension reduction" (p. 8)
    fc_units: int = 1024  # "A fully connected layer with 1024 units and rectified linear activation" (p. 8)
    dropout: float = 0.7  # "A dropout layer with 70% ratio of dropped outputs" (p. 8)


Layer = Conv | MaxPool | LRN | Inception

#: Table 1 (p. 6), top to bottom, with Figure 3's LocalRespNorm (p. 7) where the figure draws it.
LAYERS: tuple[Layer, ...] = (
    Conv("conv1", 7, 64, stride=2),  # convolution 7×7/2, 112×112×64
    MaxPool("pool1"),  # max pool 3×3/2, 56×56×64
    LRN("norm1"),  # Figure 3: LocalRespNorm after the first MaxPool 3x3+2(S)
    # convolution 3×3/1, 56×56×192, depth 2: "#3×3 reduce" 64 then "#3×3" 192 (Figure 3: Conv 1x1+1(V),
    # Conv 3x3+1(S)); conv2.reduce and conv2.conv are expanded in the builders.
    Conv("conv2.reduce", 1, 64),
    Conv("conv2.conv", 3, 192),
    LRN("norm2"),  # Figure 3: LocalRespNorm after Conv 3x3+1(S)
    MaxPool("pool2"),  # max pool 3×3/2, 28×28×192
    Inception("inception_3a", 64, 96, 128, 16, 32, 32),  # 28×28×256
    Inception("inception_3b", 128, 128, 192, 32, 96, 64),  # 28×28×480
    MaxPool("pool3"),  # max pool 3×3/2, 14×14×480
    Inception("inception_4a", 192, 96, 208, 16, 48, 64),  # 14×14×512
    Inception("inception_4b", 160, 112, 224, 24, 64, 64),  # 14×14×512
    Inception("inception_4c", 128, 128, 256, 24, 64, 64),  # 14×14×512
    Inception("inception_4d", 112, 144, 288, 32, 64, 64),  # 14×14×528
    Inception("inception_4e", 256, 160, 320, 32, 128, 128),  # 14×14×832
    MaxPool("pool4"),  # max pool 3×3/2, 7×7×832
    Inception("inception_5a", 256, 160, 320, 32, 128, 128),  # 7×7×832
    Inception("inception_5b", 384, 192, 384, 48, 128, 128),  # 7×7×1024
)

#: Table 1: avg pool 7×7/1 (global here, see above), "dropout (40%)", linear 1×1×1000, softmax.
DROPOUT = 0.4

#: Sec. 5, p. 6: classifiers "put on top of the output of the Inception (4a) and (4d) modules".
AUX: tuple[Aux, ...] = (Aux("aux1", "inception_4a"), Aux("aux2", "inception_4d"))

#: Local response normalisation constants, AlexNet's (Krizhevsky et al. 2012, Sec. 3.3, p. 4): the
#: coefficient ALPHA multiplies the sum of squares over SIZE adjacent channels.
LRN_SIZE = 5
LRN_ALPHA = 1e-4
LRN_BETA = 0.75
LRN_K = 2.0
