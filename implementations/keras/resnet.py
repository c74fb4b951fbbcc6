"""ResNet and its plain counterpart in Keras 3 (He et al., arXiv 1512.03385v1, Table 1 and Sec. 3.3).

Layer names follow the paper and match the PyTorch builders (`conv3_x.conv3_1.conv2`). Stride-2
convolutions and the max pool are preceded by explicit zero padding: TensorFlow's 'same' padding with
stride 2 pads (0, 1) where PyTorch pads (1, 1).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import keras
from keras import layers

from implementations.keras.blocks import ChannelPad, conv_bn
from implementations.specs.resnet import BN_EPSILON, ResNetSpec, cifar_spec, needs_projection, spec_for


def _block(x, name: str, convs, stride: int, residual: bool, shortcut: str):
    """A building block (Fig. 5): the stacked convolutions of one Table 1 bracket, plus the shortcut."""
    cin = x.shape[-1]
    y = x
    for index, conv in enumerate(convs, start=1):
        conv_stride = stride if index == 1 else 1  # see specs.resnet: stride on the first convolution
        y = conv_bn(y, name, str(index), conv.filters, conv.kernel, conv_stride, epsilon=BN_EPSILON)
        if index < len(convs):
            y = layers.ReLU(name=f"{name}.relu{index}")(y)
    cout = convs[-1].filters
    if residual:
        if needs_projection(shortcut, cin, cout, stride):
            s = conv_bn(x, f"{name}.shortcut", "", cout, 1, stride, epsilon=BN_EPSILON)
        elif stride != 1 or cin != cout:
            s = layers.MaxPooling2D(1, stride, name=f"{name}.shortcut.subsample")(x)
            s = ChannelPad(cout - cin, name=f"{name}.shortcut.pad")(s)
        else:
            s = x
        y = layers.Add(name=f"{name}.add")([y, s])
    return layers.ReLU(name=f"{name}.relu")(y)


def _resnet(
    spec: ResNetSpec,
    name: str,
    residual: bool,
    shortcut: str,
    input_size: int,
    input_channels: int,
    num_classes: int,
) -> keras.Model:
    inputs = keras.Input((input_size, input_size, input_channels), name="image")
    x = conv_bn(inputs, "conv1", "", spec.stem_filters, spec.stem_kernel, spec.stem_stride, epsilon=BN_EPSILON)
    x = layers.ReLU(name="conv1.relu")(x)
    for stage in spec.stages:
        if stage.index == 2 and spec.max_pool:  # Table 1 prints "3×3 max pool, stride 2" in the conv2_x row.
            x = layers.ZeroPadding2D(1, name="conv2_x.maxpool.pad")(x)
            x = layers.MaxPooling2D(3, 2, name="conv2_x.maxpool.pool")(x)
        for number in range(1, stage.blocks + 1):
            stride = stage.stride if number == 1 else 1
            block = f"{stage.name}.conv{stage.index}_{number}"
            x = _block(x, block, stage.block, stride, residual, shortcut)
    x = layers.GlobalAveragePooling2D(keepdims=True, name="avgpool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(num_classes, name="fc")(x)
    outputs = layers.Softmax(name="softmax")(x)
    # Keras maps a functional graph recursively, a few frames per layer: the 1202-layer CIFAR network's 4,200
    # layers run past Python's default limit of 1,000 frames, so it is raised while the graph is mapped.
    layers_in_graph = 20 + 8 * sum(stage.blocks for stage in spec.stages)
    with _recursion_limit(5 * layers_in_graph):
        return keras.Model(inputs, outputs, name=name)


@contextmanager
def _recursion_limit(frames: int) -> Iterator[None]:
    """Python's recursion limit at least `frames` while inside, restored after."""
    saved = sys.getrecursionlimit()
    sys.setrecursionlimit(max(saved, frames))
    try:
        yield
    finally:
        sys.setrecursionlimit(saved)


def resnet18(
    *, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000, shortcut: str = "B"
) -> keras.Model:
    """ResNet-18, Table 1 18-layer column."""
    return _resnet(spec_for(18), "resnet18", True, shortcut, input_size, input_channels, num_classes)


def resnet34(
    *, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000, shortcut: str = "B"
) -> keras.Model:
    """ResNet-34, Table 1 34-layer column and Fig. 3 (right)."""
    return _resnet(spec_for(34), "resnet34", True, shortcut, input_size, input_channels, num_classes)


def resnet50(
    *, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000, shortcut: str = "B"
) -> keras.Model:
    """ResNet-50, Table 1 50-layer column."""
    return _resnet(spec_for(50), "resnet50", True, shortcut, input_size, input_channels, num_classes)


def resnet101(
    *, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000, shortcut: str = "B"
) -> keras.Model:
    """ResNet-101, Table 1 101-layer column."""
    return _resnet(spec_for(101), "resnet101", True, shortcut, input_size, input_channels, num_classes)


def resnet152(
    *, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000, shortcut: str = "B"
) -> keras.Model:
    """ResNet-152, Table 1 152-layer column."""
    return _resnet(spec_for(152), "resnet152", True, shortcut, input_size, input_channels, num_classes)


def plain18(*, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000) -> keras.Model:
    """The 18-layer plain network (Sec. 3.3): Table 1's 18-layer column without shortcuts."""
    return _resnet(spec_for(18), "plain18", False, "A", input_size, input_channels, num_classes)


def plain34(*, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000) -> keras.Model:
    """The 34-layer plain network of Fig. 3 (middle): Table 1's 34-layer column without shortcuts."""
    return _resnet(spec_for(34), "plain34", False, "A", input_size, input_channels, num_classes)


def _cifar(depth: int, input_size: int, input_channels: int) -> keras.Model:
    """Sec. 4.2 (p. 7): "we use identity shortcuts in all cases (i.e., option A)"; "The network ends with a global
    average pooling, a 10-way fully-connected layer, and softmax"."""
    return _resnet(cifar_spec(depth), f"resnet{depth}", True, "A", input_size, input_channels, 10)


def resnet20(*, input_size: int = 32, input_channels: int = 3) -> keras.Model:
    """The 20-layer CIFAR-10 ResNet (n = 3), Sec. 4.2 and Table 6, p. 7."""
    return _cifar(20, input_size, input_channels)


def resnet32(*, input_size: int = 32, input_channels: int = 3) -> keras.Model:
    """The 32-layer CIFAR-10 ResNet (n = 5), Sec. 4.2 and Table 6, p. 7."""
    return _cifar(32, input_size, input_channels)


def resnet44(*, input_size: int = 32, input_channels: int = 3) -> keras.Model:
    """The 44-layer CIFAR-10 ResNet (n = 7), Sec. 4.2 and Table 6, p. 7."""
    return _cifar(44, input_size, input_channels)


def resnet56(*, input_size: int = 32, input_channels: int = 3) -> keras.Model:
    """The 56-layer CIFAR-10 ResNet (n = 9), Sec. 4.2 and Table 6, p. 7."""
    return _cifar(56, input_size, input_channels)


def resnet110(*, input_size: int = 32, input_channels: int = 3) -> keras.Model:
    """The 110-layer CIFAR-10 ResNet (n = 18), Sec. 4.2 and Table 6, p. 7."""
    return _cifar(110, input_size, input_channels)


def resnet1202(*, input_size: int = 32, input_channels: int = 3) -> keras.Model:
    """The 1202-layer CIFAR-10 ResNet (n = 200), Sec. 4.2 (p. 8) and Table 6 (p. 7)."""
    return _cifar(1202, input_size, input_channels)
