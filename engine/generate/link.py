"""The generation process at the other end of a pipe: start it, ask it, stop it. Every wait has a deadline:
a stopped (SIGSTOP), hung or dead generator is found out within it instead of holding its caller forever."""
from __future__ import annotations

import json
import os
import select
import subprocess
import time
from pathlib import Path

from engine.errors import SegueError
from engine.processes import spawn

START_TIMEOUT = 60.0  # seconds to import onnxruntime and load the model on a slow machine
MAX_ANSWER = 16 << 20  # bytes; a phrase's header is a few kilobytes, so more without a newline is a broken generator
SAMPLE_BYTES = 4  # float32


class GeneratorLost(Exception):
    """The generation process did not answer in time, or is gone."""


class GeneratorProcess:
    def __init__(self, model_path: Path | str, soundfont_path: Path | str, start_timeout: float = START_TIMEOUT):
        """Starts the process and waits for its first line; SegueError (naming the file) if it cannot be used."""
        self._proc = spawn("engine.generate.serve", str(model_path), str(soundfont_path), stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE)
        self._buffer = bytearray()  # what the process wrote and was not yet taken: extended in place, not copied
        try:
            first = self._answer(time.monotonic() + start_timeout, start_timeout)
        except GeneratorLost as exc:
            self.kill()
            raise SegueError(f"the generation process did not start: {exc}") from None
        if first.get("ready") is not True:
            self.kill()
            raise SegueError(first.get("error") or "the generation process did not start")

    @property
    def pid(self) -> int:
        return self._proc.pid

    def ask(self, fields: dict, seconds: float, max_frames: int) -> tuple[dict, bytes]:
        """Send one request and wait at most `seconds` for its answer (a header, and the samples it announces,
        at most `max_frames`); GeneratorLost if none comes."""
        try:  # one small line at a time (the pipe holds 64 KiB), so the write never waits on the process
            self._proc.stdin.write(json.dumps(fields).encode() + b"\n")
            self._proc.stdin.flush()
        except OSError as exc:
            raise GeneratorLost(f"the generation process is gone ({exc.strerror or exc})") from None
        deadline = time.monotonic() + seconds
        header = self._answer(deadline, seconds)
        frames = header.get("frames", 0)
        if not isinstance(frames, int) or not 0 <= frames <= max_frames:
            raise GeneratorLost(f"the generation process announced {frames!r} samples (at most {max_frames})")
        return header, self._read(frames * SAMPLE_BYTES, deadline, seconds)

    def _fill(self, deadline: float, seconds: float) -> None:
        """More of the process's output into the buffer, or GeneratorLost once the deadline passes."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise GeneratorLost(f"the generation process gave no answer in {seconds:g} s (stopped or hung)")
        out = self._proc.stdout.fileno()
        if select.select([out], [], [], left)[0]:
            chunk = os.read(out, 1 << 20)
            if not chunk:
                raise GeneratorLost("the generation process ended")
            self._buffer += chunk  # a bytearray: amortised, not a copy of all before it

    def _answer(self, deadline: float, seconds: float) -> dict:
        while b"\n" not in self._buffer:
            self._fill(deadline, seconds)
            if len(self._buffer) > MAX_ANSWER and b"\n" not in self._buffer:
                raise GeneratorLost("the generation process sent an answer too long to be a phrase")
        end = self._buffer.index(b"\n")
        line = bytes(self._buffer[:end])
        del self._buffer[:end + 1]
        try:
            return json.loads(line)
        except ValueError:
            raise GeneratorLost("the generation process answered something that is not JSON") from None

    def _read(self, size: int, deadline: float, seconds: float) -> bytes:
        while len(self._buffer) < size:
            self._fill(deadline, seconds)
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def exited(self) -> int | None:
        """Its exit code once it has ended (reaped, so never left a zombie), else None."""
        return self._proc.poll()

    def kill(self) -> None:
        """SIGKILL ends a stopped process too; waiting for it reaps it."""
        self._proc.kill()
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # stuck in the kernel; poll() reaps it later
            pass

    def close(self, timeout: float = 3.0) -> None:
        """End of its input stops it; one that does not stop in time is killed."""
        try:
            self._proc.stdin.close()
            self._proc.wait(timeout=timeout)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()
