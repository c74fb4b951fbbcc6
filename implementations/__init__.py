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
    "vgg",
    ["vgg11", "vgg11_lrn", "vgg13", "vgg16_c", "vgg16", "vgg19"],
    keras="implementations.keras.vgg",
    torch="implementations.torch.vgg",
)

register(
    "googlenet",
    ["googlenet"],
    keras="implementations.keras.googlenet",
    torch="implementations.torch.googlenet",
)

register(
    "alexnet",
    ["alexnet"],
    keras="implementations.keras.alexnet",
    torch="implementations.torch.alexnet",
)

register(
    "nin",
    ["nin_cifar10"],
    keras="implementations.keras.nin",
    torch="implementations.torch.nin",
)

register(
    "lenet",
    ["lenet5"],
    input_channels=1,
    keras="implementations.keras.lenet5",
    torch="implementations.torch.lenet5",
)

register(
    "bninception",
    ["bn_inception"],
    keras="implementations.keras.bninception",
    torch="implementations.torch.bninception",
)

register(
    "densenet",
    ["densenet121", "densenet169", "densenet201", "densenet264"],
    keras="implementations.keras.densenet",
    torch="implementations.torch.densenet",
)

register(
    "squeezenet",
    ["squeezenet", "squeezenet_simple_bypass", "squeezenet_complex_bypass"],
    keras="implementations.keras.squeezenet",
    torch="implementations.torch.squeezenet",
)

register(
    "mobilenet",
    ["mobilenet_v1"],
    keras="implementations.keras.mobilenet",
    torch="implementations.torch.mobilenet",
)

register(
    "shufflenet",
    ["shufflenet_g1", "shufflenet_g2", "shufflenet_g3", "shufflenet_g4", "shufflenet_g8"],
    keras="implementations.keras.shufflenet",
    torch="implementations.torch.shufflenet",
)

register(
    "senet",
    ["se_resnet50", "se_resnet101", "se_resnet152", "se_resnext50"],
    keras="implementations.keras.senet",
    torch="implementations.torch.senet",
)

register(
    "mixer",
    ["mixer_s32", "mixer_s16", "mixer_b32", "mixer_b16", "mixer_l32", "mixer_l16", "mixer_h14"],
    keras="implementations.keras.mixer",
    torch="implementations.torch.mixer",
)

register(
    "efficientnet",
    [f"efficientnet_b{index}" for index in range(8)],
    keras="implementations.keras.efficientnet",
    torch="implementations.torch.efficientnet",
)

register(
    "xception",
    ["xception"],
    keras="implementations.keras.xception",
    torch="implementations.torch.xception",
)
