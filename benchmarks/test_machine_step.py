"""State machine step cost per block (pure Python, no audio): conditions, transitions, layer levels."""
from __future__ import annotations

from pathlib import Path

from engine.score.loader import load_machine
from engine.machine.runtime import BlockInput, Runtime
from engine.params import ParamBank

ROOT = Path(__file__).resolve().parent.parent
BUDGET_US = 50.0  # 1 % of a 256-frame block


def test_machine_step_cost(benchmark, budget_report):
    machine = load_machine(ROOT / "statemachines" / "demo.yaml")
    runtime, params = Runtime(machine), ParamBank(machine.params)
    state = {"sample": 0, "i": 0}
    events_cycle = [frozenset({"enemy_spotted"}), frozenset(), frozenset({"enemy_lost"}), frozenset()]

    def step():
        i = state["i"] = state["i"] + 1
        params.set("intensity", (i % 100) / 100)
        params.set("health", 1 - (i % 37) / 37)
        params.advance(256 / 48000)
        values = params.values()
        runtime.step(BlockInput(state["sample"], 256, values, events_cycle[(i // 500) % 4]))
        runtime.levels(values)
        state["sample"] += 256

    benchmark.pedantic(step, rounds=20000, iterations=1, warmup_rounds=100)
    stats = benchmark.stats.stats
    data = sorted(stats.data)
    p99 = data[int(len(data) * 0.99)] * 1e6
    budget_report(benchmark, "machine step per block", f"p50 {stats.median * 1e6:.1f} us, p99 {p99:.1f} us",
                  f"p99 <= {BUDGET_US:.0f} us", p99 <= BUDGET_US)
    assert p99 <= BUDGET_US
