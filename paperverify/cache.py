"""A cache of our implementations' probed traces that cannot go stale: each entry is keyed on everything its
probe depends on, so an unchanged configuration is never rebuilt and any change rebuilds it.

The key is a digest of
- the configuration (variant, input size, options), the builder (module and function) and the input channels;
- the source of the builder's module and of every module of the project it imports, at any depth (a spec, a
  blocks module, a package's `__init__`), read statically from the `import` statements without importing them;
- the same for the framework's adapter (`paperverify/frameworks/<name>/adapter.py`) and `paperverify.probes`:
  the engine's probing and counting code, the trace's definition and everything else they import;
- the installed version of every third-party package those modules import (the framework, numpy, einops), the
  framework's settings (`KERAS_BACKEND`), the Python version and the layer kinds a user declared.
A module inside site-packages counts by its distribution's version, one in the standard library by Python's.
A project module that imports at run time (`importlib.import_module`, `__import__`) hides what it depends on:
a configuration whose builder reaches one is not cached.

Entries live in `$PAPERVERIFY_CACHE_DIR` (default `$XDG_CACHE_HOME/paperverify`, else `~/.cache/paperverify`),
one pickle per trace, written atomically, so parallel runs share them; deleting the folder clears the cache.
`--no-cache` (report, check) neither reads nor writes it. A trace that fails to probe is never cached.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.machinery
import importlib.metadata
import os
import pickle
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import cache
from pathlib import Path

from paperverify import frameworks, kinds, registry
from paperverify.claims import Config
from paperverify.trace import Trace

#: The environment variable naming the cache's folder.
DIRECTORY_VARIABLE = "PAPERVERIFY_CACHE_DIR"
#: Where the probing code starts, besides the framework's adapter.
ENGINE = "paperverify.probes"
#: Calls by which a module imports what its `import` statements do not show. The engine's own (the registry
#: importing a builder's module, paperverify.frameworks an adapter) are where the closures start.
_DYNAMIC_IMPORTS = (b"import_module(", b"__import__(")
_ENGINE_PACKAGE = __name__.partition(".")[0]

_enabled = True


def directory() -> Path:
    """The cache's folder: `$PAPERVERIFY_CACHE_DIR`, else `paperverify` under `$XDG_CACHE_HOME` or `~/.cache`."""
    if os.environ.get(DIRECTORY_VARIABLE):
        return Path(os.environ[DIRECTORY_VARIABLE])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "paperverify"


def enabled() -> bool:
    """Whether traces are read from and written to the cache (not inside `disabled`)."""
    return _enabled


@contextmanager
def disabled() -> Iterator[None]:
    """While inside, traces are neither read from nor written to the cache."""
    global _enabled
    saved, _enabled = _enabled, False
    try:
        yield
    finally:
        _enabled = saved


def reread() -> None:
    """Forget the sources and versions read so far (each is read once per process): for a process that changes
    them between two keys."""
    for memo in (_closure, _find, _third_party, _version, _distributions):
        memo.cache_clear()


def key(config: Config, framework: str) -> str | None:
    """The cache key of our implementation of `config` probed in `framework`; None when it cannot be cached (the
    cache is off, or the builder's module is not source the cache can read)."""
    if not _enabled:
        return None
    variant = registry.get(config.variant)
    module = dict(variant.modules).get(framework)
    if module is None:
        return None
    closures = [_closure(module), _closure(frameworks.adapter_module(framework)), _closure(ENGINE)]
    if any(closure is None for closure in closures):
        return None
    parts = [
        repr((config, variant.name, module, variant.input_channels, framework)),
        *(line for closure in closures for line in closure or ()),
        *(f"{name}={os.environ.get(name)}" for name in frameworks.settings(framework)),
        *(f"{top}: {_version(top)}" for top in frameworks.runs_on(framework)),
        sys.version,
        repr(sorted(kinds.declared_kinds().items())),
    ]
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=20).hexdigest()


def load(entry: str | None) -> Trace | None:
    """The trace stored under `entry`, or None (no entry, the cache off, or a file that does not read back)."""
    if entry is None:
        return None
    try:
        trace = pickle.loads(_path(entry).read_bytes())
    except Exception:  # missing, truncated or from another paperverify: probed again and overwritten
        return None
    return trace if isinstance(trace, Trace) else None


