"""The framework seam (paperverify.frameworks): frameworks found by convention, one dispatch, and no engine
module outside the adapters that names a framework."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from paperverify import frameworks, registry

#: The paperverify package's folder.
ENGINE = Path(frameworks.__file__).resolve().parents[1]


def test_the_frameworks_are_the_subpackages() -> None:
    folders = sorted(p.name for p in (ENGINE / "frameworks").iterdir() if (p / "adapter.py").is_file())
    assert list(frameworks.NAMES) == folders == ["keras", "onnx", "torch"]
    # ONNX models are read from files: no callable builds one, ours are built in the other two
    assert frameworks.BUILDING == ("keras", "torch") == registry.FRAMEWORKS


def test_an_unknown_framework_is_refused_with_the_known_ones() -> None:
    with pytest.raises(frameworks.FrameworkError, match=r"one of \['keras', 'onnx', 'torch'\]. Received: 'jax'"):
        frameworks.get("jax")


def test_a_framework_that_builds_nothing_takes_its_references_from_one_that_does() -> None:
    assert frameworks.for_references(("torch", "keras"), "onnx") == "torch"
    assert frameworks.for_references(("keras",), "onnx") == "keras"


def test_a_model_is_dispatched_to_its_framework(torch_threads: int, tf_threads: int) -> None:
    import keras
    from torch import nn

    assert frameworks.of(nn.Linear(2, 3)).name == "torch"
    inputs = keras.Input((4,))
    assert frameworks.of(keras.Model(inputs, keras.layers.Dense(2)(inputs))).name == "keras"
    expected = r"one of keras\.Model, onnx\.ModelProto, torch\.nn\.Module\. Received: builtins\.object"
    with pytest.raises(frameworks.FrameworkError, match=expected):
        frameworks.of(object())


def test_saved_models_are_read_by_the_framework_of_their_suffix() -> None:
    assert frameworks.reading(Path("net.keras")) == frameworks.reading(Path("net.h5")) == "keras"
    assert frameworks.reading(Path("net.onnx")) == "onnx"
    assert frameworks.reading(Path("net.py")) is None


def _named_frameworks(path: Path) -> list[str]:
    """String constants of `path` that are a framework's name, docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    return [
        f"{path.relative_to(ENGINE)}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in frameworks.NAMES and id(node) not in docstrings
    ]


def test_no_engine_module_outside_the_adapters_names_a_framework() -> None:
    """A third framework is a folder in paperverify/frameworks/, not edits across the engine."""
    modules = [path for path in sorted(ENGINE.rglob("*.py")) if "frameworks" not in path.relative_to(ENGINE).parts]
    assert len(modules) > 20 and ENGINE / "equivalence.py" in modules
    assert [hit for path in modules for hit in _named_frameworks(path)] == []
    assert _named_frameworks(ENGINE / "frameworks" / "keras" / "adapter.py")  # the scan sees a name where one is
