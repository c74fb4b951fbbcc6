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
A kind not listed here is an error, never a silent zero.

Connections, as LeCun et al. count them (1998, Sec. II.B: "C1 contains 156 trainable parameters and
122 304 connections"): for every output unit, the number of its input connections plus one for its bias;
a weight shared by many units counts once per unit that uses it. Convolution: Hout·Wout·(P·kh·kw + Cout·b)
with P the connected map pairs (links, or Cout·Cin/groups) and b = 1 with a bias, 0 without. Dense:
(in·out + out·b) per position. Trainable subsampling: Hout·Wout·C·(kh·kw + b) (the coefficient multiplies
the sum; it is not a connection). RBF: in·out (Eq. 7 has no bias). Layers that carry no weight
(activations, max and average pooling, padding, reshaping, additions, channel-wise scaling, dropout, a
channel shuffle, which only reorders its inputs) count zero connections.
A kind without a connection rule (batch normalisation) is an error.
"""

from __future__ import annotations

from collections.abc import Callable
from math import prod

Shape = tuple[int, ...]


class UnknownLayerKindError(ValueError):
    """A layer whose kind the counter does not know."""


def _links(inputs: tuple[Shape, ...], output: Shape, groups: int, links: int | None) -> int:
    """Connected (input map, output map) pairs of a convolution: its table's, or every pair its groups allow."""
    return output[-1] * (inputs[0][-1] // groups) if links is None else links


def _conv2d(
    inputs: tuple[Shape, ...], output: Shape, kernel: tuple[int, int] | None, groups: int, links: int | None = None
) -> int:
    if kernel is None:
        raise ValueError("a conv2d layer needs its kernel size")
    (out_h, out_w, _) = output
    return out_h * out_w * _links(inputs, output, groups, links) * kernel[0] * kernel[1]


def _dense(inputs: tuple[Shape, ...], output: Shape, kernel: tuple[int, int] | None, groups: int) -> int:
    return prod(output[:-1]) * inputs[0][-1] * output[-1]


def _subsample(inputs: tuple[Shape, ...], output: Shape, kernel: tuple[int, int] | None, groups: int) -> int:
    return prod(output)


def _scale(inputs: tuple[Shape, ...], output: Shape, kernel: tuple[int, int] | None, groups: int) -> int:
    return prod(output)


def _rbf(inputs: tuple[Shape, ...], output: Shape, kernel: tuple[int, int] | None, groups: int) -> int:
    return prod(output[:-1]) * inputs[0][-1] * output[-1]


def _zero(inputs: tuple[Shape, ...], output: Shape, kernel: tuple[int, int] | None, groups: int) -> int:
    return 0


Counter = Callable[[tuple[Shape, ...], Shape, "tuple[int, int] | None", int], int]

#: Every layer kind a trace may hold, and how its multiply-adds are counted.
COUNTERS: dict[str, Counter] = {
    "conv2d": _conv2d,
    "dense": _dense,
    "subsample": _subsample,
    "rbf": _rbf,
    "scale": _scale,
    "batchnorm": _zero,
    "relu": _zero,
    "tanh": _zero,
    "sigmoid": _zero,
    "gelu": _zero,
    "layernorm": _zero,
    "transpose": _zero,
    "softmax": _zero,
    "maxpool": _zero,
    "avgpool": _zero,
    "add": _zero,
    "flatten": _zero,
    "pad": _zero,
    "pad_channels": _zero,
    "dropout": _zero,
    "lrn": _zero,
    "concat": _zero,
    # ShuffleNet (Zhang et al. 2017, Sec. 3.1): a permutation of the channels moves values, computes nothing.
    "channel_shuffle": _zero,
    # EfficientNet (Tan & Le 2019): swish is an activation; SE's excitation multiplies each value by its
    # channel's weight, the channel-wise scale SENet counts (one multiply per output value).
    "swish": _zero,
    "multiply": _scale,
    # An input's preprocessing (keras.applications' Rescaling and Normalization layers).
    "rescaling": _zero,
    "input_normalization": _zero,
}

#: Kinds that hold weights and make up a network's depth ("weight layers"). LeNet-5's subsampling layers
#: hold a coefficient and a bias per map, and its RBF layer a parameter vector per class (Sec. II.B).
WEIGHT_KINDS = frozenset({"conv2d", "dense", "subsample", "rbf"})
#: Pooling kinds, counted with the weight layers by a depth "if we also count pooling" (GoogLeNet, Sec. 5).
POOLING_KINDS = frozenset({"maxpool", "avgpool"})


def count_macs(
    layer: str,
    kind: str,
    inputs: tuple[Shape, ...],
    output: Shape,
    kernel: tuple[int, int] | None = None,
    groups: int = 1,
    links: int | None = None,
) -> int:
    """Multiply-adds of one layer; raises UnknownLayerKindError naming the layer for an unknown kind.

    `links` (a convolution with a connection table) is handed to the kind's rule only when given.
    """
    counter = COUNTERS.get(kind)
    if counter is None:
        raise UnknownLayerKindError(
            f"layer {layer!r}: no multiply-add rule for kind {kind!r}. Known kinds: {sorted(COUNTERS)}. "
            "Add a rule to paperverify.counting.COUNTERS."
        )
    if links is None:
        return counter(inputs, output, kernel, groups)
    return counter(inputs, output, kernel, groups, links=links)


def _conv2d_connections(
    inputs: tuple[Shape, ...], output: Shape, kernel: tuple[int, int] | None, groups: int, links: int | None, bias: bool
) -> int:
    if kernel is None:
        raise ValueError("a conv2d layer needs its kernel size")
    (out_h, out_w, out_channels) = output
    return out_h * out_w * (_links(inputs, output, groups, links) * kernel[0] * kernel[1] + out_channels * bias)


def _dense_connections(
    inputs: tuple[Shape, ...], output: Shape, kernel: tuple[int, int] | None, groups: int, links: int | None, bias: bool
) -> int:
    return prod(output[:-1]) * (inputs[0][-1] * output[-1] + output[-1] * bias)


def _subsample_connections(
    inputs: tuple[Shape, ...], output: Shape, kernel: tuple[int, int] | None, groups: int, links: int | None, bias: bool
) -> int:
    if kernel is None:
        raise ValueError("a subsample layer needs its window size")
    return prod(output) * (kernel[0] * kernel[1] + bias)


def _rbf_connections(
    inputs: tuple[Shape, ...], output: Shape, kernel: tuple[int, int] | None, groups: int, links: int | None, bias: bool
) -> int:
    return prod(output[:-1]) * inputs[0][-1] * output[-1]


def _no_connections(
    inputs: tuple[Shape, ...], output: Shape, kernel: tuple[int, int] | None, groups: int, links: int | None, bias: bool
) -> int:
    return 0


ConnectionCounter = Callable[[tuple[Shape, ...], Shape, "tuple[int, int] | None", int, "int | None", bool], int]

#: Layer kinds whose connections (LeCun et al. 1998, Sec. II.B) can be counted, and how.
CONNECTION_COUNTERS: dict[str, ConnectionCounter] = {
    "conv2d": _conv2d_connections,
    "dense": _dense_connections,
    "subsample": _subsample_connections,
    "rbf": _rbf_connections,
    **dict.fromkeys(
        (
            "relu",
            "tanh",
            "sigmoid",
            "softmax",
            "maxpool",
            "avgpool",
            "add",
            "scale",
            "flatten",
            "pad",
            "pad_channels",
            "dropout",
            "channel_shuffle",
        ),
        _no_connections,
    ),
}


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
    """Connections of one layer (input connections plus bias of every output unit); UnknownLayerKindError
    naming the layer for a kind without a connection rule."""
    counter = CONNECTION_COUNTERS.get(kind)
    if counter is None:
        raise UnknownLayerKindError(
            f"layer {layer!r}: no connection rule for kind {kind!r}. Known kinds: {sorted(CONNECTION_COUNTERS)}. "
            "Add a rule to paperverify.counting.CONNECTION_COUNTERS."
        )
    return counter(inputs, output, kernel, groups, links, bias)
