"""Layer structure as papers print it in architecture tables.

ResNet Table 1 writes a stage as `[1×1, 64; 3×3, 64; 1×1, 256] ×3` (a bracket of stacked layers repeated
three times), a single layer as `7×7, 64, stride 2`, and a head as `average pool, 1000-d fc, softmax`.
VGG Table 1 writes `conv3-64` (conv⟨receptive field size⟩-⟨number of channels⟩), `maxpool`, `LRN`,
`FC-4096` and `soft-max`; stacked layers of one cell are separated by commas (`conv3-64, LRN`).
A kernel may print its depth, the input channels each kernel sees (AlexNet, Sec. 3.5: "256 kernels of size
5 × 5 × 48" is `5×5×48, 256`); a grouped convolution's kernels see its input channels divided by the groups.
BN-Inception's Figure 5 writes an Inception module's pooling branch as `avg + 32` (an average pool, then
a projection to 32 channels) or `max + pass through` (a max pool whose output is concatenated as it is).
SENet's Table 1 (Hu et al., arXiv 1709.01507v4, p. 5) names the operation first: `conv, 7×7, 64, stride 2`,
`max pool, 3×3, stride 2`, `global average pool`; a grouped convolution prints its cardinality after it
(`conv, 3×3, 128 C = 32`: 32 groups); and `fc, [16, 256]` inside a block's bracket is an SE module (the
caption: "The inner brackets following by fc indicates the output dimension of the two fully connected
layers in an SE module"): its squeeze, a global average pool (Sec. 3.1, Eq. 2), then fc layers of 16 and
256 units. A bracket may hold such an inner bracket.
A cell parses into the ordered list of the layers it names, with only the attributes it prints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from paperverify.printed import PrintedValueError

_BRACKET = re.compile(r"^\[(?P<body>[^\[\]]+(?:\[[^\[\]]*\][^\[\]]*)*)\]\s*×\s*(?P<repeat>\d+)$")
_CONV = re.compile(r"^(?P<k>\d+)×(?P=k)(?:×(?P<depth>\d+))?,\s*(?P<channels>\d+)(?:,\s*stride\s+(?P<stride>\d+))?$")
_POOL = re.compile(
    r"^(?:(?P<k>\d+)×(?P=k)\s+)?(?:global\s+)?(?P<op>max|average)\s+pool(?:,\s*stride\s+(?P<stride>\d+))?$"
)
_OP_CONV = re.compile(
    r"^conv,\s*(?P<k>\d+)×(?P=k),\s*(?P<channels>\d+)(?:,\s*stride\s+(?P<stride>\d+))?(?:\s+C\s*=\s*(?P<groups>\d+))?$"
)
_OP_POOL = re.compile(r"^(?P<op>max|average)\s+pool,\s*(?P<k>\d+)×(?P=k)(?:,\s*stride\s+(?P<stride>\d+))?$")
_SE = re.compile(r"^fc,\s*\[(?P<reduce>\d+),\s*(?P<expand>\d+)\]$")
_FC = re.compile(r"^(?P<units>\d+)-d\s+fc$")
_VGG_CONV = re.compile(r"^conv(?P<k>\d+)-(?P<channels>\d+)$")
_VGG_FC = re.compile(r"^FC-(?P<units>\d+)$")
_POOL_PROJ = re.compile(r"^(?P<op>avg|max)\s*\+\s*(?:(?P<channels>\d+)|pass through)$")
#: Layers printed by a bare name, with no attribute.
_NAMED = {"softmax": "softmax", "soft-max": "softmax", "maxpool": "maxpool", "LRN": "lrn"}
_POOL_KIND = {"max": "maxpool", "average": "avgpool", "avg": "avgpool"}


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
        if self.channels is not None:
            parts.append(str(self.channels))
        if self.stride is not None:
            parts.append(f"stride {self.stride}")
        if self.groups is not None:
            parts.append(f"groups {self.groups}")
        return " ".join(parts)


def parse_structure(text: str) -> tuple[LayerSpec, ...]:
    """Parse a structure cell into the layers it prints, brackets expanded by their repeat count."""
    cleaned = " ".join(text.split())
    if pool_proj := _POOL_PROJ.match(cleaned):
        pool = LayerSpec(_POOL_KIND[pool_proj["op"]])
        channels = pool_proj["channels"]
        return (pool,) if channels is None else (pool, LayerSpec("conv2d", None, int(channels)))
    bracket = _BRACKET.match(cleaned)
    if bracket:
        body = tuple(layer for item in bracket["body"].split(";") for layer in _parse_item(item))
        return body * int(bracket["repeat"])
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
            "'avg + 32', 'max + pass through', 'conv, 3×3, 128 C = 32', 'max pool, 3×3, stride 2' or "
            f"'fc, [16, 256]'. Received: {text.strip()!r}"
        )
    return specs


def _match_item(text: str) -> tuple[LayerSpec, ...] | None:
    """The layers one printed item names: one layer, or an SE module's squeeze and two fc layers."""
    if conv := _CONV.match(text):
        return (LayerSpec("conv2d", int(conv["k"]), int(conv["channels"]), _int(conv["stride"]), _int(conv["depth"])),)
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
    return None


def _int(text: str | None) -> int | None:
    return None if text is None else int(text)
