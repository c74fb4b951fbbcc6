"""The trace cache (paperverify.cache): every thing a probe depends on is in its key, entries read back, a warm
report imports no framework, and parallel workers give the serial run's verdicts."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from paperverify import cache, registry
from paperverify.claims import Config
from paperverify.probes import probe
from paperverify.runner import run
from paperverify.tables import load_claims
from paperverify.trace import LayerRecord, Trace

VARIANT = "cache_demo_net"
_READ = Path.read_bytes

NET = """
from cache_demo_pkg import spec
from .blocks import double


def cache_demo_net(input_size=32):
    return double(spec.WIDTH)
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A project of our own on the path: a builder module, the spec and blocks it imports, a module it does not."""
    package = tmp_path / "cache_demo_pkg"
    package.mkdir()
    files = {"__init__.py": "", "net.py": NET, "spec.py": "WIDTH = 8\n", "blocks.py": "def double(x):\n    return x\n"}
    for name, text in {**files, "unrelated.py": "OTHER = 1\n"}.items():
        (package / name).write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.variants()
    registry.register("cache_demo", [VARIANT], torch="cache_demo_pkg.net")
    cache.reread()
    try:
        yield package
    finally:
        del registry._REGISTRY[VARIANT]
        cache.reread()


def _key(config: Config | None = None, framework: str = "torch") -> str | None:
    cache.reread()
    return cache.key(config or Config(VARIANT, 32), framework)


def test_a_change_to_the_builder_or_anything_it_imports_changes_the_key(project: Path) -> None:
    before = _key()
    assert before is not None
    for name in ("net.py", "spec.py", "blocks.py", "__init__.py"):
        path = project / name
        original = path.read_text()
        path.write_text(original + "\n# edited\n")
        assert _key() != before, f"an edit of {name} left the key as it was"
        path.write_text(original)
        assert _key() == before
    (project / "unrelated.py").write_text("OTHER = 2\n")
    assert _key() == before, "a module the builder does not import is not part of its key"


def test_the_configuration_and_the_framework_are_part_of_the_key(project: Path) -> None:
    keys = {_key(), _key(Config(VARIANT, 64)), _key(Config(VARIANT, 32, (("depth", 3),)))}
    assert None not in keys and len(keys) == 3
    assert _key(framework="keras") is None  # no keras builder: nothing to cache


def test_the_engines_probing_and_counting_code_is_part_of_the_key(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _key()
    engine = [
        "paperverify/counting.py", "paperverify/kinds.py", "paperverify/trace.py",
        "paperverify/frameworks/torch/probe.py", "paperverify/frameworks/torch/shape_rules.py",
    ]  # fmt: skip
    for edited in engine:
        _edit(monkeypatch, edited)
        assert _key() != before, f"an edit of {edited} left the key as it was"
    _edit(monkeypatch, "paperverify/report.py")
    assert _key() == before, "the report's code is not the probe's"


def _edit(monkeypatch: pytest.MonkeyPatch, edited: str) -> None:
    """Every read of the file `edited` (a path's tail) from now on gives its source plus a comment."""
    monkeypatch.setattr(Path, "read_bytes", lambda path: _READ(path) + (b"#" if path.match(edited) else b""))


def test_a_framework_version_or_setting_is_part_of_the_key(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before, keras_before = _key(), _key(Config("resnet18", 224), "keras")
    real = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "99.0" if name == "torch" else real(name))
    assert _key() != before
    monkeypatch.setattr(importlib.metadata, "version", real)
    assert _key() == before
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    assert _key() == before, "Keras' backend does not change a PyTorch build"
    assert _key(Config("resnet18", 224), "keras") != keras_before


def test_a_builder_that_imports_at_run_time_is_not_cached(project: Path) -> None:
    (project / "blocks.py").write_text("import importlib\n\ndouble = importlib.import_module('operator').mul\n")
    assert _key() is None


def test_an_entry_reads_back_and_a_broken_one_is_a_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.DIRECTORY_VARIABLE, str(tmp_path))
    trace = Trace("torch", (8, 8, 1), (LayerRecord("fc", "dense", ((64,),), (10,), 650, 0, 640),))
    cache.store("ab" * 20, trace)
    assert cache.load("ab" * 20) == trace
    entry = next(tmp_path.rglob("*.pickle"))
    entry.write_bytes(entry.read_bytes()[:20])
    assert cache.load("ab" * 20) is None
    assert cache.load(None) is None


def test_probe_reads_the_cache_and_not_when_disabled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, torch_threads: int
) -> None:
    monkeypatch.setenv(cache.DIRECTORY_VARIABLE, str(tmp_path))
    config = Config("lenet5", 32)
    stored = Trace("torch", (32, 32, 1), ())  # no network has no layers: only a read could give it
    cache.store(cache.key(config, "torch"), stored)
    probe.cache_clear()
    try:
        assert probe(config, "torch") == stored
        probe.cache_clear()
        with cache.disabled():
            assert cache.key(config, "torch") is None
            assert probe(config, "torch").layers
    finally:
        probe.cache_clear()


