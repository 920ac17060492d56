"""OSC feedback from the audio block's point of view: what it saw in a block (a Snapshot the heartbeat fills) turned
into messages for subscribers (beats, bars, state changes, meters, params, layer gains, the next transition) and
status replies. The addresses live here; the sending is Feedback's (engine/osc/feedback.py)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from engine.events import Telemetry
from engine.machine.decisions import Decision, EnterState
from engine.osc.feedback import Feedback


@dataclass
class Snapshot:
    """One block as feedback sees it; filled in place by the heartbeat (no allocation on most blocks)."""

    sample: int = 0  # the block's first sample
    beat: tuple[int, int] | None = None  # (bar, beat) from 1 of a beat starting in this block
    report: bool = False  # a meter report is due in this block (every 100 ms)
    # the fields below are this block's only when it has a report or a status query to answer
    state: str = ""
    bar_beat: tuple[int, int] = (1, 1)  # where the block starts
    bpm: float = 0.0
    peak: float = 0.0  # linear, over the last block
    rms: float = 0.0
    true_peak: float = 0.0  # linear, the highest since the start
    lufs_m: float = -70.0
    lufs_s: float = -70.0
    lufs_i: float = -70.0
    params: dict[str, float] = field(default_factory=dict)
    layers: dict[str, float] = field(default_factory=dict)  # 'segment.stem' -> gain heard (fade x level)
    next: tuple[str, float] = ("", -1.0)  # the transition scheduled and the seconds until it, or ("", -1)


def _db(x: float) -> float:
    return -120.0 if x <= 1e-6 else 20 * math.log10(x)


class Publisher:
    def __init__(self, feedback: Feedback):
        self.feedback = feedback
        self._published: dict[tuple[str, str], object] = {}
        self._audience = 0

    @property
    def listening(self) -> bool:
        return self.feedback.listening

    def decided(self, decision: Decision, entry: dict) -> None:
        """A sink listener: state changes go out as they are decided."""
        if isinstance(decision, EnterState):
            self.feedback.publish("/segue/state", decision.target)
            self._published[("/segue/state", "")] = decision.target

    def control(self, item: Telemetry, snap: Snapshot) -> None:
        """subscribe, unsubscribe or status from `item.source` (an IP), answering to port `item.value`."""
        target = (item.source, int(item.value))
        if item.name == "subscribe":
            self.feedback.subscribe(*target)
        elif item.name == "unsubscribe":
            self.feedback.unsubscribe(*target)
        else:
            self.feedback.reply(target, "/segue/status", *self.status(snap))

    @staticmethod
    def status(snap: Snapshot) -> tuple:
        """What /segue/status answers: state, bar, beat, tempo, peak dBFS, momentary and integrated LUFS."""
        return (snap.state, *snap.bar_beat, float(snap.bpm), _db(snap.peak), snap.lufs_m, snap.lufs_i)

    def publish(self, snap: Snapshot) -> None:
        """The block's messages to subscribers: meters and what changed (every 100 ms), then beats and bars."""
        if not self.feedback.listening:
            return
        if snap.report:
            self.feedback.publish("/segue/meter", _db(snap.peak), _db(snap.rms), snap.lufs_m, snap.lufs_s,
                                  snap.lufs_i, _db(snap.true_peak))
            self._publish_changes(snap)
        if snap.beat is not None:
            bar, beat = snap.beat
            self.feedback.publish("/segue/beat", bar, beat)
            if beat == 1:
                self.feedback.publish("/segue/bar", bar)

    def _publish_changes(self, snap: Snapshot) -> None:
        """The state, params, layer gains and the next scheduled transition, when they changed. Someone new is
        told everything within 100 ms: a subscriber that sends an event right after subscribing may have missed
        the state change it caused (the subscription and the event travel apart), but not the state it is in."""
        if len(self.feedback.subscribers) != self._audience:  # someone new: tell everything again
            self._audience = len(self.feedback.subscribers)
            self._published.clear()
        now: dict[tuple[str, str], object] = {("/segue/param", name): round(v, 4) for name, v in snap.params.items()}
        now.update({("/segue/layer", name): round(g, 4) for name, g in snap.layers.items()})
        now[("/segue/next", "")] = snap.next
        now[("/segue/state", "")] = snap.state
        for (address, name), value in now.items():
            if self._published.get((address, name)) != value:
                self._published[(address, name)] = value
                args = value if isinstance(value, tuple) else (name, value) if name else (value,)
                self.feedback.publish(address, *args)
