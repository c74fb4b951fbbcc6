"""VGG as Simonyan & Zisserman describe it (arXiv 1409.1556v6), shared by the Keras and PyTorch builders.

Table 1 (p. 3) gives the configurations A, A-LRN, B, C, D, E column by column; Sec. 2.1 (p. 2) the generic
design: 3×3 (and in C 1×1) convolutions with stride 1 and padding that preserves the resolution, five 2×2
max pools with stride 2, three FC layers (4096, 4096, 1000), soft-max, ReLU after every hidden layer, and
LRN with the parameters of Krizhevsky et al. (2012) where applicable. Sec. 3.1 (p. 4): dropout 0.5 for the
first two FC layers.

Layer names (identical in both frameworks): the convolutions of the block before the k-th max pool form
`convk` (`conv3.conv3_1`, its ReLU `conv3.relu3_1`, A-LRN's normalisation `conv1.lrn`), the pools are
`pool1` ... `pool5`, then `flatten`, `fc6`, `relu6`, `drop6`, `fc7`, `relu7`, `drop7`, `fc8`, `softmax`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Conv:
    """A Table 1 cell `conv<receptive field size>-<number of channels>` (stride 1, Sec. 2.1)."""

    kernel: int
    filters: int


@dataclass(frozen=True)
class LRN:
    """A Table 1 cell `LRN`: local response normalisation after the preceding layer's ReLU."""


Layer = Conv | LRN
#: The layers of one block of Table 1 (between two maxpool rows), top to bottom.
Block = tuple[Layer, ...]


def _convs(*filters: int) -> Block:
    """A block of 3×3 convolutions (`conv3-<filters>` rows)."""
    return tuple(Conv(3, f) for f in filters)


#: Table 1, p. 3, one column per configuration; each tuple is a block of rows between two maxpool rows.
CONFIGURATIONS: dict[str, tuple[Block, ...]] = {
    # Column A, "11 weight layers".
    "A": (_convs(64), _convs(128), _convs(256, 256), _convs(512, 512), _convs(512, 512)),
    # Column A-LRN, "11 weight layers": conv3-64 then LRN in the first block.
    "A-LRN": ((Conv(3, 64), LRN()), _convs(128), _convs(256, 256), _convs(512, 512), _convs(512, 512)),
    # Column B, "13 weight layers".
    "B": (_convs(64, 64), _convs(128, 128), _convs(256, 256), _convs(512, 512), _convs(512, 512)),
    # Column C, "16 weight layers": conv1-256, conv1-512, conv1-512 close blocks 3, 4 and 5.
    "C": (
        _convs(64, 64),
        _convs(128, 128),
        (*_convs(256, 256), Conv(1, 256)),
        (*_convs(512, 512), Conv(1, 512)),
        (*_convs(512, 512), Conv(1, 512)),
    ),
    # Column D, "16 weight layers".
    "D": (_convs(64, 64), _convs(128, 128), _convs(256, 256, 256), _convs(512, 512, 512), _convs(512, 512, 512)),
    # Column E, "19 weight layers".
    "E": (
        _convs(64, 64),
        _convs(128, 128),
        _convs(256, 256, 256, 256),
        _convs(512, 512, 512, 512),
        _convs(512, 512, 512, 512),
    ),
}

#: Builder name -> Table 1 column.
VARIANTS: dict[str, str] = {
    "vgg11": "A",
    "vgg11_lrn": "A-LRN",
    "vgg13": "B",
    "vgg16_c": "C",
    "vgg16": "D",
    "vgg19": "E",
}

#: Sec. 2.1, p. 2: "Max-pooling is performed over a 2 × 2 pixel window, with stride 2."
POOL_SIZE = 2
#: Sec. 2.1, p. 2 and Table 1's FC-4096, FC-4096 rows: the two hidden FC layers.
HIDDEN_UNITS = (4096, 4096)
#: Sec. 3.1, p. 4: "dropout regularisation for the first two fully-connected layers (dropout ratio set to 0.5)".
DROPOUT = 0.5
#: During training the input is "a fixed-size 224 × 224 RGB image" (Sec. 2.1, p. 2); five 2×2 pools halve it
#: five times, so fc6 sees a 7×7 map (Sec. 3.2, p. 5: the first FC layer is "a 7 × 7 conv. layer").
INPUT_SIZE = 224
DOWNSAMPLING = POOL_SIZE**5


@dataclass(frozen=True)
class LRNParameters:
    """Krizhevsky et al. (2012), Sec. 3.3, p. 4: b = a / (k + α·Σ a²)^β over n adjacent channels, with
    k = 2, n = 5, α = 10^-4, β = 0.75; VGG Sec. 2.1 (p. 2) uses "those of (Krizhevsky et al., 2012)".

    α multiplies the plain sum of squares. PyTorch's `nn.LocalResponseNorm` divides its alpha by n (it
    averages), so it is given `alpha_mean` = n·α; the Keras layer takes α itself. Both compute AlexNet's b.
    """

    k: float = 2.0
    n: int = 5
    alpha: float = 1e-4
    beta: float = 0.75

    @property
    def alpha_mean(self) -> float:
        """The alpha of the averaged form k + alpha_mean·mean(a²), which PyTorch's module takes."""
        return self.alpha * self.n


LRN_PARAMETERS = LRNParameters()


def configuration(variant: str) -> tuple[Block, ...]:
    """The Table 1 column a builder name stands for."""
    if variant not in VARIANTS:
        raise ValueError(f"VGG variant must be one of {sorted(VARIANTS)}. Received: {variant!r}")
    return CONFIGURATIONS[VARIANTS[variant]]


def classifier_side(input_size: int) -> int:
    """Height and width of the map fc6 flattens: the input side halved by each of the five max pools."""
    side = input_size // DOWNSAMPLING
    if side < 1:
        raise ValueError(f"input_size must be at least {DOWNSAMPLING} (five 2×2 pools). Received: {input_size}")
    return side
