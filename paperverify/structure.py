"""Layer structure as papers print it in architecture tables.

ResNet Table 1 writes a stage as `[1×1, 64; 3×3, 64; 1×1, 256] ×3` (a bracket of stacked layers repeated
three times), a single layer as `7×7, 64, stride 2`, and a head as `average pool, 1000-d fc, softmax`.
VGG Table 1 writes `conv3-64` (conv⟨receptive field size⟩-⟨number of channels⟩), `maxpool`, `LRN`,
`FC-4096` and `soft-max`; stacked layers of one cell are separated by commas (`conv3-64, LRN`).
DenseNet Table 1 writes a convolution without its filters, `7×7 conv, stride 2` and `[1×1 conv; 3×3 conv] ×6`
(the filters follow from the growth rate), `7×7 global average pool` (a global pool over a 7×7 map) and
`1000D fully-connected`.
A kernel may print its depth, the input channels each kernel sees (AlexNet, Sec. 3.5: "256 kernels of size
5 × 5 × 48" is `5×5×48, 256`); a grouped convolution's kernels see its input channels divided by the groups.
BN-Inception's Figure 5 writes an Inception module's pooling branch as `avg + 32` (an average pool, then
a projection to 32 channels) or `max + pass through` (a max pool whose output is concatenated as it is).
MobileNet Table 1 prints a layer's type and stride in one column (`Conv / s2`, `Conv dw / s1` for a depthwise
convolution, `Avg Pool / s1`, `FC / s1`, `Softmax / s1`) and its filter shape in another (`3 × 3 × 3 × 32`:
k×k×input channels×filters; `3 × 3 × 32 dw`: a depthwise k×k filter per channel, each seeing one input channel;
`1024 × 1000` for the fully connected layer; `Pool 7 × 7`, any pooling of that window; `Classifier`, the
softmax). A fully connected layer and a softmax have no window, so their printed `s1` states no attribute.
SENet's Table 1 (Hu et al., arXiv 1709.01507v4, p. 5) names the operation first: `conv, 7×7, 64, stride 2`,
`max pool, 3×3, stride 2`, `global average pool`; a grouped convolution prints its cardinality after it
(`conv, 3×3, 128 C = 32`: 32 groups); and `fc, [16, 256]` inside a block's bracket is an SE module (the
caption: "The inner brackets following by fc indicates the output dimension of the two fully connected
layers in an SE module"): its squeeze, a global average pool (Sec. 3.1, Eq. 2), then fc layers of 16 and
256 units. A bracket may hold such an inner bracket.
Xception's Figure 5 (Chollet, arXiv 1610.02357v3, p. 5) draws boxes of stacked layers, one per printed line
(a cell with several lines parses line by line), with an ASCII x: `Conv 32, 3x3, stride=2x2` (filters,
kernel, stride), `Conv 1x1 stride=2x2` (a shortcut's convolution), `SeparableConv 728, 3x3` (a depthwise k×k
convolution, each kernel seeing one channel, then a 1×1 pointwise convolution to 728 channels, Sec. 1.2, p. 2),
`MaxPooling 3x3, stride=2x2`, `GlobalAveragePooling`, `ReLU`, and `Logistic regression` (a dense layer, then
the softmax).
A cell parses into the ordered list of the layers it names, with only the attributes it prints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from paperverify.printed import PrintedValueError

#: The largest repeat a bracket of layers may print (ResNet-1202's 200 blocks a stage fit; more is an error).
MAX_REPEAT = 1000

_BRACKET = re.compile(r"^\[(?P<body>[^\[\]]+(?:\[[^\[\]]*\][^\[\]]*)*)\]\s*×\s*(?P<repeat>[0-9]+)$")
_CONV = re.compile(
    r"^(?P<k>[0-9]+)×(?P=k)(?:×(?P<depth>[0-9]+))?,\s*(?P<channels>[0-9]+)(?:,\s*stride\s+(?P<stride>[0-9]+))?$"
)
_KERNEL_CONV = re.compile(r"^(?P<k>[0-9]+)×(?P=k)\s+conv(?:,\s*stride\s+(?P<stride>[0-9]+))?$")
_POOL = re.compile(
    r"^(?:(?P<k>[0-9]+)×(?P=k)\s+)?(?:global\s+)?(?P<op>max|average)\s+pool(?:,\s*stride\s+(?P<stride>[0-9]+))?$"
)
_OP_CONV = re.compile(
    r"^conv,\s*(?P<k>[0-9]+)×(?P=k),\s*(?P<channels>[0-9]+)(?:,\s*stride\s+(?P<stride>[0-9]+))?(?:\s+C\s*=\s*(?P<groups>[0-9]+))?$"
)
_OP_POOL = re.compile(r"^(?P<op>max|average)\s+pool,\s*(?P<k>[0-9]+)×(?P=k)(?:,\s*stride\s+(?P<stride>[0-9]+))?$")
_SE = re.compile(r"^fc,\s*\[(?P<reduce>[0-9]+),\s*(?P<expand>[0-9]+)\]$")
_FC = re.compile(r"^(?P<units>[0-9]+)(?:-d\s+fc|D\s+fully-connected)$")
_VGG_CONV = re.compile(r"^conv(?P<k>[0-9]+)-(?P<channels>[0-9]+)$")
_VGG_FC = re.compile(r"^FC-(?P<units>[0-9]+)$")
_POOL_PROJ = re.compile(r"^(?P<op>avg|max)\s*\+\s*(?:(?P<channels>[0-9]+)|pass through)$")
#: Layers printed by a bare name, with no attribute.
_NAMED = {
    "softmax": "softmax",
    "soft-max": "softmax",
    "maxpool": "maxpool",
    "LRN": "lrn",
    "Classifier": "softmax",
}
_POOL_KIND = {"max": "maxpool", "average": "avgpool", "avg": "avgpool"}
_TYPE_STRIDE = re.compile(r"^(?P<type>Conv dw|Conv|Avg Pool|Max Pool|FC|Softmax)\s*/\s*s(?P<stride>[0-9]+)$")
_TYPE_KIND = {"Conv dw": "conv2d", "Conv": "conv2d", "Avg Pool": "avgpool", "Max Pool": "maxpool"}
_FILTER = re.compile(r"^(?P<k>[0-9]+)\s*×\s*(?P=k)\s*×\s*(?P<depth>[0-9]+)\s*×\s*(?P<channels>[0-9]+)$")
_DW_FILTER = re.compile(r"^(?P<k>[0-9]+)\s*×\s*(?P=k)\s*×\s*(?P<channels>[0-9]+)\s+dw$")
_FC_FILTER = re.compile(r"^(?P<inputs>[0-9]+)\s*×\s*(?P<units>[0-9]+)$")
_POOL_WINDOW = re.compile(r"^Pool\s+(?P<k>[0-9]+)\s*×\s*(?P=k)$")
_X_STRIDE = r"(?:,?\s*stride=(?P<stride>[0-9]+)x(?P=stride))?"
_X_CONV = re.compile(r"^Conv\s+(?P<channels>[0-9]+),\s*(?P<k>[0-9]+)x(?P=k)" + _X_STRIDE + "$")
_X_KERNEL_CONV = re.compile(r"^Conv\s+(?P<k>[0-9]+)x(?P=k)" + _X_STRIDE + "$")
_X_SEPARABLE = re.compile(r"^SeparableConv\s+(?P<channels>[0-9]+),\s*(?P<k>[0-9]+)x(?P=k)$")
_X_POOL = re.compile(r"^(?P<op>Max|Average)Pooling\s+(?P<k>[0-9]+)x(?P=k)" + _X_STRIDE + "$")
#: Xception's Figure 5: layers printed by name alone, and the kinds they are.
_X_NAMED = {"ReLU": ("relu",), "GlobalAveragePooling": ("avgpool",), "Logistic regression": ("dense", "softmax")}
_X_POOL_KIND = {"Max": "maxpool", "Average": "avgpool"}


@dataclass(frozen=True)
class LayerSpec:
    """One printed layer: its kind and the attributes the paper prints (None where it prints none)."""

    kind: str
    kernel: int | None = None
    channels: int | None = None
    stride: int | None = None
    depth: int | None = None
    groups: int | None = None

    def __str__(self) -> str:
        parts = [self.kind]
        if self.kernel is not None:
            parts.append(f"{self.kernel}×{self.kernel}" + (f"×{self.depth}" if self.depth is not None else ""))
        elif self.depth is not None:
            parts.append(f"depth {self.depth}")
        if self.channels is not None:
            parts.append(str(self.channels))
        if self.stride is not None:
            parts.append(f"stride {self.stride}")
        if self.groups is not None:
            parts.append(f"groups {self.groups}")
        return " ".join(parts)


def parse_structure(text: str) -> tuple[LayerSpec, ...]:
    """Parse a structure cell into the layers it prints, brackets expanded by their repeat count."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > 1:  # a box of stacked layers, one per line (Xception's Figure 5)
        return tuple(layer for line in lines for layer in parse_structure(line))
    cleaned = " ".join(text.split())
    if pool_proj := _POOL_PROJ.match(cleaned):
        pool = LayerSpec(_POOL_KIND[pool_proj["op"]])
        channels = pool_proj["channels"]
        return (pool,) if channels is None else (pool, LayerSpec("conv2d", None, int(channels)))
    bracket = _BRACKET.match(cleaned)
    if bracket:
        repeat = bracket["repeat"]
        if len(repeat) > 4 or not 1 <= int(repeat) <= MAX_REPEAT:
            raise PrintedValueError(f"expected a repeat from ×1 to ×{MAX_REPEAT}. Received: ×{repeat[:12]}")
        body = tuple(layer for item in bracket["body"].split(";") for layer in _parse_item(item))
        return body * int(repeat)
    whole = _match_item(cleaned)
    if whole is not None:
        return whole
    return tuple(layer for item in cleaned.split(",") for layer in _parse_item(item))


