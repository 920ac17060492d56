"""Engine: one loaded machine, its pack, the audio graph, the heartbeat and the OSC input, behind one of the front
doors (engine/doors.py): live on a device (portaudio or JACK), real time without a device (null), or offline.

    Engine(machine_path)                                     offline, the defaults (most tests)
    Engine(machine_path, EngineConfig(door=NULL, osc_port=0)) real time without a device, OSC on a free port
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

from engine.audio.threadstate import keep_thread_state
from engine.audio.graph import Graph
from engine.doors import OFFLINE, Door, Parking
from engine.errors import AudioStartError, SegueError
from engine.events import EventQueue
from engine.heartbeat import Heartbeat, Outbox, Reload, Residency
from engine.outputs import Outputs
from engine.params import ParamBank
from engine.wavfile import clear_peak_timestamp
from engine.generate.model import DEFAULT_MODEL
from engine.generate.worker import PHRASE_DEADLINE, GenerationWorker
from engine.score.loader import load_machine
from engine.machine.model import Machine
from engine.machine.residency import Plan
from engine.machine.runtime import Runtime
from engine.osc.routes import Router
from engine.osc.feedback import Feedback
from engine.osc.publisher import Publisher
from engine.osc.relay import OscRelay
from engine.osc.security import LOOPBACK, parse_allowlist
from engine.osc.server import TCP_IDLE
from engine.telemetry import Script
from engine.timetags import HORIZON

DEFAULT_BLOCK = 256
SWITCH_INTERVAL = 0.0005  # seconds; Python's default (5 ms) is about a whole 256-frame block
GC_EVERY = 2.0  # seconds between young-generation collections in real time
PROGRESS_EVERY = 64  # render(progress=...) is told (blocks done, blocks in all) every this many blocks


@dataclass(frozen=True)
class EngineConfig:
    door: Door = OFFLINE  # how the audio runs: OFFLINE, NULL or Device('portaudio' | 'jack')
    block: int = DEFAULT_BLOCK  # frames per audio block
    osc_port: int | None = None  # None: no OSC input (0: any free port)
    osc_host: str = "127.0.0.1"
    tcp: bool = True  # OSC over TCP (SLIP-framed) on the same port as UDP
    allow: str | None = None  # senders allowed besides this machine: IPs or CIDR ranges, comma-separated
    rate_limit: float = 50_000.0  # OSC messages a second per sender
    tcp_idle: float = TCP_IDLE  # seconds a TCP client may send nothing complete
    timetag_horizon: float = HORIZON  # seconds ahead an OSC bundle's timetag may reach
    model_path: Path | str | None = None  # the layer model (default: the bundled one)
    soundfont: Path | str | None = None  # the General MIDI SoundFont generated layers play on (default: TimGM6mb)
    generation_deadline: float = PHRASE_DEADLINE  # seconds for one generated phrase
    log_limit: int | None = 100_000  # decision-log entries kept (None: all)
    sidechain_file: Path | str | None = None  # a recording fed as the sidechain input, instead of a live one


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
    def __init__(self, machine_path: Path | str, config: EngineConfig = EngineConfig(), *,
                 residency: Residency | None = None):
        """`residency`: where the heartbeat's residency plans go (default: the mix)."""
        self.machine = load_machine(machine_path)
        self.config = config
        self.door = door = config.door
        self.sidechain_file = config.sidechain_file
        self.block = block = config.block
        self._parking = Parking()
        if door.realtime:  # no other Python thread may hold the GIL for a whole block
            sys.setswitchinterval(SWITCH_INTERVAL)
        self.sample_rate = self.machine.pack.sample_rate
        router = Router(self.machine)
        self.queue = EventQueue()
        self.osc: OscRelay | None = None
        self.feedback: Feedback | None = None
        if config.osc_port is not None:  # bind before the audio starts, so a busy port fails fast and cleanly
            self._open_osc(router, config)
        try:
            sc = self.machine.sidechain
            live_inputs = door.live_inputs(sc.input) if sc and config.sidechain_file is None else 0
            self.server = door.boot(self.sample_rate, block, live_inputs)
        except Exception as exc:
            self._close_osc()
            raise AudioStartError(f"cannot start {door.name} audio: {exc}") from None
        self.worker: GenerationWorker | None = None
        try:
            generated = {f"{s.name}.{g.name}": g for s in self.machine.states.values()
                         for g in s.generate.values()}
            if generated:
                self.worker = _start_worker(config.model_path, config.soundfont, config.generation_deadline,
                                            restart=not door.waits_for_generation)
            self.graph = Graph(self.machine.pack, block, generated,
                               *self._sidechain(config.sidechain_file, live_inputs))
            self.graph.out()
            self.runtime = Runtime(self.machine)
            inboxes = (self.queue, self.osc.reader) if self.osc else (self.queue,)
            self.heartbeat = Heartbeat(self.runtime, self.graph, inboxes, block, router, osc=self.osc,
                                       publisher=Publisher(self.feedback) if self.feedback else None,
                                       worker=self.worker, wait_for_generation=door.waits_for_generation,
                                       log_limit=config.log_limit, timetag_horizon=config.timetag_horizon,
                                       residency=residency)
            if self.osc:
                self.outbox.also(self.osc.reader.notices)
            if self.worker:
                self.outbox.also(self.worker.notices)
            self.graph.mix.attach(self.outbox, live=door.realtime)  # the stem reader's notices; offline, blocks wait for it
            self.server.setCallback(self._block)
            self.server.start()
        except Exception:
            self.close()
            raise

    def _open_osc(self, router: Router, config: EngineConfig) -> None:
        if parse_allowlist(config.allow) == LOOPBACK and not config.osc_host.startswith("127.") \
                and config.osc_host not in ("::1", "localhost"):
            logging.getLogger("segue").warning(
                "listening on %s, but only this machine may send until --allow names other senders", config.osc_host)
        self.feedback = Feedback()
        try:
            self.osc = OscRelay(router, config.osc_host, config.osc_port, config.tcp, config.allow,
                                config.rate_limit, config.tcp_idle, self.feedback)
        except BaseException:
            self._close_osc()
            raise
        self.osc.reader.known = router.targets()

    # -- what the heartbeat holds, for the main thread -------------------------------------------
    @property
    def router(self) -> Router:
        """The OSC routes of the machine playing now (a reload's take over at its bar line)."""
        return self.heartbeat.router

    @property
    def params(self) -> ParamBank:
        return self.heartbeat.params

    @property
    def outbox(self) -> Outbox:
        """What the audio block said (state changes, faults, notices, a fatal reason): drain it between blocks."""
        return self.heartbeat.outbox

    @property
    def log(self):
        """The decision log (engine.heartbeat.sink.DecisionLog): iterate it for its entries."""
        return self.heartbeat.log

    @property
    def sample(self) -> int:
        """The first sample of the block about to be computed."""
        return self.heartbeat.sample

    @property
    def plan(self) -> Plan | None:
        """The newest residency plan: what the audio side keeps in memory from its sample on."""
        return self.heartbeat.plan

    def health(self) -> dict:
        return self.heartbeat.health_report()

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
        if self._parking.stopping.is_set():
            self._parking.park()
            return
        keep_thread_state()
        self.heartbeat.tick()

    # -- hot reload ----------------------------------------------------------------------------
    def reload(self) -> Machine:
        """Validate the machine file again and, if it is good, play it from the next bar line.

        Raises ValidationError (file:line:column problems) or SegueError and leaves the old machine playing.
        """
        machine = load_machine(self.machine.path)
        if machine.pack != self.machine.pack:
            raise SegueError(f"{machine.path}: the stem pack changed; restart to load the new audio")
        new_layers = {f"{s.name}.{g.name}" for s in machine.states.values() for g in s.generate.values()}
        players = self.graph.mix.phrase_players
        missing = sorted(new_layers - set(players))
        if missing:
            raise SegueError(f"{machine.path}: new generated layers ({', '.join(missing)}) need a restart")
        longer = sorted(f"{s.name}.{g.name}" for s in machine.states.values() for g in s.generate.values()
                        if machine.pack.clock().bar_sample(g.bars) > players[f"{s.name}.{g.name}"].longest_loop)
        if longer:
            raise SegueError(f"{machine.path}: longer phrases in generated layers ({', '.join(longer)}) need a restart")
        self.machine = machine
        router = Router(machine)  # built here, not in the audio block that swaps it in
        if self.osc:
            self.osc.load(router)
        self.heartbeat.request_swap(Reload(machine, router, router.targets()))
        return machine

    # -- driving the clock ourselves (offline and null) ---------------------------------------
    def process(self, blocks: int = 1) -> None:
        for _ in range(blocks):
            self.server.process()

    def _feed(self, script: Script | None, index: int, ahead: float = 0.0) -> int:
        """Enqueue the script's messages due within the block about to be computed (or `ahead` seconds more),
        each stamped with its exact sample, so it takes effect there and not at the block's start."""
        if script is None:
            return index
        horizon = self.heartbeat.sample + self.block + round(ahead * self.sample_rate)
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
        first = self.heartbeat.sample
        self.server.recstart()
        try:
            yield
        finally:
            self.server.recstop()
        outputs.check_frames(out, self.heartbeat.sample - first)
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
        index, peak, meters = 0, 0.0, self.heartbeat.meters
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
                    if self.outbox.fatal:  # the render would not be the one asked for: write none
                        raise SegueError(f"render failed: {self.outbox.fatal}; nothing was written")
                    peak = max(peak, meters.peak)
                meters.check_finite(self.heartbeat.sample - self.block)  # the last block
            if finish:
                _write(out, lambda: finish(outputs.partial(out)))
            _write(log_path, lambda: self.write_log(outputs.partial(log_path)))
            outputs.publish()
        except BaseException:
            outputs.discard()
            raise
        wall = time.perf_counter() - started
        decisions = sum(1 for e in self.log if e["action"] != "telemetry")
        return RenderReport(out, log_path, seconds, wall, decisions, peak, dict(meters.non_finite))

    def write_log(self, path: Path) -> None:
        body = {"machine": str(self.machine.path), "pack": str(self.machine.pack.path),
                "sample_rate": self.sample_rate, "block": self.block, "entries": list(self.log)}
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
            while not stop.is_set() and (end is None or self.heartbeat.sample < end):
                index = self._feed(script, index, ahead=self.door.feed_ahead)
                self.door.pace(self.server, period, deadline)
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
        if hasattr(self, "graph"):  # the stem reader stops before the pyo server does
            self.graph.mix.close()
        try:
            self.door.stop(self.server, self._parking)
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


def _start_worker(model_path: Path | str | None, soundfont: Path | str | None, deadline: float,
                  restart: bool) -> GenerationWorker | None:
    """The generation worker, or None (with one warning) if the model or the SoundFont cannot be used: the rest
    still plays."""
    try:
        return GenerationWorker(model_path or DEFAULT_MODEL, soundfont, deadline=deadline, restart=restart)
    except SegueError as exc:
        logging.getLogger("segue").warning("%s; generated layers are off, everything else plays", exc)
        return None
