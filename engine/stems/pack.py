"""A stem pack as immutable data: tempo, meter, key, chords, segments, their cue points and stem files.

engine/score/packfile.py reads it from pack.yaml, where every path resolves inside the pack folder (`..` and
absolute paths are refused, by resolve_inside here).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from engine.clock import Clock
from engine.errors import SegueError


@dataclass(frozen=True)
class CuePoint:
    """A named position in a segment (pack.yaml `cues: {drop: '5:1'}`), where a `sync: cue NAME` move may happen."""

    bar: int  # 0-based
    beat: int  # 0-based within the bar


@dataclass(frozen=True)
class Segment:
    name: str
    bars: int
    loop: bool
    stems: Mapping[str, Path]
    chords: tuple[str, ...] = ()
    cue_points: Mapping[str, CuePoint] = field(default_factory=dict)


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

    def segment_samples(self, segment: str) -> int:
        return self.clock().bar_sample(self.segments[segment].bars)

    def cue_point_sample(self, segment: str, name: str) -> int:
        """Samples from the segment's start to its cue point `name`."""
        point = self.segments[segment].cue_points[name]
        return self.clock().beat_sample(point.bar * self.beats_per_bar + point.beat)


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


