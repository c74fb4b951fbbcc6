"""What the probes and the equivalence check need from each framework, in one framework-free form.

`program_order` orders a graph's nodes as a program runs them; `squashing` and `normalisation` measure a layer's
constants from its outputs.

`Weights` holds one weight layer's tensors in a canonical layout: a convolution kernel as
(kh, kw, cin/groups, cout), a dense kernel as (in, out) with the rows of a flattened feature map in H, W, C
order, BatchNorm as gamma, beta, moving mean and moving variance with its epsilon, LayerNorm as gamma and
beta. Each framework's adapter (`paperverify/frameworks/<name>/run.py`) reads and writes it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from paperverify.closeness import Closeness

#: A merge input that is the model's input rather than a layer's output.
MODEL_INPUT = -1


def program_order(outputs: Iterable[Any], parents: Callable[[Any], Iterable[Any]]) -> list[Any]:
    """The nodes `outputs` are computed from, in the order a program would run them, whatever order a graph lists
    them in: each output in turn, a node after its inputs, a node's inputs (`parents`) in the order it lists them,
    each input's branch to its end before the next one starts (as PyTorch's forward runs `add(main(x),
    shortcut(x))` or `cat(branch1(x), branch2(x), ...)`). The Keras and ONNX probes order their graphs so."""
    order: list[Any] = []
    done: set[int] = set()
    for output in outputs:
        stack = [(output, False)]
        while stack:
            node, expanded = stack.pop()
            if id(node) in done:
                continue
            if expanded:
                done.add(id(node))
                order.append(node)
                continue
            stack.append((node, True))
            stack.extend((parent, False) for parent in reversed(list(parents(node))) if id(parent) not in done)
    return order


#: Receives (trace index, output as an NHWC or (N, features) array) during a run; what it returns, if not None,
#: is run on in the output's place (an array of the same shape and layout): the local comparison forces each of
#: our layers' outputs to the user's.
Sink = Callable[[int, np.ndarray], "np.ndarray | None"]


@dataclass
class Weights:
    """One weight layer's tensors in the canonical layout (None where the layer has no such tensor)."""

    kernel: np.ndarray | None = None
    bias: np.ndarray | None = None
    gamma: np.ndarray | None = None
    beta: np.ndarray | None = None
    mean: np.ndarray | None = None
    var: np.ndarray | None = None
    epsilon: float | None = None


@dataclass(frozen=True)
class Layout:
    """What a weight layer holds besides its kernel: a bias, BatchNorm's scale and offset, its epsilon."""

    bias: bool
    epsilon: float | None = None


def flatten_rows(kernel: np.ndarray, chw_to_hwc: tuple[int, int, int] | None) -> np.ndarray:
    """A dense kernel (in, out) whose rows follow a C, H, W flatten, reordered to H, W, C (`chw_to_hwc` is
    the flattened map's H×W×C; None leaves it as it is)."""
    if chw_to_hwc is None:
        return kernel
    h, w, c = chw_to_hwc
    return _rows(kernel, (c, h, w), (0, 2, 3, 1))


def unflatten_rows(kernel: np.ndarray, hwc_to_chw: tuple[int, int, int] | None) -> np.ndarray:
    """The inverse of `flatten_rows`: rows in H, W, C order back to C, H, W."""
    if hwc_to_chw is None:
        return kernel
    h, w, c = hwc_to_chw
    return _rows(kernel, (h, w, c), (0, 3, 1, 2))


def _rows(kernel: np.ndarray, shape: tuple[int, int, int], order: tuple[int, int, int, int]) -> np.ndarray:
    """The rows of an (in, out) kernel, seen as `shape`, permuted by `order` (its axes after the output's). Done
    on the (out, in) transpose, PyTorch's own layout, whose rows each hold one output's inputs together, so that
    the copy reads memory in order (for VGG's fc6, 25088 × 4096, several times faster than along the columns)."""
    columns = kernel.T
    return columns.reshape(columns.shape[0], *shape).transpose(order).reshape(columns.shape).T


def as_array(value: Any) -> np.ndarray:
    return np.asarray(value, dtype=np.float32)


#: The zero padding a layer applies to its input: rows above and below, columns left and right.
Padding = tuple[int, int, int, int]
#: Local response normalisation's constants (n, α, β, k) in Krizhevsky et al.'s form (Sec. 3.3):
#: b = a / (k + α Σ a²)^β over n adjacent channels, α not divided by n.
Normalisation = tuple[int, float, float, float]


#: The values a squashing function is evaluated at to read its constants (`squashing`).
SQUASHING_INPUTS = (1.0, 2.0)
#: A plain tanh's constants (A, S).
PLAIN_TANH = (1.0, 1.0)


def squashing(at_one: float, at_two: float) -> tuple[float, float] | None:
    """The amplitude A and slope S of f(a) = A tanh(S a) (LeCun et al. 1998, Eq. 6) from f(1) and f(2), as
    LayerRecord.constants: tanh(2S) = 2 tanh(S) / (1 + tanh²(S)), so tanh²(S) = 2 f(1) / f(2) - 1. None for
    values no such function with A, S > 0 gives."""
    if not (at_one > 0 and at_two > 0):
        return None
    square = 2 * at_one / at_two - 1
    if not 0 < square < 1:
        return None
    slope = math.sqrt(square)
    return (at_one / slope, math.atanh(slope))


