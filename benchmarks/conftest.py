"""Shared budget table: every benchmark reports its figure beside its budget; the table prints at the end.

Run with `python -m pytest benchmarks` (see README). Figures are medians and p99 over many runs on this
machine; each benchmark also states what it compares against.
"""
from __future__ import annotations

import platform
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

ROWS: list["Row"] = []


@dataclass
class Row:
    name: str
    figure: str
    budget: str
    ok: bool


def percentiles(samples) -> tuple[float, float, float]:
    a = np.asarray(samples, dtype=float)
    return float(np.median(a)), float(np.percentile(a, 99)), float(a.max())


def report(benchmark, name: str, figure: str, budget: str, ok: bool, **extra) -> None:
    ROWS.append(Row(name, figure, budget, ok))
    if benchmark is not None:
        benchmark.extra_info.update({"figure": figure, "budget": budget, "ok": ok, **extra})
    print(f"\n{name}: {figure}  (budget {budget}) {'PASS' if ok else 'FAIL'}")


def pytest_terminal_summary(terminalreporter):
    if not ROWS:
        return
    tr = terminalreporter
    tr.section("Segue budget table")
    tr.write_line(f"machine: {platform.node()} {platform.machine()}, {platform.processor() or 'cpu'}, "
                  f"python {platform.python_version()}")
    width = max(len(r.name) for r in ROWS)
    for r in ROWS:
        tr.write_line(f"{'PASS' if r.ok else 'FAIL'}  {r.name:<{width}}  {r.figure:<44}  budget {r.budget}")


@pytest.fixture
def budget_report():
    return report
