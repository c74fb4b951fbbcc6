"""Claim × Trace -> Verdict: measure what a claim states and judge it against what was printed."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import NamedTuple

from paperverify.claims import Claim
from paperverify.kinds import ACTIVATIONS, POOLING, UNKNOWN, UnknownKindError
from paperverify.printed import Interval
from paperverify.quantities import measure
from paperverify.structure import LayerSpec
from paperverify.trace import SHORTCUT, LayerRecord, Trace, unknown_kinds

#: Layer kinds a printed structure lists; normalisation, activations and additions are not printed, except
#: where a cell prints them (VGG Table 1's `LRN`): a kind the cell lists is compared too.
STRUCTURE_KINDS = frozenset({"conv2d", "dense", "maxpool", "avgpool", "softmax"})
#: A printed layer of this kind ("Pool 7 × 7", MobileNet Table 1's filter shape) is any pooling layer.
ANY_POOL = "pool"


class Status(Enum):
    """What checking one claim in one framework found, in the order the report counts them."""

    #: The measured value lies in the interval the printed value admits.
    MATCH = "match"
    MISMATCH = "mismatch"
    #: The measured value matches the corrected value of a recorded misprint.
    ERRATUM = "erratum"
    #: A third-party model departs from the paper here on purpose, as recorded with reason and citation.
    DEVIATION = "deviation"
    #: The claim could not be measured (the model failed to build or probe, a point is missing, ...).
    ERROR = "error"
    SKIPPED = "skipped"

    @property
    def passing(self) -> bool:
        return self in (Status.MATCH, Status.ERRATUM, Status.DEVIATION)

    @property
    def failing(self) -> bool:
        """Fails a run (exit code 1): the value departs from the paper, or could not be measured."""
        return self in (Status.MISMATCH, Status.ERROR)


#: The statuses, as a verdict and the report write them.
STATUSES: tuple[str, ...] = tuple(status.value for status in Status)
#: Statuses that pass: the value matches the paper, a recorded misprint's correction, or a recorded deliberate
#: difference of a third-party model.
PASSING: tuple[str, ...] = tuple(status.value for status in Status if status.passing)
#: Statuses that fail a run.
FAILING: tuple[str, ...] = tuple(status.value for status in Status if status.failing)
#: The order summaries count the statuses in: the passing ones, then the failing ones, then the skipped.
SUMMARY_ORDER: tuple[str, ...] = (*PASSING, *FAILING, Status.SKIPPED.value)
#: A claim judged not to apply to the model, with the reason.
SKIPPED = Status.SKIPPED.value


@dataclass(frozen=True)
class Verdict:
    """One claim judged in one framework.

    `status` is a `Status` value; `offset` is measured minus printed value (numbers); `relative` is that offset
    over the printed value, for plotting; `detail` says where and why.
    """

    claim: str
    framework: str
    status: str
    printed: str
    expected: str
    measured: str
    offset: str
    tolerance: str
    detail: str = ""
    relative: float | None = None


class _Outcome(NamedTuple):
    ok: bool
    expected: str
    measured: str
    offset: str = ""
    relative: float | None = None
    detail: str = ""


def judge(claim: Claim, trace: Trace) -> Verdict:
    """Measure `claim.quantity` on `trace` and compare it with the claim's expected value."""
    try:
        outcome = _compare(claim, trace)
    except KeyError as err:
        return error(claim, trace.framework, f"named point missing: {err.args[0]}")
    status = (Status.ERRATUM if claim.erratum else Status.MATCH) if outcome.ok else Status.MISMATCH
    return Verdict(
        claim=claim.id,
        framework=trace.framework,
        status=status.value,
        printed=claim.printed,
        expected=outcome.expected,
        measured=outcome.measured,
        offset=outcome.offset,
        tolerance=claim.tolerance,
        detail=outcome.detail,
        relative=outcome.relative,
    )


def safe_judge(claim: Claim, trace: Trace) -> Verdict:
    """`judge`, with anything a malformed trace makes it raise turned into an `error` verdict."""
    try:
        return judge(claim, trace)
    except Exception as err:  # a trace of the wrong shape is reported, never crashes the run
        return error(claim, trace.framework, f"could not measure {claim.quantity}: {type(err).__name__}: {err}")


