"""Engine: one loaded machine, its pack, the audio graph, the conductor and the OSC input, behind
one of the front doors: live (portaudio or JACK), real time without a device (null), or offline.
"""
from __future__ import annotations

import contextlib
import dataclasses
import gc
import json
import logging
import math
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import soundfile

from engine.audio.backend import boot_server
from engine.audio.threadstate import keep_thread_state
from engine.audio.graph import Graph
from engine.conductor import Conductor
from engine.errors import AudioStartError, SegueError
from engine.events import EventQueue
from engine.outputs import Outputs
from engine.wavfile import clear_peak_timestamp
from engine.generate.model import DEFAULT_MODEL
from engine.generate.worker import PHRASE_DEADLINE, GenerationWorker
from engine.score.loader import load_machine
from engine.machine.model import Machine
from engine.machine.runtime import Runtime
from engine.osc.routes import Router
from engine.osc.feedback import Feedback
from engine.osc.relay import OscRelay
from engine.osc.security import LOOPBACK, parse_allowlist
from engine.osc.server import TCP_IDLE
from engine.params import ParamBank
from engine.telemetry import Script
from engine.timetags import HORIZON

DEFAULT_BLOCK = 256
SWITCH_INTERVAL = 0.0005  # seconds; Python's default (5 ms) is about a whole 256-frame block
WAKE_EVERY = 0.05  # the real-time loop's own pace with a real driver: few wake-ups, few GIL hand-offs
FEED_AHEAD = 0.2  # seconds of script handed to the conductor ahead of time (each item knows its sample)
PARK_SECONDS = 1.0  # longest the audio thread waits for a stopping driver (see Engine._park)
GC_EVERY = 2.0  # seconds between young-generation collections in real time
PROGRESS_EVERY = 64  # render(progress=...) is told (blocks done, blocks in all) every this many blocks


@dataclass(frozen=True)
class RenderReport:
    wav: Path
    log: Path
    seconds: float
    wall_seconds: float
    decisions: int
    peak: float
    non_finite: dict[str, int]  # what sent NaN or Inf into the mix (silenced there) -> first sample


