"""Shared fixtures: a tiny stem pack of pure tones, built fresh for each test session.

Pure tones make audio assertions sharp: a gain step shows up as a sample-to-sample jump far
larger than a sine's own slope, and each stem can be measured on its own frequency.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
import soundfile

ROOT = Path(__file__).resolve().parent.parent
SR = 48000
BPM = 120
BAR = SR * 2  # 4/4 at 120 BPM
TONES = {  # segment -> stem -> (frequency, amplitude); whole cycles in each looping segment
    "calm": {"a": (220.25, 0.2), "b": (330.75, 0.2)},
    "fight": {"tone": (440.5, 0.2), "pulse": (0.0, 0.25)},
    "end": {"a": (550.0, 0.2)},
}
TAIL = SR // 2  # a one-shot segment rings on for a beat past its end, as a real stem would
BARS = {"calm": 2, "fight": 2, "end": 1}
CHORDS = {"calm": "[Am, F]", "fight": "[Am, E]", "end": "[A]"}


def tone(freq: float, amp: float, frames: int) -> np.ndarray:
    """A sine that loops seamlessly over its segment (whole cycles) and is mid-swing on every bar line."""
    t = np.arange(frames) / SR
    if freq:
        return (amp * np.sin(2 * np.pi * freq * t + 1.0)).astype(np.float32)
    # a pulse: a 1 kHz burst that starts on every beat and decays; onsets are easy to find
    beat = SR // 2
    phase = (np.arange(frames) % beat) / SR
    return (amp * np.sin(2 * np.pi * 1000 * phase) * np.exp(-phase * 40)).astype(np.float32)


def make_pack(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["name: tones", f"sample_rate: {SR}", f"tempo: {BPM}", "meter: 4/4", "key: A minor", "segments:"]
    for seg, stems in TONES.items():
        loop = seg != "end"
        lines += [f"  {seg}:", f"    bars: {BARS[seg]}", f"    loop: {str(loop).lower()}", f"    chords: {CHORDS[seg]}",
                  "    cues: {mid: '2:1'}" if BARS[seg] > 1 else "    cues: {}", "    stems:"]
        for stem, (freq, amp) in stems.items():
            (folder / seg).mkdir(exist_ok=True)
            frames = BARS[seg] * BAR + (0 if loop else TAIL)
            soundfile.write(str(folder / seg / f"{stem}.wav"), tone(freq, amp, frames), SR, subtype="FLOAT")
            lines.append(f"      {stem}: {seg}/{stem}.wav")
    (folder / "oneshots").mkdir(exist_ok=True)
    soundfile.write(str(folder / "oneshots" / "boom.wav"), boom(), SR, subtype="FLOAT")
    lines += ["oneshots:", "  boom: oneshots/boom.wav"]
    (folder / "pack.yaml").write_text("\n".join(lines) + "\n")
    return folder


BOOM = (1500.0, 0.3, SR // 2)  # a stinger: frequency, amplitude, length


def boom() -> np.ndarray:
    """Half a second of 1.5 kHz, starting from zero and fading out smoothly (a clean one-shot)."""
    freq, amp, n = BOOM
    t = np.arange(n) / SR
    fade = np.minimum(1.0, (n - np.arange(n)) / 2400)
    return (amp * np.sin(2 * np.pi * freq * t) * fade).astype(np.float32)


MACHINE = """\
pack: tones
params:
  intensity: {range: [0, 1], default: 0, smooth: 0ms}
  health: {range: [0, 1], default: 1, smooth: 0ms, hysteresis: 0.05}
events: [go, calm_down, win]
initial: calm
states:
  calm:
    segment: calm
    layers:
      a: 0 dB
      b: {param: intensity, curve: [[0, -inf], [1, 0]]}
  fight:
    segment: fight
  hurt:
    segment: fight
    layers:
      tone: -6 dB
      pulse: 0 dB
  victory:
    segment: end
    then: calm
transitions:
  - {from: calm, to: fight, when: event go, sync: bar, fade_out: 1 beat}
  - {from: fight, to: hurt, when: "health < 0.25", sync: beat, fade: 1 beat}
  - {from: hurt, to: fight, when: "health > 0.5", sync: bar, fade: 1 beat}
  - {from: [fight, hurt], to: calm, when: "event calm_down", sync: bar, fade: 2 beats}
  - {from: any, to: victory, when: event win, sync: beat}
"""


def write_machine(folder: Path, text: str = MACHINE, name: str = "machine.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture(scope="session")
def tone_pack(tmp_path_factory) -> Path:
    return make_pack(tmp_path_factory.mktemp("packs") / "tones")


@pytest.fixture
def machine_path(tone_pack: Path) -> Path:
    return write_machine(tone_pack.parent)


# A machine that reaches every way (rules, an any-rule, then, then: previous, bridges, a go cue, a state only a
# forced move reaches), on six silent one-bar loops, a to f, at 8 kHz
REACH_RATE = 8000
REACH_SEGMENTS = "abcdef"
REACH = """\
pack: reach
events: [go, back, hide, won]
initial: calm
states:
  calm: {segment: a}
  fight: {segment: b}
  hurt: {segment: b}            # shares fight's segment
  win: {segment: c, then: previous}
  lull: {segment: d, then: calm}
  far: {segment: e}
  gone: {segment: f}            # only a forced move reaches it
transitions:
  - {from: calm, to: fight, when: event go, sync: beat}
  - {from: fight, to: hurt, when: event go}                               # same segment: it plays on
  - {from: fight, to: calm, when: event back, start: resume}
  - {from: hurt, to: calm, when: event back, sync: immediate, start: same_position}
  - {from: hurt, to: far, when: event hide, bridge: d}
  - {from: any, to: win, when: event won, bridge: e}
cues:
  rest: {go: lull}
"""


@pytest.fixture(scope="session")
def reach_folder(tmp_path_factory) -> Path:
    """The folder of the reach pack, where a machine naming `pack: reach` is written."""
    folder = tmp_path_factory.mktemp("reach")
    pack = folder / "reach"
    pack.mkdir()
    bar = REACH_RATE * 2  # 4/4 at 120 BPM
    lines = ["name: reach", f"sample_rate: {REACH_RATE}", "tempo: 120", "meter: 4/4", "key: A minor", "segments:"]
    for seg in REACH_SEGMENTS:
        soundfile.write(str(pack / f"{seg}.wav"), np.zeros(bar, np.float32), REACH_RATE, subtype="FLOAT")
        lines += [f"  {seg}: {{bars: 1, loop: true, stems: {{x: {seg}.wav}}}}"]
    (pack / "pack.yaml").write_text("\n".join(lines) + "\n")
    return folder
