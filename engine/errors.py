"""Errors a designer can act on: what went wrong, where (file:line:column), why."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    file: str
    line: int  # 1-based
    column: int  # 1-based
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class SegueError(Exception):
    """Any error meant for a user; the CLI prints it as one line and exits non-zero."""


class ValidationError(SegueError):
    """A file failed validation; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class AudioStartError(SegueError):
    """The audio device or driver would not start (busy, missing, no JACK server)."""
