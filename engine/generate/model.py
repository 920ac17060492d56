"""Runs the shipped layer model with onnxruntime and samples note lines from it (numpy around the model).

Sampling: temperature, top-k, a register clamp, and a gentle push toward chord tones on strong beats and
toward the key; the model does the writing, the push only tips close calls. Same request, same notes.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from engine.errors import SegueError
from engine.generate.encoding import COND, HOLD, REST, STEPS_PER_BAR, VOCAB, Note, condition, pitch, tokens_to_notes
from engine.harmony import Key, parse_chord, parse_key
from engine.machine.phrase import PhraseRequest  # the model's input is the core's phrase request
from engine.roles import DEFAULTS as ROLE_DEFAULTS

MODEL_DIR = Path(__file__).resolve().parent / "model"
DEFAULT_MODEL = MODEL_DIR / "layers.onnx"


@dataclass(frozen=True)
class NoteLayer:
    notes: tuple[Note, ...]
    steps: int
    provenance: dict = field(default_factory=dict)
    steps_per_bar: int = STEPS_PER_BAR  # so the phrase, and each repeat of it, starts on a bar line


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
        self.path = path
        self.sha256 = hashlib.sha256(data).hexdigest()
        metrics = path.with_name("metrics.json")
        self.version = json.loads(metrics.read_text()).get("version", "unknown") if metrics.exists() else "unknown"
        h = self.session.get_inputs()[2].shape
        self._hidden_shape = tuple(int(d) for d in h)

    def step(self, tok: int, cond: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        logits, h = self.session.run(None, {"token": np.array([tok], dtype=np.int64), "cond": cond[None, :],
                                            "h": h})
        return logits[0], h

    @staticmethod
    def _plan(req: PhraseRequest, key: Key, shift: int, density: float, steps: int) -> tuple[np.ndarray, np.ndarray]:
        """Every step's conditions and logit adjustments, worked out before the model runs."""
        pitches = np.array([pitch(t) + shift for t in range(2, VOCAB)])
        base = np.zeros(VOCAB)
        base[2:][(pitches < req.register[0]) | (pitches > req.register[1])] = -np.inf
        scale = key.pcs
        base[2:][np.array([p % 12 not in scale for p in pitches])] -= req.key_push
        conds = np.zeros((steps, COND), dtype=np.float32)
        bias = np.repeat(base[None, :], steps, axis=0)
        for bar in range(req.bars):
            chord = parse_chord(req.chords[bar % len(req.chords)])
            rel = frozenset((pc - key.tonic) % 12 for pc in chord.tones)
            tones = np.array([p % 12 in chord.tones for p in pitches])
            for position in range(req.steps_per_bar):
                step = bar * req.steps_per_bar + position
                conds[step] = condition(rel, (chord.root - key.tonic) % 12, position, density, key.minor, req.role)
                if position % 8 == 0:
                    bias[step, 2:][tones] += req.chord_push
        return conds, bias

    def generate(self, req: PhraseRequest) -> NoteLayer:
        key = parse_key(req.key)
        # the model thinks in C; move its line to the key, choosing the octave shift that keeps the register
        shift = key.tonic if key.tonic <= 6 else key.tonic - 12
        lo_d, hi_d = ROLE_DEFAULTS[req.role].density  # what 0..1 asks of the model
        density = lo_d + (hi_d - lo_d) * min(1.0, max(0.0, req.density))
        steps = req.bars * req.steps_per_bar
        conds, bias = self._plan(req, key, shift, density, steps)
        rng = np.random.default_rng(req.seed)
        h = np.zeros(self._hidden_shape, dtype=np.float32)
        feed = {"token": np.zeros(1, dtype=np.int64), "cond": None, "h": h}
        inverse_t = 1.0 / max(req.temperature, 1e-3)
        draws = rng.random(steps)
        prev, tokens = REST, []
        for step in range(steps):
            feed["token"][0] = prev
            feed["cond"] = conds[step:step + 1]
            logits, feed["h"] = self.session.run(None, feed)
            scores = logits[0].astype(np.float64) * inverse_t + bias[step]
            if prev == REST:
                scores[HOLD] = -np.inf  # nothing to hold
            prev = _sample(scores, req.top_k, draws[step])  # onnxruntime releases the GIL while it runs
            tokens.append(prev)
        notes = [Note(n.step, n.length, n.pitch + shift, _velocity(n.step, req.steps_per_bar))
                 for n in tokens_to_notes(tokens)]
        provenance = {"model": self.path.name, "model_version": self.version, "model_sha256": self.sha256,
                      **{k: v for k, v in asdict(req).items()}, "chords": list(req.chords),
                      "register": list(req.register), "notes": len(notes)}
        return NoteLayer(tuple(notes), steps, provenance, req.steps_per_bar)


def _sample(scores: np.ndarray, top_k: int, draw: float) -> int:
    """Top-k sampling by inverse CDF with a pre-drawn uniform number; -inf scores get no probability."""
    top = np.argpartition(-scores, top_k - 1)[:top_k]
    kept = scores[top]
    cdf = np.cumsum(np.exp(kept - kept.max()))
    return int(top[min(top_k - 1, int(np.searchsorted(cdf, draw * cdf[-1], side="right")))])


def _velocity(step: int, steps_per_bar: int) -> float:
    position = step % steps_per_bar
    return 0.9 if position == 0 else 0.78 if position % 4 == 0 else 0.65
