"""The heartbeat: once per audio block, telemetry in, decisions out, applied to the graph.

Runs inside pyo's server callback, before the block is computed, so a decision made here can
still land on its exact sample within this block. It never raises and never waits on a lock.
"""
from __future__ import annotations

import math
import time
import traceback
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Protocol, Sequence

from engine.events import Telemetry
from engine.loudness import Integrator, lufs
from engine.osc.feedback import Feedback
from engine.generate.schedule import NoteSchedule
from engine.generate.worker import GenerationWorker, Lost
from engine.machine.decisions import EnterState, GenerateLayer, StemLevel, StopLayer
from engine.machine.runtime import BlockInput, Runtime
from engine.params import ParamBank
from engine.timetags import HORIZON, Hold


METER_EVERY = 4800  # samples between meter reports (100 ms at 48 kHz)
NOTICE_EVERY = 10  # seconds of audio between two notices of the same overload


class Inbox(Protocol):
    """Where telemetry waits for the block: the in-process queue (scripts) or the OSC receiver's ring."""

    dropped: int

    def drain(self) -> list[Telemetry]: ...


@dataclass
class _Inputs:
    """What one block's telemetry asks of the machine."""

    events: set[str] = field(default_factory=set)
    cues: list[tuple[str, float]] = field(default_factory=list)
    stingers: list[str] = field(default_factory=list)
    force: str | None = None
    at: int | None = None
    params: dict[str, tuple[Telemetry, int, int]] = field(default_factory=dict)  # newest (item, sample, count)


def _db(x: float) -> float:
    return -120.0 if x <= 1e-6 else 20 * math.log10(x)


