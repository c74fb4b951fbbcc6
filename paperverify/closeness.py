"""The one rule for comparing two tensors that should hold the same values: scale-aware.

Two float32 computations of the same network (Keras and PyTorch, or one framework on an AMD and on an Intel
processor) differ in their last bits, and the difference grows with the magnitude of the values summed: an
AlexNet conv1 whose outputs reach 170 differs by 1.4e-4 between the frameworks on one processor, a relative
8e-7. So the bound is relative to the magnitude of the tensors compared, with an absolute floor for tensors
whose values are all near zero:

    max |a − b|  ≤  atol + rtol · max(max |a|, max |b|)

The magnitude is the whole tensor's, not each element's: a value near zero that is the sum of large terms
carries the rounding of those terms, so an element-wise relative bound would fail on correct models.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Relative bound: float32 carries about 7 significant digits; the deepest catalogue networks, run in two
#: frameworks with random weights, differ by at most about 3e-6 of their magnitude (measured, docs/equivalence.md).
RTOL = 1e-4
#: Absolute floor, for tensors whose values are all near zero.
ATOL = 1e-6


@dataclass(frozen=True)
class Difference:
    """How far two tensors are apart: the largest absolute difference, the magnitude it is measured against,
    and whether it is within the bound."""

    absolute: float
    magnitude: float
    close: bool

    @property
    def relative(self) -> float:
        """The largest absolute difference over the magnitude (0 for two equal tensors of zeros)."""
        if self.magnitude > 0:
            return self.absolute / self.magnitude
        return 0.0 if self.absolute == 0 else math.inf

    def __str__(self) -> str:
        return f"max abs difference {self.absolute:.3g} ({self.relative:.3g} of magnitude {self.magnitude:.3g})"


@dataclass(frozen=True)
class Closeness:
    """A bound `atol + rtol · magnitude` on the largest absolute difference of two tensors."""

    rtol: float = RTOL
    atol: float = ATOL

    def __post_init__(self) -> None:
        for name in ("rtol", "atol"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number ≥ 0. Received: {name}={value!r}")

    def compare(self, a: np.ndarray, b: np.ndarray) -> Difference:
        """The difference of two arrays of one shape; NaN or infinity in either is never close."""
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if a.shape != b.shape:
            raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}")
        if not (np.isfinite(a).all() and np.isfinite(b).all()):
            return Difference(math.nan, math.nan, False)
        absolute = float(np.abs(a - b).max(initial=0.0))
        magnitude = float(max(np.abs(a).max(initial=0.0), np.abs(b).max(initial=0.0)))
        return Difference(absolute, magnitude, absolute <= self.bound(magnitude))

    def bound(self, magnitude: float) -> float:
        """The largest absolute difference allowed between tensors of that magnitude."""
        return self.atol + self.rtol * magnitude

    def __str__(self) -> str:
        return f"rtol {self.rtol:g}, atol {self.atol:g}"


DEFAULT = Closeness()


def assert_close(actual: np.ndarray, expected: np.ndarray, closeness: Closeness = DEFAULT, what: str = "") -> None:
    """AssertionError naming `what` and the difference unless the two arrays are close."""
    difference = closeness.compare(actual, expected)
    if not difference.close:
        raise AssertionError(f"{what or 'arrays'} differ: {difference}, beyond {closeness}")
