"""Check anyone's model against a paper: `verify` and `assert_matches` (paperverify.targets loads one from a
command-line target).

    import paperverify
    result = paperverify.verify(model, paper="he2016_resnet", variant="resnet50", stage_map={...})
    paperverify.assert_matches(model, paper="he2016_resnet", variant="resnet50")

The model (a `torch.nn.Module` or a functional `keras.Model`) goes through the same probes as the
implementations: a PyTorch model is probed through a meta-device copy (no data runs through it and its
weights are neither copied nor moved), a Keras model from its graph. A stage map lines its layer names up
with the paper's points; recorded deviations turn the mismatches a third-party model has on purpose into
`deviation` verdicts that carry their reason and citation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from paperverify import compare, frameworks, registry
from paperverify.alignment import SOFTMAX_LEFT_TO_LOSS, Alignment, align
from paperverify.claims import Claim, Config
from paperverify.compare import FAILING, SKIPPED, Status, Verdict
from paperverify.configuration import builder_defaults, infer, options_of, other_input
from paperverify.kinds import INERT, WEIGHT_LAYERS
from paperverify.probes import reference
from paperverify.quantities import QUANTITIES
from paperverify.stagemap import StageMap
from paperverify.tables import load_claims, paper_folders, with_shipped
from paperverify.trace import Trace


class CheckError(ValueError):
    """A usage problem: a target that cannot be loaded, an unknown paper or variant, a bad option."""


@dataclass(frozen=True)
class Deviation:
    """A deliberate, documented difference of a model from the paper, matching claim ids (shell patterns)."""

    claims: tuple[str, ...]
    reason: str
    citation: str

    def covers(self, claim_id: str) -> bool:
        return any(fnmatchcase(claim_id, pattern) for pattern in self.claims)

    def __str__(self) -> str:
        return f"recorded deviation: {self.reason} [{self.citation}]"


@dataclass(frozen=True)
class Invariant:
    """Claims that the paper's own words make hold at every configuration of a variant (MobileNet, Sec. 3.3:
    the width and resolution multipliers change no layer's type or stride), matched by shell patterns of
    claim ids. With a `config`, they are carried from the configuration they were printed for to it."""

    claims: tuple[str, ...]
    reason: str
    citation: str

    def covers(self, claim_id: str) -> bool:
        return any(fnmatchcase(claim_id, pattern) for pattern in self.claims)

    def __str__(self) -> str:
        return f"holds at every configuration: {self.reason} [{self.citation}]"


@dataclass
class Verification:
    """The verdicts of one model against one paper's claims for one variant, and the report built from them."""

    model: str
    paper: str
    variant: str
    framework: str
    claims: list[Claim]
    verdicts: list[Verdict]
    report: dict[str, Any] = field(repr=False)
    #: How the model's layers were lined up with ours when its names do not give the paper's points.
    alignment: Alignment | None = field(default=None, repr=False)
    #: Which of the paper's configurations the model was checked as, when the claims are printed for several.
    configuration: str = ""

    @property
    def ok(self) -> bool:
        """True when every claim matches, is a recorded erratum or a recorded deviation."""
        from paperverify.report import failed

        return not failed(self.report)

    @property
    def failures(self) -> list[Verdict]:
        return [verdict for verdict in self.verdicts if verdict.status in FAILING]

    def describe(self) -> str:
        """The failing claims with expected and found values, then the first divergence: a readable diff."""
        lines = [
            f"{self.model} against {self.paper} ({self.variant}, {self.framework}): "
            f"{len(self.failures)} of {len(self.verdicts)} claims fail"
        ]
        if self.configuration:
            lines.append(f"  {self.configuration}")
        if self.alignment is not None:
            lines.extend(f"  {line}" for line in self.alignment.summary())
        for verdict in self.failures:
            detail = f" ({verdict.detail})" if verdict.detail else ""
            lines.append(
                f"  {verdict.claim}: paper {verdict.printed!r}, expected {verdict.expected}, "
                f"found {verdict.measured or '-'}{detail}"
            )
        for item in self.report["divergences"]:
            lines.append(
                f"  first divergence ({item['label']}): at {item['point']} expected {item['expected']}, "
                f"found {item['measured'] or '-'}"
            )
        lines.extend(f"  problem: {problem}" for problem in self.report["problems"])
        return "\n".join(lines)


