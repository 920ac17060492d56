"""Soak render: hours of the demo machine, offline, under a looping telemetry script that visits every state,
fires stingers and cues, and lets the combat arpeggio regenerate every 4 bars.

Checks, from the rendered samples (analysed chunk by chunk as they come, never written to disk):
- no non-finite sample, and no fault from the engine;
- at the end, 0 samples of drift: every stem of the playing segment reads its ideal sample through a loop
  boundary, and every generated note's trigger fires on its ideal sample (the bar grid is the same integers);
  over the whole run every generated phrase starts on a bar line;
- integrated loudness (BS.1770 gating) of each window (10 minutes) within 1 LU of the first window;
- RSS flat: at most 16 MB more at the end than after the first window.

Length: SEGUE_SOAK_SECONDS (default 10,800: three hours). A smoke run: SEGUE_SOAK_SECONDS=360, whose windows
are one telemetry cycle (120 s) each. Every window (10 minutes, five cycles) hears the same play.
"""
from __future__ import annotations

import dataclasses
import math
import os
import time
from pathlib import Path

import numpy as np
import soundfile
from scipy.signal import lfilter

from engine.audio.backend import pyo
from engine.loudness import k_weighting
from engine.session import Engine

ROOT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("SEGUE_SOAK_SECONDS", 3 * 3600))
CHUNK_SECONDS = 10  # analysed at a time: a whole number of blocks and of 400 ms loudness blocks
CYCLE = 120.0  # seconds of the looping telemetry script
RSS_BUDGET_MB = 16.0
LOUDNESS_BUDGET_LU = 1.0

CYCLE_MESSAGES = [  # (seconds into the cycle, address, args): every state, stingers, cues, forced moves
    (0.0, "/segue/param/intensity", [0.2]), (0.0, "/game/health", [1.0]),
    (5.0, "/segue/param/intensity", [0.7]),
    (10.0, "/game/enemy", []),  # combat, whose arp regenerates every 4 bars
    (16.0, "/segue/param/intensity", [0.95]),
    (20.0, "/segue/stinger/hit", []),
    (24.0, "/game/health", [0.2]),  # danger
    (32.0, "/game/health", [0.8]),  # combat
    (36.0, "/segue/event/goal", []),  # a stinger by its condition, with ducking
    (40.0, "/segue/cue/talk", [1]), (44.0, "/segue/cue/talk", [0]),
    (48.0, "/segue/event/enemy_lost", []),  # explore
    (60.0, "/segue/event/enemy_spotted", []),
    (70.0, "/segue/event/boss_defeated", []),  # bridge, victory, explore
    (90.0, "/segue/cue/strike", []),
    (96.0, "/segue/state/combat", []), (104.0, "/segue/state/danger", []), (110.0, "/segue/state/explore", []),
    (114.0, "/segue/param/intensity", [0.2]),
]


def soak_machine(folder: Path) -> Path:
    """The demo machine, with stingers and cues (the demo itself has none)."""
    text = (ROOT / "statemachines" / "demo.yaml").read_text()
    text = text.replace("pack: ../stems/demo", f"pack: {ROOT / 'stems' / 'demo'}")
    text = text.replace("events: [enemy_spotted, enemy_lost, boss_defeated]",
                        "events: [enemy_spotted, enemy_lost, boss_defeated, goal]")
    text += ("stingers:\n"
             "  goal: {oneshot: goal, when: event goal, sync: beat, cooldown: 4 bars, duck: -9 dB}\n"
             "  hit: {oneshot: hit, sync: beat}\n"
             "cues:\n"
             "  talk: {duck: -10 dB, attack: 150ms, release: 800ms}\n"
             "  strike: {stinger: hit}\n")
    path = folder / "soak.yaml"
    path.write_text(text)
    return path


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def gated_loudness(powers: list[float]) -> float:
    """BS.1770 integrated loudness of 400 ms block powers (K-weighted, summed over channels)."""
    z = np.asarray(powers)
    loud = -0.691 + 10 * np.log10(np.maximum(z, 1e-20))
    kept = z[loud > -70]
    if not len(kept):
        return -math.inf
    relative = -0.691 + 10 * np.log10(kept.mean()) - 10
    kept = z[(loud > -70) & (loud > relative)]
    return float(-0.691 + 10 * np.log10(kept.mean()))


