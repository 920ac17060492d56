"""The heartbeat: once per audio block, telemetry in, decisions out, applied to the graph.

Runs inside pyo's server callback, before the block is computed, so a decision made here can still land on its
exact sample within this block. It never raises (a fault is counted and told through the outbox) and never waits
on I/O or another process, except offline, where the generation scheduler waits for a phrase (with a deadline)
so that renders are deterministic.

    intake (inboxes, hold for later, params)  ->  runtime.step  ->  sink (graph, then listeners)
    then: a new residency plan if what can start next changed, levels, generated phrases due, meters, OSC feedback
"""
from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from typing import Protocol, Sequence

from engine.generate.scheduler import GenerationScheduler
from engine.generate.worker import GenerationWorker
from engine.heartbeat.health import Health
from engine.heartbeat.intake import Inbox, Intake
from engine.heartbeat.meters import Meters
from engine.heartbeat.outbox import Outbox
from engine.heartbeat.sink import DecisionLog, Sink
from engine.machine.decisions import StemLevel
from engine.machine.model import Machine
from engine.machine.planner import Planner
from engine.machine.residency import Plan
from engine.machine.runtime import Runtime
from engine.osc.publisher import Publisher, Snapshot
from engine.osc.routes import Router
from engine.params import ParamBank
from engine.timetags import HORIZON

NOTICE_EVERY = 10  # seconds of audio between two notices of the same overload


@dataclass(frozen=True)
class Reload:
    """A reloaded machine, checked and with its OSC routes built, waiting for the next bar line to take over."""

    machine: Machine
    router: Router
    targets: frozenset  # (kind, name) its routes reach: what the OSC ring lets through from then on


class Residency(Protocol):
    def plan(self, plan: Plan) -> None:
        """Keep `plan`'s windows resident from its sample on. Must not block: it is called from the audio block."""


