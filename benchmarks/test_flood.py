"""Flood: 20,000 OSC messages a second for 60 s from another process into the engine running under JACK
(dummy driver, 256 frames). Counts xruns beside a trivial JACK client that takes the same flood in the same
run (its OSC thread reads every packet), lost messages, and the engine's memory growth."""
from __future__ import annotations

import json
import time
from pathlib import Path

from xruns import XRUN_BUDGET, xruns_above_baseline
from jackrig import JackServer, free_udp_port, wait_line

ROOT = Path(__file__).resolve().parent.parent
RATE, SECONDS = 20_000, 60.0


def rss_mb(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_flood_under_jack(benchmark, budget_report, tmp_path):
    with JackServer(period=256) as jack:
        def run():
            base_port = free_udp_port()  # the baseline takes the same flood: its OSC thread reads every packet
            sine = jack.spawn(str(ROOT / "tests" / "jack_sine.py"), str(base_port))
            wait_line(sine, "ready")
            probe = jack.spawn(str(ROOT / "tests" / "jack_probe.py"), "segue-sine:out", str(SECONDS),
                               str(tmp_path / "base.npz"))
            wait_line(probe, "ready")
            base_flood = jack.spawn(str(ROOT / "tests" / "osc_flood.py"), str(base_port), str(RATE), str(SECONDS))
            base_flood.communicate(timeout=SECONDS + 60)
            base_xruns = int(wait_line(probe, "done", SECONDS + 30).split()[1])
            sine.kill()
            port = free_udp_port()
            engine = jack.spawn("-m", "engine.cli", "run", str(ROOT / "statemachines" / "demo.yaml"), "--audio",
                                "jack", "--osc-port", str(port), cwd=str(ROOT))
            wait_line(engine, "OSC on")
            probe = jack.spawn(str(ROOT / "tests" / "jack_probe.py"), "segue:output_1", str(SECONDS + 4),
                               str(tmp_path / "flood.npz"))
            wait_line(probe, "ready")
            time.sleep(1)
            before = rss_mb(engine.pid)
            flood = jack.spawn(str(ROOT / "tests" / "osc_flood.py"), str(port), str(RATE), str(SECONDS))
            summary = json.loads(flood.communicate(timeout=SECONDS + 60)[0])
            time.sleep(1)
            after = rss_mb(engine.pid)
            xruns = int(wait_line(probe, "done", 60).split()[1])
            engine.send_signal(2)
            out, _ = engine.communicate(timeout=20)
            return base_xruns, xruns, summary, before, after, out

        base_xruns, xruns, summary, before, after, out = benchmark.pedantic(run, rounds=1, iterations=1)
    osc_line = next(line for line in out.splitlines() if line.startswith("segue: OSC:"))
    received = int(osc_line.split("OSC: ")[1].split()[0])
    lost = summary["sent"] - received
    chance = xruns_above_baseline(xruns, base_xruns, SECONDS + 4, SECONDS)
    budget_report(benchmark, "flood 20k msg/s x 60 s under JACK", f"{received}/{summary['sent']} received "
                  f"({summary['sent'] / summary['seconds']:.0f}/s sent); {xruns} xruns (trivial client, same flood: "
                  f"{base_xruns}; p = {chance:.2g}); memory {before:.0f} -> {after:.0f} MB",
                  f"0 lost, {XRUN_BUDGET}, memory bounded", lost == 0 and chance >= 0.05 and after - before < 100)
    print(out)
    assert lost == 0
