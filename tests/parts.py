"""Real parts for the heartbeat's unit tests: a machine from the tone pack, its runtime, and an audio graph on an
offline pyo server (driven by hand, one block at a time)."""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

from engine.audio.backend import boot_manual
from engine.audio.graph import Graph
from engine.heartbeat.health import Health
from engine.heartbeat.intake import Intake
from engine.heartbeat.outbox import Outbox
from engine.heartbeat.sink import DecisionLog
from engine.score.loader import load_machine
from engine.machine.runtime import Runtime
from engine.params import ParamBank

BLOCK = 256


class Plans:
    """A residency that keeps every plan it is given, in order (the mix keeps their windows in memory)."""

    def __init__(self):
        self.plans: list = []

    def plan(self, plan) -> None:
        self.plans.append(plan)


@contextlib.contextmanager
def audio(machine_path: Path) -> Iterator[tuple[Runtime, Graph, object]]:
    """(the machine's runtime, its graph, the pyo server): `server.process()` computes one block."""
    machine = load_machine(machine_path)
    server = boot_manual(machine.pack.sample_rate, BLOCK)
    try:
        generated = {f"{s.name}.{g.name}": g for s in machine.states.values() for g in s.generate.values()}
        graph = Graph(machine.pack, BLOCK, generated)
        graph.out()
        server.start()
        yield Runtime(machine), graph, server
    finally:
        server.stop()
        server.shutdown()


def intake(machine_path: Path, *inboxes, horizon: float = 60.0) -> Intake:
    """An intake on a real runtime and param bank, logging to its own log and outbox."""
    runtime = Runtime(load_machine(machine_path))
    return Intake(inboxes, ParamBank(runtime.machine.params), runtime, DecisionLog(runtime.sample_rate),
                  Outbox(), Health(), runtime.sample_rate, horizon)
