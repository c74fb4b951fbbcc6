"""Network In Network as Lin, Chen and Yan describe it (arXiv 1312.4400v3), shared by the Keras and PyTorch builders.

The paper specifies no ImageNet network. It specifies the networks of its experiments (Sec. 4.1, p. 5):
"three stacked mlpconv layers", each "a three-layer perceptron" (Sec. 3.3, p. 5) whose layers are
max(w^T x + b, 0) (Eq. 2, p. 3), the second and third a convolution "with 1x1 convolution kernel" (Sec. 3.1,
p. 3); each mlpconv "followed by a spatial max pooling layer which down-samples the input image by a factor of
two"; "dropout is applied on the outputs of all but the last mlpconv layers"; the last mlpconv generates "one
feature map for each corresponding category", averaged by global average pooling and "fed directly into the
softmax layer" (Sec. 3.2, p. 4). This module builds that network for CIFAR-10 (10 classes, 32x32 images,
Sec. 4.2, p. 5).

Not printed, and chosen here only so that the network can be built (every claim of
reference_tables/lin2014_nin holds whatever they are, and tests/test_nin.py varies them):
- the number of feature maps of each mlpconv ("set to the same number as in the corresponding maxout network",
  Sec. 4.2, p. 5; the maxout network is not described in this paper): `MAPS`, the same in every hidden layer;
- the local receptive field size of the first layer of each mlpconv ("tuned using the validation set",
  Sec. 4.2, p. 5): `KERNEL`, with zero padding kernel // 2 so that only the pooling changes the size;
- the pooling window: 2×2 with stride 2, the window that halves an even size exactly;
- the dropout rate: 0.5, the rate of Sec. 3.2's description of dropout ("randomly sets half of the activations").
"""

from __future__ import annotations

#: Sec. 4.2, p. 5: "The CIFAR-10 dataset [12] is composed of 10 classes ... Each image is an RGB image of size 32x32."
INPUT_SIZE = 32
NUM_CLASSES = 10

#: Sec. 4.1, p. 5: "The networks used for the datasets all consist of three stacked mlpconv layers".
MLPCONVS = 3
#: Sec. 3.3, p. 5: "Within each mlpconv layer, there is a three-layer perceptron"; Sec. 3.1, p. 3: the
#: layers after the first are cross channel parametric pooling, "equivalent to a convolution layer with 1x1
#: convolution kernel".
PERCEPTRON_LAYERS = 3

#: Not printed (see the module docstring): feature maps of every hidden perceptron layer, first-layer kernel.
MAPS = 96
KERNEL = 3

#: Sec. 4.1, p. 5: max pooling "which down-samples the input image by a factor of two"; window not printed.
POOL_SIZE = 2
POOL_STRIDE = 2

#: Not printed for NIN; Sec. 3.2, p. 4 describes dropout as setting "half of the activations" to zero.
DROPOUT = 0.5


def layer_maps(mlpconv: int, maps: int, num_classes: int) -> tuple[int, ...]:
    """Output maps of the three perceptron layers of mlpconv `mlpconv` (1-based): the last mlpconv ends in
    "one feature map for each corresponding category" (Sec. 3.2, p. 4)."""
    last = num_classes if mlpconv == MLPCONVS else maps
    return (maps,) * (PERCEPTRON_LAYERS - 1) + (last,)


def layer_kernel(layer: int, kernel: int) -> int:
    """Kernel of perceptron layer `layer` (1-based): the receptive field, then 1×1 (Sec. 3.1, p. 3)."""
    return kernel if layer == 1 else 1


def check_options(maps: int, kernel: int, input_size: int | None = None) -> None:
    """Raise for options that cannot build the network (and an input it cannot take, when given)."""
    if kernel < 1 or kernel % 2 == 0:
        raise ValueError(
            f"the receptive field must be odd, so that padding kernel // 2 keeps the size. Received: {kernel}"
        )
    if maps < 1:
        raise ValueError(f"maps must be positive. Received: {maps}")
    if input_size is not None and input_size < POOL_STRIDE**MLPCONVS:
        raise ValueError(f"three poolings by two need an input of at least 8 pixels. Received: {input_size}")
