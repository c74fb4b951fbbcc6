"""Keras layers several architectures share: local response normalisation, and ResNet's and SENet's zero-channel
shortcut and convolution with BatchNorm."""

from __future__ import annotations

from keras import layers, ops


class LocalResponseNorm(layers.Layer):
    """Local response normalisation, Krizhevsky et al. (2012), Sec. 3.3, p. 4: b_i = a_i / (k + α Σ_j a_j²)^β,
    the sum over `size` adjacent channels around i (AlexNet; GoogLeNet's LocalRespNorm, Figure 3; VGG's A-LRN).

    The window is channels i − size//2 ... i + (size − 1)//2, clipped to the layer (PyTorch's
    LocalResponseNorm window; for the paper's odd n = 5 exactly its i − n/2 ... i + n/2). `alpha` is the
    paper's α, not divided by the size.
    """

    paperverify_kind = "lrn"

    def __init__(self, size: int, alpha: float, beta: float, k: float, **kwargs) -> None:
        super().__init__(**kwargs)
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def call(self, x):
        channels = x.shape[-1]
        squares = ops.pad(ops.square(x), [[0, 0], [0, 0], [0, 0], [self.size // 2, (self.size - 1) // 2]])
        total = sum(squares[..., offset : offset + channels] for offset in range(self.size))
        return x / ops.power(self.k + self.alpha * total, self.beta)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "size": self.size, "alpha": self.alpha, "beta": self.beta, "k": self.k}


class ChannelPad(layers.Layer):
    """ResNet's option A shortcut (Sec. 3.3; SENet's too): identity with `extra` zero channels appended."""

    paperverify_kind = "pad_channels"

    def __init__(self, extra: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.extra = extra

    def call(self, x):
        return ops.pad(x, [[0, 0], [0, 0], [0, 0], [0, self.extra]])

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + self.extra)

    def get_config(self) -> dict:
        return {**super().get_config(), "extra": self.extra}


def conv_bn(x, prefix: str, suffix: str, filters: int, kernel: int, stride: int, groups: int = 1, *, epsilon: float):
    """A convolution without bias, as BN follows it (ResNet, Sec. 3.4; SENet), zero-padded explicitly when strided,
    then its BatchNorm, named `<prefix>.pad<suffix>`, `<prefix>.conv<suffix>`, `<prefix>.bn<suffix>`."""
    padding = "same"
    if stride > 1 and kernel > 1:
        x = layers.ZeroPadding2D(kernel // 2, name=f"{prefix}.pad{suffix}")(x)
        padding = "valid"
    x = layers.Conv2D(filters, kernel, stride, padding, groups=groups, use_bias=False, name=f"{prefix}.conv{suffix}")(x)
    return layers.BatchNormalization(epsilon=epsilon, name=f"{prefix}.bn{suffix}")(x)
