"""Reads a stem pack's manifest (pack.yaml) and checks each audio file's header: rate, channels, length.

Every path resolves inside the pack folder; `..` and absolute paths are refused.
"""
from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType

from engine.audio.decode import damage
from engine.clock import Clock
from engine.errors import ValidationError
from engine.harmony import HarmonyError, parse_chord, parse_key
from engine.score.audio_info import audio_info
from engine.stems.pack import CuePoint, Pack, PathLoop, Segment, resolve_inside
from engine.yamldoc import Doc, items

_METER = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
_BARBEAT = re.compile(r"^\s*(\d+)\s*:\s*(\d+)\s*$")


def load_pack(folder: Path | str, decode: bool = False) -> Pack:
    """`decode`: also decode every audio file from end to end (`segue validate --decode`), not just its header."""
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
        doc.error(top["key"][1], f"key: {exc} (write it like 'C minor', 'F# major' or 'D dorian')")
    segments: dict[str, Segment] = {}
    for seg_name, key_node, node in items(doc.mapping(top["segments"][1], "segments")):
        seg = _segment(doc, folder, seg_name, node, beats, sr, tempo or 120, decode)
        if seg:
            segments[seg_name] = seg
    if not segments and not doc.problems:
        doc.error(top["segments"][1], "a pack needs at least one segment")
    oneshots: dict[str, Path] = {}
    for shot, _, file_node in items(doc.mapping(top["oneshots"][1], "oneshots") if "oneshots" in top else {}):
        path = _stem_file(doc, folder, f"one-shot '{shot}'", file_node, sr, 1, decode)
        if path:
            oneshots[shot] = path
    doc.raise_if_problems()
    assert tempo is not None and sr is not None
    return Pack(folder, name or folder.name, sr, tempo, beats, unit, key or "C major", MappingProxyType(segments),
                MappingProxyType(oneshots))


def _segment(doc: Doc, folder: Path, name: str, node, beats: int, sr: int, tempo: float,
             decode: bool) -> Segment | None:
    where = f"segment '{name}'"
    m = doc.mapping(node, where, {"bars", "loop", "stems", "chords", "cues"}, ("bars", "stems"))
    if m is None or "bars" not in m or "stems" not in m:
        return None
    bars = doc.integer(m["bars"][1], f"{where}: bars", 1, 1024)
    loop = doc.boolean(m["loop"][1], f"{where}: loop") if "loop" in m else True
    chords: list[str] = []
    if "chords" in m:
        for chord_node in doc.sequence(m["chords"][1], f"{where}: chords") or []:
            name = doc.string(chord_node, f"{where}: chord")
            if name:
                try:
                    parse_chord(name)
                    chords.append(name)
                except HarmonyError as exc:
                    doc.error(chord_node, f"{where}: {exc}")
        if bars and chords and len(chords) != bars:
            doc.error(m["chords"][1], f"{where}: {len(chords)} chords for {bars} bars (one chord per bar)")
    cue_points: dict[str, CuePoint] = {}
    for cue, _, cue_node in items(doc.mapping(m["cues"][1], f"{where}: cues") if "cues" in m else {}):
        text = str(doc.scalar(cue_node, f"{where}: cue '{cue}'"))
        bm = _BARBEAT.match(text)
        if not bm or int(bm.group(1)) < 1 or not 1 <= int(bm.group(2)) <= beats:
            doc.error(cue_node, f"{where}: cue '{cue}' must be bar:beat counted from 1:1 (beat 1..{beats}), got {text!r}")
        elif bars and int(bm.group(1)) > bars:
            doc.error(cue_node, f"{where}: cue '{cue}' at bar {bm.group(1)} is past the segment's {bars} bars")
        else:
            cue_points[cue] = CuePoint(int(bm.group(1)) - 1, int(bm.group(2)) - 1)
    need = Clock(sr, tempo, beats).bar_sample(bars) if bars else 0
    stems: dict[str, Path] = {}
    for stem, _, file_node in items(doc.mapping(m["stems"][1], f"{where}: stems")):
        path = _stem_file(doc, folder, f"{where}: stem '{stem}'", file_node, sr, need, decode)
        if path:
            stems[stem] = path
    if bars is None or loop is None:
        return None
    return Segment(name, bars, loop, MappingProxyType(stems), tuple(chords), MappingProxyType(cue_points))


def _stem_file(doc: Doc, folder: Path, what: str, node, sr: int, need: int, decode: bool) -> Path | None:
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
        info = audio_info(path)
    except Exception as exc:  # soundfile raises several types for missing, unreadable or corrupt files
        reason = "file not found" if not path.exists() else f"not a readable audio file ({exc})"
        doc.error(node, f"{what}: {rel}: {reason}")
        return None
    if info.sample_rate != sr:
        doc.error(node, f"{what}: {rel} is at {info.sample_rate} Hz but the pack is at {sr} Hz")
    elif info.channels not in (1, 2):
        doc.error(node, f"{what}: {rel} has {info.channels} channels (stems are mono or stereo)")
    elif info.frames < need:
        doc.error(node, f"{what}: {rel} lasts {info.frames / sr:.3f} s, shorter than its segment ({need / sr:.3f} s)")
    elif decode and (why := damage(path)):
        doc.error(node, f"{what}: {rel} {why}")
    else:
        return path
    return None