def error(claim: Claim, framework: str, detail: str) -> Verdict:
    """The verdict for a claim that could not be measured (the model failed to build or probe)."""
    return Verdict(
        claim.id, framework, Status.ERROR.value, claim.printed, describe(claim), "", "", claim.tolerance, detail
    )


def describe(claim: Claim) -> str:
    """The expected value of a claim as text: an interval, a shape, or the printed layers."""
    if claim.quantity in ("output_shape", "input_shape"):
        return "×".join(map(str, claim.expected))
    if claim.quantity == "structure":
        return f"{len(claim.expected)} layers: " + "; ".join(map(str, claim.expected))
    if claim.quantity == "activation":
        return ", ".join(claim.expected)
    return str(claim.expected)


def _compare(claim: Claim, trace: Trace) -> _Outcome:
    quantity = claim.quantity
    if quantity == "output_shape":
        expected = claim.expected
        shape = trace.point(claim.point).output_shape
        text = "×".join(map(str, shape))
        return _Outcome(_same_shape(shape, expected), describe(claim), text, detail=f"at {claim.point}")
    if quantity == "input_shape":
        return _compare_input_shape(claim, trace)
    if quantity == "structure":
        return _compare_structure(claim, trace)
    if quantity == "activation":
        return _compare_activations(claim, trace)
    value = measure(claim, trace)
    interval = claim.expected
    assert isinstance(interval, Interval)
    printed = (interval.low + interval.high) / 2
    offset = Decimal(value) - printed
    relative = float(offset / printed) if printed else None
    percent = f" ({relative:+.2%})" if relative is not None else ""
    return _Outcome(
        value in interval, str(interval), _plain(Decimal(value)), f"{_plain(offset, sign=True)}{percent}", relative
    )


def _compare_input_shape(claim: Claim, trace: Trace) -> _Outcome:
    """The shape each of the row's named points receives: the first input of its first layer."""
    for point in claim.layers:
        layers = trace.under((point,))
        if not layers:
            raise KeyError(f"no layer at named point {point!r}")
        shape = layers[0].input_shapes[0]
        if not _same_shape(shape, claim.expected):
            return _Outcome(False, describe(claim), "×".join(map(str, shape)), detail=f"into {point}")
    return _Outcome(True, describe(claim), "×".join(map(str, shape)), detail=f"into {claim.layers[0]}")


def _compare_activations(claim: Claim, trace: Trace) -> _Outcome:
    """The activation functions under each of the row's points (less those excluded), each once in the order they
    first apply; the first point whose differ is named, with the layer that shows it. A sigmoid that a swish
    written out as x · σ(x) multiplies by is part of that swish."""
    swish_gates = {
        trace.layers[source].name
        for layer in trace.layers
        if layer.kind == "swish"
        for source in layer.sources or ()
        if source >= 0 and trace.layers[source].kind == "sigmoid"
    }
    for point in claim.layers:
        layers = trace.under((point,), claim.exclude)
        if not layers:
            raise KeyError(f"no layer at named point {point!r}")
        applied = [layer for layer in layers if layer.kind in ACTIVATIONS and layer.name not in swish_gates]
        found = tuple(dict.fromkeys(layer.kind for layer in applied))
        unknown = [layer for layer in layers if layer.kind == UNKNOWN]
        if found != claim.expected and unknown:
            raise UnknownKindError(unknown_kinds(unknown, f"the activation at {point}", "be told"))
        if found != claim.expected:
            text = ", ".join(found) or "none"
            other = next((layer for layer in applied if layer.kind not in claim.expected), None)
            detail = f"at {point}: " + (
                f"{other.name} is {other.kind}" + (f" ({other.origin})" if other.origin else "")
                if other is not None
                else f"found {text}"
            )
            return _Outcome(False, describe(claim), text, detail=detail)
    return _Outcome(True, describe(claim), describe(claim), detail=f"at {len(claim.layers)} points")


def _same_shape(shape: tuple[int, ...], expected: tuple[int, ...]) -> bool:
    """A printed H×W (compares the first two dimensions) or H×W×C. A vector of C features is the 1×1 or
    1×1×C papers print after a global pool (ResNet Table 1, GoogLeNet Table 1's linear 1×1×1000), and a
    printed count of units ("F6: layer 84", LeNet-5 Fig. 2) is a 1×1 map of that many channels."""
    if len(shape) == 1:
        shape = (1, 1, *shape)
    if len(expected) == 1:
        expected = (1, 1, *expected)
    return shape[: len(expected)] == expected


