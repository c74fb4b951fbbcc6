"""Keras and PyTorch implementations of the papers' architectures, registered by paper variant name.

Every architecture has one framework-free spec in `implementations.specs` that both builders read; the builders
of architecture `a` are the functions named after its variants in `implementations.<framework>.a`, found by
convention.
"""

from paperverify.registry import register

IMAGENET_RESNETS = ["plain18", "plain34", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]
CIFAR_RESNETS = ["resnet20", "resnet32", "resnet44", "resnet56", "resnet110", "resnet1202"]  # Sec. 4.2
register("resnet", [*IMAGENET_RESNETS, *CIFAR_RESNETS])

register("vgg", ["vgg11", "vgg11_lrn", "vgg13", "vgg16_c", "vgg16", "vgg19"])

register("googlenet", ["googlenet"])

register("alexnet", ["alexnet"])

register("nin", ["nin_cifar10"])

register("lenet", ["lenet5"], input_channels=1)

register("bninception", ["bn_inception"])

register("densenet", ["densenet121", "densenet169", "densenet201", "densenet264", "densenet_cifar"])

register("squeezenet", ["squeezenet", "squeezenet_simple_bypass", "squeezenet_complex_bypass"])

register("mobilenet", ["mobilenet_v1"])

register("shufflenet", ["shufflenet_g1", "shufflenet_g2", "shufflenet_g3", "shufflenet_g4", "shufflenet_g8"])

register("senet", ["se_resnet50", "se_resnet101", "se_resnet152", "se_resnext50"])

register("mixer", ["mixer_s32", "mixer_s16", "mixer_b32", "mixer_b16", "mixer_l32", "mixer_l16", "mixer_h14"])

register("efficientnet", [f"efficientnet_b{index}" for index in range(8)])

register("xception", ["xception"])
