"""Equivalence with the reference implementation: does a model compute what ours computes?

Some of the worst bugs keep every shape and count right (a shortcut fed from the wrong tensor, a kernel used
transposed, a stride moved inside a block where the output size comes out the same), so no table cell can
see them. Our implementations, verified against the papers in both frameworks, are the oracle:

    import paperverify
    result = paperverify.equivalence(model, paper="he2016_resnet", variant="resnet50")
    assert result.equivalent, result.describe()

1. Both models are probed into traces (the user's renamed by the stage map). Named points are our layer-name
   prefixes (`conv3_x`, `conv3_x.conv3_1`, `fc`) the user's trace has too. Every layer falls in a group: the
   deepest named point it lies under, main path or shortcut. Within a group the weight layers (conv2d, dense,
   batchnorm, layernorm) pair up in execution order, by kind and weight shape; all layers pair up where the kinds of the
   whole group agree. A count, kind or shape that differs is reported (which point, which layers).
2. Where the weight layers pair up, the user's weights are copied into our model (layouts converted across
   frameworks; a convolution bias followed by BatchNorm, which ours lacks, folded into its moving mean as
   mean − bias; a different BatchNorm epsilon folded into the moving variance), both run in inference mode
   on the same random input, and compared by `paperverify.closeness` (the largest difference relative to the
   outputs' magnitude, with an absolute floor). If the weights line up everywhere, every named point and
   aligned layer end to end; if anything differs there, or the weights do not line up everywhere, every
   aligned layer locally: ours run on the input the user's layer received (our layers' outputs, and the
   outputs of the named points whose weights do not line up, replaced by the user's as ours runs), so that one
   difference upstream hides nothing downstream. The first diverging named point and every diverging layer
   pair, by block, are named.
3. Always, the wiring of every aligned layer is compared: which named point or layer feeds each of its inputs,
   in both graphs (shortcuts included). A difference is a structural discrepancy shown with both wirings.
4. Where a group's weights do not line up (a grouped convolution written as one convolution per slice), which
   input channels each of its output channels depends on is measured in both models (`depends`) and compared.

Memory is kept low: a batch of one at the smallest input size the user's model accepts; our model is built
without initialising anything.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np

from paperverify import frameworks, registry
from paperverify.alignment import align as line_up
from paperverify.check import CheckError, declared_kinds, framework_of, names_give_points, select_claims
from paperverify.claims import LRN_CONSTANTS, Claim
from paperverify.closeness import ATOL, RTOL, Closeness, Difference
from paperverify.frameworks import Framework
from paperverify.kinds import BATCHNORM, COPYABLE, INERT, MERGES
from paperverify.probes.numeric import MODEL_INPUT, Normalisation, Padding, Weights
from paperverify.stagemap import StageMap
from paperverify.tables import default_roots, load_claims
from paperverify.trace import SHORTCUT, LayerRecord, Trace, is_under

#: Input sides tried, smallest first, for a PyTorch model when none is given (a Keras model has its own).
INPUT_SIZES = (64, 96, 128, 160, 192, 224)
#: The kind of a layer that only pads its input.
PAD = "pad"


@dataclass(frozen=True)
class Comparison:
    """One compared output: a named point, or an aligned pair of layers (ours and the user's)."""

    point: str
    ours: str
    yours: str
    kind: str
    difference: Difference
    detail: str = ""

    @property
    def diverges(self) -> bool:
        return not self.difference.close

    def __str__(self) -> str:
        names = self.ours if self.yours == self.ours else f"yours {self.yours}, ours {self.ours}"
        return f"{names} ({self.kind}): {self.finding()}"

    def finding(self) -> str:
        """How the outputs differ: the difference and any detail, or only the shapes when they differ."""
        if not self.comparable:
            return self.detail
        return f"{self.difference}; {self.detail}" if self.detail else str(self.difference)

    @property
    def comparable(self) -> bool:
        """Whether the two outputs have one shape, so that a difference was measured."""
        return not math.isinf(self.difference.magnitude)


@dataclass
class EquivalenceResult:
    """The outcome of `equivalence`: alignment problems, wiring differences and numerical comparisons."""

    model: str
    paper: str
    variant: str
    framework: str
    reference_framework: str
    input_size: int
    closeness: Closeness
    problems: list[str] = field(default_factory=list)
    wiring: list[str] = field(default_factory=list)
    #: Where the weights cannot be lined up: groups whose output channels depend on other input channels.
    dependencies: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    points: list[Comparison] = field(default_factory=list)
    layers: list[Comparison] = field(default_factory=list)

    @property
    def compared(self) -> bool:
        """Whether the two models were run and compared (where the weights lined up, if not everywhere)."""
        return bool(self.points or self.layers)

    @property
    def equivalent(self) -> bool:
        """Weights lined up everywhere, every output close to ours (`closeness`), and every layer wired alike."""
        return (
            self.compared
            and not self.problems
            and not self.wiring
            and not self.dependencies
            and self.first_point is None
            and self.first_layer is None
        )

    @property
    def first_point(self) -> Comparison | None:
        """The first named point (in our execution order) whose outputs diverge."""
        return next((c for c in self.points if c.diverges), None)

    @property
    def diverging(self) -> list[Comparison]:
        """Every aligned layer pair whose outputs diverge, each run on the input the user's layer received, in
        our execution order (`layers` are compared so whenever anything differs end to end)."""
        return [c for c in self.layers if c.diverges]

    @property
    def first_layer(self) -> Comparison | None:
        """The first of `diverging`: the pair where the models first part."""
        return next(iter(self.diverging), None)

    def describe(self) -> str:
        """A readable account: the verdict, where the models part, what could not be lined up, the wiring."""
        verdict = "equivalent" if self.equivalent else "NOT equivalent"
        lines = [
            f"{self.model} [{self.framework}] against our {self.variant} [{self.reference_framework}] "
            f"({self.paper}) at {self.input_size}×{self.input_size}: {verdict} ({self.closeness})"
        ]
        if self.compared:
            compared = [c.difference for c in self.points + self.layers if c.comparable]
            shaped = len(self.points) + len(self.layers) - len(compared)
            largest = max((d.absolute for d in compared), default=0.0)
            relative = max((d.relative for d in compared), default=0.0)
            lines.append(
                f"  compared {len(self.points)} named points and {len(self.layers)} aligned layers; "
                f"largest absolute difference {largest:.3g}, largest relative difference {relative:.3g}"
                + (f"; {shaped} outputs of another shape than ours" if shaped else "")
            )
        if self.first_point is not None:
            point = self.first_point
            output = point.ours if point.yours == point.ours else f"{point.yours} in yours, {point.ours} in ours"
            lines.append(f"  first diverging point: {point.point} (the output of {output}): {point.finding()}")
        if self.diverging:
            blocks: dict[str, list[Comparison]] = {}
            for comparison in self.diverging:
                blocks.setdefault(comparison.point, []).append(comparison)
            lines.append(
                f"  diverging layers ({len(self.diverging)}), each run on the input yours received, by block in "
                "network order:"
            )
            for block, found in blocks.items():
                more = f" (and {len(found) - 1} more layers of it)" if len(found) > 1 else ""
                lines.append(f"    {block}: {found[0]}{more}")
        if self.problems:
            lines.append(
                "  weights cannot be lined up, so the outputs were not compared:"
                if not self.compared
                else "  weights cannot be lined up here, so these layers and the outputs end to end were not compared "
                "(ours ran on your outputs after them):"
            )
            lines.extend(f"    {problem}" for problem in self.problems)
        if self.wiring:
            lines.append("  wiring differences (what each layer reads, yours vs ours):")
            lines.extend(f"    {difference}" for difference in self.wiring)
        if self.dependencies:
            lines.append("  dependency differences (which input channels each output channel depends on):")
            lines.extend(f"    {difference}" for difference in self.dependencies)
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)


