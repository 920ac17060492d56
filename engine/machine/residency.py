"""What audio must be in memory so that whatever the machine can do next starts on its sample (issue #11).

The machine knows which segments it can start next (rules, `then`, bridges, cue `go`, forced moves) and from
where (a segment's start, the position it was left at, or the playing position). A Plan names those windows;
the audio side keeps them resident, streams what plays from disk, and may evict the rest. Pure data: the
planner (engine/machine/reach.py) builds it, engine/audio applies it outside the audio block.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """`frames` frames of every stem of `segment`, from `offset` frames in (wrapping round a loop)."""

    segment: str
    offset: int
    frames: int


@dataclass(frozen=True)
class Plan:
    """Every window that must be resident from `sample` on; a segment not named may be evicted once silent."""

    sample: int
    windows: tuple[Window, ...]

    def segments(self) -> frozenset[str]:
        return frozenset(w.segment for w in self.windows)
