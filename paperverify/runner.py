"""Run claims against the registered implementations: each configuration built and probed once."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from paperverify import compare
from paperverify.compare import Verdict
from paperverify.probes import probe
from paperverify.registry import FRAMEWORKS
from paperverify.tables import Claim, Config


def verdict(claim: Claim, framework: str) -> Verdict:
    """Judge one claim in one framework; a model that fails to build or probe gives an error verdict."""
    try:
        trace = probe(claim.config, framework)
    except Exception as err:  # a broken implementation is reported, never crashes the run
        return compare.error(claim, framework, f"{claim.config}: {type(err).__name__}: {err}")
    return compare.safe_judge(claim, trace)


def run(
    claims: Iterable[Claim],
    frameworks: Iterable[str] = FRAMEWORKS,
    progress: Callable[[int, int, Config, str], None] | None = None,
) -> list[Verdict]:
    """Every claim in every framework, grouped so each configuration is probed once."""
    claims = list(claims)
    frameworks = list(frameworks)
    by_config: dict[tuple[str, Config], list[Claim]] = {}
    for framework in frameworks:
        for claim in claims:
            by_config.setdefault((framework, claim.config), []).append(claim)
    results: dict[tuple[str, str], Verdict] = {}
    for done, ((framework, config), group) in enumerate(
        sorted(by_config.items(), key=lambda item: (item[0][0], str(item[0][1]))), 1
    ):
        if progress is not None:
            progress(done, len(by_config), config, framework)
        for claim in group:
            results[(claim.id, framework)] = verdict(claim, framework)
    return [results[(claim.id, framework)] for claim in claims for framework in frameworks]
