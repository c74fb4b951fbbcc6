"""LeNet-5 in Keras 3 (LeCun et al., Proc. IEEE 86(11), 1998, Sec. II.B and Fig. 2, PDF pp. 6-8).

Layer names follow the paper and match the PyTorch builder: C1.conv, C1.squash, S2.subsample, ..., F6.fc,
F6.squash, output. Feature maps are NHWC; F6 and the RBF output act on the channels at every position of
C5's map (a single position at the paper's 32×32 input; see specs.lenet5).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import layers, ops

from implementations.specs.lenet import (
    C1,
    C3,
    C5,
    F6,
    INPUT_CHANNELS,
    INPUT_SIZE,
    NUM_CLASSES,
    S2,
    S4,
    SQUASH_A,
    SQUASH_S,
    Convolution,
)


class Squash(layers.Layer):
    """The squashing function f(a) = A tanh(S a), Eq. (6), PDF p. 8; A = 1.7159, S = 2/3 (Appendix A, p. 41)."""

    paperverify_kind = "tanh"

    def call(self, x):
        return SQUASH_A * ops.tanh(SQUASH_S * x)

    def compute_output_shape(self, input_shape):
        return input_shape


class Subsample(layers.Layer):
    """A subsampling layer (Sec. II.B, PDF pp. 7-8): each window×window window of a map summed, times a
    trainable coefficient of that map, plus a trainable bias of that map."""

    paperverify_kind = "subsample"

    def __init__(self, window: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.window = window

    def build(self, input_shape) -> None:
        maps = input_shape[-1]
        # Starts as the average of the window (Sec. II.A, PDF p. 7: "computes the average of its four inputs").
        self.coefficient = self.add_weight((maps,), keras.initializers.Constant(1.0 / self.window**2), name="weight")
        self.bias = self.add_weight((maps,), "zeros", name="bias")

    def paperverify_attributes(self) -> dict[str, Any]:
        window = (self.window, self.window)
        return {"kernel": window, "stride": window, "channels": self.coefficient.shape[0], "bias": True}

    def call(self, x):
        sums = ops.average_pool(x, self.window, self.window, "valid") * float(self.window**2)
        return sums * self.coefficient + self.bias

    def compute_output_shape(self, input_shape):
        batch, height, width, maps = input_shape
        return (batch, height // self.window, width // self.window, maps)

    def get_config(self) -> dict:
        return {**super().get_config(), "window": self.window}


class TableConv2D(layers.Layer):
    """A convolution whose output map j reads only the input maps `table[j]` (C3, Table I, PDF p. 8).

    Only connected kernels are weights: `kernel` holds one kh×kw kernel per connected (input map, output map)
    pair, in table order (kh×kw×pairs), and `bias` one bias per output map. The full HWIO kernel, zero where
    the table has no X, is assembled on every call.
    """

    paperverify_kind = "conv2d"

    def __init__(self, table: tuple[tuple[int, ...], ...], kernel_size: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.table = tuple(tuple(maps) for maps in table)
        self.kernel_size = kernel_size

    def build(self, input_shape) -> None:
        in_maps, out_maps = input_shape[-1], len(self.table)
        pairs = [(inp, out) for out, maps in enumerate(self.table) for inp in maps]
        placement = np.zeros((len(pairs), in_maps * out_maps), dtype="float32")
        for index, (inp, out) in enumerate(pairs):
            placement[index, inp * out_maps + out] = 1.0
        self.placement = placement
        self.in_maps = in_maps
        self.kernel = self.add_weight((self.kernel_size, self.kernel_size, len(pairs)), "glorot_uniform", name="kernel")
        self.bias = self.add_weight((out_maps,), "zeros", name="bias")

    def paperverify_attributes(self) -> dict[str, Any]:
        return {
            "kernel": (self.kernel_size, self.kernel_size),
            "stride": (1, 1),
            "channels": len(self.table),
            "links": self.kernel.shape[-1],
            "bias": True,
        }

    def full_kernel(self):
        """The HWIO kernel of an ordinary convolution with the unconnected kernels zero."""
        full = ops.tensordot(self.kernel, self.placement, axes=1)
        return ops.reshape(full, (self.kernel_size, self.kernel_size, self.in_maps, len(self.table)))

    def call(self, x):
        return ops.conv(x, self.full_kernel(), strides=1, padding="valid") + self.bias

    def compute_output_shape(self, input_shape):
        batch, height, width, _ = input_shape
        side = self.kernel_size - 1
        return (batch, height - side, width - side, len(self.table))

    def get_config(self) -> dict:
        return {**super().get_config(), "table": self.table, "kernel_size": self.kernel_size}


def _plus_or_minus_one(shape, dtype=None):
    """Components −1 or +1 at random (PDF p. 8; see specs.lenet5)."""
    return ops.cast(keras.random.randint(shape, 0, 2), dtype or "float32") * 2.0 - 1.0


class EuclideanRBF(layers.Layer):
    """The output layer: y_i = Σ_j (x_j − w_ij)², Eq. (7), PDF p. 8, over the channels at every position.

    The parameter vectors (classes × inputs) are a non-trainable weight: "chosen by hand and kept fixed",
    components −1 or +1 (p. 8); drawn at random here (see specs.lenet5).
    """

    paperverify_kind = "rbf"

    def __init__(self, classes: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.classes = classes

    def build(self, input_shape) -> None:
        self.centres = self.add_weight(
            (self.classes, input_shape[-1]), _plus_or_minus_one, trainable=False, name="centres"
        )

    def paperverify_attributes(self) -> dict[str, Any]:
        return {"channels": self.classes}

    def call(self, x):
        return ops.sum(ops.square(ops.expand_dims(x, -2) - self.centres), axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.classes)

    def get_config(self) -> dict:
        return {**super().get_config(), "classes": self.classes}


def _convolution(x, layer: Convolution):
    if layer.table is None:
        return layers.Conv2D(layer.maps, layer.kernel, name=f"{layer.name}.conv")(x)
    return TableConv2D(layer.table, layer.kernel, name=f"{layer.name}.conv")(x)


def lenet5(
    *, input_size: int = INPUT_SIZE, input_channels: int = INPUT_CHANNELS, num_classes: int = NUM_CLASSES
) -> keras.Model:
    """LeNet-5 (Sec. II.B and Fig. 2, PDF pp. 6-8); input input_size × input_size × input_channels (the paper's
    32 × 32 × 1; input_size ≥ 32), output h×w×classes."""
    inputs = keras.Input((input_size, input_size, input_channels), name="image")
    x = inputs
    for layer in (C1, S2, C3, S4, C5):
        if isinstance(layer, Convolution):
            x = _convolution(x, layer)
        else:
            x = Subsample(layer.window, name=f"{layer.name}.subsample")(x)
        x = Squash(name=f"{layer.name}.squash")(x)
    x = layers.Dense(F6.units, name=f"{F6.name}.fc")(x)
    x = Squash(name=f"{F6.name}.squash")(x)
    outputs = EuclideanRBF(num_classes, name="output")(x)
    return keras.Model(inputs, outputs, name="lenet5")
