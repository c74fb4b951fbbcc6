"""pytest plugin (entry point `paperverify`): claim tests, their verdicts, and the report.

A test function that asks for the `pv_claim` and `pv_framework` arguments is parametrized over every claim
of the reference tables × every framework, with ids that read like the claim
(`he2016_resnet/table1/resnet50/macs[keras]`). The `pv_judge` fixture judges a claim and attaches the
verdict to the test's report (`user_properties`), which survives pytest-xdist; the controller gathers the
verdicts and, with `--pv-report DIR`, writes the report once at session end.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from paperverify.compare import Verdict, error
from paperverify.registry import FRAMEWORKS
from paperverify.tables import Claim, TableValidationError, default_roots, load_claims

VERDICT = "paperverify_verdict"
CHECK = "paperverify_check"
_claims_key = pytest.StashKey[list[Claim]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("paperverify", "paper-to-code verification")
    group.addoption(
        "--pv-framework",
        action="append",
        choices=list(FRAMEWORKS),
        help="check claims in this framework only (repeatable; default: every framework)",
    )
    group.addoption(
        "--pv-tables",
        action="append",
        metavar="DIR",
        default=[],
        help="an extra folder of reference tables, beside the shipped ones (repeatable)",
    )
    group.addoption(
        "--pv-report",
        metavar="DIR",
        default=None,
        help="write the discrepancy report into DIR at session end (default: no report)",
    )
    group.addoption("--pv-format", default="json,md,csv,html",
                    help="report formats, comma-separated (default: json,md,csv,html)")  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    roots = [*default_roots(), *(Path(folder) for folder in config.getoption("--pv-tables"))]
    try:
        config.stash[_claims_key] = load_claims(roots)
    except TableValidationError as err:
        raise pytest.UsageError(str(err)) from err
    config.pluginmanager.register(_Collector(config), "paperverify-collector")


def _frameworks(config: pytest.Config) -> list[str]:
    return config.getoption("--pv-framework") or list(FRAMEWORKS)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "pv_claim" not in metafunc.fixturenames:
        return
    params = []
    for claim in metafunc.config.stash[_claims_key]:
        for framework in _frameworks(metafunc.config):
            marks = [pytest.mark.xdist_group(f"{framework}:{claim.config}")]
            if importlib.util.find_spec(framework) is None:
                reason = f"{framework} is not installed: pip install paperverify[{framework}]"
                marks.append(pytest.mark.skip(reason=reason))
            params.append(pytest.param(claim, framework, id=f"{claim.id}[{framework}]", marks=marks))
    metafunc.parametrize(("pv_claim", "pv_framework"), params)


def pytest_itemcollected(item: pytest.Item) -> None:
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "pv_claim" in callspec.params:
        item.user_properties.append((CHECK, (callspec.params["pv_claim"].id, callspec.params["pv_framework"])))


@pytest.fixture
def pv_judge(request: pytest.FixtureRequest) -> Callable[[Claim, str], Verdict]:
    """Judge a claim in a framework; the verdict rides on the test report to the controller."""
    from paperverify.runner import verdict

    def judge(claim: Claim, framework: str) -> Verdict:
        result = verdict(claim, framework)
        request.node.user_properties.append((VERDICT, asdict(result)))
        return result

    return judge


def _check(properties: list[tuple[str, object]]) -> tuple[str, str] | None:
    return next((tuple(value) for key, value in properties if key == CHECK), None)  # type: ignore[return-value]


def _check_from_id(nodeid: str) -> tuple[str, str] | None:
    """`tests/x.py::test_claim[paper/table/variant/macs[keras]]` -> (`paper/table/variant/macs`, `keras`)."""
    if not nodeid.endswith("]]") or "[" not in nodeid:
        return None
    inner = nodeid[nodeid.index("[") + 1 : -1]
    claim_id, _, framework = inner[:-1].rpartition("[")
    return (claim_id, framework) if framework in FRAMEWORKS else None


class _Collector:
    """Gathers, in the controller (or a serial run), which checks were selected and their verdicts."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.selected: list[tuple[str, str]] = []
        self.verdicts: dict[tuple[str, str], dict] = {}
        self.skipped: dict[tuple[str, str], str] = {}

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.selected = [check for item in session.items if (check := _check(item.user_properties))]

    def pytest_xdist_node_collection_finished(self, node: object, ids: list[str]) -> None:
        if not self.selected:  # every worker collects the same ids; the first one tells
            self.selected = [check for check in map(_check_from_id, ids) if check]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        check = _check(report.user_properties)
        if check is None:
            return
        for key, value in report.user_properties:
            if key == VERDICT:
                self.verdicts[check] = value
        if report.skipped and check not in self.verdicts:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            self.skipped[check] = reason.removeprefix("Skipped: ")

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        out = self.config.getoption("--pv-report")
        if out is None or hasattr(self.config, "workerinput"):
            return
        from paperverify import report

        claims = {claim.id: claim for claim in self.config.stash[_claims_key]}
        checks = [(claims[claim_id], framework) for claim_id, framework in self.selected if claim_id in claims]
        verdicts = [Verdict(**value) for value in self.verdicts.values()]
        for (claim_id, framework), reason in self.skipped.items():
            verdicts.append(replace(error(claims[claim_id], framework, reason), status="skipped"))
        frameworks = [name for name in FRAMEWORKS if any(framework == name for _, framework in checks)]
        document = report.build(checks, verdicts, frameworks)
        formats = [name.strip() for name in self.config.getoption("--pv-format").split(",") if name.strip()]
        written = report.write(document, Path(out), formats)
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"paperverify: report written to {', '.join(map(str, written))}")
