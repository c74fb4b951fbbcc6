"""The one rule for comparing tensors (paperverify.closeness): scale-aware, with an absolute floor.

The case that motivated it, measured on an AMD EPYC: AlexNet's conv1 outputs reach 170 and Keras and PyTorch
differ there by 1.4e-4 (8e-7 of the magnitude, float32 rounding); an absolute 1e-4 called that a divergence.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from paperverify.closeness import ATOL, DEFAULT, RTOL, Closeness, assert_close


def test_float32_rounding_at_a_large_magnitude_is_close() -> None:
    ours = np.linspace(-170, 170, 1001, dtype=np.float32)
    yours = ours.copy()
    yours[500] += 1.4e-4
    difference = DEFAULT.compare(yours, ours)
    assert difference.close
    assert difference.absolute == pytest.approx(1.4e-4, rel=1e-3)
    assert difference.magnitude == 170
    assert difference.relative == pytest.approx(1.4e-4 / 170, rel=1e-3)


def test_a_departure_of_a_thousandth_of_the_magnitude_is_not_close() -> None:
    ours = np.linspace(-3, 3, 100)
    yours = ours.copy()
    yours[7] += 3e-3
    assert not DEFAULT.compare(yours, ours).close
    with pytest.raises(AssertionError, match=r"conv1 differ: max abs difference 0\.003 .* beyond rtol"):
        assert_close(yours, ours, what="conv1")


def test_the_floor_applies_to_tensors_near_zero() -> None:
    zeros = np.zeros(10)
    assert DEFAULT.compare(zeros, zeros).close and DEFAULT.compare(zeros, zeros).relative == 0
    assert DEFAULT.compare(zeros + ATOL / 2, zeros).close
    assert not DEFAULT.compare(zeros + 2 * ATOL, zeros).close
    assert DEFAULT.compare(zeros + 2 * ATOL, zeros).relative == 1


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_or_infinity_is_never_close(bad: float) -> None:
    ours = np.ones(4)
    yours = ours.copy()
    yours[2] = bad
    assert not DEFAULT.compare(yours, ours).close
    assert not DEFAULT.compare(ours, yours).close


def test_arrays_of_different_shapes_cannot_be_compared() -> None:
    with pytest.raises(ValueError, match=r"shapes \(2,\) and \(3,\)"):
        DEFAULT.compare(np.zeros(2), np.zeros(3))


@pytest.mark.parametrize(("rtol", "atol"), [(-1e-4, ATOL), (RTOL, -1.0), (math.nan, ATOL), (RTOL, math.inf)])
def test_a_bound_that_is_no_finite_non_negative_number_is_refused(rtol: float, atol: float) -> None:
    with pytest.raises(ValueError, match="must be a finite number ≥ 0"):
        Closeness(rtol, atol)


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, width=32)
pairs = st.integers(1, 50).flatmap(lambda n: st.tuples(hnp.arrays(np.float64, n, elements=finite),
                                                        hnp.arrays(np.float64, n, elements=finite)))  # fmt: skip


@given(pair=pairs, scale=st.floats(min_value=1e-3, max_value=1e3))
def test_without_a_floor_the_verdict_does_not_depend_on_the_unit(pair: tuple[np.ndarray, np.ndarray], scale: float):
    """Scaling both tensors (another unit, another weight scale) keeps the relative difference."""
    a, b = pair
    rule = Closeness(rtol=1e-3, atol=0.0)
    one, two = rule.compare(a, b), rule.compare(a * scale, b * scale)
    assert two.relative == pytest.approx(one.relative, rel=1e-9, abs=1e-12)


@given(pair=pairs)
def test_the_verdict_is_symmetric_and_follows_the_bound(pair: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = pair
    there, back = DEFAULT.compare(a, b), DEFAULT.compare(b, a)
    assert (there.absolute, there.magnitude, there.close) == (back.absolute, back.magnitude, back.close)
    assert there.close == (there.absolute <= ATOL + RTOL * there.magnitude)
    assert there.absolute == np.abs(a - b).max()
