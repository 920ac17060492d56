"""A stem pack's manifest (pack.yaml): tempo, meter, key, chords, segments and their stem files.

Every path resolves inside the pack folder; `..` and absolute paths are refused.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import soundfile

from engine.clock import Clock
from engine.errors import SegueError, ValidationError
from engine.generate.harmony import HarmonyError, parse_key
from engine.yamldoc import Doc, items

_METER = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
_BARBEAT = re.compile(r"^\s*(\d+)\s*:\s*(\d+)\s*$")
NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_CHORD = re.compile(r"^([A-G])([#b]?)(m|dim|aug|sus2|sus4|maj7|m7|7)?$")


@dataclass(frozen=True)
class Segment:
    name: str
    bars: int
    loop: bool
    stems: Mapping[str, Path]
    chords: tuple[str, ...] = ()
    cues: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # name -> (bar, beat), 0-based


@dataclass(frozen=True)
class Pack:
    path: Path
    name: str
    sample_rate: int
    tempo: float
    beats_per_bar: int
    beat_unit: int
    key: str
    segments: Mapping[str, Segment]
    oneshots: Mapping[str, Path] = field(default_factory=dict)  # stingers: name -> audio file

    def clock(self) -> Clock:
        return Clock(self.sample_rate, self.tempo, self.beats_per_bar)

    @property
    def steps_per_bar(self) -> int:
        """16th notes in a bar of the pack's meter: 16 in 4/4, 12 in 3/4 and 6/8, 7 in 7/16."""
        return self.beats_per_bar * 16 // self.beat_unit

    def segment_samples(self, segment: str) -> int:
        return self.clock().bar_sample(self.segments[segment].bars)

    def cue_sample(self, segment: str, cue: str) -> int:
        bar, beat = self.segments[segment].cues[cue]
        return self.clock().beat_sample(bar * self.beats_per_bar + beat)


class PathLoop(SegueError):
    """A path that cannot be resolved: a symbolic link that loops back on itself."""


def resolved(path: Path) -> Path:
    """`path.resolve()`, with a symlink loop (RuntimeError before Python 3.13, OSError after) said as such."""
    try:
        return path.resolve()
    except (RuntimeError, OSError) as exc:
        raise PathLoop(f"'{path}' cannot be resolved (a symbolic link that loops back on itself?): {exc}") from None


def resolve_inside(folder: Path, relative: str) -> Path | None:
    """The file `relative` names inside `folder`, or None if it would escape the folder. PathLoop if unresolvable."""
    if Path(relative).is_absolute() or relative.startswith(("/", "\\")):
        return None
    root = resolved(folder)
    target = resolved(root / relative)
    return target if target.is_relative_to(root) else None


def load_pack(folder: Path | str) -> Pack:
    folder = Path(folder)
    manifest = folder / "pack.yaml"
    if not manifest.is_file():
        raise ValidationError([Doc(manifest, None).problem(None, f"no pack.yaml in stem pack folder {folder}")])
    doc = Doc.load(manifest)
    top = doc.mapping(doc.root, "pack", {"name", "sample_rate", "tempo", "meter", "key", "segments", "oneshots"},
                      ("tempo", "meter", "segments"))
    doc.raise_if_problems()
    assert top is not None
    name = doc.string(top["name"][1], "name") if "name" in top else folder.name
    sr = doc.integer(top["sample_rate"][1], "sample_rate", 8000, 192000) if "sample_rate" in top else 48000
    tempo = doc.number(top["tempo"][1], "tempo (beats per minute)", 20, 400)
    beats, unit = 4, 4
    meter_node = top["meter"][1]
    m = _METER.match(str(doc.scalar(meter_node, "meter") or ""))
    if not m or not 1 <= int(m.group(1)) <= 32 or int(m.group(2)) not in (1, 2, 4, 8, 16):
        doc.error(meter_node, "meter must look like 4/4, 3/4 or 6/8")
    else:
        beats, unit = int(m.group(1)), int(m.group(2))
    key = doc.string(top["key"][1], "key") if "key" in top else "C major"
    try:
        parse_key(key or "C major")
    except HarmonyError as exc:
        doc.error(top["key"][1], f"key: {exc} (write it like 'C minor' or 'F# major')")
    segments: dict[str, Segment] = {}
    for seg_name, key_node, node in items(doc.mapping(top["segments"][1], "segments")):
        seg = _segment(doc, folder, seg_name, node, beats, sr, tempo or 120)
        if seg:
            segments[seg_name] = seg
    if not segments and not doc.problems:
        doc.error(top["segments"][1], "a pack needs at least one segment")
    oneshots: dict[str, Path] = {}
    for shot, _, file_node in items(doc.mapping(top["oneshots"][1], "oneshots") if "oneshots" in top else {}):
        path = _stem_file(doc, folder, f"one-shot '{shot}'", file_node, sr, 1)
        if path:
            oneshots[shot] = path
    doc.raise_if_problems()
    assert tempo is not None and sr is not None
    return Pack(folder, name or folder.name, sr, tempo, beats, unit, key or "C major", MappingProxyType(segments),
                MappingProxyType(oneshots))


