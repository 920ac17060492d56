"""The authored state machine as immutable data. What changes while it plays lives in the runtime's parts
(playback.py, desk.py, layers.py); the loader is engine/score/loader.py."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Mapping

from engine.errors import Problem
from engine.fades import FadeCurve
from engine.machine.conditions import Condition
from engine.machine.reach import PREVIOUS, ReachTable, StartMode  # noqa: F401 - part of the model's vocabulary
from engine.machine.table import ANY, TransitionTable  # noqa: F401 - ANY is part of the model's vocabulary
from engine.params import ParamSpec
from engine.roles import STYLE, Role, Style
from engine.stems.pack import Pack
from engine.units import SILENCE_DB, ZERO, Duration, db_to_gain

@dataclass(frozen=True)
class Curve:
    """Gain in dB as a piecewise-linear function of a param; interpolated in dB, -inf is silence."""

    param: str
    points: tuple[tuple[float, float], ...]  # (param value, dB), sorted by value

    def gain(self, x: float) -> float:
        pts = self.points
        if x <= pts[0][0]:
            return db_to_gain(pts[0][1])
        for (x0, d0), (x1, d1) in zip(pts, pts[1:]):
            if x <= x1:
                d0, d1 = max(d0, SILENCE_DB), max(d1, SILENCE_DB)
                t = 0.0 if x1 == x0 else (x - x0) / (x1 - x0)
                return db_to_gain(d0 + (d1 - d0) * t)
        return db_to_gain(pts[-1][1])


@dataclass(frozen=True)
class Layer:
    """How loud one stem plays in a state: a fixed gain, or a curve that follows a param."""

    stem: str
    db: float = 0.0
    curve: Curve | None = None

    @property
    def static_gain(self) -> float:
        return 1.0 if self.curve else db_to_gain(self.db)


@dataclass(frozen=True)
class Generated:
    """A layer the model writes while the state plays, over the segment's chords."""

    name: str
    role: Role
    program: int  # the General MIDI instrument its phrases are played on (engine/gm.py)
    register: tuple[int, int]  # MIDI notes
    density: float  # 0..1, used when no param drives it
    density_param: str | None
    seed: int
    temperature: float
    bars: int  # length of one generated phrase; it repeats until regenerated
    regenerate: int | None  # bars between fresh variations (None: keep the first)
    lock: bool
    gain: Layer
    pan: float = 0.0  # -1 left .. 1 right: the layer's one place in the stereo field
    style: Style = STYLE  # what the model writes like
    continues: bool = False  # each phrase develops the last (`continue: true`)
    motif: tuple[tuple[int, int, int], ...] = ()  # a designer's motif (step, length, pitch), developed
    motif_steps: int = 0
    answers: str | None = None  # another generated layer of the state, whose phrases this one answers


@dataclass(frozen=True)
class State:
    name: str
    segment: str
    layers: Mapping[str, Layer]
    then: str | None = None  # state to enter when the segment ends ('previous' = where we came from)
    generate: Mapping[str, Generated] = field(default_factory=dict)


class SyncKind(StrEnum):
    IMMEDIATE = "immediate"
    BEAT = "beat"
    BAR = "bar"
    BARS = "bars"  # every n bars, counted from the segment's start
    SEGMENT_END = "segment_end"
    CUE_POINT = "cue"  # a named position in the segment (engine.stems.pack.CuePoint)


@dataclass(frozen=True)
class Sync:
    """Where a move may happen: immediate, beat, bar, every n bars, segment_end, or a cue point."""

    kind: SyncKind
    every: int = 1
    point: str = ""  # the cue point's name (kind CUE_POINT)

    def __str__(self) -> str:
        if self.kind == SyncKind.BARS:
            return f"{self.every} bars"
        return f"cue {self.point}" if self.kind == SyncKind.CUE_POINT else str(self.kind)


