"""What the audio block has to say, for the main thread to print or log: bounded queues, one producer each, that
never wait. The block (and the parts it runs) only appends; the main thread drains, between blocks."""
from __future__ import annotations

from collections import deque
from enum import Enum
from typing import Iterator

from engine.machine.decisions import Decision, EnterState


class Said(Enum):
    ANNOUNCEMENT = "announcement"  # a state change (its decision-log entry), for a user interface to print
    FAULT = "fault"  # the block failed (a traceback) or a voice went non-finite; the music played on
    NOTICE = "notice"  # a line to log: dropped telemetry, a refused flood, a lost helper process...


class Outbox:
    def __init__(self):
        self.announcements: deque[dict] = deque(maxlen=256)
        self.faults: deque[str] = deque(maxlen=32)
        self.notices: deque[str] = deque(maxlen=32)
        self._sources: list[deque[str]] = []  # other parts' own notices (ring reader, generation worker)
        self.fault_count = 0
        self.fatal: str | None = None  # offline: why the render cannot be what was asked (a lost generator)

    def also(self, notices: deque[str]) -> None:
        """Drain another part's notices with ours (each deque keeps its single writer)."""
        self._sources.append(notices)

    # -- from the audio block ------------------------------------------------------------------
    def decided(self, decision: Decision, entry: dict) -> None:
        """A sink listener: state changes are announced."""
        if isinstance(decision, EnterState):
            self.announcements.append(entry)

    def fault(self, text: str) -> None:
        self.fault_count += 1
        self.faults.append(text)

    def notice(self, text: str) -> None:
        self.notices.append(text)

    def fail(self, why: str) -> None:
        """The first reason the run cannot be what was asked; the main thread stops on it."""
        if self.fatal is None:
            self.fatal = why

    # -- from the main thread ------------------------------------------------------------------
    def take_announcements(self) -> list[dict]:
        return _take(self.announcements)

    def take_faults(self) -> list[str]:
        return _take(self.faults)

    def take_notices(self) -> list[str]:
        out = _take(self.notices)
        for source in self._sources:
            out += _take(source)
        return out

    def drain(self) -> Iterator[tuple[Said, dict | str]]:
        """Everything said since the last drain: announcements, then faults, then notices."""
        for entry in self.take_announcements():
            yield Said.ANNOUNCEMENT, entry
        for text in self.take_faults():
            yield Said.FAULT, text
        for text in self.take_notices():
            yield Said.NOTICE, text


def _take(queue: deque) -> list:
    out = []
    for _ in range(len(queue)):
        out.append(queue.popleft())
    return out
