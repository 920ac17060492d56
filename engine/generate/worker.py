"""Generation off the audio thread: requests in, phrases (notes and their sound) out, neither side ever waits on
the other.

The audio callback only appends to a bounded deque and sets an event; the worker thread hands each request
to the generation process (serve.py), which runs the model and the SoundFont synthesiser, and appends what comes
back, made ready for the mix by `prepare` (its table filled here, off the audio thread). The model's sampling loop
and the synthesis are Python and numpy: in the engine's process they would hold the GIL the audio callback needs,
so they run in their own. Each answer has a deadline; a generator that misses it or dies is killed (so reaped), reported
once, and (live) started again after a backoff, while the music plays on.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Hashable

from engine.errors import SegueError
from engine.generate.link import GeneratorLost, GeneratorProcess
from engine.generate.model import NoteLayer
from engine.generate.serve import phrase_from
from engine.generate.synth import MAX_FRAMES, SoundingPhrase, Voicing, default_soundfont
from engine.machine.phrase import line_of

PHRASE_DEADLINE = 30.0  # seconds for one phrase; the model writes one in well under a second
BACKOFF = (1.0, 60.0)  # seconds before the first restart, and the longest wait between two


@dataclass(frozen=True)
class Lost:
    """A request that got no phrase because the generation process was lost (not a request the model refused)."""

    why: str


class GenerationWorker:
    def __init__(self, model_path: Path | str, soundfont_path: Path | str | None = None, capacity: int = 16,
                 deadline: float = PHRASE_DEADLINE, restart: bool = True):
        """Starts the generation process; SegueError (naming the file) if the model or SoundFont cannot be used.

        `restart`: start a lost generator again (live); offline a loss ends the render instead.
        """
        self.model_path, self.deadline, self.restart = model_path, deadline, restart
        self.soundfont_path = soundfont_path or default_soundfont()
        self._process: GeneratorProcess | None = GeneratorProcess(model_path, self.soundfont_path)
        self.capacity = capacity
        # the mix's hook: a phrase made ready to start (run on this worker's thread); by default the phrase itself
        self.prepare: Callable[[Hashable, SoundingPhrase], object] = lambda tag, phrase: phrase
        self._requests: deque[tuple[Hashable, dict]] = deque()
        # each layer's last phrase (its first sample, its notes), for the next to develop or another to answer
        self._lines: dict[str, tuple[int, NoteLayer]] = {}
        self.programs: dict[str, int] = {}  # a layer's instrument since a reload changed it: for what is asked before
        self._results: deque[tuple[Hashable, object]] = deque()
        self.notices: deque[str] = deque(maxlen=32)  # drained by the engine's outbox, for the main thread to log
        self._backoff = BACKOFF[0]
        self._retry_at = 0.0
        self._lost_why = ""
        self._wake = threading.Event()
        self._stop = False
        self.losses = 0
        self.restarts = 0
        self.submitted = 0  # written by the submitting thread only
        self.completed = 0  # written by the worker only
        self._thread = threading.Thread(target=self._run, name="segue-generate", daemon=True)
        self._thread.start()

    @property
    def pid(self) -> int | None:
        """The generation process's id (None while it is being restarted), for monitors and tests."""
        process = self._process
        return process.pid if process else None

    def submit(self, tag: Hashable, asked: dict) -> bool:
        """`asked`: serve.phrase_asked or serve.replay_asked. False if `capacity` requests wait already (the
        scheduler then plays the layer's last phrase on)."""
        if len(self._requests) >= self.capacity:
            return False
        self._requests.append((tag, asked))
        self.submitted += 1
        self._wake.set()
        return True

    def results(self) -> list[tuple[Hashable, object]]:
        """(tag, what `prepare` made of the phrase, or the reason it failed (str), or Lost), as they came."""
        out = []
        for _ in range(len(self._results)):
            out.append(self._results.popleft())
        return out

    def wait_idle(self) -> None:
        """Offline only: wait until every submitted request has a result (each has its deadline, so this ends)."""
        deadline = time.monotonic() + self.deadline * (self.submitted - self.completed + 1)
        while self.completed < self.submitted:
            if time.monotonic() > deadline:
                raise SegueError("generation did not finish in time")
            time.sleep(0.0002)

    def _run(self) -> None:
        while not self._stop:
            self._wake.wait(0.1)
            self._wake.clear()
            self._watch()
            while self._requests and not self._stop:
                tag, asked = self._requests.popleft()
                self._results.append((tag, self._answer(tag, asked)))
                self.completed += 1

    def _answer(self, tag: Hashable, asked: dict) -> object:
        """One request's result, never an exception: the phrase made ready by `prepare`, or why there is none."""
        line = asked.pop("line", None)  # which layer asks, from where: what it grows from is filled in here
        if line and line["layer"] in self.programs:
            asked["voicing"] = {**asked["voicing"], "program": self.programs[line["layer"]]}
        try:
            result = self._generate(self._grown(asked, line) if line else asked)
        except Exception as exc:  # a request that cannot even be sent: that phrase fails, the worker goes on
            return f"generation failed: {exc!r}"
        if not isinstance(result, SoundingPhrase):
            return result
        if line:
            self._lines[line["layer"]] = (line["start"], result.layer)
        try:
            return self.prepare(tag, result)
        except Exception as exc:  # e.g. a phrase longer than its layer can hold: that phrase fails
            return str(exc) if isinstance(exc, SegueError) else f"the mix could not take it ({exc!r})"

    def _grown(self, asked: dict, line: dict) -> dict:
        """The request with what it grows from: the layer's last phrase as its motif (`continues`), and the phrase
        it answers, from the same first bar (`answers`: that layer's last phrase, moved to start where this does).
        Requests are written in the order asked, so an answer is asked for after its call."""
        phrase = dict(asked["phrase"])
        last = self._lines.get(line["layer"])
        if line["continues"] and last is not None:
            phrase["motif"], phrase["motif_steps"] = line_of(last[1].notes, last[1].steps)
        called = self._lines.get(line["answers"]) if line["answers"] else None
        if called is not None and called[0] <= line["start"]:
            start, layer = called
            clock = Voicing(**asked["voicing"]).clock()
            bars = round((line["start"] - start) / clock.bar_sample(1))
            phrase["call"], phrase["call_steps"] = line_of(layer.notes, layer.steps, bars * layer.steps_per_bar)
        return {**asked, "phrase": phrase}

    def _watch(self) -> None:
        """Between requests: notice a generator that ended, and start a lost one again once its backoff is over."""
        if self._process is not None and (code := self._process.exited()) is not None:
            self._lose(f"the generation process ended (exit code {code})")
        if self._process is not None or not self.restart or time.monotonic() < self._retry_at:
            return
        try:
            self._process = GeneratorProcess(self.model_path, self.soundfont_path)
        except SegueError as exc:
            self._backoff = min(2 * self._backoff, BACKOFF[1])
            self._retry_at = time.monotonic() + self._backoff
            self.notices.append(f"generation: could not restart ({exc}); trying again in {self._backoff:g} s")
            return
        self.restarts += 1
        self.notices.append("generation: the generation process is back; generated layers follow again")

    def _generate(self, asked: dict) -> SoundingPhrase | str | Lost:
        self._watch()
        if self._process is None:
            return Lost(self._lost_why + ("; it is being restarted" if self.restart else ""))
        try:
            answer, samples = self._process.ask(asked, self.deadline, MAX_FRAMES)
        except GeneratorLost as exc:
            self._lose(str(exc))
            return Lost(str(exc))
        self._backoff = BACKOFF[0]  # it answered: a later loss starts the backoff afresh
        if "failed" in answer:
            return str(answer["failed"])
        try:
            return phrase_from(answer, samples, asked)
        except (KeyError, TypeError, ValueError, SegueError) as exc:
            why = f"the generation process answered something that is not a phrase ({exc!r})"
            self._lose(why)
            return Lost(why)

    def _lose(self, why: str) -> None:
        """Kill (and so reap) the lost process and say so, once."""
        self._process.kill()
        self._process = None
        self._lost_why = why
        self.losses += 1
        if self.restart:
            self._retry_at = time.monotonic() + self._backoff
            self.notices.append(f"generation: {why}; restarting it in {self._backoff:g} s, the music plays on "
                                "(generated layers keep their last phrase)")
            self._backoff = min(2 * self._backoff, BACKOFF[1])
        else:
            self.notices.append(f"generation: {why}")

    def close(self) -> None:
        self._stop = True
        self._wake.set()
        self._thread.join(timeout=2)
        process = self._process
        if process is not None and self._thread.is_alive():  # still waiting on a stopped generator
            process.kill()
        elif process is not None:
            process.close()
        self._thread.join(timeout=2)
