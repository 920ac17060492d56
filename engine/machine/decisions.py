"""What the runtime decides, each stamped with the sample at which it takes effect."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import NamedTuple

from engine.fades import Envelope, FadeCurve
from engine.machine.phrase import PhraseRequest


class AutomationTarget(StrEnum):
    """The gains the broadcast desk automates (Automate decisions)."""

    MASTER = "master"  # the whole mix: stop, fade_all, panic, and `go` bringing the music back
    DUCK = "duck"  # the bed under a held duck cue
    STINGER_DUCK = "stinger_duck"  # the bed under a stinger that ducks


@dataclass(frozen=True)
class Decision:
    sample: int  # absolute sample on the audio clock
    position: str  # bar:beat in the music that is playing at that sample
    state: str  # the state the machine is in once this takes effect
    why: str

    action = "decision"

    def log(self, sample_rate: int) -> dict:
        entry = {"sample": self.sample, "time": round(self.sample / sample_rate, 6), "action": self.action}
        entry.update(asdict(self))
        return entry


@dataclass(frozen=True)
class Scheduled(Decision):
    """A transition was decided now and waits for its sync point (logged at the deciding sample)."""

    target: str
    at: int
    sync: str
    action = "schedule"


@dataclass(frozen=True)
class EnterState(Decision):
    source: str | None
    target: str
    via: str | None  # bridge segment played on the way, if any
    action = "enter"


@dataclass(frozen=True)
class StartSegment(Decision):
    segment: str
    offset: int  # samples into the segment at which playback starts
    action = "start"


@dataclass(frozen=True)
class Fade(Decision):
    segment: str
    stem: str
    start: float  # linear gain at `sample`
    target: float
    samples: int  # ramp length; never below the minimum ramp
    curve: FadeCurve
    action = "fade"

    def envelope(self) -> Envelope:
        """The stem's gain from `sample` on, as the runtime counts it and the mix plays it."""
        return Envelope.fade(self.sample, self.start, self.target, self.samples, self.curve)


@dataclass(frozen=True)
class GenerateLayer(Decision):
    """Ask the model for a phrase of a generated layer, to start playing at `start` (a bar line)."""

    layer: str  # '<state>.<name>'
    name: str
    start: int
    variation: int
    request: PhraseRequest
    program: int  # General MIDI
    continues: bool = False  # develop the layer's last phrase (its notes are known where phrases come back)
    answers: str | None = None  # the layer ('<state>.<name>') whose phrase over the same bars this one answers
    action = "generate"


@dataclass(frozen=True)
class RevoiceLayer(Decision):
    """Play a generated layer's phrase on another instrument from its next repeat: the same notes, played again."""

    layer: str  # '<state>.<name>'
    program: int  # General MIDI
    action = "revoice"


@dataclass(frozen=True)
class StopLayer(Decision):
    layer: str
    samples: int  # fade-out length
    action = "stop_layer"


@dataclass(frozen=True)
class PlayStinger(Decision):
    stinger: str
    oneshot: str
    gain: float
    action = "stinger"


@dataclass(frozen=True)
class Automate(Decision):
    """A gain envelope on the master, the bed under a cue duck or the bed under stingers."""

    target: AutomationTarget
    points: tuple[tuple[int, float], ...]  # (samples from `sample`, gain)
    action = "automate"

    def envelope(self) -> Envelope:
        return Envelope.of(self.sample, self.points)


@dataclass(frozen=True)
class Reloaded(Decision):
    """A new version of the state machine took over at this sample (hot reload)."""

    path: str
    action = "reload"


class StemLevel(NamedTuple):
    """The level of one stem of a segment: a key of Runtime.levels() (a tuple: hashed and compared in C, every
    block, for every stem that plays)."""

    segment: str
    stem: str


class LayerLevel(NamedTuple):
    """The level of one generated layer ('state.name'): a key of its own length, so no stem's can equal it."""

    layer: str
