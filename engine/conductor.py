"""The heartbeat: once per audio block, telemetry in, decisions out, applied to the graph.

Runs inside pyo's server callback, before the block is computed, so a decision made here can
still land on its exact sample within this block. It never raises and never waits on a lock.
"""
from __future__ import annotations

import time
import traceback
from collections import deque

from engine.events import EventQueue
from engine.machine.runtime import Runtime
from engine.params import ParamBank


class Conductor:
    def __init__(self, runtime: Runtime, params: ParamBank, graph, queue: EventQueue, block: int,
                 log_limit: int | None = None):
        self.runtime, self.params, self.graph, self.queue = runtime, params, graph, queue
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
        for item in self.queue.drain():
            if item.kind == "param":
                value = self.params.set(item.name, item.value)
                if item.arrived_ns:
                    self.latencies.append((item.value, item.arrived_ns, now_ns))
            elif item.kind == "event":
                events.add(item.name)
                value = 1.0
            else:
                force = item.name
                value = 1.0
            self.log.append({"sample": b0, "time": round(b0 / self.sample_rate, 6), "action": "telemetry",
                             "source": item.source, "kind": item.kind, "name": item.name, "value": value})
        self.params.advance(self.block / self.sample_rate)
        values = self.params.values()
        decisions = self.runtime.step(b0, self.block, values, frozenset(events), force)
        self.graph.apply(decisions, b0)
        self.graph.set_levels(self.runtime.levels(values))
        for d in decisions:
            entry = d.log(self.sample_rate)
            self.log.append(entry)
            if entry["action"] == "enter":
                self.announcements.append(entry)
        self.peak, self.rms = self.graph.meters()
