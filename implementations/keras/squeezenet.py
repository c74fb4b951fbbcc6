"""SqueezeNet in Keras 3 (Iandola et al., arXiv 1602.07360v4, Table 1, p. 6, Sec. 3 and 6, Figure 2).

Layer names follow `implementations.specs.squeezenet` and match the PyTorch builder (conv1.conv,
fire2.squeeze.conv, fire2.expand.branch2.conv, fire2.expand.concat, fire3.add). Padding is explicit
(ZeroPadding2D), as in the PyTorch builder.
"""

from __future__ import annotations

import keras
from keras import layers

from implementations.specs.squeezenet import (
    CONV10,
    DROPOUT,
    LAYERS,
    PCT_3X3,
    SQUEEZE_RATIO,
    Conv,
    Fire,
    bypass_of,
    fire_widths,
)


def _conv(x, name: str, filters: int, kernel: int, stride: int = 1, padding: int = 0):
    """A convolution followed by ReLU; explicit zero padding first where it pads."""
    if padding:
        x = layers.ZeroPadding2D(padding, name=f"{name}.pad")(x)
    x = layers.Conv2D(filters, kernel, stride, name=f"{name}.conv")(x)
    return layers.ReLU(name=f"{name}.relu")(x)


def _fire(x, spec: Fire, squeeze_ratio: float, pct3x3: float, bypass: str):
    """A Fire module (Sec. 3.2, Figure 1): squeeze, then expand; with a bypass (Sec. 6), its input added."""
    name = spec.name
    widths = fire_widths(spec.index, squeeze_ratio, pct3x3)
    s = _conv(x, f"{name}.squeeze", widths.squeeze, 1)
    e1 = _conv(s, f"{name}.expand.branch1", widths.expand1x1, 1)
    e3 = _conv(s, f"{name}.expand.branch2", widths.expand3x3, 3, padding=1)
    y = layers.Concatenate(axis=-1, name=f"{name}.expand.concat")([e1, e3])
    kind = bypass_of(name, bypass)
    if kind == "simple":
        if x.shape[-1] != widths.out_channels:
            raise ValueError(f"{name}: a simple bypass needs as many input as output channels (Sec. 6)")
        return layers.Add(name=f"{name}.add")([y, x])
    if kind == "complex":
        shortcut = layers.Conv2D(widths.out_channels, 1, name=f"{name}.shortcut.conv")(x)
        return layers.Add(name=f"{name}.add")([y, shortcut])
    return y


def squeezenet(
    *,
    input_size: int = 224,
    input_channels: int = 3,
    num_classes: int = 1000,
    squeeze_ratio: float = SQUEEZE_RATIO,
    pct3x3: float = PCT_3X3,
    bypass: str = "none",
) -> keras.Model:
    """SqueezeNet, Table 1 (p. 6); `squeeze_ratio` is Sec. 5.2's SR, `pct3x3` Sec. 5.3's share of 3x3 expand
    filters, `bypass` one of Sec. 6's 'none', 'simple' or 'complex' (Figure 2, left, middle, right)."""
    inputs = keras.Input((input_size, input_size, input_channels), name="image")
    x = inputs
    for layer in LAYERS:
        if isinstance(layer, Conv):
            x = _conv(x, layer.name, layer.filters, layer.kernel, layer.stride, layer.padding)
        elif isinstance(layer, Fire):
            x = _fire(x, layer, squeeze_ratio, pct3x3, bypass)
        else:
            x = layers.MaxPooling2D(layer.kernel, layer.stride, name=layer.name)(x)
    x = layers.Dropout(DROPOUT, name="dropout")(x)
    x = _conv(x, "conv10", num_classes, CONV10.kernel, CONV10.stride)
    x = layers.GlobalAveragePooling2D(keepdims=True, name="avgpool10")(x)
    x = layers.Flatten(name="flatten")(x)
    outputs = layers.Softmax(name="softmax")(x)
    return keras.Model(inputs, outputs, name="squeezenet")


def squeezenet_simple_bypass(
    *,
    input_size: int = 224,
    input_channels: int = 3,
    num_classes: int = 1000,
    squeeze_ratio: float = SQUEEZE_RATIO,
    pct3x3: float = PCT_3X3,
) -> keras.Model:
    """SqueezeNet with simple bypass (Sec. 6, p. 9; Figure 2, middle)."""
    return squeezenet(
        input_size=input_size,
        input_channels=input_channels,
        num_classes=num_classes,
        squeeze_ratio=squeeze_ratio,
        pct3x3=pct3x3,
        bypass="simple",
    )


def squeezenet_complex_bypass(
    *,
    input_size: int = 224,
    input_channels: int = 3,
    num_classes: int = 1000,
    squeeze_ratio: float = SQUEEZE_RATIO,
    pct3x3: float = PCT_3X3,
) -> keras.Model:
    """SqueezeNet with complex bypass (Sec. 6, p. 9; Figure 2, right)."""
    return squeezenet(
        input_size=input_size,
        input_channels=input_channels,
        num_classes=num_classes,
        squeeze_ratio=squeeze_ratio,
        pct3x3=pct3x3,
        bypass="complex",
    )
