"""OSC arrival to audible change under JACK (dummy driver), at 64, 128 and 256 frames: from the UDP send in
another process to the first output sample that reflects it, captured by a recording JACK client, over 1,000
events. Beside it, the same figures for a trivial JACK client that switches a sine on OSC, measured by the same
code in the same run. Budget: p99 <= one period + 0.5 ms (the floor is one period)."""
from __future__ import annotations

import pytest

from conftest import percentiles
from jackrig import LATENCY_MACHINE, JackServer, measure_reactions

from conftest_tests import make_tone_machine

EVENTS, RATE = 2000, 40.0  # 1,000 reactions to measure: every other message turns the sound on


@pytest.mark.parametrize("period", [64, 128, 256])
def test_osc_to_audible_change_under_jack(benchmark, budget_report, tmp_path, period):
    machine = make_tone_machine(tmp_path, LATENCY_MACHINE)
    with JackServer(period=period) as jack:
        def run():
            return (measure_reactions(jack, "sine", machine, tmp_path, EVENTS, RATE),
                    measure_reactions(jack, "engine", machine, tmp_path, EVENTS, RATE))

        baseline, engine = benchmark.pedantic(run, rounds=1, iterations=1)
    budget = period / 48000 * 1000 + 0.5
    for run in (baseline, engine):
        p50, p99, worst = percentiles(run["latencies_ms"])
        name = f"OSC -> audible, JACK {period} fr, {'trivial client' if run['who'] == 'sine' else 'engine'}"
        ok = p99 <= budget and run["reacted"] == run["events"]
        budget_report(benchmark, name, f"p50 {p50:.2f}, p99 {p99:.2f}, max {worst:.2f} ms; {run['xruns']} xruns; "
                      f"{run['reacted']}/{run['events']} heard", f"p99 <= {budget:.2f} ms", ok)
    assert engine["reacted"] == engine["events"]
