"""AlexNet as Krizhevsky, Sutskever and Hinton describe it (NIPS 2012), shared by the Keras and PyTorch builders.

Sec. 3.5 (p. 4-5) and Figure 2 (p. 5) give the layers; Sec. 3.3 (p. 4) the response normalization; Sec. 3.4
(p. 4) the overlapping pooling; Sec. 4.2 (p. 6) the dropout. The two GPUs of Sec. 3.2 are the two groups of a
grouped convolution: a layer whose kernels see only the maps "which reside on the same GPU" has groups = 2.
Decisions where the paper is silent are written beside each field.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConvLayer:
    """One convolutional layer of Sec. 3.5: `kernels` kernels of size kernel×kernel×depth."""

    name: str
    kernels: int
    kernel: int
    depth: int  # the input channels each kernel sees, as printed ("5 × 5 × 48")
    stride: int
    groups: int  # 2 where Sec. 3.5 connects the kernels only to the maps on their own GPU
    padding: int  # not printed; chosen so that the sizes of Figure 2 follow (see below)
    lrn: bool  # "Response-normalization layers follow the first and second convolutional layers"
    pool: bool  # "Max-pooling layers ... follow both response-normalization layers as well as the fifth"


@dataclass(frozen=True)
class FullLayer:
    """One fully-connected layer of Sec. 3.5."""

    name: str
    units: int
    relu: bool  # Sec. 3.5, p. 4: ReLU on "every ... fully-connected layer"; not on fc8, the softmax's input
    dropout: bool  # Sec. 4.2, p. 6: "We use dropout in the first two fully-connected layers"


#: The paper's input: "The first convolutional layer filters the 224 × 224 × 3 input image" (Sec. 3.5, p. 4).
INPUT_SIZE = 224

#: Zero padding of conv1. The paper prints none, and an 11×11 convolution with stride 4 on 224 pixels without
#: padding gives (224 − 11) // 4 + 1 = 54, not Figure 2's 55. Two pixels on each side (the least symmetric
#: padding that gives 55: (224 + 4 − 11) // 4 + 1 = 55) keep every printed number: the 224 × 224 × 3 input
#: (150,528 values, Fig. 2 caption) and the sizes 55, 27, 13. The other common reading, a 227 × 227 input
#: without padding ((227 − 11) / 4 + 1 = 55), is `conv1_padding=0` at input size 227: the same sizes after
#: conv1, the same parameters and multiply-adds.
CONV1_PADDING = 2

# Sec. 3.5, p. 4-5. Strides after conv1 and paddings are not printed: stride 1 and padding kernel // 2 keep
# Figure 2's sizes (27 stays 27 through conv2, 13 stays 13 through conv3 ... conv5).
CONVS: tuple[ConvLayer, ...] = (
    # "filters the 224 × 224 × 3 input image with 96 kernels of size 11 × 11 × 3 with a stride of 4 pixels"
    ConvLayer("conv1", 96, 11, 3, 4, 1, CONV1_PADDING, lrn=True, pool=True),
    # "filters it with 256 kernels of size 5 × 5 × 48": 48 of conv1's 96 maps, those on the same GPU
    ConvLayer("conv2", 256, 5, 48, 1, 2, 2, lrn=True, pool=True),
    # "384 kernels of size 3 × 3 × 256 connected to the (normalized, pooled) outputs of the second" layer
    ConvLayer("conv3", 384, 3, 256, 1, 1, 1, lrn=False, pool=False),
    # "The fourth convolutional layer has 384 kernels of size 3 × 3 × 192"
    ConvLayer("conv4", 384, 3, 192, 1, 2, 1, lrn=False, pool=False),
    # "the fifth convolutional layer has 256 kernels of size 3 × 3 × 192"
    ConvLayer("conv5", 256, 3, 192, 1, 2, 1, lrn=False, pool=True),
)

# Sec. 3.5, p. 5: "The fully-connected layers have 4096 neurons each"; p. 4: "The output of the last
# fully-connected layer is fed to a 1000-way softmax".
# The ReLU is left off fc8: its output "is fed to a 1000-way softmax" (p. 4), and rectified logits could
# never fall below zero, which the paper's softmax over class scores does not ask for.
FULLS: tuple[FullLayer, ...] = (
    FullLayer("fc6", 4096, relu=True, dropout=True),
    FullLayer("fc7", 4096, relu=True, dropout=True),
    FullLayer("fc8", 1000, relu=False, dropout=False),
)

#: Sec. 3.3, p. 4: "we used k = 2, n = 5, α = 10^−4, and β = 0.75", in
#: b = a / (k + α Σ_{j=max(0, i−n/2)}^{min(N−1, i+n/2)} a_j²)^β: α multiplies the sum itself (PyTorch's
#: LocalResponseNorm divides its alpha by n, so it is given α·n).
LRN_K = 2.0
LRN_N = 5
LRN_ALPHA = 1e-4
LRN_BETA = 0.75

#: Sec. 3.4, p. 4: overlapping pooling "throughout our network, with s = 2 and z = 3". No padding: 55 → 27 → 13.
POOL_SIZE = 3
POOL_STRIDE = 2

#: Sec. 4.2, p. 6: "setting to zero the output of each hidden neuron with probability 0.5". Dropout acts on
#: the output of fc6 and fc7 (after the ReLU). Both frameworks scale by 1/(1 − p) in training instead of
#: multiplying by 0.5 at test time: the same network in inference.
DROPOUT = 0.5


def conv_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Convolution arithmetic: floor((size + 2·padding − kernel) / stride) + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def feature_size(input_size: int, conv1_padding: int = CONV1_PADDING) -> int:
    """Side of conv5's pooled output (6 at the paper's 224 input), which sizes fc6's input."""
    size = input_size
    for layer in CONVS:
        padding = conv1_padding if layer.name == "conv1" else layer.padding
        size = conv_size(size, layer.kernel, layer.stride, padding)
        if layer.pool:
            size = conv_size(size, POOL_SIZE, POOL_STRIDE, 0)
        if size < 1:
            raise ValueError(
                f"an input of {input_size} pixels (conv1_padding={conv1_padding}) leaves nothing after {layer.name}; "
                "AlexNet needs at least 63 pixels with conv1_padding=2"
            )
    return size
