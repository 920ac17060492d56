"""A generated phrase as files: a standard MIDI file (written, and read back to play it again on another instrument
or tempo without changing a note) and a provenance sidecar."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import mido

from engine.errors import SegueError
from engine.generate.encoding import Note
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


def read_midi(path: Path) -> tuple[NoteLayer, Meter, float]:
    """A phrase from a MIDI file (this command's, or a designer's motif): its notes on the 16th grid (rounded), its
    meter and tempo (in the meter's unit), and its length in whole bars. SegueError naming the file otherwise."""
    try:
        return _read_midi(path)
    except SegueError as exc:
        raise SegueError(f"MIDI file {path}: {exc}") from None
    except OSError as exc:
        raise SegueError(f"cannot read MIDI file {path}: {exc.strerror or exc}") from None
    except Exception as exc:  # mido raises many kinds for a damaged file (EOFError, KeyError, its own...)
        raise SegueError(f"cannot read MIDI file {path}: {exc or type(exc).__name__}") from None


def _read_midi(path: Path) -> tuple[NoteLayer, Meter, float]:
    midi = mido.MidiFile(str(path))
    if midi.ticks_per_beat <= 0:
        raise SegueError(f"its time division ({midi.ticks_per_beat}) is not ticks a beat (SMPTE time is not read)")
    sixteenth = midi.ticks_per_beat / 4
    meter, tempo, tick, end = COMMON_TIME, mido.bpm2tempo(120), 0, 0
    sounding: dict[int, tuple[int, int]] = {}
    notes: list[Note] = []
    for msg in mido.merge_tracks(midi.tracks):
        tick += msg.time
        end = max(end, tick)
        if msg.type == "time_signature" and not notes:
            meter = Meter(msg.numerator, msg.denominator)
        elif msg.type == "set_tempo" and not notes and msg.tempo > 0:
            tempo = msg.tempo
        elif msg.type == "note_on" and msg.velocity > 0:
            sounding[msg.note] = (tick, msg.velocity)
        elif msg.type in ("note_off", "note_on") and msg.note in sounding:
            begin, velocity = sounding.pop(msg.note)
            step = round(begin / sixteenth)
            notes.append(Note(step, max(1, round(tick / sixteenth) - step), msg.note, round(velocity / 127, 4)))
    if not notes:
        raise SegueError("it has no notes")
    per_bar = meter.steps_per_bar
    bars = max(1, -(-max(round(end / sixteenth), max(n.step + n.length for n in notes)) // per_bar))
    layer = NoteLayer(tuple(sorted(notes, key=lambda n: (n.step, n.pitch))), bars * per_bar, {"notes_from": path.name},
                      per_bar)
    return layer, meter, round(mido.tempo2bpm(tempo) * meter.unit / 4, 3)  # MIDI keeps whole microseconds a beat


def write_provenance(layer: NoteLayer, path: Path, **extra) -> Path:
    """`<out>.provenance.json`: what made these notes (model file hash, version, seed, inputs) and when."""
    sidecar = path.with_suffix(".provenance.json")
    body = {**layer.provenance, **extra, "output": path.name,
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    atomic(sidecar, lambda p: Path(p).write_text(json.dumps(body, indent=1) + "\n"))
    return sidecar