PAPER = "lecun1998_lenet5"

WARM = """
import sys
from paperverify.cli import main
code = main(["report", "--paper", "lecun1998_lenet5", "--format", "json", "--out", sys.argv[1]])
print(code, sorted(name for name in ("torch", "keras", "tensorflow") if name in sys.modules))
"""


def test_a_warm_report_imports_no_framework_and_says_what_a_cold_one_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, torch_threads: int, tf_threads: int
) -> None:
    from paperverify.cli import main

    monkeypatch.setenv(cache.DIRECTORY_VARIABLE, str(tmp_path / "cache"))
    probe.cache_clear()
    try:
        assert main(["report", "--paper", PAPER, "--format", "json", "--out", str(tmp_path / "cold")]) == 0
    finally:
        probe.cache_clear()
    assert list((tmp_path / "cache").rglob("*.pickle"))
    environment = {**os.environ, cache.DIRECTORY_VARIABLE: str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", WARM, str(tmp_path / "warm")], capture_output=True, text=True, env=environment
    )
    assert done.stdout.splitlines()[-1] == "0 []", done.stderr[-2000:]
    cold, warm = (json.loads((tmp_path / name / "report.json").read_text()) for name in ("cold", "warm"))
    assert cold.pop("generated") and warm.pop("generated")
    assert warm == cold


def test_workers_give_the_serial_verdicts(torch_threads: int) -> None:
    claims = [claim for claim in load_claims() if claim.source.paper in (PAPER, "iandola2016_squeezenet")]
    with cache.disabled():
        serial = run(claims, ["torch"], jobs=1)
        parallel = run(claims, ["torch"], jobs=2)
    assert parallel == serial
    assert len(serial) == len(claims) and {verdict.status for verdict in serial} <= {"match", "erratum"}


#: Checks of a stranger's Keras MobileNet in one fresh process, with the command-line options given, each with no
#: reference kept from the one before (as a new process would have none): ten configurations' references tell
#: which one it is. Each prints its exit status, whether PyTorch is imported, whether a worker probing the
#: references ahead was started, and whether the trace cache's folder exists.
CHECKS = """
import json, os, sys
from paperverify import ahead, cache, probes
from paperverify.cli import main
started, start = [], ahead.start
ahead.start = lambda *arguments: started.append(start(*arguments)) or started[-1]
for options in json.loads(sys.argv[1]):
    started.clear()
    probes._sent.clear()
    code = main(["check", "tests/strangers/keras_mobilenet.py:mobilenet", "--paper", "howard2017_mobilenet",
                 "--variant", "mobilenet_v1", *options])
    print(code, "torch" in sys.modules, started, os.path.exists(os.environ[cache.DIRECTORY_VARIABLE]))
"""


def test_a_keras_models_check_imports_no_pytorch_its_references_built_ahead_or_cached(tmp_path: Path) -> None:
    """A Keras model is lined up with our implementation and its configuration told by references built in
    PyTorch (at no cost on the meta device): a first check has them built by a worker process while it imports
    Keras and builds the model (paperverify.ahead), which sends them back and keeps them in the trace cache
    unless --no-cache; a later check finds them there with no worker (issue 17's cost: importing PyTorch after
    TensorFlow is seconds)."""
    environment = {**os.environ, cache.DIRECTORY_VARIABLE: str(tmp_path / "cache")}
    root = Path(__file__).resolve().parent.parent
    runs = json.dumps([["--no-cache"], [], []])
    done = subprocess.run(
        [sys.executable, "-c", CHECKS, runs], capture_output=True, text=True, env=environment, cwd=root
    )
    printed = [line for line in done.stdout.splitlines() if line.startswith("0 ") or line.startswith("1 ")]
    expected = ["0 False [True] False", "0 False [True] True", "0 False [False] True"]
    assert printed == expected, done.stdout[-3000:] + done.stderr[-2000:]


def test_a_targets_framework_is_told_from_its_source_without_importing_it(tmp_path: Path) -> None:
    from paperverify.targets import guess_framework

    sources = {
        "keras_model.py": "import numpy as np\nfrom keras import layers\n",
        "tf_model.py": "import tensorflow as tf\n",
        "torch_model.py": "import torch\nfrom torch import nn\n",
        "both.py": "import keras\nimport torch\n",
        "neither.py": "import numpy\n# import torch\n",
    }
    for name, text in sources.items():
        (tmp_path / name).write_text(text)
    guessed = {name: guess_framework(f"{tmp_path / name}:build") for name in sources}
    assert guessed == {
        "keras_model.py": "keras", "tf_model.py": "keras", "torch_model.py": "torch", "both.py": None,
        "neither.py": None,
    }  # fmt: skip
    assert guess_framework("tests.strangers.keras_resnet:resnet50") == "keras"
    assert guess_framework("tests.strangers.torch_resnet:resnet50") == "torch"
    assert guess_framework("model.onnx") == "onnx" and guess_framework("no.such.module:build") is None
    assert guess_framework(f"{tmp_path / 'neither.py'}:build", "torch") == "torch"
