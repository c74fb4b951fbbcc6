"""LeNet-5 (LeCun et al., Proc. IEEE 1998, Sec. II.B, Table I, Eq. 6-7) as a Keras notebook writes it from the
paper with the functional API and default layer names: the squashing function a `Lambda` of
`1.7159 * keras.ops.tanh(x / 1.5)`, the trainable subsampling and the Euclidean RBF output layers of its own
(`Subsampling`, `RBF`; their kinds declared with `--kind`), C3 sixteen `Conv2D` of the S2 maps Table I connects,
taken with `keras.ops.take` and joined by `Concatenate`, F6 a `Dense` after a `Flatten`."""

from __future__ import annotations

import keras
from keras import layers, ops

#: Table I: the S2 feature maps each C3 feature map is connected to.
TABLE = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (0, 4, 5), (0, 1, 5), (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5),
    (0, 3, 4, 5), (0, 1, 4, 5), (0, 1, 2, 5), (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5), (0, 1, 2, 3, 4, 5),
)  # fmt: skip


class Subsampling(layers.Layer):
    """The four inputs added, multiplied by a trainable coefficient, plus a trainable bias."""

    def build(self, input_shape) -> None:
        self.coefficient = self.add_weight(shape=(input_shape[-1],), initializer="ones")
        self.offset = self.add_weight(shape=(input_shape[-1],), initializer="zeros")

    def call(self, x):
        return ops.average_pool(x, 2, 2) * 4 * self.coefficient + self.offset

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1] // 2, input_shape[2] // 2, input_shape[3])


class RBF(layers.Layer):
    """y_i = sum_j (x_j - w_ij)^2 with fixed parameter vectors of -1 and +1."""

    def __init__(self, classes: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.classes = classes

    def build(self, input_shape) -> None:
        signs = keras.random.randint((self.classes, input_shape[-1]), 0, 2, seed=0)
        self.centres = self.add_weight(shape=(self.classes, input_shape[-1]), trainable=False)
        self.centres.assign(ops.cast(signs, "float32") * 2 - 1)

    def call(self, x):
        return ops.sum((ops.expand_dims(x, 1) - self.centres) ** 2, axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.classes)


def squash():
    return layers.Lambda(lambda x: 1.7159 * ops.tanh(x / 1.5))


def build_lenet(full_c3: bool = False) -> keras.Model:
    inputs = keras.Input((32, 32, 1))
    x = squash()(layers.Conv2D(6, 5)(inputs))
    x = squash()(Subsampling()(x))
    if full_c3:
        x = layers.Conv2D(16, 5)(x)
    else:
        x = layers.Concatenate()([layers.Conv2D(1, 5)(ops.take(x, list(maps), axis=-1)) for maps in TABLE])
    x = squash()(Subsampling()(squash()(x)))
    x = layers.Flatten()(squash()(layers.Conv2D(120, 5)(x)))
    x = squash()(layers.Dense(84)(x))
    return keras.Model(inputs, RBF(10)(x))


def lenet5() -> keras.Model:
    """Faithful to Sec. II.B: C1, S2, C3 (Table I's connections, 1,516 parameters), S4, C5, F6, each squashed by
    Eq. 6's A tanh(S a), and the RBF output of Eq. 7."""
    return build_lenet()


def lenet5_full_c3() -> keras.Model:
    """Departure: C3 an ordinary convolution of all six S2 maps: 2,416 parameters and 241,600 connections."""
    return build_lenet(full_c3=True)
