"""Automatic alignment: line a model's layers up with our reference trace of the same variant, with no map.

A model written by someone else names its layers as it likes (`conv2d_17`, `features.3`, `layer2.0.downsample.0`);
the paper's points are our implementation's names (`conv3_x.conv3_1.shortcut.conv`). The alignment pairs the
two traces' layers by what they are, not what they are called:

1. A global alignment of the two sequences in execution order (a longest common subsequence weighted by
   likeness): two layers can pair only if their kinds agree, and pair the more readily the more of kernel,
   stride, channels, groups, output shape and weights agree (parameters less biases: a convolution whose
   BatchNorm an export folded into it, bias and all, is still ours). A departure (a stride on the wrong convolution,
   a width off by a few channels) still pairs, and is shown as a difference of the pair.
2. Layers the sequence could not pair because the model runs them in another order (a projection shortcut run
   before the block's main path, an Inception branch written first) pair with an unpaired layer of ours that is
   identical in every attribute, near where the pairs around it say it should be.

Each paired layer of the model takes our layer's name, so named points, shortcuts (a `shortcut` component) and
parallel branches (`branch<N>`) come from the reference: no name of the model's is read. A layer left unpaired
keeps its own name, with `/` for `.`, under the block of the paired layer before it if it reads that layer's
output (`conv2_x.conv2_1.relu_7`), else under the block of the one after it, so it still counts where it runs.
What is left unpaired on either side is listed: a layer the paper has and the model lacks, or one the model adds.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np

from paperverify.compare import fits_once
from paperverify.kinds import BATCHNORM, MERGES, POOLING, UNKNOWN, WEIGHT_LAYERS
from paperverify.stagemap import StageMap
from paperverify.trace import SHORTCUT, LayerRecord, Trace, is_under

#: The attributes compared once two layers' kinds agree, and what each agreement adds to a pair's likeness.
_ATTRIBUTES = ("kernel", "stride", "channels", "groups", "output_shape", "weights")
_KIND_SCORE = 8
_STRUCTURAL_SCORE = 4
_ATTRIBUTE_SCORE = 2
#: What pairing a layer of the unknown kind with a structural layer of ours is worth before its attributes.
_UNKNOWN_SCORE = 2
#: What a run of skipped layers costs: less than any pair is worth, so it only decides between equal pairings.
_GAP = 1
#: How far (in layers of ours) from where its neighbours put it a reordered layer may pair (step 2): more than an
#: Inception module, less than a ResNet stage.
_WINDOW = 40
#: A difference of one of these attributes changes what a layer computes, not only its weights.
_SHAPING = {"kernel", "stride", "channels", "groups"}
#: What is said where the model ends in logits and our final softmax is taken as there.
SOFTMAX_LEFT_TO_LOSS = (
    "yours ends in logits: the softmax the paper prints last is taken as left to the loss (a convention)"
)
#: Kinds whose absence on one side is worth saying (a missing pad, dropout or flatten is not).
_STRUCTURAL = WEIGHT_LAYERS | POOLING | MERGES


@dataclass(frozen=True)
class Alignment:
    """The name each of the model's layers takes (by position in its trace), and what paired with what."""

    #: (the model's layer name, the name it takes) for every record of the model's trace, in order.
    names: tuple[tuple[str, str], ...]
    #: (index in the model's trace, index in ours) of each pair, in the model's order.
    pairs: tuple[tuple[int, int], ...]
    yours: Trace
    ours: Trace
    #: The pairs the model runs in another order than ours (step 2), among `pairs`.
    reordered: tuple[tuple[int, int], ...] = ()

    def apply(self, mapping: StageMap | None = None) -> Trace:
        """The model's trace with every layer renamed (a layer an entry of `mapping` names takes the map's name
        instead), and our final softmax after it where the model ends in logits (`supplied`)."""
        mapping = mapping or StageMap()
        renamed = tuple(
            layer._replace(name=mapping.rename(layer.name) if mapping.covers(layer.name) else new)
            for layer, (_, new) in zip(self.yours.layers, self.names, strict=True)
        )
        if self.supplied is not None and renamed:
            end = renamed[-1].output_shape
            renamed += (self.supplied._replace(input_shapes=(end,), output_shape=end, sources=(len(renamed) - 1,)),)
        return Trace(self.yours.framework, self.yours.input_shape, renamed)

    @property
    def supplied(self) -> LayerRecord | None:
        """Our final softmax, where the model has none: a classifier that returns logits leaves the softmax to
        its loss (PyTorch's CrossEntropyLoss, Keras' `from_logits=True`), a convention and no departure, so the
        softmax the paper prints last is taken as there."""
        last = self.ours.layers[-1] if self.ours.layers else None
        if last is None or last.kind != "softmax" or any(r.kind == "softmax" for r in self.yours.layers):
            return None
        return last

    @property
    def unpaired_yours(self) -> list[LayerRecord]:
        """The model's structural layers (weights, pooling, merges) that no layer of ours paired with."""
        paired = {u for u, _ in self.pairs}
        # a layer written as parallel slices is one: its other branches and their concatenation are no addition
        beside = {
            i
            for merge, members in self.yours.branch_groups().items()
            if paired & set(members)
            for i in (merge, *members)
        }
        return [r for i, r in enumerate(self.yours.layers) if i not in paired | beside and _structural(r)]

    @property
    def unpaired_ours(self) -> list[LayerRecord]:
        """Our structural layers that no layer of the model paired with: what the model lacks."""
        paired = {o for _, o in self.pairs}
        return [r for i, r in enumerate(self.ours.layers) if i not in paired and _structural(r)]

    def differences(self) -> list[str]:
        """Each structural pair whose attributes differ (`yours conv2d_12 -> conv3_x.conv3_1.conv1: stride 1×1, ours
        2×2`), then each layer the model runs out of our order: those of kind of layer first (kernel, stride,
        channels, groups), then of output, then the pairs that differ in their weights alone as one line
        when there are many."""
        found: dict[int, list[str]] = {0: [], 1: [], 2: []}
        joined = {members[0]: members for members in self.yours.branch_groups().values()}
        for u, o in self.pairs:
            theirs = self.ours.layers[o]
            mine = self.yours.side_by_side([self.yours.layers[u]])[0] if u in joined else self.yours.layers[u]
            if not _structural(theirs):
                continue  # a BatchNorm or ReLU after a changed convolution differs because of it
            differing = [a for a in _ATTRIBUTES if not _same(a, getattr(mine, a), getattr(theirs, a))]
            if fits_once(mine) and fits_once(theirs):  # a global pool is a 7×7 pool of any stride on a 7×7 map
                differing = [a for a in differing if a not in ("kernel", "stride")]
            if differing:
                text = "; ".join(f"{a} {_text(getattr(mine, a))}, ours {_text(getattr(theirs, a))}" for a in differing)
                rank = 0 if set(differing) & _SHAPING else 1 if "output_shape" in differing else 2
                found[rank].append(f"yours {mine.name} -> {theirs.name}: {text}")
        alone = found[2]
        if len(alone) > 3:
            alone = [f"{len(alone)} pairs differ in their weights alone, e.g. {alone[0]}"]
        return found[0] + self._moves() + found[1] + alone

    def _moves(self) -> list[str]:
        """Each reordered pair the model runs outside the block ours runs it in (a max pool after fire5 where ours
        has it after fire4); a shortcut run before or after its block's main path stays in its block: no move."""
        order = dict(self.pairs)
        found = []
        for u, o in self.reordered:
            name = self.ours.layers[o].name
            block = name.split(f".{SHORTCUT}.")[0] if f".{SHORTCUT}." in name else _parent(name) or name
            before = [order[i] for i in range(u) if i in order]
            after = [order[i] for i in range(u + 1, len(self.yours.layers)) if i in order]
            late = [p for p in before if p > o and not is_under(self.ours.layers[p].name, block)]
            early = [p for p in after if p < o and not is_under(self.ours.layers[p].name, block)]
            if late or early:
                mine, theirs = self.yours.layers[u], self.ours.layers[o]
                where = (
                    f"after {self.ours.layers[late[-1]].name}" if late else f"before {self.ours.layers[early[0]].name}"
                )
                found.append(f"yours {mine.name} -> {theirs.name}: yours runs it {where}, out of our order")
        return found

    def summary(self, limit: int = 12) -> list[str]:
        """Lines saying how the model was lined up and what did not pair, for the terminal."""
        structural = sum(1 for r in self.ours.layers if _structural(r))
        paired = sum(1 for _, o in self.pairs if _structural(self.ours.layers[o]))
        lines = [
            f"lined up by structure with our implementation: {paired} of our {structural} weight, pooling and "
            f"merge layers paired with yours (write the alignment with --write-map FILE, edit it, pass --map-file)"
        ]
        if self.supplied is not None:
            lines.append(f"  {SOFTMAX_LEFT_TO_LOSS} (ours: {self.supplied.name})")
        details = [
            *(f"yours has {_describe(r)}, which ours has not" for r in self.unpaired_yours),
            *(f"ours has {_describe(r)}, which yours lacks" for r in self.unpaired_ours),
            *self.differences(),
        ]
        lines.extend(f"  {line}" for line in details[:limit])
        if len(details) > limit:
            lines.append(f"  ... and {len(details) - limit} more")
        return lines

    def stage_map(self) -> StageMap:
        """The alignment as a stage map, one entry per layer name of the model (a module called several times,
        as an in-place ReLU often is, takes the name of its first call)."""
        points: dict[str, list[str]] = {}
        seen: set[str] = set()
        for yours, new in self.names:
            if yours not in seen and yours != new:
                seen.add(yours)
                points.setdefault(new, []).append(yours)
        return StageMap.of(points)

    def as_map(self) -> str:
        """The alignment as a map file (TOML) that `--map-file` reads (paperverify.stagemap.read)."""
        lines = [
            "# paperverify stage map, written from the automatic alignment: paper point = the model's layer(s).",
            "# Edit an entry to line a layer up differently; pass the file with --map-file.",
            "[points]",
        ]
        for new, yours in self.stage_map().points:
            value = json.dumps(yours[0]) if len(yours) == 1 else json.dumps(list(yours), ensure_ascii=False)
            lines.append(f"{json.dumps(new, ensure_ascii=False)} = {value}")
        return "\n".join(lines) + "\n"


