"""The broadcast desk: cue actions (go, stop, fade_all, panic, duck, stinger), stingers and the gain envelopes
they automate (the master, the bed under a duck, the bed under a stinger). What waits for its sample waits in
the one time queue, the Timeline heap."""
from __future__ import annotations

from dataclasses import dataclass

from engine.fades import Envelope
from engine.machine.conditions import Latches, evaluate
from engine.machine.decisions import Automate, AutomationTarget, Decision, PlayStinger
from engine.machine.model import CueAction, DeskAction, Machine
from engine.machine.playback import Move, Pending, Playback
from engine.machine.timeline import Timed, Timeline
from engine.units import Duration

PANIC = CueAction("panic", DeskAction.PANIC, gain=0.0, time=Duration(0.02, "s"))  # /segue/panic always works
STINGER_DUCK_ATTACK = Duration(0.02, "s")
STINGER_DUCK_RELEASE = Duration(0.3, "s")
MASTER, DUCK, STINGER_DUCK = AutomationTarget


@dataclass(frozen=True)
class Automation:
    """A gain envelope waiting in the time queue for its sample (it starts from wherever its target is then)."""

    target: AutomationTarget
    points: tuple[tuple[int, float], ...]  # (samples from its start, gain), after the starting point
    why: str


class Desk:
    def __init__(self, machine: Machine, playback: Playback):
        self.machine, self.playback = machine, playback
        self.envelopes = {target: Envelope.constant(1.0) for target in AutomationTarget}
        self.timeline = Timeline()  # cue actions and stingers waiting for their sample
        self._stinger_was_true = {name: False for name in machine.stingers}
        self.stinger_ready_at: dict[str, int] = {}  # name -> the sample its cooldown ends

    def retarget(self, machine: Machine) -> None:
        """A reloaded machine: stingers it removed no longer wait to play."""
        self.machine = machine
        self._stinger_was_true = {name: False for name in machine.stingers}
        self.timeline.keep(lambda kind, payload: kind is not Timed.STINGER or payload in machine.stingers)

    # -- stingers ------------------------------------------------------------------------------
    def auto_stingers(self, now: int, latches: Latches, events: frozenset[str]) -> None:
        """A stinger fires when its condition turns true (not on every block while it stays true)."""
        for name, stinger in self.machine.stingers.items():
            if stinger.when is None:
                continue
            truth = evaluate(stinger.when, latches, events)
            rising = truth and not self._stinger_was_true[name]
            self._stinger_was_true[name] = truth
            if rising:
                self.schedule_stinger(name, now)

    def schedule_stinger(self, name: str, now: int) -> None:
        """However it is fired (its condition, a cue, OSC), a stinger waits out its cooldown."""
        stinger = self.machine.stingers.get(name)
        if stinger is None or self.stinger_ready_at.get(name, -1) > now:
            return
        at = self.playback.boundary(stinger.sync, now)
        if self.timeline.add(at, Timed.STINGER, name):
            self.stinger_ready_at[name] = at + self.playback.samples(stinger.cooldown)

    # -- cues ----------------------------------------------------------------------------------
    def cue(self, name: str, value: float, now: int) -> list[Decision]:
        cue = self.machine.cues.get(name) or (PANIC if name == "panic" else None)
        if cue is None:
            return []
        playback, why = self.playback, f"cue '{name}'"
        if cue.action == DeskAction.PANIC:  # now, fast, everything: never a click, never a wait
            playback.pending = None
            self.timeline.clear()
            return [self._automate(now, MASTER, ((playback.samples(cue.time), 0.0),), why)]
        at = playback.boundary(cue.sync, now)
        if cue.action == DeskAction.GO:
            move = playback.forced(cue.target)
            if move:
                playback.pending = Pending(at, Move(cue.target, cue.sync, move.fade, move.start, move.bridge, (), why))
            if self.envelopes[MASTER].end == 0.0:  # after a stop or a panic, `go` brings the music back
                fade_in = move.fade.fade_in if move else self.machine.default_fade.fade_in
                self.timeline.add(at, Timed.AUTOMATE, Automation(MASTER, ((playback.ramp(fade_in), 1.0),), why))
        elif cue.action == DeskAction.STINGER:
            self.schedule_stinger(cue.target, now)
        elif cue.action in (DeskAction.STOP, DeskAction.FADE_ALL):
            self.timeline.add(at, Timed.AUTOMATE, Automation(MASTER, ((playback.ramp(cue.time), cue.gain),), why))
        elif cue.action == DeskAction.DUCK:
            on = value >= 0.5
            length = playback.ramp(cue.time if on else cue.release)
            self.timeline.add(at, Timed.AUTOMATE,
                              Automation(DUCK, ((length, cue.gain if on else 1.0),), why + (" on" if on else " off")))
        return []

    # -- what the time queue holds ---------------------------------------------------------------
    def run_next(self, block_start: int) -> list[Decision]:
        """The next waiting item; one held over from a busier block plays at this block's start."""
        at, kind, payload = self.timeline.pop()
        at = max(at, block_start)
        if kind is Timed.AUTOMATE:
            return [self._automate(at, payload.target, payload.points, payload.why)]
        stinger = self.machine.stingers[payload]
        playback = self.playback
        out: list[Decision] = [PlayStinger(at, playback.position(at), playback.state, f"stinger '{payload}'",
                                           payload, stinger.oneshot, stinger.gain)]
        if stinger.duck is not None:
            attack, release = playback.samples(STINGER_DUCK_ATTACK), playback.samples(STINGER_DUCK_RELEASE)
            hold = max(attack, stinger.samples - release)
            out.append(self._automate(at, STINGER_DUCK, ((attack, stinger.duck), (hold, stinger.duck),
                                                         (hold + release, 1.0)), f"stinger '{payload}' ducks"))
        return out

    def _automate(self, at: int, target: AutomationTarget, points: tuple[tuple[int, float], ...],
                  why: str) -> Automate:
        """A gain envelope that starts from wherever the target is at `at`, so it never steps."""
        full = ((0, self.envelopes[target].at(at)),) + tuple(points)
        self.envelopes[target] = Envelope.of(at, full)
        return Automate(at, self.playback.position(at), self.playback.state, why, target, full)
