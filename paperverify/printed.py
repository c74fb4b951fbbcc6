"""Values as papers print them, and the tolerance their printed precision implies.

`3.8×10^9` states a value in [3.75, 3.85)×10^9 (also printed `3.8 · 10^9`, with a centred dot as the
multiplication sign; a power of ten alone, `10^-4`, is 1×10^-4); `569` one in [568.5, 569.5); `56×56` is an
exact shape. Digits may be grouped in threes by commas (`60,000`) or, as the Proceedings of the IEEE prints
them, by a space (`122 304`; a thin or narrow no-break space counts as a space), never by both. Parsing uses
`Decimal`, so the bounds are the printed digits, not binary approximations. Suffixes K, M, G scale by powers of
1000, or of 1024 where a table's column says its prefixes are binary (GoogLeNet's params column: `112K` is 112 ×
1024). A percentage is a number in hundredths: `94.86%` states a value in [0.94855, 0.94865). A fraction, `2/3`,
states its exact value; a program holds it in binary floating point, and 32-bit floats carry about seven
significant digits, so it admits a relative FRACTION_PRECISION either side.

Digits are ASCII (a digit of another script, `1٠8`, is no number here), at most MAX_DIGITS significant ones,
and a power of ten at most MAX_EXPONENT: beyond, a print is an error rather than a value rounded or overflowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from paperverify.kinds import ACTIVATION_WORDS

_NUMBER = re.compile(
    r"^(?P<mantissa>[0-9]+(?:(?:,[0-9]{3})+|(?:[ \u2009\u202f][0-9]{3})+)?(?:\.[0-9]+)?)"
    r"(?:\s*[×·]\s*10\^(?P<exponent>[+-]?[0-9]+))?"
    r"\s*(?P<suffix>[KMGB%])?$"
)
#: A power of ten printed alone (AlexNet's α = 10^-4): the number 1×10^-4.
_BARE_POWER = re.compile(r"^10\^(?P<sign>[+\-\u2212]?)(?P<exponent>[0-9]+)$")
_FRACTION = re.compile(r"^(?P<numerator>[0-9]{1,9})/(?P<denominator>[1-9][0-9]{0,8})$")
_SUFFIX = {None: 0, "K": 3, "M": 6, "G": 9, "B": 9, "%": -2}
_BINARY_POWER = {"K": 1, "M": 2, "G": 3}
_SHAPE = re.compile(r"^[0-9]+(?:\s*×\s*[0-9]+)*$")
_X_SHAPE = re.compile(r"^(?P<shape>[0-9]+(?:x[0-9]+)+)\s+(?:images|feature maps)$")
_VECTOR = re.compile(r"^(?P<features>[0-9]+)-dimensional vectors?$")


#: The most significant digits a printed number may have (Decimal's precision: more would be rounded).
MAX_DIGITS = 28
#: The largest power of ten a printed number may carry (papers print up to 10^12; 10^30 leaves room).
MAX_EXPONENT = 30
#: The relative half-width a printed fraction admits: a 32-bit float holds 2/3 to within 3×10^-8 of it, and a
#: constant measured through the function it scales (a tanh's slope) to within a few times that.
FRACTION_PRECISION = Decimal("1e-6")


class PrintedValueError(ValueError):
    """A cell that does not parse as the quantity its column declares."""


@dataclass(frozen=True)
class Interval:
    """A half-open interval [low, high) of values a printed number admits, or one exact value."""

    low: Decimal
    high: Decimal

    @classmethod
    def exactly(cls, value: Decimal) -> Interval:
        """The degenerate interval holding `value` alone (an exact printed integer such as a stride)."""
        return cls(value, value)

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, (int, Decimal)):
            return False
        return value == self.low if self.low == self.high else self.low <= value < self.high

    def __str__(self) -> str:
        if self.low == self.high:
            return f"= {_plain(self.low)}"
        return f"[{_plain(self.low)}, {_plain(self.high)})"


@dataclass(frozen=True)
class PrintedNumber:
    """A number as printed, its value, and the half-width its last printed digit implies."""

    text: str
    value: Decimal
    half_unit: Decimal
    exponent: int = 0
    binary_suffix: str = ""

    def precision(self) -> str:
        """The half-unit in the print's own scale: `3.8×10^9` -> `0.05×10^9`, `569` -> `0.5`, binary `159K`
        -> `0.5K (K = 1024)`, a fraction's relative width."""
        if _FRACTION.match(self.text):
            return f"{_plain(FRACTION_PRECISION)} relative (a fraction, held in binary floating point)"
        if self.binary_suffix:
            unit = Decimal(1024) ** _BINARY_POWER[self.binary_suffix]
            mantissa = format((self.half_unit / unit / Decimal(10) ** self.exponent).normalize(), "f")
            scale = f"×10^{self.exponent}" if self.exponent else ""
            power = _BINARY_POWER[self.binary_suffix]
            unit_text = "1024" if power == 1 else f"1024^{power}"
            return f"{mantissa}{scale}{self.binary_suffix} ({self.binary_suffix} = {unit_text})"
        mantissa = format((self.half_unit / Decimal(10) ** self.exponent).normalize(), "f")
        if self.text.endswith("%") and self.exponent == -2:
            return f"{mantissa}%"
        return f"{mantissa}×10^{self.exponent}" if self.exponent else mantissa

    def scaled(self, exponent: int) -> PrintedNumber:
        """The same print in a unit of 10^exponent (a table 'in millions' is scaled by 10^6)."""
        factor = Decimal(10) ** exponent
        return PrintedNumber(self.text, self.value * factor, self.half_unit * factor, self.exponent + exponent)

    def interval(self, absolute: Decimal | None = None) -> Interval:
        """Values the print admits; `absolute` replaces the precision-derived half-width."""
        half = self.half_unit if absolute is None else absolute
        return Interval(self.value - half, self.value + half)


