"""Analytic multiply-add counting from a layer's kind and its input and output shapes.

Convolution: Hout·Wout·Cout·(Cin/groups)·kh·kw. Dense: in·out per position. Normalisation, activations,
pooling, padding, reshaping and element-wise additions count zero multiply-adds (DESIGN, counting
conventions). A kind not listed here is an error, never a silent zero.
"""

from __future__ import annotations

from collections.abc import Callable
from math import prod

Shape = tuple[int, ...]


class UnknownLayerKindError(ValueError):
    """A layer whose kind the counter does not know."""


def _conv2d(inputs: tuple[Shape, ...], output: Shape, kernel: tuple[int, int] | None, groups: int) -> int:
    if kernel is None:
        raise ValueError("a conv2d layer needs its kernel size")
    (_, _, in_channels) = inputs[0]
    (out_h, out_w, out_channels) = output
    return out_h * out_w * out_channels * (in_channels // groups) * kernel[0] * kernel[1]


def _dense(inputs: tuple[Shape, ...], output: Shape, kernel: tuple[int, int] | None, groups: int) -> int:
    return prod(output[:-1]) * inputs[0][-1] * output[-1]


def _zero(inputs: tuple[Shape, ...], output: Shape, kernel: tuple[int, int] | None, groups: int) -> int:
    return 0


Counter = Callable[[tuple[Shape, ...], Shape, "tuple[int, int] | None", int], int]

#: Every layer kind a trace may hold, and how its multiply-adds are counted.
COUNTERS: dict[str, Counter] = {
    "conv2d": _conv2d,
    "dense": _dense,
    "batchnorm": _zero,
    "relu": _zero,
    "softmax": _zero,
    "maxpool": _zero,
    "avgpool": _zero,
    "add": _zero,
    "flatten": _zero,
    "pad": _zero,
    "pad_channels": _zero,
    "dropout": _zero,
    "lrn": _zero,
}

#: Kinds that hold weights and make up a network's depth ("weight layers").
WEIGHT_KINDS = frozenset({"conv2d", "dense"})


def count_macs(
    layer: str,
    kind: str,
    inputs: tuple[Shape, ...],
    output: Shape,
    kernel: tuple[int, int] | None = None,
    groups: int = 1,
) -> int:
    """Multiply-adds of one layer; raises UnknownLayerKindError naming the layer for an unknown kind."""
    counter = COUNTERS.get(kind)
    if counter is None:
        raise UnknownLayerKindError(
            f"layer {layer!r}: no multiply-add rule for kind {kind!r}. Known kinds: {sorted(COUNTERS)}. "
            "Add a rule to paperverify.counting.COUNTERS."
        )
    return counter(inputs, output, kernel, groups)
