"""Writing a generated phrase out: a standard MIDI file and a provenance sidecar."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import mido

from engine.generate.model import NoteLayer
from engine.meter import COMMON_TIME, Meter
from engine.wavfile import atomic

TICKS_PER_BEAT = 480
TICKS_PER_16TH = TICKS_PER_BEAT // 4


def write_midi(layer: NoteLayer, bpm: float, path: Path, meter: Meter = COMMON_TIME, program: int = 0) -> None:
    """A type-0 MIDI file: tempo, meter, program, then the notes on channel 1. `bpm` counts the meter's written
    unit (eighths in 6/8), as a pack's tempo does; MIDI's tempo counts quarters."""
    track = mido.MidiTrack()
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm * 4 / meter.unit), time=0))
    track.append(mido.MetaMessage("time_signature", numerator=meter.beats, denominator=meter.unit, time=0))
    track.append(mido.Message("program_change", program=program, time=0))
    events = []
    for n in layer.notes:
        velocity = max(1, min(127, round(n.velocity * 127)))
        events.append((n.step * TICKS_PER_16TH, 1, mido.Message("note_on", note=n.pitch, velocity=velocity)))
        events.append(((n.step + n.length) * TICKS_PER_16TH - 1, 0, mido.Message("note_off", note=n.pitch)))
    now = 0
    for tick, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(msg.copy(time=tick - now))
        now = tick
    track.append(mido.MetaMessage("end_of_track", time=layer.steps * TICKS_PER_16TH - now))
    out = mido.MidiFile(type=0, ticks_per_beat=TICKS_PER_BEAT)
    out.tracks.append(track)
    atomic(path, out.save)


def write_provenance(layer: NoteLayer, path: Path, **extra) -> Path:
    """`<out>.provenance.json`: what made these notes (model file hash, version, seed, inputs) and when."""
    sidecar = path.with_suffix(".provenance.json")
    body = {**layer.provenance, **extra, "output": path.name,
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    atomic(sidecar, lambda p: Path(p).write_text(json.dumps(body, indent=1) + "\n"))
    return sidecar
