"""Flood: 20,000 OSC messages a second for 60 s from another process into the engine running under JACK
(dummy driver, 256 frames), twice, into the demo and into a one-stem machine. Counts xruns beside a trivial JACK
client that takes the same flood in the same run (its OSC thread reads every packet), all taking turns, lost
messages, and the engine's memory growth."""
from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

from conftest_tests import make_tone_machine
from jackrig import CLIENTS, JackServer, Probe, Xruns, block_timing, free_udp_port, wait_line
from xruns import XRUN_BUDGET, verdict

ROOT = Path(__file__).resolve().parent.parent
RATE, SECONDS, ROUNDS = 20_000, 60.0, 2  # the trivial client and the engine take turns


def rss_mb(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


LIGHT = """\
pack: tones
params: {intensity: {range: [0, 1]}}
events: [enemy_lost]
initial: quiet
states:
  quiet: {segment: calm, layers: {a: 0 dB}}
"""


def test_flood_under_jack(benchmark, budget_report, tmp_path):
    """The demo takes the floods, and so does a one-stem machine (the same OSC path with little audio work per
    block: it tells the receiving side's cost from the mix's)."""
    machines = {"demo": ROOT / "statemachines" / "demo.yaml", "one-stem machine": make_tone_machine(tmp_path, LIGHT)}
    with JackServer(period=256) as jack:
        def run():
            rounds = [(flood_baseline(jack, tmp_path), {name: flood_engine(jack, tmp_path, path)
                                                        for name, path in machines.items()}) for _ in range(ROUNDS)]
            return [b for b, _ in rounds], [e for _, e in rounds]

        base_xruns, engine_rounds = benchmark.pedantic(run, rounds=1, iterations=1)
    for name in machines:
        engine_runs = [r[name] for r in engine_rounds]
        sent = sum(r["summary"]["sent"] for r in engine_runs)
        received = sum(r["received"] for r in engine_runs)
        xruns = sum((r["xruns"] for r in engine_runs), Xruns(Counter()))
        base = sum(base_xruns, Xruns(Counter()))
        growth = max(r["after"] - r["before"] for r in engine_runs)
        chance, figure = verdict(xruns, base, CLIENTS["engine"], CLIENTS["sine"], SECONDS + 4, SECONDS)
        budget_report(benchmark, f"flood 20k msg/s x 60 s under JACK, {name}",
                      f"{received}/{sent} received over {ROUNDS} runs; memory +{growth:.0f} MB; "
                      f"{' / '.join(block_timing(r['out']) for r in engine_runs)}; {figure}",
                      f"0 lost, {XRUN_BUDGET}, memory bounded", received == sent and chance >= 0.05 and growth < 100)
        assert received == sent


def flood_baseline(jack: JackServer, tmp_path: Path) -> Xruns:
    """The trivial client taking the same flood (its OSC thread reads every packet): its xruns."""
    port = free_udp_port()
    sine = jack.spawn(str(ROOT / "tests" / "jack_sine.py"), str(port))
    wait_line(sine, "ready")
    probe = Probe(jack, "segue-sine:out", SECONDS, tmp_path / "base.npz", sine.pid)
    flood = jack.spawn(str(ROOT / "tests" / "osc_flood.py"), str(port), str(RATE), str(SECONDS))
    flood.communicate(timeout=SECONDS + 60)
    xruns = probe.done()
    sine.kill()
    return xruns


def flood_engine(jack: JackServer, tmp_path: Path, machine: Path) -> dict:
    """The engine playing `machine` through one flood: what it received, its xruns and its memory."""
    port = free_udp_port()
    engine = jack.spawn("-m", "engine.cli", "run", str(machine), "--audio", "jack", "--osc-port", str(port),
                        cwd=str(ROOT))
    wait_line(engine, "OSC on")
    probe = Probe(jack, "segue:output_1", SECONDS + 4, tmp_path / "flood.npz", engine.pid)
    time.sleep(1)
    before = rss_mb(engine.pid)
    flood = jack.spawn(str(ROOT / "tests" / "osc_flood.py"), str(port), str(RATE), str(SECONDS))
    summary = json.loads(flood.communicate(timeout=SECONDS + 60)[0])
    time.sleep(1)
    after = rss_mb(engine.pid)
    xruns = probe.done(60)
    engine.send_signal(2)
    out, _ = engine.communicate(timeout=20)
    osc_line = next(line for line in out.splitlines() if line.startswith("segue: OSC:"))
    return {"summary": summary, "received": int(osc_line.split("OSC: ")[1].split()[0]), "xruns": xruns,
            "before": before, "after": after, "out": out}
