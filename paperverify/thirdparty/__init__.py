"""The third-party models paperverify knows: stage maps and recorded deviations, and the conformance run.

`keras_applications.toml` and `torchvision.toml` list, per model, the target that builds it, the paper and
variant it implements, the map that lines its layer names up with the paper's points, and its deliberate,
cited differences from the paper. `paperverify check` uses them for a target it knows; `paperverify
conformance SOURCE` checks every model of a source and writes one report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomllib

from paperverify import frameworks
from paperverify.check import (
    CheckError,
    Deviation,
    Invariant,
    Verification,
    select_claims,
    verify,
)
from paperverify.stagemap import StageMap, StageMapError
from paperverify.targets import load_target, parse_kwargs

SOURCES = {"keras-applications": "keras_applications.toml", "torchvision": "torchvision.toml"}
_HERE = Path(__file__).parent


class ThirdPartyError(ValueError):
    """A problem in a third-party model list, naming the file and the entry."""


@dataclass(frozen=True)
class Entry:
    """One third-party model: how to build it, which paper variant it implements, and how it differs."""

    source: str
    #: The framework the source's models are built with (the file's top-level `framework`).
    framework: str
    target: str
    paper: str
    variant: str
    kwargs: tuple[str, ...]
    stage_map: StageMap
    deviations: tuple[Deviation, ...]
    notes: tuple[str, ...]
    #: The configuration the model is built in, selecting the claims about it (`{alpha = 0.5, input_size = 160}`).
    config: tuple[tuple[str, Any], ...] = ()
    #: Claims of other configurations that hold at every one, carried to `config`.
    invariants: tuple[Invariant, ...] = ()


def load(source: str) -> list[Entry]:
    """The entries of one source (`keras-applications`, `torchvision`); ThirdPartyError on a bad file."""
    if source not in SOURCES:
        raise ThirdPartyError(f"unknown source {source!r}; expected one of {sorted(SOURCES)}")
    path = _HERE / SOURCES[source]
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    if data.get("framework") not in frameworks.NAMES:
        raise ThirdPartyError(
            f"{path}: framework must name the framework its models are built with, one of {list(frameworks.NAMES)}. "
            f"Received: {data.get('framework')!r}"
        )
    maps: dict[str, StageMap] = {}
    for name, entry in data.get("maps", {}).items():
        try:
            maps[name] = StageMap.of(entry.get("points", {}), entry.get("shortcuts", []))
        except StageMapError as err:
            raise ThirdPartyError(f"{path}, [maps.{name}]: {err}") from err
    deviations = _recorded(path, data, "deviations", Deviation)
    invariants = _recorded(path, data, "invariants", Invariant)
    entries = []
    for index, entry in enumerate(data.get("models", []), start=1):
        where = f"{path}, model {index} ({entry.get('target', '?')})"
        missing = sorted({"target", "paper", "variant"} - set(entry))
        if missing:
            raise ThirdPartyError(f"{where}: missing {missing}")
        if entry.get("map") not in (None, *maps):
            raise ThirdPartyError(f"{where}: unknown map {entry['map']!r}; maps: {sorted(maps)}")
        for kind, recorded in (("deviations", deviations), ("invariants", invariants)):
            unknown = sorted(set(entry.get(kind, [])) - set(recorded))
            if unknown:
                raise ThirdPartyError(f"{where}: unknown {kind} {unknown}; recorded: {sorted(recorded)}")
        if "invariants" in entry and "config" not in entry:
            raise ThirdPartyError(f"{where}: invariants carry claims to a configuration; give the entry a config")
        entries.append(
            Entry(
                source=source,
                framework=data["framework"],
                target=entry["target"],
                paper=entry["paper"],
                variant=entry["variant"],
                kwargs=tuple(entry.get("kwargs", [])),
                stage_map=maps[entry["map"]] if "map" in entry else StageMap(),
                deviations=tuple(deviations[name] for name in entry.get("deviations", [])),
                notes=tuple(entry.get("notes", [])),
                config=tuple(sorted(entry.get("config", {}).items())),
                invariants=tuple(invariants[name] for name in entry.get("invariants", [])),
            )
        )
    return entries


def _recorded(path: Path, data: dict[str, Any], kind: str, make: Callable[[tuple[str, ...], str, str], Any]) -> dict:
    """The `[deviations.NAME]` or `[invariants.NAME]` tables of a source: claims (patterns), reason, citation."""
    found = {}
    for name, entry in data.get(kind, {}).items():
        missing = sorted({"claims", "reason", "citation"} - set(entry))
        if missing:
            raise ThirdPartyError(f"{path}, [{kind}.{name}]: missing {missing}; each needs claims, reason and citation")
        found[name] = make(tuple(entry["claims"]), entry["reason"], entry["citation"])
    return found


def known(target: str, paper: str | None = None, kwargs: dict[str, Any] | None = None) -> Entry | None:
    """The shipped entry for `target` (e.g. `torchvision.models:resnet50`), if paperverify knows it; of several
    entries for one target (keras.applications' MobileNet at each alpha and input shape), the one built with
    these `kwargs`, else the first."""
    found = [
        entry for source in SOURCES for entry in load(source) if entry.target == target and paper in (None, entry.paper)
    ]
    same = [entry for entry in found if kwargs is not None and parse_kwargs(entry.kwargs) == kwargs]
    return (same or found or [None])[0]


def check_entry(entry: Entry) -> Verification:
    """Build one third-party model without weights and verify it; a model that cannot be built is all errors."""
    from paperverify import compare
    from paperverify.report import build

    kwargs = parse_kwargs(entry.kwargs)
    try:
        model, framework, _ = load_target(entry.target, kwargs)
    except CheckError as err:
        claims = select_claims(entry.paper, entry.variant, config=dict(entry.config), invariants=entry.invariants)
        framework = entry.framework
        verdicts = [compare.error(claim, framework, str(err)) for claim in claims]
        report = build([(claim, framework) for claim in claims], verdicts, [framework], subject=entry.target)
        return Verification(entry.target, entry.paper, entry.variant, framework, claims, verdicts, report)
    return verify(
        model,
        paper=entry.paper,
        variant=entry.variant,
        stage_map=entry.stage_map,
        deviations=entry.deviations,
        name=entry.target,
        config=dict(entry.config),
        invariants=entry.invariants,
    )


def run_conformance(source: str, progress: Callable[[int, int, str], None] | None = None) -> dict[str, Any]:
    """Check every model of `source` and build one report of all their claims."""
    from paperverify.report import build

    entries = load(source)
    checks, verdicts, problems, frameworks = [], [], [], []
    for done, entry in enumerate(entries, start=1):
        if progress is not None:
            progress(done, len(entries), entry.target)
        result = check_entry(entry)
        checks += [(claim, result.framework) for claim in result.claims]
        verdicts += result.verdicts
        problems += [f"{entry.target}: {problem}" for problem in result.report["problems"]]
        frameworks += [result.framework] if result.framework not in frameworks else []
    document = build(checks, verdicts, frameworks, subject=f"{source} conformance ({len(entries)} models)")
    document["problems"].extend(problems)
    document["models"] = [
        {"target": e.target, "paper": e.paper, "variant": e.variant, "notes": list(e.notes)} for e in entries
    ]
    return document