@dataclass(frozen=True)
class Point:
    """A named point both traces have: our output layer's index and the user's."""

    name: str
    ours: int
    yours: int


@dataclass
class Alignment:
    points: list[Point]
    pairs: list[tuple[int, int]]  # (ours, yours) trace indices, every aligned layer
    weights: list[tuple[int, int]]  # the weight layers among them
    groups: dict[int, str]  # ours index -> where it lies (point, main path or shortcut)
    problems: list[str]
    partial: list[str]  # groups where only the weight layers line up
    #: The groups whose weights do not line up: ((point, on a shortcut), ours indices, yours indices).
    failed: list[tuple[tuple[str, bool], list[int], list[int]]] = field(default_factory=list)
    #: Where the model has no BatchNorm and ours has (folded into the convolutions before them, as an inference
    #: export does): our BatchNorm index -> the index of our convolution before it.
    restored: dict[int, int] = field(default_factory=dict)

    def without(self, yours: int) -> Alignment:
        """This alignment less the user's layer `yours` (a layer the user's model does not run)."""
        return replace(
            self,
            points=[p for p in self.points if p.yours != yours],
            pairs=[pair for pair in self.pairs if pair[1] != yours],
            weights=[pair for pair in self.weights if pair[1] != yours],
        )


def equivalence(
    model: Any,
    *,
    paper: str,
    variant: str,
    stage_map: StageMap | Mapping[str, str | Sequence[str]] | None = None,
    options: Mapping[str, Any] | None = None,
    reference_framework: str | None = None,
    input_size: int | None = None,
    rtol: float = RTOL,
    atol: float = ATOL,
    seed: int = 0,
    name: str | None = None,
    kinds: Mapping[str, str] | None = None,
) -> EquivalenceResult:
    """Compare `model` (with weights) numerically and structurally with our implementation of `variant`.

    `options` go to our builder (e.g. `{"shortcut": "A"}`); `reference_framework` picks our implementation's
    framework (default: the model's, or for a model of a framework that builds nothing, ONNX, one that builds it
    at no cost where installed); `input_size` is the side a PyTorch model runs at (default: the
    smallest of INPUT_SIZES it accepts; a Keras model runs at its own input); `rtol` and `atol` bound each
    output's largest difference from ours, `atol + rtol · magnitude` (`paperverify.closeness`). CheckError on a
    usage problem. `kinds` declares the layer kinds of the model's own classes, as `verify`'s.
    """
    try:
        closeness = Closeness(rtol, atol)
    except ValueError as err:
        raise CheckError(str(err)) from err
    framework = framework_of(model)
    try:
        registered = registry.get(variant)
    except registry.RegistryError as err:
        raise CheckError(str(err)) from err
    # a model of a framework that builds nothing (ONNX) is compared with ours in one that builds it
    reference = reference_framework or (
        framework if framework in frameworks.BUILDING else frameworks.for_references(registered.frameworks, "")
    )
    if reference not in frameworks.BUILDING:
        raise CheckError(
            f"reference_framework must be one of {list(frameworks.BUILDING)} (ours are built there). "
            f"Received: {reference!r}"
        )
    try:
        builder = registered.builder(reference)
    except registry.RegistryError as err:
        raise CheckError(str(err)) from err
    claim = _paper_claim(paper, registered)
    paper_size, leaves_open = claim.config.input_size, claim.source.leaves_open
    channels = registered.input_channels
    yours_adapter, ours_adapter = frameworks.get(framework), frameworks.get(reference)
    label = name or type(model).__qualname__
    if not yours_adapter.has_weights(model):
        raise CheckError(
            f"{label} has no weights (meta tensors or uninitialised variables); the equivalence check runs the "
            "model: build it with real, e.g. random, weights"
        )
    mapping = stage_map if isinstance(stage_map, StageMap) or stage_map is None else StageMap.of(stage_map)
    declared_kinds(kinds or {})  # a bad declaration is a usage error before anything runs
    with declared_kinds(kinds or {}):  # the user's classes are probed, run and wired alike

        def prepare(size: int, raw: Trace) -> _Prepared:
            yours = (mapping or StageMap()).apply(raw)
            try:
                reference_model = ours_adapter.build_reference(builder, size, channels, dict(options or {}))
            except Exception as err:
                raise CheckError(f"our {variant} ({reference}) cannot be built at {size}×{size}: {err}") from err
            ours = ours_adapter.probe(reference_model, size, channels)
            lined_up = None
            if not _names_give_points(paper, variant, ours, yours):  # names of its own: lined up by structure
                lined_up = line_up(raw, ours)
                yours = lined_up.apply(mapping)
            alignment = align(ours, yours)
            if lined_up is not None and lined_up.supplied is not None:  # our softmax, left to the loss: not run
                alignment = alignment.without(len(yours.layers) - 1)
            return _Prepared(
                model, yours_adapter, ours_adapter, size, raw, yours, ours, reference_model, alignment, lined_up
            )

        size, raw = _probe_at_input_size(model, yours_adapter, input_size, paper_size, channels)
        prepared, moved = prepare(size, raw), None
        own_size = input_size is not None or yours_adapter.fixed_input(model) is not None  # a Keras model's
        if prepared.alignment.problems and not own_size and size != paper_size:
            # A classifier behind an adaptive pool (torchvision's VGG) takes the paper's input to line up.
            try:
                at_paper = prepare(paper_size, yours_adapter.probe(model, paper_size, channels))
            except Exception:  # the model or ours cannot run there: keep the first size's account
                at_paper = None
            if at_paper is not None and not at_paper.alignment.problems:
                moved = (
                    f"compared at the paper's {paper_size}×{paper_size}: at {size}×{size} the weights do not "
                    f"line up ({prepared.alignment.problems[0]})"
                )
                prepared = at_paper
        size, yours, ours, alignment, lined_up = (
            prepared.size, prepared.yours, prepared.ours, prepared.alignment, prepared.lined_up
        )  # fmt: skip
        result = EquivalenceResult(
            label, paper, variant, framework, reference, size, closeness, problems=list(alignment.problems)
        )
        if lined_up is not None:
            result.notes.extend(lined_up.summary())
        if moved is not None:
            result.notes.append(moved)
        if alignment.partial:
            result.notes.append(
                "the layer sequences differ beyond the weight layers under "
                f"{', '.join(alignment.partial)}: only the weight layers are compared there"
            )
        probed: set[str] = set()
        if alignment.weights or not alignment.problems:  # something lines up: run and compare
            probed = _run_and_compare(prepared, result, seed, leaves_open)
        result.wiring = compare_wiring(yours, ours, alignment, probed)
        return result


