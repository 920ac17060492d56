"""OSC arrival to audible change under JACK (dummy driver), at 64, 128 and 256 frames: from the UDP send in
another process to the first output sample that reflects it, captured by a recording JACK client and placed in
time by the start of the JACK cycle that carried it, over 1,000 events. Beside it, the same figures for a
trivial JACK client that switches a sine on OSC, measured by the same code in the same run, the two taking
turns (four rounds each) so that a noisy minute on this shared VM does not land on one of them only.
Budget: p99 <= one period + 0.5 ms (the floor is one period); xruns the engine causes no more than the trivial
client causes (jackd names the client that had not finished; benchmarks/xruns.py)."""
from __future__ import annotations

from collections import Counter

import pytest

from conftest import percentiles
from xruns import XRUN_BUDGET, verdict
from jackrig import LATENCY_MACHINE, JackServer, Xruns, measure_reactions

from conftest_tests import make_tone_machine

EVENTS, RATE, ROUNDS = 500, 40.0, 4  # 1,000 reactions in all: every other message turns the sound on


@pytest.mark.parametrize("period", [64, 128, 256])
def test_osc_to_audible_change_under_jack(benchmark, budget_report, tmp_path, period):
    machine = make_tone_machine(tmp_path, LATENCY_MACHINE)
    with JackServer(period=period) as jack:
        def run():
            rounds = [measure_reactions(jack, who, machine, tmp_path, EVENTS, RATE)
                      for _ in range(ROUNDS) for who in ("sine", "engine")]
            return [merge([r for r in rounds if r["who"] == who]) for who in ("sine", "engine")]

        baseline, engine = benchmark.pedantic(run, rounds=1, iterations=1)
    budget = period / 48000 * 1000 + 0.5
    seconds = ROUNDS * (EVENTS / RATE + 2.0)
    chance, xruns = verdict(engine["xruns"], baseline["xruns"], engine["client"], baseline["client"], seconds,
                            seconds)
    for run in (baseline, engine):
        p50, p99, worst = percentiles(run["latencies_ms"])
        name = f"OSC -> audible, JACK {period} fr, {'trivial client' if run['who'] == 'sine' else 'engine'}"
        ok = p99 <= budget and run["reacted"] == run["events"]
        figure = f"p50 {p50:.2f}, p99 {p99:.2f}, max {worst:.2f} ms; {run['reacted']}/{run['events']} heard"
        if run is engine:
            ok = ok and chance >= 0.05
            figure += f"; {xruns}"
        limits = f"p99 <= {budget:.2f} ms" + (f", {XRUN_BUDGET}" if run is engine else "")
        budget_report(benchmark, name, figure, limits, ok)
    assert engine["reacted"] == engine["events"]


def merge(runs: list[dict]) -> dict:
    return {"who": runs[0]["who"], "client": runs[0]["client"], "events": sum(r["events"] for r in runs),
            "reacted": sum(r["reacted"] for r in runs), "xruns": sum((r["xruns"] for r in runs), Xruns(Counter())),
            "latencies_ms": [x for r in runs for x in r["latencies_ms"]]}
