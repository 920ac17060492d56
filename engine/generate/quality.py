"""Musicality of note lines, measured one way for generated phrases (tests, the benchmark, the model card) and for
the corpus's own lines (training writes those figures into metrics.json beside the model).

A line is its notes and, per 16th, whether it falls on a felt beat. Shares: repeated notes (the same pitch as the
note before), steps (1 or 2 semitones), off-beat onsets. A style classifier (logistic regression on standardised
rhythm and interval histograms) is fitted on the corpus at training time and tells generated phrases apart.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.generate.encoding import BEAT, SIXTEENTH, Note
from engine.generate.model import LayerModel
from engine.harmony import parse_chord, parse_key
from engine.machine.phrase import PhraseRequest
from engine.meter import Meter, parse_meter
from engine.roles import DEFAULTS, STYLE, Style

REGISTERS = {str(role): defaults.register for role, defaults in DEFAULTS.items()}  # each role in its own register
LENGTHS = (1, 2, 3, 4, 6, 8)  # note-length bins (16ths): up to each, and longer
INTERVALS = (0, 2, 4, 7)  # |interval| bins (semitones): up to each, and wider
PHRASE_BARS = 4


@dataclass(frozen=True)
class Musicality:
    in_key: float  # share of notes whose pitch class is in the key's mode
    chord_tones: float  # share of notes on strong beats (Meter.strong) that are tones of that bar's chord
    notes: int


def on_beats(meter: Meter, steps: int) -> np.ndarray:
    return np.array([meter.position(s)[1] == 0 for s in range(steps)])


def corpus_beats(conds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per 16th of a corpus line: on a felt beat; on a bar line."""
    beat = conds[:, SIXTEENTH] > 0.5
    return beat, beat & (conds[:, BEAT] > 0.5)


def shares(lines: list[tuple[list[Note], np.ndarray]]) -> dict:
    """Repeated-note, step and off-beat-onset shares over lines of (notes, on-beat flags per 16th)."""
    pairs = repeated = stepwise = onsets = off = 0
    for notes, beat in lines:
        intervals = np.abs(np.diff([n.pitch for n in notes]))
        pairs += len(intervals)
        repeated += int((intervals == 0).sum())
        stepwise += int(((intervals >= 1) & (intervals <= 2)).sum())
        onsets += len(notes)
        off += sum(1 for n in notes if not beat[n.step])
    return {"repeated": repeated / max(pairs, 1), "steps": stepwise / max(pairs, 1), "off_beat": off / max(onsets, 1),
            "notes": onsets}


def features(notes: list[Note], beat: np.ndarray, steps: int) -> np.ndarray:
    """What the style classifier sees of a phrase: where in the beat notes start, how long they are and how even
    the pulse is, how they move and how far, and how busy the phrase is."""
    where = np.zeros(3)  # on the beat, on an 8th within it, on a 16th between
    for n in notes:
        since = next(k for k in range(0, 9) if n.step - k <= 0 or beat[n.step - k])
        where[0 if since == 0 else 1 if since % 2 == 0 else 2] += 1
    lengths = np.array([n.length for n in notes])
    pitches = np.array([n.pitch for n in notes])
    moves = np.diff(pitches)
    count = max(len(notes), 1)
    held = np.histogram(lengths, bins=(0.5, *[b + 0.5 for b in LENGTHS], 1e9))[0] / count
    motion = np.histogram(np.abs(moves), bins=(-0.5, *[b + 0.5 for b in INTERVALS], 1e9))[0] / max(len(moves), 1)
    dotted = np.mean([(a, b) in ((3, 1), (6, 2)) for a, b in zip(lengths, lengths[1:])]) if len(notes) > 1 else 0.0
    per_beat = np.diff(np.searchsorted([n.step for n in notes], np.append(np.flatnonzero(beat), steps)))
    return np.concatenate([where / count, held, motion,
                           [len(notes) / steps, lengths.sum() / steps, (pitches.max() - pitches.min()) / 12 if
                            len(notes) else 0.0, dotted, per_beat.std() if len(per_beat) else 0.0,
                            lengths.max() / steps if len(notes) else 0.0,
                            float(np.mean(moves > 0)) if len(moves) else 0.5]])