class PaperMismatchError(AssertionError):
    """Raised by `assert_matches`; the message lists every failing claim and the first divergence."""

    def __init__(self, verification: Verification) -> None:
        self.verification = verification
        super().__init__(verification.describe())


def framework_of(model: Any) -> str:
    """The name of the framework `model` belongs to (paperverify.frameworks); CheckError for anything else."""
    try:
        return frameworks.of(model).name
    except frameworks.FrameworkError as err:
        raise CheckError(str(err)) from err


def hint_of(target: str) -> str:
    """The name a target's callable goes by (`ResNet50` of `keras.applications:ResNet50`), which may spell the
    paper's variant (`select_claims`)."""
    return target.rpartition(":")[2].rpartition(".")[2]


def select_claims(
    paper: str,
    variant: str | None,
    tables: Iterable[Path | str] = (),
    hint: str = "",
    config: Mapping[str, Any] | None = None,
    invariants: Iterable[Invariant] = (),
    framework: str | None = None,
) -> list[Claim]:
    """The claims of `paper` about `variant`; CheckError naming the papers or variants there are.

    Without a variant, the one the paper describes is taken, or the one whose name `hint` (e.g. the
    callable's name, `ResNet50`) spells; otherwise the variant must be given. `config` keeps the claims about
    one configuration: those whose builder options hold these values (`input_size`: the size a claim is
    checked at), e.g. `{"alpha": 0.5, "input_size": 160}` for MobileNet's 0.5 MobileNet-160, and, from the
    other configurations, the claims an invariant covers, carried to `config` (see `carry`). With `framework`,
    an option a claim leaves to our builder's default has that default (SENet's Table 1 is `reduction=16`).
    """
    roots = with_shipped(tables)
    papers = sorted({folder.name for folder in paper_folders(roots)})  # a paper's folder is named after its id
    if paper not in papers:
        raise CheckError(f"no reference tables for paper {paper!r}. Papers: {papers}")
    of_paper = load_claims(roots, paper=paper)
    variants = sorted({claim.config.variant for claim in of_paper})
    if variant is None:
        spelled = [v for v in variants if _letters(v) == _letters(hint)]
        if len(variants) == 1 or spelled:
            variant = (spelled or variants)[0]
        else:
            raise CheckError(f"paper {paper!r} describes several variants; give one with --variant: {variants}")
    if variant not in variants:
        raise CheckError(f"paper {paper!r} makes no claim about variant {variant!r}. Variants: {variants}")
    chosen = [claim for claim in of_paper if claim.config.variant == variant]
    if config:
        defaults = builder_defaults(chosen, framework) if framework else {}
        carried = carry([c for c in chosen if not _configured(c, config, defaults)], config, invariants)
        chosen = [claim for claim in chosen if _configured(claim, config, defaults)] + carried
        if not chosen:
            raise CheckError(f"paper {paper!r} makes no claim about variant {variant!r} with config {dict(config)}")
    return chosen


def carry(claims: Iterable[Claim], config: Mapping[str, Any], invariants: Iterable[Invariant]) -> list[Claim]:
    """The claims an invariant covers, rebound to `config`: same printed value and source, checked at that
    configuration, under the id `<claim id>@<key>=<value>,...` (one claim id per configuration, so a report
    of several configurations holds each once) and with a note saying where it was printed and why it holds."""
    rules = list(invariants)
    tag = ",".join(f"{key}={value}" for key, value in sorted(config.items()))
    carried = []
    for claim in claims:
        rule = next((rule for rule in rules if rule.covers(claim.id)), None)
        if rule is None:
            continue
        options = {**claim.config.kwargs(), **{key: value for key, value in config.items() if key != "input_size"}}
        size = config.get("input_size", claim.config.input_size)
        rebound = Config(claim.config.variant, size, tuple(sorted(options.items())))
        note = f"printed for {claim.config}; {rule}"
        carried.append(replace(claim, id=f"{claim.id}@{tag}", config=rebound, notes=(*claim.notes, note)))
    return carried


