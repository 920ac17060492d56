"""Generation off the audio thread: requests in, note layers out, neither side ever waits on the other.

The audio callback only appends to a bounded deque and sets an event; the worker thread does the model
work and appends results. An offline render may wait for a result (it has no deadline); live never does.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Hashable

from engine.errors import SegueError
from engine.generate.model import LayerModel, NoteLayer, Request


class GenerationWorker:
    def __init__(self, model: LayerModel, capacity: int = 16):
        self.model = model
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
                try:
                    result: NoteLayer | str = self.model.generate(request)
                except Exception as exc:  # a bad request must not kill the worker; report it with the tag
                    result = f"generation failed: {exc}"
                self._results.append((tag, result))
                self.completed += 1

    def close(self) -> None:
        self._stop = True
        self._wake.set()
        self._thread.join(timeout=2)
