"""Generation off the audio thread: requests in, note layers out, neither side ever waits on the other.

The audio callback only appends to a bounded deque and sets an event; the worker thread hands each request
to the generation process (serve.py), which runs the model, and appends what comes back. The model's
sampling loop is Python: in the engine's process it would hold the GIL the audio callback needs, so it runs
in its own. An offline render may wait for a result (it has no deadline); live never does.
"""
from __future__ import annotations

import dataclasses
import json
import subprocess
import threading
import time
from collections import deque
from pathlib import Path
from typing import Hashable

from engine.errors import SegueError
from engine.generate.model import NoteLayer, Request
from engine.generate.serve import layer_from
from engine.processes import spawn

START_TIMEOUT = 60.0  # seconds to import onnxruntime and load the model on a slow machine


class GenerationWorker:
    def __init__(self, model_path: Path | str, capacity: int = 16):
        """Starts the generation process; SegueError (naming the file) if the model cannot be used."""
        self._proc = spawn("engine.generate.serve", str(model_path), stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, text=True)
        first = _read_with_timeout(self._proc, START_TIMEOUT)
        if first.get("ready") is not True:
            self._proc.kill()
            raise SegueError(first.get("error") or "the generation process did not start")
        self.capacity = capacity
        self._requests: deque[tuple[Hashable, Request]] = deque()
        self._results: deque[tuple[Hashable, NoteLayer | str]] = deque()
        self._wake = threading.Event()
        self._stop = False
        self.dropped = 0
        self.submitted = 0  # written by the submitting thread only
        self.completed = 0  # written by the worker only
        self._thread = threading.Thread(target=self._run, name="segue-generate", daemon=True)
        self._thread.start()

    @property
    def pid(self) -> int:
        """The generation process's id, for process monitors (and the test that kills it)."""
        return self._proc.pid

    def submit(self, tag: Hashable, request: Request) -> bool:
        if len(self._requests) >= self.capacity:
            self.dropped += 1
            return False
        self._requests.append((tag, request))
        self.submitted += 1
        self._wake.set()
        return True

    def results(self) -> list[tuple[Hashable, NoteLayer | str]]:
        out = []
        for _ in range(len(self._results)):
            out.append(self._results.popleft())
        return out

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Offline only: wait until every submitted request has a result."""
        deadline = time.monotonic() + timeout
        while self.completed < self.submitted:
            if time.monotonic() > deadline:
                raise SegueError("generation did not finish in time")
            time.sleep(0.0002)

    def _run(self) -> None:
        while not self._stop:
            self._wake.wait(0.1)
            self._wake.clear()
            while self._requests and not self._stop:
                tag, request = self._requests.popleft()
                self._results.append((tag, self._generate(request)))
                self.completed += 1

    def _generate(self, request: Request) -> NoteLayer | str:
        try:
            self._proc.stdin.write(json.dumps(dataclasses.asdict(request)) + "\n")
            self._proc.stdin.flush()
            answer = json.loads(self._proc.stdout.readline() or '{"failed": "the generation process stopped"}')
        except (OSError, ValueError) as exc:
            return f"generation failed: the generation process is gone ({exc})"
        return answer["failed"] if "failed" in answer else layer_from(answer)

    def close(self) -> None:
        self._stop = True
        self._wake.set()
        self._thread.join(timeout=2)
        try:
            self._proc.stdin.close()
            self._proc.wait(timeout=3)
        except (OSError, subprocess.TimeoutExpired):
            self._proc.kill()


def _read_with_timeout(proc: subprocess.Popen, seconds: float) -> dict:
    """The process's first JSON line, or {} if it said nothing in time (it is then killed)."""
    box: list[str] = []
    reader = threading.Thread(target=lambda: box.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(seconds)
    if not box:
        proc.kill()
        return {}
    try:
        return json.loads(box[0]) if box[0] else {}
    except ValueError:
        return {}
