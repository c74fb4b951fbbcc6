"""Keras layers several architectures share."""

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