def _configured(claim: Claim, config: Mapping[str, Any], defaults: Mapping[str, Any]) -> bool:
    """Whether a claim is printed for the configuration `config` names: the same options once our builder's
    defaults fill in those either leaves out, and the same input size if `config` gives one."""
    wanted = {**defaults, **config}
    size = wanted.pop("input_size", claim.config.input_size)
    return options_of(claim, defaults) == tuple(sorted(wanted.items())) and size == claim.config.input_size


def declared_kinds(kinds: Mapping[str, str]) -> AbstractContextManager[None]:
    """`paperverify.kinds.declaring`, a bad declaration a CheckError."""
    from paperverify import kinds as vocabulary

    try:
        return vocabulary.declaring(kinds)
    except vocabulary.UnknownKindError as err:
        raise CheckError(str(err)) from err


def parse_kinds(entries: Iterable[str]) -> dict[str, str]:
    """`--kind CLASS=KIND` entries as a mapping; CheckError on one without `=`."""
    found = {}
    for entry in entries:
        name, sep, kind = entry.partition("=")
        if not sep or not name.strip() or not kind.strip():
            raise CheckError(
                f"--kind expects CLASS=KIND, e.g. mypkg.blocks.Shuffle=channel_shuffle. Received: {entry!r}"
            )
        found[name.strip()] = kind.strip()
    return found


def probe_external(model: Any, framework: str, input_size: int, channels: int = 3) -> Trace:
    """Trace a user's model at input_size×input_size×channels, or at its own fixed input (a PyTorch model
    through a meta copy, a Keras model from its graph)."""
    return frameworks.get(framework).probe(model, input_size, channels)


