"""Runs the shipped layer model with onnxruntime and samples note lines from it (numpy around the model).

Sampling: temperature, top-k, a register clamp, and a gentle push toward chord tones on strong beats and
toward the key (never against the bar's own chord tones); the model does the writing, the push only tips close
calls. Same request, same notes.
"""
from __future__ import annotations

import hashlib
import json
import math
from bisect import bisect_right
from dataclasses import asdict, dataclass, field
from itertools import accumulate
from pathlib import Path

import numpy as np

from engine.errors import SegueError
from engine.generate.develop import Pull
from engine.generate.encoding import COND, HOLD, REST, VOCAB, BarChord, Note, bar_conditions, pitch, tokens_to_notes
from engine.harmony import Key, parse_chord, parse_key
from engine.machine.phrase import PhraseRequest  # the model's input is the core's phrase request
from engine.meter import Meter
from engine.roles import DEFAULTS as ROLE_DEFAULTS, HIGH, LOW, Role

MODEL_DIR = Path(__file__).resolve().parent / "model"
DEFAULT_MODEL = MODEL_DIR / "layers.onnx"
PITCHES = np.arange(LOW, HIGH + 1)  # each note token's pitch, as the model thinks (in C)


@dataclass(frozen=True)
class NoteLayer:
    notes: tuple[Note, ...]
    steps: int
    provenance: dict = field(default_factory=dict)
    steps_per_bar: int = 16  # so the phrase, and each repeat of it, starts on a bar line


