"""GoogLeNet in Keras 3 (Szegedy et al., arXiv 1409.4842v1, Table 1, p. 6, and Figure 3, p. 7).

Layer names follow `implementations.specs.googlenet` and match the PyTorch builder (conv1.conv,
inception_3a.branch2.conv.conv, inception_3a.concat). conv1 and the stride-2 max pools are preceded by
explicit zero padding: TensorFlow's 'same' pads (2, 3) and (0, 1) there, where PyTorch pads symmetrically.
"""

from __future__ import annotations

import keras
from keras import layers

from implementations.keras.blocks import LocalResponseNorm
from implementations.specs.googlenet import (
    AUX,
    DROPOUT,
    LAYERS,
    LRN,
    LRN_ALPHA,
    LRN_BETA,
    LRN_K,
    LRN_SIZE,
    Aux,
    Conv,
    Inception,
)


def _conv(x, name: str, filters: int, kernel: int, stride: int, bias: bool):
    """A convolution followed by ReLU (Sec. 5, p. 6); a strided one is zero-padded explicitly first."""
    padding = "same"
    if stride > 1:
        x = layers.ZeroPadding2D(kernel // 2, name=f"{name}.pad")(x)
        padding = "valid"
    x = layers.Conv2D(filters, kernel, stride, padding, use_bias=bias, name=f"{name}.conv")(x)
    return layers.ReLU(name=f"{name}.relu")(x)


def _max_pool(x, name: str, kernel: int, stride: int):
    """A max pool padded by kernel // 2 on each side (explicit zero padding when strided, see the spec)."""
    if stride == 1:
        return layers.MaxPooling2D(kernel, 1, "same", name=name)(x)
    x = layers.ZeroPadding2D(kernel // 2, name=f"{name}.pad")(x)
    return layers.MaxPooling2D(kernel, stride, name=f"{name}.pool")(x)


def _inception(x, spec: Inception, bias: bool):
    """An Inception module with dimension reductions (Figure 2(b), p. 5), filters from a Table 1 row."""
    name = spec.name
    b1 = _conv(x, f"{name}.branch1", spec.n1x1, 1, 1, bias)
    b2 = _conv(x, f"{name}.branch2.reduce", spec.n3x3_reduce, 1, 1, bias)
    b2 = _conv(b2, f"{name}.branch2.conv", spec.n3x3, 3, 1, bias)
    b3 = _conv(x, f"{name}.branch3.reduce", spec.n5x5_reduce, 1, 1, bias)
    b3 = _conv(b3, f"{name}.branch3.conv", spec.n5x5, 5, 1, bias)
    b4 = _max_pool(x, f"{name}.branch4.pool", 3, 1)
    b4 = _conv(b4, f"{name}.branch4.proj", spec.pool_proj, 1, 1, bias)
    return layers.Concatenate(axis=-1, name=f"{name}.concat")([b1, b2, b3, b4])


def _aux(x, spec: Aux, num_classes: int, bias: bool):
    """An auxiliary classifier (Sec. 5, pp. 6 and 8)."""
    x = layers.AveragePooling2D(spec.pool_kernel, spec.pool_stride, name=f"{spec.name}.pool")(x)
    if tuple(x.shape[1:3]) != (spec.grid, spec.grid):
        raise ValueError(
            f"the auxiliary classifiers take Sec. 5's {spec.grid}×{spec.grid} maps (input 224×224). "
            f"Received: {x.shape[1]}×{x.shape[2]} after {spec.name}.pool"
        )
    x = _conv(x, f"{spec.name}.proj", spec.proj_filters, 1, 1, bias)
    x = layers.Flatten(name=f"{spec.name}.flatten")(x)
    x = layers.Dense(spec.fc_units, use_bias=bias, name=f"{spec.name}.fc")(x)
    x = layers.ReLU(name=f"{spec.name}.relu")(x)
    x = layers.Dropout(spec.dropout, name=f"{spec.name}.dropout")(x)
    x = layers.Dense(num_classes, use_bias=bias, name=f"{spec.name}.classifier")(x)
    return layers.Softmax(name=f"{spec.name}.softmax")(x)


def googlenet(
    *,
    input_size: int = 224,
    input_channels: int = 3,
    num_classes: int = 1000,
    aux_logits: bool = False,
    bias: bool = True,
) -> keras.Model:
    """GoogLeNet, Table 1 (p. 6); with `aux_logits`, also the two auxiliary classifiers of Sec. 5.

    In that case the model's outputs are [output, aux1 output, aux2 output].
    """
    aux = {spec.after: spec for spec in AUX} if aux_logits else {}
    inputs = keras.Input((input_size, input_size, input_channels), name="image")
    x = inputs
    aux_outputs = []
    for layer in LAYERS:
        if isinstance(layer, Conv):
            x = _conv(x, layer.name, layer.filters, layer.kernel, layer.stride, bias)
        elif isinstance(layer, LRN):
            x = LocalResponseNorm(LRN_SIZE, LRN_ALPHA, LRN_BETA, LRN_K, name=layer.name)(x)
        elif isinstance(layer, Inception):
            x = _inception(x, layer, bias)
        else:
            x = _max_pool(x, layer.name, layer.kernel, layer.stride)
        if layer.name in aux:
            aux_outputs.append(_aux(x, aux[layer.name], num_classes, bias))
    x = layers.GlobalAveragePooling2D(keepdims=True, name="avgpool")(x)
    x = layers.Dropout(DROPOUT, name="dropout")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(num_classes, use_bias=bias, name="fc")(x)
    outputs = layers.Softmax(name="softmax")(x)
    return keras.Model(inputs, [outputs, *aux_outputs] if aux_outputs else outputs, name="googlenet")
