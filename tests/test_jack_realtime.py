"""Real time for real: the engine under a JACK server (dummy driver), beside a trivial JACK client driven the
same way in the same run. This checks behaviour; the timing budgets live in benchmarks/test_jack_latency.py."""
from __future__ import annotations

from conftest import write_machine
from jackrig import LATENCY_MACHINE, JackServer, measure_reactions


def test_the_engine_reacts_to_every_osc_event_in_real_time_under_jack(tone_pack, tmp_path):
    machine = write_machine(tone_pack.parent, LATENCY_MACHINE, "latency.yaml")
    with JackServer(period=256) as jack:
        baseline = measure_reactions(jack, "sine", machine, tmp_path, events=80, rate=20)
        engine = measure_reactions(jack, "engine", machine, tmp_path, events=80, rate=20)
    for run in (baseline, engine):
        assert run["reacted"] == run["events"], run  # no event lost: each one heard within 8 periods
    assert engine["health"] and "0 faults" in engine["health"][0]
    # how fast, and how many xruns, are figures: benchmarks/test_jack_latency.py measures them against budgets