class LayerModel:
    """The ONNX model, loaded once; `generate` may be called from one worker thread at a time."""

    def __init__(self, path: Path | str = DEFAULT_MODEL):
        import onnxruntime as ort  # noqa: PLC0415 - the one place the engine imports onnxruntime

        path = Path(path)
        try:
            data = path.read_bytes()
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = 1  # one core: never compete with the audio thread for both
            opts.inter_op_num_threads = 1
            opts.log_severity_level = 3
            self.session = ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])
        except OSError as exc:
            raise SegueError(f"generation model {path}: cannot read it ({exc.strerror or exc})") from None
        except Exception as exc:  # onnxruntime raises its own types for a corrupt model
            raise SegueError(f"generation model {path}: not a usable ONNX model ({str(exc).splitlines()[0]})") from None
        _check_shapes(self.session, path)
        self.path = path
        self.sha256 = hashlib.sha256(data).hexdigest()
        metrics = path.with_name("metrics.json")
        card = json.loads(metrics.read_text()) if metrics.exists() else {}
        self.version = card.get("version", "unknown")
        self.densities = {tuple(k.split("/")): tuple(v) for k, v in card.get("densities", {}).items()}
        h = self.session.get_inputs()[2].shape
        self._hidden_shape = tuple(int(d) for d in h)

    def density(self, role: str, style: str, asked: float) -> float:
        """The share of 16ths that start a note that density 0..1 asks of the model. 0.5 is the middle of the
        corpus's lines of this role and style, between their 10th and 90th percentiles (metrics.json; a role the
        style's corpus lacks takes the chorales'), so a style keeps its own pace; 0 and 1 reach the wider of
        those percentiles and the role's defaults, so the knob always turns far enough to hear."""
        lo, hi = ROLE_DEFAULTS[Role(role)].density
        p10, p90 = self.densities.get((role, style)) or self.densities.get((role, "chorale")) or (lo, hi)
        middle, asked = (p10 + p90) / 2, min(1.0, max(0.0, asked))
        if asked <= 0.5:
            return min(p10, lo) + (middle - min(p10, lo)) * asked * 2
        return middle + (max(p90, hi) - middle) * (asked - 0.5) * 2

    def step(self, tok: int, cond: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        logits, h = self.session.run(None, {"token": np.array([tok], dtype=np.int64), "cond": cond[None, :],
                                            "h": h})
        return logits[0], h

    @staticmethod
    def _plan(req: PhraseRequest, key: Key, shift: int, density: float, steps: int) -> tuple[np.ndarray, np.ndarray]:
        """Every step's conditions and logit adjustments, worked out before the model runs."""
        pitches = PITCHES + shift
        base = np.zeros(VOCAB, dtype=np.float32)
        base[2:][(pitches < req.register[0]) | (pitches > req.register[1])] = -np.inf
        chords = [parse_chord(req.chords[bar % len(req.chords)]) for bar in range(req.bars + 1)]
        relative = [BarChord((c.root - key.tonic) % 12, frozenset((t - c.root) % 12 for t in c.tones),
                             (c.bass - key.tonic) % 12) for c in chords]
        register = (req.register[0] - shift, req.register[1] - shift)  # where the model, thinking in C, writes
        meter = req.bar_meter
        conds = np.concatenate([bar_conditions(relative[bar], relative[bar + 1], frozenset(key.mode.value), meter,
                                               density, register, req.role, req.style) for bar in range(req.bars)])
        bias = np.repeat(base[None, :], steps, axis=0)
        classes = pitches % 12
        in_key = _pcs(key.pcs)[classes]
        strong = [position for position in range(req.steps_per_bar) if meter.strong(position)]
        for bar in range(req.bars):
            tones = _pcs(chords[bar].tones)[classes]
            rows = bias[bar * req.steps_per_bar:(bar + 1) * req.steps_per_bar, 2:]
            # the key's push spares the bar's own chord tones: over F in G major, F is the chord's, not a slip
            rows[:, ~in_key & ~tones] -= req.key_push
            rows[np.ix_(strong, tones)] += req.chord_push
        return conds, bias

    def generate(self, req: PhraseRequest) -> NoteLayer:
        key = parse_key(req.key)
        # the model thinks in C; move its line to the key, choosing the octave shift that keeps the register
        shift = key.tonic if key.tonic <= 6 else key.tonic - 12
        density = self.density(str(req.role), str(req.style), req.density)
        steps = req.bars * req.steps_per_bar
        conds, bias = self._plan(req, key, shift, density, steps)
        rng = np.random.default_rng(req.seed)
        h = np.zeros(self._hidden_shape, dtype=np.float32)
        feed = {"token": np.zeros(1, dtype=np.int64), "cond": None, "h": h}
        inverse_t = 1.0 / max(req.temperature, 1e-3)
        draws = rng.random(steps)
        pull = Pull(req, shift)
        prev, last, tokens = REST, None, []
        for step in range(steps):
            feed["token"][0] = prev
            feed["cond"] = conds[step:step + 1]
            logits, feed["h"] = self.session.run(None, feed)
            scores = logits[0] * inverse_t
            scores += bias[step]
            if prev == REST:
                scores[HOLD] = -np.inf  # nothing to hold
            if pull:
                pull.apply(scores, step, last)
            prev = _sample(scores, req.top_k, draws[step])  # onnxruntime releases the GIL while it runs
            tokens.append(prev)
            if prev > HOLD:
                last = pitch(prev)
            if pull:
                pull.took(prev)
        notes = [Note(n.step, n.length, n.pitch + shift, _velocity(n.step, req.bar_meter))
                 for n in tokens_to_notes(tokens)]
        provenance = {"model": self.path.name, "model_version": self.version, "model_sha256": self.sha256,
                      **{k: v for k, v in asdict(req).items()}, "chords": list(req.chords),
                      "register": list(req.register), "meter": list(req.meter), "notes": len(notes),
                      "motif": [list(n) for n in req.motif], "call": [list(n) for n in req.call]}
        return NoteLayer(tuple(notes), steps, provenance, req.steps_per_bar)


def _check_shapes(session, path: Path) -> None:
    """A model trained for another version of the engine's conditioning (an older segue-gru, say) loads but
    fails at its first step: say so at load, in one line, rather than in onnxruntime's words at every phrase."""
    inputs = {i.name: i.shape for i in session.get_inputs()}
    outputs = {o.name: o.shape for o in session.get_outputs()}
    hidden = inputs.get("h") or ["?"]
    if inputs.get("cond") != [1, COND] or outputs.get("logits") != [1, VOCAB] or "token" not in inputs \
            or "h_out" not in outputs or not all(isinstance(d, int) for d in hidden):
        raise SegueError(f"generation model {path}: made for another version of Segue (it takes "
                         f"{inputs.get('cond', '?')} conditions and writes {outputs.get('logits', '?')} scores a step; "
                         f"this one gives [1, {COND}] and reads [1, {VOCAB}]): use the bundled model or retrain it "
                         "with python -m engine.generate.train")


def _pcs(classes: frozenset[int]) -> np.ndarray:
    """Twelve flags, one a pitch class: set for those in `classes`."""
    flags = np.zeros(12, dtype=bool)
    flags[list(classes)] = True
    return flags


def _sample(scores: np.ndarray, top_k: int, draw: float) -> int:
    """Top-k sampling by inverse CDF with a pre-drawn uniform number; -inf scores get no probability. The k kept
    scores are few: plain Python over them costs less than numpy's per-call overhead, once a 16th."""
    top = np.argpartition(-scores, top_k - 1)[:top_k].tolist()
    kept = scores[top].tolist()
    peak = max(kept)
    cdf = list(accumulate(math.exp(x - peak) for x in kept))
    return top[min(top_k - 1, bisect_right(cdf, draw * cdf[-1]))]


def _velocity(step: int, meter: Meter) -> float:
    beat, sixteenth = meter.position(step)
    return 0.9 if beat == sixteenth == 0 else 0.78 if sixteenth == 0 else 0.65