def _run_and_compare(p: _Prepared, result: EquivalenceResult, seed: int, leaves_open: Container[str]) -> set[str]:
    """Steps 2 and 4 of the module docstring, into `result`: copy the weights, run both models and compare them;
    where the weights do not line up, probe the dependency structure. The named points whose dependency
    structure was probed."""
    result.notes += _match_padding(p) + _match_normalisation(p, leaves_open)
    folds, unfolded = _plan_copy(p, result)
    if unfolded:
        result.problems.extend(unfolded)
        return set()
    p.ours_adapter.materialise(p.reference)
    folded = _copy(p, folds)
    shape = (1, p.size, p.size, p.ours.input_shape[-1])
    image = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    _compare(p, result, image, folded)
    if not p.alignment.failed:
        return set()
    _randomise(p, seed)
    found, unprobed = _dependencies(p, image, result.closeness)
    result.dependencies = found
    if unprobed:
        result.notes.append(
            f"the dependency structure of {', '.join(map(_where, unprobed))} was not probed: it reads more than one "
            "tensor or no feature map, or the two read different named points"
        )
    elif not found:
        result.notes.append(
            "where the weights cannot be lined up, each output channel depends on the same input channels as ours"
        )
    return {key[0] for key, _, _ in p.alignment.failed if key not in unprobed}


@dataclass(frozen=True)
class _Prepared:
    """The two models probed at one input side and lined up: what every later step works on."""

    model: Any
    yours_adapter: Framework
    ours_adapter: Framework
    size: int
    raw: Trace  # the user's trace as probed
    yours: Trace  # renamed to our points
    ours: Trace
    reference: Any  # our model
    alignment: Alignment
    lined_up: Any  # the structural alignment (paperverify.alignment.Alignment) or None

    @cached_property
    def yours_layers(self) -> list[Any]:
        """The layer object behind each record of the user's trace."""
        return self.yours_adapter.layers(self.model, self.raw)

    @cached_property
    def ours_layers(self) -> list[Any]:
        """The layer object behind each record of our trace."""
        return self.ours_adapter.layers(self.reference, self.ours)


def _paper_claim(paper: str, variant: registry.Variant) -> Claim:
    """One of the paper's claims about `variant` (its input side, what the paper leaves open); for a registered
    variant of the paper's architecture that no table describes (ResNet's plain-18), one of its other claims."""
    try:
        return select_claims(paper, variant.name)[0]
    except CheckError:
        others = load_claims(default_roots(), paper=paper)
        if variant.architecture not in {claim.source.architecture for claim in others}:
            raise
        return others[0]


def _probe_at_input_size(
    model: Any, adapter: Framework, requested: int | None, paper_size: int, channels: int
) -> tuple[int, Trace]:
    """The input side to run at and the model's trace there: the model's own fixed input (a Keras model's), the
    requested one, or the smallest input the model accepts."""
    shape = adapter.fixed_input(model)
    if shape is not None:
        if None in shape or shape[0] != shape[1]:
            raise CheckError(
                f"the equivalence check needs a {adapter.name} model with a fixed square input. Received: {shape}"
            )
        if requested is not None and requested != shape[0]:
            raise CheckError(f"a {adapter.name} model runs at its own input, {shape}, not at input_size={requested}")
        return shape[0], adapter.probe(model, shape[0], channels)
    sizes = [requested] if requested is not None else sorted({*INPUT_SIZES, paper_size})
    failures = []
    for size in sizes:
        try:
            return size, adapter.probe(model, size, channels)
        except Exception as err:  # the model rejects this input size: try the next
            failures.append(f"{size}: {type(err).__name__}: {err}")
    raise CheckError(f"the model cannot be probed at any input size tried ({'; '.join(failures)})")


# --- lining the two traces up ---------------------------------------------------------------------------


def _names_give_points(paper: str, variant: str, ours: Trace, yours: Trace) -> bool:
    """Whether the model's layer names give every named point the paper's claims about `variant` read (every
    top-level point of ours for a variant no table describes)."""
    try:
        return names_give_points(yours, select_claims(paper, variant))
    except CheckError:
        return all(yours.under((point,)) for point in {layer.name.split(".")[0] for layer in ours.layers})


def _candidates(ours: Trace) -> list[str]:
    """Our named points: every dotted prefix of a layer name that is not the layer itself (a top-level layer
    is a point of its own), up to a `shortcut` component."""
    found: dict[str, None] = {}
    for record in ours.layers:
        parts = record.name.split(".")
        cut = parts.index(SHORTCUT) if SHORTCUT in parts else len(parts)
        if len(parts) == 1:
            found[record.name] = None
        for end in range(1, min(cut, len(parts) - 1) + 1):
            found[".".join(parts[:end])] = None
    return list(found)