def _plain(value: Decimal, sign: bool = False) -> str:
    text = format(value.normalize(), "f")
    return f"+{text}" if sign and value >= 0 else text


def _compare_structure(claim: Claim, trace: Trace) -> _Outcome:
    expected: tuple[LayerSpec, ...] = claim.expected  # type: ignore[assignment]
    kinds = STRUCTURE_KINDS | {spec.kind for spec in expected}
    # A claim about a shortcut itself (Xception's Figure 5 prints its `Conv 1x1 stride=2x2`) lists its layers;
    # otherwise the shortcut is no part of the printed main path.
    about_shortcut = all(SHORTCUT in point.split(".") for point in claim.layers)
    found = [
        layer
        for layer in trace.side_by_side(trace.under(claim.layers, claim.exclude))
        if layer.kind in kinds and (about_shortcut or not layer.on_shortcut)
    ]
    if not found:
        raise KeyError(f"no layer under {list(claim.layers)}")
    summary_expected = f"{len(expected)} layers"
    summary_found = f"{len(found)} layers"
    for index, (spec, layer) in enumerate(zip(expected, found, strict=False)):
        problem = _differs(spec, layer)
        if problem:
            detail = f"layer {index + 1} ({layer.name}): expected {spec}, found {problem}"
            return _Outcome(False, summary_expected, summary_found, detail=detail)
    if len(expected) != len(found):
        extra = found[len(expected)].name if len(found) > len(expected) else f"expected {expected[len(found)]}"
        detail = f"expected {len(expected)} printed layers, found {len(found)}; first unmatched: {extra}"
        difference = len(found) - len(expected)
        return _Outcome(
            False, summary_expected, summary_found, f"{difference:+d} layers", difference / len(expected), detail
        )
    return _Outcome(True, summary_expected, summary_found)


def _differs(spec: LayerSpec, layer: LayerRecord) -> str:
    kernel = window(layer)
    stride = layer.stride[0] if layer.stride else None
    if fits_once(layer):
        stride = spec.stride  # a window that fits its input once never strides: MobileNet's "Avg Pool / s1"
    found = LayerSpec(
        ANY_POOL if spec.kind == ANY_POOL and layer.kind in POOLING else layer.kind,
        kernel[0] if kernel and spec.kernel is not None else None,
        layer.channels if spec.channels is not None else None,
        stride if spec.stride is not None else None,
        _kernel_depth(layer) if spec.depth is not None else None,
        layer.groups if spec.groups is not None else None,
    )
    square = kernel is None or spec.kernel is None or kernel[0] == kernel[1]
    if found != spec or not square:
        return f"{found} (kernel {kernel}, stride {layer.stride})"
    return ""


def window(layer: LayerRecord) -> tuple[int, int] | None:
    """A layer's kernel. A global pool (a pooling layer without a kernel of its own that gives 1×1 or a vector)
    pools its whole input: DenseNet Table 1's "7×7 global average pool" is a global pool over a 7×7 map."""
    if layer.kernel is not None or layer.kind not in POOLING or not layer.input_shapes:
        return layer.kernel
    source, output = layer.input_shapes[0], layer.output_shape
    if len(source) == 3 and (len(output) == 1 or output[:2] == (1, 1)):
        return (source[0], source[1])
    return None


def fits_once(layer: LayerRecord) -> bool:
    """Whether a pooling layer's window is its whole input, so that it gives one value per channel whatever its
    stride (a global pool, or a 7×7 pool with any stride on a 7×7 map)."""
    kernel = window(layer)
    if layer.kind not in POOLING or kernel is None or not layer.input_shapes or len(layer.input_shapes[0]) != 3:
        return False
    output = layer.output_shape
    return tuple(layer.input_shapes[0][:2]) == tuple(kernel) and (len(output) == 1 or tuple(output[:2]) == (1, 1))


def _kernel_depth(layer: LayerRecord) -> int | None:
    """The input channels each kernel of a convolution sees: its input channels over its groups."""
    if not layer.input_shapes or not layer.input_shapes[0]:
        return None
    return layer.input_shapes[0][-1] // layer.groups
