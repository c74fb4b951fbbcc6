"""DenseNet as Huang et al. describe it (arXiv 1608.06993v5), shared by the Keras and PyTorch builders.

Table 1 (p. 4) gives the ImageNet networks DenseNet-121/169/201/264; Sec. 3 (pp. 3-4) the composite function
H_l (BN-ReLU-Conv), the bottleneck layers (a 1×1 convolution producing 4k feature-maps before each 3×3),
the compression θ at the transition layers (floor(θ·m) output feature-maps, θ = 0.5) and the ImageNet
set-up (DenseNet-BC, 4 dense blocks, 224×224 inputs, an initial convolution of 2k 7×7 filters, stride 2).

Layer names, identical in both frameworks (Table 1's rows):

    conv1 (.norm, .relu, .pad, .conv)                       Convolution, 7×7 conv, stride 2
    pool1 (.pad, .pool)                                     Pooling, 3×3 max pool, stride 2
    dense_block1.layer1 (.norm1, .relu1, .conv1,            Dense Block (1): [1×1 conv; 3×3 conv] × 6
                         .norm2, .relu2, .conv2, .concat)   (without the bottleneck only .norm2, .relu2, .conv2)
    transition1 (.norm, .relu, .conv, .pool)                Transition Layer (1): 1×1 conv; 2×2 average pool
    ... dense_block4
    classification (.pool, .flatten, .fc, .softmax)         Classification Layer

Decisions where the paper is silent or could be read two ways:

* BN-ReLU-Conv everywhere. Table 1's caption (p. 4): "each 'conv' layer shown in the table corresponds the
  sequence BN-ReLU-Conv". The 7×7 convolution is a "conv" shown in the table, so conv1 is BN-ReLU-Conv too
  (keras.applications uses Conv-BN-ReLU there: 128 against 6 BatchNorm parameters, no multiply-add
  differs). Table 1 shows no BN-ReLU after the last dense block, so none is built (keras.applications adds
  one: 2·1024 parameters for DenseNet-121).
* Padding. "each side of the inputs is zero-padded by one pixel" for the 3×3 convolutions (Sec. 3,
  Implementation Details, p. 4). conv1 (7×7/2) is padded by 3 and the 3×3/2 max pool by 1, explicitly
  (TensorFlow's 'same' would pad (2, 3) and (0, 1)): 224 → 112 → 56 as Table 1 prints. The max pool's input
  has not passed a ReLU (conv1 is BN-ReLU-Conv), so its zero padding is not the usual −inf padding; both
  frameworks pad the same way.
* Biases. The paper does not say; the convolutions have none (each is followed, directly or through the
  concatenation, by a later layer's BatchNorm, or by the global average pool and the fully-connected layer,
  whose bias absorbs a constant). The fully-connected layer has one.
* "7×7 global average pool" is a global average pool: 7×7 at 224, and the fully-connected layer (and every
  parameter count) does not depend on the input size.

The CIFAR networks of Table 2 (p. 5; Sec. 3, Implementation Details, p. 4): three dense blocks of equal length on
32×32, 16×16 and 8×8 maps, an initial convolution with 16 output channels (2k for DenseNet-BC) on the input
images, no pooling before the first block, transition layers between the blocks, a global average pool and the
classifier. Names as above, without pool1 and dense_block4; conv1 is `.conv` alone. The readings:

* The initial convolution is a plain 3×3 convolution, stride 1, padded by one pixel: it meets the input images,
  not a previous layer's output, so no BN-ReLU precedes it; the paper names its channels only, and 3×3 is the
  kernel of every other convolution that keeps the map size ("For convolutional layers with kernel size 3×3,
  each side of the inputs is zero-padded by one pixel to keep the feature-map size fixed").
* Depth L counts the initial convolution, every convolution of the dense layers (one, or two with the
  bottleneck), the two transition convolutions and the classifier: L = 3n + 4 layers of n per block (6n + 4 with
  the bottleneck), so {L = 40, k = 12} has 12 layers per block and DenseNet-BC {L = 100, k = 12} 16.
* The classifier is CIFAR-10's (10 classes): Table 2 prints one parameter count for C10 and C100.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import floor


@dataclass(frozen=True)
class DenseNetSpec:
    """One column of Table 1 (p. 4): the number of layers of each of the four dense blocks."""

    name: str
    blocks: tuple[int, ...]


#: Table 1, p. 4, the "× n" of each Dense Block row.
SPECS: dict[int, DenseNetSpec] = {
    121: DenseNetSpec("densenet121", (6, 12, 24, 16)),  # Table 1, DenseNet-121 column
    169: DenseNetSpec("densenet169", (6, 12, 32, 32)),  # Table 1, DenseNet-169 column
    201: DenseNetSpec("densenet201", (6, 12, 48, 32)),  # Table 1, DenseNet-201 column
    264: DenseNetSpec("densenet264", (6, 12, 64, 48)),  # Table 1, DenseNet-264 column
}

#: Table 1 caption, p. 4: "The growth rate for all the networks is k = 32."
GROWTH_RATE = 32
#: Sec. 3, Compression, p. 4: "we set θ = 0.5 in our experiment"; the ImageNet models are DenseNet-BC.
COMPRESSION = 0.5
#: Sec. 3, Bottleneck layers, p. 4: "we let each 1×1 convolution produce 4k feature-maps".
BOTTLENECK_WIDTH = 4
#: Sec. 3, Implementation Details, p. 4: "The initial convolution layer comprises 2k convolutions of size
#: 7×7 with stride 2"; Table 1: "7 × 7 conv, stride 2" (112×112) and "3 × 3 max pool, stride 2" (56×56).
STEM_WIDTH = 2
STEM_KERNEL = 7
STEM_STRIDE = 2
POOL_KERNEL = 3
POOL_STRIDE = 2
#: Table 1: transition layers "1 × 1 conv" then "2 × 2 average pool, stride 2".
TRANSITION_POOL = 2

#: Sec. 3, Implementation Details, p. 4: on CIFAR, "three dense blocks that each has an equal number of layers"
#: and first "a convolution with 16 (or twice the growth rate for DenseNet-BC) output channels"; Table 2's first
#: network is {L = 40, k = 12}.
CIFAR_BLOCKS = 3
CIFAR_STEM_WIDTH = 16
CIFAR_KERNEL = 3
CIFAR_DEPTH = 40
CIFAR_GROWTH_RATE = 12
CIFAR_CLASSES = 10

#: BatchNorm epsilon, the same in both frameworks so that their outputs agree (the paper gives none).
BN_EPSILON = 1e-5


def spec_for(depth: int) -> DenseNetSpec:
    if depth not in SPECS:
        raise ValueError(f"DenseNet depth must be one of {sorted(SPECS)}. Received: depth={depth}")
    return SPECS[depth]


def cifar_spec(depth: int, bottleneck: bool) -> DenseNetSpec:
    """The CIFAR network of depth L: three blocks of n layers, L = 3n + 4 (6n + 4 with the bottleneck)."""
    per_layer = 2 if bottleneck else 1
    layers, rest = divmod(depth - 4, CIFAR_BLOCKS * per_layer)
    if rest or layers < 1:
        form = "6n + 4 with the bottleneck" if bottleneck else "3n + 4 without the bottleneck"
        raise ValueError(f"a CIFAR DenseNet's depth is {form} (n ≥ 1 layers per block). Received: depth={depth}")
    return DenseNetSpec(f"densenet_cifar{depth}", (layers,) * CIFAR_BLOCKS)


def cifar_stem_width(growth_rate: int, bottleneck: bool, compression: float) -> int:
    """The initial convolution's channels: 16, or 2k for DenseNet-BC (bottleneck and θ < 1)."""
    return STEM_WIDTH * growth_rate if bottleneck and compression < 1 else CIFAR_STEM_WIDTH


def check_options(growth_rate: int, compression: float) -> None:
    """Sec. 3, p. 4: a growth rate k ≥ 1 and a compression factor 0 < θ ≤ 1."""
    if growth_rate < 1:
        raise ValueError(f"growth_rate must be a positive integer. Received: growth_rate={growth_rate}")
    if not 0 < compression <= 1:
        raise ValueError(f"compression must satisfy 0 < θ ≤ 1 (Sec. 3, p. 4). Received: compression={compression}")


def transition_channels(channels: int, compression: float) -> int:
    """Sec. 3, Compression, p. 4: a dense block's m feature-maps become floor(θ·m) at the transition layer."""
    return floor(compression * channels)
