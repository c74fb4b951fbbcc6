"""pytest plugin (entry point `paperverify`): claim tests, their verdicts, and the report.

A test function that asks for the `pv_claim` and `pv_framework` arguments is parametrized over every claim
of the reference tables × every framework, with ids that read like the claim
(`he2016_resnet/table1/resnet50/macs[keras]`). The `pv_judge` fixture judges a claim and attaches the
verdict to the test's report (`user_properties`), which survives pytest-xdist; the controller gathers the
verdicts and, with `--pv-report DIR`, writes the report once at session end. A report with a problem (a check
loaded but not reported, or reported twice) fails the run.

The plugin is loaded into every pytest run where paperverify is installed, so it costs nothing unless used:
it imports no framework and loads no table until a test asks for `pv_claim` or a `--pv-*` option is given, and
its one pytest-xdist hook is optional.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from paperverify import frameworks

if TYPE_CHECKING:
    from paperverify.claims import Claim
    from paperverify.compare import Verdict

VERDICT = "paperverify_verdict"
CHECK = "paperverify_check"
_claims_key = pytest.StashKey[list[Any]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("paperverify", "paper-to-code verification")
    group.addoption(
        "--pv-framework",
        action="append",
        choices=list(frameworks.BUILDING),
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
    group.addoption("--pv-format", default=None,
                    help="report formats, comma-separated (default: json,md,csv,html)")  # fmt: skip


def _asked(config: pytest.Config) -> bool:
    """Whether any --pv-* option was given."""
    return bool(
        config.getoption("--pv-framework")
        or config.getoption("--pv-tables")
        or config.getoption("--pv-report") is not None
        or config.getoption("--pv-format") is not None
    )


def pytest_configure(config: pytest.Config) -> None:
    if _asked(config):
        _claims(config)  # a broken table is a usage error before anything runs
        _check_output(config)
        config.pluginmanager.register(_Collector(config), "paperverify-collector")


def _formats(config: pytest.Config) -> list[str]:
    from paperverify import report

    text = config.getoption("--pv-format") or ",".join(report.FORMATS)
    return [name.strip() for name in text.split(",") if name.strip()]


def _check_output(config: pytest.Config) -> None:
    """An unknown format or a report folder that cannot be written is a usage error before the run, not after."""
    from paperverify import report

    unknown = sorted(set(_formats(config)) - set(report.FORMATS))
    if unknown:
        raise pytest.UsageError(f"--pv-format: unknown formats {unknown}; expected some of {list(report.FORMATS)}")
    out = config.getoption("--pv-report")
    if out is not None and not hasattr(config, "workerinput"):
        try:
            report.writable(Path(out))
        except OSError as err:
            raise pytest.UsageError(f"--pv-report: cannot write the report into {out}: {err.strerror or err}") from err


def _claims(config: pytest.Config) -> list[Claim]:
    """The claims of the shipped tables and the --pv-tables folders, loaded once per process."""
    if _claims_key not in config.stash:
        from paperverify.claims import TableValidationError
        from paperverify.tables import load_claims, with_shipped

        roots = with_shipped(config.getoption("--pv-tables"))
        try:
            config.stash[_claims_key] = load_claims(roots)
        except TableValidationError as err:
            raise pytest.UsageError(str(err)) from err
    return config.stash[_claims_key]


def _frameworks(config: pytest.Config) -> list[str]:
    return config.getoption("--pv-framework") or list(frameworks.BUILDING)


def check_id(claim_id: str, framework: str) -> str:
    """A check's test id: the claim id and the framework (`he2016_resnet/table1/resnet50/macs[keras]`)."""
    return f"{claim_id}[{framework}]"


def _escaped(text: str) -> str:
    """`text` as pytest writes a parametrization id into a node id: non-ASCII characters escaped."""
    return text.encode("unicode_escape").decode("ascii")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "pv_claim" not in metafunc.fixturenames:
        return
    params = []
    installed = frameworks.installed()
    for claim in _claims(metafunc.config):
        for framework in _frameworks(metafunc.config):
            marks = [pytest.mark.xdist_group(f"{framework}:{claim.config}")]
            if framework not in installed:
                reason = f"{framework} is not installed: pip install paperverify[{framework}]"
                marks.append(pytest.mark.skip(reason=reason))
            params.append(pytest.param(claim, framework, id=check_id(claim.id, framework), marks=marks))
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


class _Collector:
    """Gathers, in the controller (or a serial run), which checks were selected and their verdicts."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.selected: list[tuple[str, str]] = []
        self.verdicts: dict[tuple[str, str], dict] = {}
        self.skipped: dict[tuple[str, str], str] = {}

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.selected = [check for item in session.items if (check := _check(item.user_properties))]

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: object, ids: list[str]) -> None:
        """Under pytest-xdist the controller collects nothing: every worker sends the same node ids, whose
        parametrization ids are the checks' `check_id`s as pytest escapes them (or not, if told not to), followed
        by `@<group>` under `--dist loadgroup`."""
        if self.selected:
            return
        by_id = {}
        for claim in _claims(self.config):
            for framework in frameworks.BUILDING:
                text = check_id(claim.id, framework)
                by_id[text] = by_id[_escaped(text)] = (claim.id, framework)
        for nodeid in ids:
            if nodeid.rfind("@") > nodeid.rfind("]"):  # `--dist loadgroup` appends `@<group>`
                nodeid = nodeid[: nodeid.rfind("@")]
            if nodeid.endswith("]") and "[" in nodeid:
                check = by_id.get(nodeid[nodeid.index("[") + 1 : -1])
                if check is not None:
                    self.selected.append(check)

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
        from paperverify.compare import SKIPPED, Verdict, error

        claims = {claim.id: claim for claim in _claims(self.config)}
        checks = [(claims[claim_id], framework) for claim_id, framework in self.selected if claim_id in claims]
        verdicts = [Verdict(**value) for value in self.verdicts.values()]
        for (claim_id, framework), reason in self.skipped.items():
            verdicts.append(replace(error(claims[claim_id], framework, reason), status=SKIPPED))
        used = [name for name in frameworks.BUILDING if any(framework == name for _, framework in checks)]
        document = report.build(checks, verdicts, used)
        written = report.write(document, Path(out), _formats(self.config))
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"paperverify: report written to {', '.join(map(str, written))}")
            for problem in document["problems"]:
                reporter.write_line(f"paperverify: REPORT PROBLEM: {problem}", red=True)
        if document["problems"] and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
