"""Test-session set-up: quiet frameworks, threads sized for the machine, hypothesis profiles.

Frameworks are imported lazily (in the xdist workers only), never at collection in the controller.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# `ci` keeps CI short; `thorough` goes deeper (pytest --hypothesis-profile=thorough).
settings.register_profile("ci", max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


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
    return threads


pytest_plugins = ("pytester",)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-golden",
        action="store_true",
        help="rewrite tests/golden/ from the report fixture instead of comparing with it",
    )
