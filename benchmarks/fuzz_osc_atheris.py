"""Coverage-guided fuzzing of the OSC input with atheris (libFuzzer): any exception is a crash it reports, and
so is a packet that takes longer than a second (-timeout=1: python-osc's bundle parser looped for ever on an
element size of -4). benchmarks/test_fuzz.py runs it from a corpus of seeds, bundles with lying sizes among them.

    python benchmarks/fuzz_osc_atheris.py -runs=200000 -timeout=1 CORPUS_DIR
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from engine.events import EventQueue
    from engine.score.loader import load_machine
    from engine.osc.routes import Router
    from engine.osc.security import Gate
    from engine.osc.server import OscInput

logging.getLogger("segue.osc").disabled = True
MACHINE = load_machine(Path(__file__).resolve().parent.parent / "statemachines" / "demo.yaml")
INPUT = OscInput(Router(MACHINE), EventQueue(capacity=1000), Gate(rate=1e12))


def one(data: bytes) -> None:
    INPUT.handle(data, "127.0.0.1", 5000, 0)
    INPUT.queue.drain()


if __name__ == "__main__":
    atheris.Setup(sys.argv, one)
    atheris.Fuzz()
