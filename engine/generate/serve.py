"""The generation process: loads the layer model and the SoundFont, writes phrases and plays them. Started by
GenerationWorker; not run by hand.

    python -m engine.generate.serve MODEL SOUNDFONT
First line out: {"ready": true} or {"error": "..."} (a missing or corrupt model or SoundFont).
Then, per request line, {"phrase": a PhraseRequest's fields, "voicing": a Voicing's} (write and play a phrase) or
{"notes": a layer, "voicing": ...} (play a phrase again, every note as it was, on another instrument or tempo),
one answer line: the layer {"notes": [[step, length, pitch, velocity], ...], "steps": N, "steps_per_bar": M,
"provenance": {...}, "frames": F, "loop": L}, then F float32 samples (little-endian, mono): the phrase, L frames a
loop, then its tail. Or {"failed": "..."}. End of stdin stops it. JSON, not pickle: nothing here may run what it is
sent; the samples are only ever read as numbers.
"""
from __future__ import annotations

import dataclasses
import json
import signal
import sys

import numpy as np

from engine.errors import SegueError
from engine.generate.encoding import Note
from engine.generate.model import LayerModel, NoteLayer
from engine.generate.soundfont import SoundFont
from engine.generate.synth import SoundingPhrase, Voicing, synthesise, tail_frames
from engine.gm import name_of
from engine.machine.phrase import PhraseRequest

SAMPLE = np.dtype("<f4")


def request_from(fields: dict) -> PhraseRequest:
    lines = {k: tuple(tuple(n) for n in fields.get(k, ())) for k in ("motif", "call")}
    return PhraseRequest(**{**fields, "chords": tuple(fields["chords"]), "register": tuple(fields["register"]),
                            "meter": tuple(fields["meter"]), **lines})


def layer_to(layer: NoteLayer) -> dict:
    return {"notes": [[n.step, n.length, n.pitch, n.velocity] for n in layer.notes], "steps": layer.steps,
            "provenance": layer.provenance, "steps_per_bar": layer.steps_per_bar}


def layer_from(fields: dict) -> NoteLayer:
    return NoteLayer(tuple(Note(*n) for n in fields["notes"]), fields["steps"], fields["provenance"],
                     fields["steps_per_bar"])


def phrase_asked(request: PhraseRequest, voicing: Voicing) -> dict:
    return {"phrase": dataclasses.asdict(request), "voicing": dataclasses.asdict(voicing)}


def replay_asked(layer: NoteLayer, voicing: Voicing) -> dict:
    return {"notes": layer_to(layer), "voicing": dataclasses.asdict(voicing)}


def phrase_from(header: dict, samples: bytes, asked: dict) -> SoundingPhrase:
    """The phrase an answer holds, checked against what was `asked` (its bars, meter and voicing): ValueError if it
    is not that phrase. The audio block relies on it: a loop of 0 would never end a block."""
    layer = layer_from(header)
    voicing = Voicing(**asked["voicing"])
    per_bar, steps = layer.steps_per_bar, layer.steps
    if "phrase" in asked:
        request = request_from(asked["phrase"])
        expected = (request.steps_per_bar, request.bars * request.steps_per_bar)
    else:
        expected = (asked["notes"]["steps_per_bar"], asked["notes"]["steps"])
    if (type(per_bar), type(steps)) != (int, int) or (per_bar, steps) != expected:
        raise ValueError(f"a phrase of {steps!r} 16ths, {per_bar!r} a bar, where {expected[1]}, {expected[0]} were asked")
    if any(not (0 <= n.step < steps and 0 < n.length and 0 <= n.pitch <= 127 and 0 <= n.velocity <= 1)
           for n in layer.notes):
        raise ValueError("a note outside the phrase")
    audio = np.frombuffer(samples, dtype=SAMPLE)
    loop = voicing.frames(layer)
    if header["loop"] != loop or len(audio) != loop + tail_frames(voicing.sample_rate):
        raise ValueError(f"{len(audio)} samples for a loop of {header['loop']!r}; {loop} and its tail were asked")
    return SoundingPhrase(layer, audio, loop)


class Generator:
    """The model and the SoundFont, loaded once."""

    def __init__(self, model_path: str, soundfont_path: str):
        self.model = LayerModel(model_path)
        self.font = SoundFont(soundfont_path)

    def answer(self, asked: dict) -> SoundingPhrase:
        voicing = Voicing(**asked["voicing"])
        layer = self.model.generate(request_from(asked["phrase"])) if "phrase" in asked else layer_from(asked["notes"])
        audio = synthesise(self.font, layer, voicing)
        played = {"instrument": name_of(voicing.program), "program": voicing.program, "bpm": voicing.bpm,
                  "sample_rate": voicing.sample_rate, "soundfont": self.font.name,
                  "soundfont_sha256": self.font.sha256}
        layer = dataclasses.replace(layer, provenance={**layer.provenance, **played})
        return SoundingPhrase(layer, audio, voicing.frames(layer))


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the engine, which then closes our stdin
    out = sys.stdout.buffer
    try:
        generator = Generator(argv[0], argv[1])
    except SegueError as exc:
        out.write(json.dumps({"error": str(exc)}).encode() + b"\n")
        out.flush()
        return 1
    out.write(json.dumps({"ready": True}).encode() + b"\n")
    out.flush()
    for line in sys.stdin.buffer:
        try:
            phrase = generator.answer(json.loads(line))
        except Exception as exc:  # a bad request must not stop the process; the engine logs it with its layer
            out.write(json.dumps({"failed": f"generation failed: {exc}"}).encode() + b"\n")
        else:
            header = {**layer_to(phrase.layer), "frames": len(phrase.audio), "loop": phrase.loop}
            out.write(json.dumps(header).encode() + b"\n")
            out.write(phrase.audio.astype(SAMPLE).tobytes())
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
