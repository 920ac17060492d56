"""The engine on a generated score, in a process of its own (so its RSS and CPU are its own), and the OSC sender
that drives it from another one. Each prints JSON lines on stdout; the benchmark reads them.

    python benchmarks/score_engine.py offline MACHINE SECONDS OUT.wav SEED [paced]
        Engine(MACHINE) offline: prints {"ready": s} when constructed and {"first_audio": s} at the first
        non-silent block (seconds from just before the constructor, imports done), then renders SECONDS with
        an event every two bars (a random exit of the machine's, seeded), sampling its own RSS every 64 blocks,
        and prints {"rss_mb": max while playing, "hwm_mb": VmHWM, "stream_mb": the stem reader's most tables
        at once, ...}. `paced`: every 64 blocks the stem reader is given the time to load the whole plan, as it
        has live (offline it otherwise loads little more than what plays, faster than real time).
    python benchmarks/score_engine.py jack MACHINE PORT OUT.wav LOG.json
        Engine under JACK (256 frames, OSC on PORT), recording its own output (pyo's recorder: exactly the
        blocks it computed) to OUT.wav until SIGINT; then writes the decision log with the engine sample of
        the recording's first frame. Prints {"ready": ...} once recording.
    python benchmarks/score_engine.py send PORT SECONDS EVERY EXITS SEED
        Sends /segue/event/x<k> (k random in 1..EXITS, seeded) every EVERY seconds for SECONDS; prints the count.
"""
from __future__ import annotations

import json
import random
import signal
import socket
import sys
import threading
import time
from pathlib import Path

from procstat import status_mb


def say(**items) -> None:
    print(json.dumps(items), flush=True)


def rss_mb() -> float:
    return status_mb("self", "VmRSS")


def offline(machine: str, seconds: float, out: str, seed: int, paced: bool = False) -> None:
    from engine.session import Engine
    from engine.telemetry import Cue, Script

    t0 = time.perf_counter()
    engine = Engine(machine)
    ready = time.perf_counter() - t0
    say(ready=ready, rss_mb=rss_mb())
    blocks = 0
    while engine.heartbeat.meters.peak <= 0.0 and blocks < 2000:
        engine.process(1)
        blocks += 1
    if engine.heartbeat.meters.peak > 0.0:
        say(first_audio=time.perf_counter() - t0, blocks=blocks, peak=engine.heartbeat.meters.peak)
    else:
        say(silent_blocks=blocks, after=time.perf_counter() - t0)
    pack = engine.machine.pack
    bar = pack.beats_per_bar * 60.0 / pack.tempo
    exits = len(engine.machine.events)
    rng = random.Random(seed)
    start = engine.sample / engine.sample_rate
    cues = tuple(Cue(start + at, engine.router.route(f"/segue/event/x{rng.randint(1, exits)}", []))
                 for at in _every(2 * bar, seconds, first=bar / 2)) if exits else ()
    peak = [rss_mb()]

    reader = engine.graph.mix.reader

    def progress(done: int, total: int) -> None:
        if paced:
            reader.settle(2.0)
        peak[0] = max(peak[0], rss_mb())

    report = engine.render(out, Script(start + seconds, cues), seconds=seconds, progress=progress)
    peak[0] = max(peak[0], rss_mb())
    moves = sum(1 for e in engine.log if e["action"] == "enter")
    say(rss_mb=peak[0], hwm_mb=status_mb("self", "VmHWM"), rendered=report.seconds, wall=report.wall_seconds,
        moves=moves, peak=report.peak, stream_mb=reader.peak_bytes / 2 ** 20)
    engine.close()


def _every(period: float, seconds: float, first: float) -> list[float]:
    return [first + k * period for k in range(int((seconds - first) // period) + 1) if first + k * period < seconds]


def jack(machine: str, port: int, out: str, log: str) -> None:
    from engine.doors import Device
    from engine.session import Engine, EngineConfig

    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    t0 = time.perf_counter()
    with Engine(machine, EngineConfig(door=Device("jack"), block=256, osc_port=port)) as engine:
        server = engine.server
        server.recordOptions(dur=-1, filename=out, fileformat=0, sampletype=3)
        first = engine.sample  # the live clock may move on between this read and recstart: the check aligns
        server.recstart()
        say(ready=time.perf_counter() - t0, first=first, rss_mb=rss_mb())
        engine.run(stop)
        server.recstop()
        last = engine.sample
        body = {"first": first, "last": last, "block": engine.block, "health": engine.health(),
                "entries": [e for e in engine.log if e["action"] != "telemetry"]}
        Path(log).write_text(json.dumps(body, default=str))
    say(done=True, first=first, last=last)


def send(port: int, seconds: float, every: float, exits: int, seed: int) -> None:
    from pythonosc.osc_message_builder import OscMessageBuilder

    rng = random.Random(seed)
    sent = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        start = time.monotonic()
        while (due := start + sent * every + every / 2) < start + seconds:
            time.sleep(max(0.0, due - time.monotonic()))
            s.sendto(OscMessageBuilder(f"/segue/event/x{rng.randint(1, exits)}").build().dgram, ("127.0.0.1", port))
            sent += 1
    say(sent=sent)


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "offline":
        offline(args[0], float(args[1]), args[2], int(args[3]), args[4:] == ["paced"])
    elif mode == "jack":
        jack(args[0], int(args[1]), args[2], args[3])
    elif mode == "send":
        send(int(args[0]), float(args[1]), float(args[2]), int(args[3]), int(args[4]))
    else:
        raise SystemExit(__doc__)
