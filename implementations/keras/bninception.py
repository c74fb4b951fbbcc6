"""BN-Inception in Keras 3 (Ioffe & Szegedy, arXiv 1502.03167v3, Figure 5, p. 11, and the appendix, pp. 9-10).

Layer names follow `implementations.specs.bninception` and match the PyTorch builder (conv1.depthwise,
inception_3a.branch3.conv2.bn, inception_3a.concat). Strided layers are preceded by explicit zero padding:
TensorFlow's 'same' pads (2, 3) and (0, 1) there, where PyTorch pads symmetrically.
"""

from __future__ import annotations

import keras
from keras import layers

from implementations.specs.bninception import (
    BN_EPSILON,
    LAYERS,
    MODULE_POOL,
    Conv,
    Inception,
    MaxPool,
    SeparableConv,
)


def _bn_relu(x, name: str):
    """BatchNorm, then ReLU (Sec. 3.2, p. 5: "immediately before the nonlinearity")."""
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}.bn")(x)
    return layers.ReLU(name=f"{name}.relu")(x)


def _conv(x, name: str, filters: int, kernel: int, stride: int = 1):
    """A convolution without bias, BatchNorm, ReLU (Sec. 3.2, p. 5); a strided one is zero-padded first."""
    padding = "same"
    if stride > 1:
        x = layers.ZeroPadding2D(kernel // 2, name=f"{name}.pad")(x)
        padding = "valid"
    x = layers.Conv2D(filters, kernel, stride, padding, use_bias=False, name=f"{name}.conv")(x)
    return _bn_relu(x, name)


def _separable_conv(x, spec: SeparableConv):
    """conv1 (p. 10): depthwise k×k with a depth multiplier, pointwise 1×1, then BatchNorm and ReLU."""
    channels = x.shape[-1]
    x = layers.ZeroPadding2D(spec.kernel // 2, name=f"{spec.name}.pad")(x)
    x = layers.Conv2D(
        channels * spec.depth_multiplier,
        spec.kernel,
        spec.stride,
        groups=channels,
        use_bias=False,
        name=f"{spec.name}.depthwise",
    )(x)
    x = layers.Conv2D(spec.filters, 1, use_bias=False, name=f"{spec.name}.pointwise")(x)
    return _bn_relu(x, spec.name)


def _max_pool(x, name: str, kernel: int, stride: int):
    """A max pool padded by kernel // 2 on each side (explicit zero padding when strided, see the spec)."""
    if stride == 1:
        return layers.MaxPooling2D(kernel, 1, "same", name=name)(x)
    x = layers.ZeroPadding2D(kernel // 2, name=f"{name}.pad")(x)
    return layers.MaxPooling2D(kernel, stride, name=f"{name}.pool")(x)


def _inception(x, spec: Inception):
    """An Inception module of Figure 5 (p. 11): 1×1; 1×1 then 3×3; 1×1 then two 3×3; pool then 1×1 or nothing."""
    name, stride = spec.name, spec.stride
    branches = [_conv(x, f"{name}.branch1", spec.n1x1, 1)] if spec.n1x1 else []
    b2 = _conv(x, f"{name}.branch2.reduce", spec.n3x3_reduce, 1)
    branches.append(_conv(b2, f"{name}.branch2.conv", spec.n3x3, 3, stride))
    b3 = _conv(x, f"{name}.branch3.reduce", spec.double_reduce, 1)
    b3 = _conv(b3, f"{name}.branch3.conv1", spec.double_3x3, 3)
    branches.append(_conv(b3, f"{name}.branch3.conv2", spec.double_3x3, 3, stride))
    if spec.pool == "max":
        b4 = _max_pool(x, f"{name}.branch4.pool", MODULE_POOL, stride)
    else:  # stride 1; 'same' leaves the padding out of the average
        b4 = layers.AveragePooling2D(MODULE_POOL, 1, "same", name=f"{name}.branch4.pool")(x)
    if spec.proj is not None:
        b4 = _conv(b4, f"{name}.branch4.proj", spec.proj, 1)
    branches.append(b4)
    return layers.Concatenate(axis=-1, name=f"{name}.concat")(branches)


def bn_inception(*, input_size: int = 224, input_channels: int = 3, num_classes: int = 1000) -> keras.Model:
    """BN-Inception, Figure 5 (p. 11), with Sec. 3.2's BatchNorm before every ReLU and 1000 classes (Sec. 4.2)."""
    inputs = keras.Input((input_size, input_size, input_channels), name="image")
    x = inputs
    for layer in LAYERS:
        if isinstance(layer, SeparableConv):
            x = _separable_conv(x, layer)
        elif isinstance(layer, Conv):
            x = _conv(x, layer.name, layer.filters, layer.kernel, layer.stride)
        elif isinstance(layer, MaxPool):
            x = _max_pool(x, layer.name, layer.kernel, layer.stride)
        else:
            x = _inception(x, layer)
    x = layers.GlobalAveragePooling2D(keepdims=True, name="avgpool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(num_classes, name="fc")(x)
    outputs = layers.Softmax(name="softmax")(x)
    return keras.Model(inputs, outputs, name="bn_inception")
