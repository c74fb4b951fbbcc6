"""Broken models (ResNets, an AlexNet, a Mixer, an Xception) that keep every shape and count right, so that no
table cell sees them; only the equivalence check with our implementation does (`tests/test_equivalence.py`).
Each builder returns a model with random weights; `paperverify check tests/broken_equivalence.py:<builder>
--equivalence` runs it.
"""

from __future__ import annotations

import torch
from torch import nn

from implementations.specs.resnet import spec_for
from implementations.torch.resnet import Block, ResNet


class _FedBlock(Block):
    """A building block whose shortcut reads a tensor it is given rather than its own input."""

    functional = False

    def forward(self, x: torch.Tensor, shortcut_source: torch.Tensor) -> torch.Tensor:
        y = x
        for name in self.main:
            y = getattr(self, name)(y)
        if self.functional:  # as torchvision writes it: no module performs the sum
            y += self.shortcut(shortcut_source)
        else:
            y = self.add(y, self.shortcut(shortcut_source))
        return self.relu(y)


class _ShortcutFromPreviousInput(ResNet):
    """A ResNet whose block `fed` (stage, block) adds the previous block's input instead of its own input: both
    have one shape, so every shape stays right."""

    fed = ("conv2_x", "conv2_2")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x)
        for stage_name in ("conv2_x", "conv3_x", "conv4_x", "conv5_x"):
            before = x
            for name, child in getattr(self, stage_name).named_children():
                fed = (stage_name, name) == self.fed
                x, before = (child(x, before) if fed else child(x)), x  # the bug: the shortcut should carry x
        for name in ("avgpool", "flatten", "fc", "softmax"):
            x = getattr(self, name)(x)
        return x


def _fed(depth: int, stage: int, number: int, functional: bool = False) -> ResNet:
    """ResNet-`depth` whose block conv{stage}_{number}'s identity shortcut reads the previous block's input."""
    spec = spec_for(depth)
    model = _ShortcutFromPreviousInput(spec, residual=True, shortcut="B", num_classes=1000)
    model.fed = (f"conv{stage}_x", f"conv{stage}_{number}")
    channels = spec.stages[stage - 2].out_channels
    block = _FedBlock(spec.stages[stage - 2].block, channels, 1, residual=True, shortcut="B")
    block.functional = functional
    setattr(getattr(model, model.fed[0]), model.fed[1], block)
    return model


def shortcut_from_previous_input(functional: bool = False) -> nn.Module:
    """ResNet-18 with conv2_x.conv2_2's identity shortcut fed from conv2_x.conv2_1's input (the max pool's
    output)."""
    return _fed(18, 2, 2, functional)


def functional_shortcut_from_previous_input() -> nn.Module:
    """The same bug, with the sum written `y += shortcut` in the block's forward rather than by a module."""
    return shortcut_from_previous_input(functional=True)


class _TransposedConv2d(nn.Conv2d):
    """A convolution that applies its kernel with height and width swapped, as a hand-written layer that keeps
    its kernel in another layout might: for a square kernel every shape stays right."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self.weight.transpose(2, 3), self.bias)


def _transpose(block: nn.Module, name: str) -> None:
    """Make the block's convolution `name` use its kernel transposed."""
    good = getattr(block, name)
    bad = _TransposedConv2d(good.in_channels, good.out_channels, good.kernel_size, good.stride, good.padding)
    bad.bias = None
    with torch.no_grad():
        bad.weight.copy_(good.weight)
    setattr(block, name, bad)


def transposed_kernel() -> nn.Module:
    """ResNet-18 whose conv3_x.conv3_2.conv1 (3×3, 128) uses its kernel transposed."""
    model = ResNet(spec_for(18), residual=True, shortcut="B", num_classes=1000)
    _transpose(model.conv3_x.conv3_2, "conv1")
    return model


