"""The framework-independent record of a probed model: its layers in execution order.

Shapes are H×W×C (or (features,) after flattening), without the batch dimension, whatever layout the
framework uses. Named points are layer-name prefixes: the point `conv3_x` is the output of the last layer
named `conv3_x` or `conv3_x.<anything>`.

Depth is counted along the longest path, read from the names: layers under `P.branch1`, `P.branch2`, ...
(a name component `branch<N>`) are parallel branches of `P` (an Inception module), and count as the deepest
of them; layers on a `shortcut` are not counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import NamedTuple

from paperverify.counting import count_connections
from paperverify.kinds import BATCHNORM, HOW_TO_DECLARE, POOLING, UNKNOWN, WEIGHT_LAYERS, UnknownKindError

Shape = tuple[int, ...]

#: A layer whose dotted name has this component lies on a shortcut branch, not on the main path.
SHORTCUT = "shortcut"
#: A dotted-name component `branch<N>` marks one of several parallel branches of its parent.
BRANCH = re.compile(r"^branch\d+$")


class LayerRecord(NamedTuple):
    """One layer of a trace (a named tuple: a probe makes one per layer, and cheaply)."""

    name: str
    kind: str
    input_shapes: tuple[Shape, ...]
    output_shape: Shape
    params: int
    buffers: int
    #: None for a layer of the unknown kind (its cost cannot be counted until its kind is declared).
    macs: int | None
    kernel: tuple[int, int] | None = None
    stride: tuple[int, int] | None = None
    channels: int | None = None
    groups: int = 1
    #: A convolution with a connection table: its connected (input map, output map) pairs; None otherwise.
    links: int | None = None
    #: Whether every output unit adds a bias (convolution, dense, subsampling).
    bias: bool = False
    #: For a layer of the unknown kind, its class (`mypkg.blocks.Shuffle`), to say what to declare.
    origin: str | None = None
    #: Where each input comes from: the trace index of the record whose output it is (through any plumbing, a
    #: view or a slice, in between), or -1 for the model's input; None where a trace was not probed from a graph.
    sources: tuple[int, ...] | None = None
    #: The layer's own constants: a local response normalisation's (n, α, β, k) in Krizhevsky et al.'s form
    #: (α multiplies the sum, Sec. 3.3), a dropout's rate; None for another layer or one the probe cannot read.
    constants: tuple[float, ...] | None = None

    @property
    def on_shortcut(self) -> bool:
        return SHORTCUT in self.name.split(".")

    @property
    def weights(self) -> int:
        """Learnable parameters less the biases: one per output map of a layer that adds one (a convolution,
        dense or subsampling layer with `bias`); a normalisation layer's scale and offset stay counted."""
        return self.params - (self.output_shape[-1] if self.bias else 0)

    @property
    def connections(self) -> int:
        """Input connections plus bias of every output unit (LeCun et al. 1998), by the kind's rule in
        paperverify.counting; raises for a kind without one."""
        if self.kind == UNKNOWN:
            raise UnknownKindError(unknown_kinds([self], "connections"))
        return count_connections(
            self.name, self.kind, self.input_shapes, self.output_shape, self.kernel, self.groups, self.links, self.bias
        )


