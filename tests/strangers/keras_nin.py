"""Network in Network for CIFAR-10 (Lin et al. 2014, Sec. 3 and 4.1-4.2) as a Keras notebook writes it: one
`keras.Sequential` with every layer at its default name (`conv2d_4`, `max_pooling2d_1`), each mlpconv a
`Conv2D` with its receptive field and two 1×1 `Conv2D` (Sec. 3.1: "a convolution layer with 1x1 convolution
kernel"), all with `activation="relu"` and `padding="same"`, a 3×3 max pool of stride 2 after each (Sec. 4.1),
dropout after the first two (Sec. 4.1), then `GlobalAveragePooling2D` and a softmax `Activation` (Sec. 3.2). The
widths (192-160-96, 192-192-192, 192-192-10) and receptive fields (5, 5, 3) are the Caffe model's; the paper
prints neither."""

from __future__ import annotations

import keras
from keras import layers

#: Each mlpconv: its receptive field and the widths of its three perceptron layers.
MLPCONVS = [(5, (192, 160, 96)), (5, (192, 192, 192)), (3, (192, 192, 10))]


def build_nin(pool_last: bool = True) -> keras.Sequential:
    model = keras.Sequential()
    model.add(keras.Input(shape=(32, 32, 3)))
    for index, (field, widths) in enumerate(MLPCONVS):
        last = index == len(MLPCONVS) - 1
        model.add(layers.Conv2D(widths[0], field, padding="same", activation="relu"))
        model.add(layers.Conv2D(widths[1], 1, activation="relu"))
        model.add(layers.Conv2D(widths[2], 1, activation="relu"))
        if pool_last or not last:
            model.add(layers.MaxPooling2D(3, strides=2, padding="same"))
        if not last:
            model.add(layers.Dropout(0.5))
    model.add(layers.GlobalAveragePooling2D())
    model.add(layers.Activation("softmax"))
    return model


def nin_cifar10() -> keras.Sequential:
    """Faithful to Sec. 3-4: three mlpconv layers of three perceptron layers each, each followed by a max pool of
    stride 2, dropout on all but the last, ten feature maps in the last, global average pooling and softmax."""
    return build_nin()


def nin_cifar10_no_third_pool() -> keras.Sequential:
    """Departure: no max pool after the third mlpconv (as in the Caffe model), where Sec. 4.1 follows every mlpconv
    with one that "down-samples the input image by a factor of two"."""
    return build_nin(pool_last=False)