def verify(
    model: Any,
    *,
    paper: str,
    variant: str | None = None,
    stage_map: StageMap | Mapping[str, str | Sequence[str]] | None = None,
    input_size: int | None = None,
    tables: Iterable[Path | str] = (),
    deviations: Iterable[Deviation] = (),
    name: str | None = None,
    config: Mapping[str, Any] | None = None,
    invariants: Iterable[Invariant] = (),
    kinds: Mapping[str, str] | None = None,
) -> Verification:
    """Judge `model` against every claim `paper` makes about `variant`.

    `stage_map` maps paper points to the model's layer names (`{"conv3_x": "layer2"}`), `input_size` is
    the side of the square input a PyTorch model is probed at (default: the paper's; a Keras model is
    probed at its own input), `tables` adds folders of reference tables, `deviations` are recorded
    deliberate differences, `config` keeps the claims about one configuration and `invariants` carries the
    claims that hold at every configuration to it (see `select_claims`), `kinds` declares the layer kinds of
    the model's own classes (`{"mypkg.blocks.Shuffle": "channel_shuffle"}`; paperverify.kinds.KINDS). A model
    that cannot be probed gives `error` verdicts, not an exception; a layer whose kind is unknown makes only the
    claims that need its kind errors.
    """
    from paperverify import report as reports

    declared_kinds(kinds or {})  # a bad declaration is a usage error before anything is probed
    framework = framework_of(model)
    label = name or type(model).__qualname__
    shape = frameworks.get(framework).fixed_input(model)
    if shape is not None and input_size is not None and shape != (input_size, input_size):
        raise CheckError(
            f"{label}: a model built for one input is checked at its own input, {shape}, "
            f"not at input_size={input_size}. Build it at that size instead "
            f"(e.g. --kwarg input_shape=({input_size},{input_size},3))."
        )
    claims = select_claims(
        paper, variant, tables, hint=hint_of(label), config=config, invariants=invariants, framework=framework
    )
    chosen = claims[0].config.variant
    channels = registry.get(chosen).input_channels
    mapping = stage_map if isinstance(stage_map, StageMap) or stage_map is None else StageMap.of(stage_map)
    raw: dict[int, Trace | Exception] = {}
    for size in dict.fromkeys(input_size or claim.config.input_size for claim in claims):
        try:
            with declared_kinds(kinds or {}):
                raw[size] = probe_external(model, framework, size, channels)
        except Exception as err:  # a model that cannot be probed is reported, claim by claim
            raw[size] = err
    measured = [trace for trace in raw.values() if isinstance(trace, Trace)]
    configuration = None
    if config is None and measured:
        try:
            configuration = infer(claims, measured[0])
        except Exception:  # no reference to tell the configurations apart: every claim is judged as it is
            configuration = None
    chosen_options = configuration.chosen if configuration else claims[0].config.options
    traces: dict[int, Trace | Exception] = {}
    alignment = None
    for size, found in raw.items():
        if isinstance(found, Exception):
            traces[size] = found
            continue
        reference = Config(chosen, size, _without_size(chosen_options))
        traces[size], lined_up = _lined_up(found, mapping or StageMap(), claims, reference)
        alignment = alignment or lined_up
    verdicts = []
    for claim in claims:
        found = traces[input_size or claim.config.input_size]
        if isinstance(found, Exception):
            verdicts.append(compare.error(claim, framework, f"{label}: {type(found).__name__}: {found}"))
        else:
            verdicts.append(_hint_missing_point(compare.safe_judge(claim, found), found))
    supplied = alignment.supplied if alignment is not None else None
    if supplied is not None:  # say it where it counts, on every claim that reads that point
        for index, (claim, verdict) in enumerate(zip(claims, verdicts, strict=True)):
            if supplied.name in (*claim.layers, claim.point):
                detail = f"{verdict.detail}; " if verdict.detail else ""
                verdicts[index] = replace(verdict, detail=f"{detail}{SOFTMAX_LEFT_TO_LOSS}")
    if config is None and measured:
        built_for = shape[0] if shape is not None else input_size
        if built_for not in {claim.config.input_size for claim in claims}:
            built_for = None  # built for an input the paper prints nothing for (227 for 224): every claim is judged
        for index, (claim, verdict) in enumerate(zip(claims, verdicts, strict=True)):
            if verdict.status in FAILING:
                reason = other_input(claim, built_for, traces[input_size or claim.config.input_size]) or (
                    configuration.not_applicable(claim) if configuration else None
                )
                if reason:
                    verdicts[index] = replace(verdict, status=SKIPPED, detail=reason)
    for size, found in traces.items():
        ours_config = Config(chosen, size, _without_size(chosen_options))
        for index, (claim, verdict) in enumerate(zip(claims, verdicts, strict=True)):
            if verdict.status in FAILING and (input_size or claim.config.input_size) == size:
                reason = _inert_left_out(claim, found, ours_config)
                if reason:
                    verdicts[index] = replace(verdict, status=SKIPPED, detail=reason)
        folded = _folded_batchnorm(found, ours_config)
        for index, (claim, verdict) in enumerate(zip(claims, verdicts, strict=True)):
            if folded and (input_size or claim.config.input_size) == size and _counts_parameters(claim, verdict):
                verdicts[index] = replace(verdict, status=SKIPPED, detail=folded)
    verdicts, problems = _apply_deviations(verdicts, list(deviations))
    document = reports.build(
        [(claim, framework) for claim in claims], verdicts, [framework], subject=f"{label} against {paper}"
    )
    document["problems"].extend(problems)
    described = configuration.describe() if configuration else ""
    return Verification(label, paper, chosen, framework, claims, verdicts, document, alignment, described)


def assert_matches(model: Any, **options: Any) -> Verification:
    """`verify(model, **options)`, raising PaperMismatchError (an AssertionError) unless everything matches."""
    verification = verify(model, **options)
    if not verification.ok:
        raise PaperMismatchError(verification)
    return verification


def names_give_points(trace: Trace, claims: Iterable[Claim]) -> bool:
    """Whether the trace's layer names give every named point the claims read."""
    points = {point for claim in claims for point in (*claim.layers, *([claim.point] if claim.point else []))}
    return all(trace.under((point,)) for point in points)


def _lined_up(trace: Trace, mapping: StageMap, claims: list[Claim], config: Config) -> tuple[Trace, Alignment | None]:
    """The trace under the paper's names: as the map renames it when that gives every point the claims read (our
    names, a map of the user's or a known third-party model's); otherwise lined up by structure with our
    implementation of `config` (paperverify.alignment), the map's entries overriding."""
    mapped = mapping.apply(trace)
    if names_give_points(mapped, claims):
        return mapped, None
    try:
        ours = reference(config, trace.framework)
    except Exception:  # no reference to line up with: the claims say which points are missing
        return mapped, None
    alignment = align(trace, ours)
    return alignment.apply(mapping), alignment


