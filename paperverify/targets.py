"""A model loaded from a command-line target: `package.module:callable`, `path/to/file.py:callable` (its folder
importable, for sibling modules) or a saved model file, built without weights where its framework allows; every
failure (an import error, a `sys.exit`, a builder that raises or takes other arguments) a CheckError saying what
happened, never a pass with nothing checked."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from paperverify import frameworks
from paperverify.check import CheckError, framework_of


def parse_kwargs(entries: Iterable[str], option: str = "--kwarg") -> dict[str, Any]:
    """`K=V` entries as keyword arguments; V is a Python literal (`None`, `10`, `(224, 224, 3)`) or a string."""
    kwargs: dict[str, Any] = {}
    for entry in entries:
        key, sep, text = entry.partition("=")
        if not sep or not key.strip().isidentifier():
            raise CheckError(f"{option} expects NAME=VALUE, e.g. weights=None or alpha=0.5. Received: {entry!r}")
        try:
            value: Any = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            value = text
        kwargs[key.strip()] = value
    return kwargs


def load_target(
    target: str, kwargs: Mapping[str, Any], framework: str = "auto", weights: bool = False
) -> tuple[Any, str, str]:
    """Build the model a target names, without weights where the framework allows; (model, framework, label).

    TARGET is `package.module:callable`, `path/to/file.py:callable` or a saved model file (Keras'). The callable
    is called with `kwargs` inside each framework's loading scope (`Framework.loading`: PyTorch's meta device,
    Keras without initialising a variable), which with `weights=True` lets the model initialise its weights, as
    the equivalence check needs. Only the module the target names is imported.
    """
    if framework not in ("auto", *frameworks.NAMES):
        raise CheckError(f"--framework expects auto or one of {list(frameworks.NAMES)}. Received: {framework!r}")
    saved = frameworks.reading(Path(target)) if ":" not in target else None
    if saved is not None:
        return _load_file(Path(target), saved, framework), saved, Path(target).name
    location, sep, attribute = target.rpartition(":")
    if not sep or not location or not attribute:
        raise CheckError(
            "TARGET is package.module:callable, path/to/file.py:callable or a saved model file "
            f"({', '.join(frameworks.saved_suffixes())}). Received: {target!r}"
        )
    module = _import_target_module(location)
    builder = module
    for part in attribute.split("."):
        if not hasattr(builder, part):
            public = sorted(n for n in dir(module) if not n.startswith("_") and callable(getattr(module, n)))
            raise CheckError(f"{location} has no attribute {attribute!r}. Callables there: {public[:30]}")
        builder = getattr(builder, part)
    if not callable(builder):
        raise CheckError(f"{target} is a {type(builder).__name__}, not a callable that returns a model")
    model = _call(builder, target, kwargs, _frameworks_for(framework), weights)
    found = framework_of(model)
    if framework != "auto" and found != framework:
        raise CheckError(f"{target} returned a {found} model, but --framework {framework} was given")
    return model, found, attribute


def guess_framework(target: str, framework: str = "auto") -> str | None:
    """The framework a target's model is likely written in, told without importing anything: the one asked for,
    the one that reads a saved file's suffix, or the one whose packages alone the target's source imports (None
    when that cannot be told). A guess: `load_target` says what the model is."""
    if framework != "auto":
        return framework
    location, sep, _ = target.rpartition(":")
    if not sep:
        return frameworks.reading(Path(target))
    source = _source(location)
    if source is None:
        return None
    found = {
        name
        for name in frameworks.NAMES
        for package in (frameworks.package(name), *frameworks.runs_on(name))
        if re.search(rf"^\s*(?:import|from)\s+{package}\b", source, re.MULTILINE)
    }
    return found.pop() if len(found) == 1 else None


def _source(location: str) -> str | None:
    """The text of a target's module (a file, or a module found on the path without importing it or its
    packages), or None."""
    if _names_a_file(location):
        path = Path(location)
    else:
        top, *parts = location.split(".")
        try:
            spec = importlib.util.find_spec(top)
        except (ImportError, ValueError):
            return None
        if spec is None:
            return None
        folders = list(spec.submodule_search_locations or ())  # a namespace package has folders, no origin
        path = Path(spec.origin) if spec.origin else Path(folders[0], "__init__.py") if folders else None
        if path is None:
            return None
        for part in parts:
            folder = path.parent / part
            path = folder / "__init__.py" if folder.is_dir() else path.parent / f"{part}.py"
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _names_a_file(location: str) -> bool:
    """Whether a target's location is a file (`path/to/file.py`) rather than a module (`package.module`)."""
    return location.endswith(".py") or "/" in location or "\\" in location