def normalisation(apply: Callable[[np.ndarray], np.ndarray], channels: int = 16) -> Normalisation | None:
    """(n, α, β, k) of a local response normalisation b_i = a_i / (k + α Σ_j a_j²)^β over n adjacent channels
    (Krizhevsky et al. 2012, Sec. 3.3) from its outputs at one position, `apply` mapping `channels` input values to
    as many outputs: n is how many outputs a bump in the middle channel changes; k, α, β fit the middle output of
    that channel alone at three amplitudes, where b = x / (k + α x²)^β makes (x / b)^(1/β) linear in x². None for
    outputs no such function gives."""
    middle = channels // 2
    base = np.full(channels, 0.5)
    bumped = base.copy()
    bumped[middle] = 3.0
    before, after = apply(base), apply(bumped)
    changed = np.flatnonzero(np.abs(after - before) > 1e-5 * np.abs(before).max())
    if not len(changed) or middle not in changed or len(changed) != changed[-1] - changed[0] + 1:
        return None

    def ratio(x: float) -> float:
        lone = np.zeros(channels)
        lone[middle] = x
        return x / float(apply(lone)[middle])

    floor = ratio(1e-3)
    found = [(x, ratio(x)) for x in 10.0 ** np.arange(-2.0, 7.0, 0.25)]
    usable = [(x, g) for x, g in found if 1.05 < g / floor < 1e3]
    if len(usable) < 3:
        return None
    (xa, ga), (xb, gb), (xc, gc) = usable[0], usable[len(usable) // 2], usable[-1]
    ua, ub, uc = xa * xa, xb * xb, xc * xc

    def bend(beta: float) -> float:
        ha, hb, hc = (g ** (1 / beta) for g in (ga, gb, gc))
        return (hb - ha) / (ub - ua) - (hc - hb) / (uc - ub)

    low, high = 0.01, 10.0
    if bend(low) * bend(high) > 0:
        return None
    for _ in range(200):
        mid = math.sqrt(low * high)
        low, high = (mid, high) if bend(low) * bend(mid) > 0 else (low, mid)
    beta = math.sqrt(low * high)
    ha, hc = ga ** (1 / beta), gc ** (1 / beta)
    alpha = (hc - ha) / (uc - ua)
    k = ha - alpha * ua
    if alpha <= 0 or k <= 0:
        return None
    constants = (len(changed), float(alpha), beta, float(k))
    # Output i reads channels i - below to i + above, so a bump in the middle channel changes the outputs from
    # middle - above to middle + below; the fitted formula must give the outputs of a whole ramp.
    above, below = middle - int(changed[0]), int(changed[-1]) - middle
    ramp = np.linspace(0.2, 2.0, channels)
    fitted = local_response(ramp, constants, window=(below, above))
    return constants if NORMALISATION_FIT.compare(apply(ramp), fitted).close else None


#: How close a function's outputs must be to the local response normalisation fitted to them (float32 kernels).
NORMALISATION_FIT = Closeness(rtol=1e-3, atol=0.0)


def local_response(values: np.ndarray, constants: Normalisation, window: tuple[int, int]) -> np.ndarray:
    """Krizhevsky et al.'s b_i = a_i / (k + α Σ_j a_j²)^β over the last axis (Sec. 3.3), j from i - below to
    i + above (`window`), within the channels there are."""
    _, alpha, beta, k = constants
    below, above = window
    squares = np.asarray(values, dtype=np.float64) ** 2
    channels = squares.shape[-1]
    sums = np.stack(
        [squares[..., max(0, i - below) : min(channels, i + above + 1)].sum(-1) for i in range(channels)], -1
    )
    return values / (k + alpha * sums) ** beta


def scaled_squashing(own: tuple[float, ...], amplitude: float, slope: float) -> tuple[float, float]:
    """The (A, S) of a tanh whose own constants are `own` with its output multiplied by `amplitude` and its input
    by `slope` (`1.7159 * tanh(x / 1.5)` around a plain tanh, `own` = PLAIN_TANH), as probes read them."""
    return (own[0] * amplitude, own[1] * slope)


def same_padding(
    side: tuple[int, int], kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int] = (1, 1)
) -> Padding:
    """The padding of a 'same' convolution or pool (TensorFlow's, and PyTorch's at stride 1): an output of
    ceil(side / stride), the odd row or column of padding after, below and right (so a stride-2 3×3 convolution
    on an even input pads (0, 1), not (1, 1))."""
    pads = []
    for size, k, s, d in zip(side, kernel, stride, dilation, strict=True):
        total = max((-(-size // s) - 1) * s + (k - 1) * d + 1 - size, 0)
        pads += [total // 2, total - total // 2]
    return (pads[0], pads[1], pads[2], pads[3])
