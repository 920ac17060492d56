"""What a generated layer asks the model for, one phrase at a time: the conditioning a musician would give a
player (role, style, key, the bars' chords, density, register, meter) and how freely to sample. Pure data: the
runtime writes it into a GenerateLayer decision, the generation process reads it (engine/generate/model.py)."""
from __future__ import annotations

from dataclasses import dataclass

from engine.errors import SegueError
from engine.meter import Meter
from engine.roles import DEFAULTS, DENSITY, HIGH, LOW, STYLE, Role, Style


MAX_LINE_STEPS = 64 * 32  # a motif or a call: as long as a layer's phrase may be (64 bars of up to 32 sixteenths)


def line_of(notes, steps: int, offset: int = 0) -> tuple[tuple[tuple[int, int, int], ...], int]:
    """A phrase's notes as a request's motif or call: one line, (step, length, pitch) in order (where a designer's
    motif has a chord, its top note), and its length; `offset`: the 16th of the phrase (repeating) that is to line
    up with the request's first."""
    top: dict[int, tuple[int, int, int]] = {}
    for n in notes:
        step = (n.step - offset) % steps
        if step not in top or n.pitch > top[step][2]:
            top[step] = (step, n.length, n.pitch)
    return tuple(sorted(top.values())), steps


@dataclass(frozen=True)
class PhraseRequest:
    role: Role | str  # a Role, or its name
    key: str
    chords: tuple[str, ...]  # one per bar, repeated if shorter than `bars`
    bars: int = 4
    density: float = DENSITY  # 0..1
    register: tuple[int, int] | None = None  # MIDI notes; None: the role's (engine/roles.py)
    seed: int = 0
    temperature: float = 0.9
    top_k: int = 8
    chord_push: float = 1.5  # added to the logits of chord tones on strong beats (engine/meter.py)
    key_push: float = 2.0  # taken from the logits of notes outside the key
    meter: tuple[int, int] = (4, 4)  # the pack's time signature
    style: Style | str = STYLE  # a Style, or its name
    # a phrase to develop (the layer's last, with `continue: true`, or a designer's motif): (step, length, MIDI
    # pitch) over `motif_steps` 16ths; the new one leans toward its rhythm and intervals, the model free to vary
    motif: tuple[tuple[int, int, int], ...] = ()
    motif_steps: int = 0
    # the phrase this one answers (call and response), from this one's first step: it plays in the call's gaps,
    # echoing its intervals a beat later
    call: tuple[tuple[int, int, int], ...] = ()
    call_steps: int = 0

    def __post_init__(self):
        if self.role not in tuple(Role):
            raise SegueError(f"unknown role '{self.role}' (roles: {', '.join(Role)})")
        if self.register is None:
            object.__setattr__(self, "register", DEFAULTS[Role(self.role)].register)
        lo, hi = self.register
        if not LOW <= lo < hi <= HIGH or hi - lo < 12:
            raise SegueError(f"register [{lo}, {hi}] must span at least an octave within MIDI {LOW}..{HIGH}")
        if not self.chords:
            raise SegueError("a generated layer needs at least one chord")
        if self.style not in tuple(Style):
            raise SegueError(f"unknown style '{self.style}' (styles: {', '.join(Style)})")
        Meter(*self.meter)  # says what is wrong with a meter
        for what, notes, steps in (("motif", self.motif, self.motif_steps), ("call", self.call, self.call_steps)):
            if notes and not (0 < steps <= MAX_LINE_STEPS and len(notes) <= steps and
                              all(0 <= s < steps and 0 < n and 0 <= p <= 127 for s, n, p in notes)):
                raise SegueError(f"a {what} must be notes (step, length, pitch) within its {steps} sixteenths, "
                                 f"at most {MAX_LINE_STEPS}")

    @property
    def bar_meter(self) -> Meter:
        return Meter(*self.meter)

    @property
    def steps_per_bar(self) -> int:
        """16ths in the pack's bar: 16 in 4/4, 12 in 3/4 and 6/8."""
        return self.bar_meter.steps_per_bar
