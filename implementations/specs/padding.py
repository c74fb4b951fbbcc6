"""TensorFlow's 'same' padding, which the papers' reference code uses (EfficientNet's, Xception's Keras
release) and no paper prints: the one definition both builders' 'same' layers use."""

from __future__ import annotations

import math


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow's 'same' padding (before, after) of one spatial dimension: the output has ⌈size / stride⌉
    positions, the extra padding of an odd total goes after."""
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2
