"""Stage maps: line up a model whose layers are named differently with the paper's named points.

A map says which of the model's layers make up each paper point (`conv3_x` is torchvision's `layer2`, or
every Keras applications layer named `conv3_...`) and which lie on a shortcut branch. Applied to a Trace,
it renames each layer under a mapped model prefix to the paper's name (`layer2.0.conv1` ->
`conv3_x.0.conv1`; longest prefix wins, so `layer2.0` can map to the block `conv3_x.conv3_1`) and gives
shortcut layers a `shortcut` component, as the paper's depth excludes them. A model layer `P` is under the
prefix `p` when `P == p` or `P` continues `p` with `.`, `_` or `/`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

import tomllib

from paperverify.trace import SHORTCUT, Trace

_SEPARATORS = "._/"


class StageMapError(ValueError):
    """A stage map entry that cannot be used."""


@dataclass(frozen=True)
class StageMap:
    """Paper point -> the model layer prefixes that make it up, and the shortcut layers' name patterns."""

    points: tuple[tuple[str, tuple[str, ...]], ...] = ()
    shortcuts: tuple[str, ...] = field(default=())

    @classmethod
    def of(cls, points: Mapping[str, str | Sequence[str]], shortcuts: Iterable[str] = ()) -> StageMap:
        """A map from `{paper point: model prefix or prefixes}` and shell patterns of shortcut layers."""
        entries = []
        for paper, model in points.items():
            prefixes = (model,) if isinstance(model, str) else tuple(model) if isinstance(model, (list, tuple)) else ()
            if not paper or not prefixes or not all(isinstance(p, str) and p for p in prefixes):
                raise StageMapError(
                    f"stage map entry {paper!r}: expected a paper point and one or more model layer names. "
                    f"Received: {paper!r} = {model!r}"
                )
            entries.append((paper, prefixes))
        return cls(tuple(entries), tuple(shortcuts))

    def merged(self, other: StageMap) -> StageMap:
        """This map with `other`'s entries added; `other` wins for a paper point both name."""
        replaced = {paper for paper, _ in other.points}
        points = tuple(entry for entry in self.points if entry[0] not in replaced) + other.points
        return StageMap(points, self.shortcuts + other.shortcuts)

    def rename(self, name: str) -> str:
        """The paper's name for the model layer `name` (unchanged when no prefix covers it)."""
        best: tuple[int, str, str] | None = None
        for paper, prefixes in self.points:
            for prefix in prefixes:
                # The longest model prefix wins; on a tie the more specific paper point (`conv1.conv1_1` within
                # `conv1`), since the layer is then under both.
                if _is_under(name, prefix) and (best is None or (len(prefix), len(paper)) > (best[0], len(best[1]))):
                    best = (len(prefix), paper, prefix)
        shortcut = any(fnmatchcase(name, pattern) for pattern in self.shortcuts)
        if best is None:
            return f"{SHORTCUT}.{name}" if shortcut else name
        _, paper, prefix = best
        rest = name[len(prefix) :].lstrip(_SEPARATORS)
        parts = [paper, *([SHORTCUT] if shortcut else []), *([rest] if rest else [])]
        return ".".join(parts)

    def covers(self, name: str) -> bool:
        """Whether an entry of this map names the model layer `name` (a prefix or a shortcut pattern; an entry
        that keeps a name, `aux1 = "aux1"`, names it too)."""
        return any(_is_under(name, prefix) for _, prefixes in self.points for prefix in prefixes) or any(
            fnmatchcase(name, pattern) for pattern in self.shortcuts
        )

    def apply(self, trace: Trace) -> Trace:
        """The trace with every layer renamed to the paper's points."""
        if not self.points and not self.shortcuts:
            return trace
        return Trace(
            trace.framework, trace.input_shape, tuple(r._replace(name=self.rename(r.name)) for r in trace.layers)
        )


def parse_entries(entries: Iterable[str]) -> StageMap:
    """A map from command-line entries `PAPER_POINT=LAYER[,LAYER...]` (e.g. `conv3_x=layer2`)."""
    points: dict[str, list[str]] = {}
    for entry in entries:
        paper, sep, model = entry.partition("=")
        layers = [layer.strip() for layer in model.split(",") if layer.strip()]
        if not sep or not paper.strip() or not layers:
            raise StageMapError(f"--map expects PAPER_POINT=LAYER[,LAYER...], e.g. conv3_x=layer2. Received: {entry!r}")
        points.setdefault(paper.strip(), []).extend(layers)
    return StageMap.of(points)


def read(path: Path) -> StageMap:
    """A map file (TOML): `[points]` of `"paper point" = "model layer"` (or a list of them) and an optional
    top-level `shortcuts` list of shell patterns, as `check --write-map` writes it; StageMapError naming the
    file on anything else."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as err:
        raise StageMapError(f"cannot read the map file {path}: {err.strerror or err}") from err
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise StageMapError(f"{path}: expected a TOML map file. Received: {err}") from err
    unknown = sorted(set(data) - {"points", "shortcuts"})
    points, shortcuts = data.get("points", {}), data.get("shortcuts", [])
    if unknown or not isinstance(points, dict) or not isinstance(shortcuts, list):
        raise StageMapError(
            f"{path}: expected a [points] table and an optional shortcuts list. Received: keys {sorted(data)}"
        )
    try:
        return StageMap.of(points, [str(pattern) for pattern in shortcuts])
    except StageMapError as err:
        raise StageMapError(f"{path}: {err}") from err


def _is_under(name: str, prefix: str) -> bool:
    return name == prefix or (name.startswith(prefix) and name[len(prefix)] in _SEPARATORS)
