"""Time holds for hours: every loop lasts exactly its length, and no position is counted in a float32 stream.

A tiny pack (8 kHz, one 1/4 bar at 400 bpm: 1,200 samples) makes hundreds of loops a few seconds of audio.
Its stem is a ramp, so each wrap is a sample where the ramp falls, and where it lands can be read exactly.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile

from engine.session import Engine

RATE, LOOP = 8000, 1200  # 1 beat of 400 bpm at 8 kHz; not a multiple of the block, so wraps land mid-block


def ramp_pack(folder: Path) -> Path:
    """A looping ramp (0 .. 0.5) and a one-shot 'tail' segment holding a constant, at 8 kHz."""
    (folder / "ramp").mkdir(parents=True, exist_ok=True)
    soundfile.write(str(folder / "ramp" / "ramp.wav"), (np.arange(LOOP) / (2 * LOOP)).astype(np.float32), RATE,
                    subtype="FLOAT")
    (folder / "pack.yaml").write_text(
        "name: ramp\nsample_rate: 8000\ntempo: 400\nmeter: 1/4\nkey: A minor\nsegments:\n"
        "  loop: {bars: 1, loop: true, stems: {ramp: ramp/ramp.wav}}\n")
    (folder.parent / "ramp.yaml").write_text(
        f"pack: {folder.name}\ninitial: looping\nstates:\n  looping: {{segment: loop}}\n")
    return folder.parent / "ramp.yaml"


def test_every_loop_lasts_exactly_its_length_over_hundreds_of_loops(tmp_path):
    machine = ramp_pack(tmp_path / "ramp")
    loops = 500
    out = tmp_path / "loops.wav"
    with Engine(machine, audio="offline") as engine:
        engine.render(out, None, seconds=loops * LOOP / RATE)
    x = soundfile.read(str(out), dtype="float64", always_2d=True)[0][:loops * LOOP, 0]
    wraps = np.flatnonzero(np.diff(x) < -0.1) + 1
    assert list(wraps) == [k * LOOP for k in range(1, loops)], f"loops drift: first wraps at {list(wraps[:4])}"
    # and every sample in between is the stem's own, in order (no sample repeated, none skipped)
    cycles = x.reshape(loops, LOOP)
    np.testing.assert_allclose(cycles[1:], np.tile(np.arange(LOOP) / (2 * LOOP), (loops - 1, 1)), atol=1e-6)
