"""Builds the bundled demo stem pack (stems/demo) by rendering synthesized parts with pyo.

Run `python stems/make_demo.py` to rebuild it; the output is deterministic. Each segment is
rendered once with one output channel per stem, then split into mono FLAC files.
The block size divides a 16th note at 120 BPM, so every note starts exactly on its grid sample.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

os.environ.setdefault("PYO_GUI_WX", "0")

SR = 48000
BPM = 120
BLOCK = 240  # 16th note = 6000 samples = 25 blocks
LEVEL = 0.6  # leaves headroom when all stems of a segment sound together
SIXTEENTH = SR * 60 // BPM // 4
BAR = SIXTEENTH * 16
NOTES = {"C": 0, "C#": 1, "Db": 1, "D": 2, "Eb": 3, "E": 4, "F": 5, "F#": 6, "Gb": 6, "G": 7, "Ab": 8,
         "A": 9, "Bb": 10, "B": 11}

# segment -> (bars, loop, chords per bar, cue points)
SEGMENTS = {
    "explore": (8, True, ["Cm", "Cm", "Ab", "Ab", "Eb", "Eb", "Bb", "G"], {"phrase": "5:1"}),
    "combat": (8, True, ["Cm", "Ab", "Bb", "G", "Cm", "Ab", "Fm", "G"], {"phrase": "5:1"}),
    "victory": (4, False, ["Ab", "Bb", "Eb", "Eb"], {}),
    "combat_outro": (1, False, ["G"], {}),
}
STEMS = {
    "explore": ["pad", "bass", "perc", "bells"],
    "combat": ["drums", "bass", "pad", "lead"],
    "victory": ["brass", "drums"],
    "combat_outro": ["fill"],
}


def chord_notes(name: str, octave: int) -> list[int]:
    """MIDI notes of a triad like 'Cm' or 'Ab' rooted in the given octave."""
    minor = name.endswith("m")
    root = NOTES[name[:-1] if minor else name] + 12 * (octave + 1)
    return [root, root + (3 if minor else 4), root + 7]


def mtof(note: float) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


@dataclass
class Note:
    at: int  # 16th index in the segment
    stem: str
    pitch: float
    dur: float  # seconds
    vel: float


def compose(segment: str) -> list[Note]:
    bars, _, chords, _ = SEGMENTS[segment]
    notes: list[Note] = []
    for bar in range(bars):
        chord = chords[bar]
        triad, low = chord_notes(chord, 4), chord_notes(chord, 2)[0]
        s0 = bar * 16
        if segment == "explore":
            notes += [Note(s0, "pad", p, 1.9, 0.3) for p in triad]
            notes += [Note(s0 + i, "bass", low, 0.9, 0.3) for i in (0, 10)]
            notes += [Note(s0 + i, "perc", 0, 0.05, 0.25 if i % 4 == 2 else 0.12) for i in range(0, 16, 2)]
            notes += [Note(s0 + i, "bells", triad[(i // 3) % 3] + 12, 0.4, 0.12) for i in (0, 3, 6, 11)]
        elif segment == "combat":
            notes += [Note(s0 + i, "drums", 0, 0.3, 0.7) for i in (0, 6, 8, 11)]  # kicks
            notes += [Note(s0 + i, "drums", 1, 0.2, 0.6) for i in (4, 12)]  # snares
            notes += [Note(s0 + i, "drums", 2, 0.04, 0.2) for i in range(0, 16, 2)]  # hats
            notes += [Note(s0 + i, "bass", low, 0.11, 0.35) for i in range(0, 16, 2)]
            notes += [Note(s0, "pad", p, 1.9, 0.2) for p in triad]
            notes += [Note(s0 + i, "lead", triad[(i // 2) % 3] + 12, 0.1, 0.16) for i in range(0, 16, 2)]
        elif segment == "victory":
            notes += [Note(s0 + i, "brass", p, 0.9 if i == 0 else 0.45, 0.3) for i in (0, 8) for p in triad]
            notes += [Note(s0 + i, "drums", 0 if i % 8 == 0 else 1, 0.25, 0.7) for i in (0, 4, 8, 12)]
        else:
            notes += [Note(s0 + i, "fill", 1, 0.15, 0.3 + 0.04 * i) for i in range(0, 16, 1)]
    return notes


class Voices:
    """A few pyo voices for one stem, reused round-robin, each sent to the stem's own channel."""

    def __init__(self, pyo, stem: str, channel: int, count: int = 4):
        self.voices = [self._make(pyo, stem, channel) for _ in range(count)]
        self.next = 0

    @staticmethod
    def _make(pyo, stem: str, channel: int):
        freq = pyo.Sig(440.0)
        env = pyo.Adsr(attack=0.004, decay=0.08, sustain=0.6, release=0.08, dur=0.2, mul=0.0)
        if stem in ("pad", "brass"):
            env.setAttack(0.3 if stem == "pad" else 0.03)
            env.setRelease(0.6)
            src = pyo.SuperSaw(freq=freq, detune=0.4, bal=0.6, mul=env)
            out = pyo.ButLP(src, freq=1800 if stem == "pad" else 2600)
        elif stem == "bass":
            src = pyo.LFO(freq=freq, sharp=0.7, type=2, mul=env)
            out = pyo.ButLP(src, freq=700)
        elif stem in ("lead", "bells"):
            env.setSustain(0.2)
            src = pyo.FM(carrier=freq, ratio=2.0 if stem == "lead" else 3.5, index=3, mul=env)
            out = pyo.ButLP(src, freq=5000)
        else:  # drums, perc, fill: pitch 0 kick, 1 snare, 2 hat
            env.setAttack(0.001)
            env.setSustain(0.0)
            noise = pyo.Noise()
            kick = pyo.Sine(freq=freq, mul=env)
            snare = pyo.ButBP(noise, freq=1800, q=0.8, mul=0)
            hat = pyo.ButHP(noise, freq=7000, mul=0)
            out = [kick, snare, hat]
        if isinstance(out, list):
            mix = pyo.Mix(out, voices=1)
            mix.out(channel)
            return freq, env, out + [mix]
        out.out(channel)
        return freq, env, [out]

    def play(self, note: Note) -> None:
        freq, env, parts = self.voices[self.next]
        self.next = (self.next + 1) % len(self.voices)
        env.mul = note.vel * LEVEL
        env.dur = note.dur
        if note.stem in ("drums", "perc", "fill"):
            kind = int(note.pitch)
            freq.value = 55.0 if kind == 0 else 200.0
            for i, p in enumerate(parts[:3]):
                p.mul = env * (1.0, 1.5, 0.6)[i] if i == kind else 0
        else:
            freq.value = mtof(note.pitch)
        env.play()


