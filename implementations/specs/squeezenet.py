"""SqueezeNet as Iandola et al. describe it (arXiv 1602.07360v4), shared by the Keras and PyTorch builders.

Table 1 (p. 6) gives the layers and every Fire module's s1x1, e1x1 and e3x3; Sec. 3.2 (p. 4) the Fire module
(a squeeze layer of 1x1 filters feeding an expand layer of 1x1 and 3x3 filters, Figure 1); Sec. 3.3.1 (p. 5)
the zero padding of the 3x3 expand filters, ReLU on squeeze and expand, dropout 50% after fire9 and the
expand layer as two convolutions concatenated along the channels; Sec. 5.1 (p. 8) the metaparameters that
generate the Fire modules (base_e = 128, incr_e = 128, pct3x3 = 0.5, freq = 2, SR = 0.125); Sec. 6 (p. 9)
and Figure 2 (p. 5) the simple and complex bypass connections.

Layer names, identical in both frameworks (a convolution unit `X` is `X.conv` followed by `X.relu`):

    conv1 (.pad, .conv, .relu)            maxpool1
    fire2.squeeze                         s1x1
    fire2.expand.branch1                  e1x1 (the expand layer's 1x1 filters)
    fire2.expand.branch2 (.pad, ...)      e3x3 (the expand layer's 3x3 filters, zero-padded by 1)
    fire2.expand.concat                   the Fire module's output without a bypass
    fire2.shortcut.conv, fire2.add        a complex bypass (1x1 convolution) or a simple one (add only)
    ... fire3, fire4, maxpool4, fire5 ... fire8, maxpool8, fire9
    dropout, conv10 (.conv, .relu), avgpool10, flatten, softmax

The expand layer's filters are `branch<N>` components, so the engine counts a Fire module's depth as 2
(squeeze, then the expand layer), as Table 1's depth column does; bypass layers are `shortcut` layers.

Decisions where the paper is silent:

* conv1's padding. Table 1 prints a 224x224x3 input and conv1 "7x7/2" giving 111x111x96: without padding a
  224 input gives (224 − 7) / 2 + 1 = 109 (111 needs 227). conv1 is zero-padded by 2 on each side, which
  gives floor((224 + 4 − 7) / 2) + 1 = 111 (as AlexNet's conv1 is here). The max pools are unpadded:
  111 → 55 → 27 → 13, Table 1's sizes.
* ReLU after conv1 and conv10. Sec. 3.3.1 names ReLU on the squeeze and expand layers only; conv1 and conv10
  get one too (no claim sees an activation).
* Biases. Every convolution has one: Table 1's #parameter column counts them (conv1: 7·7·3·96 + 96 = 14,208).
* avgpool10 "13x13/1" is a global average pool: 13x13 at 224, and no parameter depends on the input size.
* Complex bypass (Sec. 6, p. 9: "a 1x1 convolution layer with the number of filters set equal to the number
  of output channels that are needed"): around fire2, fire4, fire6 and fire8 (Figure 2, right), added to the
  simple bypasses around fire3, fire5, fire7 and fire9 ("complex bypass connections between the remaining
  Fire modules"); the 1x1 convolution has a bias like every convolution here and no ReLU.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Conv:
    """A convolution row of Table 1: filter size / stride (xfilters)."""

    name: str
    kernel: int
    stride: int
    filters: int
    padding: int = 0


@dataclass(frozen=True)
class MaxPool:
    """A max pool row of Table 1 ("3x3/2")."""

    name: str
    kernel: int = 3
    stride: int = 2


@dataclass(frozen=True)
class Fire:
    """A Fire row of Table 1: its index i (fire2 is i = 0 of Sec. 5.1) and its total expand filters e_i."""

    name: str
    index: int


#: Sec. 5.1, p. 8: "SqueezeNet has the following metaparameters: base_e = 128, incr_e = 128, pct3x3 = 0.5,
#: freq = 2, and SR = 0.125."
BASE_E = 128
INCR_E = 128
PCT_3X3 = 0.5
FREQ = 2
SQUEEZE_RATIO = 0.125

#: Table 1 (p. 6), top to bottom.
LAYERS: tuple[Conv | MaxPool | Fire, ...] = (
    Conv("conv1", 7, 2, 96, padding=2),  # 111x111x96, 7x7/2 (x96); padding: see the decisions above
    MaxPool("maxpool1"),  # 55x55x96, 3x3/2
    Fire("fire2", 0),  # 55x55x128: s1x1 16, e1x1 64, e3x3 64
    Fire("fire3", 1),  # 55x55x128: 16, 64, 64
    Fire("fire4", 2),  # 55x55x256: 32, 128, 128
    MaxPool("maxpool4"),  # 27x27x256, 3x3/2
    Fire("fire5", 3),  # 27x27x256: 32, 128, 128
    Fire("fire6", 4),  # 27x27x384: 48, 192, 192
    Fire("fire7", 5),  # 27x27x384: 48, 192, 192
    Fire("fire8", 6),  # 27x27x512: 64, 256, 256
    MaxPool("maxpool8"),  # 13x13x512, 3x3/2 (printed 13x12x512)
    Fire("fire9", 7),  # 13x13x512: 64, 256, 256
)
#: Sec. 3.3.1, p. 5: "Dropout with a ratio of 50% is applied after the fire9 module."
DROPOUT = 0.5
#: Table 1: conv10 13x13x1000, 1x1/1 (x1000), then avgpool10 13x13/1 (global, see above).
CONV10 = Conv("conv10", 1, 1, 1000)

#: Sec. 6, p. 9 and Figure 2: "bypass connections around Fire modules 3, 5, 7, and 9"; the complex bypass
#: adds 1x1 convolutions around the remaining ones.
SIMPLE_BYPASS = ("fire3", "fire5", "fire7", "fire9")
COMPLEX_BYPASS = ("fire2", "fire4", "fire6", "fire8")
BYPASS_OPTIONS = ("none", "simple", "complex")


@dataclass(frozen=True)
class FireWidths:
    """s1x1, e1x1 and e3x3 of one Fire module (Sec. 3.2, p. 4)."""

    squeeze: int
    expand1x1: int
    expand3x3: int

    @property
    def out_channels(self) -> int:
        """The two expand convolutions concatenated along the channels (Sec. 3.3.1, p. 5)."""
        return self.expand1x1 + self.expand3x3


def fire_widths(index: int, squeeze_ratio: float, pct3x3: float = PCT_3X3) -> FireWidths:
    """Sec. 5.1, p. 8: e_i = base_e + incr_e·floor(i / freq), e_i,3x3 = e_i·pct3x3, e_i,1x1 = e_i·(1 − pct3x3),
    s_i,1x1 = SR·e_i. A squeeze ratio or 3x3 share that gives no whole number of filters is an error, and so is
    a share that leaves either expand convolution without filters."""
    if not 0 < squeeze_ratio <= 1:
        raise ValueError(f"squeeze_ratio must be in (0, 1] (Sec. 5.1). Received: squeeze_ratio={squeeze_ratio}")
    if not 0 < pct3x3 < 1:
        raise ValueError(f"pct3x3 must be in (0, 1) (Sec. 5.1, Sec. 5.3). Received: pct3x3={pct3x3}")
    expand = BASE_E + INCR_E * (index // FREQ)
    squeeze = Fraction(squeeze_ratio) * expand
    expand3x3 = Fraction(pct3x3) * expand
    for name, value, filters in (("squeeze_ratio", squeeze_ratio, squeeze), ("pct3x3", pct3x3, expand3x3)):
        if filters.denominator != 1:
            raise ValueError(
                f"{name} · e_i must be a whole number of filters; e_{index} = {expand}. Received: {name}={value}"
            )
    return FireWidths(int(squeeze), int(expand - expand3x3), int(expand3x3))


def bypass_of(name: str, option: str) -> str | None:
    """The bypass around a Fire module under option 'none', 'simple' or 'complex' (Sec. 6): None, 'simple'
    (an identity added to the module's output) or 'complex' (a 1x1 convolution added)."""
    if option not in BYPASS_OPTIONS:
        raise ValueError(f"bypass must be one of {BYPASS_OPTIONS}. Received: bypass={option!r}")
    if option != "none" and name in SIMPLE_BYPASS:
        return "simple"
    if option == "complex" and name in COMPLEX_BYPASS:
        return "complex"
    return None
