"""Telemetry parameters: clamped to a range, slewed so the music never jumps."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ParamSpec:
    name: str
    lo: float
    hi: float
    default: float
    smooth: float = 0.0  # seconds to glide to a new value
    hysteresis: float = 0.0  # how far back a threshold must be crossed before a condition lets go


class Param:
    """Live value of one parameter: a target set by telemetry and a value that glides to it."""

    def __init__(self, spec: ParamSpec):
        self.spec = spec
        self.target = spec.default
        self.value = spec.default
        self._rate = 0.0  # units per second of the glide in progress

    def carry(self, old: "Param") -> None:
        """Take over from the same param of the machine before a reload: same value, still gliding to its target."""
        self.value = min(self.spec.hi, max(self.spec.lo, old.value))
        self.set(old.target)

    def set(self, raw: float) -> float:
        """Set a new target; returns it clamped to the range."""
        target = min(self.spec.hi, max(self.spec.lo, float(raw)))
        self.target = target
        if self.spec.smooth <= 0:
            self.value = target
            self._rate = 0.0
        else:
            self._rate = abs(target - self.value) / self.spec.smooth
        return target

    def advance(self, seconds: float) -> None:
        if self.value == self.target:
            return
        step = self._rate * seconds
        if abs(self.target - self.value) <= step:
            self.value = self.target
        elif self.target > self.value:
            self.value += step
        else:
            self.value -= step


class ParamBank:
    def __init__(self, specs: tuple[ParamSpec, ...]):
        self.params = {s.name: Param(s) for s in specs}

    def retune(self, specs: tuple[ParamSpec, ...]) -> None:
        """A reloaded machine's params: those it keeps carry on where they are (mid-glide too), new ones start at
        their default, removed ones are gone. In place, so whoever holds this bank sees the new params."""
        old = self.params
        self.params = {s.name: Param(s) for s in specs}
        for name, param in self.params.items():
            if name in old:
                param.carry(old[name])

    def set(self, name: str, raw: float) -> float:
        return self.params[name].set(raw)

    def advance(self, seconds: float) -> None:
        for p in self.params.values():
            p.advance(seconds)

    def values(self) -> dict[str, float]:
        return {name: p.value for name, p in self.params.items()}