def render(pyo, server, segment: str, folder: Path) -> dict[str, str]:
    bars, loop, _, _ = SEGMENTS[segment]
    stems = STEMS[segment]
    tail = 0 if loop else BAR // 2  # one-shot segments ring out past their end
    voices = {stem: Voices(pyo, stem, i) for i, stem in enumerate(stems)}
    notes = sorted(compose(segment), key=lambda n: n.at)
    raw = folder / f"_{segment}.wav"
    server.recordOptions(dur=-1, filename=str(raw), fileformat=0, sampletype=3)
    server.recstart()
    total = bars * BAR + tail
    # a looping segment is rendered twice and its second pass kept, so release tails wrap around
    passes = 2 if loop else 1
    i = 0
    for block in range((total * passes) // BLOCK):
        sixteenth, rem = divmod((block * BLOCK) % (bars * BAR), SIXTEENTH)
        if rem == 0:
            if sixteenth == 0:
                i = 0
            while i < len(notes) and notes[i].at == sixteenth:
                if block * BLOCK < bars * BAR or loop:
                    voices[notes[i].stem].play(notes[i])
                i += 1
        server.process()
    server.recstop()
    del voices
    data, _ = soundfile.read(str(raw), dtype="float32", always_2d=True)
    raw.unlink()
    data = data[-total:] if loop else data[:total]
    files = {}
    for c, stem in enumerate(stems):
        rel = f"{segment}/{stem}.flac"
        (folder / segment).mkdir(parents=True, exist_ok=True)
        soundfile.write(str(folder / rel), np.clip(data[:, c], -1, 1), SR, subtype="PCM_16")
        files[stem] = rel
    return files


ONESHOTS = {"goal": 2.5, "hit": 1.0}  # stingers: name -> seconds
COMMENTARY_SECONDS = 40


def render_oneshots(pyo, folder: Path) -> dict[str, str]:
    """Stingers: a brass stab with a cymbal swell ('goal') and a short impact ('hit')."""
    files = {}
    for name, seconds in ONESHOTS.items():
        server = pyo.Server(sr=SR, nchnls=1, buffersize=BLOCK, audio="manual", duplex=0).boot()
        server.setGlobalSeed(1)  # noise included: the same pack on every rebuild
        server.start()
        raw = folder / f"_{name}.wav"
        server.recordOptions(dur=-1, filename=str(raw), fileformat=0, sampletype=3)
        env = pyo.Adsr(attack=0.005, decay=0.4, sustain=0.3, release=1.2, dur=seconds - 1.2, mul=0.5 * LEVEL)
        noise_env = pyo.Adsr(attack=0.002 if name == "hit" else 0.6, decay=0.3, sustain=0.2, release=0.8,
                             dur=seconds - 0.8, mul=0.25 * LEVEL)
        pitches = [mtof(p) for p in ((63, 67, 70, 75) if name == "goal" else (36, 43))]
        voices = [pyo.SuperSaw(freq=f, detune=0.3, bal=0.7, mul=env) for f in pitches]
        brass = pyo.ButLP(pyo.Mix(voices, voices=1), freq=3000 if name == "goal" else 900)
        cymbal = pyo.ButHP(pyo.Noise(mul=noise_env), freq=6000)
        out = pyo.Mix([brass, cymbal], voices=1).out()
        server.recstart()
        env.play()
        noise_env.play()
        for _ in range(int(seconds * SR) // BLOCK):
            server.process()
        server.recstop()
        del out
        server.stop()
        server.shutdown()
        data, _ = soundfile.read(str(raw), dtype="float32", always_2d=True)
        raw.unlink()
        rel = f"oneshots/{name}.flac"
        (folder / "oneshots").mkdir(exist_ok=True)
        soundfile.write(str(folder / rel), np.clip(data[:, 0], -1, 1), SR, subtype="PCM_16")
        files[name] = rel
    return files


def render_commentary(folder: Path) -> None:
    """Speech-like test material for the broadcast demo's sidechain: voiced syllables in phrases, with pauses.

    Not part of the pack's manifest; feed it with `segue render ... --sidechain stems/demo/commentary.flac`.
    """
    rng = np.random.default_rng(3)
    t = np.arange(COMMENTARY_SECONDS * SR) / SR
    pitch = 110 + 20 * np.sin(2 * np.pi * 0.3 * t)
    buzz = np.sign(np.sin(2 * np.pi * np.cumsum(pitch) / SR)) * 0.5
    syllables = np.zeros_like(t)
    talking = ((t % 10) > 2) & ((t % 10) < 7)  # phrases of 5 s, every 10 s, starting at 2 s
    for start in np.arange(0, COMMENTARY_SECONDS, 0.2):
        if talking[int(start * SR)]:
            n = int(rng.uniform(0.08, 0.16) * SR)
            i = int(start * SR)
            syllables[i:i + n] = np.hanning(n)[: len(syllables[i:i + n])]
    from scipy.signal import lfilter  # noqa: PLC0415 - only the generator needs it

    formant = lfilter([1.0], [1.0, -1.6, 0.8], buzz)  # one broad vowel formant
    voice = (formant / np.abs(formant).max() * 0.5 * syllables).astype(np.float32)
    soundfile.write(str(folder / "commentary.flac"), voice, SR, subtype="PCM_16")


def manifest(files: dict[str, dict[str, str]], oneshots: dict[str, str]) -> str:
    lines = ["# Generated by stems/make_demo.py; rebuild with `python stems/make_demo.py`.",
             "name: demo", f"sample_rate: {SR}", f"tempo: {BPM}", "meter: 4/4", "key: C minor", "segments:"]
    for segment, (bars, loop, chords, cues) in SEGMENTS.items():
        lines += [f"  {segment}:", f"    bars: {bars}", f"    loop: {'true' if loop else 'false'}",
                  f"    chords: [{', '.join(chords)}]"]
        if cues:
            lines.append("    cues: {" + ", ".join(f"{k}: '{v}'" for k, v in cues.items()) + "}")
        lines.append("    stems:")
        lines += [f"      {stem}: {path}" for stem, path in files[segment].items()]
    lines.append("oneshots:")
    lines += [f"  {name}: {path}" for name, path in oneshots.items()]
    return "\n".join(lines) + "\n"


def main(folder: Path) -> None:
    import pyo

    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for segment, stems in STEMS.items():
        server = pyo.Server(sr=SR, nchnls=len(stems), buffersize=BLOCK, audio="manual", duplex=0).boot()
        server.setGlobalSeed(1)  # noise included: the same pack on every rebuild
        server.start()
        files[segment] = render(pyo, server, segment, folder)
        server.stop()
        server.shutdown()
    oneshots = render_oneshots(pyo, folder)
    render_commentary(folder)
    (folder / "pack.yaml").write_text(manifest(files, oneshots))
    print(f"demo pack written to {folder}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "demo")
