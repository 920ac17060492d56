"""The generation process: loads the layer model and answers requests, one JSON line in, one JSON line out.
Started by GenerationWorker; not run by hand.

    python -m engine.generate.serve MODEL
First line out: {"ready": true} or {"error": "..."} (a missing or corrupt model). Then, per request line (a
PhraseRequest's fields), a layer {"notes": [[step, length, pitch, velocity], ...], "steps": N, "provenance": {...},
"steps_per_bar": M}
or {"failed": "..."}. End of stdin stops it. JSON, not pickle: nothing here may run what it is sent.
"""
from __future__ import annotations

import json
import signal
import sys

from engine.errors import SegueError
from engine.generate.encoding import Note
from engine.generate.model import LayerModel, NoteLayer
from engine.machine.phrase import PhraseRequest


def request_from(fields: dict) -> PhraseRequest:
    return PhraseRequest(**{**fields, "chords": tuple(fields["chords"]), "register": tuple(fields["register"]),
                            "meter": tuple(fields["meter"])})


def layer_to(layer: NoteLayer) -> dict:
    return {"notes": [[n.step, n.length, n.pitch, n.velocity] for n in layer.notes], "steps": layer.steps,
            "provenance": layer.provenance, "steps_per_bar": layer.steps_per_bar}


def layer_from(fields: dict) -> NoteLayer:
    return NoteLayer(tuple(Note(*n) for n in fields["notes"]), fields["steps"], fields["provenance"],
                     fields["steps_per_bar"])


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the engine, which then closes our stdin
    try:
        model = LayerModel(argv[0])
    except SegueError as exc:
        print(json.dumps({"error": str(exc)}), flush=True)
        return 1
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        try:
            answer = layer_to(model.generate(request_from(json.loads(line))))
        except Exception as exc:  # a bad request must not stop the process; the engine logs it with its layer
            answer = {"failed": f"generation failed: {exc}"}
        print(json.dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