class Loudness:
    """K-weighting across chunks (filter state carried over), mean power per 400 ms block."""

    def __init__(self, sample_rate: int):
        self.stages = k_weighting(sample_rate)
        self.state = [[np.zeros(max(len(a), len(b)) - 1) for b, a in self.stages] for _ in range(2)]
        self.block = int(0.4 * sample_rate)

    def powers(self, x: np.ndarray) -> list[float]:
        total = np.zeros(len(x) // self.block)
        for c in range(2):
            y = x[:, c].astype(np.float64)
            for i, (b, a) in enumerate(self.stages):
                y, self.state[c][i] = lfilter(b, a, y, zi=self.state[c][i])
            total += (y[: len(total) * self.block] ** 2).reshape(len(total), -1).mean(axis=1)
        return total.tolist()


def script(engine: Engine, seconds: float) -> list[tuple[int, object]]:
    """The looping cycle for the whole run: (sample, telemetry) in order."""
    out = []
    for cycle in range(math.ceil(seconds / CYCLE)):
        for at, address, args in CYCLE_MESSAGES:
            sample = round((cycle * CYCLE + at) * engine.sample_rate)
            out.append((sample, dataclasses.replace(engine.router.route(address, args), sample=sample)))
    return out


def end_checks(engine: Engine, p) -> tuple[int, int, int]:
    """Play on to one second past the current segment's next loop boundary, recording the segment's sum (its
    stems at their held gains) and the trigger of every generated phrase's read (a repeat, or a new phrase); return
    (samples of the sum off their ideal, made from the files, reads off their ideal, reads)."""
    graph, runtime, block, sr = engine.graph, engine.runtime, engine.block, engine.sample_rate
    player = graph.mix.players[runtime.segment]
    length = engine.machine.pack.segment_samples(runtime.segment)
    start = engine.sample
    to_wrap = length - (start - runtime.origin) % length
    # and past the next read of a generated phrase (its next repeat), so at least one is checked
    reads = [layer.next_start - start for layer in graph.mix.phrase_players.values() if layer.next_start is not None]
    frames = math.ceil(max(to_wrap + sr, min(reads) + block if reads else 0) / block) * block
    # the segment's sum: each sounding stem's read at its gain adds the one before it (streamhead.StreamHead._chain)
    out = player.out
    table = p.NewTable(length=frames / sr, chnls=2)
    recorders = [p.TableRec(out, table).play()]
    readers = [reader for layer in graph.mix.phrase_players.values() for reader in layer.readers]
    triggers = p.Mix([reader._trigger.out for reader in readers], voices=1)
    trigger_table = p.NewTable(length=frames / sr, chnls=1)
    recorders.append(p.TableRec(triggers, trigger_table).play())
    played: list[int] = []  # the samples reads started on, each checked against its phrase's first sample
    misplaced = 0
    for layer in graph.mix.phrase_players.values():
        for reader in layer.readers:
            def read_from(phrase, sample, k, original=reader.start, layer=layer):
                nonlocal misplaced
                played.append(sample)
                steps, per_bar = phrase.layer.steps, phrase.layer.steps_per_bar
                repeat = round((sample - layer.first) / max(1, layer.clock.step_sample(steps, per_bar)))
                misplaced += sample != layer.first + layer.clock.step_sample(repeat * steps, per_bar)
                return original(phrase, sample, k)
            reader.start = read_from
    origin, segment = runtime.origin, runtime.segment
    engine.process(frames // block)
    assert (runtime.origin, runtime.segment) == (origin, segment), "the segment changed during the end check"
    got = np.stack([np.array(table.getBuffer(c), dtype=np.float32)[:frames] for c in range(2)], axis=1)  # copies
    ideal = np.zeros((frames, 2), dtype=np.float32)
    compared = 0
    for name, voice in player.stems.items():  # in the chain's order, summed as pyo sums them: x * gain, then + sum
        if not voice.sounding:  # asleep (faded out to silence in this state): nothing of it is read
            continue
        assert voice.held, f"stem '{name}' still fading at the end check"
        gain = np.float32(voice.reads[0].mul)  # its held gain, the reads' constant multiplier
        path = engine.machine.pack.segments[segment].stems[name]  # streamed: the file is the truth
        data = soundfile.read(str(path), dtype="float32", always_2d=True)[0]
        data = np.repeat(data, 2, axis=1) if data.shape[1] == 1 else data  # a mono stem plays on both sides
        loop = engine.machine.pack.segments[segment].loop
        phase = start - origin + np.arange(frames)
        ideal = data[phase % length if loop else np.minimum(phase, len(data) - 1)] * gain + ideal
        compared += 1
    off = int(np.count_nonzero((got != ideal).any(axis=1)))
    assert compared, f"no stem of '{segment}' sounds at the end check: nothing to compare"
    fired = np.flatnonzero(np.array(trigger_table.getBuffer(0))[:frames] > 0.5) + start
    for r in recorders:
        r.stop()
    del recorders, out, table, triggers, trigger_table  # pyo objects must go before their server does
    return off, len(set(played) ^ set(fired.tolist())) + misplaced, len(played)


def test_soak_render(benchmark, budget_report, tmp_path):
    machine = soak_machine(tmp_path)
    window_seconds = 600.0 if SECONDS >= 1200 else CYCLE
    with Engine(machine) as engine:
        p, sr, block = pyo(), engine.sample_rate, engine.block
        chunk = CHUNK_SECONDS * sr
        assert chunk % block == 0 and chunk % int(0.4 * sr) == 0
        table = p.NewTable(length=CHUNK_SECONDS, chnls=2)
        recorder = p.TableRec(engine.graph.master.out, table)
        messages = script(engine, SECONDS)
        loudness = Loudness(sr)
        windows: list[list[float]] = [[]]
        rss: list[float] = []
        non_finite = phrases = off_bar = 0
        states: set[str] = set()
        index, started = 0, time.perf_counter()

        def run():
            nonlocal index, non_finite, phrases, off_bar
            for _ in range(int(SECONDS // CHUNK_SECONDS)):
                recorder.play()
                for _ in range(chunk // block):
                    horizon = engine.sample + block
                    while index < len(messages) and messages[index][0] < horizon:
                        engine.queue.put(messages[index][1])
                        index += 1
                    engine.process()
                x = np.stack([np.asarray(table.getBuffer(c), dtype=np.float32) for c in range(2)], axis=1)[:chunk]
                non_finite += int(np.count_nonzero(~np.isfinite(x)))
                windows[-1].extend(loudness.powers(np.nan_to_num(x)))
                for entry in engine.log:
                    if entry["action"] == "layer":
                        phrases += 1
                        off_bar += not entry["position"].endswith(":1")  # bar:beat, with .tick when off the beat
                    elif entry["action"] == "enter":
                        states.add(entry["target"])
                engine.log.clear()
                if engine.sample % round(window_seconds * sr) == 0:
                    rss.append(rss_mb())
                    windows.append([])
            return end_checks(engine, p)

        stem_off, notes_off, notes = benchmark.pedantic(run, rounds=1, iterations=1)
        wall = time.perf_counter() - started
        faults = list(engine.outbox.faults)
        recorder.stop()
        del recorder, table  # pyo objects must go before their server does
    levels = [gated_loudness(w) for w in windows if len(w) * 0.4 >= window_seconds * 0.99]
    spread = max(abs(level - levels[0]) for level in levels)
    growth = max(rss) - rss[0] if rss else 0.0
    ok = {"finite": non_finite == 0 and not faults, "drift": stem_off == 0 and notes_off == 0 and off_bar == 0,
          "loudness": spread <= LOUDNESS_BUDGET_LU, "rss": growth <= RSS_BUDGET_MB,
          "coverage": states >= {"explore", "combat", "danger", "victory"} and phrases > 0 and notes > 0}
    figure = (f"{SECONDS / 3600:.2f} h in {wall:.0f} s: {non_finite} non-finite, {len(faults)} faults; drift: "
              f"{stem_off} stem samples, {notes_off}/{notes} phrase reads, {off_bar}/{phrases} phrases off bar; "
              f"loudness spread {spread:.2f} LU over {len(levels)} windows; RSS +{growth:.1f} MB")
    budget_report(benchmark, "soak render, demo under looping telemetry", figure,
                  f"0 non-finite, 0 drift, <= {LOUDNESS_BUDGET_LU:.0f} LU, RSS <= +{RSS_BUDGET_MB:.0f} MB",
                  all(ok.values()), checks=ok, faults=faults[:3], levels=levels, rss=rss, states=sorted(states))
    assert all(ok.values()), (ok, figure, faults[:3])


def test_the_demo_renders_past_twelve_minutes(benchmark, budget_report, tmp_path):
    """Issue 9's report: `segue render statemachines/demo.yaml --seconds 760` wrote NaN from 722.66 s on (the
    idle pluck voices' FM wrapped its float32 phase one past its table) and exited 0."""
    import subprocess
    import sys

    import soundfile

    out = tmp_path / "long.wav"

    def run():
        return subprocess.run([sys.executable, "-m", "engine.cli", "render", str(ROOT / "statemachines" / "demo.yaml"),
                               "--seconds", "760", "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                              timeout=1800)

    done = benchmark.pedantic(run, rounds=1, iterations=1)
    bad = sum(int(np.count_nonzero(~np.isfinite(b))) for b in soundfile.blocks(str(out), blocksize=1 << 20))
    ok = done.returncode == 0 and bad == 0 and "nan" not in done.stdout.lower()
    budget_report(benchmark, "demo render, 760 s", f"exit {done.returncode}, {bad} non-finite samples",
                  "exit 0, 0 non-finite", ok)
    assert ok, done.stdout[-1000:] + done.stderr[-1000:]
