"""Which OSC address does what, and the argument checks. No sockets here.

Built-in addresses, for every machine:
    /segue/param/<name> <number>     set a param (clamped to its range)
    /segue/event/<name> [1|0]        raise an event (a 0 argument, like a button release, does nothing)
    /segue/state/<name> [1|0]        force a state, on the sync of the machine's rule to it if any
    /segue/generate/<name>/lock [1|0]  lock a generated layer (its phrase repeats) or unlock it
    /segue/cue/<name> [1|0]          fire a cue (for a duck cue, 0 releases it)
    /segue/stinger/<name>            play a stinger on its sync point
    /segue/panic                     fade everything out now, fast (never a click)
plus the machine's own `osc:` map, e.g. /game/health -> param health.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from engine.events import Kind, Telemetry
from engine.machine.model import Machine

PREFIX = "/segue/"


class OscInputError(ValueError):
    """A message that cannot be used; the text says why, for one log line."""


@dataclass(frozen=True)
class Route:
    """What one OSC address does: its kind of telemetry, for which param, event, state, layer, cue or stinger."""

    kind: Kind
    target: str


class Router:
    def __init__(self, machine: Machine):
        self.routes: dict[str, Route] = {}
        for p in machine.params:
            self.routes[f"{PREFIX}param/{p.name}"] = Route(Kind.PARAM, p.name)
        for e in machine.events:
            self.routes[f"{PREFIX}event/{e}"] = Route(Kind.EVENT, e)
        for s in machine.states.values():
            self.routes[f"{PREFIX}state/{s.name}"] = Route(Kind.STATE, s.name)
            for g in s.generate:
                self.routes[f"{PREFIX}generate/{g}/lock"] = Route(Kind.LOCK, g)
        for c in machine.cues.values():
            self.routes[f"{PREFIX}cue/{c.name}"] = Route(Kind.CUE, c.name)
        for st in machine.stingers:
            self.routes[f"{PREFIX}stinger/{st}"] = Route(Kind.STINGER, st)
        self.routes[f"{PREFIX}panic"] = Route(Kind.CUE, "panic")
        self.duck_cues = {c.name for c in machine.cues.values() if c.action == "duck"}
        self.routes.update({address: Route(Kind(r.kind), r.target) for address, r in machine.osc.items()})

    def table(self) -> dict:
        """The routes as JSON data, for the OSC receiver process: it gets them from memory, never from the
        machine file, which may have changed (or broken) since the engine validated it."""
        return {"routes": [[a, r.kind.value, r.target] for a, r in self.routes.items()],
                "duck_cues": sorted(self.duck_cues)}

    @classmethod
    def from_table(cls, table: dict) -> "Router":
        router = cls.__new__(cls)
        router.routes = {address: Route(Kind(kind), target) for address, kind, target in table["routes"]}
        router.duck_cues = set(table["duck_cues"])
        return router

    def targets(self) -> frozenset[tuple[Kind, str]]:
        """Every (kind, name) a message can reach."""
        return frozenset((r.kind, r.target) for r in self.routes.values())

    def route(self, address: str, args: tuple | list, arrived_ns: int = 0) -> Telemetry | None:
        """The telemetry this message means, None if it deliberately does nothing; raises if it is wrong."""
        r = self.routes.get(address)
        if r is None:
            raise OscInputError(self._unknown(address))
        if r.kind is Kind.PARAM:
            if len(args) != 1:
                raise OscInputError(f"expects one number (the new value of '{r.target}'), got {len(args)} arguments")
            value = args[0]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise OscInputError(f"expects a number for '{r.target}', got {type(value).__name__} {value!r}")
            if not math.isfinite(value):
                raise OscInputError(f"expects a finite number for '{r.target}', got {value!r}")
            return Telemetry(Kind.PARAM, r.target, float(value), address, arrived_ns)
        flag = args[0] if args else 1
        if r.kind is Kind.LOCK:
            if not isinstance(flag, (bool, int, float)):
                raise OscInputError(f"expects 1 (lock) or 0 (unlock), got {flag!r}")
            return Telemetry(Kind.LOCK, r.target, 1.0 if flag else 0.0, address, arrived_ns)
        if r.kind is Kind.CUE and r.target in self.duck_cues:
            return Telemetry(Kind.CUE, r.target, 1.0 if flag else 0.0, address, arrived_ns)  # held: on, released: off
        if isinstance(flag, (bool, int, float)) and not flag:
            return None  # a button's release
        return Telemetry(r.kind, r.target, 1.0, address, arrived_ns)

    def _unknown(self, address: str) -> str:
        if address.startswith(PREFIX):
            kind = address[len(PREFIX):].split("/", 1)[0]
            known = sorted(a.rsplit("/", 1)[-1] for a, r in self.routes.items() if a.startswith(f"{PREFIX}{kind}/"))
            if known:
                return f"unknown {kind} (known: {', '.join(known)})"
        return "unknown address (see the machine's params, events, states and osc map)"