class StyleClassifier:
    """Multinomial logistic regression on standardised features, each style weighted equally: simple on purpose,
    so that telling styles apart is the lines' doing, not the classifier's."""

    def __init__(self, names: list[str], weights: list[list[float]], bias: list[float], mean: list[float],
                 scale: list[float]):
        self.names = list(names)
        self.weights, self.bias = np.array(weights), np.array(bias)
        self.mean, self.scale = np.array(mean), np.array(scale)

    @classmethod
    def fit(cls, samples: dict[str, list[np.ndarray]], steps: int = 2000, rate: float = 0.5) -> StyleClassifier:
        names = sorted(samples)
        x = np.concatenate([np.array(samples[n]) for n in names])
        y = np.concatenate([[k] * len(samples[n]) for k, n in enumerate(names)])
        mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
        z = (x - mean) / scale
        weight = (1.0 / np.bincount(y))[y]
        weight /= weight.mean()
        w, b = np.zeros((z.shape[1], len(names))), np.zeros(len(names))
        for _ in range(steps):
            logits = z @ w + b
            p = np.exp(logits - logits.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(y)), y] -= 1.0
            p *= weight[:, None]
            w -= rate * (z.T @ p / len(y) + 1e-3 * w)
            b -= rate * p.mean(axis=0)
        return cls(names, w.tolist(), b.tolist(), mean.tolist(), scale.tolist())

    def to_dict(self) -> dict:
        return {"names": self.names, "weights": self.weights.tolist(), "bias": self.bias.tolist(),
                "mean": self.mean.tolist(), "scale": self.scale.tolist()}

    def predict(self, feature: np.ndarray) -> str:
        return self.names[int(np.argmax(((feature - self.mean) / self.scale) @ self.weights + self.bias))]


# Material the training never saw: keys, modes, meters and lead-sheet progressions of the kinds packs use
# (the corpus's bars are read as triads, sevenths and sus4 in major and minor; none of these are its pieces).
EVALUATION = (
    ("E minor", "4/4", ("Em", "Am", "B7", "Em")),
    ("Bb major", "4/4", ("Bb", "Gm", "Cm7", "F7")),
    ("F major", "4/4", ("Gm7", "C7", "Fmaj7", "Fmaj7")),
    ("D dorian", "4/4", ("Dm7", "G7", "Dm7", "G7")),
    ("G mixolydian", "4/4", ("G", "F", "C", "G")),
    ("A minor", "3/4", ("Am", "Dm", "E7", "Am")),
    ("D major", "6/8", ("D", "G", "A7", "D")),
    ("C major", "12/8", ("C", "F", "G7", "C")),
    ("G major", "2/4", ("G", "C", "D7", "G")),
)
CHARACTERISTIC = {"D dorian": (11, 10), "G mixolydian": (5, 6)}  # the mode's own note, and what a key push makes it
VOICES = (("bass", "chorale"), ("counter", "chorale"), ("arpeggio", "chorale"), ("melody", "chorale"),
          ("melody", "folk"), ("melody", "fiddle"))
DENSITIES = (0.0, 0.25, 0.5, 0.75, 1.0)
STYLE_METERS = ("4/4", "3/4")  # the meters all three styles' corpora hold (no chorale is in 6/8 or 2/4)
MODEL_ALONE = {"chord_push": 0.0, "key_push": 0.0}


def _phrases(model: LayerModel, role: str, style: str, seeds: int, density: float = 0.5, register=None,
             material=EVALUATION, sampling=MODEL_ALONE):
    """(meter, key, chords, register, notes) of each progression and seed; by default the evaluation material,
    sampled by the model alone."""
    for key, meter, chords in material:
        bar = parse_meter(meter)
        for seed in range(seeds):
            request = PhraseRequest(role, key, chords, len(chords), density, register or REGISTERS[role], seed,
                                    meter=(bar.beats, bar.unit), style=style, **sampling)
            yield bar, key, chords, request.register, model.generate(request).notes