@dataclass(frozen=True)
class Trace:
    """A model's layers in execution order, as one framework's probe saw them."""

    framework: str
    input_shape: Shape
    layers: tuple[LayerRecord, ...] = field(repr=False)

    @property
    def params(self) -> int:
        """Learnable parameters."""
        return sum(layer.params for layer in self.layers)

    @property
    def buffers(self) -> int:
        """Non-learnable state (BatchNorm moving statistics), kept apart from the parameters."""
        return sum(layer.buffers for layer in self.layers)

    @property
    def macs(self) -> int:
        return total_macs(self.layers)

    @property
    def kernels(self) -> int:
        """The weight layers' weights less their biases: what folding BatchNorm into the convolutions before it
        (as inference exports do) leaves unchanged."""
        return sum(layer.weights for layer in self.layers if layer.kind in WEIGHT_LAYERS)

    @property
    def batchnorms(self) -> int:
        """BatchNorm layers."""
        return sum(1 for layer in self.layers if layer.kind == BATCHNORM)

    @property
    def connections(self) -> int:
        """Connections as LeCun et al. (1998) count them: every output unit's inputs plus its bias."""
        return sum(layer.connections for layer in self.layers)

    @property
    def depth(self) -> int:
        """Weight layers (convolution, dense) on the longest main path, as papers count depth."""
        return longest_path(self.layers, WEIGHT_LAYERS)

    @property
    def depth_with_pooling(self) -> int:
        """Weight and pooling layers on the longest main path ("27 layers if we also count pooling")."""
        return longest_path(self.layers, WEIGHT_LAYERS | POOLING)

    def under(self, prefixes: tuple[str, ...], exclude: tuple[str, ...] = ()) -> tuple[LayerRecord, ...]:
        """Layers under any of the named points `prefixes`, less those under `exclude` (points, or patterns in which
        `*` stands for any part of a name: `*.se.sigmoid`)."""
        return tuple(
            layer
            for layer in self.layers
            if any(is_under(layer.name, p) for p in prefixes) and not any(_matches(layer.name, e) for e in exclude)
        )

    def side_by_side(self, layers: Iterable[LayerRecord]) -> tuple[LayerRecord, ...]:
        """`layers` (of this trace) with the weight layers that read one value side by side, each what a
        concatenation joins and nothing else, as one layer: a layer written as parallel slices (LeNet-5's C3 as
        sixteen convolutions of the maps Table I connects, a grouped convolution as one per group) is one layer
        of their summed channels, parameters and multiply-adds, its groups the branches where each reads an equal
        share of the input's channels, its connection table the branches' inputs where their kernels see fewer."""
        groups = self.branch_groups()
        joined = {members[0]: self._joined(merge, members) for merge, members in groups.items()}
        dropped = {index for members in groups.values() for index in members[1:]}
        positions = {id(layer): index for index, layer in enumerate(self.layers)}
        return tuple(
            joined.get(positions.get(id(layer), -1), layer)
            for layer in layers
            if positions.get(id(layer), -1) not in dropped
        )

    def branch_groups(self) -> dict[int, list[int]]:
        """The side-by-side weight layers `side_by_side` joins (by trace index), by the concatenation's index."""
        groups: dict[int, list[int]] = {}
        for index, merge in enumerate(self.layers):
            sources = merge.sources or ()
            branches = [self.layers[s] for s in sources if s >= 0]
            if merge.kind != "concat" or len(branches) < 2 or len(branches) != len(sources):
                continue
            first = branches[0]
            if all(
                b.kind == first.kind and b.kind in WEIGHT_LAYERS and b.kernel == first.kernel
                and b.stride == first.stride and b.sources == first.sources and len(b.sources or ()) == 1
                for b in branches
            ):  # fmt: skip
                groups[index] = list(sources)
        return groups

    def _joined(self, merge: int, members: list[int]) -> LayerRecord:
        branches = [self.layers[index] for index in members]
        first, output = branches[0], self.layers[merge].output_shape
        source = (first.sources or (-1,))[0]  # -1: the model's input
        whole = self.layers[source].output_shape if source >= 0 else self.input_shape
        reads = [b.input_shapes[0][-1] // b.groups for b in branches]
        equal = len(set(reads)) == 1 and reads[0] * len(branches) == whole[-1]
        links = sum(r * b.output_shape[-1] for r, b in zip(reads, branches, strict=True))
        return first._replace(
            input_shapes=(whole,),
            output_shape=output,
            params=sum(b.params for b in branches),
            buffers=sum(b.buffers for b in branches),
            macs=None if any(b.macs is None for b in branches) else sum(b.macs or 0 for b in branches),
            channels=output[-1],
            groups=len(branches) if equal else 1,
            links=None if equal or links == whole[-1] * output[-1] else links,
        )

    def point(self, name: str) -> LayerRecord:
        """The layer whose output is the named point `name`; KeyError listing the points there are."""
        layers = self.under((name,))
        if not layers:
            tops = sorted({layer.name.split(".")[0] for layer in self.layers})
            raise KeyError(f"no layer at named point {name!r}. Top-level points: {tops}")
        return layers[-1]


def unknown_kinds(layers: Iterable[LayerRecord], what: str, cannot: str = "be counted") -> str:
    """A message: `what` cannot be counted (or as `cannot` says) because of these layers of the unknown kind, and
    how to declare one."""
    found = [f"{layer.name} ({layer.origin})" for layer in layers]
    listed = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
    return f"{what} cannot {cannot}: the probe cannot tell the kind of {listed}; {HOW_TO_DECLARE}"


def total_macs(layers: Iterable[LayerRecord]) -> int:
    """The multiply-adds of `layers`; UnknownKindError naming the layers of the unknown kind among them."""
    layers = tuple(layers)
    unknown = [layer for layer in layers if layer.macs is None]
    if unknown:
        raise UnknownKindError(unknown_kinds(unknown, "multiply-adds"))
    return sum(layer.macs for layer in layers)  # type: ignore[misc]


def longest_path(
    layers: Sequence[LayerRecord], kinds: frozenset[str], among: Iterable[LayerRecord] | None = None
) -> int:
    """Layers of `kinds` on the longest path through the graph the records' `sources` draw (parallel branches
    and shortcuts are where they are, whatever the layers' names); `layers` is a whole trace, whose positions
    the sources index, and `among` (all of them by default) the layers the path may run through, so that a named
    point's path starts at its first layer. A layer of the unknown kind that holds weights may be a weight layer:
    the depth cannot be counted (UnknownKindError).

    A trace without sources (written by hand) is read from its names: sequential layers add up, sibling
    `branch<N>` take the deepest, and layers on a shortcut are left out.
    """
    chosen = tuple(layers) if among is None else tuple(among)
    if not all(layer.sources is not None for layer in layers):
        return _longest([layer.name.split(".") for layer in _main_path(chosen) if layer.kind in kinds])
    _main_path(chosen, shortcuts=True)
    wanted = {id(layer) for layer in chosen}
    depths: dict[int, int] = {}
    for index, layer in enumerate(layers):
        if id(layer) in wanted:
            before = max((depths.get(source, 0) for source in layer.sources or ()), default=0)
            depths[index] = before + (layer.kind in kinds)
    return max(depths.values(), default=0)


def weight_layer_count(layers: Iterable[LayerRecord]) -> int:
    """Weight layers among `layers` off the shortcuts, in sequence ("8 conv. and 3 FC layers")."""
    return sum(1 for layer in _main_path(layers) if layer.kind in WEIGHT_LAYERS)


def _main_path(layers: Iterable[LayerRecord], shortcuts: bool = False) -> tuple[LayerRecord, ...]:
    """The layers off the shortcuts (with them, if `shortcuts`); UnknownKindError if one of the unknown kind
    holds weights (it may be a weight layer, so no depth can be counted)."""
    layers = tuple(layer for layer in layers if shortcuts or not layer.on_shortcut)
    unknown = [layer for layer in layers if layer.kind == UNKNOWN and layer.params]
    if unknown:
        raise UnknownKindError(unknown_kinds(unknown, "depth"))
    return layers


def _longest(names: list[list[str]]) -> int:
    total = 0
    groups: dict[tuple[str, ...], dict[str, list[list[str]]]] = {}
    for parts in names:
        split = next((index for index, part in enumerate(parts) if BRANCH.match(part)), None)
        if split is None:
            total += 1
        else:
            branches = groups.setdefault(tuple(parts[:split]), {})
            branches.setdefault(parts[split], []).append(parts[split + 1 :])
    return total + sum(max(_longest(rest) for rest in branches.values()) for branches in groups.values())


def is_under(name: str, prefix: str) -> bool:
    """Whether the layer `name` lies under the named point `prefix` (is it, or continues it with a `.`)."""
    return name == prefix or name.startswith(prefix + ".")


def _matches(name: str, pattern: str) -> bool:
    """`is_under`, where a `*` in `pattern` stands for any part of a name."""
    if "*" not in pattern:
        return is_under(name, pattern)
    return fnmatchcase(name, pattern) or fnmatchcase(name, pattern + ".*")
