"""Test-session set-up: quiet frameworks, threads sized for the machine, hypothesis profiles, no network.

Frameworks are imported lazily (in the xdist workers only), never at collection in the controller. The trace
cache (paperverify.cache) is a folder of this session's own, shared by its workers: a configuration one worker
probed, another reads back; the user's cache is never read. Every test runs with the network blocked: a
connection to anything but this machine raises NetworkBlocked, so a
model that tried to download weights, or a table that pointed at a URL, fails its test. Set
PAPERVERIFY_ALLOW_NETWORK=1 to lift the guard.
"""

from __future__ import annotations

import gc
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

from tests import examples

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# Hypothesis profiles and the example budget (tests/examples.py): `ci` in tox, `thorough` to go deeper.
examples.load()


def _threads() -> int:
    """Cores per test process: all of them serially, shared out among pytest-xdist workers."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    return max(1, (os.cpu_count() or 1) // workers)


@pytest.fixture(scope="session")
def torch_threads() -> int:
    """Import torch with its thread count set for this process."""
    import torch

    threads = _threads()
    torch.set_num_threads(threads)
    gc.freeze()  # the collector no longer walks what the import made (paperverify.runner does the same)
    return threads


@pytest.fixture(scope="session")
def tf_threads() -> int:
    """Import TensorFlow with its thread counts set before its first op (later it raises)."""
    import tensorflow as tf

    threads = _threads()
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # TensorFlow already ran an op in this process: the counts are fixed
        pass
    gc.freeze()
    return threads


class NetworkBlocked(RuntimeError):
    """A test tried to reach the network."""


_LOCAL = ("localhost", "127.0.0.1", "::1", "")


def _host(address: Any) -> str:
    return str(address[0]) if isinstance(address, tuple) else ""


@pytest.fixture(autouse=True, scope="session")
def no_network() -> Iterator[None]:
    """Block every connection to another machine for the whole session (Unix sockets and loopback pass)."""
    if os.environ.get("PAPERVERIFY_ALLOW_NETWORK") == "1":
        yield
        return
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> Any:
        if self.family != socket.AF_UNIX and _host(address) not in _LOCAL:
            raise NetworkBlocked(f"a test tried to connect to {address!r}; paperverify runs offline")
        return real_connect(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in (*_LOCAL, None):
            raise NetworkBlocked(f"a test tried to resolve {host!r}; paperverify runs offline")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
    try:
        yield
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.getaddrinfo = real_getaddrinfo  # type: ignore[assignment]


pytest_plugins = ("pytester",)


_SESSION_CACHE: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    """The controller makes the session's trace cache folder; xdist workers inherit its environment. Garbage is
    collected less often (model builds make tens of thousands of objects each), as in the report's workers."""
    gc.set_threshold(50_000, 20, 20)
    if getattr(config.option, "dist", None) == "loadgroup" and not _groups_kept():
        raise pytest.UsageError(
            f"pytest {pytest.__version__} drops pytest-xdist's `--dist loadgroup` groups (every group's model would "
            "be built on every worker): install the pytest of constraints.txt (tox does)"
        )
    if not hasattr(config, "workerinput"):
        _SESSION_CACHE.append(tempfile.mkdtemp(prefix="paperverify-cache-"))
        os.environ["PAPERVERIFY_CACHE_DIR"] = _SESSION_CACHE[0]


def _groups_kept() -> bool:
    """Whether pytest reads back the node id pytest-xdist rewrites to add an item's group (`item._nodeid`):
    pytest 9.2 builds the id from another attribute, and `--dist loadgroup` then groups nothing."""
    from _pytest.nodes import Node

    probe = Node.__new__(Node)
    probe._nodeid = "kept"
    try:
        return probe.nodeid == "kept"
    except AttributeError:
        return False


def pytest_unconfigure(config: pytest.Config) -> None:
    for folder in _SESSION_CACHE:
        shutil.rmtree(folder, ignore_errors=True)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-golden",
        action="store_true",
        help="rewrite tests/golden/ from the report fixture instead of comparing with it",
    )
    parser.addoption("--run-slow", action="store_true", help="also run the tests marked slow (skipped by default)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked slow are skipped, with their reason and how to run them, unless --run-slow is given."""
    if config.getoption("--run-slow"):
        return
    for item in items:
        marker = item.get_closest_marker("slow")
        if marker is not None:
            why = marker.kwargs.get("reason", "slow")
            item.add_marker(pytest.mark.skip(reason=f"{why}; run with --run-slow (tox -- --run-slow)"))