class Heartbeat:
    def __init__(self, runtime: Runtime, graph, inboxes: Sequence[Inbox], block: int, router: Router, *,
                 osc=None, publisher: Publisher | None = None, worker: GenerationWorker | None = None,
                 wait_for_generation: bool = False, log_limit: int | None = None,
                 timetag_horizon: float = HORIZON, residency: Residency | None = None):
        """`osc`: the OSC relay, whose routes switch when a reload takes over; `publisher`: OSC feedback;
        `worker`: the generation worker (None: generated layers are off); `wait_for_generation`: offline;
        `residency`: what keeps the audio each plan names in memory (default: the mix). It gets the initial
        state's plan here, before the first block."""
        self.graph, self.block, self.router, self.osc, self.publisher = graph, block, router, osc, publisher
        self.mix = graph.mix  # levels, generated phrases and fades are the mix's
        self.residency = graph.mix if residency is None else residency
        self.runtime = runtime
        self.sample_rate = sr = runtime.sample_rate
        self.sample = 0  # first sample of the block about to be computed
        self.params = ParamBank(runtime.machine.params)  # the one bank: a reload retunes it in place
        self.outbox = Outbox()
        self.log = DecisionLog(sr, log_limit)
        self.health = Health()
        self.intake = Intake(inboxes, self.params, runtime, self.log, self.outbox, self.health, sr,
                             timetag_horizon)
        self.meters = Meters(graph, block, sr, self.outbox)
        self.scheduler = GenerationScheduler(worker, graph.mix, runtime, self.log, self.outbox, block,
                                             wait_for_generation) if worker else None
        listeners = [self.log, self.outbox] + [p for p in (publisher, self.scheduler) if p is not None]
        self.sink = Sink(graph, sr, listeners)
        self.snapshot = Snapshot()
        self._swap: Reload | None = None
        self._refusals = (0, 0)  # (refused cue actions and stingers already told, sample of the next notice)
        self.planner = Planner(runtime, block)
        self.plan: Plan | None = None  # the newest plan given to the residency
        self._reside(self.planner.first())

    def tick(self) -> None:
        started = time.perf_counter_ns()
        try:
            self._beat()
        except Exception:  # the audio thread must keep running; the fault is reported from outside
            self.outbox.fault(traceback.format_exc(limit=4))
        finally:
            self.sample += self.block
            self.health.ticks.append((started, time.perf_counter_ns() - started))

    def _beat(self) -> None:
        b0 = self.sample
        # a reload takes over first, so this block's telemetry is judged by the machine that will act on it
        swapped = self._swap_at_bar(b0)
        ask = self.intake.take(b0, self.block)
        if self.scheduler:
            for name, locked in ask.locks:
                if locked:
                    self.scheduler.locked(name)
        self.params.advance(self.block / self.sample_rate)
        values = self.params.values()
        decisions = swapped + self.runtime.step(ask.input(b0, self.block, values))
        self._tell_refusals(b0)
        self.sink.take(decisions, b0)
        self._reside(self.planner.after(b0, b0 + self.block))
        levels = self.runtime.levels(values)
        self.mix.set_levels(levels)
        if self.scheduler:
            self.scheduler.start_due(b0)
        self.mix.play_phrases(b0)
        report = self.meters.read(b0)
        if self.publisher is not None and (ask.controls or self.publisher.listening):
            self._feed_back(b0, report, levels, ask.controls)

    def _reside(self, plan: Plan | None) -> None:
        """The one place a plan reaches the audio side."""
        if plan is not None:
            self.plan = plan
            self.residency.plan(plan)

    def health_report(self) -> dict:
        """How the blocks went: count, the heartbeat's own cost, and the longest gap between two blocks."""
        return self.health.report(self.sample // self.block, self.outbox.fault_count, self.intake.dropped,
                                  self.block / self.sample_rate * 1000)

    def _tell_refusals(self, b0: int) -> None:
        """A flood of cues or stingers past the time queue's capacity: one line, at most every NOTICE_EVERY s."""
        timeline = self.runtime.timeline
        refused, capacity = timeline.refused, timeline.capacity
        told, quiet_until = self._refusals
        if refused > told and b0 >= quiet_until:
            self.outbox.notice(f"{refused - told} cue actions or stingers refused: {capacity} "
                               "already waiting for their sample")
            self._refusals = (refused, b0 + NOTICE_EVERY * self.sample_rate)

    # -- hot reload ----------------------------------------------------------------------------
    def request_swap(self, reload: Reload) -> None:
        """Play the reloaded machine from the next bar line (its OSC routes switch then)."""
        self._swap = reload

    def _swap_at_bar(self, b0: int) -> list:
        if self._swap is None:
            return []
        bar = self.runtime.next_bar(b0)
        if bar >= b0 + self.block:
            return []
        reload, self._swap = self._swap, None
        self.params.retune(reload.machine.params)
        self.intake.reloaded()
        self.router = reload.router
        if self.osc is not None:
            self.osc.swap(reload.targets)
        return self.runtime.swap(reload.machine, bar, self.params.values())

    # -- OSC feedback --------------------------------------------------------------------------
    def _feed_back(self, b0: int, report: bool, levels: dict, controls: list) -> None:
        """Fill the block's snapshot (the costly part only for a meter report or a status query) and hand it to
        the publisher, with the block's subscriptions and status queries."""
        snap, runtime, meters = self.snapshot, self.runtime, self.meters
        snap.sample, snap.report = b0, report
        beat_start = runtime.next_beat(b0)
        snap.beat = runtime.bar_beat(beat_start) if b0 <= beat_start < b0 + self.block else None
        if report or controls:
            snap.state, snap.bar_beat, snap.bpm = runtime.state, runtime.bar_beat(b0), runtime.clock.bpm
            snap.peak, snap.rms, snap.true_peak = meters.peak, meters.rms, meters.true_peak
            snap.lufs_m, snap.lufs_s, snap.lufs_i = meters.lufs_m, meters.lufs_s, meters.lufs_i
            snap.params = self.params.values()
            snap.layers = {f"{k.segment}.{k.stem}": self.mix.fade_gain(k.segment, k.stem) * g
                           for k, g in levels.items() if isinstance(k, StemLevel)}
            pending = runtime.pending
            snap.next = (pending.move.target, round((pending.sample - b0) / self.sample_rate, 2)) \
                if pending else ("", -1.0)
        for item in controls:
            self.publisher.control(item, snap)
        self.publisher.publish(snap)
