"""The heartbeat: once per audio block, telemetry in, decisions out, applied to the graph.

Runs inside pyo's server callback, before the block is computed, so a decision made here can
still land on its exact sample within this block. It never raises and never waits on a lock.
"""
from __future__ import annotations

import time
import traceback
from collections import deque

from engine.events import EventQueue
from engine.generate.schedule import NoteSchedule
from engine.generate.worker import GenerationWorker
from engine.machine.decisions import GenerateLayer, StopLayer
from engine.machine.runtime import Runtime
from engine.params import ParamBank


class Conductor:
    def __init__(self, runtime: Runtime, params: ParamBank, graph, queue: EventQueue, block: int,
                 log_limit: int | None = None, worker: GenerationWorker | None = None,
                 wait_for_generation: bool = False):
        self.runtime, self.params, self.graph, self.queue = runtime, params, graph, queue
        self.worker = worker
        self.wait_for_generation = wait_for_generation  # offline: no deadline, so wait and stay deterministic
        self._awaiting: list[tuple[str, tuple, int]] = []  # (layer, request tag, start sample), by start
        self._ready: dict[tuple, object] = {}
        self.block = block
        self.sample_rate = runtime.sample_rate
        self.sample = 0  # first sample of the block about to be computed
        self.log: deque[dict] = deque(maxlen=log_limit)
        self.announcements: deque[dict] = deque(maxlen=256)  # state changes, for a UI thread to pop
        self.faults: deque[str] = deque(maxlen=32)
        self.fault_count = 0
        self.latencies: deque[tuple[float, int, int]] = deque(maxlen=100_000)  # (value, arrived_ns, applied_ns)
        self.peak = 0.0
        self.rms = 0.0

    def tick(self) -> None:
        try:
            self._tick()
        except Exception:  # the audio thread must keep running; the fault is reported from outside
            self.fault_count += 1
            self.faults.append(traceback.format_exc(limit=4))
        finally:
            self.sample += self.block

    def _tick(self) -> None:
        b0, now_ns = self.sample, time.perf_counter_ns()
        events: set[str] = set()
        force = None
        cues: list[tuple[str, float]] = []
        stingers: list[str] = []
        for item in self.queue.drain():
            if item.kind == "param":
                value = self.params.set(item.name, item.value)
                if item.arrived_ns:
                    self.latencies.append((item.value, item.arrived_ns, now_ns))
            elif item.kind == "event":
                events.add(item.name)
                value = 1.0
            elif item.kind == "cue":
                cues.append((item.name, item.value))
                value = item.value
            elif item.kind == "stinger":
                stingers.append(item.name)
                value = 1.0
            elif item.kind == "lock":
                locked = item.value >= 0.5
                self.runtime.set_lock(item.name, locked)
                if locked:  # keep what plays now: drop phrases asked for but not started yet
                    self._awaiting = [a for a in self._awaiting if a[0].split(".", 1)[1] != item.name]
                value = item.value
            else:
                force = item.name
                value = 1.0
            self.log.append({"sample": b0, "time": round(b0 / self.sample_rate, 6), "action": "telemetry",
                             "source": item.source, "kind": item.kind, "name": item.name, "value": value})
        self.params.advance(self.block / self.sample_rate)
        values = self.params.values()
        decisions = self.runtime.step(b0, self.block, values, frozenset(events), force, tuple(cues), tuple(stingers))
        self.graph.apply(decisions, b0)
        for d in decisions:
            entry = d.log(self.sample_rate)
            self.log.append(entry)
            if entry["action"] == "enter":
                self.announcements.append(entry)
            if isinstance(d, GenerateLayer):
                self._request(d)
            elif isinstance(d, StopLayer):
                self._awaiting = [a for a in self._awaiting if a[0] != d.layer]
                self.graph.stop_layer(d.layer, d.samples, self.sample_rate)
        self.graph.set_levels(self.runtime.levels(values))
        if self._awaiting:
            self._start_due_layers(b0)
        self.graph.play_notes(b0)
        self.peak, self.rms = self.graph.meters()

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
                later = start + self.runtime.clock.bar_sample(1)
                if not any(a[0] == layer and a[2] <= later for a in self._awaiting):
                    self._awaiting.append((layer, tag, later))
                    self._awaiting.sort(key=lambda a: a[2])
                self._note(start, "late", layer, f"generation not ready; starts at sample {later}")
                continue
            if isinstance(result, str):
                self._note(start, "generate_failed", layer, result)
                continue
            self.graph.start_layer(layer, NoteSchedule(result, start, self.runtime.clock))
            self.log.append({"sample": start, "time": round(start / self.sample_rate, 6), "action": "layer",
                             "position": self.runtime.position(start), "state": self.runtime.state,
                             "layer": layer, "notes": [[n.step, n.length, n.pitch] for n in result.notes],
                             "provenance": result.provenance, "why": "generated phrase starts"})

    def _note(self, sample: int, action: str, layer: str, why: str) -> None:
        self.log.append({"sample": sample, "time": round(sample / self.sample_rate, 6), "action": action,
                         "layer": layer, "why": why})
