"""A generation process gone wrong, for tests/test_worker.py: it starts as the real one does, then answers every
request with the malformed phrase its argument names (the header, then the samples it announces).

    python tests/hostile_generator.py KIND
"""
from __future__ import annotations

import json
import sys

import numpy as np

LOOP = 96000  # a 1-bar phrase at 120 bpm, 48 kHz
TAIL = 96000
GOOD = {"notes": [[0, 4, 48, 0.9]], "steps": 16, "steps_per_bar": 16, "provenance": {}, "loop": LOOP}
KINDS = {
    "no steps": {"steps": 0},
    "no bar": {"steps_per_bar": 0},
    "a loop in words": {"loop": "long"},
    "a short loop": {"loop": 1},
    "a note past the end": {"notes": [[40, 4, 48, 0.9]]},
    "a note of no pitch": {"notes": [["C", 4, None, 0.9]]},
    "no notes field": {"notes": None},
    "samples missing": {},  # the header is right; it announces 10 samples, not the loop and its tail
}


def main(kind: str) -> None:
    out = sys.stdout.buffer
    out.write(b'{"ready": true}\n')
    out.flush()
    for _ in sys.stdin.buffer:
        header = {**GOOD, **KINDS[kind]}
        frames = LOOP + TAIL if kind != "samples missing" else 10
        out.write(json.dumps({**header, "frames": frames}).encode() + b"\n")
        out.write(np.zeros(frames, dtype="<f4").tobytes())
        out.flush()


if __name__ == "__main__":
    main(sys.argv[1])
