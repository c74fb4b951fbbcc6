"""Analytic multiply-add and connection counting from a layer's kind and its input and output shapes.

Multiply-adds. Convolution: Hout·Wout·Cout·(Cin/groups)·kh·kw, or Hout·Wout·links·kh·kw for a convolution
with a connection table (`links` connected (input map, output map) pairs, as LeNet-5's C3, LeCun et al.
1998, Table I). Dense: in·out per position. Trainable subsampling (LeNet-5's S2/S4: the window summed,
times a coefficient, plus a bias): Hout·Wout·C, one multiply per unit (the window sum is additions, the
bias an addition). Channel-wise scale (SENet's F_scale, Hu et al., arXiv 1709.01507v4, Eq. 4: a map
times one gate value per channel; an element-wise `multiply`, as EfficientNet's squeeze-and-excitation
writes it): Hout·Wout·C, one multiply per output value. Euclidean RBF (y_i = Σ_j (x_j − w_ij)², LeNet-5's
output layer): in·out, one multiply-accumulate of a squared difference per connection. Normalisation (batch,
layer and local response), activations, pooling, padding, reshaping (flatten; a Keras Reshape is traced as
one), transposing, concatenation, element-wise additions and input preprocessing count zero multiply-adds
(DESIGN, counting conventions). A channel shuffle (ShuffleNet, Zhang et al., arXiv 1707.01083v2, Sec. 3.1:
reshape the channels into (g, n), transpose, flatten) is a permutation: zero multiply-adds, no weights.
Which rule each kind follows is `paperverify.kinds.KINDS`; a kind without a rule is an error, never a silent
zero.

Connections, as LeCun et al. count them (1998, Sec. II.B: "C1 contains 156 trainable parameters and
122 304 connections"): for every output unit, the number of its input connections plus one for its bias;
a weight shared by many units counts once per unit that uses it. Convolution: Hout·Wout·(P·kh·kw + Cout·b)
with P the connected map pairs (links, or Cout·Cin/groups) and b = 1 with a bias, 0 without. Dense:
(in·out + out·b) per position. Trainable subsampling: Hout·Wout·C·(kh·kw + b) (the coefficient multiplies
the sum; it is not a connection). RBF: in·out (Eq. 7 has no bias). Layers that carry no weight
(activations, max and average pooling, padding, reshaping, additions, channel-wise scaling, dropout, a
channel shuffle, which only reorders its inputs) count zero connections.
A kind without a connection rule (batch normalisation) is an error.

The rules here take (inputs, output, kernel, groups) — and for connections the links and the bias — and know
nothing of kinds; `count_macs` and `count_connections` look the kind's rule up.
"""

from __future__ import annotations

from collections.abc import Callable
from math import prod

Shape = tuple[int, ...]
#: A multiply-add rule: (inputs, output, kernel, groups[, links=]) -> multiply-adds.
Counter = Callable[..., int]
#: A connection rule: (inputs, output, kernel, groups, links, bias) -> connections.
ConnectionCounter = Callable[[tuple[Shape, ...], Shape, "tuple[int, int] | None", int, "int | None", bool], int]


def _links(inputs: tuple[Shape, ...], output: Shape, groups: int, links: int | None) -> int:
    """Connected (input map, output map) pairs of a convolution: its table's, or every pair its groups allow."""
    return output[-1] * (inputs[0][-1] // groups) if links is None else links


def conv2d(
    inputs: tuple[Shape, ...], output: Shape, kernel: tuple[int, int] | None, groups: int, links: int | None = None
) -> int:
    """Hout·Wout·(connected map pairs)·kh·kw."""
    if kernel is None:
        raise ValueError("a conv2d layer needs its kernel size")
    (out_h, out_w, _) = output
    return out_h * out_w * _links(inputs, output, groups, links) * kernel[0] * kernel[1]


def dense(inputs: tuple[Shape, ...], output: Shape, kernel: tuple[int, int] | None, groups: int) -> int:
    """in·out at every position (a fully-connected layer; an RBF layer's squared differences)."""
    return prod(output[:-1]) * inputs[0][-1] * output[-1]


def per_output(inputs: tuple[Shape, ...], output: Shape, kernel: tuple[int, int] | None, groups: int) -> int:
    """One multiply per output value (trainable subsampling's coefficient, an element-wise product)."""
    return prod(output)


def zero(inputs: tuple[Shape, ...], output: Shape, kernel: tuple[int, int] | None, groups: int) -> int:
    return 0


def conv2d_connections(
    inputs: tuple[Shape, ...], output: Shape, kernel: tuple[int, int] | None, groups: int, links: int | None, bias: bool
) -> int:
    if kernel is None:
        raise ValueError("a conv2d layer needs its kernel size")
    (out_h, out_w, out_channels) = output
    return out_h * out_w * (_links(inputs, output, groups, links) * kernel[0] * kernel[1] + out_channels * bias)


def dense_connections(
    inputs: tuple[Shape, ...], output: Shape, kernel: tuple[int, int] | None, groups: int, links: int | None, bias: bool
) -> int:
    return prod(output[:-1]) * (inputs[0][-1] * output[-1] + output[-1] * bias)


def subsample_connections(
    inputs: tuple[Shape, ...], output: Shape, kernel: tuple[int, int] | None, groups: int, links: int | None, bias: bool
) -> int:
    if kernel is None:
        raise ValueError("a subsample layer needs its window size")
    return prod(output) * (kernel[0] * kernel[1] + bias)


def rbf_connections(
    inputs: tuple[Shape, ...], output: Shape, kernel: tuple[int, int] | None, groups: int, links: int | None, bias: bool
) -> int:
    return prod(output[:-1]) * inputs[0][-1] * output[-1]


def no_connections(
    inputs: tuple[Shape, ...], output: Shape, kernel: tuple[int, int] | None, groups: int, links: int | None, bias: bool
) -> int:
    return 0


def count_macs(
    layer: str,
    kind: str,
    inputs: tuple[Shape, ...],
    output: Shape,
    kernel: tuple[int, int] | None = None,
    groups: int = 1,
    links: int | None = None,
) -> int:
    """Multiply-adds of one layer by its kind's rule; UnknownKindError naming the layer for a kind without one.

    `links` (a convolution with a connection table) is handed to the kind's rule only when given.
    """
    from paperverify import kinds

    counter = kinds.get(kind, layer).macs
    if counter is None:
        raise kinds.UnknownKindError(f"layer {layer!r}: kind {kind!r} has no multiply-add rule")
    if links is None:
        return counter(inputs, output, kernel, groups)
    return counter(inputs, output, kernel, groups, links=links)


def count_connections(
    layer: str,
    kind: str,
    inputs: tuple[Shape, ...],
    output: Shape,
    kernel: tuple[int, int] | None = None,
    groups: int = 1,
    links: int | None = None,
    bias: bool = False,
) -> int:
    """Connections of one layer (input connections plus bias of every output unit); UnknownKindError naming the
    layer for a kind without a connection rule."""
    from paperverify import kinds

    counter = kinds.get(kind, layer).connections
    if counter is None:
        with_rule = sorted(name for name, rule in kinds.KINDS.items() if rule.connections is not None)
        raise kinds.UnknownKindError(
            f"layer {layer!r}: kind {kind!r} has no connection rule. Kinds with one: {with_rule}"
        )
    return counter(inputs, output, kernel, groups, links, bias)