def align(yours: Trace, ours: Trace) -> Alignment:
    """Pair the layers of `yours` with those of `ours` (see the module's docstring) and name them. A model with no
    BatchNorm where ours has some (folded into its convolutions, as an inference export does) is lined up with ours
    less its BatchNorm layers, so that the blocks it lacks or adds are told as in any other model."""
    folded = not yours.batchnorms and ours.batchnorms
    read_yours = _heads_last(yours.layers)
    read_ours = [i for i in _heads_last(ours.layers) if not (folded and ours.layers[i].kind == BATCHNORM)]
    mine = tuple(yours.layers[i] for i in read_yours)
    lined = tuple(ours.layers[i] for i in read_ours)
    in_order = _sequence_pairs(_likeness(mine, lined), lined)
    reduced = _reordered_pairs(mine, lined, in_order)
    pairs = sorted((read_yours[u], read_ours[o]) for u, o in reduced)
    moved = tuple(sorted((read_yours[u], read_ours[o]) for u, o in set(reduced) - set(in_order)))
    return Alignment(_names(yours.layers, ours.layers, pairs), tuple(pairs), yours, ours, moved)


def _heads_last(layers: tuple[LayerRecord, ...]) -> list[int]:
    """The order a trace's layers are lined up in: those the model's main output is computed from, in their own
    order, then the rest in theirs (auxiliary heads, which a Keras model may list as its first outputs and a
    PyTorch forward may run midway). The main output is the layer no other reads with the most layers behind it;
    a trace without sources keeps its order."""
    if any(layer.sources is None for layer in layers):
        return list(range(len(layers)))
    read = {source for layer in layers for source in layer.sources or ()}

    def behind(index: int) -> set[int]:
        seen, stack = {index}, [index]
        while stack:
            for source in layers[stack.pop()].sources or ():
                if source >= 0 and source not in seen:
                    seen.add(source)
                    stack.append(source)
        return seen

    ends = [behind(index) for index in range(len(layers)) if index not in read]
    main = max(ends, key=len, default=set())
    return sorted(main) + [index for index in range(len(layers)) if index not in main]


