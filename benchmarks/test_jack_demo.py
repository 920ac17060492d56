"""The bundled demo (stems, two generated layers, the play-through script) under JACK (dummy driver, 256 frames):
xruns and the engine's own block timing, beside a trivial JACK client running as long in the same run."""
from __future__ import annotations

from pathlib import Path

from xruns import XRUN_BUDGET, verdict
from jackrig import CLIENTS, JackServer, Probe, block_timing, free_udp_port, wait_line

ROOT = Path(__file__).resolve().parent.parent
SECONDS = 56.0


def test_the_demo_under_jack(benchmark, budget_report, tmp_path):
    with JackServer(period=256) as jack:
        def run():
            sine = jack.spawn(str(ROOT / "tests" / "jack_sine.py"), str(free_udp_port()))
            wait_line(sine, "ready")
            base_xruns = Probe(jack, "segue-sine:out", SECONDS, tmp_path / "base.npz", sine.pid).done()
            sine.kill()
            engine = jack.spawn("-m", "engine.cli", "run", str(ROOT / "statemachines" / "demo.yaml"), "--audio",
                                "jack", "--osc-port", str(free_udp_port()), "--telemetry",
                                str(ROOT / "statemachines" / "demo.telemetry.yaml"), cwd=str(ROOT))
            wait_line(engine, "OSC on")
            xruns = Probe(jack, "segue:output_1", SECONDS, tmp_path / "demo.npz", engine.pid).done()
            out, _ = engine.communicate(timeout=60)  # the script ends the run by itself
            return base_xruns, xruns, out

        base_xruns, xruns, out = benchmark.pedantic(run, rounds=1, iterations=1)
    chance, figure = verdict(xruns, base_xruns, CLIENTS["engine"], CLIENTS["sine"], SECONDS, SECONDS)
    health = next(line for line in out.splitlines() if "blocks of" in line)
    states = [line.split("-> ")[1].split()[0] for line in out.splitlines() if "-> " in line]
    budget_report(benchmark, "demo under JACK 256 fr", f"{block_timing(out)}; {figure}", XRUN_BUDGET,
                  chance >= 0.05)
    assert states[:3] == ["explore", "combat", "danger"] and "0 faults" in health