def _parse_item(text: str) -> tuple[LayerSpec, ...]:
    specs = _match_item(text.strip())
    if specs is None:
        raise PrintedValueError(
            "expected a layer such as '3×3, 64', '7×7, 64, stride 2', '5×5×48, 256', '3×3 max pool, stride 2', "
            "'average pool', '1000-d fc', 'softmax', 'conv3-64', 'maxpool', 'LRN', 'FC-4096', 'soft-max', "
            "'avg + 32', 'max + pass through', '7×7 conv, stride 2', '7×7 global average pool', "
            "'1000D fully-connected', 'Conv dw / s2', '3 × 3 × 32 dw', '1 × 1 × 32 × 64', '1024 × 1000', "
            "'Pool 7 × 7', 'conv, 3×3, 128 C = 32', 'max pool, 3×3, stride 2', 'fc, [16, 256]', "
            "'Conv 32, 3x3, stride=2x2', 'Conv 1x1 stride=2x2', 'SeparableConv 728, 3x3', 'MaxPooling 3x3, "
            "stride=2x2', 'GlobalAveragePooling', 'ReLU' or 'Logistic regression'. "
            f"Received: {text.strip()!r}"
        )
    return specs


def _match_item(text: str) -> tuple[LayerSpec, ...] | None:
    """The layers one printed item names: one layer, or an SE module's squeeze and two fc layers."""
    if conv := _CONV.match(text):
        return (LayerSpec("conv2d", int(conv["k"]), int(conv["channels"]), _int(conv["stride"]), _int(conv["depth"])),)
    if conv := _KERNEL_CONV.match(text):
        return (LayerSpec("conv2d", int(conv["k"]), None, _int(conv["stride"])),)
    if conv := _OP_CONV.match(text):
        return (
            LayerSpec(
                "conv2d", int(conv["k"]), int(conv["channels"]), _int(conv["stride"]), groups=_int(conv["groups"])
            ),
        )
    if pool := _POOL.match(text) or _OP_POOL.match(text):
        return (LayerSpec(_POOL_KIND[pool["op"]], _int(pool["k"]), None, _int(pool["stride"])),)
    if fc := _FC.match(text) or _VGG_FC.match(text):
        return (LayerSpec("dense", None, int(fc["units"])),)
    if se := _SE.match(text):
        return (
            LayerSpec("avgpool"),
            LayerSpec("dense", None, int(se["reduce"])),
            LayerSpec("dense", None, int(se["expand"])),
        )
    if conv := _VGG_CONV.match(text):
        return (LayerSpec("conv2d", int(conv["k"]), int(conv["channels"])),)
    if text in _NAMED:
        return (LayerSpec(_NAMED[text]),)
    mobilenet = _match_mobilenet(text)
    return (mobilenet,) if mobilenet is not None else _match_xception(text)