class Conductor:
    def __init__(self, runtime: Runtime, params: ParamBank, graph, inboxes: Sequence[Inbox], block: int,
                 log_limit: int | None = None, worker: GenerationWorker | None = None,
                 wait_for_generation: bool = False, feedback: Feedback | None = None,
                 timetag_horizon: float = HORIZON):
        self.runtime, self.params, self.graph, self.inboxes = runtime, params, graph, tuple(inboxes)
        self.worker = worker
        self.wait_for_generation = wait_for_generation  # offline: wait (each phrase has a deadline), deterministic
        self._awaiting: list[tuple[str, tuple, int]] = []  # (layer, request tag, start sample), by start
        self._ready: dict[tuple, object] = {}
        self.block = block
        self.sample_rate = runtime.sample_rate
        self.sample = 0  # first sample of the block about to be computed
        self.log: deque[dict] = deque(maxlen=log_limit)
        self.announcements: deque[dict] = deque(maxlen=256)  # state changes, for a UI thread to pop
        self.faults: deque[str] = deque(maxlen=32)
        self.notices: deque[str] = deque(maxlen=32)  # for the main thread to log (never logged from here)
        self.ticks: deque[tuple[int, int]] = deque(maxlen=200_000)  # (start ns, duration ns) per block
        self.taken: Counter[str] = Counter()  # telemetry applied, by kind
        self.fault_count = 0
        self.fatal: str | None = None  # offline: why the render cannot be what was asked (a lost generator)
        self.non_finite: dict[str, int] = {}  # what sent NaN or Inf (silenced by the gates) -> its first sample
        self.latencies: deque[tuple[float, int, int]] = deque(maxlen=100_000)  # (value, arrived_ns, applied_ns)
        self.peak = 0.0
        self.rms = 0.0
        self._powers = (0.0, 0.0)  # K-weighted power over the last 400 ms and 3 s
        self.true_peak = 0.0
        self.integrator = Integrator()
        self.feedback = feedback
        self._wall_offset: float | None = None
        self.later = Hold(self.sample_rate, self.notices, timetag_horizon)
        self._swap = None  # (machine, callback) waiting for the next bar line
        self._published: dict[tuple[str, str], object] = {}
        self._audience = 0
        self._dropped_names: set[tuple[str, str]] = set()  # (kind, name) told as gone since the last reload
        self._refusals = (0, 0)  # (refused cue actions and stingers already told, sample of the next notice)

    def tick(self) -> None:
        started = time.perf_counter_ns()
        try:
            self._tick()
        except Exception:  # the audio thread must keep running; the fault is reported from outside
            self.fault_count += 1
            self.faults.append(traceback.format_exc(limit=4))
        finally:
            self.sample += self.block
            self.ticks.append((started, time.perf_counter_ns() - started))

    def health(self) -> dict:
        """How the blocks went: count, the conductor's own cost, and the longest gap between two blocks."""
        ticks = list(self.ticks)
        costs = sorted(d for _, d in ticks)
        gaps = [b[0] - a[0] for a, b in zip(ticks, ticks[1:])]
        return {"blocks": self.sample // self.block, "faults": self.fault_count,
                "conductor_p99_ms": costs[int(0.99 * (len(costs) - 1))] / 1e6 if costs else 0.0,
                "max_gap_ms": max(gaps) / 1e6 if gaps else 0.0,
                "period_ms": self.block / self.sample_rate * 1000,
                "dropped": sum(i.dropped for i in self.inboxes) + self.later.refused, "taken": dict(self.taken)}

    def _tick(self) -> None:
        b0, now_ns = self.sample, time.perf_counter_ns()
        end = b0 + self.block
        self._track_wall_clock(b0)
        # a reload takes over first, so this block's telemetry is judged by the machine that will act on it
        swapped = self._swap_at_bar(b0)
        inputs = _Inputs()
        for inbox in self.inboxes:
            for item in inbox.drain():
                at = self._sample_of(item, b0)
                if at >= end:
                    self.later.add(at, item, b0)
                else:
                    self._take(item, at, b0, inputs, now_ns)
        for at, item in self.later.due(end):
            self._take(item, at, b0, inputs, now_ns)
        for name, (item, at, count) in inputs.params.items():  # a flood costs one set per param per block
            value = self.params.set(name, item.value)
            self._log_telemetry(item, max(at, b0), value, count)
        self.params.advance(self.block / self.sample_rate)
        values = self.params.values()
        decisions = swapped + self.runtime.step(BlockInput(b0, self.block, values, frozenset(inputs.events),
                                                           inputs.force, tuple(inputs.cues), tuple(inputs.stingers),
                                                           inputs.at))
        self._tell_refusals(b0)
        self.graph.apply(decisions, b0)
        for d in decisions:
            entry = d.log(self.sample_rate)
            self.log.append(entry)
            if isinstance(d, EnterState):
                self.announcements.append(entry)
                if self.feedback:
                    self.feedback.publish("/segue/state", d.target)
            elif isinstance(d, GenerateLayer):
                self._request(d)
            elif isinstance(d, StopLayer):
                self._awaiting = [a for a in self._awaiting if a[0] != d.layer]
                self.graph.stop_layer(d.layer, d.samples, self.sample_rate)
        self.graph.set_levels(self.runtime.levels(values))
        if self._awaiting:
            self._start_due_layers(b0)
        self.graph.play_notes(b0)
        self._meter(b0)
        if self.feedback and self.feedback.listening:
            self._publish_beats(b0)

    def _tell_refusals(self, b0: int) -> None:
        """A flood of cues or stingers past the time queue's capacity: one line, at most every NOTICE_EVERY s."""
        timeline = self.runtime.timeline
        told, quiet_until = self._refusals
        if timeline.refused > told and b0 >= quiet_until:
            self.notices.append(f"{timeline.refused - told} cue actions or stingers refused: {timeline.capacity} "
                                "already waiting for their sample")
            self._refusals = (timeline.refused, b0 + NOTICE_EVERY * self.sample_rate)

    # -- hot reload ----------------------------------------------------------------------------
    def request_swap(self, machine, on_swap=None) -> None:
        """Play `machine` from the next bar line; `on_swap(machine)` runs then (e.g. to switch OSC routes)."""
        self._swap = (machine, on_swap)

    def _swap_at_bar(self, b0: int) -> list:
        if self._swap is None:
            return []
        origin, clock = self.runtime.origin, self.runtime.clock
        bar = origin + clock.next_bar(max(0, b0 - origin))
        if bar >= b0 + self.block:
            return []
        machine, on_swap = self._swap
        self._swap = None
        self.params.retune(machine.params)
        self._dropped_names.clear()
        if on_swap:
            on_swap(machine)
        return self.runtime.swap(machine, bar, self.params.values())

    # -- telemetry: when each item takes effect ---------------------------------------------------
    def _track_wall_clock(self, b0: int) -> None:
        """Where the audio clock is against the wall clock, smoothed, to place timetagged bundles."""
        offset = time.time() - b0 / self.sample_rate
        self._wall_offset = offset if self._wall_offset is None else self._wall_offset + 0.02 * (
            offset - self._wall_offset)

    def _sample_of(self, item: Telemetry, b0: int) -> int:
        if item.sample >= 0:
            return item.sample
        if item.due > 0 and self._wall_offset is not None:
            return round((item.due - self._wall_offset) * self.sample_rate)
        return b0

    def _take(self, item: Telemetry, at: int, b0: int, inputs: "_Inputs", now_ns: int) -> None:
        if item.kind == "control":
            self._control(item)
            return
        if not self._still_known(item):
            return
        self.taken[item.kind] += item.updates
        if at > b0 and (inputs.at is None or at < inputs.at):
            inputs.at = at  # sync 'immediate' lands on this sample, not on the block's first
        if item.kind == "param":  # the newest value wins; applied once, after the block's telemetry is in
            if item.arrived_ns:
                self.latencies.append((item.value, item.arrived_ns, now_ns))
            previous = inputs.params.get(item.name)
            inputs.params[item.name] = (item, at, item.updates + (previous[2] if previous else 0))
            return
        if item.kind == "event":
            inputs.events.add(item.name)
            value = 1.0
        elif item.kind == "cue":
            inputs.cues.append((item.name, item.value))
            value = item.value
        elif item.kind == "stinger":
            inputs.stingers.append(item.name)
            value = 1.0
        elif item.kind == "lock":
            locked = item.value >= 0.5
            self.runtime.set_lock(item.name, locked)
            if locked:  # keep what plays now: drop phrases asked for but not started yet
                self._awaiting = [a for a in self._awaiting if a[0].split(".", 1)[1] != item.name]
            value = item.value
        else:
            inputs.force = item.name
            value = 1.0
        self._log_telemetry(item, max(at, b0), value, item.updates)

    def _still_known(self, item: Telemetry) -> bool:
        """Telemetry sent for a param or state a reload removed (held, or on its way) is dropped, said once."""
        known = {"param": self.params.params, "state": self.runtime.machine.states}.get(item.kind)
        if known is None or item.name in known:
            return True
        if (item.kind, item.name) not in self._dropped_names:
            self._dropped_names.add((item.kind, item.name))
            self.notices.append(f"{item.source or item.kind}: dropped: the reloaded machine has no {item.kind} "
                                f"'{item.name}'")
        return False

    def _log_telemetry(self, item: Telemetry, sample: int, value: float, count: int) -> None:
        entry = {"sample": sample, "time": round(sample / self.sample_rate, 6), "action": "telemetry",
                 "source": item.source, "kind": item.kind, "name": item.name, "value": value}
        if count > 1:
            entry["updates"] = count  # this many arrived in the block: a param's newest applied, an event raised
        self.log.append(entry)

    # -- meters and feedback -------------------------------------------------------------------
    def _control(self, item: Telemetry) -> None:
        """subscribe, unsubscribe or status from `item.source` (an IP), answering to port `item.value`."""
        if self.feedback is None:
            return
        target = (item.source, int(item.value))
        if item.name == "subscribe":
            self.feedback.subscribe(*target)
        elif item.name == "unsubscribe":
            self.feedback.unsubscribe(*target)
        else:
            self.feedback.reply(target, "/segue/status", *self.status())

    def check_finite(self, block_start: int) -> None:
        """After the block from `block_start` was computed: report, once per source, NaN or Inf it silenced."""
        for source in self.graph.non_finite():
            if source not in self.non_finite:  # reported once; the gate keeps silencing it meanwhile
                self.non_finite[source] = block_start
                self.fault_count += 1
                self.faults.append(f"non-finite samples from {source} at {block_start / self.sample_rate:.2f} s: "
                                   "silenced; the rest plays on")

    def _meter(self, b0: int) -> None:
        self.check_finite(max(0, b0 - self.block))  # the block computed last
        self.peak, self.rms = self.graph.meters()
        self.true_peak = max(self.true_peak, self.graph.true_peak())  # the highest since the start, as R128 asks
        self._powers = self.graph.loudness_powers()  # turned into LUFS only when someone reads them
        if (b0 + self.block) // METER_EVERY > b0 // METER_EVERY:  # every 100 ms
            self.integrator.add(self._powers[0])
            if self.feedback and self.feedback.listening:
                self.feedback.publish("/segue/meter", _db(self.peak), _db(self.rms), self.lufs_m, self.lufs_s,
                                      self.lufs_i, _db(self.true_peak))
                self._publish_changes()

    @property
    def lufs_m(self) -> float:
        return lufs(self._powers[0])

    @property
    def lufs_s(self) -> float:
        return lufs(self._powers[1])

    @property
    def lufs_i(self) -> float:
        return self.integrator.integrated()

    def _publish_changes(self) -> None:
        """Params, layer gains and the next scheduled transition, when they changed (10 times a second)."""
        if len(self.feedback.subscribers) != self._audience:  # someone new: tell everything again
            self._audience = len(self.feedback.subscribers)
            self._published.clear()
        now = {("/segue/param", name): round(p.value, 4) for name, p in self.params.params.items()}
        levels = self.runtime.levels(self.params.values())
        now.update({("/segue/layer", f"{k.segment}.{k.stem}"): round(self.graph.fade_gain(k.segment, k.stem) * g, 4)
                    for k, g in levels.items() if isinstance(k, StemLevel)})
        pending = self.runtime.pending
        now[("/segue/next", "")] = (pending.move.target, round((pending.sample - self.sample) / self.sample_rate, 2)) \
            if pending else ("", -1.0)
        for (address, name), value in now.items():
            if self._published.get((address, name)) != value:
                self._published[(address, name)] = value
                args = value if isinstance(value, tuple) else (name, value)
                self.feedback.publish(address, *args)

    def _publish_beats(self, b0: int) -> None:
        origin, clock = self.runtime.origin, self.runtime.clock
        beat_start = origin + clock.next_beat(max(0, b0 - origin))
        if b0 <= beat_start < b0 + self.block:
            position = clock.position(beat_start - origin)
            self.feedback.publish("/segue/beat", position.bar + 1, position.beat + 1)
            if position.beat == 0:
                self.feedback.publish("/segue/bar", position.bar + 1)

    def status(self) -> tuple:
        """What /segue/status answers: state, bar, beat, tempo, peak dBFS, momentary and integrated LUFS."""
        position = self.runtime.clock.position(max(0, self.sample - self.runtime.origin))
        return (self.runtime.state, position.bar + 1, position.beat + 1, float(self.runtime.clock.bpm),
                _db(self.peak), self.lufs_m, self.lufs_i)

    # -- generated layers ----------------------------------------------------------------------
    def _request(self, d: GenerateLayer) -> None:
        if self.worker is None:
            return  # the model could not be loaded; that was reported once at start-up
        tag = (d.layer, d.variation, d.start)
        if self.worker.submit(tag, d.request):
            self._awaiting.append((d.layer, tag, d.start))
            self._awaiting.sort(key=lambda a: a[2])

    def _start_due_layers(self, b0: int) -> None:
        if self.worker is None:
            return
        end = b0 + self.block
        if self._awaiting[0][2] >= end:
            return
        if self.wait_for_generation:
            self.worker.wait_idle()
        wanted = {tag for _, tag, _ in self._awaiting}
        for tag, result in self.worker.results():
            if tag in wanted:
                self._ready[tag] = result
        while self._awaiting and self._awaiting[0][2] < end:
            layer, tag, start = self._awaiting.pop(0)
            result = self._ready.pop(tag, None)
            if result is None:  # not written yet: never wait in real time, come in on the next bar instead
                later = start + self.runtime.bar
                if not any(a[0] == layer and a[2] <= later for a in self._awaiting):
                    self._awaiting.append((layer, tag, later))
                    self._awaiting.sort(key=lambda a: a[2])
                self._note(start, "late", layer, f"generation not ready; starts at sample {later}")
                continue
            if isinstance(result, Lost) and self.wait_for_generation and self.fatal is None:
                self.fatal = f"generated layer '{layer}' at bar {self.runtime.position(start)}: {result.why}"
            if isinstance(result, (str, Lost)):
                self._note(start, "generate_failed", layer, result if isinstance(result, str) else result.why)
                continue
            self.graph.start_layer(layer, NoteSchedule(result, start, self.runtime.clock))
            self.log.append({"sample": start, "time": round(start / self.sample_rate, 6), "action": "layer",
                             "position": self.runtime.position(start), "state": self.runtime.state,
                             "layer": layer, "notes": [[n.step, n.length, n.pitch] for n in result.notes],
                             "provenance": result.provenance, "why": "generated phrase starts"})

    def _note(self, sample: int, action: str, layer: str, why: str) -> None:
        self.log.append({"sample": sample, "time": round(sample / self.sample_rate, 6), "action": action,
                         "layer": layer, "why": why})