def _likeness(yours: tuple[LayerRecord, ...], ours: tuple[LayerRecord, ...]) -> np.ndarray:
    """Score of pairing each layer of yours (rows) with each of ours (columns): 0 where the kinds differ; more for
    a structural kind (a weight layer, a pool, a merge), whose place matters more than a dropout's; more for each
    attribute both have and agree on (two dropouts agree on no kernel: that is no likeness)."""

    def codes(attribute: str) -> tuple[np.ndarray, np.ndarray]:
        values: dict[object, int] = {None: -1, 0: -1}  # nothing to agree on: no code of its own
        mine = np.array([values.setdefault(getattr(r, attribute), len(values)) for r in yours], dtype=np.int64)
        theirs = np.array([values.setdefault(getattr(r, attribute), len(values)) for r in ours], dtype=np.int64)
        return mine, theirs

    mine, theirs = codes("kind")
    same_kind = mine[:, None] == theirs[None, :]
    structural = np.array([_structural(r) for r in ours], dtype=bool)[None, :]
    score = np.where(same_kind, _KIND_SCORE + np.where(structural, _STRUCTURAL_SCORE, 0), 0).astype(np.int64)
    # A layer whose kind the probe cannot tell (a user's module not declared) may be any structural layer of ours,
    # though less readily than one of the same kind: paired, it takes our name, so that the claims about its point
    # are errors naming it rather than misread at the layers around it.
    unknown = np.array([r.kind == UNKNOWN for r in yours], dtype=bool)[:, None] & structural
    score = np.where(unknown, _UNKNOWN_SCORE, score)
    for attribute in _ATTRIBUTES:
        mine, theirs = codes(attribute)
        agree = (mine[:, None] == theirs[None, :]) & (mine[:, None] >= 0)
        score += np.where((same_kind | unknown) & agree, _ATTRIBUTE_SCORE, 0)
    return score


