"""Real time for real: the engine under a JACK server (dummy driver), beside a trivial JACK client driven the
same way in the same run. This checks behaviour; the timing budgets live in benchmarks/test_jack_latency.py."""
from __future__ import annotations

from pathlib import Path

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


def test_xruns_are_blamed_on_the_client_that_overran(tmp_path):
    """The benchmarks judge the engine by the xruns jackd says it caused: a client that overruns its cycle on
    purpose must be the one named, each time."""
    import socket
    import time

    from jackrig import Probe, free_udp_port, wait_line
    from pythonosc.osc_message_builder import OscMessageBuilder

    with JackServer(period=256) as jack:
        port = free_udp_port()
        sine = jack.spawn(str(Path(__file__).parent / "jack_sine.py"), str(port))
        try:
            wait_line(sine, "ready")
            probe = Probe(jack, "segue-sine:out", 3.0, tmp_path / "stall.npz", sine.pid)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                for _ in range(3):
                    s.sendto(OscMessageBuilder("/stall").build().dgram, ("127.0.0.1", port))
                    time.sleep(0.5)  # time passing is the point: stalls paced apart, each its own xrun
            xruns = probe.done()
        finally:
            sine.kill()
    assert xruns.causes["segue-sine"] >= 3, xruns
    assert xruns.total >= xruns.causes["segue-sine"] and xruns.cpu_seconds > 0