class Engine:
    def __init__(self, machine_path: Path | str, audio: str = "offline", block: int = DEFAULT_BLOCK,
                 osc_port: int | None = None, osc_host: str = "127.0.0.1", log_limit: int | None = 100_000,
                 allow: str | None = None, rate_limit: float = 50_000.0, tcp: bool = True,
                 tcp_idle: float = TCP_IDLE, timetag_horizon: float = HORIZON,
                 model_path: Path | str | None = None, sidechain_file: Path | str | None = None,
                 generation_deadline: float = PHRASE_DEADLINE):
        self.machine = load_machine(machine_path)
        self.sidechain_file = sidechain_file
        self.audio = audio
        self.block = block
        self._stopping, self._parked, self._released = threading.Event(), threading.Event(), threading.Event()
        if audio != "offline":  # real time: no other Python thread may hold the GIL for a whole block
            sys.setswitchinterval(SWITCH_INTERVAL)
        self.sample_rate = self.machine.pack.sample_rate
        self.router = Router(self.machine)
        self.queue = EventQueue()
        self.osc: OscRelay | None = None
        self.feedback: Feedback | None = None
        if osc_port is not None:  # bind before the audio starts, so a busy port fails fast and cleanly
            if parse_allowlist(allow) == LOOPBACK and not osc_host.startswith("127.") \
                    and osc_host not in ("::1", "localhost"):
                logging.getLogger("segue").warning(
                    "listening on %s, but only this machine may send until --allow names other senders", osc_host)
            self.feedback = Feedback()
            try:
                self.osc = OscRelay(self.router, osc_host, osc_port, tcp, allow, rate_limit, tcp_idle, self.feedback)
            except BaseException:
                self._close_osc()
                raise
            self.osc.reader.known = self.router.targets()
        try:
            sc = self.machine.sidechain
            live_inputs = sc.input if sc and sidechain_file is None and audio in ("portaudio", "jack") else 0
            self.server = boot_server(audio, self.sample_rate, block, inputs=live_inputs)
        except Exception as exc:
            self._close_osc()
            raise AudioStartError(f"cannot start {audio} audio: {exc}") from None
        self.worker: GenerationWorker | None = None
        try:
            generated = {f"{s.name}.{g.name}": g for s in self.machine.states.values()
                         for g in s.generate.values()}
            if generated:
                self.worker = _start_worker(model_path, generation_deadline, restart=audio != "offline")
            self.graph = Graph(self.machine.pack, block, generated, *self._sidechain(sidechain_file, live_inputs))
            self.graph.out()
            self.runtime = Runtime(self.machine)
            self.params = ParamBank(self.machine.params)
            inboxes = (self.queue, self.osc.reader) if self.osc else (self.queue,)
            self.conductor = Conductor(self.runtime, self.params, self.graph, inboxes, block, log_limit,
                                       self.worker, wait_for_generation=audio == "offline", feedback=self.feedback,
                                       timetag_horizon=timetag_horizon)
            if self.osc:
                self.osc.reader.notices = self.conductor.notices  # one place for the main thread to log
            if self.worker:
                self.worker.notices = self.conductor.notices
            self.server.setCallback(self._block)
            self.server.start()
        except Exception:
            self.close()
            raise

    def _sidechain(self, path: Path | str | None, live_inputs: int):
        """The sidechain and what feeds it: a recording, the live input, or nothing (with one warning)."""
        sc = self.machine.sidechain
        if sc is None:
            if path is not None:
                raise SegueError(f"--sidechain {path}: the machine has no sidechain: section to feed")
            return None, None
        if path is not None:
            try:
                data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
            except Exception as exc:  # soundfile raises several types for missing or corrupt files
                raise SegueError(f"--sidechain {path}: not a readable audio file ({exc})") from None
            if rate != self.sample_rate:
                raise SegueError(f"--sidechain {path}: {rate} Hz, but the pack is at {self.sample_rate} Hz")
            return sc, data
        if not live_inputs:
            logging.getLogger("segue").warning(
                "the sidechain needs a live input (portaudio or jack) or a recording (--sidechain FILE); "
                "ducking under voice is off")
            return None, None
        return sc, None

    def _block(self) -> None:
        """pyo's callback, once per block before it is computed."""
        if self._stopping.is_set():
            self._park()
            return
        keep_thread_state()
        self.conductor.tick()

    def _park(self) -> None:
        """While a real-time driver stops, the audio thread waits here, outside the GIL. Portaudio's ALSA host
        stops by cancelling its callback thread (pthread_cancel); a thread cancelled while it waits for the GIL
        takes the GIL's lock with it and the process hangs for good (it did, on Ctrl-C, in 10 of 12 tries).
        Bounded: a driver that lets the callback return instead gets it back within PARK_SECONDS."""
        self._parked.set()
        self._released.wait(PARK_SECONDS)

    # -- hot reload ----------------------------------------------------------------------------
    def reload(self) -> Machine:
        """Validate the machine file again and, if it is good, play it from the next bar line.

        Raises ValidationError (file:line:column problems) or SegueError and leaves the old machine playing.
        """
        machine = load_machine(self.machine.path)
        if machine.pack != self.machine.pack:
            raise SegueError(f"{machine.path}: the stem pack changed; restart to load the new audio")
        new_layers = {f"{s.name}.{g.name}" for s in machine.states.values() for g in s.generate.values()}
        missing = sorted(new_layers - set(self.graph.note_players))
        if missing:
            raise SegueError(f"{machine.path}: new generated layers ({', '.join(missing)}) need a restart")
        self.machine = machine
        router = Router(machine)  # built here, not in the audio block that swaps it in
        if self.osc:
            self.osc.load(router)
        targets = router.targets()
        self.conductor.request_swap(machine, lambda _: self._swap_routes(router, targets))
        return machine

    def _swap_routes(self, router: Router, targets: frozenset[tuple[str, str]]) -> None:
        """At the bar where the reloaded machine takes over (in the audio block): its routes, built earlier."""
        self.router = router
        if self.osc:
            self.osc.reader.known = targets
            self.osc.swap()

    # -- driving the clock ourselves (offline and null) ---------------------------------------
    @property
    def manual(self) -> bool:
        return self.audio in ("offline", "null")

    def process(self, blocks: int = 1) -> None:
        for _ in range(blocks):
            self.server.process()

    def _feed(self, script: Script | None, index: int, ahead: float = 0.0) -> int:
        """Enqueue the script's messages due within the block about to be computed (or `ahead` seconds more),
        each stamped with its exact sample, so it takes effect there and not at the block's start."""
        if script is None:
            return index
        horizon = self.conductor.sample + self.block + round(ahead * self.sample_rate)
        while index < len(script.cues) and (at := round(script.cues[index].at * self.sample_rate)) < horizon:
            self.queue.put(dataclasses.replace(script.cues[index].item, sample=at))
            index += 1
        return index

    def inputs(self) -> list[Path]:
        """Every file this engine reads: no output may be written over one of them."""
        pack = self.machine.pack
        files = [self.machine.path, pack.path / "pack.yaml", *pack.oneshots.values()]
        files += [path for segment in pack.segments.values() for path in segment.stems.values()]
        files += [Path(self.worker.model_path)] if self.worker else []
        return files + ([Path(self.sidechain_file)] if self.sidechain_file else [])

    @contextlib.contextmanager
    def recording(self, out: Path | str, inputs: tuple[Path, ...] = ()) -> Iterator[Path]:
        """Record the master to a 32-bit float WAV; the file appears under its name only when complete."""
        outputs = Outputs([Path(out)], self.inputs() + list(inputs))
        try:
            with self._recorder(outputs, Path(out)):
                yield Path(out)
            outputs.publish()
        except BaseException:  # interrupted (Ctrl-C, SIGTERM) or failed: leave nothing half-written
            outputs.discard()
            raise

    @contextlib.contextmanager
    def _recorder(self, outputs: Outputs, out: Path) -> Iterator[None]:
        """pyo's recorder on `out`'s partial name; when it stops, the file must hold every frame computed."""
        self.server.recordOptions(dur=-1, filename=str(outputs.partial(out)), fileformat=0, sampletype=3)
        first = self.conductor.sample
        self.server.recstart()
        try:
            yield
        finally:
            self.server.recstop()
        outputs.check_frames(out, self.conductor.sample - first)
        _write(out, lambda: clear_peak_timestamp(outputs.partial(out)))

    def render(self, out: Path | str, script: Script | None, seconds: float | None = None,
               stop: threading.Event | None = None, inputs: tuple[Path, ...] = (),
               finish: Callable[[Path], None] | None = None,
               progress: Callable[[int, int], None] | None = None) -> RenderReport:
        """Offline, as fast as the CPU allows; deterministic for the same machine, pack and script.

        `finish(wav)` may measure or rewrite the complete WAV (loudness) before anything is published; the WAV
        and its decision log are then published together, or neither (SegueError says why). `progress(done, blocks)`,
        if given, is called every PROGRESS_EVERY blocks (for a progress bar)."""
        seconds = seconds if seconds is not None else (script.duration if script else 30.0)
        started = time.perf_counter()
        index, peak = 0, 0.0
        out = Path(out)
        log_path = out.with_suffix(".decisions.json")
        outputs = Outputs([out, log_path], self.inputs() + list(inputs))
        try:
            with self._recorder(outputs, out):
                blocks = math.ceil(seconds * self.sample_rate / self.block)
                for done in range(blocks):
                    if progress is not None and done % PROGRESS_EVERY == 0:  # (blocks done, blocks in all)
                        progress(done, blocks)
                    if stop is not None and stop.is_set():
                        raise SegueError("render stopped by a signal; nothing was written")
                    index = self._feed(script, index)
                    self.server.process()
                    if self.conductor.fatal:  # the render would not be the one asked for: write none
                        raise SegueError(f"render failed: {self.conductor.fatal}; nothing was written")
                    peak = max(peak, self.conductor.peak)
                self.conductor.check_finite(self.conductor.sample - self.block)  # the last block
            if finish:
                _write(out, lambda: finish(outputs.partial(out)))
            _write(log_path, lambda: self.write_log(outputs.partial(log_path)))
            outputs.publish()
        except BaseException:
            outputs.discard()
            raise
        wall = time.perf_counter() - started
        decisions = sum(1 for e in self.conductor.log if e["action"] != "telemetry")
        return RenderReport(out, log_path, seconds, wall, decisions, peak, dict(self.conductor.non_finite))

    def write_log(self, path: Path) -> None:
        body = {"machine": str(self.machine.path), "pack": str(self.machine.pack.path),
                "sample_rate": self.sample_rate, "block": self.block, "entries": list(self.conductor.log)}
        with open(path, "w") as f:
            json.dump(body, f, indent=1)

    # -- real time ----------------------------------------------------------------------------
    def run(self, stop: threading.Event, script: Script | None = None, on_block=None) -> None:
        """Play in real time until `stop` is set or the script ends (if it has a duration).

        With a real driver the audio runs in its own thread and this loop only wakes 20 times a second
        (script messages carry their exact sample, so they are handed over ahead of time). Python's cyclic
        garbage collector is paused meanwhile: a full collection stops every thread, the audio one included,
        for as long as it takes; the engine makes little cyclic garbage, and the young generations are
        collected here, between blocks, instead.
        """
        period = self.block / self.sample_rate
        end = round(script.duration * self.sample_rate) if script else None
        index, deadline, sweep = 0, time.perf_counter(), time.monotonic() + GC_EVERY
        gc.disable()
        try:
            while not stop.is_set() and (end is None or self.conductor.sample < end):
                index = self._feed(script, index, ahead=0 if self.manual else FEED_AHEAD)
                self._pace(period, deadline)
                deadline += period
                if time.perf_counter() - deadline > 0.5:  # fell far behind (machine suspended?): no racing
                    deadline = time.perf_counter()
                if on_block:
                    on_block()
                if time.monotonic() > sweep:
                    gc.collect(1)
                    sweep = time.monotonic() + GC_EVERY
                    if self.osc:
                        self.osc.check()
        finally:
            gc.enable()

    def _pace(self, period: float, deadline: float) -> None:
        if not self.manual:
            time.sleep(WAKE_EVERY)
            return
        self.server.process()
        delay = deadline + period - time.perf_counter()
        if delay > 0:
            time.sleep(delay)

    def _close_osc(self) -> None:
        if self.osc:
            self.osc.close()
            self.osc = None
        if self.feedback:
            self.feedback.close()
            self.feedback = None

    def close(self) -> None:
        self._close_osc()
        if self.worker:
            self.worker.close()
            self.worker = None
        try:
            if not self.manual:  # the audio thread parks outside the GIL before the driver stops it
                self._stopping.set()
                self._parked.wait(PARK_SECONDS)
            self.server.stop()
            self._released.set()
            time.sleep(0.01 if self.manual else 0.1)
            self.server.shutdown()
        except Exception:  # shutting down twice or after a failed boot is harmless
            pass

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _write(path: Path, write) -> None:
    """A write whose failure (a full disk, a file too large) is one line naming the file, not a traceback."""
    try:
        write()
    except OSError as exc:
        raise SegueError(f"cannot write {path}: {exc.strerror or exc}") from None


def _start_worker(model_path: Path | str | None, deadline: float, restart: bool) -> GenerationWorker | None:
    """The generation worker, or None (with one warning) if the model cannot be used: the rest still plays."""
    try:
        return GenerationWorker(model_path or DEFAULT_MODEL, deadline=deadline, restart=restart)
    except SegueError as exc:
        logging.getLogger("segue").warning("%s; generated layers are off, everything else plays", exc)
        return None