def _match_mobilenet(text: str) -> LayerSpec | None:
    """MobileNet Table 1's notation: a type and stride, or a filter shape."""
    if typed := _TYPE_STRIDE.match(text):
        kind = typed["type"]
        if kind == "FC":
            return LayerSpec("dense")
        if kind == "Softmax":
            return LayerSpec("softmax")
        return LayerSpec(_TYPE_KIND[kind], None, None, int(typed["stride"]), 1 if kind == "Conv dw" else None)
    if conv := _FILTER.match(text):
        return LayerSpec("conv2d", int(conv["k"]), int(conv["channels"]), None, int(conv["depth"]))
    if conv := _DW_FILTER.match(text):
        return LayerSpec("conv2d", int(conv["k"]), int(conv["channels"]), None, 1)
    if fc := _FC_FILTER.match(text):
        return LayerSpec("dense", None, int(fc["units"]), None, int(fc["inputs"]))
    if pool := _POOL_WINDOW.match(text):
        return LayerSpec("pool", int(pool["k"]))
    return None


def _match_xception(text: str) -> tuple[LayerSpec, ...] | None:
    """Xception Figure 5's notation (an ASCII x, `stride=2x2`); a separable convolution is its depthwise and
    its pointwise convolution."""
    if conv := _X_CONV.match(text):
        return (LayerSpec("conv2d", int(conv["k"]), int(conv["channels"]), _int(conv["stride"])),)
    if conv := _X_KERNEL_CONV.match(text):
        return (LayerSpec("conv2d", int(conv["k"]), None, _int(conv["stride"])),)
    if separable := _X_SEPARABLE.match(text):
        return (
            LayerSpec("conv2d", int(separable["k"]), depth=1),
            LayerSpec("conv2d", 1, int(separable["channels"])),
        )
    if pool := _X_POOL.match(text):
        return (LayerSpec(_X_POOL_KIND[pool["op"]], int(pool["k"]), None, _int(pool["stride"])),)
    if text in _X_NAMED:
        return tuple(LayerSpec(kind) for kind in _X_NAMED[text])
    return None


def _int(text: str | None) -> int | None:
    return None if text is None else int(text)