def parse_number(text: str, *, binary: bool = False) -> PrintedNumber:
    """Parse `3.8×10^9`, `25.6M`, `60,000`, `122 304` or `569` into its value and precision.

    With `binary`, the suffixes K, M, G stand for 1024, 1024², 1024³. Raises PrintedValueError naming what
    was received.
    """
    cleaned = text.strip()
    if fraction := _FRACTION.match(cleaned):
        value = Decimal(fraction["numerator"]) / Decimal(fraction["denominator"])
        return PrintedNumber(text=cleaned, value=value, half_unit=value * FRACTION_PRECISION)
    match = _NUMBER.match(_with_mantissa(cleaned))
    if not match:
        raise PrintedValueError(f"expected a number such as 569, 4.2, 25.6M, 3.8×10^9 or 2/3. Received: {text!r}")
    mantissa_text = re.sub(r"[, \u2009\u202f]", "", match["mantissa"])
    digits = len(mantissa_text.replace(".", "").lstrip("0"))
    if digits > MAX_DIGITS:
        raise PrintedValueError(
            f"expected at most {MAX_DIGITS} significant digits. Received: {digits} in {text[:40]!r}"
        )
    exponent_text = match["exponent"] or "0"
    if len(exponent_text.lstrip("+-")) > 3 or abs(int(exponent_text)) > MAX_EXPONENT:
        raise PrintedValueError(f"expected a power of ten up to 10^{MAX_EXPONENT}. Received: {text[:40]!r}")
    try:
        mantissa = Decimal(mantissa_text)
    except InvalidOperation as err:  # pragma: no cover - the regex admits only digits
        raise PrintedValueError(f"expected a number. Received: {text!r}") from err
    decimals = len(mantissa_text.split(".")[1]) if "." in mantissa_text else 0
    suffix = match["suffix"]
    if binary and suffix in _BINARY_POWER:
        exponent = int(match["exponent"] or 0)
        scale = Decimal(10) ** exponent * Decimal(1024) ** _BINARY_POWER[suffix]
        return PrintedNumber(
            text=cleaned,
            value=mantissa * scale,
            half_unit=Decimal("0.5") * Decimal(10) ** -decimals * scale,
            exponent=exponent,
            binary_suffix=suffix,
        )
    exponent = int(match["exponent"] or 0) + _SUFFIX[suffix]
    scale = Decimal(10) ** exponent
    return PrintedNumber(
        text=cleaned,
        value=mantissa * scale,
        half_unit=Decimal("0.5") * Decimal(10) ** (exponent - decimals),
        exponent=exponent,
    )


def unit_of(text: str) -> str:
    """The scale a printed number carries after its digits, spaces removed: `3.8×10^9` and `3.8 · 10^9` ->
    `×10^9`, `25.6M` -> `M`, `569` -> ``. PrintedValueError if the text is not a number."""
    if _FRACTION.match(text.strip()):
        return ""
    cleaned = _with_mantissa(text.strip())
    match = _NUMBER.match(cleaned)
    if not match:
        raise PrintedValueError(f"expected a number such as 569, 4.2, 25.6M or 3.8×10^9. Received: {text!r}")
    return "".join(cleaned[match.end("mantissa") :].split()).replace("·", "×")


def _with_mantissa(text: str) -> str:
    """`10^-4` (or `10^−4`, with a minus sign) as `1×10^-4`; any other text as it is."""
    bare = _BARE_POWER.match(text)
    if bare is None:
        return text
    sign = "-" if bare["sign"] in ("-", "\u2212") else ""
    return f"1×10^{sign}{bare['exponent']}"


def parse_shape(text: str) -> tuple[int, ...]:
    """Parse a printed shape `56×56` or `7×7×512` (H×W[×C]) into a tuple of ints. Xception's Figure 5
    (arXiv 1610.02357v3, p. 5) prints `299x299x3 images`, `19x19x728 feature maps` (an ASCII x and what the
    numbers count) and `2048-dimensional vectors` (a vector of 2048 features)."""
    cleaned = text.strip()
    if vector := _VECTOR.match(cleaned):
        return (int(vector["features"]),)
    if maps := _X_SHAPE.match(cleaned):
        cleaned = maps["shape"].replace("x", "×")
    if not _SHAPE.match(cleaned):
        raise PrintedValueError(
            "expected a shape such as 56×56, 7×7×512, 19x19x728 feature maps or 2048-dimensional vectors. "
            f"Received: {text!r}"
        )
    return tuple(int(part) for part in cleaned.split("×"))


def parse_activations(text: str) -> tuple[str, ...]:
    """Parse the activation functions a paper names, in the order they apply (`ReLU`, `swish`, `ReLU, sigmoid`,
    `scaled hyperbolic tangent`), into layer kinds (paperverify.kinds: `relu`, `swish`, `sigmoid`, `tanh`)."""
    words = [word.strip() for word in text.split(",")]
    unknown = [word for word in words if word.lower() not in ACTIVATION_WORDS]
    if unknown or not text.strip():
        raise PrintedValueError(
            f"expected activation functions separated by commas, each one of {sorted(ACTIVATION_WORDS)} "
            f"(any case). Received: {text!r}" + (f"; not one: {', '.join(map(repr, unknown))}" if unknown else "")
        )
    return tuple(dict.fromkeys(ACTIVATION_WORDS[word.lower()] for word in words))


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else str(value.normalize())
