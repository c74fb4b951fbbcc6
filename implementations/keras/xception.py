"""Xception in Keras 3 (Chollet, arXiv 1610.02357v3, Figure 5 and Sec. 3).

Layer names match the PyTorch builder (implementations/specs/xception.py): `entry_flow.stem.conv1.conv`,
`entry_flow.block1.sepconv1.depthwise`, `middle_flow.block8.add`, `exit_flow.block2.sepconv2.relu`, ...,
`avgpool`, `flatten`, `dropout`, `fc`, `softmax`. A separable convolution is a `DepthwiseConv2D` (depth
multiplier 1) followed directly by a 1×1 `Conv2D`, then BatchNorm (rather than one `SeparableConv2D`, so that
each convolution is a layer of its own, as in PyTorch). The max pools use Keras' 'same' padding, which never
takes the padding as a maximum, as the PyTorch builder's -inf padding does.
"""

from __future__ import annotations

import keras
from keras import layers

from implementations.specs.xception import (
    BN_EPSILON,
    ENTRY,
    EXIT,
    INPUT_SIZE,
    KERNEL,
    MIDDLE_REPEATS,
    POOL,
    STEM,
    Block,
    head,
    middle_blocks,
)


def _separable(x, name: str, filters: int, relu: str | None):
    """ReLU (when `relu` is "before"), depthwise k×k, pointwise 1×1, BatchNorm, ReLU (when "after")."""
    if relu == "before":
        x = layers.ReLU(name=f"{name}.relu")(x)
    x = layers.DepthwiseConv2D(KERNEL, padding="same", use_bias=False, name=f"{name}.depthwise")(x)
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}.pointwise")(x)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}.bn")(x)
    if relu == "after":
        x = layers.ReLU(name=f"{name}.relu")(x)
    return x


def _block(x, name: str, block: Block):
    """One module of Figure 5: separable convolutions, a max pool and 1×1 shortcut when it downsamples, the sum."""
    y = x
    for index, filters in enumerate(block.filters, start=1):
        y = _separable(y, f"{name}.sepconv{index}", filters, block.relu(index))
    if block.downsample:
        y = layers.MaxPooling2D(POOL, 2, padding="same", name=f"{name}.pool")(y)
    if not block.residual:
        return y
    shortcut = x
    if block.downsample:
        shortcut = layers.Conv2D(block.filters[-1], 1, strides=2, use_bias=False, name=f"{name}.shortcut.conv")(x)
        shortcut = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}.shortcut.bn")(shortcut)
    return layers.Add(name=f"{name}.add")([y, shortcut])


def xception(
    *,
    input_size: int = INPUT_SIZE,
    input_channels: int = 3,
    middle_repeats: int = MIDDLE_REPEATS,
    num_classes: int | None = None,
    dropout: float | None = None,
    jft: bool = False,
) -> keras.Model:
    """Xception (Figure 5, p. 5) with `middle_repeats` middle-flow blocks (8 in the paper) and the ImageNet head
    (Sec. 4.3's dropout, 1000 classes) or, with `jft`, the JFT one (Sec. 4.5.1's two fully-connected layers of
    4096 units, 17,000 classes, no dropout); `num_classes` and `dropout` replace the head's own."""
    top = head(jft=jft, num_classes=num_classes, dropout=dropout)
    inputs = keras.Input((input_size, input_size, input_channels), name="image")
    x = inputs
    for conv in STEM:
        name = f"entry_flow.stem.{conv.name}"
        x = layers.Conv2D(conv.filters, conv.kernel, conv.stride, use_bias=False, name=f"{name}.conv")(x)
        x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}.bn")(x)
        x = layers.ReLU(name=f"{name}.relu")(x)
    for flow, blocks in (("entry_flow", ENTRY), ("middle_flow", middle_blocks(middle_repeats)), ("exit_flow", EXIT)):
        for block in blocks:
            x = _block(x, f"{flow}.{block.name}", block)
    x = layers.GlobalAveragePooling2D(keepdims=True, name="avgpool")(x)
    x = layers.Flatten(name="flatten")(x)
    for index, units in enumerate(top.hidden, 1):
        x = layers.Dense(units, name=f"hidden{index}.fc")(x)
        x = layers.ReLU(name=f"hidden{index}.relu")(x)
    if top.dropout:
        x = layers.Dropout(top.dropout, name="dropout")(x)
    x = layers.Dense(top.classes, name="fc")(x)
    outputs = layers.Softmax(name="softmax")(x)
    return keras.Model(inputs, outputs, name=f"xception_{middle_repeats}")