def voice_figures(model: LayerModel, role: str, style: str, seeds: int, register=None, material=EVALUATION,
                  sampling=MODEL_ALONE) -> dict:
    notes_in_mode = strong = on_chord = total = edges = 0
    kept = {name: [0, 0] for name in CHARACTERISTIC}
    lines = []
    for meter, key, chords, (lo, hi), notes in _phrases(model, role, style, seeds, register=register,
                                                        material=material, sampling=sampling):
        scale = parse_key(key).pcs
        lines.append((list(notes), on_beats(meter, meter.steps_per_bar * len(chords))))
        for n in notes:
            total += 1
            notes_in_mode += n.pitch % 12 in scale
            edges += n.pitch in (lo, hi)
            if meter.strong(n.step):
                strong += 1
                on_chord += n.pitch % 12 in parse_chord(chords[n.step // meter.steps_per_bar]).tones
            if key in CHARACTERISTIC:
                own, pushed = CHARACTERISTIC[key]
                kept[key][0] += n.pitch % 12 == own
                kept[key][1] += n.pitch % 12 == pushed
    return {"in_mode": notes_in_mode / max(total, 1), "chord_tones": on_chord / max(strong, 1),
            "edges": edges / max(total, 1), "characteristic": {k: v[0] / max(sum(v), 1) for k, v in kept.items()},
            **shares(lines)}


def musicality(model: LayerModel, key: str, progressions: list[tuple[str, ...]], role: str, seeds: int = 6,
               meter: str = "4/4", **sampling) -> Musicality:
    """In key and on chord tones over a pack's own progressions, sampled as asked (the engine's pushes by default)."""
    f = voice_figures(model, role, STYLE, seeds, material=[(key, meter, chords) for chords in progressions],
                      sampling=sampling)
    return Musicality(f["in_mode"], f["chord_tones"], f["notes"])


def evaluate(model: LayerModel, metrics: dict, seeds: int = 20) -> dict:
    """Every figure issue #12 names, model alone, on EVALUATION; the corpus's own shares come from metrics.json."""
    voices = {f"{role}/{style}": voice_figures(model, role, style, seeds) for role, style in VOICES}
    fitted = metrics["style_classifier"]
    classifier = StyleClassifier(**{k: fitted[k] for k in ("names", "weights", "bias", "mean", "scale")})
    right = count = 0
    for style in Style:
        for meter, _, chords, _, notes in _phrases(model, "melody", style, seeds):
            steps = meter.steps_per_bar * len(chords)
            if len(notes) >= 4 and str(meter) in STYLE_METERS:
                right += classifier.predict(features(list(notes), on_beats(meter, steps), steps)) == style
                count += 1
    density = {role: [float(np.mean([len(n) / len(c) for _, _, c, _, n in _phrases(model, role, "chorale",
                                                                                    max(2, seeds // 4), d)]))
                      for d in DENSITIES] for role, _ in VOICES[:4]}
    far = voice_figures(model, "melody", "chorale", max(2, seeds // 2), register=(72, 96))
    return {"seeds": seeds, "voices": voices, "style_accuracy": right / max(count, 1), "style_phrases": count,
            "density": density, "far_register": {"edges": far["edges"], "notes": far["notes"]}}


def evaluation_report(metrics: dict, seeds: int = 20) -> str:
    """The card's section: figures beside the corpus's own lines for the same role and style."""
    from engine.generate.model import DEFAULT_MODEL  # noqa: PLC0415

    model = LayerModel(DEFAULT_MODEL)
    figures, growth = evaluate(model, metrics, seeds), growth_figures(model, seeds)
    corpus = metrics["corpus_lines"]
    rows = []
    for name, f in figures["voices"].items():
        c = corpus.get(name, {})
        rows.append(f"| {name} | {f['in_mode']:.1%} | {f['chord_tones']:.1%} | {f['repeated']:.1%} "
                    f"({c.get('repeated', float('nan')):.1%}) | {f['steps']:.1%} ({c.get('steps', float('nan')):.1%}) | "
                    f"{f['off_beat']:.1%} ({c.get('off_beat', float('nan')):.1%}) | {f['edges']:.1%} | "
                    f"{' / '.join(f'{v:.0%}' for v in f['characteristic'].values())} |")
    density = "; ".join(f"{role} {' < '.join(f'{v:.1f}' for v in values)}" for role, values in figures["density"].items())
    keys = ", ".join(f"{k} {m} ({' '.join(c)})" for k, m, c in EVALUATION)
    return f"""{seeds} seeds a progression, density 0.5, each role's default register, no push toward key or chord.
Progressions: {keys}. In mode: notes whose pitch class is in the key's mode (minor: natural minor and the
leading tone). Chord tones: notes on strong beats (the downbeat; beats 1 and 3 of 4/4, 1 and 4 of 12/8) that are
tones of the bar's chord symbol. Repeated, steps, off-beat: as in the corpus's own held-out lines of that role
and style, in brackets. Edges: notes on the register's two edge notes. Mode's note kept: the share of B against
Bb in D dorian and of F against F# in G mixolydian.

| role/style | in mode | chord tones, strong beats | repeated (corpus) | steps (corpus) | off-beat onsets (corpus) | on the register's edges | mode's note kept (dorian / mixolydian) |
|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

Style: the logistic-regression classifier fitted on the corpus's training melodies ({metrics['style_classifier']['held_out_accuracy']:.1%}
right on the held-out melodies' 4-bar windows) names the style asked for in **{figures['style_accuracy']:.1%}** of
{figures['style_phrases']} generated 4-bar melodies (chorale, folk, fiddle; the progressions above in
{' and '.join(STYLE_METERS)}, the meters all three corpora hold).
Density, notes a bar at density {', '.join(str(d) for d in DENSITIES)}: {density}. A melody asked for MIDI 72-96:
{figures['far_register']['edges']:.1%} of {figures['far_register']['notes']} notes on the two edge notes.

Phrases that grow from others (`engine/generate/develop.py`; sampled as the engine samples, with its push
toward key and chord; {growth['phrases']} phrases of melody, counter, bass and arpeggio over the progressions
above): a phrase written with the one before as its motif (`continue: true`) shares **{growth['developed']:.1%}**
of its 4-note shapes (three intervals and their lengths) with it, against {growth['fresh']:.1%} for a phrase
written afresh over the same bars, and is that phrase again in {growth['same_again']:.1%}. A counter-melody
answering a melody (`answers:`) starts **{growth['answer_onsets']:.1%}** of its notes with the melody's (written
afresh beside it: {growth['free_onsets']:.1%}) and has **{growth['answer_intervals']:.1%}** of its runs of three
intervals in the melody (afresh: {growth['free_intervals']:.1%})."""


def shape_grams(notes) -> set[tuple]:
    """A line's 4-note shapes: each run of three (interval, length) steps, pitch and place aside."""
    line = sorted(notes, key=lambda n: n.step)
    moves = [(b.pitch - a.pitch, a.length) for a, b in zip(line, line[1:])]
    return {tuple(moves[i:i + 3]) for i in range(len(moves) - 2)}


def interval_grams(notes) -> set[tuple]:
    """A line's runs of three intervals, rhythm aside."""
    line = sorted(notes, key=lambda n: n.step)
    moves = [b.pitch - a.pitch for a, b in zip(line, line[1:])]
    return {tuple(moves[i:i + 3]) for i in range(len(moves) - 2)}


def shared(grams, line, source) -> float:
    """The share of `line`'s grams (shape_grams or interval_grams) that `source` also has."""
    mine = grams(line)
    return len(mine & grams(source)) / max(len(mine), 1)


def onsets_with(line, other) -> float:
    """The share of `line`'s notes that start on a 16th where `other` starts one."""
    starts = {n.step for n in other}
    return sum(n.step in starts for n in line) / max(len(line), 1)


def growth_figures(model: LayerModel, seeds: int, material=EVALUATION) -> dict:
    """Phrases that grow from others (engine/generate/develop.py), on the evaluation material, with the sampling
    the engine uses. Development: a phrase written with the one before as its motif against one written afresh
    (another seed): the shapes it shares with the one before, and how often it is that phrase again. Call and
    response: a counter-melody answering a melody against one written beside it afresh: the share of its notes
    starting with the melody's, and of its runs of three intervals the melody has."""
    developed, fresh, same = [], [], 0
    answered, beside, echoed, apart = [], [], [], []
    for key, meter, chords in material:
        bar = parse_meter(meter)
        for seed in range(seeds):
            def ask(role, seed, **more):
                return model.generate(PhraseRequest(role, key, chords, len(chords), 0.5, REGISTERS[role], seed,
                                                    meter=(bar.beats, bar.unit), **more))
            for role in ("melody", "counter", "bass", "arpeggio"):
                before = ask(role, seed)
                motif, steps = (tuple((n.step, n.length, n.pitch) for n in before.notes), before.steps)
                grown = ask(role, seed + 1000, motif=motif, motif_steps=steps)
                developed.append(shared(shape_grams, grown.notes, before.notes))
                fresh.append(shared(shape_grams, ask(role, seed + 1000).notes, before.notes))
                same += grown.notes == before.notes
            call = ask("melody", seed)
            line = tuple((n.step, n.length, n.pitch) for n in call.notes)
            answer, free = ask("counter", seed + 2000, call=line, call_steps=call.steps), ask("counter", seed + 2000)
            answered.append(onsets_with(answer.notes, call.notes))
            beside.append(onsets_with(free.notes, call.notes))
            echoed.append(shared(interval_grams, answer.notes, call.notes))
            apart.append(shared(interval_grams, free.notes, call.notes))
    return {"developed": float(np.mean(developed)), "fresh": float(np.mean(fresh)),
            "same_again": same / len(developed), "answer_onsets": float(np.mean(answered)),
            "free_onsets": float(np.mean(beside)), "answer_intervals": float(np.mean(echoed)),
            "free_intervals": float(np.mean(apart)), "phrases": len(developed)}
