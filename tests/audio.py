"""Helpers for tests that play the real engine and judge the rendered samples."""
from __future__ import annotations

import contextlib
import socket
import threading
from pathlib import Path

import numpy as np
import soundfile
from pythonosc.osc_message_builder import OscMessageBuilder

from engine.session import Engine, EngineConfig

from waiting import wait_until

SR = 48000


def osc_packet(address: str, *args) -> bytes:
    b = OscMessageBuilder(address)
    for a in args:
        b.add_arg(a)
    return b.build().dgram


def send(port: int, *packets: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for p in packets:
            s.sendto(p, ("127.0.0.1", port))


def wait_for(engine: Engine, datagrams: int, timeout: float = 5.0) -> None:
    """Wait (wall clock) until the OSC receiver has handled this many datagrams in all."""
    wait_until(lambda: engine.osc.datagrams >= datagrams, timeout,
               lambda: f"{datagrams} OSC datagrams handled in all (only {engine.osc.datagrams} so far)")


def run_until(engine: Engine, sample: int) -> None:
    while engine.sample < sample:
        engine.process()


def read(path: Path) -> np.ndarray:
    data, sr = soundfile.read(str(path), dtype="float64", always_2d=True)
    assert sr == SR
    return data


def amplitude(x: np.ndarray, freq: float) -> float:
    """Amplitude of one sinusoid in a mono signal (Hann-windowed projection, so neighbours do not leak in)."""
    t = np.arange(len(x)) / SR
    w = np.hanning(len(x))
    return float(2 * abs(np.dot(w * x, np.exp(-2j * np.pi * freq * t))) / w.sum())


def max_step(x: np.ndarray) -> float:
    return float(np.abs(np.diff(x, axis=0)).max())


def play(machine_path: Path, out: Path, steps, until: int, **engine_options) -> tuple[np.ndarray, list[dict]]:
    """Render the engine from sample 0, sending each step's OSC packets (real UDP) when the clock reaches it.

    Returns the rendered samples (frames x 2) up to `until` and the decision log.
    """
    with Engine(machine_path, EngineConfig(osc_port=0, **engine_options)) as engine:
        with engine.recording(out):
            for at, packets in steps:
                run_until(engine, at)
                expected = engine.osc.datagrams + len(packets)
                send(engine.osc.address[1], *packets)
                wait_for(engine, expected)
            run_until(engine, until)
        log = list(engine.log)
    return read(out)[:until], log


@contextlib.contextmanager
def running(engine: Engine):
    """The engine playing in real time (its own loop in a thread) for the duration of the block."""
    stop = threading.Event()
    runner = threading.Thread(target=engine.run, args=(stop,))
    runner.start()
    try:
        yield stop
    finally:
        stop.set()
        runner.join()


def phrases(machine: Path, log: list[dict]) -> list:
    """The phrases the log's requests asked for, written and played in this process as the generation process
    did (the same model, SoundFont and voicing: the same samples)."""
    from engine.generate.model import DEFAULT_MODEL
    from engine.generate.serve import Generator
    from engine.generate.synth import default_soundfont
    from engine.score.loader import load_machine

    generator, clock = Generator(DEFAULT_MODEL, default_soundfont()), load_machine(machine).pack.clock()
    voicing = {"sample_rate": clock.sample_rate, "bpm": clock.bpm, "beats_per_bar": clock.beats_per_bar}
    return [generator.answer({"phrase": e["request"], "voicing": {**voicing, "program": e["program"]}})
            for e in log if e["action"] == "generate"]


def layer_alone(machine: Path, log: list[dict], frames: int) -> np.ndarray:
    """One generated layer as the mix should play it (one channel, at the centre: -3 dB), from the log: each phrase
    from its bar's sample and again every loop until the next one starts, each read ringing on its whole tail
    (right for a layer whose phrases never cut one short)."""
    from engine.score.loader import load_machine

    clock = load_machine(machine).pack.clock()
    starts = [e["sample"] for e in log if e["action"] == "layer"]
    out = np.zeros(frames + clock.sample_rate * 4, dtype=np.float64)
    for phrase, start, until in zip(phrases(machine, log), starts, starts[1:] + [frames]):
        layer, repeat = phrase.layer, 0
        while (at := start + clock.step_sample(repeat * layer.steps, layer.steps_per_bar)) < until:
            out[at:at + len(phrase.audio)] += phrase.audio
            repeat += 1
    return (out[:frames] * np.cos(np.pi / 4)).astype(np.float32)
