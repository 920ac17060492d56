"""A flood of OSC from another process while the engine plays in real time: nothing lost, the newest value wins,
memory stays bounded. (The 60-second version at the same rate, under JACK, is benchmarks/test_flood.py.)"""
from __future__ import annotations

import json
import subprocess
import sys

from engine.doors import NULL
from engine.session import Engine, EngineConfig

from audio import running
from conftest import ROOT
from waiting import wait_until

RATE, SECONDS = 20_000, 3.0


def rss_mb() -> float:
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_twenty_thousand_messages_a_second_lose_nothing():
    with Engine(ROOT / "statemachines" / "demo.yaml", EngineConfig(door=NULL, osc_port=0)) as engine:
        before = rss_mb()
        with running(engine):
            flood = subprocess.run([sys.executable, str(ROOT / "tests" / "osc_flood.py"), str(engine.osc.address[1]),
                                    str(RATE), str(SECONDS)], capture_output=True, text=True, timeout=60)
            summary = json.loads(flood.stdout)
            wait_until(lambda: engine.osc.datagrams >= summary["sent"], 5,
                       lambda: f"all {summary['sent']} datagrams reaching the engine ({engine.osc.datagrams} did)")
            taken = engine.heartbeat.health.taken  # what is queued is applied by the next blocks
            wait_until(lambda: taken.get("event", 0) + taken.get("param", 0) >= summary["sent"], 5,
                       lambda: f"the audio blocks applying all {summary['sent']} ({dict(taken)} so far)")
        grown = rss_mb() - before
        taken = dict(engine.heartbeat.health.taken)
        intensity = engine.params.params["intensity"].target
        received, rejected, dropped = engine.osc.datagrams, engine.osc.rejected, engine.health()["dropped"]
    assert summary["sent"] == RATE * SECONDS
    assert received == summary["sent"], f"{summary['sent'] - received} datagrams never reached the engine"
    assert (rejected, dropped) == (0, 0), f"{rejected} rejected, {dropped} dropped: {engine.osc.reader.dropped} ring"
    assert taken["event"] == summary["events"] and taken["param"] == summary["sent"] - summary["events"]
    assert intensity == summary["last"]  # the newest value won
    assert grown < 60, f"memory grew by {grown:.0f} MB"