def _sequence_pairs(score: np.ndarray, ours: tuple[LayerRecord, ...]) -> list[tuple[int, int]]:
    """The pairs of the best-scoring alignment of the two sequences, where each run of skipped layers costs _GAP,
    and a run of ours that starts or ends inside our blocks _GAP more for each block level it cuts at each end (the
    name components its first layer's parent shares with the layer before, its last layer's with the layer after).
    Costs are far below what any pair is worth: among alignments that pair as well they choose the one with the
    fewest runs, cut at the shallowest bounds: a run of identical modules the model lacks (four of Xception's eight
    middle-flow modules) is skipped whole, not from the middle of one module to the middle of the next flow.

    Row by row in NumPy: `best` ends in a pair or a skip of ours, `down` in a skip of the model's layers;
    down[i][j] = max(down[i-1][j], best[i-1][j] - _GAP), ends[j] = max(best[i-1][j-1] + score, down[i][j]) and
    best[i][j] = max(ends[j], max over k < j of ends[k] - opening[k] - _GAP - closing[j-1])."""
    rows, columns = score.shape
    parents = [layer.name.split(".")[:-1] for layer in ours]
    cut = [_GAP * _shared(parents[k], parents[k + 1]) for k in range(columns - 1)]
    opening = np.array([0, *cut], dtype=np.int64)
    closing = np.array([*cut, 0], dtype=np.int64)
    floor = np.iinfo(np.int64).min // 4
    best = np.full((rows + 1, columns + 1), floor, dtype=np.int64)
    down = np.full((rows + 1, columns + 1), floor, dtype=np.int64)
    best[0, 0] = 0
    best[0, 1:] = -_GAP

    def ends_of(i: int) -> np.ndarray:
        ends = down[i].copy()
        paired = np.where(score[i - 1] > 0, best[i - 1, :-1] + score[i - 1], floor)
        ends[1:] = np.maximum(ends[1:], paired)
        return ends

    for i in range(1, rows + 1):
        down[i] = np.maximum(down[i - 1], best[i - 1] - _GAP)
        ends = ends_of(i)
        skipped = np.maximum.accumulate(ends[:-1] - opening) - _GAP - closing
        best[i] = ends
        best[i, 1:] = np.maximum(ends[1:], skipped)
    # Back from the end; where skipping is as good as pairing, skipping.
    pairs = []
    i, j, state = rows, columns, "best"
    while i > 0 and j > 0:
        if state == "down":
            state = "best" if down[i, j] == best[i - 1, j] - _GAP else "down"
            i -= 1
            continue
        if best[i, j] == down[i, j]:
            state = "down"
            continue
        ends = ends_of(i)
        runs = ends[:j] - opening[:j] - _GAP - closing[j - 1]
        if best[i, j] == runs.max():  # a run of our layers skipped: back to the nearest k it starts after
            j = int(np.flatnonzero(runs == best[i, j])[-1])
            state = "paired" if j > 0 and ends[j] != down[i, j] else "down"
            if state == "down":
                continue
        pairs.append((i - 1, j - 1))
        i, j, state = i - 1, j - 1, "best"
    return pairs[::-1]


