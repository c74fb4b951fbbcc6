"""The quantities a claim can state, defined once, as data: what each is, how it is printed and judged, and how
it is measured on a trace.

A numeric quantity compares a measured number with the interval the printed value admits (its printed
precision); an exact one is a whole number that admits no rounding (a network has 34 weight layers). A quantity
that needs a point is stated at a named point of the network (a row's `point`, or the row's `layers`); the
others are the whole network's (but `depth`, which counts under the row's `layers` when it names some).
Shapes and structures are judged by paperverify.compare itself; every other quantity's measurement is here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from math import prod
from typing import TYPE_CHECKING, Any

from paperverify.kinds import UNKNOWN, WEIGHT_LAYERS, UnknownKindError
from paperverify.trace import (
    BRANCH,
    LayerRecord,
    Trace,
    longest_path,
    total_macs,
    unknown_kinds,
    weight_layer_count,
)

if TYPE_CHECKING:
    from paperverify.claims import Claim

Measure = Callable[["Claim", Trace], "int | Decimal"]


@dataclass(frozen=True)
class Quantity:
    """One quantity a claim can state."""

    name: str
    #: Compared within the printed value's interval (True), or judged as a shape or structure (False).
    numeric: bool
    #: A whole number that admits no rounding, printed without a scale.
    exact: bool
    #: Stated at a named point (the row needs a `point`).
    needs_point: bool
    #: How it is measured on a trace (None for a shape or a structure, which compare judges itself).
    measure: Measure | None
    description: str
    #: Counts learnable parameters, BatchNorm's scale and offset among them (which an export that folds BatchNorm
    #: into the convolutions before it no longer holds).
    parameters: bool = False
    #: The layer kind whose constants it reads (LayerRecord.constants), if any.
    kind: str | None = None


def _layers(claim: Claim, trace: Trace) -> tuple[LayerRecord, ...]:
    """The layers under the claim's named points (less those excluded); KeyError naming every point the model
    has no layer at (a misspelt name in a row's `layers` is an error, not a smaller count)."""
    missing = [point for point in claim.layers if not trace.under((point,))]
    if missing:
        raise KeyError(f"no layer at {', '.join(map(repr, missing))} (of the row's {list(claim.layers)})")
    layers = trace.under(claim.layers, claim.exclude)
    if not layers:
        raise KeyError(f"no layer under {list(claim.layers)} once {list(claim.exclude)} are left out")
    return layers


def _channels(claim: Claim, trace: Trace) -> int:
    if not trace.under(claim.layers, claim.exclude) and _absent_branch(trace, claim.layers):
        return 0
    return _layers(claim, trace)[-1].output_shape[-1]


def _absent_branch(trace: Trace, points: tuple[str, ...]) -> bool:
    """Whether `points` is one parallel branch `P.branch<N>` that the model leaves out while `P` exists: a paper
    prints such a branch's filters as 0 (BN-Inception's Figure 5, `#1×1` of the stride-2 modules), and it
    contributes 0 channels to the concatenation."""
    if len(points) != 1:
        return False
    parent, _, branch = points[0].rpartition(".")
    return bool(parent) and BRANCH.match(branch) is not None and bool(trace.under((parent,)))


def _channels_per_tower(claim: Claim, trace: Trace) -> Decimal:
    """A named point's channels over the network's towers: the groups its grouped convolutions share (Krizhevsky
    et al. split AlexNet across two GPUs, whose kernels of conv2, conv4 and conv5 see only their own GPU's maps,
    Sec. 3.2 and Figure 2); one tower where no convolution is grouped."""
    towers = {layer.groups for layer in trace.layers if layer.kind == "conv2d" and layer.groups > 1}
    if len(towers) > 1:
        raise ValueError(f"the grouped convolutions have {sorted(towers)} groups: no one number of towers")
    return Decimal(_channels(claim, trace)) / Decimal(towers.pop() if towers else 1)


def _depth(claim: Claim, trace: Trace) -> int:
    """The whole network's weight layers on its longest path, or those under the row's `layers` in sequence
    ("8 conv. and 3 FC layers")."""
    return weight_layer_count(_layers(claim, trace)) if claim.layers else trace.depth


def _stride(claim: Claim, trace: Trace) -> Decimal:
    """How many times a named point shrinks the height it receives (2 for a stride-2 block)."""
    layers = _layers(claim, trace)
    return Decimal(layers[0].input_shapes[0][0]) / Decimal(layers[-1].output_shape[0])


def _blocks(claim: Claim, trace: Trace) -> int:
    """The layers stacked at each named point: the distinct names directly under it (`P.layer1`, `P.layer2`)."""
    total = 0
    for point in claim.layers:
        depth = point.count(".") + 1
        names = {layer.name.split(".")[depth] for layer in trace.under((point,)) if layer.name.count(".") >= depth}
        if not names:
            raise KeyError(f"no layer under {point!r}")
        total += len(names)
    return total


def _constant(kind: str, position: int) -> Measure:
    """A measure of one of the constants (LayerRecord.constants) of the layer of `kind` at each of the claim's
    points: the last such layer under it; 0 where the point has none (a model that normalises otherwise, or drops
    nothing). Of several points, the value farthest from the printed one: a claim about every squashing function
    of a network holds only if each one's does."""

    def at(point: str, claim: Claim, trace: Trace) -> Decimal:
        layers = trace.under((point,), claim.exclude)
        found = [layer for layer in layers if layer.kind == kind]
        if not found:
            unknown = [layer for layer in layers if layer.kind == UNKNOWN]
            if unknown:
                raise UnknownKindError(unknown_kinds(unknown, f"the {kind} at {point}", "be read"))
            return Decimal(0)
        constants = found[-1].constants
        if constants is None:
            raise ValueError(
                f"layer {found[-1].name!r}: the probe cannot read its constants (its function does not run on two "
                f"numbers): compute it in a module or layer of its own that does and declare that class as kind "
                f"{kind!r} (`--kind CLASS={kind}`), so that it is measured as a whole"
            )
        return Decimal(repr(float(constants[position])))

    def measure(claim: Claim, trace: Trace) -> Decimal:
        _layers(claim, trace)  # every point exists
        printed = (claim.expected.low + claim.expected.high) / 2
        return max((at(point, claim, trace) for point in claim.layers), key=lambda value: abs(value - printed))

    return measure


def _macs_share(claim: Claim, trace: Trace) -> Decimal:
    return (Decimal(total_macs(_layers(claim, trace))) / Decimal(trace.macs)).quantize(Decimal("1e-9"))


def _q(
    name: str,
    measure: Measure | None,
    description: str,
    *,
    numeric: bool = True,
    exact: bool = False,
    needs_point: bool = False,
    parameters: bool = False,
    kind: str | None = None,
) -> Quantity:
    return Quantity(name, numeric, exact, needs_point, measure, description, parameters, kind)


_QUANTITIES = (
    _q("params", lambda c, t: t.params, "learnable parameters (BatchNorm statistics are buffers, not parameters)",
       parameters=True),
    _q("macs", lambda c, t: t.macs, "multiply-adds, counted analytically per layer (paperverify.counting)"),
    _q("flops", lambda c, t: 2 * t.macs, "floating-point operations, two per multiply-add"),
    _q("connections", lambda c, t: t.connections, "connections as LeCun et al. (1998, Sec. II.B) count them"),
    _q("depth", _depth, "weight layers on the longest main path (or under the row's layers)", exact=True),
    _q("depth_with_pooling", lambda c, t: t.depth_with_pooling, "weight and pooling layers on the longest path",
       exact=True),
    _q("layer_params", lambda c, t: sum(layer.params for layer in _layers(c, t)),
       "learnable parameters under a named point", needs_point=True, parameters=True),
    _q("layer_weights", lambda c, t: sum(layer.weights for layer in _layers(c, t)),
       "weights under a named point: its learnable parameters less the biases (a column that counts weights only)",
       needs_point=True, parameters=True),
    _q("layer_macs", lambda c, t: total_macs(_layers(c, t)), "multiply-adds under a named point", needs_point=True),
    _q("layer_connections", lambda c, t: sum(layer.connections for layer in _layers(c, t)),
       "connections under a named point", needs_point=True),
    _q("layer_depth", lambda c, t: longest_path(t.layers, WEIGHT_LAYERS, among=_layers(c, t)),
       "weight layers on the longest path under a named point", exact=True, needs_point=True),
    _q("stride", _stride, "how many times a named point divides the side it receives", exact=True,
       needs_point=True),
    _q("channels", _channels, "the channels a named point outputs (0 for a branch the model leaves out)",
       exact=True, needs_point=True),
    _q("channels_per_tower", _channels_per_tower, "the channels a named point outputs on each tower, the groups "
       "its network's grouped convolutions share (AlexNet's two GPUs: 48 of conv1's 96 kernels on each)",
       exact=True, needs_point=True),
    _q("neurons", lambda c, t: sum(prod(t.point(point).output_shape) for point in c.layers),
       "the values a named point outputs (H·W·C), summed over the row's layers", needs_point=True),
    _q("macs_share", _macs_share, "the share of the network's multiply-adds under the row's layers",
       needs_point=True),
    _q("blocks", _blocks, "the layers stacked at a named point (EfficientNet's L̂i), summed over the row's layers",
       exact=True, needs_point=True),
    _q("lrn_n", _constant("lrn", 0), "the channels a local response normalisation at a named point sums over "
       "(n; 0 where it has none)", exact=True, needs_point=True, kind="lrn"),
    _q("lrn_alpha", _constant("lrn", 1), "its α, multiplying the sum (Krizhevsky et al. 2012, Sec. 3.3)",
       needs_point=True, kind="lrn"),
    _q("lrn_beta", _constant("lrn", 2), "its exponent β", needs_point=True, kind="lrn"),
    _q("lrn_k", _constant("lrn", 3), "its offset k", needs_point=True, kind="lrn"),
    _q("dropout", _constant("dropout", 0), "the rate of the dropout at a named point (0 where it has none)",
       needs_point=True, kind="dropout"),
    _q("tanh_amplitude", _constant("tanh", 0), "the amplitude A of the tanh A tanh(S a) at a named point (1 for a "
       "plain tanh; 0 where it has none; LeCun et al. 1998, Eq. 6)", needs_point=True, kind="tanh"),
    _q("tanh_slope", _constant("tanh", 1), "its S, which sets the slope at the origin", needs_point=True,
       kind="tanh"),
    _q("activation", None, "the activation functions at a named point, each once, in the order they first apply "
       "(ReLU; ReLU, sigmoid): at each of the row's points", numeric=False, needs_point=True),
    _q("output_shape", None, "the shape a named point outputs (H×W or H×W×C)", numeric=False, needs_point=True),
    _q("input_shape", None, "the shape a named point receives", numeric=False, needs_point=True),
    _q("structure", None, "the layers under a named point, as a paper's table prints them", numeric=False,
       needs_point=True),
)  # fmt: skip

#: Every quantity, by name.
QUANTITIES: dict[str, Quantity] = {quantity.name: quantity for quantity in _QUANTITIES}


def measure(claim: Claim, trace: Trace) -> Any:
    """The claim's quantity measured on `trace`."""
    found = QUANTITIES[claim.quantity].measure
    if found is None:
        raise ValueError(f"{claim.quantity} is judged by paperverify.compare, not measured here")
    return found(claim, trace)