def three_bugs() -> nn.Module:
    """ResNet-18 with conv2_x.conv2_2's shortcut fed from conv2_x.conv2_1's input, and the kernels of
    conv3_x.conv3_2.conv1 and conv5_x.conv5_1.conv2 used transposed: every output after the first bug differs,
    yet each bug is a block of its own."""
    model = shortcut_from_previous_input()
    _transpose(model.conv3_x.conv3_2, "conv1")
    _transpose(model.conv5_x.conv5_1, "conv2")
    return model


def grouped_pointwise_then_shortcut_from_previous_input() -> nn.Module:
    """ResNet-50 with two departures: conv2_x.conv2_1's first 1×1 convolution in four groups (as a ShuffleNet
    unit's is), whose weights cannot take ours, and conv3_x.conv3_3's shortcut fed from conv3_x.conv3_2's input."""
    model = _fed(50, 3, 3)
    model.conv2_x.conv2_1.conv1 = nn.Conv2d(64, 64, 1, groups=4, bias=False)
    return model


def keras_shortcut_from_previous_input(input_shape: tuple[int, int, int] = (64, 64, 3)) -> object:
    """The Keras ResNet-18 with the same bug: conv2_x.conv2_2's Add reads the max pool's output."""
    import keras
    from keras import layers

    from implementations.keras import resnet as ours
    from implementations.keras.blocks import conv_bn
    from implementations.specs.resnet import BN_EPSILON

    spec = spec_for(18)
    inputs = keras.Input(input_shape, name="image")
    x = layers.ReLU(name="conv1.relu")(conv_bn(inputs, "conv1", "", 64, 7, 2, epsilon=BN_EPSILON))
    x = layers.ZeroPadding2D(1, name="conv2_x.maxpool.pad")(x)
    previous = layers.MaxPooling2D(3, 2, name="conv2_x.maxpool.pool")(x)
    x = ours._block(previous, "conv2_x.conv2_1", spec.stages[0].block, 1, True, "B")
    y = layers.ReLU(name="conv2_x.conv2_2.relu1")(conv_bn(x, "conv2_x.conv2_2", "1", 64, 3, 1, epsilon=BN_EPSILON))
    y = conv_bn(y, "conv2_x.conv2_2", "2", 64, 3, 1, epsilon=BN_EPSILON)
    x = layers.ReLU(name="conv2_x.conv2_2.relu")(layers.Add(name="conv2_x.conv2_2.add")([y, previous]))  # the bug
    for stage in spec.stages[1:]:
        for number in range(1, stage.blocks + 1):
            stride = stage.stride if number == 1 else 1
            x = ours._block(x, f"{stage.name}.conv{stage.index}_{number}", stage.block, stride, True, "B")
    x = layers.GlobalAveragePooling2D(keepdims=True, name="avgpool")(x)
    x = layers.Dense(1000, name="fc")(layers.Flatten(name="flatten")(x))
    return keras.Model(inputs, layers.Softmax(name="softmax")(x), name="resnet18")


class _SameSliceGroupedConv2d(nn.Conv2d):
    """A grouped convolution whose every group reads the first group's input channels, as a hand-written
    per-group loop whose closure captures one slice would: every shape and count stays right."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        first = x[:, : self.in_channels // self.groups]
        return self._conv_forward(torch.cat([first] * self.groups, dim=1), self.weight, self.bias)


def grouped_conv_reading_one_slice() -> nn.Module:
    """AlexNet whose conv4 (3×3, 384 kernels in two groups, Sec. 3.5) feeds both groups from the first
    tower's 192 channels."""
    from implementations.torch.alexnet import alexnet

    model = alexnet()
    good = model.conv4.conv
    broken = _SameSliceGroupedConv2d(
        good.in_channels, good.out_channels, good.kernel_size, good.stride, good.padding, groups=good.groups
    )
    with torch.no_grad():
        broken.weight.copy_(good.weight)
        broken.bias.copy_(good.bias)
    model.conv4.conv = broken
    return model