def store(entry: str | None, trace: Trace) -> None:
    """Keep `trace` under `entry` (atomically); a folder that cannot be written is left alone."""
    if entry is None:
        return
    path = _path(entry)
    with suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                pickle.dump(trace, file, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        finally:
            with suppress(FileNotFoundError):
                os.unlink(temporary)


def _path(entry: str) -> Path:
    return directory() / "traces" / entry[:2] / f"{entry}.pickle"


@cache
def _closure(module: str) -> tuple[str, ...] | None:
    """`module`'s dependencies as key lines: a digest of each project module it reaches through its imports
    (itself and its packages included), the version of each third-party package; None if one of the project's
    modules cannot be read or imports dynamically. A package reached only as the parent of a module counts by
    its `__init__`'s own source: what it imports for its users (paperverify's public API) is not followed."""
    lines: set[str] = set()
    pending, hashed, followed = [(module, True)], set(), set()
    while pending:
        name, follow = pending.pop()
        top = name.partition(".")[0]
        if name in followed or (name in hashed and not follow) or top in sys.stdlib_module_names:
            continue
        if _outside(name):  # installed, not the project's: counted by its version
            lines.add(f"{top}: {_version(top)}")
            continue
        spec = _find(name)
        if spec is None or not spec.has_location or spec.origin is None:
            if name == module:
                return None
            lines.add(f"{name} absent")
            continue
        source = Path(spec.origin).read_bytes()
        if top != _ENGINE_PACKAGE and any(call in source for call in _DYNAMIC_IMPORTS):
            return None
        if name not in hashed:
            hashed.add(name)
            lines.add(f"{name} {hashlib.blake2b(source, digest_size=16).hexdigest()}")
            pending.extend((name.rsplit(".", depth)[0], False) for depth in range(1, name.count(".") + 1))
        if follow:
            followed.add(name)
            package = name if spec.submodule_search_locations is not None else name.rpartition(".")[0]
            pending.extend(_imports(source, package))
    return tuple(sorted(lines))


def _imports(source: bytes, package: str) -> Iterator[tuple[str, bool]]:
    """The modules `source` imports, by absolute name, each with whether what it imports must be followed:
    `from a import b` imports the module `a.b` where there is one (and `a` as its package), else the name `b`
    from `a`, which is then followed. A third-party or standard package is named by its top name."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from ((_outside(alias.name) or alias.name, True) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            if _outside(base):
                yield _outside(base), True
                continue
            yield base, False
            for alias in node.names:
                name = f"{base}.{alias.name}"
                yield (name, True) if _find(name) is not None else (base, True)


def _outside(name: str) -> str | None:
    """`name`'s top-level package if it is in the standard library or installed (not the project's), else None."""
    top = name.partition(".")[0]
    return top if top in sys.stdlib_module_names or _third_party(top) else None


@cache
def _find(name: str) -> importlib.machinery.ModuleSpec | None:
    """Where module `name` lives, found without importing it or its packages."""
    parent, _, _ = name.rpartition(".")
    if not parent:
        return importlib.machinery.PathFinder.find_spec(name)
    above = _find(parent)
    if above is None or above.submodule_search_locations is None:
        return None
    return importlib.machinery.PathFinder.find_spec(name, list(above.submodule_search_locations))


@cache
def _third_party(top: str) -> bool:
    """Whether the top-level package `top` is installed in site-packages (counted by its version, not read)."""
    spec = _find(top)
    if spec is None:
        return False
    folders = list(spec.submodule_search_locations or [])
    location = spec.origin if spec.has_location and spec.origin else (folders[0] if folders else "")
    return any(Path(location).is_relative_to(Path(site)) for site in _site_packages())


@cache
def _site_packages() -> tuple[str, ...]:
    return tuple({sysconfig.get_paths()[scheme] for scheme in ("purelib", "platlib")})


@cache
def _version(top: str) -> str:
    """The installed distribution(s) providing `top` with their versions (`tensorflow-cpu 2.21.0`)."""
    names = sorted(_distributions().get(top, ()))
    return ",".join(f"{name} {importlib.metadata.version(name)}" for name in names) or "unknown version"


@cache
def _distributions() -> dict[str, list[str]]:
    return dict(importlib.metadata.packages_distributions())