def _without_size(options: Iterable[tuple[str, Any]]) -> tuple[tuple[str, Any], ...]:
    return tuple(option for option in options if option[0] != "input_size")


def _counts_parameters(claim: Claim, verdict: Verdict) -> bool:
    return verdict.status == Status.MISMATCH.value and QUANTITIES[claim.quantity].parameters


def _folded_batchnorm(found: Trace | Exception, config: Config) -> str | None:
    """Why a model's parameters cannot be held to the paper's: it has no BatchNorm where ours has, and more of its
    convolutions and dense layers add a bias than ours (BatchNorm folded into them, as an inference export does: a
    bias where ours has BatchNorm's scale and offset). None if that is not so."""
    if isinstance(found, Exception) or found.batchnorms:
        return None
    try:
        ours = reference(config, found.framework)
    except Exception:  # no reference: the claims are judged as they are
        return None
    if not ours.batchnorms or _biased(found) <= _biased(ours):
        return None
    weights = (
        "are ours" if ours.kernels == found.kernels else f"differ from ours ({ours.kernels:,}): see the other claims"
    )
    return (
        f"yours has no BatchNorm, and biases where ours has {ours.batchnorms} BatchNorm layers: folded into its "
        "convolutions (as an inference export does), it does not hold the trained network's parameters the paper "
        f"counts; its {found.kernels:,} weights of convolutions and dense layers {weights}"
    )


def _biased(trace: Trace) -> int:
    return sum(1 for layer in trace.layers if layer.bias and layer.kind in WEIGHT_LAYERS)


def _inert_left_out(claim: Claim, found: Trace | Exception, config: Config) -> str | None:
    """Why a claim about a point an inference graph (an ONNX export) lacks is not held against it: at that point ours
    has only layers that pass their values on unchanged in inference (dropout, which an exporter leaves out); or
    why a claim on the rate of such a layer is not (the graph has none at all). None if neither is so."""
    points = list(dict.fromkeys(point for point in (*claim.layers, claim.point) if point))
    if isinstance(found, Exception) or not points or not frameworks.inference_only(found.framework):
        return None
    kind = QUANTITIES[claim.quantity].kind
    if kind in INERT and not any(layer.kind == kind for layer in found.layers):
        return f"yours has no {kind} layer at all: an inference export leaves {kind} out, so its rate cannot be read"
    if any(found.under((point,)) for point in points):
        return None
    try:
        ours = reference(config, found.framework)
    except Exception:  # no reference: the claim's error stands
        return None
    layers = ours.under(tuple(points))
    if not layers or any(layer.kind not in INERT for layer in layers):
        return None
    kinds = ", ".join(sorted({layer.kind for layer in layers}))
    return (
        f"yours has no layer at {', '.join(points)}, where ours has only {kinds}, which passes its values on unchanged "
        "in inference (an inference export leaves dropout out)"
    )


def _hint_missing_point(verdict: Verdict, trace: Trace) -> Verdict:
    if verdict.status != "error" or "named point missing" not in verdict.detail:
        return verdict
    return replace(verdict, detail=f"{verdict.detail}. Map it to the model's layer names with a stage map (--map)")


def _apply_deviations(verdicts: list[Verdict], deviations: list[Deviation]) -> tuple[list[Verdict], list[str]]:
    used: set[int] = set()
    result = []
    for verdict in verdicts:
        index = next((i for i, d in enumerate(deviations) if d.covers(verdict.claim)), None)
        if index is not None and verdict.status in FAILING:
            used.add(index)
            detail = f"{verdict.detail}; {deviations[index]}" if verdict.detail else str(deviations[index])
            verdict = replace(verdict, status="deviation", detail=detail)
        elif index is not None:
            detail = f"{verdict.detail}; " if verdict.detail else ""
            verdict = replace(verdict, detail=f"{detail}a deviation is recorded here but the model matches")
        result.append(verdict)
    problems = [
        f"recorded deviation explains no failing claim of this model (stale?): {deviation.claims} ({deviation.reason})"
        for index, deviation in enumerate(deviations)
        if index not in used
    ]
    return result, problems


def _letters(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())