def _signature(record: LayerRecord) -> tuple[object, ...]:
    return (record.kind, *(getattr(record, attribute) for attribute in _ATTRIBUTES))


def _reordered_pairs(
    yours: tuple[LayerRecord, ...], ours: tuple[LayerRecord, ...], pairs: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """`pairs` and, for each layer of yours left unpaired, an unpaired layer of ours identical in every attribute,
    the nearest to where the preceding pair puts it (within _WINDOW)."""
    paired_ours = {o for _, o in pairs}
    free: dict[tuple[object, ...], list[int]] = {}
    for index, record in enumerate(ours):
        if index not in paired_ours:
            free.setdefault(_signature(record), []).append(index)
    anchor = dict(pairs)
    added = []
    last = (-1, -1)
    for index, record in enumerate(yours):
        if index in anchor:
            last = (index, anchor[index])
            continue
        expected = last[1] + (index - last[0])
        candidates = free.get(_signature(record), [])
        if not candidates:
            continue
        nearest = min(candidates, key=lambda o: (abs(o - expected), o))
        if abs(nearest - expected) <= _WINDOW:
            candidates.remove(nearest)
            added.append((index, nearest))
    return sorted(pairs + added)


def _names(
    yours: tuple[LayerRecord, ...], ours: tuple[LayerRecord, ...], pairs: list[tuple[int, int]]
) -> tuple[tuple[str, str], ...]:
    """Our name for each paired layer; for an unpaired one, its own name (`/` for `.`) under the block of the
    paired layer before it if it reads that layer's output (a ReLU a model adds after a convolution), else under
    the block of the paired layer after it (a max pool that starts a branch where ours has an average pool)."""
    taken = {u: ours[o].name for u, o in pairs}
    following: list[int | None] = [None] * len(yours)
    upcoming = None
    for index in range(len(yours) - 1, -1, -1):
        following[index] = upcoming
        if index in taken:
            upcoming = index
    names = []
    previous = None
    for index, record in enumerate(yours):
        if index in taken:
            previous = index
            names.append((record.name, taken[index]))
            continue
        after = following[index]
        reads_previous = previous is not None and record.input_shapes[:1] == (yours[previous].output_shape,)
        anchor = previous if reads_previous or after is None else after
        block = _parent(taken[anchor]) if anchor is not None else ""
        own = record.name.replace(".", "/")
        names.append((record.name, f"{block}.{own}" if block else own))
    return tuple(names)


def _same(attribute: str, mine: object, theirs: object) -> bool:
    """Whether an attribute agrees; a global pool's 2048 and 1×1×2048 are one output, flattened or not; the channels
    of a user's class declared of a kind (`--kind RBF=rbf`), which the probe does not read, are no difference."""
    if attribute == "channels" and mine is None:
        return True
    if attribute == "output_shape" and isinstance(mine, tuple) and isinstance(theirs, tuple):
        return math.prod(mine) == math.prod(theirs) and (len(mine) == 1 or len(theirs) == 1 or mine == theirs)
    return mine == theirs


def _shared(first: list[str], second: list[str]) -> int:
    """How many leading name components two parents share."""
    common = min(len(first), len(second))
    return next((index for index in range(common) if first[index] != second[index]), common)


def _parent(name: str) -> str:
    return name.rpartition(".")[0]


def _structural(record: LayerRecord) -> bool:
    return record.kind in _STRUCTURAL


def _describe(record: LayerRecord) -> str:
    parts = [record.kind]
    if record.kernel:
        parts.append(f"{_text(record.kernel)}/{_text(record.stride)}")
    if record.channels:
        parts.append(f"{record.channels} channels")
    return f"{record.name} ({', '.join(parts)}, output {_text(record.output_shape)})"


def _text(value: object) -> str:
    if isinstance(value, tuple):
        return "×".join(map(str, value))
    return str(value)
