"""DenseNet in Keras 3 (Huang et al., arXiv 1608.06993v5, Table 1, p. 4, and Sec. 3, pp. 3-4).

Layer names follow `implementations.specs.densenet` and match the PyTorch builders (conv1.conv,
dense_block1.layer1.conv1, dense_block1.layer1.concat, transition1.conv, classification.fc). conv1 and the
max pool are preceded by explicit zero padding: TensorFlow's 'same' pads (2, 3) and (0, 1) there, where
PyTorch pads symmetrically.
"""

from __future__ import annotations

import keras
from keras import layers

from implementations.specs.densenet import (
    BN_EPSILON,
    BOTTLENECK_WIDTH,
    CIFAR_CLASSES,
    CIFAR_DEPTH,
    CIFAR_GROWTH_RATE,
    CIFAR_KERNEL,
    COMPRESSION,
    GROWTH_RATE,
    POOL_KERNEL,
    POOL_STRIDE,
    STEM_KERNEL,
    STEM_STRIDE,
    STEM_WIDTH,
    TRANSITION_POOL,
    DenseNetSpec,
    check_options,
    cifar_spec,
    cifar_stem_width,
    spec_for,
    transition_channels,
)


def _bn_relu_conv(x, prefix: str, suffix: str, filters: int, kernel: int, stride: int = 1):
    """BN-ReLU-Conv (Table 1 caption, p. 4), the convolution zero-padded explicitly when strided."""
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{prefix}.norm{suffix}")(x)
    x = layers.ReLU(name=f"{prefix}.relu{suffix}")(x)
    padding = "same"
    if stride > 1:
        x = layers.ZeroPadding2D(kernel // 2, name=f"{prefix}.pad{suffix}")(x)
        padding = "valid"
    return layers.Conv2D(filters, kernel, stride, padding, use_bias=False, name=f"{prefix}.conv{suffix}")(x)


def _dense_layer(x, name: str, growth_rate: int, bottleneck: bool):
    """H_l (Sec. 3, p. 3): BN-ReLU-Conv(1×1, 4k)-BN-ReLU-Conv(3×3, k) with the bottleneck, BN-ReLU-Conv(3×3, k)
    without; its k feature-maps are concatenated after its input."""
    y = x
    if bottleneck:
        y = _bn_relu_conv(y, name, "1", BOTTLENECK_WIDTH * growth_rate, 1)
    y = _bn_relu_conv(y, name, "2", growth_rate, 3)
    return layers.Concatenate(axis=-1, name=f"{name}.concat")([x, y])


def _densenet(
    spec: DenseNetSpec,
    *,
    input_size: int,
    input_channels: int,
    num_classes: int,
    growth_rate: int,
    compression: float,
    bottleneck: bool,
    cifar: bool = False,
) -> keras.Model:
    check_options(growth_rate, compression)
    inputs = keras.Input((input_size, input_size, input_channels), name="image")
    if cifar:
        width = cifar_stem_width(growth_rate, bottleneck, compression)
        x = layers.Conv2D(width, CIFAR_KERNEL, padding="same", use_bias=False, name="conv1.conv")(inputs)
    else:
        x = _bn_relu_conv(inputs, "conv1", "", STEM_WIDTH * growth_rate, STEM_KERNEL, STEM_STRIDE)
        x = layers.ZeroPadding2D(POOL_KERNEL // 2, name="pool1.pad")(x)
        x = layers.MaxPooling2D(POOL_KERNEL, POOL_STRIDE, name="pool1.pool")(x)
    for index, count in enumerate(spec.blocks, start=1):
        for number in range(1, count + 1):
            x = _dense_layer(x, f"dense_block{index}.layer{number}", growth_rate, bottleneck)
        if index < len(spec.blocks):
            x = _bn_relu_conv(x, f"transition{index}", "", transition_channels(x.shape[-1], compression), 1)
            x = layers.AveragePooling2D(TRANSITION_POOL, name=f"transition{index}.pool")(x)
    x = layers.GlobalAveragePooling2D(keepdims=True, name="classification.pool")(x)
    x = layers.Flatten(name="classification.flatten")(x)
    x = layers.Dense(num_classes, name="classification.fc")(x)
    outputs = layers.Softmax(name="classification.softmax")(x)
    return keras.Model(inputs, outputs, name=spec.name)


def densenet121(
    *,
    input_size: int = 224,
    input_channels: int = 3,
    num_classes: int = 1000,
    growth_rate: int = GROWTH_RATE,
    compression: float = COMPRESSION,
    bottleneck: bool = True,
) -> keras.Model:
    """DenseNet-121, Table 1 (p. 4), DenseNet-121 column."""
    return _densenet(
        spec_for(121),
        input_size=input_size,
        input_channels=input_channels,
        num_classes=num_classes,
        growth_rate=growth_rate,
        compression=compression,
        bottleneck=bottleneck,
    )


def densenet169(
    *,
    input_size: int = 224,
    input_channels: int = 3,
    num_classes: int = 1000,
    growth_rate: int = GROWTH_RATE,
    compression: float = COMPRESSION,
    bottleneck: bool = True,
) -> keras.Model:
    """DenseNet-169, Table 1 (p. 4), DenseNet-169 column."""
    return _densenet(
        spec_for(169),
        input_size=input_size,
        input_channels=input_channels,
        num_classes=num_classes,
        growth_rate=growth_rate,
        compression=compression,
        bottleneck=bottleneck,
    )


def densenet201(
    *,
    input_size: int = 224,
    input_channels: int = 3,
    num_classes: int = 1000,
    growth_rate: int = GROWTH_RATE,
    compression: float = COMPRESSION,
    bottleneck: bool = True,
) -> keras.Model:
    """DenseNet-201, Table 1 (p. 4), DenseNet-201 column."""
    return _densenet(
        spec_for(201),
        input_size=input_size,
        input_channels=input_channels,
        num_classes=num_classes,
        growth_rate=growth_rate,
        compression=compression,
        bottleneck=bottleneck,
    )


def densenet264(
    *,
    input_size: int = 224,
    input_channels: int = 3,
    num_classes: int = 1000,
    growth_rate: int = GROWTH_RATE,
    compression: float = COMPRESSION,
    bottleneck: bool = True,
) -> keras.Model:
    """DenseNet-264, Table 1 (p. 4), DenseNet-264 column."""
    return _densenet(
        spec_for(264),
        input_size=input_size,
        input_channels=input_channels,
        num_classes=num_classes,
        growth_rate=growth_rate,
        compression=compression,
        bottleneck=bottleneck,
    )


def densenet_cifar(
    *,
    input_size: int = 32,
    input_channels: int = 3,
    depth: int = CIFAR_DEPTH,
    growth_rate: int = CIFAR_GROWTH_RATE,
    bottleneck: bool = False,
    compression: float = 1.0,
    num_classes: int = CIFAR_CLASSES,
) -> keras.Model:
    """Table 2's CIFAR DenseNets (p. 5; Sec. 3, Implementation Details, p. 4) of depth L and growth rate k;
    DenseNet-BC with the bottleneck and compression 0.5."""
    return _densenet(
        cifar_spec(depth, bottleneck),
        input_size=input_size,
        input_channels=input_channels,
        num_classes=num_classes,
        growth_rate=growth_rate,
        compression=compression,
        bottleneck=bottleneck,
        cifar=True,
    )
