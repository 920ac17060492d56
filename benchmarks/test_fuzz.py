"""A million fuzzed packets through the OSC input (parse, strict check, route, enqueue): none may raise."""
from __future__ import annotations

import logging
import struct
import time
from pathlib import Path

import numpy as np
from pythonosc.osc_message_builder import OscMessageBuilder

from engine.events import EventQueue
from engine.score.loader import load_machine
from engine.osc.routes import Router
from engine.osc.security import Gate
from engine.osc.server import OscInput

ROOT = Path(__file__).resolve().parent.parent
PACKETS = 1_000_000


def seeds() -> list[bytes]:
    """Messages of each kind, and bundles whose element sizes are right, negative, zero, unaligned or too long."""
    out = []
    for address, args in [("/segue/param/intensity", [0.5]), ("/segue/event/enemy_spotted", []),
                          ("/segue/state/combat", [1]), ("/game/health", ["x"]), ("/segue/status", [9000]),
                          ("/segue/generate/counter/lock", [True])]:
        b = OscMessageBuilder(address)
        for a in args:
            b.add_arg(a)
        out.append(b.build().dgram)
    head = b"#bundle\x00" + b"\x00" * 7 + b"\x01"  # a bundle for "immediately"
    go = out[1]
    out += [head + struct.pack(">i", size) + go for size in (-4, 0, 3, len(go), len(go) + 4)]  # sizes that lie
    out.append(head + struct.pack(">i", len(go) + 20) + head + struct.pack(">i", len(go)) + go)  # nested
    return out


def test_a_million_fuzzed_packets(benchmark, budget_report):
    machine = load_machine(ROOT / "statemachines" / "demo.yaml")
    osc_input = OscInput(Router(machine), EventQueue(capacity=10**7), Gate(rate=1e12))
    logging.getLogger("segue.osc").disabled = True  # a million log lines would measure the terminal
    rng = np.random.default_rng(0)
    base = seeds()
    raised = []

    def run():
        started = time.perf_counter()
        for i in range(PACKETS):
            kind = i % 3
            if kind == 0:
                data = rng.bytes(int(rng.integers(0, 96)))
            else:
                data = bytearray(base[i % len(base)])
                for _ in range(int(rng.integers(1, 4))):
                    data[int(rng.integers(0, len(data)))] = int(rng.integers(0, 256))
                if kind == 2:
                    data = data[:int(rng.integers(0, len(data) + 1))]
                data = bytes(data)
            try:
                osc_input.handle(data, "127.0.0.1", 5000, 0)
            except Exception as exc:  # the one thing that must never happen
                raised.append((data, repr(exc)))
            if i % 10_000 == 0:
                osc_input.queue.drain()
        return time.perf_counter() - started

    seconds = benchmark.pedantic(run, rounds=1, iterations=1)
    logging.getLogger("segue.osc").disabled = False
    budget_report(benchmark, "fuzz the OSC input", f"{PACKETS:,} packets in {seconds:.0f} s, {len(raised)} raised, "
                  f"{osc_input.rejected:,} rejected", "0 raised", not raised)
    assert not raised, raised[:3]


def test_coverage_guided_fuzzing_with_atheris(benchmark, budget_report, tmp_path):
    """libFuzzer through atheris, in its own process, seeded with valid packets; a crash exits non-zero."""
    import os  # noqa: PLC0415
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i, packet in enumerate(seeds()):
        (corpus / f"seed{i}").write_bytes(packet)
    runs = 200_000

    def run():
        return subprocess.run([sys.executable, str(ROOT / "benchmarks" / "fuzz_osc_atheris.py"), f"-runs={runs}",
                               "-max_len=256", "-timeout=5", str(corpus)], capture_output=True, text=True, cwd=ROOT,
                              timeout=1800, env={**os.environ, "PYTHONPATH": str(ROOT)})  # the package, installed or not

    done = benchmark.pedantic(run, rounds=1, iterations=1)
    coverage = [line for line in done.stderr.splitlines() if " cov: " in line][-1:]
    budget_report(benchmark, "atheris (libFuzzer) on the OSC input", f"{runs:,} runs, exit {done.returncode}; "
                  + (coverage[0].split("cov:")[1].split()[0] + " edges covered" if coverage else ""), "no crash",
                  done.returncode == 0)
    assert done.returncode == 0, done.stderr[-3000:]