def _segment(doc: Doc, folder: Path, name: str, node, beats: int, sr: int, tempo: float) -> Segment | None:
    where = f"segment '{name}'"
    m = doc.mapping(node, where, {"bars", "loop", "stems", "chords", "cues"}, ("bars", "stems"))
    if m is None or "bars" not in m or "stems" not in m:
        return None
    bars = doc.integer(m["bars"][1], f"{where}: bars", 1, 1024)
    loop = doc.boolean(m["loop"][1], f"{where}: loop") if "loop" in m else True
    chords: list[str] = []
    if "chords" in m:
        for chord_node in doc.sequence(m["chords"][1], f"{where}: chords") or []:
            chord = doc.string(chord_node, f"{where}: chord")
            if chord and not _CHORD.match(chord):
                doc.error(chord_node, f"{where}: chord '{chord}' is not a chord name like C, Am, F#m, Bb7")
            elif chord:
                chords.append(chord)
        if bars and chords and len(chords) != bars:
            doc.error(m["chords"][1], f"{where}: {len(chords)} chords for {bars} bars (one chord per bar)")
    cues: dict[str, tuple[int, int]] = {}
    for cue, _, cue_node in items(doc.mapping(m["cues"][1], f"{where}: cues") if "cues" in m else {}):
        text = str(doc.scalar(cue_node, f"{where}: cue '{cue}'"))
        bm = _BARBEAT.match(text)
        if not bm or int(bm.group(1)) < 1 or not 1 <= int(bm.group(2)) <= beats:
            doc.error(cue_node, f"{where}: cue '{cue}' must be bar:beat counted from 1:1 (beat 1..{beats}), got {text!r}")
        elif bars and int(bm.group(1)) > bars:
            doc.error(cue_node, f"{where}: cue '{cue}' at bar {bm.group(1)} is past the segment's {bars} bars")
        else:
            cues[cue] = (int(bm.group(1)) - 1, int(bm.group(2)) - 1)
    need = Clock(sr, tempo, beats).bar_sample(bars) if bars else 0
    stems: dict[str, Path] = {}
    for stem, _, file_node in items(doc.mapping(m["stems"][1], f"{where}: stems")):
        path = _stem_file(doc, folder, f"{where}: stem '{stem}'", file_node, sr, need)
        if path:
            stems[stem] = path
    if bars is None or loop is None:
        return None
    return Segment(name, bars, loop, MappingProxyType(stems), tuple(chords), MappingProxyType(cues))


def _stem_file(doc: Doc, folder: Path, what: str, node, sr: int, need: int) -> Path | None:
    rel = doc.string(node, what)
    if rel is None:
        return None
    try:
        path = resolve_inside(folder, rel)
    except PathLoop as exc:
        doc.error(node, f"{what}: {exc}")
        return None
    if path is None:
        doc.error(node, f"{what}: '{rel}' points outside the pack folder (use a path inside {folder})")
        return None
    try:
        info = soundfile.info(str(path))
    except Exception as exc:  # soundfile raises several types for missing, unreadable or corrupt files
        reason = "file not found" if not path.exists() else f"not a readable audio file ({exc})"
        doc.error(node, f"{what}: {rel}: {reason}")
        return None
    if info.samplerate != sr:
        doc.error(node, f"{what}: {rel} is at {info.samplerate} Hz but the pack is at {sr} Hz")
    elif info.channels not in (1, 2):
        doc.error(node, f"{what}: {rel} has {info.channels} channels (stems are mono or stereo)")
    elif info.frames < need:
        doc.error(node, f"{what}: {rel} lasts {info.frames / sr:.3f} s, shorter than its segment ({need / sr:.3f} s)")
    else:
        return path
    return None