@dataclass(frozen=True)
class FadeSpec:
    """How a transition fades: the destination in, the source out, and the curve of both."""

    fade_in: Duration
    fade_out: Duration
    curve: FadeCurve = FadeCurve.EQUAL_POWER


NO_FADE = FadeSpec(ZERO, ZERO)  # a cut, softened only by the minimum ramp


@dataclass(frozen=True)
class Transition:
    index: int  # position in the file: earlier rules win
    source: str  # a state name or 'any'
    target: str
    when: Condition
    when_text: str
    sync: Sync
    fade: FadeSpec
    start: StartMode | None  # None: START for a new segment, SAME_POSITION for the same one
    bridge: str | None
    cooldown: Duration


class RouteKind(StrEnum):
    PARAM = "param"
    EVENT = "event"
    STATE = "state"


@dataclass(frozen=True)
class OscRoute:
    """What one OSC address does: set a param, raise an event or force a state."""

    kind: RouteKind
    target: str


@dataclass(frozen=True)
class Stinger:
    """A one-shot played over the music on a beat or bar, optionally ducking the bed under it."""

    name: str
    oneshot: str  # name in the pack's oneshots
    when: Condition | None  # fires on the rising edge; None: only by cue or OSC
    when_text: str
    sync: Sync
    cooldown: Duration  # however it is fired (condition, cue, OSC), it plays at most once per cooldown
    gain: float  # linear
    duck: float | None  # linear gain of the bed while it plays
    samples: int  # length of the one-shot


STINGER_COOLDOWN = Duration(1.0, "beats")  # when the machine names none: a one-shot retriggered faster is a stutter


class DeskAction(StrEnum):
    """What a broadcast cue does (the key that names it in the machine's `cues:`)."""

    GO = "go"  # move to a state
    STOP = "stop"  # fade the master out
    FADE_ALL = "fade_all"  # fade the master to a level
    PANIC = "panic"  # everything out now
    DUCK = "duck"  # lower the bed while held
    STINGER = "stinger"  # fire a stinger


@dataclass(frozen=True)
class CueAction:
    """A named action for the broadcast desk, fired by /segue/cue/<name>."""

    name: str
    action: DeskAction
    target: str = ""  # the state (go) or stinger (stinger)
    gain: float = 1.0  # fade_all: the level to reach; duck: the bed's level while ducked
    time: Duration = ZERO  # stop/fade_all length, duck attack
    release: Duration = ZERO  # duck release
    sync: Sync = field(default_factory=lambda: Sync(SyncKind.IMMEDIATE))


@dataclass(frozen=True)
class Sidechain:
    """Duck the bed under a live input (a commentary mic): the louder the input, the lower the bed."""

    input: int  # 1-based input channel
    threshold_db: float  # input level at which the duck is complete
    depth: float  # linear gain of the bed at full duck
    attack: float  # seconds
    release: float


@dataclass(frozen=True)
class Machine:
    path: Path
    pack: Pack
    params: tuple[ParamSpec, ...]
    events: tuple[str, ...]
    initial: str
    states: Mapping[str, State]
    transitions: tuple[Transition, ...]
    osc: Mapping[str, OscRoute]
    default_sync: Sync  # `defaults:` (already applied to the rules): for forced moves, and `then`'s fade
    default_fade: FadeSpec
    stingers: Mapping[str, Stinger] = field(default_factory=dict)
    cues: Mapping[str, CueAction] = field(default_factory=dict)
    sidechain: Sidechain | None = None
    notes: tuple[Problem, ...] = ()  # what `validate` mentions without failing (a state only OSC can enter)
    table: TransitionTable = field(init=False, repr=False, compare=False)
    reach: ReachTable = field(init=False, repr=False, compare=False)  # what each state can start in one step

    def __post_init__(self):
        object.__setattr__(self, "table", TransitionTable(tuple(self.states), self.transitions))
        go = tuple(c.target for c in self.cues.values() if c.action == DeskAction.GO)
        object.__setattr__(self, "reach", ReachTable(self.pack, self.states, self.table, go))
