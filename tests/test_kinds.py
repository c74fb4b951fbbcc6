"""The layer-kind vocabulary (paperverify.kinds) is the one the probes, the counters and our implementations
speak: every kind a probe maps a class to, and every `paperverify_kind` a class declares, is defined there."""

from __future__ import annotations

import ast
from pathlib import Path

from paperverify import kinds

ROOT = Path(__file__).resolve().parents[1]


def test_the_probes_map_classes_to_defined_kinds(torch_threads: int, tf_threads: int) -> None:
    from paperverify.frameworks.keras import probe as keras_probe
    from paperverify.frameworks.torch import probe as torch_probe

    mapped = {kind for _, kind in torch_probe._KINDS} | set(torch_probe._KINDS_BY_NAME.values())
    mapped |= {kind for _, kind in keras_probe._KINDS} | set(keras_probe._ACTIVATIONS.values())
    mapped |= set(keras_probe._OPERATIONS.values()) | set(keras_probe._REDUCTIONS.values())
    assert mapped - set(kinds.KINDS) == set()


def test_every_declared_paperverify_kind_is_defined() -> None:
    declared = {}
    for path in sorted((ROOT / "implementations").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == "paperverify_kind" for target in node.targets
            ):
                declared[f"{path.relative_to(ROOT)}:{node.lineno}"] = node.value.value
    assert len(declared) > 10
    assert {where: kind for where, kind in declared.items() if kind not in kinds.KINDS} == {}


def test_the_derived_sets_follow_the_table() -> None:
    assert {"conv2d", "dense", "subsample", "rbf"} == kinds.WEIGHT_LAYERS
    assert {"maxpool", "avgpool"} == kinds.POOLING
    assert {"add", "concat"} == kinds.MERGES
    assert kinds.COPYABLE == ("conv2d", "dense", "batchnorm", "layernorm")
    assert all(kind.description for kind in kinds.KINDS.values())


def test_one_kind_for_the_element_wise_product() -> None:
    """SENet's channel-wise scale (Eq. 4) and EfficientNet's excitation are one operation: one multiply per
    output value."""
    assert "scale" not in kinds.KINDS
    assert kinds.KINDS["multiply"].macs(((7, 7, 64), (1, 1, 64)), (7, 7, 64), None, 1) == 7 * 7 * 64


def test_the_functional_layers_are_of_defined_kinds(torch_threads: int) -> None:
    from paperverify.frameworks.torch.tracer import FUNCTIONS

    assert {kind for kind, _ in FUNCTIONS.values()} - set(kinds.KINDS) == set()


def test_keras_operations_that_are_layers_are_recorded_and_plumbing_is_not(tf_threads: int) -> None:
    """A functional Keras model's operations (not layers): `ops.relu`, `x + y`, a spatial `ops.mean` are their
    kinds; `x * 0.5`, slicing and a reshape's shape are not layers; `ops.matmul` is unknown, its cost not guessed;
    a `Lambda` is the operations its function applies, named under it, or unknown when its function cannot run on
    symbolic tensors."""
    import keras
    import tensorflow as tf
    from keras import layers, ops

    from paperverify.frameworks.keras.probe import probe_model

    inputs = keras.Input((8, 8, 4))
    x = ops.relu(layers.Conv2D(4, 3, padding="same")(inputs))
    x = (x + inputs) * 0.5
    x = ops.concatenate([x[..., :2], layers.Conv2D(2, 1)(x[..., 2:])], axis=-1)
    x = layers.Lambda(lambda t: ops.sigmoid(ops.mean(t, axis=(1, 2))), name="squeeze")(x)
    x = layers.Lambda(lambda t: tf.math.multiply(t, 2.0), name="doubled")(x)
    outputs = ops.softmax(ops.matmul(x, ops.ones((4, 3))))
    found = [(record.name, record.kind) for record in probe_model(keras.Model(inputs, outputs)).layers]
    assert [kind for _, kind in found] == [
        "conv2d", "relu", "add", "conv2d", "concat", "avgpool", "sigmoid", kinds.UNKNOWN, kinds.UNKNOWN, "softmax"
    ]  # fmt: skip
    assert found[5][0].startswith("squeeze.mean") and found[6][0].startswith("squeeze.sigmoid")
    assert found[7][0] == "doubled" and found[8][0].startswith("matmul")


def test_a_torch_module_of_the_models_own_class_without_weights_is_its_forwards_layers(torch_threads: int) -> None:
    """A user's leaf module the probe cannot tell and holding no weights is opened: a `Swish` computing
    `x * torch.sigmoid(x)` is a sigmoid and a swish under its name, a channel shuffle of views and a transpose is
    that plumbing; one computing what no layer function names (`torch.matmul`, a division) stays one layer of the
    unknown kind, its cost not taken for zero; one returning its input is nothing."""
    import torch
    from torch import nn

    from paperverify.frameworks.torch.probe import probe_model

    class Swish(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x * torch.sigmoid(x)

    class Shuffle(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            n, c, h, w = x.size()
            return x.view(n, 2, c // 2, h, w).transpose(1, 2).contiguous().view(n, c, h, w)

    class Gram(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x + torch.matmul(x, x.transpose(2, 3))

    class HardSwish(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x * nn.functional.relu6(x + 3) / 6

    class Same(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x

    model = nn.Sequential(nn.Conv2d(3, 8, 3), Swish(), Shuffle(), Gram(), HardSwish(), Same(), nn.Flatten())
    found = [(record.name, record.kind, record.macs) for record in probe_model(model, (8, 8, 3)).layers]
    assert found == [
        ("0", "conv2d", 6 * 6 * 8 * 3 * 3 * 3),
        ("1.sigmoid", "sigmoid", 0),
        ("1.swish", "swish", 0),
        ("2.flatten", "flatten", 0),
        ("2.transpose", "transpose", 0),
        ("2.flatten_1", "flatten", 0),
        ("3", kinds.UNKNOWN, None),
        ("4", kinds.UNKNOWN, None),
        ("6", "flatten", 0),
    ]