class _Towers(nn.Module):
    """A grouped convolution written as one convolution per GPU tower, as a port of the two-GPU network might:
    each tower reads its slice of the input maps through a function made in a loop. With `late`, the functions
    close over the loop variable itself (Python binds it late), so every tower reads the last slice."""

    def __init__(self, conv: nn.Conv2d, late: bool) -> None:
        super().__init__()
        groups = conv.groups
        self.towers = nn.ModuleList(
            nn.Conv2d(conv.in_channels // groups, conv.out_channels // groups, conv.kernel_size, conv.stride,
                      conv.padding)
            for _ in range(groups)
        )  # fmt: skip
        self.late = late

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        width = x.shape[1] // len(self.towers)
        if self.late:  # the bug this model carries
            parts = [lambda: x[:, i * width : (i + 1) * width] for i in range(len(self.towers))]  # noqa: B023
        else:
            parts = [lambda i=i: x[:, i * width : (i + 1) * width] for i in range(len(self.towers))]
        return torch.cat([tower(part()) for tower, part in zip(self.towers, parts, strict=True)], dim=1)


def alexnet_in_towers(late: bool = False, input_size: int = 224) -> nn.Module:
    """AlexNet whose grouped conv2, conv4 and conv5 (Sec. 3.5: kernels connected only to the maps on their own
    GPU) are written as two tower convolutions each, reading their halves of the maps through slices."""
    from implementations.torch.alexnet import alexnet

    model = alexnet(input_size=input_size)
    for name in ("conv2", "conv4", "conv5"):
        stage = getattr(model, name)
        stage.conv = _Towers(stage.conv, late)
    return model


def alexnet_in_towers_bound_late(input_size: int = 224) -> nn.Module:
    """The towers' slices taken by functions that bind the loop variable late: both towers read the second half."""
    return alexnet_in_towers(late=True, input_size=input_size)


def mixer_skip_from_normalised_input() -> nn.Module:
    """Mixer-S/32 whose third block adds the LayerNorm's output, not the block's input, around its token-mixing
    MLP (Tolstikhin et al., Eq. 1: U = X + W2 σ(W1 LayerNorm(X)ᵀ)ᵀ): every shape stays right."""
    from implementations.torch.mixer import MixerBlock, mixer_s32

    class _NormalisedSkip(MixerBlock):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            normalised = self.token_mixing.norm(x)
            y = normalised
            for name, module in self.token_mixing.named_children():
                if name != "norm":
                    y = module(y)
            x = self.add1(normalised, y)  # the bug: the skip carries LayerNorm(X), not X
            return self.add2(x, self.channel_mixing(x))

    model = mixer_s32()
    good = model.blocks.block3
    tokens, channels = good.token_mixing.fc1, good.channel_mixing.fc1
    broken = _NormalisedSkip(tokens.in_features, channels.in_features, tokens.out_features, channels.out_features)
    broken.load_state_dict(good.state_dict())
    model.blocks.block3 = broken
    return model


def xception_shortcut_from_previous_shortcut() -> nn.Module:
    """Xception (Figure 5) whose entry-flow modules after the first read their 1×1 shortcut from the previous
    module's shortcut branch instead of their own input: both are the previous module's output shape."""
    from implementations.specs.xception import head
    from implementations.torch.xception import Xception, XceptionBlock

    class ChainedShortcuts(Xception):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            previous = None
            for module in self.entry_flow.children():
                if not isinstance(module, XceptionBlock) or module.shortcut is None or module.add is None:
                    x = module(x)
                    continue
                y = x
                for name in module.names:
                    y = getattr(module, name)(y)
                shortcut = module.shortcut(x if previous is None else previous)  # the bug: always x
                x, previous = module.add(y, shortcut), shortcut
            for name in self.order[1:]:
                x = getattr(self, name)(x)
            return x

    return ChainedShortcuts(middle_repeats=8, top=head(jft=False, num_classes=None, dropout=None))
