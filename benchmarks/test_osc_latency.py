"""OSC arrival to decision: from the UDP send in another process to the heartbeat applying the value
in the next audio block, with the engine running in real time (null driver: paced blocks, no device).

The floor is one block period (5.3 ms at 256 frames): a message that arrives just after a block began
waits for the next one. The design budget for any reaction is 100 ms.
"""
from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from engine.doors import NULL
from engine.session import Engine, EngineConfig
from conftest import percentiles

ROOT = Path(__file__).resolve().parent.parent
COUNT, RATE = 1000, 200.0
BUDGET_MS = 100.0


def run_once() -> tuple[list[int], list[tuple[float, int, int]]]:
    with Engine(ROOT / "statemachines" / "demo.yaml", EngineConfig(door=NULL, osc_port=0)) as engine:
        port = engine.osc.address[1]
        stop = threading.Event()
        result = {}

        def sender():
            proc = subprocess.run([sys.executable, str(Path(__file__).parent / "osc_sender.py"), str(port),
                                   str(COUNT), str(RATE), "/segue/param/intensity"], capture_output=True, text=True)
            result["sent"] = json.loads(proc.stdout)
            threading.Timer(0.1, stop.set).start()  # let the last message be applied

        thread = threading.Thread(target=sender)
        thread.start()
        engine.run(stop)
        thread.join()
        return result["sent"], list(engine.heartbeat.health.latencies)


def test_osc_send_to_decision_latency(benchmark, budget_report):
    sent, applied = benchmark.pedantic(run_once, rounds=1, iterations=1)
    by_id = {round(value * COUNT): (arrived, done) for value, arrived, done in applied}
    # two messages in one block: the newer value is applied, and that block is when the older one was decided
    later = [min((j for j in by_id if j >= i), default=None) for i in range(COUNT)]
    assert None not in later, f"messages after #{later.index(None)} never reached a block"
    to_arrival = [(by_id[i][0] - sent[i]) / 1e6 for i in by_id]
    to_decision = [(by_id[j][1] - t) / 1e6 for j, t in zip(later, sent)]
    a50, a99, _ = percentiles(to_arrival)
    p50, p99, worst = percentiles(to_decision)
    budget_report(benchmark, "OSC send -> arrival (receiver process)", f"p50 {a50:.2f} ms, p99 {a99:.2f} ms",
                  "part of the one below", True)
    budget_report(benchmark, "OSC send -> decision applied (256 fr)",
                  f"p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {worst:.2f} ms; {COUNT - len(by_id)} of {COUNT} "
                  "overtaken in their block by a newer value", f"p99 <= {BUDGET_MS:.0f} ms (floor: one 5.33 ms period)",
                  p99 <= BUDGET_MS)
    assert p99 <= BUDGET_MS