def _import_target_module(location: str) -> Any:
    if _names_a_file(location):
        return _import_file(Path(location))
    try:
        return importlib.import_module(location)
    except ImportError as err:
        raise CheckError(f"cannot import module {location!r}: {err}") from err
    except (Exception, SystemExit) as err:
        raise CheckError(f"importing {location} {_raised(err)}") from err


def _module_name(path: Path) -> str:
    """The name a target file is imported under: its stem (`user_models`, so its classes read as a user names
    them), or a private name where the stem is not an identifier or names another module."""
    stem, resolved = path.stem, str(path.resolve())
    if not stem.isidentifier():
        return f"paperverify_target_{stem}"
    existing = sys.modules.get(stem)
    if existing is not None:
        return stem if getattr(existing, "__file__", None) == resolved else f"paperverify_target_{stem}"
    found = importlib.util.find_spec(stem)
    return stem if found is None or found.origin == resolved else f"paperverify_target_{stem}"


def _import_file(path: Path) -> Any:
    """A target file, imported afresh as a module, with its folder importable (sibling modules) from then on."""
    if not path.is_file():
        raise CheckError(f"no such file: {path}. TARGET is path/to/file.py:callable")
    folder = str(path.resolve().parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    name = _module_name(path)
    spec = importlib.util.spec_from_file_location(name, path.resolve())
    if spec is None or spec.loader is None:
        raise CheckError(f"cannot import {path} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # as an import does: dataclasses and pickling look the module up
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as err:
        del sys.modules[name]
        raise CheckError(f"importing {path} {_raised(err)}") from err
    return module


def _raised(err: BaseException) -> str:
    """What a target did instead of giving a model: an exception, or an exit (never a pass with nothing
    checked)."""
    if isinstance(err, SystemExit):
        return f"called sys.exit({err.code!r}) instead of returning a model: nothing was checked"
    return f"raised {type(err).__name__}: {err}"


def _frameworks_for(framework: str) -> list[str]:
    """The frameworks whose loading scope a target's builder is called in: the one asked for, or those this
    process has imported (a target module imports its framework), or those installed; only frameworks whose
    models callables build."""
    if framework != "auto":
        return [framework]
    return [name for name in frameworks.imported() if name in frameworks.BUILDING] or frameworks.installed(
        frameworks.BUILDING
    )


def _call(builder: Callable[..., Any], target: str, kwargs: Mapping[str, Any], names: list[str], weights: bool) -> Any:
    """Call the target's builder inside each framework's loading scope (no weights unless `weights`)."""
    try:
        inspect.signature(builder).bind(**kwargs)
    except TypeError as err:
        raise CheckError(f"{target} does not take these arguments {dict(kwargs)}: {err}") from err
    except ValueError:
        pass  # no signature to check (a builtin or C extension): let the call tell
    with ExitStack() as stack:
        for name in dict.fromkeys([*names, *(n for n in frameworks.imported() if n in frameworks.BUILDING)]):
            stack.enter_context(frameworks.get(name).loading(weights=weights or name not in names))
        try:
            return builder(**kwargs)
        except (Exception, SystemExit) as err:
            raise CheckError(f"calling {target}(**{dict(kwargs)}) {_raised(err)}") from err


def _load_file(path: Path, saved: str, framework: str) -> Any:
    """A saved model, read by the framework its suffix belongs to."""
    if framework not in ("auto", saved):
        raise CheckError(f"{path} is a saved {saved} model; --framework {framework} cannot load it")
    if not path.is_file():
        raise CheckError(f"no such file: {path}")
    try:
        return frameworks.get(saved).load_file(path)
    except Exception as err:
        raise CheckError(f"cannot load {path} as a saved {saved} model: {type(err).__name__}: {err}") from err
