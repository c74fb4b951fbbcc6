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
