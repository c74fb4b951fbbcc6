"""The machine a benchmark ran on, as its report's header states it (each figure in docs/benchmarks.md names it)."""

from __future__ import annotations

import os
import platform


def cpu() -> str:
    """The processor's model name (from /proc/cpuinfo), or what the platform says."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            return next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "?")
    except OSError:
        return platform.processor() or "unknown"


def describe() -> str:
    """`machine: <cpu>, <n> cores, Python <version>`."""
    return f"machine: {cpu()}, {os.cpu_count()} cores, Python {platform.python_version()}"
