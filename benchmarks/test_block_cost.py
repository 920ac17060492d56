"""Block processing cost of the whole engine (heartbeat + pyo graph) against the block's duration.

Measured by timing pyo's server.process() for one 256-frame block at 48 kHz, which runs the heartbeat
callback and computes the graph: exactly what the audio thread does each period.
"""
from __future__ import annotations

import time

import pytest

from engine.session import Engine, EngineConfig
from packs import stereo_pack
from conftest import percentiles

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCK = 256
PERIOD_US = BLOCK / 48000 * 1e6
BUDGET = 0.5  # p99 block cost at most half the period, leaving the rest for the OS and other clients


def measure(machine, blocks: int = 4000) -> list[float]:
    with Engine(machine, EngineConfig(block=BLOCK)) as engine:
        engine.process(200)  # warm up: all players started, caches hot
        times = []
        for _ in range(blocks):
            t0 = time.perf_counter_ns()
            engine.server.process()
            times.append((time.perf_counter_ns() - t0) / 1000)
    return times


def check(benchmark, budget_report, name, machine):
    times = benchmark.pedantic(measure, args=(machine,), rounds=1, iterations=1)
    p50, p99, worst = percentiles(times)
    budget_report(benchmark, name, f"p50 {p50 / PERIOD_US:.1%}, p99 {p99 / PERIOD_US:.1%} of {PERIOD_US:.0f} us "
                  f"(max {worst:.0f} us)", f"p99 <= {BUDGET:.0%}", p99 / PERIOD_US <= BUDGET,
                  p50_us=p50, p99_us=p99, max_us=worst)
    assert p99 / PERIOD_US <= BUDGET


def test_block_cost_demo_pack(benchmark, budget_report):
    check(benchmark, budget_report, "block cost, demo pack (11 stems)", ROOT / "statemachines" / "demo.yaml")


@pytest.mark.parametrize("stems", [8, 32, 64])
def test_block_cost_stereo_stems(benchmark, budget_report, tmp_path, stems):
    check(benchmark, budget_report, f"block cost, {stems} stereo stems", stereo_pack(tmp_path / "pack", stems))
