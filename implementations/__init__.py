"""Keras and PyTorch implementations of the papers' architectures, registered by paper variant name.

Every architecture has one framework-free spec in `implementations.specs` that both builders read.
"""

from paperverify.registry import register

register(
    "resnet",
    ["plain18", "plain34", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152"],
    keras="implementations.keras.resnet",
    torch="implementations.torch.resnet",
)

register(
    "lenet",
    ["lenet5"],
    input_channels=1,
    keras="implementations.keras.lenet5",
    torch="implementations.torch.lenet5",
)