def named_points(ours: Trace, yours: Trace) -> list[Point]:
    """The named points both traces have, in the order our model completes them (the deeper one first at a
    tie). A point's output is its last layer; in the user's trace, its last layer of the kind ours ends it
    with, if there is one (a Dense with its own softmax ends `fc` as a dense layer, as ours does)."""
    points = []
    for name in _candidates(ours):
        mine = [i for i, r in enumerate(ours.layers) if is_under(r.name, name)]
        theirs = [i for i, r in enumerate(yours.layers) if is_under(r.name, name)]
        if not theirs:
            continue
        kind = ours.layers[mine[-1]].kind
        same = [i for i in theirs if yours.layers[i].kind == kind]
        points.append(Point(name, mine[-1], (same or theirs)[-1]))
    return sorted(points, key=lambda p: (p.ours, -p.name.count(".")))


def _group(record: LayerRecord, points: list[str]) -> tuple[str, bool]:
    """The deepest named point a layer lies under ('' for none) and whether it lies on a shortcut."""
    point = max((p for p in points if is_under(record.name, p)), key=len, default="")
    return point, record.on_shortcut


def _where(key: tuple[str, bool]) -> str:
    return f"{key[0] or 'the top level'} ({'shortcut' if key[1] else 'main path'})"


def weight_shape(record: LayerRecord) -> tuple[int, ...]:
    """A weight layer's kernel shape read from its record: conv kh×kw×(cin/groups)×cout, dense in×out,
    batchnorm and layernorm C."""
    if record.kind == "conv2d":
        return (*record.kernel, record.input_shapes[0][-1] // record.groups, record.channels)
    if record.kind == "dense":
        return (record.input_shapes[0][-1], record.channels)
    return (record.output_shape[-1],)


def _describe(record: LayerRecord) -> str:
    return f"{record.name} ({record.kind} {'×'.join(map(str, weight_shape(record)))})"


def align(ours: Trace, yours: Trace) -> Alignment:
    """Pair the two traces' layers group by group (see the module docstring); problems name point and layers."""
    points = named_points(ours, yours)
    names = [p.name for p in points]
    groups: dict[tuple[str, bool], tuple[list[int], list[int]]] = {}
    for side, trace in enumerate((ours, yours)):
        for index, record in enumerate(trace.layers):
            groups.setdefault(_group(record, names), ([], []))[side].append(index)
    problems = [
        f"{r.name}: a {r.kind} layer with {r.params + r.buffers} weights; only {', '.join(COPYABLE)} can be copied"
        for r in yours.layers
        if r.kind not in COPYABLE and (r.params or r.buffers)
    ]
    pairs, weights, partial, where, failed = [], [], [], {}, []
    restored: dict[int, int] = {}
    for key, (mine, theirs) in groups.items():
        for index in mine:
            where[index] = _where(key)
        folded = _folded_batchnorms([ours.layers[i] for i in mine], [yours.layers[i] for i in theirs])
        restored.update((mine[i], mine[i] - 1) for i in folded)
        mine = [index for position, index in enumerate(mine) if position not in folded]
        my_weights = [i for i in mine if ours.layers[i].kind in COPYABLE]
        their_weights = [i for i in theirs if yours.layers[i].kind in COPYABLE]
        problem = _weight_mismatch(key, [ours.layers[i] for i in my_weights], [yours.layers[i] for i in their_weights])
        if problem:
            problems.append(problem)
            failed.append((key, mine, theirs))
            continue
        weights += zip(my_weights, their_weights, strict=True)
        if [ours.layers[i].kind for i in mine] != [yours.layers[i].kind for i in theirs]:
            # Padding is a layer of its own in ours and often a convolution's own in a model ('same'): aside.
            mine = [i for i in mine if ours.layers[i].kind != PAD]
            theirs = [i for i in theirs if yours.layers[i].kind != PAD]
        if [ours.layers[i].kind for i in mine] == [yours.layers[i].kind for i in theirs]:
            pairs += zip(mine, theirs, strict=True)
        else:
            pairs += zip(my_weights, their_weights, strict=True)
            if my_weights:
                partial.append(_where(key))
    return Alignment(points, sorted(pairs), sorted(weights), where, problems, partial, failed, restored)


def _folded_batchnorms(mine: list[LayerRecord], theirs: list[LayerRecord]) -> set[int]:
    """The positions in one group of ours (`mine`) of the BatchNorm layers right after a convolution that the
    model's group (`theirs`) has not, its weight layers otherwise ours in kind and order: an inference export
    folds a BatchNorm into the convolution before it. Empty where the weight layers differ otherwise."""
    my_weights = [position for position, record in enumerate(mine) if record.kind in COPYABLE]
    their_kinds = [record.kind for record in theirs if record.kind in COPYABLE]
    folded, j = set(), 0
    for k, position in enumerate(my_weights):
        kind = mine[position].kind
        if j < len(their_kinds) and their_kinds[j] == kind:
            j += 1
        elif kind == BATCHNORM and k and mine[my_weights[k - 1]].kind == "conv2d":
            folded.add(position)
        else:
            return set()
    return folded if j == len(their_kinds) else set()


def _padding_of(
    trace: Trace, index: int, layers: list[Any], adapter: Framework
) -> tuple[Padding, Padding, int | None] | None:
    """The zero padding a layer's input gets in all, the layer's own part of it, and the index of the padding
    layer right before it that pads the rest (None if none); None for a layer whose padding is not known."""
    record = trace.layers[index]
    own = adapter.padding(layers[index], record)
    if own is None:
        return None
    before = trace.layers[index - 1] if index > 0 else None
    if before is None or before.kind != PAD or (before.output_shape,) != record.input_shapes[:1]:
        return own, own, None
    extra = adapter.padding(layers[index - 1], before)
    if extra is None:
        return None
    total = tuple(a + b for a, b in zip(own, extra, strict=True))
    return total, own, index - 1  # type: ignore[return-value]


def _match_padding(p: _Prepared) -> list[str]:
    """Where a convolution or max pool of the model pads otherwise than ours (TensorFlow's 'same' pads a stride-2
    layer on an even input by 0 above and 1 below, ours by 1 and 1), ours is run with the model's padding, which
    no paper prints, and a note says so; where ours cannot be (it pads inside the layer), a note says that."""
    ours, raw, ours_adapter, ours_layers, yours_layers = p.ours, p.raw, p.ours_adapter, p.ours_layers, p.yours_layers
    notes = []
    for o, y in p.alignment.pairs:
        if ours.layers[o].kind not in ("conv2d", "maxpool"):
            continue
        mine = _padding_of(ours, o, ours_layers, ours_adapter)
        theirs = _padding_of(raw, y, yours_layers, p.yours_adapter)
        if mine is None or theirs is None or mine[0] == theirs[0]:
            continue
        (padded, own, pad), wanted = mine, theirs[0]
        rest = tuple(w - a for w, a in zip(wanted, own, strict=True))
        name = ours.layers[o].name
        settable = (pad is not None and min(rest) >= 0 and ours_adapter.set_padding(ours_layers[pad], rest)) or (
            pad is None and ours_adapter.set_padding(ours_layers[o], wanted)  # a layer padding itself
        )
        if settable:
            notes.append(
                f"{name}: yours pads (top, bottom, left, right) {wanted}, ours {padded}; the paper fixes no padding, "
                "so ours was run with yours"
            )
        else:
            notes.append(f"{name}: yours pads {wanted}, ours {padded}, and ours cannot be run with yours")
    return notes


def _match_normalisation(p: _Prepared, leaves_open: Container[str]) -> list[str]:
    """Where a local response normalisation of the model uses other constants than ours: if the paper leaves them
    open (`[paper] leaves_open`, GoogLeNet's LocalRespNorm), ours is run with the model's and a note says so;
    if the paper prints them (AlexNet's), a note names both, and the outputs will differ there."""
    notes = []
    for o, y in p.alignment.pairs:
        mine = p.ours_adapter.normalisation(p.ours_layers[o])
        theirs = p.yours_adapter.normalisation(p.yours_layers[y])
        if mine is None or theirs is None or np.allclose(mine, theirs, rtol=1e-6, atol=0):
            continue
        name, both = p.ours.layers[o].name, f"yours {_constants(theirs)}, ours {_constants(mine)}"
        if LRN_CONSTANTS in leaves_open and p.ours_adapter.set_normalisation(p.ours_layers[o], theirs):
            notes.append(f"{name}: {both}; the paper prints no constants, so ours was run with yours")
        else:
            notes.append(f"{name}: {both}; the paper fixes them")
    return notes


def _constants(constants: Normalisation) -> str:
    size, alpha, beta, k = constants
    return f"n = {size}, α = {alpha:g}, β = {beta:g}, k = {k:g}"


def _weight_mismatch(key: tuple[str, bool], mine: list[LayerRecord], theirs: list[LayerRecord]) -> str | None:
    for position in range(max(len(mine), len(theirs))):
        ours = mine[position] if position < len(mine) else None
        yours = theirs[position] if position < len(theirs) else None
        if ours and yours and (ours.kind, weight_shape(ours)) == (yours.kind, weight_shape(yours)):
            continue
        count = f" (yours has {len(theirs)} weight layers here, ours {len(mine)})" if len(mine) != len(theirs) else ""
        return (
            f"{_where(key)}, weight layer {position + 1}: yours {_describe(yours) if yours else 'none'}, "
            f"ours {_describe(ours) if ours else 'none'}{count}"
        )
    return None


def _flattened(trace: Trace, index: int) -> tuple[int, int, int] | None:
    """The H×W×C map a dense layer's input vector was flattened from (None if it was no spatial map)."""
    inputs = trace.layers[index].input_shapes[0]
    if len(inputs) != 1:
        return None
    for record in reversed(trace.layers[:index]):
        shape = record.output_shape
        if len(shape) == 3:
            return shape if shape[0] * shape[1] > 1 and math.prod(shape) == inputs[0] else None
        if math.prod(shape) != inputs[0]:
            return None
    return None


def _output_flattened(trace: Trace, index: int) -> tuple[int, int, int] | None:
    """The H×W×C map a layer's output vector holds, flattened (None for a dense output or a spatial one)."""
    record = trace.layers[index]
    if len(record.output_shape) != 1 or record.kind == "dense" or not record.input_shapes:
        return None
    shape = record.input_shapes[0]
    if len(shape) == 3:
        return shape if shape[0] * shape[1] > 1 and math.prod(shape) == record.output_shape[0] else None
    return _flattened(trace, index)


# --- copying the weights ------------------------------------------------------------------------------


def _plan_copy(p: _Prepared, result: EquivalenceResult) -> tuple[dict[int, int], list[str]]:
    """Check that every weight can be copied: the folds of a convolution bias into the BatchNorm after it
    (ours index of the BatchNorm -> ours index of the convolution), and the biases that cannot be folded.
    Notes go to `result`."""
    raw, ours, yours_layers, ours_layers = p.raw, p.ours, p.yours_layers, p.ours_layers
    pairs = p.alignment.weights
    folds, epsilons, unfolded = {}, set(), []
    for position, (o, y) in enumerate(pairs):
        theirs, mine = p.yours_adapter.layout(yours_layers[y]), p.ours_adapter.layout(ours_layers[o])
        if ours.layers[o].kind == "batchnorm":
            if np.float32(theirs.epsilon) != np.float32(mine.epsilon):  # one value, read as float32 or not
                epsilons.add((theirs.epsilon, mine.epsilon))
            continue
        if ours.layers[o].kind == "layernorm":
            if theirs.epsilon != mine.epsilon:
                result.notes.append(
                    f"{raw.layers[y].name}: LayerNorm epsilon {theirs.epsilon:g} (yours) vs {mine.epsilon:g} "
                    f"(ours, {ours.layers[o].name}); it cannot be folded, so the outputs may differ by about that"
                )
            continue
        if o + 1 in p.alignment.restored:
            folds[o + 1] = o  # our BatchNorm after it adds the model's bias (see _copy)
            continue
        if not theirs.bias or mine.bias:
            continue
        following = pairs[position + 1] if position + 1 < len(pairs) else None
        if following == (o + 1, y + 1) and ours.layers[o + 1].kind == "batchnorm":
            folds[o + 1] = o
        else:
            unfolded.append(
                f"{raw.layers[y].name}: yours has a bias, ours ({ours.layers[o].name}) none, and no BatchNorm "
                "follows both directly to fold it into"
            )
    restored = [o for o in folds if o in p.alignment.restored]
    if restored:
        result.notes.append(
            f"yours has no BatchNorm (folded into its convolutions, as an inference export does): our {len(restored)} "
            "BatchNorm layers after convolutions were set to add your convolutions' biases (scale 1, mean 0, "
            "variance 1)"
        )
    if len(folds) > len(restored):
        result.notes.append(
            f"the biases of {len(folds) - len(restored)} convolutions were folded into the moving mean of the "
            "BatchNorm after them (mean − bias); ours have none"
        )
    for theirs_eps, mine_eps in sorted(epsilons):
        result.notes.append(
            f"BatchNorm epsilon {theirs_eps:g} (yours) vs {mine_eps:g} (ours): folded into the moving variance"
        )
    return folds, unfolded


def _copy(p: _Prepared, folds: dict[int, int]) -> dict[int, np.ndarray]:
    """Copy the user's weights into our model, one layer at a time; the biases folded away, by our
    convolution's index (its output lacks them; the BatchNorm's after it agrees again)."""
    raw, ours, yours_adapter, ours_adapter = p.raw, p.ours, p.yours_adapter, p.ours_adapter
    pending: dict[int, np.ndarray] = {}
    for o, y in p.alignment.weights:
        weights: Weights = yours_adapter.read(p.yours_layers[y], _flattened(raw, y))
        if o in folds.values():
            if weights.bias is not None:
                pending[o] = weights.bias
            weights.bias = None
        if o in folds:
            weights.mean = weights.mean - pending[folds[o]]
        if weights.epsilon is not None:
            mine = ours_adapter.layout(p.ours_layers[o]).epsilon
            weights.var = weights.var + np.float32(weights.epsilon - mine)
        ours_adapter.write(p.ours_layers[o], weights, _flattened(ours, o))
    for norm, conv in p.alignment.restored.items():  # x + bias: BatchNorm of scale 1, mean 0, variance 1
        channels = ours.layers[norm].output_shape[-1]
        epsilon = ours_adapter.layout(p.ours_layers[norm]).epsilon or 0.0
        bias = pending.get(conv)
        ones = np.ones(channels, dtype=np.float32)
        beta = bias if bias is not None else np.zeros(channels, dtype=np.float32)
        weights = Weights(gamma=ones, beta=beta, mean=np.zeros(channels, np.float32), var=ones - np.float32(epsilon))
        ours_adapter.write(p.ours_layers[norm], weights, None)
    return pending


# --- running and comparing -------------------------------------------------------------------------------


def _shape(array: np.ndarray) -> str:
    return "×".join(map(str, array.shape[1:]))


def _alike(yours: np.ndarray, ours: np.ndarray) -> bool:
    """Whether two outputs hold the same values' places (one shape, up to axes of length one)."""
    return yours.size == ours.size and np.squeeze(yours).shape == np.squeeze(ours).shape


def _difference(yours: np.ndarray, ours: np.ndarray, closeness: Closeness) -> tuple[Difference, str]:
    if not _alike(yours, ours):
        return Difference(math.inf, math.inf, False), f"output {_shape(yours)} vs ours {_shape(ours)}"
    return closeness.compare(yours.reshape(ours.shape), ours), ""


def _canonical(adapter: Framework, trace: Trace, index: int, output: np.ndarray, back: bool = False) -> np.ndarray:
    """A vector flattened from a C, H, W map (PyTorch's order) reordered to H, W, C (Keras' and ours); with
    `back`, an H, W, C vector put back in the adapter's order."""
    origin = _output_flattened(trace, index) if adapter.flattens_channels_first and output.ndim == 2 else None
    if origin is None:
        return output
    h, w, c = origin
    shape, order = ((h, w, c), (0, 3, 1, 2)) if back else ((c, h, w), (0, 2, 3, 1))
    return output.reshape(-1, *shape).transpose(order).reshape(output.shape[0], -1)


def _compare(p: _Prepared, result: EquivalenceResult, image: np.ndarray, folded: dict[int, np.ndarray]) -> None:
    """Run the user's model once, keeping the outputs wanted, and ours once or twice. If the weights lined up
    everywhere, ours runs on its own and every named point and aligned layer is compared end to end; if all
    agree, that is all. Otherwise ours runs again and the aligned layers are compared locally: each of our
    layers' outputs, once compared, is replaced by the user's layer's, so that every layer runs on what the
    user's received and one difference upstream hides nothing downstream; so is the output of a named point
    whose layers are not paired (where the weights do not line up). Outputs are compared in one layout: NHWC,
    and a flattened map's vector in H, W, C order; our convolution whose bias was folded into the BatchNorm
    after it is compared with that bias added back (and handed the user's output less it)."""
    model, yours, yours_adapter, reference, ours, ours_adapter, alignment = (
        p.model, p.yours, p.yours_adapter, p.reference, p.ours, p.ours_adapter, p.alignment
    )  # fmt: skip
    at_point: dict[int, list[Point]] = {}
    for point in alignment.points:
        at_point.setdefault(point.ours, []).append(point)
    at_pair = dict(alignment.pairs)
    forced = at_pair | {point.ours: point.yours for point in alignment.points if point.ours not in at_pair}
    end_to_end = not alignment.problems
    copied = {o for o, _ in alignment.weights} | set(alignment.restored)  # a restored BatchNorm adds the user's bias
    fed: dict[int, bool] = {MODEL_INPUT: True}  # whether a layer of ours ran on the user's values

    def runs_on_yours(index: int) -> bool:
        """Whether our layer's output derives from the user's values alone: forced to the user's output, or
        computed with copied weights (if any) from such outputs."""
        if index not in fed:
            record = ours.layers[index]
            fed[index] = (record.kind not in COPYABLE or index in copied) and all(
                runs_on_yours(source) for source in record.sources or ()
            )
        return fed[index]

    kept: dict[int, np.ndarray] = {}

    def keep(index: int, output: np.ndarray) -> None:
        kept[index] = _canonical(yours_adapter, yours, index, output)

    def compared(index: int, y: int, output: np.ndarray, where: str) -> Comparison:
        difference, detail = _difference(kept[y], output, result.closeness)
        mine, theirs = ours.layers[index], yours.layers[y]
        if mine.stride is not None and theirs.stride is not None and mine.stride != theirs.stride:
            stride = f"stride {'×'.join(map(str, theirs.stride))} vs ours {'×'.join(map(str, mine.stride))}"
            detail = f"{detail}; {stride}" if detail else stride
        return Comparison(where, mine.name, theirs.name, mine.kind, difference, detail)

    def ours_canonical(index: int, output: np.ndarray) -> np.ndarray:
        output = _canonical(ours_adapter, ours, index, output)
        return output + folded[index] if index in folded else output

    points: dict[str, Comparison] = {}
    layers: list[Comparison] = []

    def judge_end_to_end(index: int, output: np.ndarray) -> None:
        output = ours_canonical(index, output)
        for point in at_point.get(index, ()):
            points[point.name] = compared(index, point.yours, output, point.name)
        if index in at_pair:
            layers.append(compared(index, at_pair[index], output, alignment.groups[index]))

    def judge_layer(index: int, output: np.ndarray) -> np.ndarray | None:
        y = forced[index]
        canonical = ours_canonical(index, output)
        if index in at_pair and runs_on_yours(index):
            layers.append(compared(index, y, canonical, alignment.groups[index]))
        theirs = kept[y]
        fed[index] = _alike(theirs, canonical)  # if not, ours runs on its own output
        if not fed[index]:
            return None
        theirs = theirs.reshape(canonical.shape)
        return _canonical(ours_adapter, ours, index, theirs - folded[index] if index in folded else theirs, back=True)

    yours_adapter.run(model, image, {point.yours for point in alignment.points} | set(forced.values()), keep)
    if end_to_end:
        ours_adapter.run(reference, image, set(at_point) | set(at_pair), judge_end_to_end)
        result.points = [points[point.name] for point in alignment.points]
        if not any(c.diverges for c in [*result.points, *layers]):
            result.layers = layers
            return
        layers.clear()
    ours_adapter.run(reference, image, set(forced), judge_layer)
    result.layers = layers


# --- dependency structure --------------------------------------------------------------------------------

#: Values of the perturbed tensor a run of the dependency probe holds at most (2^25 float32: 128 MB): as many
#: channels are perturbed per run as fit, each both ways (the batch is twice as many samples, and one).
_BATCH_VALUES = 2**25
#: How much larger than the values the probe's noise is.
_LOUD = 100.0
#: How much larger than that noise, times the square root of the channels, the noise on a perturbed channel is:
#: as large as the whole sum a unit computes, so that a unit the base leaves off is turned on.
_LOUDER = 4.0


class _Enough(Exception):
    """Raised by a sink to end a run once the output it waits for has come."""


def _randomise(p: _Prepared, seed: int) -> None:
    """Random weights (scaled by fan-in) for our weight layers that took none of the user's, so that their
    outputs depend on every input they read."""
    adapter, ours, alignment, layers = p.ours_adapter, p.ours, p.alignment, p.ours_layers
    copied = {o for o, _ in alignment.weights}
    rng = np.random.default_rng(seed + 1)

    def normal(*shape: int, scale: float = 1.0) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    for _, mine, _ in alignment.failed:
        for o in mine:
            record = ours.layers[o]
            if record.kind not in COPYABLE or o in copied:
                continue
            shape = weight_shape(record)
            if record.kind in ("conv2d", "dense"):
                weights = Weights(kernel=normal(*shape, scale=1 / math.sqrt(math.prod(shape[:-1]))))
            else:
                weights = Weights(gamma=normal(*shape) + 1, beta=normal(*shape), mean=normal(*shape))
                weights.var = np.abs(normal(*shape)) + 1
                weights.epsilon = adapter.layout(layers[o]).epsilon
            adapter.write(layers[o], weights, _flattened(ours, o))


def _entry(trace: Trace, group: list[int]) -> int | None:
    """The one tensor a group of layers reads from outside it (a layer's index, or MODEL_INPUT); None if it
    reads several or none."""
    inside = set(group)
    outside = {s for i in group for s in trace.layers[i].sources or () if s not in inside}
    return next(iter(outside)) if len(outside) == 1 else None


def _is_map(trace: Trace, index: int) -> bool:
    return index == MODEL_INPUT or len(trace.layers[index].output_shape) == 3


def depends(
    adapter: Framework, model: Any, source: int, target: int, image: np.ndarray, closeness: Closeness
) -> np.ndarray:
    """Which channels of `source`'s output (MODEL_INPUT: the image) each channel of `target`'s output depends on,
    as a (target channels × source channels) boolean array. Measured, not read: `source`'s output, with random
    noise `_LOUD` times its largest value added everywhere (so that units are on, and a product or normalisation
    shows what it reads), is the first sample of a batch; each further pair adds to one channel of it two
    independent draws of far louder noise (`_LOUDER`: so that a unit the first sample leaves off is turned on,
    and a ReLU or max pool that hides one draw's change hides not the other's), as many channels a run as
    `_BATCH_VALUES` allows. An output channel depends on a source channel where either
    sample's output differs from the first's beyond the closeness bound."""
    rng = np.random.default_rng(2)
    found: list[np.ndarray] = []
    start, channels = 0, 1
    while start < channels:
        output, channels = _perturbed_run(adapter, model, source, target, image, start, rng)
        change = np.abs(output[1:] - output[:1]).max(axis=tuple(range(1, output.ndim - 1)))
        change = np.maximum(change[0::2], change[1::2])
        found.append(change > closeness.bound(float(np.abs(output[0]).max())))
        start += len(change)
    return np.concatenate(found).T


def _perturbed_run(
    adapter: Framework, model: Any, source: int, target: int, image: np.ndarray, start: int, rng: np.random.Generator
) -> tuple[np.ndarray, int]:
    """`target`'s output for a batch: `source`'s output made loud, then with each of its channels from `start`
    on (as many as `_BATCH_VALUES` allows) perturbed one way and the other (`depends`); and how many channels
    `source`'s output has."""
    channels: list[int] = []
    outputs: list[np.ndarray] = []

    def perturbed(x: np.ndarray) -> np.ndarray:
        channels.append(x.shape[-1])
        count = min(max(1, _BATCH_VALUES // (2 * x[:1].size)), x.shape[-1] - start)
        scale = _LOUD * max(float(np.abs(x).max()), 1.0)
        loud = x[:1] + np.random.default_rng(3).standard_normal(x[:1].shape).astype(x.dtype) * scale
        batch = np.repeat(loud, 1 + 2 * count, axis=0)
        louder = scale * _LOUDER * math.sqrt(x.shape[-1])
        for row in range(1, len(batch)):
            batch[row, ..., start + (row - 1) // 2] += rng.standard_normal(x.shape[1:-1]).astype(x.dtype) * louder
        return batch

    def sink(index: int, output: np.ndarray) -> np.ndarray | None:
        if index == target:
            outputs.append(output)
            raise _Enough
        return perturbed(output) if index == source else None

    wanted = {target} if source == MODEL_INPUT else {source, target}
    with contextlib.suppress(_Enough):
        adapter.run(model, perturbed(image) if source == MODEL_INPUT else image, wanted, sink)
    return outputs[0], channels[0]


def _ranges(indices: np.ndarray) -> str:
    """Channel indices as runs: `0–47, 96–143` (`none` for none)."""
    runs: list[list[int]] = []
    for i in map(int, indices):
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return ", ".join(f"{a}–{b}" if b > a else str(a) for a, b in runs) or "none"


def describe_dependencies(yours: np.ndarray, ours: np.ndarray, shown: int = 3) -> str:
    """Where two dependency arrays (`depends`) differ, by runs of output channels: what each run reads in
    yours and in ours; the first `shown` runs, then how many more."""
    runs: list[tuple[int, int, str, str]] = []
    for j in range(ours.shape[0]):
        theirs, mine = _ranges(np.flatnonzero(yours[j])), _ranges(np.flatnonzero(ours[j]))
        if runs and runs[-1][1] == j - 1 and runs[-1][2:] == (theirs, mine):
            runs[-1] = (runs[-1][0], j, theirs, mine)
        elif theirs != mine:
            runs.append((j, j, theirs, mine))
    parts = [
        f"output channels {_ranges(np.arange(a, b + 1))} read input channels {theirs} in yours, {mine} in ours"
        for a, b, theirs, mine in runs[:shown]
    ]
    more = f"; and {len(runs) - shown} more runs of output channels" if len(runs) > shown else ""
    return "; ".join(parts) + more


def _dependencies(p: _Prepared, image: np.ndarray, closeness: Closeness) -> tuple[list[str], list[str]]:
    """For each group whose weights cannot be lined up, whether its output channels depend on the same input
    channels in both models (`depends`, from the one tensor the group reads to its last layer's output): the
    differences, and the groups (point, on a shortcut) that cannot be probed so."""
    yours, ours, alignment = p.yours, p.ours, p.alignment
    ours_of = {y: o for o, y in alignment.pairs} | {point.yours: point.ours for point in alignment.points}
    ours_of[MODEL_INPUT] = MODEL_INPUT
    found, unprobed = [], []
    for key, mine, theirs in alignment.failed:
        source, entry = _entry(ours, mine), _entry(yours, theirs)
        ends = (mine[-1], theirs[-1]) if mine and theirs else None
        if (
            source is None
            or entry is None
            or ends is None
            or ours_of.get(entry) != source
            or not all(_is_map(trace, i) for trace, i in ((ours, source), (ours, ends[0]), (yours, ends[1])))
        ):
            unprobed.append(key)
            continue
        mine_depends = depends(p.ours_adapter, p.reference, source, ends[0], image, closeness)
        theirs_depends = depends(p.yours_adapter, p.model, entry, ends[1], image, closeness)
        if mine_depends.shape != theirs_depends.shape:
            continue  # other channel counts: the weights' mismatch says so already
        if (mine_depends != theirs_depends).any():
            found.append(f"{_where(key)}: {describe_dependencies(theirs_depends, mine_depends)}")
    return found, unprobed


# --- wiring ----------------------------------------------------------------------------------------------


def compare_wiring(yours: Trace, ours: Trace, alignment: Alignment, probed: Container[str] = ()) -> list[str]:
    """For every aligned layer pair, the layers it reads (its `sources`, followed back through layers left
    unpaired, such as a padding layer one side has and the other does not, and through inert ones, a flatten
    before or after a dropout), in both graphs: a sum or product in any order, a concatenation in order. A
    source that cannot be put in our terms (a layer of the user's with weights that lines up with none of ours)
    is not compared; a named point with another number of merges of a kind is a difference, unless it is among
    `probed` (its weights do not line up and its dependency structure was compared instead: a grouped
    convolution written as slices and a concatenation). A difference names the layers both sides read."""
    ends: dict[int, str] = {}
    for point in sorted(alignment.points, key=lambda p: p.name.count(".")):  # the outermost point a layer ends
        ends.setdefault(point.ours, point.name)
    compared = [(o, y) for o, y in alignment.pairs if ours.layers[o].kind not in INERT]
    ours_of = {y: o for o, y in compared}
    paired_ours = {o for o, _ in compared}

    def term(index: int) -> str:
        return "the input" if index == MODEL_INPUT else ends.get(index, ours.layers[index].name)

    def read(trace: Trace, source: int, paired: Container[int]) -> int | None:
        while source != MODEL_INPUT and source not in paired:
            layer = trace.layers[source]
            if layer.params or layer.sources is None or len(layer.sources) != 1:
                return None
            source = layer.sources[0]
        return source

    differences = _merge_counts(yours, ours, alignment, probed)
    for o, y in compared:
        mine, theirs = ours.layers[o], yours.layers[y]
        if mine.sources is None or theirs.sources is None:
            continue
        expected = [read(ours, s, paired_ours) for s in mine.sources]
        found = [read(yours, s, ours_of) for s in theirs.sources]
        if None in expected or None in found:
            continue
        found = [source if source == MODEL_INPUT else ours_of[source] for source in found]
        ordered = mine.kind not in _COMMUTATIVE
        if (expected == found) if ordered else (sorted(expected) == sorted(found)):
            continue
        label = mine.name if mine.name == theirs.name else f"{mine.name} (yours: {theirs.name})"
        if mine.kind in MERGES:
            sign = ", " if ordered else " + "
            differences.append(
                f"{label}: yours {mine.kind}s {sign.join(map(term, found))}; ours {sign.join(map(term, expected))}"
            )
        else:
            differences.append(
                f"{label}: yours reads {', '.join(map(term, found))}; ours reads {', '.join(map(term, expected))}"
            )
    return differences


#: Kinds whose inputs may come in any order.
_COMMUTATIVE = frozenset(("add", "multiply"))


def _merge_counts(yours: Trace, ours: Trace, alignment: Alignment, probed: Container[str]) -> list[str]:
    """Named points (but those `probed`) with another number of merges of a kind in the user's graph than in
    ours."""
    names = [point.name for point in alignment.points]

    def grouped(trace: Trace) -> dict[tuple[str, str], list[str]]:
        found: dict[tuple[str, str], list[str]] = {}
        for layer in trace.layers:
            if layer.kind in MERGES:
                found.setdefault((_group(layer, names)[0], layer.kind), []).append(layer.name)
        return found

    mine, theirs = grouped(ours), grouped(yours)
    return [
        f"{point or 'the top level'}: yours has {len(theirs.get((point, kind), []))} {kind} merge(s) "
        f"({', '.join(theirs.get((point, kind), [])) or '-'}), ours {len(mine.get((point, kind), []))} "
        f"({', '.join(mine.get((point, kind), [])) or '-'})"
        for point, kind in [*mine, *(key for key in theirs if key not in mine)]
        if len(mine.get((point, kind), [])) != len(theirs.get((point, kind), [])) and point not in probed
    ]
