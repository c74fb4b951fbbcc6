"""pytest plugin (entry point `paperverify`): options under the `--pv-` prefix.

This first slice registers the options; attaching verdicts to test reports comes with the full
discrepancy report.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("paperverify", "paper-to-code verification")
    group.addoption(
        "--pv-framework",
        action="append",
        choices=["keras", "torch"],
        help="only run claim tests for this framework (repeatable; default: all)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = config.getoption("--pv-framework")
    if not wanted:
        return
    kept, dropped = [], []
    for item in items:
        framework = getattr(item, "callspec", None) and item.callspec.params.get("framework")
        (dropped if framework and framework not in wanted else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
